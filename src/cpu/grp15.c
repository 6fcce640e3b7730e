/* Group 15, 0F AE (SDM Vol.2 Table A-6): FXSAVE, FXRSTOR, LDMXCSR,
 * STMXCSR, XSAVE, XRSTOR and CLFLUSH with a memory operand; LFENCE,
 * MFENCE, SFENCE with a register form. Every form takes no mandatory
 * prefix here: XSAVEOPT, CLWB, CLFLUSHOPT, PTWRITE, RDFSBASE and the other
 * prefixed forms are not in this CPU's CPUID and raise #UD, as 66/F2/F3
 * with the legacy forms do on the host. */
#include "simd.h"

/* CLFLUSH: nothing is cached, but the operand is checked like a one-byte
 * read (segment, canonical form and paging faults). */
static void h_clflush(cpu_t *cpu, const insn_t *in)
{
    uint64_t lin = mmu_linear(cpu, in->seg, insn_ea(cpu, in), 1, ACC_READ);
    mmu_translate(cpu, lin, ACC_READ);
}

/* Fences order nothing for a sequential interpreter whose vCPUs take
 * turns. */
static void h_fence(cpu_t *cpu, const insn_t *in)
{
    (void)cpu;
    (void)in;
}

void sel_grp15(dctx_t *d, insn_t *in)
{
    in->fn = insn_ud;
    if (in->pfx != PFX_NONE)
        return;
    if (!(in->flags & INF_MEM)) {
        if (d->regf >= 5)
            in->fn = h_fence;   /* LFENCE, MFENCE, SFENCE */
        return;
    }
    switch (d->regf) {
    case 0: case 1: simd_sel_fxsave(d, in); break;
    case 2: case 3: simd_sel_mxcsr(d, in); break;
    case 4: case 5: simd_sel_xsave(d, in); break;
    case 7: in->fn = h_clflush; break;
    default: break;
    }
}
