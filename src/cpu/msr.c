/* Model-specific registers for RDMSR/WRMSR (SDM Vol.4 ch.2, "Architectural
 * MSRs") and the deterministic TSC (DESIGN.md, "Determinism"). Unknown
 * MSRs and reserved bits raise #GP(0) (the callers turn false into it). */
#include "block.h"
#include "system.h"

#include "xenemu/lapic.h"
#include "xenemu/trace.h"
#include "xenemu/vmx.h"

enum {
    MSR_TSC = 0x10, MSR_APIC_BASE = 0x1b, MSR_FEATURE_CONTROL = 0x3a, MSR_SPEC_CTRL = 0x48,
    MSR_PRED_CMD = 0x49, MSR_BIOS_SIGN_ID = 0x8b, MSR_MTRRCAP = 0xfe, MSR_ARCH_CAPABILITIES = 0x10a,
    MSR_SYSENTER_CS = 0x174, MSR_SYSENTER_ESP = 0x175, MSR_SYSENTER_EIP = 0x176,
    MSR_MISC_ENABLE = 0x1a0, MSR_MTRR_VAR = 0x200, MSR_MTRR_VAR_END = 0x210,
    MSR_MTRR_FIX64K = 0x250, MSR_MTRR_FIX16K_80000 = 0x258, MSR_MTRR_FIX16K_A0000 = 0x259,
    MSR_MTRR_FIX4K = 0x268, MSR_MTRR_FIX4K_END = 0x270, MSR_PAT = 0x277, MSR_MTRR_DEF_TYPE = 0x2ff,
};
#define MSR_EFER 0xc0000080u
#define MSR_STAR 0xc0000081u
#define MSR_LSTAR 0xc0000082u
#define MSR_CSTAR 0xc0000083u
#define MSR_FMASK 0xc0000084u
#define MSR_FS_BASE 0xc0000100u
#define MSR_GS_BASE 0xc0000101u
#define MSR_KERNEL_GS_BASE 0xc0000102u
#define MSR_TSC_AUX 0xc0000103u

#define PHYS_ADDR_BITS 40
#define PHYS_RSVD (~0ull << PHYS_ADDR_BITS)
/* MISC_ENABLE at power-on: fast strings, BTS and PEBS unavailable, and
 * bit 18 ENABLE MONITOR FSM set (SDM Vol.4 Table 2-2); writable: fast
 * strings and MONITOR FSM (clear: CPUID hides MONITOR, MONITOR/MWAIT #UD). */
#define MISC_ENABLE_MONITOR (1ull << 18)
#define MISC_ENABLE_RESET (0x1801ull | MISC_ENABLE_MONITOR)
#define MISC_ENABLE_WRITABLE (0x1ull | MISC_ENABLE_MONITOR)
/* IA32_ARCH_CAPABILITIES: RDCL_NO, SKIP_L1DFL_VMENTRY, SSB_NO, MDS_NO,
 * PSCHANGE_MC_NO, TAA_NO: an interpreter has none of those side channels. */
#define ARCH_CAP_VALUE 0x179ull
/* IA32_MTRRCAP: 8 variable ranges, fixed ranges, write-combining. */
#define MTRRCAP_VALUE 0x508ull
#define SPEC_CTRL_VALID 0x7ull        /* IBRS, STIBP, SSBD */
#define MICROCODE_REV (1ull << 32)

/* ---- TSC ---- */

uint64_t cpu_retired(const cpu_t *cpu)
{
    uint64_t n = cpu->icount;
    if (cpu->cur && cpu->cur_block)
        n += (uint64_t)(cpu->cur - cpu->cur_block->insn);
    return n;
}

uint64_t cpu_tsc_hz(const cpu_t *cpu)
{
    return cpu->m->tsc_hz ? cpu->m->tsc_hz : 2000000000ull;
}

static uint64_t tsc_base(const cpu_t *cpu)
{
    return (uint64_t)((unsigned __int128)cpu_retired(cpu) * cpu_tsc_hz(cpu) / CPU_VIRT_IPS);
}

uint64_t cpu_tsc(const cpu_t *cpu)
{
    return tsc_base(cpu) + cpu->tsc_offset;
}

/* ---- value checks ---- */

static bool mem_type_ok(unsigned t, bool pat)
{
    return t == 0 || t == 1 || t == 4 || t == 5 || t == 6 || (pat && t == 7);
}

/* Every byte of a PAT or fixed-range MTRR holds a memory type. */
static bool types_ok(uint64_t v, bool pat)
{
    for (unsigned i = 0; i < 8; i++)
        if (!mem_type_ok((unsigned)(v >> (8 * i)) & 0xff, pat))
            return false;
    return true;
}

static int fixed_mtrr_index(uint32_t index)
{
    if (index == MSR_MTRR_FIX64K)
        return 0;
    if (index == MSR_MTRR_FIX16K_80000 || index == MSR_MTRR_FIX16K_A0000)
        return 1 + (int)(index - MSR_MTRR_FIX16K_80000);
    if (index >= MSR_MTRR_FIX4K && index < MSR_MTRR_FIX4K_END)
        return 3 + (int)(index - MSR_MTRR_FIX4K);
    return -1;
}

/* IA32_MTRR_PHYSBASEn (even) and PHYSMASKn (odd) (SDM Vol.3A §13.11.2.3). */
static bool mtrr_var_ok(uint32_t index, uint64_t v)
{
    if (index & 1)
        return !(v & (PHYS_RSVD | 0x7ffull));
    return !(v & (PHYS_RSVD | 0xf00ull)) && mem_type_ok(v & 0xff, false);
}

/* ---- reads ---- */

static bool read_mtrr(const cpu_t *cpu, uint32_t index, uint64_t *v)
{
    int fix = fixed_mtrr_index(index);
    if (fix >= 0)
        *v = cpu->mtrr_fixed[fix];
    else if (index >= MSR_MTRR_VAR && index < MSR_MTRR_VAR_END)
        *v = cpu->mtrr_var[index - MSR_MTRR_VAR];
    else if (index == MSR_MTRRCAP)
        *v = MTRRCAP_VALUE;
    else if (index == MSR_MTRR_DEF_TYPE)
        *v = cpu->mtrr_def_type;
    else
        return false;
    return true;
}

bool cpu_monitor_enabled(const cpu_t *cpu)
{
    return ((cpu->misc_enable_x ^ MISC_ENABLE_RESET) & MISC_ENABLE_MONITOR) != 0;
}

bool msr_read(cpu_t *cpu, uint32_t index, uint64_t *v)
{
    switch (index) {
    case MSR_TSC:
        *v = vmx_nonroot(cpu) ? vmx_guest_tsc(cpu, cpu_tsc(cpu)) : cpu_tsc(cpu);   /* TSC offsetting */
        return true;
    case MSR_APIC_BASE: *v = lapic_base_read(cpu); return true;
    case MSR_FEATURE_CONTROL: *v = cpu->feature_control; return true;
    case MSR_SPEC_CTRL: *v = cpu->spec_ctrl; return true;
    case MSR_BIOS_SIGN_ID: *v = MICROCODE_REV; return true;
    case MSR_ARCH_CAPABILITIES: *v = ARCH_CAP_VALUE; return true;
    case MSR_SYSENTER_CS: *v = cpu->sysenter_cs; return true;
    case MSR_SYSENTER_ESP: *v = cpu->sysenter_esp; return true;
    case MSR_SYSENTER_EIP: *v = cpu->sysenter_eip; return true;
    case MSR_MISC_ENABLE: *v = cpu->misc_enable_x ^ MISC_ENABLE_RESET; return true;
    case MSR_PAT: *v = cpu->pat; return true;
    case MSR_EFER: *v = cpu->efer; return true;
    case MSR_STAR: *v = cpu->star; return true;
    case MSR_LSTAR: *v = cpu->lstar; return true;
    case MSR_CSTAR: *v = cpu->cstar; return true;
    case MSR_FMASK: *v = cpu->sfmask; return true;
    case MSR_FS_BASE: *v = cpu->seg[SEG_FS].base; return true;
    case MSR_GS_BASE: *v = cpu->seg[SEG_GS].base; return true;
    case MSR_KERNEL_GS_BASE: *v = cpu->kernel_gs_base; return true;
    case MSR_TSC_AUX: *v = cpu->tsc_aux; return true;
    default:
        if (read_mtrr(cpu, index, v) || vmx_cap_msr(index, v))   /* IA32_VMX_* (src/vmx) */
            return true;
        return lapic_msr_read(cpu, index, v);     /* x2APIC, TSC_DEADLINE */
    }
}

/* ---- writes ---- */

/* IA32_EFER (SDM Vol.3A §2.2.1): LMA is read-only; LME cannot change
 * while paging is on. */
static bool write_efer(cpu_t *cpu, uint64_t v)
{
    uint64_t valid = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
    if (v & ~valid)
        return false;
    v = (v & ~(uint64_t)EFER_LMA) | (cpu->efer & EFER_LMA);
    if (((v ^ cpu->efer) & EFER_LME) && (cpu->cr0 & CR0_PG))
        return false;
    if ((v ^ cpu->efer) & EFER_NXE)
        mmu_flush_all(cpu);           /* NX changes what every mapping allows */
    trace_mode(cpu, TRACE_REG_EFER, cpu->efer, v);   /* trace: WRMSR EFER (mode class) */
    cpu->efer = v;
    cpu_update_mode(cpu);
    return true;
}

static bool write_seg_base(cpu_t *cpu, int seg, uint64_t v)
{
    if (!is_canonical(v))
        return false;
    cpu->seg[seg].base = v;
    cpu->seg_lin_base[seg] = v;
    return true;
}

static bool write_canonical(uint64_t *dst, uint64_t v)
{
    if (!is_canonical(v))
        return false;
    *dst = v;
    return true;
}

static bool write_mtrr(cpu_t *cpu, uint32_t index, uint64_t v)
{
    int fix = fixed_mtrr_index(index);
    if (fix >= 0) {
        if (!types_ok(v, false))
            return false;
        cpu->mtrr_fixed[fix] = v;
        return true;
    }
    if (index >= MSR_MTRR_VAR && index < MSR_MTRR_VAR_END) {
        if (!mtrr_var_ok(index, v))
            return false;
        cpu->mtrr_var[index - MSR_MTRR_VAR] = v;
        return true;
    }
    if (index == MSR_MTRR_DEF_TYPE) {
        if ((v & ~0xcffull) || !mem_type_ok(v & 0xff, false))
            return false;
        cpu->mtrr_def_type = v;
        return true;
    }
    return false;
}

static bool write_misc(cpu_t *cpu, uint32_t index, uint64_t v)
{
    switch (index) {
    case MSR_APIC_BASE:
        return lapic_base_write(cpu, v);
    case MSR_FEATURE_CONTROL:
        /* Lock and "enable VMX outside SMX" (SDM Vol.3C §24.7). */
        if ((cpu->feature_control & 1) || (v & ~5ull))
            return false;
        cpu->feature_control = v;
        return true;
    case MSR_SPEC_CTRL:
        if (v & ~SPEC_CTRL_VALID)
            return false;
        cpu->spec_ctrl = v;
        return true;
    case MSR_PRED_CMD:
        return !(v & ~1ull);          /* IBPB: nothing to flush */
    case MSR_BIOS_SIGN_ID:
        return true;
    case MSR_MISC_ENABLE: {
        uint64_t cur = cpu->misc_enable_x ^ MISC_ENABLE_RESET;
        if ((v ^ cur) & ~MISC_ENABLE_WRITABLE)
            return false;
        cpu->misc_enable_x = v ^ MISC_ENABLE_RESET;
        return true;
    }
    default:
        if (write_mtrr(cpu, index, v))
            return true;
        return lapic_msr_write(cpu, index, v);    /* x2APIC, TSC_DEADLINE */
    }
}

bool msr_write(cpu_t *cpu, uint32_t index, uint64_t v)
{
    switch (index) {
    case MSR_TSC:
        cpu->tsc_offset = v - tsc_base(cpu);
        lapic_tsc_changed(cpu);
        return true;
    case MSR_SYSENTER_CS: cpu->sysenter_cs = v; return true;
    case MSR_SYSENTER_ESP: return write_canonical(&cpu->sysenter_esp, v);
    case MSR_SYSENTER_EIP: return write_canonical(&cpu->sysenter_eip, v);
    case MSR_PAT:
        if (!types_ok(v, true))
            return false;
        cpu->pat = v;
        return true;
    case MSR_EFER: return write_efer(cpu, v);
    case MSR_STAR: cpu->star = v; return true;
    case MSR_LSTAR: return write_canonical(&cpu->lstar, v);
    case MSR_CSTAR: return write_canonical(&cpu->cstar, v);
    case MSR_FMASK:
        if (v >> 32)
            return false;
        cpu->sfmask = v;
        return true;
    case MSR_FS_BASE: return write_seg_base(cpu, SEG_FS, v);
    case MSR_GS_BASE: return write_seg_base(cpu, SEG_GS, v);
    case MSR_KERNEL_GS_BASE: return write_canonical(&cpu->kernel_gs_base, v);
    case MSR_TSC_AUX:
        if (v >> 32)
            return false;
        cpu->tsc_aux = v;
        return true;
    default:
        return write_misc(cpu, index, v);
    }
}
