/* x87 data transfer: FLD FST FSTP (register, m32fp, m64fp, m80fp), FILD
 * FIST FISTP FISTTP (m16int, m32int, m64int), FBLD FBSTP (m80bcd), FXCH,
 * FCMOVcc and the constants FLD1 FLDL2T FLDL2E FLDPI FLDLG2 FLDLN2 FLDZ
 * (SDM Vol.2 instruction pages, Vol.1 §8.3.3, §8.3.8). Stores write
 * memory before any register or status change, so a fault leaves the
 * FPU as it was. */
#include "x87.h"

/* ---- loads: push a value ---- */

/* Push the value produced by load (when the stack has room), or the
 * overflow response. */
static void push_result(cpu_t *cpu, const insn_t *in, sf_status *s, sf_f80 v, bool mem, uint64_t ea)
{
    x87_deliver_push(cpu, v, s);
    if (mem)
        x87_retire_mem_s(cpu, in, s, ea);
    else
        x87_retire_s(cpu, in, s);
}

/* FLD ST(i): the value is read before the push; no exceptions but the
 * stack faults. */
void x87_fld_sti(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    sf_status s = x87_status(cpu);
    sf_f80 v = sf_f80_default_nan();
    if (!x87_underflow1(cpu, in->rm, &s) && !x87_overflow(cpu, &s))
        v = x87_get(cpu, in->rm);
    push_result(cpu, in, &s, v, false, 0);
}

/* FLD m32fp/m64fp: exact; DE for a denormal, IE for an SNaN (quieted).
 * Only an unmasked IE stops the load: with DE unmasked the host still
 * pushes the value (and DE is pending). */
static void fld_converted(cpu_t *cpu, const insn_t *in, sf_status *s, sf_f80 v, uint64_t ea)
{
    x87_set_c1(cpu, s->c1);
    if (!x87_stops(cpu, s->flags, SW_IE))
        x87_push(cpu, v);
    x87_signal(cpu, s->flags);
    x87_retire_mem_s(cpu, in, s, ea);
}

void x87_fld_m32(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    uint64_t ea = insn_ea(cpu, in);
    uint32_t m = mmu_read32(cpu, in->seg, ea);
    sf_status s = x87_status(cpu);
    sf_f80 v = sf_f80_default_nan();
    if (!x87_overflow(cpu, &s))
        v = sf_f32_to_f80(&s, m);
    fld_converted(cpu, in, &s, v, ea);
}

void x87_fld_m64(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    uint64_t ea = insn_ea(cpu, in);
    uint64_t m = mmu_read64(cpu, in->seg, ea);
    sf_status s = x87_status(cpu);
    sf_f80 v = sf_f80_default_nan();
    if (!x87_overflow(cpu, &s))
        v = sf_f64_to_f80(&s, m);
    fld_converted(cpu, in, &s, v, ea);
}

/* FLD m80fp: the bits as they are, SNaNs included. */
void x87_fld_m80(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    uint64_t ea = insn_ea(cpu, in);
    sf_f80 m = x87_read_m80(cpu, in, ea);
    sf_status s = x87_status(cpu);
    sf_f80 v = sf_f80_default_nan();
    if (!x87_overflow(cpu, &s))
        v = m;
    push_result(cpu, in, &s, v, true, ea);
}

static void fild(cpu_t *cpu, const insn_t *in, int64_t m, uint64_t ea)
{
    sf_status s = x87_status(cpu);
    sf_f80 v = sf_f80_default_nan();
    if (!x87_overflow(cpu, &s))
        v = sf_i64_to_f80(m);
    push_result(cpu, in, &s, v, true, ea);
}

void x87_fild_m16(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    uint64_t ea = insn_ea(cpu, in);
    fild(cpu, in, (int16_t)mmu_read16(cpu, in->seg, ea), ea);
}

void x87_fild_m32(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    uint64_t ea = insn_ea(cpu, in);
    fild(cpu, in, (int32_t)mmu_read32(cpu, in->seg, ea), ea);
}

void x87_fild_m64(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    uint64_t ea = insn_ea(cpu, in);
    fild(cpu, in, (int64_t)mmu_read64(cpu, in->seg, ea), ea);
}

/* FBLD: 18 BCD digits, exact; no exceptions (invalid digits give an
 * undefined value, SDM Vol.2 FBLD). */
void x87_fbld(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    uint64_t ea = insn_ea(cpu, in);
    uint8_t b[10];
    x87_read_10(cpu, in, ea, b);
    sf_status s = x87_status(cpu);
    sf_f80 v = sf_f80_default_nan();
    if (!x87_overflow(cpu, &s))
        v = sf_bcd_to_f80(b);
    push_result(cpu, in, &s, v, true, ea);
}

/* FLD1 FLDL2T FLDL2E FLDPI FLDLG2 FLDLN2 FLDZ (D9 E8-EE): the irrational
 * ones rounded from 66 bits by FCW.RC (SDM Vol.1 §8.3.8); C1 = 0. */
void x87_fld_const(cpu_t *cpu, const insn_t *in)
{
    static const int which[5] = { SF_CONST_L2T, SF_CONST_L2E, SF_CONST_PI, SF_CONST_LG2, SF_CONST_LN2 };
    x87_wait(cpu);
    sf_status s = x87_status(cpu);
    sf_f80 v = sf_f80_default_nan();
    if (!x87_overflow(cpu, &s)) {
        if (in->aux == 0)
            v = sf_f80_make(0x3fff, 1ull << 63);
        else if (in->aux == 6)
            v = sf_f80_make(0, 0);
        else
            v = sf_f80_const(&s, which[in->aux - 1]);
        s.c1 = false;
    }
    push_result(cpu, in, &s, v, false, 0);
}

/* ---- stores ---- */

/* FST/FSTP ST(i) (aux 1 pops): a copy, no exceptions but underflow. */
void x87_fst_sti(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    sf_status s = x87_status(cpu);
    sf_f80 v = sf_f80_default_nan();
    if (!x87_underflow1(cpu, 0, &s))
        v = x87_get(cpu, 0);
    if (x87_deliver(cpu, in->rm, v, &s) && in->aux)
        x87_pop(cpu);
    x87_retire_s(cpu, in, &s);
}

/* D9 D8-DF (FSTP1 in old tables, "FSTPNCE" in Capstone): as FSTP ST(i)
 * when ST(0) holds a value; with ST(0) empty the host signals nothing,
 * writes nothing, clears C1 and pops. */
void x87_fstp_nce(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    if (!x87_empty(cpu, 0))
        x87_put(cpu, in->rm, x87_get(cpu, 0));
    x87_set_c1(cpu, false);
    x87_pop(cpu);
    x87_retire(cpu, in, false);
}

/* After a memory store (or its suppression): C1, flags, pop. */
static void store_finish(cpu_t *cpu, const insn_t *in, const sf_status *s, bool stored, bool pop, uint64_t ea)
{
    x87_set_c1(cpu, s->c1);
    x87_signal(cpu, s->flags);
    if (stored && pop)
        x87_pop(cpu);
    x87_retire_mem_s(cpu, in, s, ea);
}

/* FST/FSTP m32fp (aux 1 pops): rounded by RC; an unmasked IE, OE or UE
 * stores nothing (softfloat.h). */
void x87_fst_m32(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    uint64_t ea = insn_ea(cpu, in);
    sf_status s = x87_status(cpu);
    uint32_t v = SF_F32_DEFAULT_NAN;
    if (!x87_underflow1(cpu, 0, &s))
        v = sf_f80_to_f32(&s, x87_get(cpu, 0));
    bool store = !x87_stops(cpu, s.flags, SW_STOP_MEM);
    if (store)
        mmu_write32(cpu, in->seg, ea, v);
    store_finish(cpu, in, &s, store, in->aux, ea);
}

void x87_fst_m64(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    uint64_t ea = insn_ea(cpu, in);
    sf_status s = x87_status(cpu);
    uint64_t v = SF_F64_DEFAULT_NAN;
    if (!x87_underflow1(cpu, 0, &s))
        v = sf_f80_to_f64(&s, x87_get(cpu, 0));
    bool store = !x87_stops(cpu, s.flags, SW_STOP_MEM);
    if (store)
        mmu_write64(cpu, in->seg, ea, v);
    store_finish(cpu, in, &s, store, in->aux, ea);
}

/* FSTP m80fp: the bits as they are. */
void x87_fstp_m80(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    uint64_t ea = insn_ea(cpu, in);
    sf_status s = x87_status(cpu);
    sf_f80 v = sf_f80_default_nan();
    if (!x87_underflow1(cpu, 0, &s))
        v = x87_get(cpu, 0);
    bool store = !x87_stops(cpu, s.flags, SW_STOP);
    if (store)
        x87_write_m80(cpu, in, ea, v);
    store_finish(cpu, in, &s, store, true, ea);
}

/* FIST/FISTP (RC) and FISTTP (truncating): out of range, NaN or
 * unsupported gives IE and the integer indefinite; unmasked IE stores
 * nothing. */
void x87_fist_m16(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    uint64_t ea = insn_ea(cpu, in);
    sf_status s = x87_status(cpu);
    int16_t v = INT16_MIN;
    if (!x87_underflow1(cpu, 0, &s))
        v = sf_f80_to_i16(&s, x87_get(cpu, 0), in->aux & IST_TRUNC);
    bool store = !x87_stops(cpu, s.flags, SW_STOP);
    if (store)
        mmu_write16(cpu, in->seg, ea, (uint16_t)v);
    store_finish(cpu, in, &s, store, in->aux & IST_POP, ea);
}

void x87_fist_m32(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    uint64_t ea = insn_ea(cpu, in);
    sf_status s = x87_status(cpu);
    int32_t v = INT32_MIN;
    if (!x87_underflow1(cpu, 0, &s))
        v = sf_f80_to_i32(&s, x87_get(cpu, 0), in->aux & IST_TRUNC);
    bool store = !x87_stops(cpu, s.flags, SW_STOP);
    if (store)
        mmu_write32(cpu, in->seg, ea, (uint32_t)v);
    store_finish(cpu, in, &s, store, in->aux & IST_POP, ea);
}

void x87_fist_m64(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    uint64_t ea = insn_ea(cpu, in);
    sf_status s = x87_status(cpu);
    int64_t v = INT64_MIN;
    if (!x87_underflow1(cpu, 0, &s))
        v = sf_f80_to_i64(&s, x87_get(cpu, 0), in->aux & IST_TRUNC);
    bool store = !x87_stops(cpu, s.flags, SW_STOP);
    if (store)
        mmu_write64(cpu, in->seg, ea, (uint64_t)v);
    store_finish(cpu, in, &s, store, in->aux & IST_POP, ea);
}

/* FBSTP: rounded by RC to 18 digits; the BCD indefinite on IE. */
void x87_fbstp(cpu_t *cpu, const insn_t *in)
{
    static const uint8_t bcd_indefinite[10] = { 0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff };
    x87_wait(cpu);
    uint64_t ea = insn_ea(cpu, in);
    sf_status s = x87_status(cpu);
    uint8_t b[10];
    __builtin_memcpy(b, bcd_indefinite, sizeof b);
    if (!x87_underflow1(cpu, 0, &s))
        sf_f80_to_bcd(&s, x87_get(cpu, 0), b);
    bool store = !x87_stops(cpu, s.flags, SW_STOP);
    if (store)
        x87_write_10(cpu, in, ea, b);
    store_finish(cpu, in, &s, store, true, ea);
}

/* ---- register moves ---- */

/* FXCH ST(i): an empty operand is an underflow; the masked response puts
 * the indefinite in the empty register(s) and exchanges (SDM Vol.2 FXCH). */
void x87_fxch(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    sf_status s = x87_status(cpu);
    if (x87_underflow2(cpu, 0, in->rm, &s) && x87_stops(cpu, s.flags, SW_STOP)) {
        x87_set_c1(cpu, false);
        x87_signal(cpu, s.flags);
        x87_retire_s(cpu, in, &s);
        return;
    }
    sf_f80 a = x87_empty(cpu, 0) ? sf_f80_default_nan() : x87_get(cpu, 0);
    sf_f80 b = x87_empty(cpu, in->rm) ? sf_f80_default_nan() : x87_get(cpu, in->rm);
    x87_put(cpu, 0, b);
    x87_put(cpu, in->rm, a);
    x87_set_c1(cpu, false);
    x87_signal(cpu, s.flags);
    x87_retire_s(cpu, in, &s);
}

/* FCMOVcc ST(0), ST(i): EFLAGS condition (aux, as in Jcc); the host
 * changes C1 only on a stack fault. */
void x87_fcmov(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    sf_status s = x87_status(cpu);
    if (x87_underflow2(cpu, 0, in->rm, &s))
        x87_deliver(cpu, 0, sf_f80_default_nan(), &s);
    else if (cc_cond(cpu, in->aux))
        x87_put(cpu, 0, x87_get(cpu, in->rm));
    x87_retire_s(cpu, in, &s);
}
