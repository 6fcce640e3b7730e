/* What the VMX test guest needs: VMCS field encodings and exit reasons as
 * the SDM gives them (Vol.3C Appendix B, C; written out independently of
 * the emulator's headers), control bits, the VMX instructions as inline
 * assembly, and the labels of vmx_asm.S. */
#ifndef VMX_GUEST_H
#define VMX_GUEST_H

#include <stdbool.h>
#include <stdint.h>

enum {
    VMCS_VPID = 0x0000,
    VMCS_GUEST_ES_SEL = 0x0800, VMCS_GUEST_CS_SEL = 0x0802, VMCS_GUEST_FS_SEL = 0x0808,
    VMCS_GUEST_GS_SEL = 0x080a, VMCS_GUEST_TR_SEL = 0x080e,
    VMCS_HOST_ES_SEL = 0x0c00, VMCS_HOST_CS_SEL = 0x0c02, VMCS_HOST_SS_SEL = 0x0c04,
    VMCS_HOST_DS_SEL = 0x0c06, VMCS_HOST_FS_SEL = 0x0c08, VMCS_HOST_GS_SEL = 0x0c0a,
    VMCS_HOST_TR_SEL = 0x0c0c,
    VMCS_IO_BITMAP_A = 0x2000, VMCS_IO_BITMAP_B = 0x2002, VMCS_MSR_BITMAP = 0x2004, VMCS_EPTP = 0x201a,
    VMCS_GUEST_PHYS_ADDR = 0x2400, VMCS_LINK_PTR = 0x2800, VMCS_GUEST_EFER = 0x2806,
    VMCS_PIN_CTLS = 0x4000, VMCS_PROC_CTLS = 0x4002, VMCS_EXC_BITMAP = 0x4004,
    VMCS_CR3_TARGET_COUNT = 0x400a, VMCS_EXIT_CTLS = 0x400c, VMCS_ENTRY_CTLS = 0x4012,
    VMCS_PROC_CTLS2 = 0x401e,
    VMCS_INSN_ERROR = 0x4400, VMCS_EXIT_REASON = 0x4402, VMCS_EXIT_INTR_INFO = 0x4404,
    VMCS_EXIT_INSN_LEN = 0x440c, VMCS_EXIT_INSN_INFO = 0x440e,
    VMCS_GUEST_ES_LIMIT = 0x4800, VMCS_GUEST_TR_LIMIT = 0x480e, VMCS_GUEST_GDTR_LIMIT = 0x4810,
    VMCS_GUEST_ACTIVITY = 0x4826,
    VMCS_GUEST_IDTR_LIMIT = 0x4812, VMCS_GUEST_ES_AR = 0x4814, VMCS_GUEST_CS_AR = 0x4816,
    VMCS_GUEST_FS_AR = 0x481c, VMCS_GUEST_GS_AR = 0x481e, VMCS_GUEST_LDTR_AR = 0x4820,
    VMCS_GUEST_TR_AR = 0x4822, VMCS_PREEMPT_TIMER = 0x482e,
    VMCS_CR4_MASK = 0x6002, VMCS_CR4_SHADOW = 0x6006, VMCS_EXIT_QUAL = 0x6400,
    VMCS_GUEST_LINEAR_ADDR = 0x640a,
    VMCS_GUEST_CR0 = 0x6800, VMCS_GUEST_CR3 = 0x6802, VMCS_GUEST_CR4 = 0x6804,
    VMCS_GUEST_ES_BASE = 0x6806, VMCS_GUEST_CS_BASE = 0x6808, VMCS_GUEST_TR_BASE = 0x6814,
    VMCS_GUEST_GDTR_BASE = 0x6816, VMCS_GUEST_IDTR_BASE = 0x6818, VMCS_GUEST_RSP = 0x681c,
    VMCS_GUEST_RIP = 0x681e, VMCS_GUEST_RFLAGS = 0x6820,
    VMCS_HOST_CR0 = 0x6c00, VMCS_HOST_CR3 = 0x6c02, VMCS_HOST_CR4 = 0x6c04,
    VMCS_HOST_TR_BASE = 0x6c0a, VMCS_HOST_GDTR_BASE = 0x6c0c, VMCS_HOST_IDTR_BASE = 0x6c0e,
};

enum {
    EXIT_EXCEPTION = 0, EXIT_EXTINT = 1, EXIT_TRIPLE_FAULT = 2, EXIT_INIT = 3, EXIT_INT_WINDOW = 7, EXIT_NMI_WINDOW = 8,
    EXIT_CPUID = 10, EXIT_HLT = 12, EXIT_INVD = 13, EXIT_INVLPG = 14, EXIT_RDPMC = 15,
    EXIT_RDTSC = 16, EXIT_VMCALL = 18, EXIT_VMCLEAR = 19, EXIT_VMLAUNCH = 20, EXIT_VMPTRLD = 21,
    EXIT_VMPTRST = 22, EXIT_VMREAD = 23, EXIT_VMRESUME = 24, EXIT_VMWRITE = 25, EXIT_VMXOFF = 26,
    EXIT_VMXON = 27, EXIT_INVEPT = 50, EXIT_INVVPID = 53, EXIT_CR_ACCESS = 28, EXIT_DR_ACCESS = 29,
    EXIT_IO = 30, EXIT_RDMSR = 31, EXIT_WRMSR = 32, EXIT_BAD_GUEST = 33, EXIT_PAUSE = 40,
    EXIT_GDTR_IDTR = 46, EXIT_LDTR_TR = 47, EXIT_EPT_VIOLATION = 48, EXIT_EPT_MISCONFIG = 49,
    EXIT_MWAIT = 36, EXIT_MONITOR = 39, EXIT_RDTSCP = 51, EXIT_PREEMPT_TIMER = 52, EXIT_WBINVD = 54, EXIT_XSETBV = 55, EXIT_INVPCID = 58,
};
#define EXIT_REASON_FAIL 0x80000000u

enum {
    VMERR_VMCALL_ROOT = 1, VMERR_VMCLEAR_VMXON = 3, VMERR_LAUNCH_NOT_CLEAR = 4, VMERR_BAD_CONTROLS = 7,
    VMERR_BAD_HOST_STATE = 8, VMERR_BAD_REVISION = 11, VMERR_BAD_FIELD = 12, VMERR_READONLY = 13,
    VMERR_VMXON_ROOT = 15, VMERR_INVALID_OPERAND = 28,
};

enum {
    MSR_VMX_BASIC = 0x480, MSR_VMX_CR0_FIXED0 = 0x486, MSR_VMX_CR4_FIXED0 = 0x488,
    MSR_VMX_PROCBASED2 = 0x48b, MSR_VMX_EPT_VPID_CAP = 0x48c, MSR_VMX_TRUE_PINBASED = 0x48d,
    MSR_VMX_TRUE_PROCBASED = 0x48e, MSR_VMX_TRUE_EXIT = 0x48f, MSR_VMX_TRUE_ENTRY = 0x490,
};

enum {
    PIN_EXT_INT = 1u << 0, PIN_NMI = 1u << 3, PIN_VIRT_NMI = 1u << 5, PIN_PREEMPT_TIMER = 1u << 6,
    PROC_INT_WINDOW = 1u << 2, PROC_HLT = 1u << 7, PROC_INVLPG = 1u << 9, PROC_RDPMC = 1u << 11,
    PROC_RDTSC = 1u << 12, PROC_CR3_LOAD = 1u << 15, PROC_NMI_WINDOW = 1u << 22, PROC_MOV_DR = 1u << 23,
    PROC_MWAIT = 1u << 10, PROC_MONITOR = 1u << 29, PROC_IO_BITMAPS = 1u << 25, PROC_MSR_BITMAPS = 1u << 28, PROC_PAUSE = 1u << 30,
    PROC_SECONDARY = 1u << 31,
    PROC2_EPT = 1u << 1, PROC2_DESC_TABLE = 1u << 2, PROC2_RDTSCP = 1u << 3, PROC2_VPID = 1u << 5,
    PROC2_WBINVD = 1u << 6, PROC2_UNRESTRICTED = 1u << 7, PROC2_INVPCID = 1u << 12,
    EXIT_HOST_64 = 1u << 9, EXIT_ACK_INT = 1u << 15, EXIT_SAVE_EFER = 1u << 20, EXIT_SAVE_TIMER = 1u << 22,
    ENTRY_IA32E = 1u << 9,
};

enum { EPT_R = 1, EPT_W = 2, EPT_RWX = 7, EPT_WB = 6 << 3, EPT_LARGE = 1 << 7 };
#define CR4_VMXE (1ull << 13)
#define CR4_OSXSAVE (1ull << 18)
#define EFER_LMA (1ull << 10)
#define RFLAGS_IF (1ull << 9)
#define AR_UNUSABLE 0x10000u

/* ---- instructions: 0 VMsucceed, 1 VMfailInvalid, 2 VMfailValid ---- */

#define VMX_RESULT "setc %b0; setz %b1"

static inline int vmx_result(uint8_t cf, uint8_t zf)
{
    return cf ? 1 : zf ? 2 : 0;
}

static inline int vmxon(uint64_t pa)
{
    uint8_t cf, zf;
    __asm__ volatile("vmxon %2; " VMX_RESULT : "=q"(cf), "=q"(zf) : "m"(pa) : "cc", "memory");
    return vmx_result(cf, zf);
}

static inline int vmxoff(void)
{
    uint8_t cf, zf;
    __asm__ volatile("vmxoff; " VMX_RESULT : "=q"(cf), "=q"(zf) : : "cc", "memory");
    return vmx_result(cf, zf);
}

static inline int vmclear(uint64_t pa)
{
    uint8_t cf, zf;
    __asm__ volatile("vmclear %2; " VMX_RESULT : "=q"(cf), "=q"(zf) : "m"(pa) : "cc", "memory");
    return vmx_result(cf, zf);
}

static inline int vmptrld(uint64_t pa)
{
    uint8_t cf, zf;
    __asm__ volatile("vmptrld %2; " VMX_RESULT : "=q"(cf), "=q"(zf) : "m"(pa) : "cc", "memory");
    return vmx_result(cf, zf);
}

static inline int vmptrst(uint64_t *pa)
{
    uint8_t cf, zf;
    __asm__ volatile("vmptrst %2; " VMX_RESULT : "=q"(cf), "=q"(zf), "=m"(*pa) : : "cc", "memory");
    return vmx_result(cf, zf);
}

static inline int vmread(uint64_t field, uint64_t *v)
{
    uint8_t cf, zf;
    __asm__ volatile("vmread %3, %2; " VMX_RESULT : "=q"(cf), "=q"(zf), "=r"(*v) : "r"(field) : "cc", "memory");
    return vmx_result(cf, zf);
}

static inline int vmwrite(uint64_t field, uint64_t v)
{
    uint8_t cf, zf;
    __asm__ volatile("vmwrite %3, %2; " VMX_RESULT : "=q"(cf), "=q"(zf) : "r"(field), "r"(v) : "cc", "memory");
    return vmx_result(cf, zf);
}

static inline int vmcall_root(void)
{
    uint8_t cf, zf;
    __asm__ volatile("vmcall; " VMX_RESULT : "=q"(cf), "=q"(zf) : : "cc", "memory");
    return vmx_result(cf, zf);
}

static inline int invept(uint64_t type, const void *desc)
{
    uint8_t cf, zf;
    __asm__ volatile("invept %3, %2; " VMX_RESULT : "=q"(cf), "=q"(zf) : "r"(type), "m"(*(const char(*)[16])desc)
                     : "cc", "memory");
    return vmx_result(cf, zf);
}

static inline int invvpid(uint64_t type, const void *desc)
{
    uint8_t cf, zf;
    __asm__ volatile("invvpid %3, %2; " VMX_RESULT : "=q"(cf), "=q"(zf) : "r"(type), "m"(*(const char(*)[16])desc)
                     : "cc", "memory");
    return vmx_result(cf, zf);
}

/* ---- other privileged instructions ---- */

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (uint64_t)hi << 32 | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline void cpuid(uint32_t leaf, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}

#define CR_ACCESSORS(n)                                                            \
    static inline uint64_t read_cr##n(void)                                        \
    {                                                                              \
        uint64_t v;                                                                \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                         \
        return v;                                                                  \
    }
CR_ACCESSORS(0)
CR_ACCESSORS(3)
CR_ACCESSORS(4)

static inline void write_cr4(uint64_t v)
{
    __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

/* ---- vmx_asm.S ---- */

int vmx_run_guest(uint64_t *gregs, int launch);
extern const uint8_t g_start[], g_cpuid[], g_vmcall1[], g_out[], g_in[], g_rdmsr[], g_wrmsr[],
    g_movcr3[], g_movcr4[], g_vmcall2[], g_movdr[], g_rdtsc[], g_invlpg[], g_ept_write[],
    g_ept_misconfig[], g_ud2[], g_int3[], g_xsetbv[], g_wbinvd[], g_invd[], g_pause[], g_rdpmc[],
    g_rdtscp[], g_sgdt[], g_str[], g_vmread[], g_vmcall_end[], g_spin[], g_triple[], rm_code[],
    g_nmi_self[], g_nmi_after[], g_init_self[], g_init_after[], g_pvh32[], g_pvh_cr3[], g_pvh64[],
    g_vmx_insns[], g_vmclear[], g_vmptrld[], g_vmptrst[], g_vmwrite[], g_vmlaunch[], g_vmresume[],
    g_vmxon[], g_invept[], g_invvpid[], g_vmxoff[], g_vmx_done[], g_tlb_read[], g_tlb_vmcall[],
    g_invpcid[], g_invpcid_insn[], g_hlt[], g_after_hlt[], g_monitor[], g_monitor_insn[], g_mwait_insn[],
    rm_code_end[];
extern uint8_t ro_page[], mc_page[], tlb_page[], alt_page[];

#endif
