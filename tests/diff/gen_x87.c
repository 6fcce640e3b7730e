/* x87 FPU instruction forms of 64-bit mode (SDM Vol.2 Appendix A.4):
 * every escape opcode in its register and memory forms, the aliases the
 * host executes, the undefined encodings, and WAIT. Names are
 * "x87/<mnemonic>_<operand>" (--filter 'x87/ *' without the space).
 *
 * Every case reshapes the random x87 state: stacks that are partly full
 * (so both underflow and overflow happen), unmasked exceptions, now and
 * then an exception already pending (#MF on a waiting instruction), and
 * operands shaped for the form (integers for FIST, exponent gaps for
 * FPREM, arguments in the transcendentals' domains). Transcendental
 * forms carry F_FPTOL: results within 1 ulp, C1 not compared. */
#include "gen.h"

#include <string.h>

/* ---- form arguments: memory operand type and operand shape ---- */

enum {
    M_NONE, M_F32, M_F64, M_F80, M_I16, M_I32, M_I64, M_BCD, M_CW, M_ENV, M_SAVE,
};
enum {
    SH_ANY, SH_INT, SH_SCALE, SH_REM, SH_TRIG, SH_LOG, SH_LOGP1, SH_F2XM1, SH_ATAN,
};
#define ARG(m, sh) ((m) | (sh) << 8)
#define ARG_MEM(g) ((unsigned)(g)->f->arg & 0xFF)
#define ARG_SHAPE(g) ((unsigned)(g)->f->arg >> 8)

/* FSW/FCW bits (SDM Vol.1 §8.1.3, §8.1.5). */
#define SW_ES 0x0080u
#define SW_B 0x8000u
#define SW_EXC 0x003Fu

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }

/* ---- values ---- */

struct f80 {
    uint64_t sig;
    uint16_t se;
};

/* A significand with the integer bit, often with few significant bits so
 * that exact and inexact results both occur. */
static uint64_t norm_sig(struct gen *g)
{
    uint64_t s = rnd(g) | 1ULL << 63;
    switch (rndn(g, 4)) {
    case 0: s &= ~0ULL << (40 + rndn(g, 24)); break;
    case 1: s &= ~0ULL << rndn(g, 40); break;
    default: break;
    }
    return s | 1ULL << 63;
}

static uint16_t sign_bit(struct gen *g)
{
    return chance(g, 50) ? 0x8000 : 0;
}

/* Any class of double-extended value, encodings the x87 rejects included
 * (SDM Vol.1 §8.2.2, Table 8-3). */
static struct f80 any_f80(struct gen *g)
{
    struct f80 v = { norm_sig(g), (uint16_t)(sign_bit(g) | (0x3FFF - 70 + rndn(g, 140))) };
    uint16_t s = v.se & 0x8000;
    switch (rndn(g, 22)) {
    case 0: v.sig = 0; v.se = s; break;                                          /* zero */
    case 1: v.sig = 1ULL << 63; v.se = s | 0x7FFF; break;                        /* infinity */
    case 2: v.sig = rnd(g) | 3ULL << 62; v.se = s | 0x7FFF; break;              /* QNaN */
    case 3: v.sig = ((rnd(g) | 1) & ~(1ULL << 62)) | 1ULL << 63; v.se = s | 0x7FFF; break; /* SNaN */
    case 4: v.sig = rnd(g) >> (1 + rndn(g, 63)); v.se = s; break;                /* denormal */
    case 5: v.sig = rnd(g) | 1ULL << 63; v.se = s; break;                        /* pseudo-denormal */
    case 6: v.sig &= ~(1ULL << 63); break;                                       /* unnormal */
    case 7: v.sig = rnd(g) & ~(1ULL << 63); v.se = s | 0x7FFF; break;            /* pseudo-NaN/infinity */
    case 8: v.se = (uint16_t)(s | (0x3FFF + rndn(g, 20))); v.sig &= ~0ULL << 44; break; /* small integer */
    case 9: case 12: case 13:                                                    /* extremes */
        v.se = (uint16_t)(s | (rndn(g, 2) ? 1 + rndn(g, 80) : 0x7FFE - rndn(g, 80)));
        break;
    case 10: v.se = (uint16_t)(s | rndn(g, 0x7FFF)); break;                      /* any exponent */
    case 11: v.sig = rnd(g); v.se = 0xFFFF; break;                               /* written by MMX */
    default: break;
    }
    return v;
}

/* Integers and halves around the limits of m16/m32/m64 and BCD. */
static struct f80 int_f80(struct gen *g)
{
    static const unsigned widths[] = { 15, 16, 31, 32, 59, 60, 63, 64 };
    struct f80 v;
    unsigned e = chance(g, 50) ? widths[rndn(g, 8)] - 1 + (unsigned)rndn(g, 3) - 1 : (unsigned)rndn(g, 66);
    v.se = (uint16_t)(sign_bit(g) | (0x3FFF + e));
    v.sig = rnd(g) | 1ULL << 63;
    if (e < 63 && chance(g, 60)) {
        unsigned frac = 63 - e;                         /* bits below the binary point */
        v.sig &= ~0ULL << frac;
        if (chance(g, 50))
            v.sig |= 1ULL << (frac - 1);                /* exactly .5 */
        else if (chance(g, 30))
            v.sig |= 1ULL << (frac - 1 - rndn(g, frac)); /* a little above */
    }
    if (chance(g, 10)) {                               /* 10^18 - 1 and friends */
        v.se = (uint16_t)((v.se & 0x8000) | (0x3FFF + 59));
        v.sig = 0xDE0B6B3A763FFFFULL << 4;
        v.sig += (uint64_t)(int64_t)((int)rndn(g, 5) - 2) << 4;
    }
    return v;
}

static struct f80 exp_range(struct gen *g, int lo, int hi)
{
    struct f80 v = { norm_sig(g), (uint16_t)(sign_bit(g) | (uint16_t)(0x3FFF + lo + (int)rndn(g, (uint64_t)(hi - lo + 1)))) };
    return v;
}

/* ST(0) and ST(1) for one form's shape. */
static void shaped_pair(struct gen *g, unsigned shape, struct f80 *st0, struct f80 *st1)
{
    *st0 = any_f80(g);
    *st1 = any_f80(g);
    switch (shape) {
    case SH_INT:
        *st0 = int_f80(g);
        break;
    case SH_SCALE:
        *st0 = chance(g, 70) ? exp_range(g, -70, 70) : any_f80(g);
        *st1 = chance(g, 50) ? int_f80(g) : exp_range(g, -3, 16);
        if (chance(g, 30))
            st1->se = (uint16_t)((st1->se & 0x8000) | (0x3FFF + rndn(g, 15)));
        break;
    case SH_REM: {
        *st1 = exp_range(g, -20, 20);
        int d = chance(g, 70) ? (int)rndn(g, 70) : (int)rndn(g, 200) - 100;
        *st0 = exp_range(g, 0, 0);
        st0->se = (uint16_t)((st0->se & 0x8000) | ((st1->se & 0x7FFF) + d));
        break;
    }
    case SH_TRIG:
        *st0 = chance(g, 80) ? exp_range(g, -70, 66) : any_f80(g);
        if (chance(g, 10)) {                           /* near multiples of pi/2 */
            st0->se = (uint16_t)((st0->se & 0x8000) | (0x3FFF + rndn(g, 6)));
            st0->sig = 0xC90FDAA22168C235ULL + rndn(g, 16) - 8;
        }
        break;
    case SH_LOG:
        *st0 = chance(g, 80) ? exp_range(g, -40, 40) : any_f80(g);
        if (chance(g, 80))
            st0->se &= 0x7FFF;
        if (chance(g, 20)) {                           /* just around 1 */
            st0->se = (uint16_t)(0x3FFE + rndn(g, 2));
            st0->sig = st0->se == 0x3FFE ? ~0ULL - rndn(g, 1000) : (1ULL << 63) + rndn(g, 1000);
        }
        *st1 = chance(g, 80) ? exp_range(g, -20, 20) : any_f80(g);
        break;
    case SH_LOGP1:
        *st0 = chance(g, 80) ? exp_range(g, -70, -2) : any_f80(g);
        *st1 = chance(g, 80) ? exp_range(g, -20, 20) : any_f80(g);
        break;
    case SH_F2XM1:
        *st0 = chance(g, 85) ? exp_range(g, -70, -1) : any_f80(g);
        if (chance(g, 5)) {
            st0->se = (uint16_t)(sign_bit(g) | 0x3FFF);
            st0->sig = 1ULL << 63;
        }
        break;
    case SH_ATAN:
        *st0 = chance(g, 80) ? exp_range(g, -40, 40) : any_f80(g);
        *st1 = chance(g, 80) ? exp_range(g, -40, 40) : any_f80(g);
        break;
    default:
        break;
    }
}

static void put_f80(uint8_t *p, struct f80 v)
{
    put64(p, v.sig);
    put16(p + 8, v.se);
}

static uint32_t gen_f32(struct gen *g)
{
    uint32_t s = chance(g, 50) ? 0x80000000u : 0;
    uint32_t frac = (uint32_t)rnd(g) & 0x7FFFFF;
    if (chance(g, 40))
        frac &= ~0u << rndn(g, 23);
    switch (rndn(g, 12)) {
    case 0: return s;
    case 1: return s | (frac ? frac : 1);                                  /* denormal */
    case 2: return s | 0x7F800000u;                                        /* infinity */
    case 3: return s | 0x7FC00000u | frac;                                 /* QNaN */
    case 4: return s | 0x7F800000u | ((frac & 0x3FFFFF) ? frac & 0x3FFFFF : 1); /* SNaN */
    case 5: return s | (uint32_t)rnd(g);
    case 6: return s | (uint32_t)(rndn(g, 2) ? 1 + rndn(g, 30) : 0xFE - rndn(g, 30)) << 23 | frac;
    default: return s | (uint32_t)(127 - 40 + rndn(g, 80)) << 23 | frac;
    }
}

static uint64_t gen_f64(struct gen *g)
{
    uint64_t s = chance(g, 50) ? 1ULL << 63 : 0;
    uint64_t frac = rnd(g) & 0xFFFFFFFFFFFFFULL;
    if (chance(g, 40))
        frac &= ~0ULL << rndn(g, 52);
    switch (rndn(g, 12)) {
    case 0: return s;
    case 1: return s | (frac ? frac : 1);
    case 2: return s | 0x7FF0000000000000ULL;
    case 3: return s | 0x7FF8000000000000ULL | frac;
    case 4: return s | 0x7FF0000000000000ULL | ((frac & 0x7FFFFFFFFFFFFULL) ? frac & 0x7FFFFFFFFFFFFULL : 1);
    case 5: return rnd(g);
    case 6: return s | (rndn(g, 2) ? 1 + rndn(g, 60) : 0x7FE - rndn(g, 60)) << 52 | frac;
    default: return s | (1023 - 70 + rndn(g, 140)) << 52 | frac;
    }
}

/* 18 packed BCD digits and a sign byte (SDM Vol.1 §4.7); some with
 * invalid digits or the indefinite pattern. */
static void gen_bcd(struct gen *g, uint8_t *p)
{
    unsigned ndig = (unsigned)rndn(g, 19);
    memset(p, 0, 10);
    for (unsigned i = 0; i < ndig; i++) {
        unsigned d = (unsigned)rndn(g, 10);
        p[i / 2] |= (uint8_t)(d << (4 * (i & 1)));
    }
    p[9] = chance(g, 50) ? 0x80 : 0;
    if (chance(g, 10))
        p[rndn(g, 9)] |= 0xA0;
    if (chance(g, 5))
        p[9] |= (uint8_t)rndn(g, 128);
    if (chance(g, 3)) {
        memset(p, 0, 10);
        p[7] = 0xC0;
        p[8] = p[9] = 0xFF;
    }
}

/* A control word: mostly the usual masks with some RC/PC choices. */
static uint16_t gen_fcw(struct gen *g)
{
    uint16_t cw = 0x037F;
    if (chance(g, 30))
        cw = (uint16_t)((cw & ~0x0C00) | rndn(g, 4) << 10);
    if (chance(g, 30))
        cw = (uint16_t)((cw & ~0x0300) | rndn(g, 4) << 8);
    if (chance(g, 30))
        cw &= (uint16_t)~(rnd(g) & SW_EXC);
    if (chance(g, 10))
        cw = (uint16_t)rnd(g);
    return cw;
}

/* ---- the x87 state of a case ---- */

/* ST(0)..ST(n-1) valid and the rest empty, as real code has it: mostly
 * ST(0)-ST(6) (operands present, room for a push), some full stacks,
 * some nearly empty ones; or the generator's random tags. */
static void shape_tags(struct gen *g, uint8_t *fx)
{
    unsigned top = (get16(fx + DIFF_FX_FSW) >> 11) & 7;
    unsigned k = (unsigned)rndn(g, 100), n;
    if (k < 10)
        return;
    if (k < 20)
        n = (unsigned)rndn(g, 3);
    else if (k < 88)
        n = 7;
    else
        n = 8;
    uint8_t t = 0;
    for (unsigned i = 0; i < n; i++)
        t |= (uint8_t)(1u << ((top + i) & 7));
    fx[DIFF_FX_FTW] = t;
}

/* Masks and exception flags: no exception pending (an unmasked flag that
 * is set) except, now and then, on purpose (ES and B then say so, as
 * FXRSTOR computes them). */
static void shape_status(struct gen *g, uint8_t *fx)
{
    uint16_t cw = get16(fx + DIFF_FX_FCW), sw = get16(fx + DIFF_FX_FSW);
    if (chance(g, 30))
        cw &= (uint16_t)~(rnd(g) & SW_EXC);
    if (chance(g, 10))
        cw = (uint16_t)((cw & ~0x0300) | rndn(g, 4) << 8);    /* PC = 01b (reserved) too */
    sw &= (uint16_t)~(SW_ES | SW_B | (~cw & SW_EXC));
    if (chance(g, 4)) {
        uint16_t bit = (uint16_t)(1u << rndn(g, 6));
        cw &= (uint16_t)~bit;
        sw |= (uint16_t)(bit | SW_ES | SW_B);
    }
    put16(fx + DIFF_FX_FCW, cw);
    put16(fx + DIFF_FX_FSW, sw);
}

static void shape_regs(struct gen *g, uint8_t *fx)
{
    struct f80 a, b;
    shaped_pair(g, ARG_SHAPE(g), &a, &b);
    if (chance(g, 75))
        put_f80(fx + DIFF_FX_ST(0), a);
    if (chance(g, 75))
        put_f80(fx + DIFF_FX_ST(1), b);
    for (int i = 2; i < 8; i++)
        if (chance(g, 30))
            put_f80(fx + DIFF_FX_ST(i), any_f80(g));
}

/* ---- memory operands ---- */

static void env_image(struct gen *g, uint8_t *p, bool o16)
{
    uint16_t cw = gen_fcw(g);
    uint16_t sw = (uint16_t)(rnd(g) & 0x7F7F);
    if (chance(g, 70))
        sw &= (uint16_t)~(~cw & SW_EXC);         /* usually nothing to become pending */
    uint16_t tw = (uint16_t)rnd(g);
    if (chance(g, 40))
        tw = chance(g, 50) ? 0xFFFF : 0;
    if (o16) {
        put16(p, cw);
        put16(p + 2, sw);
        put16(p + 4, tw);
        for (int i = 6; i < 14; i += 2)
            put16(p + i, (uint16_t)rnd(g));
    } else {
        put64(p, rnd(g));
        put16(p, cw);
        put64(p + 4, rnd(g));
        put16(p + 4, sw);
        put16(p + 8, tw);
        put64(p + 12, rnd(g));
        put64(p + 20, rnd(g));
    }
}

static void write_operand(struct gen *g)
{
    uint8_t buf[108];
    unsigned n = 0;
    switch (ARG_MEM(g)) {
    case M_F32: put64(buf, gen_f32(g)); n = 4; break;
    case M_F64: put64(buf, gen_f64(g)); n = 8; break;
    case M_F80: put_f80(buf, any_f80(g)); n = 10; break;
    case M_I16: put64(buf, gen_value(g, 2)); n = 2; break;
    case M_I32: put64(buf, gen_value(g, 4)); n = 4; break;
    case M_I64: put64(buf, gen_value(g, 8)); n = 8; break;
    case M_BCD: gen_bcd(g, buf); n = 10; break;
    case M_CW: put16(buf, gen_fcw(g)); n = 2; break;
    case M_ENV:
        n = g->osz == 2 ? 14 : 28;
        env_image(g, buf, g->osz == 2);
        break;
    case M_SAVE:
        n = g->osz == 2 ? 94 : 108;
        env_image(g, buf, g->osz == 2);
        for (unsigned i = 0; i < 8; i++)
            put_f80(buf + n - 80 + 10 * i, any_f80(g));
        break;
    default:
        return;
    }
    if (chance(g, 15))
        return;                                  /* leave the random bytes */
    for (unsigned i = 0; i < n; i++)
        gen_mem_write(g, g->ea + i, buf[i], 1);
}

/* FOP, FIP and FDP as a previous instruction left them (the tester does
 * not compare them, but a build that does sees which instructions keep
 * them). */
static void shape_pointers(struct gen *g, uint8_t *fx)
{
    if (chance(g, 50))
        return;
    put16(fx + DIFF_FX_FOP, (uint16_t)(rnd(g) & 0x7FF));
    put64(fx + DIFF_FX_FIP, rnd(g) & 0x00007FFFFFFFFFFFULL);
    put64(fx + DIFF_FX_FDP, rnd(g) & 0x00007FFFFFFFFFFFULL);
}

static void x87_post(struct gen *g)
{
    uint8_t *fx = g->st->fx.raw;
    shape_pointers(g, fx);
    shape_tags(g, fx);
    shape_status(g, fx);
    shape_regs(g, fx);
    if (g->mem)
        write_operand(g);
}

/* FNSTENV/FLDENV and FNSAVE/FRSTOR: 66 selects the 16-bit format. */
static void env_setup(struct gen *g)
{
    g->msize = g->osz == 2 ? 14 : 28;
}

static void save_setup(struct gen *g)
{
    g->msize = g->osz == 2 ? 94 : 108;
}

static void m80_setup(struct gen *g)
{
    g->msize = 10;
}

/* ---- encoders ---- */

/* Two fixed bytes (D9 E0 ...) or WAIT, after prefixes the x87 ignores:
 * 66, F2/F3, segment overrides, a REX. */
static void enc_fixed(struct gen *g)
{
    const uint8_t *p = g->f->bytes;
    uint8_t pre[3];
    unsigned n = 0;
    if (chance(g, 10))
        pre[n++] = 0x66;
    if (chance(g, 6)) {
        pre[n++] = chance(g, 50) ? 0xF2 : 0xF3;
        g->cs_skip = true;
    }
    if (chance(g, 8)) {
        static const uint8_t seg[] = { 0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65 };
        pre[n++] = seg[rndn(g, 6)];
    }
    for (unsigned i = 0; i < n; i++)
        gen_byte(g, pre[i]);
    if (chance(g, 10))
        gen_byte(g, (uint8_t)(0x40 | rndn(g, 16)));
    g->op_off = g->len;
    for (unsigned i = 0; i < p[0]; i++)
        gen_byte(g, p[1 + i]);
}

/* Register encodings the host rejects (#UD), found by running all 512:
 * escape byte and a ModRM range. */
static const uint8_t ud_regs[][3] = {
    { 0xD9, 0xD1, 0xD7 }, { 0xD9, 0xE2, 0xE3 }, { 0xD9, 0xE6, 0xE7 }, { 0xD9, 0xEF, 0xEF },
    { 0xDA, 0xE0, 0xE8 }, { 0xDA, 0xEA, 0xFF }, { 0xDB, 0xE5, 0xE7 }, { 0xDB, 0xF8, 0xFF },
    { 0xDD, 0xF0, 0xFF }, { 0xDE, 0xD8, 0xD8 }, { 0xDE, 0xDA, 0xDF }, { 0xDF, 0xE1, 0xE7 },
    { 0xDF, 0xF8, 0xFF },
};

static void enc_ud_reg(struct gen *g)
{
    const uint8_t *r = ud_regs[rndn(g, sizeof ud_regs / sizeof ud_regs[0])];
    g->op_off = g->len;
    gen_byte(g, r[0]);
    gen_byte(g, (uint8_t)(r[1] + rndn(g, (uint64_t)(r[2] - r[1] + 1))));
}

/* ---- forms ---- */

#define XD D_X87
#define XM(nm, opv, dig, m, sh)                                                         \
    { .name = "x87/" nm, .op = (opv), .reg = (dig), .rm = RM_MEM, .osz = OSV,            \
      .flags = F_REPIGN, .deps = XD, .post = x87_post, .arg = ARG(m, sh),               \
      .msize = (m) == M_F32 || (m) == M_I32 ? 4 : (m) == M_F64 || (m) == M_I64 ? 8 : 2,  \
      .setup = (m) == M_F80 || (m) == M_BCD ? m80_setup : (m) == M_ENV ? env_setup       \
             : (m) == M_SAVE ? save_setup : NULL }
#define XR(nm, opv, dig, sh, fl)                                                        \
    { .name = "x87/" nm, .op = (opv), .reg = (dig), .rm = RM_REG, .osz = OSV,            \
      .flags = F_REPIGN | (fl), .deps = XD | D_FLAGS, .post = x87_post, .arg = ARG(M_NONE, sh) }
#define XF(nm, sh, fl, ...)                                                             \
    { .name = "x87/" nm, .flags = (fl), .deps = XD, .post = x87_post,                   \
      .arg = ARG(M_NONE, sh), .encode = enc_fixed,                                      \
      .bytes = (const uint8_t[]){ sizeof((const uint8_t[]){ __VA_ARGS__ }), __VA_ARGS__ } }
#define XUD(nm, opv, dig, m)                                                            \
    { .name = "x87/" nm, .op = (opv), .reg = (dig), .rm = RM_MEM, .osz = OSV,            \
      .flags = F_INVALID | F_CS_SKIP, .deps = XD, .msize = 8, .post = x87_post, .arg = ARG(m, SH_ANY) }

/* The eight arithmetic memory forms of one escape byte. */
#define ARITH_MEM(sfx, opv, m)                                                          \
    XM("fadd_" sfx, opv, 0, m, SH_ANY), XM("fmul_" sfx, opv, 1, m, SH_ANY),              \
    XM("fcom_" sfx, opv, 2, m, SH_ANY), XM("fcomp_" sfx, opv, 3, m, SH_ANY),             \
    XM("fsub_" sfx, opv, 4, m, SH_ANY), XM("fsubr_" sfx, opv, 5, m, SH_ANY),             \
    XM("fdiv_" sfx, opv, 6, m, SH_ANY), XM("fdivr_" sfx, opv, 7, m, SH_ANY)

static const struct form x87_forms[] = {
    /* ---- D8, DC, DA, DE memory: arithmetic and compares ---- */
    ARITH_MEM("m32", 0xD8, M_F32),
    ARITH_MEM("m64", 0xDC, M_F64),
    XM("fiadd_m32i", 0xDA, 0, M_I32, SH_ANY), XM("fimul_m32i", 0xDA, 1, M_I32, SH_ANY),
    XM("ficom_m32i", 0xDA, 2, M_I32, SH_INT), XM("ficomp_m32i", 0xDA, 3, M_I32, SH_INT),
    XM("fisub_m32i", 0xDA, 4, M_I32, SH_ANY), XM("fisubr_m32i", 0xDA, 5, M_I32, SH_ANY),
    XM("fidiv_m32i", 0xDA, 6, M_I32, SH_ANY), XM("fidivr_m32i", 0xDA, 7, M_I32, SH_ANY),
    XM("fiadd_m16i", 0xDE, 0, M_I16, SH_ANY), XM("fimul_m16i", 0xDE, 1, M_I16, SH_ANY),
    XM("ficom_m16i", 0xDE, 2, M_I16, SH_INT), XM("ficomp_m16i", 0xDE, 3, M_I16, SH_INT),
    XM("fisub_m16i", 0xDE, 4, M_I16, SH_ANY), XM("fisubr_m16i", 0xDE, 5, M_I16, SH_ANY),
    XM("fidiv_m16i", 0xDE, 6, M_I16, SH_ANY), XM("fidivr_m16i", 0xDE, 7, M_I16, SH_ANY),

    /* ---- D9, DB, DD, DF memory: loads, stores, control ---- */
    XM("fld_m32", 0xD9, 0, M_F32, SH_ANY), XUD("d9_1_mem_ud", 0xD9, 1, M_F32),
    XM("fst_m32", 0xD9, 2, M_F32, SH_ANY), XM("fstp_m32", 0xD9, 3, M_F32, SH_ANY),
    XM("fldenv", 0xD9, 4, M_ENV, SH_ANY), XM("fldcw", 0xD9, 5, M_CW, SH_ANY),
    XM("fnstenv", 0xD9, 6, M_ENV, SH_ANY), XM("fnstcw", 0xD9, 7, M_CW, SH_ANY),
    XM("fild_m32i", 0xDB, 0, M_I32, SH_ANY), XM("fisttp_m32i", 0xDB, 1, M_I32, SH_INT),
    XM("fist_m32i", 0xDB, 2, M_I32, SH_INT), XM("fistp_m32i", 0xDB, 3, M_I32, SH_INT),
    XUD("db_4_mem_ud", 0xDB, 4, M_F32), XM("fld_m80", 0xDB, 5, M_F80, SH_ANY),
    XUD("db_6_mem_ud", 0xDB, 6, M_F32), XM("fstp_m80", 0xDB, 7, M_F80, SH_ANY),
    XM("fld_m64", 0xDD, 0, M_F64, SH_ANY), XM("fisttp_m64i", 0xDD, 1, M_I64, SH_INT),
    XM("fst_m64", 0xDD, 2, M_F64, SH_ANY), XM("fstp_m64", 0xDD, 3, M_F64, SH_ANY),
    XM("frstor", 0xDD, 4, M_SAVE, SH_ANY), XUD("dd_5_mem_ud", 0xDD, 5, M_F64),
    XM("fnsave", 0xDD, 6, M_SAVE, SH_ANY), XM("fnstsw_m16", 0xDD, 7, M_CW, SH_ANY),
    XM("fild_m16i", 0xDF, 0, M_I16, SH_ANY), XM("fisttp_m16i", 0xDF, 1, M_I16, SH_INT),
    XM("fist_m16i", 0xDF, 2, M_I16, SH_INT), XM("fistp_m16i", 0xDF, 3, M_I16, SH_INT),
    XM("fbld", 0xDF, 4, M_BCD, SH_ANY), XM("fild_m64i", 0xDF, 5, M_I64, SH_ANY),
    XM("fbstp", 0xDF, 6, M_BCD, SH_INT), XM("fistp_m64i", 0xDF, 7, M_I64, SH_INT),

    /* ---- register forms ---- */
    XR("fadd_st0_sti", 0xD8, 0, SH_ANY, 0), XR("fmul_st0_sti", 0xD8, 1, SH_ANY, 0),
    XR("fcom_sti", 0xD8, 2, SH_ANY, 0), XR("fcomp_sti", 0xD8, 3, SH_ANY, 0),
    XR("fsub_st0_sti", 0xD8, 4, SH_ANY, 0), XR("fsubr_st0_sti", 0xD8, 5, SH_ANY, 0),
    XR("fdiv_st0_sti", 0xD8, 6, SH_ANY, 0), XR("fdivr_st0_sti", 0xD8, 7, SH_ANY, 0),
    XR("fld_sti", 0xD9, 0, SH_ANY, 0), XR("fxch_sti", 0xD9, 1, SH_ANY, 0),
    XR("fstp1_sti_alias", 0xD9, 3, SH_ANY, F_CS_SKIP),
    XR("fcmovb", 0xDA, 0, SH_ANY, 0), XR("fcmove", 0xDA, 1, SH_ANY, 0),
    XR("fcmovbe", 0xDA, 2, SH_ANY, 0), XR("fcmovu", 0xDA, 3, SH_ANY, 0),
    XR("fcmovnb", 0xDB, 0, SH_ANY, 0), XR("fcmovne", 0xDB, 1, SH_ANY, 0),
    XR("fcmovnbe", 0xDB, 2, SH_ANY, 0), XR("fcmovnu", 0xDB, 3, SH_ANY, 0),
    XR("fucomi", 0xDB, 5, SH_ANY, 0), XR("fcomi", 0xDB, 6, SH_ANY, 0),
    XR("fadd_sti_st0", 0xDC, 0, SH_ANY, 0), XR("fmul_sti_st0", 0xDC, 1, SH_ANY, 0),
    XR("fcom2_sti_alias", 0xDC, 2, SH_ANY, F_CS_SKIP), XR("fcomp3_sti_alias", 0xDC, 3, SH_ANY, F_CS_SKIP),
    XR("fsubr_sti_st0", 0xDC, 4, SH_ANY, 0), XR("fsub_sti_st0", 0xDC, 5, SH_ANY, 0),
    XR("fdivr_sti_st0", 0xDC, 6, SH_ANY, 0), XR("fdiv_sti_st0", 0xDC, 7, SH_ANY, 0),
    XR("ffree_sti", 0xDD, 0, SH_ANY, 0), XR("fxch4_sti_alias", 0xDD, 1, SH_ANY, F_CS_SKIP),
    XR("fst_sti", 0xDD, 2, SH_ANY, 0), XR("fstp_sti", 0xDD, 3, SH_ANY, 0),
    XR("fucom_sti", 0xDD, 4, SH_ANY, 0), XR("fucomp_sti", 0xDD, 5, SH_ANY, 0),
    XR("faddp_sti", 0xDE, 0, SH_ANY, 0), XR("fmulp_sti", 0xDE, 1, SH_ANY, 0),
    XR("fcomp5_sti_alias", 0xDE, 2, SH_ANY, F_CS_SKIP),
    XR("fsubrp_sti", 0xDE, 4, SH_ANY, 0), XR("fsubp_sti", 0xDE, 5, SH_ANY, 0),
    XR("fdivrp_sti", 0xDE, 6, SH_ANY, 0), XR("fdivp_sti", 0xDE, 7, SH_ANY, 0),
    XR("ffreep_sti", 0xDF, 0, SH_ANY, F_CS_SKIP), XR("fxch7_sti_alias", 0xDF, 1, SH_ANY, F_CS_SKIP),
    XR("fstp8_sti_alias", 0xDF, 2, SH_ANY, F_CS_SKIP), XR("fstp9_sti_alias", 0xDF, 3, SH_ANY, F_CS_SKIP),
    XR("fucomip", 0xDF, 5, SH_ANY, 0), XR("fcomip", 0xDF, 6, SH_ANY, 0),

    /* ---- fixed encodings ---- */
    XF("fnop", SH_ANY, 0, 0xD9, 0xD0),
    XF("fchs", SH_ANY, 0, 0xD9, 0xE0), XF("fabs", SH_ANY, 0, 0xD9, 0xE1),
    XF("ftst", SH_ANY, 0, 0xD9, 0xE4), XF("fxam", SH_ANY, 0, 0xD9, 0xE5),
    XF("fld1", SH_ANY, 0, 0xD9, 0xE8), XF("fldl2t", SH_ANY, 0, 0xD9, 0xE9),
    XF("fldl2e", SH_ANY, 0, 0xD9, 0xEA), XF("fldpi", SH_ANY, 0, 0xD9, 0xEB),
    XF("fldlg2", SH_ANY, 0, 0xD9, 0xEC), XF("fldln2", SH_ANY, 0, 0xD9, 0xED),
    XF("fldz", SH_ANY, 0, 0xD9, 0xEE),
    XF("f2xm1", SH_F2XM1, F_FPTOL, 0xD9, 0xF0), XF("fyl2x", SH_LOG, F_FPTOL, 0xD9, 0xF1),
    XF("fptan", SH_TRIG, F_FPTOL, 0xD9, 0xF2), XF("fpatan", SH_ATAN, F_FPTOL, 0xD9, 0xF3),
    XF("fxtract", SH_ANY, 0, 0xD9, 0xF4), XF("fprem1", SH_REM, 0, 0xD9, 0xF5),
    XF("fdecstp", SH_ANY, 0, 0xD9, 0xF6), XF("fincstp", SH_ANY, 0, 0xD9, 0xF7),
    XF("fprem", SH_REM, 0, 0xD9, 0xF8), XF("fyl2xp1", SH_LOGP1, F_FPTOL, 0xD9, 0xF9),
    XF("fsqrt", SH_ANY, 0, 0xD9, 0xFA), XF("fsincos", SH_TRIG, F_FPTOL, 0xD9, 0xFB),
    XF("frndint", SH_INT, 0, 0xD9, 0xFC), XF("fscale", SH_SCALE, 0, 0xD9, 0xFD),
    XF("fsin", SH_TRIG, F_FPTOL, 0xD9, 0xFE), XF("fcos", SH_TRIG, F_FPTOL, 0xD9, 0xFF),
    XF("fucompp", SH_ANY, 0, 0xDA, 0xE9),
    XF("fneni_nop", SH_ANY, F_CS_SKIP, 0xDB, 0xE0), XF("fndisi_nop", SH_ANY, F_CS_SKIP, 0xDB, 0xE1),
    XF("fnclex", SH_ANY, 0, 0xDB, 0xE2), XF("fninit", SH_ANY, 0, 0xDB, 0xE3),
    XF("fnsetpm_nop", SH_ANY, F_CS_SKIP, 0xDB, 0xE4),
    XF("fcompp", SH_ANY, 0, 0xDE, 0xD9), XF("fnstsw_ax", SH_ANY, 0, 0xDF, 0xE0),
    XF("fwait", SH_ANY, 0, 0x9B),
    { .name = "x87/reg_ud", .flags = F_INVALID | F_CS_SKIP, .deps = XD, .encode = enc_ud_reg, .post = x87_post },
};

const struct form_set gen_x87_forms = { "gen_x87.c", x87_forms, sizeof x87_forms / sizeof x87_forms[0] };
