/* x87 comparisons: FCOM FCOMP FCOMPP FUCOM FUCOMP FUCOMPP FICOM FICOMP
 * (condition codes C3 C2 C0), FCOMI FCOMIP FUCOMI FUCOMIP (ZF PF CF),
 * FTST and FXAM (SDM Vol.2 instruction pages, Vol.1 §8.3.6, §8.1.3.2). */
#include "x87.h"

/* C3 C2 C0 by result (SDM Vol.2 FCOM Table 3-21): >, <, =, unordered. */
static uint16_t cmp_cc(sf_cmp c)
{
    static const uint16_t cc[4] = {
        [SF_CMP_LESS] = SW_C0, [SF_CMP_EQUAL] = SW_C3,
        [SF_CMP_GREATER] = 0, [SF_CMP_UNORDERED] = SW_C3 | SW_C2 | SW_C0,
    };
    return cc[c];
}

/* ZF PF CF by result (SDM Vol.2 FCOMI Table 3-22). */
static uint32_t cmp_eflags(sf_cmp c)
{
    static const uint32_t fl[4] = {
        [SF_CMP_LESS] = F_CF, [SF_CMP_EQUAL] = F_ZF,
        [SF_CMP_GREATER] = 0, [SF_CMP_UNORDERED] = F_ZF | F_PF | F_CF,
    };
    return fl[c];
}

/* Finish a comparison with condition codes: C1 = 0 and C3 C2 C0 set even
 * when an unmasked IE or DE stops the pops (as on the host). */
static void cmp_finish(cpu_t *cpu, const insn_t *in, const sf_status *s, sf_cmp c)
{
    x87_set_cc(cpu, SW_CC, cmp_cc(c));
    if (!x87_stops(cpu, s->flags, SW_STOP)) {
        if (in->aux & (CMP_POP | CMP_POP2))
            x87_pop(cpu);
        if (in->aux & CMP_POP2)
            x87_pop(cpu);
    }
    x87_signal(cpu, s->flags);
}

/* FCOM/FCOMP ST(i), FCOMPP (ST(1)), FUCOM/FUCOMP ST(i), FUCOMPP. */
void x87_fcom_sti(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    unsigned i = (in->aux & CMP_POP2) ? 1 : in->rm;
    sf_status s = x87_status(cpu);
    sf_cmp c = SF_CMP_UNORDERED;
    if (!x87_underflow2(cpu, 0, i, &s))
        c = sf_f80_compare(&s, x87_get(cpu, 0), x87_get(cpu, i), !(in->aux & CMP_UNORD));
    cmp_finish(cpu, in, &s, c);
    x87_retire_s(cpu, in, &s);
}

void x87_fcom_m32(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    uint64_t ea = insn_ea(cpu, in);
    uint32_t m = mmu_read32(cpu, in->seg, ea);
    sf_status s = x87_status(cpu);
    sf_cmp c = SF_CMP_UNORDERED;
    if (!x87_underflow1(cpu, 0, &s))
        c = sf_f80_compare_f32(&s, x87_get(cpu, 0), m, true);
    cmp_finish(cpu, in, &s, c);
    x87_retire_mem_s(cpu, in, &s, ea);
}

void x87_fcom_m64(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    uint64_t ea = insn_ea(cpu, in);
    uint64_t m = mmu_read64(cpu, in->seg, ea);
    sf_status s = x87_status(cpu);
    sf_cmp c = SF_CMP_UNORDERED;
    if (!x87_underflow1(cpu, 0, &s))
        c = sf_f80_compare_f64(&s, x87_get(cpu, 0), m, true);
    cmp_finish(cpu, in, &s, c);
    x87_retire_mem_s(cpu, in, &s, ea);
}

/* FICOM/FICOMP: the integer converts exactly. */
static void ficom(cpu_t *cpu, const insn_t *in, int64_t m, uint64_t ea)
{
    sf_status s = x87_status(cpu);
    sf_cmp c = SF_CMP_UNORDERED;
    if (!x87_underflow1(cpu, 0, &s))
        c = sf_f80_compare(&s, x87_get(cpu, 0), sf_i64_to_f80(m), true);
    cmp_finish(cpu, in, &s, c);
    x87_retire_mem_s(cpu, in, &s, ea);
}

void x87_ficom_m16(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    uint64_t ea = insn_ea(cpu, in);
    ficom(cpu, in, (int16_t)mmu_read16(cpu, in->seg, ea), ea);
}

void x87_ficom_m32(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    uint64_t ea = insn_ea(cpu, in);
    ficom(cpu, in, (int32_t)mmu_read32(cpu, in->seg, ea), ea);
}

/* FCOMI/FCOMIP/FUCOMI/FUCOMIP ST(0), ST(i): ZF PF CF from the result,
 * OF SF AF cleared, even when an unmasked IE stops the pop; the host
 * leaves C1 alone except on a stack fault. */
void x87_fcomi(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    sf_status s = x87_status(cpu);
    sf_cmp c = SF_CMP_UNORDERED;
    if (!x87_underflow2(cpu, 0, in->rm, &s))
        c = sf_f80_compare(&s, x87_get(cpu, 0), x87_get(cpu, in->rm), !(in->aux & CMP_UNORD));
    if (s.flags & SW_SF)
        x87_set_c1(cpu, false);
    cc_write(cpu, F_ARITH, cmp_eflags(c));
    if ((in->aux & CMP_POP) && !x87_stops(cpu, s.flags, SW_STOP))
        x87_pop(cpu);
    x87_signal(cpu, s.flags);
    x87_retire_s(cpu, in, &s);
}

/* FTST: compare ST(0) with +0.0, as FCOM does. */
void x87_ftst(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    sf_status s = x87_status(cpu);
    sf_cmp c = SF_CMP_UNORDERED;
    if (!x87_underflow1(cpu, 0, &s))
        c = sf_f80_compare(&s, x87_get(cpu, 0), sf_f80_make(0, 0), true);
    cmp_finish(cpu, in, &s, c);
    x87_retire_s(cpu, in, &s);
}

/* FXAM: the class of ST(0) in C3 C2 C0 and its sign in C1 (SDM Vol.2
 * FXAM Table 3-45); an empty register is 101b; no exceptions. */
void x87_fxam(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    sf_f80 v = x87_get(cpu, 0);
    uint16_t cc;
    if (x87_empty(cpu, 0))
        cc = (uint16_t)(SW_C3 | SW_C0 | ((v.se & 0x8000) ? SW_C1 : 0));
    else
        cc = sf_f80_fxam(v);
    x87_set_cc(cpu, SW_CC, cc);
    x87_retire(cpu, in, false);
}
