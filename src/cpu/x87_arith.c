/* x87 arithmetic: FADD FSUB FSUBR FMUL FDIV FDIVR in their register,
 * popping, m32fp/m64fp and m16int/m32int forms, and the one-operand
 * FCHS FABS FSQRT FRNDINT, plus FSCALE FXTRACT FPREM FPREM1 (SDM Vol.2
 * instruction pages, Vol.1 §8.3.5-8.3.9). */
#include "x87.h"

/* ST(d) = ST(a) op ST(b), popped afterwards when pop is set. */
static void arith_regs(cpu_t *cpu, const insn_t *in, unsigned a, unsigned b, bool pop)
{
    x87_wait(cpu);
    sf_status s = x87_status(cpu);
    sf_f80 r = sf_f80_default_nan();
    if (!x87_underflow2(cpu, a, b, &s))
        r = sf_f80_arith(&s, in->aux, x87_get(cpu, a), x87_get(cpu, b));
    if (x87_deliver(cpu, a, r, &s) && pop)
        x87_pop(cpu);
    x87_retire_s(cpu, in, &s);
}

/* D8 C0-FF: ST(0) = ST(0) op ST(i). */
void x87_arith_st0_sti(cpu_t *cpu, const insn_t *in)
{
    arith_regs(cpu, in, 0, in->rm, false);
}

/* DC C0-FF: ST(i) = ST(i) op ST(0); E0/E8 and F0/F8 swap SUB/SUBR and
 * DIV/DIVR compared with D8 (the selector's table does that). */
void x87_arith_sti_st0(cpu_t *cpu, const insn_t *in)
{
    arith_regs(cpu, in, in->rm, 0, false);
}

/* DE C0-FF: FADDP, FMULP, FSUBRP, FSUBP, FDIVRP, FDIVP. */
void x87_arith_sti_pop(cpu_t *cpu, const insn_t *in)
{
    arith_regs(cpu, in, in->rm, 0, true);
}

/* ST(0) = ST(0) op m: the memory operand is read first (a fault changes
 * nothing), then the result is delivered. */
static void arith_mem_finish(cpu_t *cpu, const insn_t *in, sf_status *s, sf_f80 r, uint64_t ea)
{
    x87_deliver(cpu, 0, r, s);
    x87_retire_mem_s(cpu, in, s, ea);
}

/* m32fp and m64fp are used in their own format (softfloat.h: DE and SNaN
 * rules of the memory operand). */
void x87_arith_m32(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    uint64_t ea = insn_ea(cpu, in);
    uint32_t m = mmu_read32(cpu, in->seg, ea);
    sf_status s = x87_status(cpu);
    sf_f80 r = sf_f80_default_nan();
    if (!x87_underflow1(cpu, 0, &s))
        r = sf_f80_arith_f32(&s, in->aux, x87_get(cpu, 0), m);
    arith_mem_finish(cpu, in, &s, r, ea);
}

void x87_arith_m64(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    uint64_t ea = insn_ea(cpu, in);
    uint64_t m = mmu_read64(cpu, in->seg, ea);
    sf_status s = x87_status(cpu);
    sf_f80 r = sf_f80_default_nan();
    if (!x87_underflow1(cpu, 0, &s))
        r = sf_f80_arith_f64(&s, in->aux, x87_get(cpu, 0), m);
    arith_mem_finish(cpu, in, &s, r, ea);
}

/* FIADD etc.: the integer converts exactly (SDM Vol.1 §8.3.4). */
static void arith_int(cpu_t *cpu, const insn_t *in, int64_t m, uint64_t ea)
{
    sf_status s = x87_status(cpu);
    sf_f80 r = sf_f80_default_nan();
    if (!x87_underflow1(cpu, 0, &s))
        r = sf_f80_arith(&s, in->aux, x87_get(cpu, 0), sf_i64_to_f80(m));
    arith_mem_finish(cpu, in, &s, r, ea);
}

void x87_arith_m16i(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    uint64_t ea = insn_ea(cpu, in);
    arith_int(cpu, in, (int16_t)mmu_read16(cpu, in->seg, ea), ea);
}

void x87_arith_m32i(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    uint64_t ea = insn_ea(cpu, in);
    arith_int(cpu, in, (int32_t)mmu_read32(cpu, in->seg, ea), ea);
}

/* ---- one operand: ST(0) = f(ST(0)) ---- */

/* FCHS, FABS: sign bit only, no exceptions but the stack fault; C1 = 0. */
static void sign_op(cpu_t *cpu, const insn_t *in, uint16_t and_mask, uint16_t xor_mask)
{
    x87_wait(cpu);
    sf_status s = x87_status(cpu);
    sf_f80 r = sf_f80_default_nan();
    if (!x87_underflow1(cpu, 0, &s)) {
        r = x87_get(cpu, 0);
        r.se = (uint16_t)((r.se & and_mask) ^ xor_mask);
    }
    x87_deliver(cpu, 0, r, &s);
    x87_retire_s(cpu, in, &s);
}

void x87_fchs(cpu_t *cpu, const insn_t *in)
{
    sign_op(cpu, in, 0xffff, 0x8000);
}

void x87_fabs(cpu_t *cpu, const insn_t *in)
{
    sign_op(cpu, in, 0x7fff, 0);
}

static void unary(cpu_t *cpu, const insn_t *in, sf_f80 (*op)(sf_status *, sf_f80))
{
    x87_wait(cpu);
    sf_status s = x87_status(cpu);
    sf_f80 r = sf_f80_default_nan();
    if (!x87_underflow1(cpu, 0, &s))
        r = op(&s, x87_get(cpu, 0));
    x87_deliver(cpu, 0, r, &s);
    x87_retire_s(cpu, in, &s);
}

void x87_fsqrt(cpu_t *cpu, const insn_t *in)
{
    unary(cpu, in, sf_f80_sqrt);
}

void x87_frndint(cpu_t *cpu, const insn_t *in)
{
    unary(cpu, in, sf_f80_round_int);
}

/* FSCALE: ST(0) = ST(0) * 2^trunc(ST(1)). */
void x87_fscale(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    sf_status s = x87_status(cpu);
    sf_f80 r = sf_f80_default_nan();
    if (!x87_underflow2(cpu, 0, 1, &s))
        r = sf_f80_scale(&s, x87_get(cpu, 0), x87_get(cpu, 1));
    x87_deliver(cpu, 0, r, &s);
    x87_retire_s(cpu, in, &s);
}

/* FXTRACT: ST(0) becomes the exponent, then the significand is pushed
 * (SDM Vol.2 FXTRACT). A full stack is an overflow before anything is
 * computed; the masked response leaves the indefinite in both places. */
void x87_fxtract(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    sf_status s = x87_status(cpu);
    sf_f80 sig = sf_f80_default_nan(), exp = sf_f80_default_nan();
    if (!x87_underflow1(cpu, 0, &s) && !x87_overflow(cpu, &s))
        sig = sf_f80_xtract(&s, x87_get(cpu, 0), &exp);
    if (x87_deliver(cpu, 0, exp, &s))
        x87_push(cpu, sig);
    x87_retire_s(cpu, in, &s);
}

/* Finite (denormal) x REM infinity is x itself (SDM Vol.2 FPREM Table
 * 3-30), without UE even when UE is unmasked: softfloat's sf_f80_rem
 * wraps a denormal x in that case, so the result is taken here. */
static bool rem_by_infinity(sf_f80 a, sf_f80 b)
{
    return (b.se & 0x7fff) == 0x7fff && b.sig == 1ull << 63 && (a.se & 0x7fff) != 0x7fff &&
           !sf_f80_is_unsupported(a);
}

/* FPREM (aux 0) and FPREM1 (aux 1): ST(0) = remainder of ST(0) / ST(1);
 * C2 = incomplete, else C0, C3, C1 = quotient bits 2, 1, 0. Without a
 * quotient (NaN result, stack fault, stopped) the host clears C2 and C1
 * and keeps C0 and C3. */
void x87_fprem(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    sf_status s = x87_status(cpu);
    sf_f80 r = sf_f80_default_nan();
    uint16_t cc = 0;
    if (!x87_underflow2(cpu, 0, 1, &s)) {
        sf_f80 a = x87_get(cpu, 0), b = x87_get(cpu, 1);
        r = sf_f80_rem(&s, a, b, in->aux != 0, &cc);
        if (rem_by_infinity(a, b)) {
            r = a;
            s.flags &= (uint8_t)~(SF_UE | SF_PE);
        }
    }
    if (x87_deliver(cpu, 0, r, &s) && !sf_f80_is_nan(r))
        x87_set_cc(cpu, SW_CC, cc);
    else
        x87_set_cc(cpu, SW_C2 | SW_C1, 0);
    x87_retire_s(cpu, in, &s);
}
