/* The CPUID model (SDM Vol.2 CPUID): an Intel family-6 CPU that reports
 * exactly what the interpreter implements. Every feature flag comes from
 * the one table below. */
#include <string.h>

#include "system.h"

#include "xenemu/machine.h"
#include "xenemu/vmx.h"

/* Implemented features (OSXSAVE is added from CR4 at query time). */
static const uint16_t implemented[] = {
    /* leaf 1 EDX */
    X86_FPU, X86_PSE, X86_TSC, X86_MSR, X86_PAE, X86_CX8, X86_SEP, X86_MTRR, X86_PGE,
    X86_CMOV, X86_PAT, X86_CLFSH, X86_MMX, X86_FXSR, X86_SSE, X86_SSE2,
    X86_APIC,                                       /* lapic.c */
    /* leaf 1 ECX */
    X86_SSE3, X86_SSSE3, X86_CX16, X86_SSE41, X86_SSE42, X86_MOVBE, X86_POPCNT, X86_XSAVE,
    X86_PCID,                                       /* src/mmu/tlb.c */
    X86_X2APIC, X86_TSC_DEADLINE,                   /* lapic.c, lapic_timer.c */
    X86_VMX,                                        /* src/vmx */
    X86_MONITOR,                                    /* monitor.c (while MISC_ENABLE[18] is set) */
    /* leaf 7 */
    X86_BMI1, X86_SMEP, X86_BMI2, X86_ADX, X86_SMAP, X86_UMIP,
    X86_INVPCID,                                    /* privileged.c */
    X86_FDP_EXCPTN_ONLY, X86_FCS_FDS_DEPRECATED,    /* as the x87 model behaves */
    X86_IBRS, X86_STIBP, X86_ARCH_CAP, X86_SSBD,
    /* leaves 0x80000001, 0x80000007 */
    X86_LAHF64, X86_ABM, X86_PREFETCHW, X86_SYSCALL, X86_NX, X86_PAGE1G, X86_RDTSCP, X86_LM,
    X86_INVTSC,
};

#define MAX_BASIC_LEAF 0x16u
#define MAX_EXT_LEAF 0x80000008u
#define ADDR_SIZES ((48u << 8) | 40u)     /* linear 48, physical 40 bits */

bool cpu_has(enum cpu_feature f)
{
    for (size_t i = 0; i < sizeof implemented / sizeof implemented[0]; i++)
        if (implemented[i] == f)
            return true;
    return false;
}

static uint32_t feature_word(enum cpuid_word w)
{
    uint32_t v = 0;
    for (size_t i = 0; i < sizeof implemented / sizeof implemented[0]; i++)
        if (implemented[i] / 32 == (unsigned)w)
            v |= 1u << (implemented[i] % 32);
    return v;
}

/* Four ASCII characters, little-endian as CPUID returns them. */
static uint32_t chars(const char *s)
{
    uint32_t v;
    memcpy(&v, s, 4);
    return v;
}

static void leaf_brand(uint32_t leaf, uint32_t out[4])
{
    static const char brand[48] = "xenemu virtual CPU";
    memcpy(out, brand + 16 * (leaf - 0x80000002u), 16);
}

/* Leaf 1: signature, APIC ID / CLFLUSH size, feature flags. */
static void leaf_1(const cpu_t *cpu, uint32_t out[4])
{
    out[0] = CPU_SIGNATURE;
    out[1] = ((uint32_t)cpu->id << 24) | (1u << 16) | (8u << 8);   /* 64-byte lines */
    out[2] = feature_word(CW_1_ECX);
    if (!cpu_monitor_enabled(cpu))
        out[2] &= ~(1u << (X86_MONITOR % 32));   /* IA32_MISC_ENABLE[18] clear (SDM Vol.4 Table 2-2) */
    if (cpu->cr4 & CR4_OSXSAVE)
        out[2] |= 1u << (X86_OSXSAVE % 32);
    out[3] = feature_word(CW_1_EDX);
}

/* Leaf 0xD: XSAVE state components x87 and SSE (SDM Vol.1 §13.2). */
static void leaf_xsave(uint32_t sub, uint32_t out[4])
{
    if (sub == 0) {
        out[0] = (uint32_t)XCR0_SUPPORTED;
        out[1] = XSAVE_AREA_SIZE;     /* legacy area + header for any enabled subset */
        out[2] = XSAVE_AREA_SIZE;
    }
}

/* Leaves 0x15/0x16: TSC = crystal * (TSC MHz / crystal MHz); the crystal
 * also clocks the APIC timer (LAPIC_TIMER_HZ). */
static void leaf_tsc(const cpu_t *cpu, uint32_t leaf, uint32_t out[4])
{
    uint32_t mhz = (uint32_t)(cpu_tsc_hz(cpu) / 1000000u);
    if (leaf == 0x15) {
        out[0] = (uint32_t)(LAPIC_TIMER_HZ / 1000000u);
        out[1] = mhz;
        out[2] = (uint32_t)LAPIC_TIMER_HZ;
    } else {
        out[0] = mhz;
        out[1] = mhz;
        out[2] = 100;
    }
}

static void basic_leaf(const cpu_t *cpu, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    switch (leaf) {
    case 0:
        out[0] = MAX_BASIC_LEAF;
        out[1] = chars("Genu");
        out[3] = chars("ineI");
        out[2] = chars("ntel");
        break;
    case 1: leaf_1(cpu, out); break;
    case 2: out[0] = 1; break;              /* one iteration, no descriptors */
    case 5:                                 /* MONITOR/MWAIT (SDM Vol.2A CPUID, Table 3-8) */
        if (cpu_monitor_enabled(cpu)) {
            out[0] = MONITOR_LINE;          /* smallest monitor-line size */
            out[1] = MONITOR_LINE;          /* largest */
            out[2] = MWAIT_ECX_EMX | MWAIT_ECX_IBE;
            out[3] = MWAIT_EDX_SUBSTATES;
        }
        break;
    case 7:
        if (sub == 0) {
            out[1] = feature_word(CW_7_EBX);
            out[2] = feature_word(CW_7_ECX);
            out[3] = feature_word(CW_7_EDX);
        }
        break;
    case 0xd: leaf_xsave(sub, out); break;
    case 0x15: case 0x16: leaf_tsc(cpu, leaf, out); break;
    default: break;                         /* caches, topology, power: none reported */
    }
}

static void ext_leaf(uint32_t leaf, uint32_t out[4])
{
    switch (leaf) {
    case 0x80000000: out[0] = MAX_EXT_LEAF; break;
    case 0x80000001:
        out[2] = feature_word(CW_81_ECX);
        out[3] = feature_word(CW_81_EDX);
        break;
    case 0x80000002: case 0x80000003: case 0x80000004: leaf_brand(leaf, out); break;
    case 0x80000007: out[3] = feature_word(CW_87_EDX); break;
    case 0x80000008: out[0] = ADDR_SIZES; break;
    default: break;
    }
}

void cpuid_query(cpu_t *cpu, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    memset(out, 0, 4 * sizeof out[0]);
    if (leaf >= 0x40000000u && leaf < 0x50000000u)
        return;                             /* hypervisor leaves: the Xen model's */
    if (leaf >= 0x80000000u && leaf <= MAX_EXT_LEAF) {
        ext_leaf(leaf, out);
        return;
    }
    /* Beyond the maximum: the highest basic leaf's data (SDM Vol.2 CPUID). */
    if (leaf > MAX_BASIC_LEAF)
        leaf = MAX_BASIC_LEAF;
    basic_leaf(cpu, leaf, sub, out);
}

void insn_cpuid(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    uint32_t out[4];
    if (vmx_nonroot(cpu))
        vmx_intercept(cpu, VEV_CPUID, 0);     /* unconditional VM exit (SDM Vol.3C §26.1.2) */
    cpuid_query(cpu, (uint32_t)cpu->r[R_RAX], (uint32_t)cpu->r[R_RCX], out);
    cpu->r[R_RAX] = out[0];
    cpu->r[R_RBX] = out[1];
    cpu->r[R_RCX] = out[2];
    cpu->r[R_RDX] = out[3];
}
