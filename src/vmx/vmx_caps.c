/* The VMX capability MSRs IA32_VMX_BASIC .. IA32_VMX_VMFUNC (SDM Vol.3C
 * Appendix A): exactly the controls, fixed bits and EPT/VPID features this
 * implementation has. VM entry checks controls against the same values. */
#include "vmx_int.h"

/* Default1 classes (SDM Vol.3C §A.2). */
#define PIN_DEFAULT1 0x16u
#define PROC_DEFAULT1 0x0401e172u
#define EXIT_DEFAULT1 0x00036dffu
#define ENTRY_DEFAULT1 0x000011ffu

#define PIN_ALLOWED1 (PIN_DEFAULT1 | PIN_EXT_INT | PIN_NMI | PIN_VIRT_NMI | PIN_PREEMPT_TIMER)
#define PROC_ALLOWED1                                                                              \
    (PROC_DEFAULT1 | PROC_INT_WINDOW | PROC_TSC_OFFSET | PROC_HLT | PROC_INVLPG | PROC_MWAIT |     \
     PROC_RDPMC | PROC_RDTSC | PROC_CR3_LOAD | PROC_CR3_STORE | PROC_CR8_LOAD | PROC_CR8_STORE |   \
     PROC_NMI_WINDOW | PROC_MOV_DR | PROC_UNCOND_IO | PROC_IO_BITMAPS | PROC_MSR_BITMAPS |         \
     PROC_MONITOR | PROC_PAUSE | PROC_MTF | PROC_SECONDARY)
#define PROC2_ALLOWED1 \
    (PROC2_EPT | PROC2_DESC_TABLE | PROC2_RDTSCP | PROC2_VPID | PROC2_WBINVD | PROC2_UNRESTRICTED | \
     PROC2_INVPCID | PROC2_TSC_SCALING)
#define EXIT_ALLOWED1                                                                              \
    (EXIT_DEFAULT1 | EXIT_HOST_64 | EXIT_ACK_INT | EXIT_SAVE_PAT | EXIT_LOAD_PAT | EXIT_SAVE_EFER | \
     EXIT_LOAD_EFER | EXIT_SAVE_TIMER)
#define ENTRY_ALLOWED1 (ENTRY_DEFAULT1 | ENTRY_IA32E | ENTRY_LOAD_PAT | ENTRY_LOAD_EFER)

/* CR0: PE, NE, PG fixed to 1 (unrestricted guests relax PE and PG). */
#define CR0_FIXED0 0x80000021ull
#define CR4_FIXED1                                                                                 \
    (CR4_TSD | CR4_PSE | CR4_PAE | CR4_PGE | CR4_PCE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_UMIP |    \
     CR4_VMXE | CR4_PCIDE | CR4_OSXSAVE | CR4_SMEP | CR4_SMAP)

/* IA32_VMX_BASIC (§A.1): revision, 4 KiB regions, write-back, INS/OUTS
 * information, TRUE controls. */
#define BASIC_VALUE                                                                                \
    ((uint64_t)VMX_REVISION | (4096ull << 32) | (6ull << 50) | (1ull << 54) | (1ull << 55))

/* IA32_VMX_MISC (§A.6): timer rate, LMA saved on exit, HLT and
 * wait-for-SIPI activity states, 4 CR3-target values, 512-entry MSR lists. */
#define MISC_VALUE ((uint64_t)VMX_TIMER_SHIFT | (1ull << 5) | (1ull << 6) | (1ull << 8) | (4ull << 16))

/* IA32_VMX_EPT_VPID_CAP (§A.10): execute-only, 4-level walks, UC and WB,
 * 2 MiB and 1 GiB pages, INVEPT (single, all), A/D flags, INVVPID (all
 * four types). */
#define EPT_VPID_VALUE                                                                             \
    ((1ull << 0) | (1ull << 6) | (1ull << 8) | (1ull << 14) | (1ull << 16) | (1ull << 17) |        \
     (1ull << 20) | (1ull << 21) | (1ull << 25) | (1ull << 26) | (1ull << 32) | (1ull << 40) |     \
     (1ull << 41) | (1ull << 42) | (1ull << 43))

static uint64_t ctl(uint32_t allowed0, uint32_t allowed1)
{
    return (uint64_t)allowed1 << 32 | allowed0;
}

uint64_t vmx_ctl_cap(uint32_t msr)
{
    switch (msr) {
    case MSR_VMX_PINBASED: case MSR_VMX_TRUE_PINBASED: return ctl(PIN_DEFAULT1, PIN_ALLOWED1);
    case MSR_VMX_PROCBASED: return ctl(PROC_DEFAULT1, PROC_ALLOWED1);
    case MSR_VMX_TRUE_PROCBASED:
        return ctl(PROC_DEFAULT1 & ~(PROC_CR3_LOAD | PROC_CR3_STORE), PROC_ALLOWED1);
    case MSR_VMX_PROCBASED2: return ctl(0, PROC2_ALLOWED1);
    case MSR_VMX_EXIT: return ctl(EXIT_DEFAULT1, EXIT_ALLOWED1);
    case MSR_VMX_TRUE_EXIT: return ctl(EXIT_DEFAULT1 & ~EXIT_SAVE_DEBUG, EXIT_ALLOWED1);
    case MSR_VMX_ENTRY: return ctl(ENTRY_DEFAULT1, ENTRY_ALLOWED1);
    case MSR_VMX_TRUE_ENTRY: return ctl(ENTRY_DEFAULT1 & ~ENTRY_LOAD_DEBUG, ENTRY_ALLOWED1);
    default: return 0;
    }
}

/* A control value is valid when every allowed-0 bit is set and no bit
 * outside allowed-1 is (§27.2.1.1, against the TRUE MSRs). */
bool vmx_ctl_ok(uint32_t msr, uint32_t val)
{
    uint64_t cap = vmx_ctl_cap(msr);
    uint32_t must = (uint32_t)cap, may = (uint32_t)(cap >> 32);
    return (val & must) == must && !(val & ~may);
}

uint64_t vmx_cr0_fixed0(void) { return CR0_FIXED0; }
uint64_t vmx_cr0_fixed1(void) { return 0xffffffffull; }
uint64_t vmx_cr4_fixed0(void) { return CR4_VMXE; }
uint64_t vmx_cr4_fixed1(void) { return CR4_FIXED1; }

bool vmx_cap_msr(uint32_t index, uint64_t *val)
{
    switch (index) {
    case MSR_VMX_BASIC: *val = BASIC_VALUE; return true;
    case MSR_VMX_MISC: *val = MISC_VALUE; return true;
    case MSR_VMX_CR0_FIXED0: *val = CR0_FIXED0; return true;
    case MSR_VMX_CR0_FIXED1: *val = vmx_cr0_fixed1(); return true;
    case MSR_VMX_CR4_FIXED0: *val = CR4_VMXE; return true;
    case MSR_VMX_CR4_FIXED1: *val = CR4_FIXED1; return true;
    case MSR_VMX_VMCS_ENUM: *val = (uint64_t)vmcs_max_index() << 1; return true;
    case MSR_VMX_EPT_VPID_CAP: *val = EPT_VPID_VALUE; return true;
    case MSR_VMX_PINBASED: case MSR_VMX_PROCBASED: case MSR_VMX_EXIT: case MSR_VMX_ENTRY:
    case MSR_VMX_PROCBASED2: case MSR_VMX_TRUE_PINBASED: case MSR_VMX_TRUE_PROCBASED:
    case MSR_VMX_TRUE_EXIT: case MSR_VMX_TRUE_ENTRY:
        *val = vmx_ctl_cap(index);
        return true;
    default:
        return false;   /* IA32_VMX_VMFUNC: VM functions are not offered (secondary bit 13 is 0) */
    }
}
