/* Software floating point: x87 double extended operations.
 * SDM Vol.1 §4.2.2, §8.2 (x87 data), §8.5 (x87 exceptions). */
#include "softfloat_impl.h"

sf_fmt sf_fmt_f80(int pc)
{
    /* PC: SDM Vol.1 §8.1.5.2; the reserved encoding acts as 64 bits. */
    static const uint8_t prec[4] = { 24, 64, 53, 64 };
    sf_fmt f = { 63, prec[pc & 3], SFK_X87, 16383, 0x7fff };
    return f;
}

static const sf_fmt fmt80 = { 63, 64, SFK_X87, 16383, 0x7fff };

static inline bool is_nan(const sf_unp *u)
{
    return u->cls == SFC_QNAN || u->cls == SFC_SNAN;
}

bool sf_f80_is_nan(sf_f80 a)
{
    sf_unp u = sf_unpack_f80(a);
    return is_nan(&u);
}
bool sf_f80_is_snan(sf_f80 a)
{
    return sf_unpack_f80(a).cls == SFC_SNAN;
}
bool sf_f80_is_unsupported(sf_f80 a)
{
    return sf_unpack_f80(a).cls == SFC_BAD;
}

static sf_pk quiet(const sf_unp *u)
{
    return sf_pk_nan(&fmt80, u->sign, u->sig);
}

/* NaN and unsupported operands of two-operand x87 operations, SDM Vol.1
 * §4.8.3.5, Table 4-7 (x87 column), §8.2.2.  True if *out is final. */
bool sf_x87_nan2(sf_status *s, const sf_unp *a, const sf_unp *b, sf_pk *out)
{
    if (a->cls == SFC_BAD || b->cls == SFC_BAD) {
        s->flags |= SF_IE;
        *out = sf_pk_default_nan(&fmt80);
        return true;
    }
    if (is_nan(a) || is_nan(b)) {
        if (a->cls == SFC_SNAN || b->cls == SFC_SNAN)
            s->flags |= SF_IE;
        if (is_nan(a) && is_nan(b)) {
            if (a->cls != b->cls)
                *out = quiet(a->cls == SFC_QNAN ? a : b);
            else if (a->sig != b->sig)
                *out = quiet(a->sig > b->sig ? a : b);
            else
                *out = quiet(a->sign ? b : a);
        } else {
            *out = quiet(is_nan(a) ? a : b);
        }
        return true;
    }
    return false;
}

bool sf_x87_nan1(sf_status *s, const sf_unp *a, sf_pk *out)
{
    if (a->cls == SFC_BAD) {
        s->flags |= SF_IE;
        *out = sf_pk_default_nan(&fmt80);
        return true;
    }
    if (is_nan(a)) {
        if (a->cls == SFC_SNAN)
            s->flags |= SF_IE;
        *out = quiet(a);
        return true;
    }
    return false;
}

/* Invalid operation (masked response: indefinite). */
sf_f80 sf_x87_invalid(sf_status *s)
{
    s->flags |= SF_IE;
    return sf_f80_default_nan();
}

/* Denormal operand: DE; true if unmasked (operation not performed,
 * SDM Vol.1 §8.5.2). */
bool sf_x87_de(sf_status *s, bool denorm)
{
    if (!denorm)
        return false;
    s->flags |= SF_DE;
    return !(s->masks & SF_DE);
}

/* Two-operand arithmetic on unpacked operands (register or memory).
 * After an unmasked IE/DE/ZE the returned value is not meaningful. */
static sf_pk x87_arith(sf_status *s, int op, sf_unp a, sf_unp b)
{
    sf_fmt f = sf_fmt_f80(s->pc);
    sf_pk r;
    s->c1 = false;
    if (sf_x87_nan2(s, &a, &b, &r))
        return r;
    switch (op) {
    case SF_X87_SUB:
        b.sign = !b.sign;
        /* fallthrough */
    case SF_X87_ADD:
        if (a.cls == SFC_INF && b.cls == SFC_INF && a.sign != b.sign)
            break;
        if (sf_x87_de(s, a.denorm || b.denorm))
            return sf_pk_default_nan(&f);
        if (a.cls == SFC_INF || b.cls == SFC_INF)
            return sf_pk_inf(&f, a.cls == SFC_INF ? a.sign : b.sign);
        return sf_add_core(s, &f, a, b);
    case SF_X87_MUL:
        if ((a.cls == SFC_INF && b.cls == SFC_ZERO) ||
            (a.cls == SFC_ZERO && b.cls == SFC_INF))
            break;
        if (sf_x87_de(s, a.denorm || b.denorm))
            return sf_pk_default_nan(&f);
        if (a.cls == SFC_INF || b.cls == SFC_INF)
            return sf_pk_inf(&f, a.sign ^ b.sign);
        if (a.cls == SFC_ZERO || b.cls == SFC_ZERO)
            return sf_pk_zero(a.sign ^ b.sign);
        return sf_mul_core(s, &f, a, b);
    default: /* SF_X87_DIV */
        if ((a.cls == SFC_INF && b.cls == SFC_INF) ||
            (a.cls == SFC_ZERO && b.cls == SFC_ZERO))
            break;
        if (b.cls == SFC_ZERO) {
            /* x/0: ZE alone, even for a denormal x (hardware) */
            if (a.cls == SFC_FINITE)
                s->flags |= SF_ZE;
            return sf_pk_inf(&f, a.sign ^ b.sign);
        }
        if (sf_x87_de(s, a.denorm || b.denorm))
            return sf_pk_default_nan(&f);
        if (a.cls == SFC_INF)
            return sf_pk_inf(&f, a.sign ^ b.sign);
        if (b.cls == SFC_INF || a.cls == SFC_ZERO)
            return sf_pk_zero(a.sign ^ b.sign);
        return sf_div_core(s, &f, a, b);
    }
    s->flags |= SF_IE;
    return sf_pk_default_nan(&f);
}

sf_f80 sf_f80_add(sf_status *s, sf_f80 a, sf_f80 b)
{
    return sf_pack_f80(
        x87_arith(s, SF_X87_ADD, sf_unpack_f80(a), sf_unpack_f80(b)));
}

sf_f80 sf_f80_sub(sf_status *s, sf_f80 a, sf_f80 b)
{
    return sf_pack_f80(
        x87_arith(s, SF_X87_SUB, sf_unpack_f80(a), sf_unpack_f80(b)));
}

sf_f80 sf_f80_mul(sf_status *s, sf_f80 a, sf_f80 b)
{
    return sf_pack_f80(
        x87_arith(s, SF_X87_MUL, sf_unpack_f80(a), sf_unpack_f80(b)));
}

sf_f80 sf_f80_div(sf_status *s, sf_f80 a, sf_f80 b)
{
    return sf_pack_f80(
        x87_arith(s, SF_X87_DIV, sf_unpack_f80(a), sf_unpack_f80(b)));
}

/* Memory operand in its own format: exact, keeps SNaN and the denormal
 * mark so the operation reports IE/DE as hardware does. */
static sf_unp unpack_mem(const sf_fmt *f, uint64_t m)
{
    return sf_unpack_bits(f, m);
}

static sf_f80 arith_mem(sf_status *s, int op, sf_f80 st, sf_unp m)
{
    sf_unp a = sf_unpack_f80(st);
    bool rev = op == SF_X87_SUBR || op == SF_X87_DIVR;
    int base = op == SF_X87_SUBR ? SF_X87_SUB
               : op == SF_X87_DIVR ? SF_X87_DIV
                                   : op;
    return sf_pack_f80(rev ? x87_arith(s, base, m, a)
                           : x87_arith(s, base, a, m));
}

sf_f80 sf_f80_arith_f32(sf_status *s, int op, sf_f80 st, uint32_t m)
{
    return arith_mem(s, op, st, unpack_mem(&sf_fmt_f32, m));
}

sf_f80 sf_f80_arith_f64(sf_status *s, int op, sf_f80 st, uint64_t m)
{
    return arith_mem(s, op, st, unpack_mem(&sf_fmt_f64, m));
}

sf_f80 sf_f80_arith(sf_status *s, int op, sf_f80 st, sf_f80 src)
{
    return arith_mem(s, op, st, sf_unpack_f80(src));
}

sf_f80 sf_f80_sqrt(sf_status *s, sf_f80 ab)
{
    sf_unp a = sf_unpack_f80(ab);
    sf_fmt f = sf_fmt_f80(s->pc);
    sf_pk r;
    s->c1 = false;
    if (sf_x87_nan1(s, &a, &r))
        return sf_pack_f80(r);
    if (a.sign && a.cls != SFC_ZERO)
        return sf_x87_invalid(s); /* not DE: IE takes precedence */
    if (sf_x87_de(s, a.denorm))
        return ab;
    if (a.cls == SFC_ZERO)
        r = sf_pk_zero(a.sign);
    else if (a.cls == SFC_INF)
        r = sf_pk_inf(&f, false);
    else
        r = sf_sqrt_core(s, &f, a);
    return sf_pack_f80(r);
}

static sf_cmp x87_compare(sf_status *s, sf_unp a, sf_unp b, bool signaling)
{
    if (a.cls == SFC_BAD || b.cls == SFC_BAD) {
        s->flags |= SF_IE;
        return SF_CMP_UNORDERED;
    }
    if (is_nan(&a) || is_nan(&b)) {
        if (signaling || a.cls == SFC_SNAN || b.cls == SFC_SNAN)
            s->flags |= SF_IE;
        return SF_CMP_UNORDERED;
    }
    if (a.denorm || b.denorm)
        s->flags |= SF_DE;
    return sf_cmp_unp(&a, &b);
}

sf_cmp sf_f80_compare(sf_status *s, sf_f80 a, sf_f80 b, bool signaling)
{
    return x87_compare(s, sf_unpack_f80(a), sf_unpack_f80(b), signaling);
}

sf_cmp sf_f80_compare_f32(sf_status *s, sf_f80 a, uint32_t m, bool signaling)
{
    return x87_compare(s, sf_unpack_f80(a), unpack_mem(&sf_fmt_f32, m),
                       signaling);
}

sf_cmp sf_f80_compare_f64(sf_status *s, sf_f80 a, uint64_t m, bool signaling)
{
    return x87_compare(s, sf_unpack_f80(a), unpack_mem(&sf_fmt_f64, m),
                       signaling);
}

/* ---- conversions ---- */

static sf_f80 load_small(sf_status *s, const sf_fmt *f, uint64_t bits)
{
    sf_unp a = sf_unpack_bits(f, bits);
    s->c1 = false;
    switch (a.cls) {
    case SFC_SNAN:
        s->flags |= SF_IE;
        return sf_pack_f80(quiet(&a));
    case SFC_QNAN:
        return sf_pack_f80(quiet(&a));
    case SFC_INF:
        return sf_pack_f80(sf_pk_inf(&fmt80, a.sign));
    case SFC_ZERO:
        return sf_pack_f80(sf_pk_zero(a.sign));
    default: {
        sf_f80 r;
        if (a.denorm)
            s->flags |= SF_DE;
        r.se = (uint16_t)(((unsigned)a.sign << 15) | (a.exp + 16383));
        r.sig = a.sig;
        return r;
    }
    }
}

sf_f80 sf_f32_to_f80(sf_status *s, uint32_t a)
{
    return load_small(s, &sf_fmt_f32, a);
}

sf_f80 sf_f64_to_f80(sf_status *s, uint64_t a)
{
    return load_small(s, &sf_fmt_f64, a);
}

static uint64_t store_small(sf_status *s, const sf_fmt *to, sf_f80 ab)
{
    sf_unp a = sf_unpack_f80(ab);
    sf_fmt f = *to;
    sf_pk r;
    f.kind = SFK_X87MEM;
    s->c1 = false;
    switch (a.cls) {
    case SFC_BAD:
        s->flags |= SF_IE;
        r = sf_pk_default_nan(&f);
        break;
    case SFC_SNAN:
        s->flags |= SF_IE;
        /* fallthrough */
    case SFC_QNAN:
        r = sf_pk_nan(&f, a.sign, a.sig);
        break;
    case SFC_INF:
        r = sf_pk_inf(&f, a.sign);
        break;
    case SFC_ZERO:
        r = sf_pk_zero(a.sign);
        break;
    default: /* no DE for a denormal source (hardware) */
        r = sf_round_pack(s, &f, a.sign, a.exp, (sf_u128)a.sig << 64);
        break;
    }
    return sf_pack_bits(&f, r);
}

uint32_t sf_f80_to_f32(sf_status *s, sf_f80 a)
{
    return (uint32_t)store_small(s, &sf_fmt_f32, a);
}

uint64_t sf_f80_to_f64(sf_status *s, sf_f80 a)
{
    return store_small(s, &sf_fmt_f64, a);
}

sf_f80 sf_i64_to_f80(int64_t a)
{
    uint64_t m = a < 0 ? 0 - (uint64_t)a : (uint64_t)a;
    sf_f80 r;
    if (m == 0) {
        r.se = 0;
        r.sig = 0;
        return r;
    }
    int z = sf_clz64(m);
    r.sig = m << z;
    r.se = (uint16_t)(((unsigned)(a < 0) << 15) | (16383 + 63 - z));
    return r;
}

static int64_t f80_to_int(sf_status *s, sf_f80 ab, int bits, bool truncate)
{
    sf_unp a = sf_unpack_f80(ab);
    bool up;
    int64_t r;
    s->c1 = false; /* no DE for a denormal source (hardware) */
    r = sf_unp_to_int(s, &a, bits, truncate ? SF_RC_ZERO : s->rc, &up);
    s->c1 = up;
    return r;
}

int16_t sf_f80_to_i16(sf_status *s, sf_f80 a, bool truncate)
{
    return (int16_t)f80_to_int(s, a, 16, truncate);
}
int32_t sf_f80_to_i32(sf_status *s, sf_f80 a, bool truncate)
{
    return (int32_t)f80_to_int(s, a, 32, truncate);
}
int64_t sf_f80_to_i64(sf_status *s, sf_f80 a, bool truncate)
{
    return f80_to_int(s, a, 64, truncate);
}

/* FBSTP: round by s->rc to an 18-digit packed BCD integer, SDM Vol.2
 * FBSTP; out of range, NaN, infinity or unsupported -> IE and the BCD
 * indefinite FFFFC000000000000000H.  out[0] holds the low digits. */
void sf_f80_to_bcd(sf_status *s, sf_f80 ab, uint8_t out[10])
{
    sf_unp a = sf_unpack_f80(ab);
    uint64_t m = 0;
    bool inexact = false, up = false;
    s->c1 = false;
    if (a.cls == SFC_FINITE && a.exp < 60)
        m = sf_round_to_u64(a.sig, a.exp, a.sign, s->rc, &inexact, &up);
    if (a.cls != SFC_ZERO &&
        (a.cls != SFC_FINITE || a.exp >= 60 || m > 999999999999999999ull)) {
        s->flags |= SF_IE;
        for (int i = 0; i < 7; i++)
            out[i] = 0;
        out[7] = 0xc0;
        out[8] = out[9] = 0xff;
        return;
    }
    if (inexact) /* no DE for a denormal source (hardware) */
        s->flags |= SF_PE;
    s->c1 = up;
    for (int i = 0; i < 9; i++) {
        unsigned lo = (unsigned)(m % 10), hi;
        m /= 10;
        hi = (unsigned)(m % 10);
        m /= 10;
        out[i] = (uint8_t)(lo | (hi << 4));
    }
    out[9] = a.sign ? 0x80 : 0;
}

/* FBLD: exact; digits above 9 are undefined by the SDM (used as is). */
sf_f80 sf_bcd_to_f80(const uint8_t in[10])
{
    uint64_t m = 0;
    sf_f80 r;
    for (int i = 8; i >= 0; i--)
        m = m * 100 + (uint64_t)(in[i] >> 4) * 10 + (in[i] & 15);
    r = sf_i64_to_f80((int64_t)m);
    if (in[9] & 0x80)
        r.se |= 0x8000;
    return r;
}

/* FRNDINT, SDM Vol.2 FRNDINT. */
sf_f80 sf_f80_round_int(sf_status *s, sf_f80 ab)
{
    sf_unp a = sf_unpack_f80(ab);
    sf_pk r;
    bool inexact, up;
    uint64_t m;
    s->c1 = false;
    if (sf_x87_nan1(s, &a, &r))
        return sf_pack_f80(r);
    if (sf_x87_de(s, a.denorm))
        return ab;
    if (a.cls != SFC_FINITE || a.exp >= 63)
        return ab;
    m = sf_round_to_u64(a.sig, a.exp, a.sign, s->rc, &inexact, &up);
    if (inexact)
        s->flags |= SF_PE;
    s->c1 = up;
    if (m == 0)
        return sf_pack_f80(sf_pk_zero(a.sign));
    {
        int z = sf_clz64(m);
        return sf_f80_make((uint16_t)(((unsigned)a.sign << 15) |
                                      (16383 + 63 - z)),
                           m << z);
    }
}

/* FSCALE, SDM Vol.2 FSCALE Table 3-?: ST0 * 2^trunc(ST1). */
sf_f80 sf_f80_scale(sf_status *s, sf_f80 ab, sf_f80 bb)
{
    sf_unp a = sf_unpack_f80(ab), b = sf_unpack_f80(bb);
    sf_pk r;
    int32_t n;
    s->c1 = false;
    if (sf_x87_nan2(s, &a, &b, &r))
        return sf_pack_f80(r);
    if (b.cls == SFC_INF &&
        (b.sign ? a.cls == SFC_INF : a.cls == SFC_ZERO))
        return sf_x87_invalid(s);
    if (sf_x87_de(s, a.denorm || b.denorm))
        return ab;
    if (b.cls == SFC_INF) {
        if (a.cls == SFC_FINITE)
            return sf_pack_f80(b.sign ? sf_pk_zero(a.sign)
                                      : sf_pk_inf(&fmt80, a.sign));
        return ab;
    }
    if (a.cls != SFC_FINITE)
        return ab;
    if (b.cls == SFC_ZERO) {
        /* scale by 0: unchanged, even a denormal; a pseudo-denormal gets
         * its normal encoding (hardware) */
        if (!(ab.se & 0x7fff) && (ab.sig >> 63))
            ab.se |= 1;
        return ab;
    }
    if (b.exp < 0)
        n = 0;
    else if (b.exp > 20)
        n = 1 << 21;
    else
        n = (int32_t)(b.sig >> (63 - b.exp));
    if (b.sign)
        n = -n;
    return sf_pack_f80(
        sf_round_pack(s, &fmt80, a.sign, a.exp + n, (sf_u128)a.sig << 64));
}

/* FXTRACT, SDM Vol.2 FXTRACT. */
sf_f80 sf_f80_xtract(sf_status *s, sf_f80 ab, sf_f80 *exp_out)
{
    sf_unp a = sf_unpack_f80(ab);
    sf_pk r;
    s->c1 = false;
    if (sf_x87_nan1(s, &a, &r)) {
        *exp_out = sf_pack_f80(r);
        return *exp_out;
    }
    if (sf_x87_de(s, a.denorm)) {
        *exp_out = ab;
        return ab;
    }
    if (a.cls == SFC_ZERO) {
        s->flags |= SF_ZE;
        *exp_out = sf_pack_f80(sf_pk_inf(&fmt80, true));
        return ab;
    }
    if (a.cls == SFC_INF) {
        *exp_out = sf_pack_f80(sf_pk_inf(&fmt80, false));
        return ab;
    }
    *exp_out = sf_i64_to_f80(a.exp);
    return sf_f80_make((uint16_t)(((unsigned)a.sign << 15) | 16383), a.sig);
}

/* Quotient bits to FSW: C0 = q2, C3 = q1, C1 = q0 (SDM Vol.2 FPREM). */
static uint16_t q_cc(uint64_t q)
{
    return (uint16_t)(((q & 4) ? 0x100 : 0) | ((q & 2) ? 0x4000 : 0) |
                      ((q & 1) ? 0x200 : 0));
}

/* FPREM / FPREM1, SDM Vol.2 FPREM, FPREM1. */
sf_f80 sf_f80_rem(sf_status *s, sf_f80 ab, sf_f80 bb, bool ieee, uint16_t *cc)
{
    sf_unp a = sf_unpack_f80(ab), b = sf_unpack_f80(bb);
    sf_pk r;
    int32_t d;
    uint64_t q;
    sf_u128 num, rem;
    bool flip = false;
    s->c1 = false;
    *cc = 0;
    if (sf_x87_nan2(s, &a, &b, &r))
        return sf_pack_f80(r);
    if (a.cls == SFC_INF || b.cls == SFC_ZERO)
        return sf_x87_invalid(s);
    if (sf_x87_de(s, a.denorm || b.denorm))
        return ab;
    if (a.cls == SFC_ZERO)
        return ab;
    if (b.cls == SFC_INF)
        return sf_pack_f80(sf_round_pack(s, &fmt80, a.sign, a.exp,
                                         (sf_u128)a.sig << 64));
    d = a.exp - b.exp;
    if (d < 0) {
        /* |a| < |b|: quotient 0, or 1 for FPREM1 when |a| > |b|/2. */
        if (ieee && d == -1 && a.sig > b.sig) {
            rem = ((sf_u128)b.sig << 1) - a.sig;
            *cc = q_cc(1);
            return sf_pack_f80(sf_round_pack(s, &fmt80, !a.sign, a.exp + 64,
                                             rem));
        }
        return sf_pack_f80(sf_round_pack(s, &fmt80, a.sign, a.exp,
                                         (sf_u128)a.sig << 64));
    }
    if (d >= 64) {
        /* Partial remainder: reduce the exponent difference by d - n. */
        int32_t n = 32 + (d - 32) % 32;
        num = (sf_u128)a.sig << n;
        q = (uint64_t)(num / b.sig);
        rem = num % b.sig;
        *cc = 0x400;
        if (rem == 0)
            return sf_pack_f80(sf_pk_zero(a.sign));
        return sf_pack_f80(sf_round_pack(s, &fmt80, a.sign,
                                         b.exp + d - n + 64, rem));
    }
    num = (sf_u128)a.sig << d;
    q = (uint64_t)(num / b.sig);
    rem = num % b.sig;
    if (ieee) {
        sf_u128 twice = rem * 2;
        if (twice > b.sig || (twice == b.sig && (q & 1))) {
            q++;
            rem = b.sig - rem;
            flip = true;
        }
    }
    *cc = q_cc(q);
    if (rem == 0)
        return sf_pack_f80(sf_pk_zero(a.sign));
    return sf_pack_f80(sf_round_pack(s, &fmt80, a.sign ^ flip, b.exp + 64,
                                     rem));
}

/* FXAM, SDM Vol.2 FXAM Table 3-?. */
uint16_t sf_f80_fxam(sf_f80 ab)
{
    sf_unp a = sf_unpack_f80(ab);
    uint16_t c = a.sign ? 0x200 : 0;
    switch (a.cls) {
    case SFC_BAD:
        return c;
    case SFC_QNAN:
    case SFC_SNAN:
        return c | 0x100;
    case SFC_INF:
        return c | 0x500;
    case SFC_ZERO:
        return c | 0x4000;
    default:
        return c | (a.denorm ? 0x4400 : 0x400);
    }
}

/* Constants rounded from 66 bits (sig = top 64, x = next 2 bits, plus
 * exponent).  SDM Vol.1 §8.3.8. */
static const struct {
    uint64_t sig;
    uint8_t x;
    uint16_t se;
} consts[5] = {
    { 0xc90fdaa22168c234ull, 3, 0x4000 }, /* pi */
    { 0xd49a784bcd1b8afeull, 1, 0x4000 }, /* log2 10 */
    { 0xb8aa3b295c17f0bbull, 3, 0x3fff }, /* log2 e */
    { 0x9a209a84fbcff798ull, 2, 0x3ffd }, /* log10 2 */
    { 0xb17217f7d1cf79abull, 3, 0x3ffe }, /* ln 2 */
};

sf_f80 sf_f80_const(const sf_status *s, int which)
{
    uint64_t sig = consts[which].sig;
    unsigned x = consts[which].x;
    bool up = false;
    switch (s->rc) {
    case SF_RC_NEAREST:
        up = x >= 2;
        break;
    case SF_RC_UP:
        up = x != 0;
        break;
    default:
        break;
    }
    return sf_f80_make(consts[which].se, sig + up);
}
