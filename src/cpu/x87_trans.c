/* x87 transcendental instructions: F2XM1 FYL2X FYL2XP1 FPATAN FPTAN FSIN
 * FCOS FSINCOS (SDM Vol.1 §8.3.10, Vol.2 instruction pages). The values
 * come from softfloat_trans.c, within 1 ulp of the hardware (which is not
 * correctly rounded either). */
#include "x87.h"

/* F2XM1: ST(0) = 2^ST(0) - 1. */
void x87_f2xm1(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    sf_status s = x87_status(cpu);
    sf_f80 r = sf_f80_default_nan();
    if (!x87_underflow1(cpu, 0, &s))
        r = sf_f80_f2xm1(&s, x87_get(cpu, 0));
    x87_deliver(cpu, 0, r, &s);
    x87_retire_s(cpu, in, &s);
}

/* The two-operand ones: ST(1) = f(ST(0), ST(1)), then pop. */
static void binary_pop(cpu_t *cpu, const insn_t *in, sf_f80 (*f)(sf_status *, sf_f80, sf_f80))
{
    x87_wait(cpu);
    sf_status s = x87_status(cpu);
    sf_f80 r = sf_f80_default_nan();
    if (!x87_underflow2(cpu, 0, 1, &s))
        r = f(&s, x87_get(cpu, 0), x87_get(cpu, 1));
    if (x87_deliver(cpu, 1, r, &s))
        x87_pop(cpu);
    x87_retire_s(cpu, in, &s);
}

/* FYL2X (aux 0): ST(1) * log2 ST(0); FYL2XP1 (aux 1): ST(1) * log2(ST(0) + 1). */
void x87_fyl2x(cpu_t *cpu, const insn_t *in)
{
    binary_pop(cpu, in, in->aux ? sf_f80_fyl2xp1 : sf_f80_fyl2x);
}

/* FPATAN: arctan(ST(1) / ST(0)). */
void x87_fpatan(cpu_t *cpu, const insn_t *in)
{
    binary_pop(cpu, in, sf_f80_fpatan);
}

/* FSIN (aux 0), FCOS (aux 1): C2 = 1 and ST(0) unchanged when
 * |ST(0)| >= 2^63 (SDM Vol.1 §8.3.10); C2 = 0 on any other outcome.
 * fcos_no_underflow: |cos x| is never tiny for an x87 argument, but
 * sf_f80_fcos raises UE for a denormal x (result 1.0); the host does not,
 * so UE is dropped here. */
void x87_fsin(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    sf_status s = x87_status(cpu);
    sf_f80 r = sf_f80_default_nan();
    bool c2 = false;
    if (!x87_underflow1(cpu, 0, &s)) {
        if (in->aux) {
            r = sf_f80_fcos(&s, x87_get(cpu, 0), &c2);
            s.flags &= (uint8_t)~SF_UE;     /* see fcos_no_underflow */
        } else {
            r = sf_f80_fsin(&s, x87_get(cpu, 0), &c2);
        }
    }
    x87_set_cc(cpu, SW_C2, c2 ? SW_C2 : 0);
    x87_deliver(cpu, 0, r, &s);
    x87_retire_s(cpu, in, &s);
}

/* FPTAN: ST(0) = tan ST(0), then 1.0 is pushed (a NaN result is pushed
 * instead, as on the host); out of range: C2 = 1, nothing changes. The
 * push needs room before anything is computed. */
void x87_fptan(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    sf_status s = x87_status(cpu);
    sf_f80 r = sf_f80_default_nan();
    bool c2 = false;
    if (!x87_underflow1(cpu, 0, &s) && !x87_overflow(cpu, &s))
        r = sf_f80_fptan(&s, x87_get(cpu, 0), &c2);
    x87_set_cc(cpu, SW_C2, c2 ? SW_C2 : 0);
    if (x87_deliver(cpu, 0, r, &s) && !c2)
        x87_push(cpu, sf_f80_is_nan(r) ? r : sf_f80_make(0x3fff, 1ull << 63));
    x87_retire_s(cpu, in, &s);
}

/* FSINCOS: ST(0) = sin, then cos is pushed; out of range as FPTAN. */
void x87_fsincos(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    sf_status s = x87_status(cpu);
    sf_f80 sn = sf_f80_default_nan(), cs = sf_f80_default_nan();
    bool c2 = false;
    if (!x87_underflow1(cpu, 0, &s) && !x87_overflow(cpu, &s))
        sn = sf_f80_fsincos(&s, x87_get(cpu, 0), &cs, &c2);
    x87_set_cc(cpu, SW_C2, c2 ? SW_C2 : 0);
    if (x87_deliver(cpu, 0, sn, &s) && !c2)
        x87_push(cpu, cs);
    x87_retire_s(cpu, in, &s);
}
