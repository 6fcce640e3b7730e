/* Private helpers of the SSE floating-point files (sse_fp.c,
 * sse_fp_approx.c): the MXCSR status for the software floating-point
 * library, exception reporting, and the XMM handler generator. */
#ifndef XENEMU_CPU_SSE_FP_H
#define XENEMU_CPU_SSE_FP_H

#include "xenemu/softfloat.h"

#include "simd.h"

/* #XM, or #UD without CR4.OSXMMEXCPT (SDM Vol.1 §11.5.2, Vol.3A Table
 * 13-1). Never returns. */
_Noreturn void fp_trap(cpu_t *cpu);
/* Record flags in MXCSR, faulting on unmasked ones (SDM Vol.1 §11.5.2). */
void fp_commit_slow(cpu_t *cpu, unsigned flags, unsigned masks);

SIMD_INLINE void fp_status(const cpu_t *cpu, sf_status *s)
{
    sf_status_from_mxcsr(s, cpu->mxcsr);
    s->flags = 0;
    s->c1 = false;
}

/* After all elements are computed, before the destination is written. */
SIMD_INLINE void fp_commit(cpu_t *cpu, const sf_status *s)
{
    if (__builtin_expect(s->flags == 0, 1))
        return;
    if (!(s->flags & ~s->masks & SF_ALL))
        cpu->mxcsr |= s->flags;
    else
        fp_commit_slow(cpu, s->flags, s->masks);
}

/* Handlers per mandatory prefix (none/PS, 66/PD, F3/SS, F2/SD) and
 * {register, memory} form; NULL is undefined. */
typedef struct fp_forms {
    insn_fn f[4][2];
} fp_forms_t;

#define FP_PAIR(NAME) { NAME##_xx, NAME##_xm }

/* NAME##_exec(cpu, in, b) with b the source register or the memory operand
 * loaded by SIMD_LD_##LD. */
#define FP_XFORMS(NAME, LD)                                                        \
    static void NAME##_xx(cpu_t *cpu, const insn_t *in)                            \
    {                                                                              \
        NAME##_exec(cpu, in, &cpu->xmm[in->rm]);                                   \
    }                                                                              \
    static void NAME##_xm(cpu_t *cpu, const insn_t *in)                            \
    {                                                                              \
        xmm_t b;                                                                   \
        SIMD_LD_##LD(cpu, in, &b);                                                 \
        NAME##_exec(cpu, in, &b);                                                  \
    }

/* ROUNDPS/PD/SS/SD element operations (a unused). */
SIMD_INLINE uint32_t round32(sf_status *s, uint32_t a, uint32_t b, unsigned imm)
{
    (void)a;
    return sf_f32_round_int(s, b, imm & 0xf);
}

SIMD_INLINE uint64_t round64(sf_status *s, uint64_t a, uint64_t b, unsigned imm)
{
    (void)a;
    return sf_f64_round_int(s, b, imm & 0xf);
}

/* sse_fp_approx.c: 0F 52 RSQRTPS/SS, 0F 53 RCPPS/SS. */
void sel_sse_fp_approx(dctx_t *d, insn_t *in);
/* RCPSS/RSQRTSS of one element (for tests). */
uint32_t sse_rcp32(uint32_t x);
uint32_t sse_rsqrt32(uint32_t x);

#endif
