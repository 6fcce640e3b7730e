/* EMMS, the end of an MMX code sequence (SDM Vol.2 EMMS, Vol.1 §9.6.3).
 * The MMX register and transition helpers every MMX handler uses are in
 * simd.h. */
#include "simd.h"

/* All x87 tags empty (11b each in the full tag word). The host also sets
 * TOP to 0, as every MMX instruction does. */
static void h_emms(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    mmx_begin(cpu);
    cpu->fpu.ftw = 0xffff;
}

void sel_mmx_emms(dctx_t *d, insn_t *in)
{
    if (in->pfx != PFX_NONE)
        return;
    in->fn = h_emms;
    simd_guard(d, in, SC_MMX);
}
