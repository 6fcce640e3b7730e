/* x87 transcendental instructions in portable software.
 * SDM Vol.1 §8.3.10 (accuracy, 66-bit pi), Vol.2 F2XM1, FYL2X, FYL2XP1,
 * FPTAN, FPATAN, FSIN, FCOS, FSINCOS.
 *
 * Values are evaluated in a 128-bit-significand format (about 125 correct
 * bits), then rounded once to double extended by s->rc.  Trigonometric
 * arguments are reduced exactly modulo pi/2 as the x87 approximates it:
 * pi rounded to 66 bits. */
#include "softfloat_impl.h"

#include <stddef.h>

/* value = (-1)^s * m * 2^(e - 127); m == 0 is zero, else bit 127 set. */
typedef struct xf {
    sf_u128 m;
    int32_t e;
    bool s;
} xf;

#define XC(hi, lo, ex) { ((sf_u128)(hi) << 64) | (lo), (ex), false }

static const xf X_LN2 = XC(0xb17217f7d1cf79abull, 0xc9e3b39803f2f6afull, -1);
static const xf X_2_LN2 = XC(0xb8aa3b295c17f0bbull, 0xbe87fed0691d3e89ull, 1);
static const xf X_PI = XC(0xc90fdaa22168c234ull, 0xc4c6628b80dc1cd1ull, 1);
static const xf X_PI_2 = XC(0xc90fdaa22168c234ull, 0xc4c6628b80dc1cd1ull, 0);
static const xf X_PI_4 = XC(0xc90fdaa22168c234ull, 0xc4c6628b80dc1cd1ull, -1);
static const xf X_3PI_4 = XC(0x96cbe3f9990e91a7ull, 0x9394c9e8a0a5159dull, 1);
static const xf X_ATAN_K8[9] = {
    { 0, 0, false },
    XC(0xfeadd4d5617b6e32ull, 0xc897989f3e888ef8ull, -4),
    XC(0xfadbafc96406eb15ull, 0x6dc79ef5f7a217e6ull, -3),
    XC(0xb7b0ca0f26f78473ull, 0x8aa32122dcfe4483ull, -2),
    XC(0xed63382b0dda7b45ull, 0x6fe445ecbc3a8d03ull, -2),
    XC(0x8f005d5ef7f59f9bull, 0x5c835e1665c43748ull, -1),
    XC(0xa4bc7d1934f70924ull, 0x19a87f2a457dac9full, -1),
    XC(0xb8053e2bc2319e73ull, 0xcb2da55210a4443dull, -1),
    XC(0xc90fdaa22168c234ull, 0xc4c6628b80dc1cd1ull, -1),
};
/* pi rounded to 66 bits, times 2^64 (SDM Vol.1 §8.3.10). */
static const sf_u128 PI66 = ((sf_u128)0x3 << 64) | 0x243f6a8885a308d3ull;
#define SQRT2_SIG 0xb504f333f9de6484ull

static const sf_fmt fmt80 = { 63, 64, SFK_X87, 16383, 0x7fff };

static xf xf_norm(xf a)
{
    if (a.m) {
        int z = sf_clz128(a.m);
        a.m <<= z;
        a.e -= z;
    }
    return a;
}

static xf xf_int(int64_t v)
{
    xf r;
    r.s = v < 0;
    r.m = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    r.e = 127;
    return xf_norm(r);
}

static xf xf_from_unp(const sf_unp *u)
{
    xf r;
    r.s = u->sign;
    r.m = (sf_u128)u->sig << 64;
    r.e = u->exp;
    if (u->cls == SFC_ZERO)
        r.m = 0;
    return r;
}

static xf xf_neg(xf a)
{
    a.s = !a.s;
    return a;
}

static xf xf_mul(xf a, xf b)
{
    xf r;
    uint64_t ah, al, bh, bl;
    sf_u128 hh, hl, lh, ll, mid;
    r.s = a.s ^ b.s;
    if (!a.m || !b.m) {
        r.m = 0;
        r.e = 0;
        return r;
    }
    ah = (uint64_t)(a.m >> 64);
    al = (uint64_t)a.m;
    bh = (uint64_t)(b.m >> 64);
    bl = (uint64_t)b.m;
    hh = (sf_u128)ah * bh;
    hl = (sf_u128)ah * bl;
    lh = (sf_u128)al * bh;
    ll = (sf_u128)al * bl;
    mid = (sf_u128)(uint64_t)hl + (uint64_t)lh + (ll >> 64);
    r.m = hh + (hl >> 64) + (lh >> 64) + (mid >> 64);
    r.e = a.e + b.e + 1;
    if (!(r.m >> 127)) {
        r.m = (r.m << 1) | (((uint64_t)mid >> 63) & 1);
        r.e--;
    }
    return r;
}

static xf xf_add(xf a, xf b)
{
    xf r;
    sf_u128 A, B;
    int32_t d;
    if (!b.m)
        return a;
    if (!a.m)
        return b;
    if (a.e < b.e || (a.e == b.e && a.m < b.m)) {
        xf t = a;
        a = b;
        b = t;
    }
    d = a.e - b.e;
    A = a.m >> 1;
    B = sf_shr_jam128(b.m >> 1, d); /* keep a sticky bit */
    r.s = a.s;
    r.e = a.e + 1;
    r.m = a.s == b.s ? A + B : A - B;
    return xf_norm(r);
}

static xf xf_sub(xf a, xf b) { return xf_add(a, xf_neg(b)); }

/* a / n for a small positive integer n. */
static xf xf_div_u(xf a, uint64_t n)
{
    sf_u128 q1 = a.m / n, r1 = a.m % n;
    uint64_t q2 = (uint64_t)((r1 << 64) / n);
    int z;
    xf r;
    r.s = a.s;
    if (!a.m)
        return a;
    /* 192-bit quotient q1:q2, keep the top 128 bits */
    z = sf_clz128(q1);
    r.m = (q1 << z) | (z ? (sf_u128)q2 >> (64 - z) : 0);
    r.e = a.e - z;
    return r;
}

/* 1 / b by one Newton step from a 64-bit estimate. */
static xf xf_recip(xf b)
{
    uint64_t bh = (uint64_t)(b.m >> 64);
    sf_u128 q = ((sf_u128)1 << 127) / bh;
    xf y, t, two = xf_int(2);
    y.s = b.s;
    y.m = q;
    y.e = 63 - b.e;
    y = xf_norm(y);
    t = xf_mul(b, y);
    t.s = !t.s;
    t = xf_add(two, t);
    t.s = false;
    return xf_mul(y, t);
}

static xf xf_div(xf a, xf b) { return xf_mul(a, xf_recip(b)); }

/* atanh(u)/u = sum u^2k / (2k+1), |u| <= 0.18. */
static xf atanh_series(xf u)
{
    xf u2 = xf_mul(u, u), p = xf_div_u(xf_int(1), 53);
    for (int k = 25; k >= 0; k--)
        p = xf_add(xf_div_u(xf_int(1), 2 * (uint64_t)k + 1), xf_mul(u2, p));
    return xf_mul(u, p);
}

/* log2(z), z > 0. */
static xf xf_log2(xf z)
{
    int32_t k = z.e;
    xf m = z, u;
    m.e = 0; /* [1, 2) */
    if ((uint64_t)(m.m >> 64) > SQRT2_SIG) {
        m.e = -1;
        k++;
    }
    u = xf_div(xf_sub(m, xf_int(1)), xf_add(m, xf_int(1)));
    return xf_add(xf_int(k), xf_mul(atanh_series(u), X_2_LN2));
}

/* log2(1 + x), x > -1, accurate for small x. */
static xf xf_log2p1(xf x)
{
    if (x.m && x.e < -2) {
        xf u = xf_div(x, xf_add(xf_int(2), x));
        return xf_mul(atanh_series(u), X_2_LN2);
    }
    return xf_log2(xf_add(xf_int(1), x));
}

/* e^t - 1 for |t| <= 0.7 (Taylor, Horner form). */
static xf xf_expm1(xf t)
{
    xf p = xf_int(1);
    for (uint64_t n = 44; n >= 2; n--)
        p = xf_add(xf_int(1), xf_div_u(xf_mul(p, t), n));
    return xf_mul(t, p);
}

/* atan(z), 0 <= z <= 1: atan(c) + atan((z - c)/(1 + z c)), c = k/8. */
static xf xf_atan01(xf z)
{
    int k = 0;
    xf c, w, w2, p;
    if (z.m) {
        /* k = round(8z) */
        int32_t sh = 127 - (z.e + 3);
        uint64_t v = sh >= 128 ? 0 : (uint64_t)(z.m >> sh);
        sf_u128 frac = sh >= 128 ? z.m : (sh > 0 ? z.m << (128 - sh) : 0);
        k = (int)v + (sh > 0 && sh < 128 && (frac >> 127));
        if (sh >= 128)
            k = 0;
        if (k > 8)
            k = 8;
    }
    c = xf_div_u(xf_int(k), 8);
    w = k ? xf_div(xf_sub(z, c), xf_add(xf_int(1), xf_mul(z, c))) : z;
    w2 = xf_mul(w, w);
    p = xf_div_u(xf_int(1), 41);
    for (int n = 19; n >= 0; n--) {
        xf t = xf_mul(w2, p);
        t.s = !t.s;
        p = xf_add(xf_div_u(xf_int(1), 2 * (uint64_t)n + 1), t);
    }
    return xf_add(X_ATAN_K8[k], xf_mul(w, p));
}

/* sin(r), cos(r) for |r| <= pi/4 + tiny. */
static xf xf_sin(xf r)
{
    xf r2 = xf_mul(r, r), p = xf_int(1);
    for (uint64_t n = 18; n >= 1; n--) {
        xf t = xf_div_u(xf_mul(r2, p), (2 * n) * (2 * n + 1));
        p = xf_sub(xf_int(1), t);
    }
    return xf_mul(r, p);
}

static xf xf_cos(xf r)
{
    xf r2 = xf_mul(r, r), p = xf_int(1);
    for (uint64_t n = 18; n >= 1; n--) {
        xf t = xf_div_u(xf_mul(r2, p), (2 * n - 1) * (2 * n));
        p = xf_sub(xf_int(1), t);
    }
    return p;
}

/* Round a computed result.  Transcendental results are reported inexact
 * even when the rounded value is exact (hardware), so PE always, and UE
 * with a denormal result. */
static sf_f80 xf_round(sf_status *s, xf v)
{
    sf_f80 r;
    if (!v.m)
        return sf_f80_make((uint16_t)((unsigned)v.s << 15), 0);
    r = sf_pack_f80(sf_round_pack(s, &fmt80, v.s, v.e, v.m));
    s->flags |= SF_PE;
    if (!(r.se & 0x7fff) && (s->masks & SF_UE))
        s->flags |= SF_UE;
    return r;
}

/* NaN, unsupported-format, invalid and denormal handling: the x87 rules of
 * softfloat_f80.c, returning packed results. */
static bool nan1(sf_status *s, const sf_unp *a, sf_f80 *out)
{
    sf_pk pk;
    if (!sf_x87_nan1(s, a, &pk))
        return false;
    *out = sf_pack_f80(pk);
    return true;
}

static bool nan2(sf_status *s, const sf_unp *a, const sf_unp *b, sf_f80 *out)
{
    sf_pk pk;
    if (!sf_x87_nan2(s, a, b, &pk))
        return false;
    *out = sf_pack_f80(pk);
    return true;
}

/* F2XM1: 2^a - 1, defined for -1 <= a <= 1. */
sf_f80 sf_f80_f2xm1(sf_status *s, sf_f80 ab)
{
    sf_unp a = sf_unpack_f80(ab);
    sf_f80 r;
    s->c1 = false;
    if (nan1(s, &a, &r))
        return r;
    if (sf_x87_de(s, a.denorm))
        return ab;
    if (a.cls == SFC_ZERO)
        return ab;
    if (a.cls == SFC_INF)
        return a.sign ? sf_f80_make(0xbfff, 1ull << 63) : ab;
    if (a.exp > 0 || (a.exp == 0 && a.sig != (1ull << 63))) {
        /* |a| > 1, outside the SDM domain: returned unchanged, inexact
         * (hardware). */
        s->flags |= SF_PE;
        return ab;
    }
    return xf_round(s, xf_expm1(xf_mul(xf_from_unp(&a), X_LN2)));
}

/* FYL2X: y * log2(x); x = ST0, y = ST1. */
sf_f80 sf_f80_fyl2x(sf_status *s, sf_f80 xb, sf_f80 yb)
{
    sf_unp x = sf_unpack_f80(xb), y = sf_unpack_f80(yb);
    sf_f80 r;
    s->c1 = false;
    if (nan2(s, &x, &y, &r))
        return r;
    if (x.sign && x.cls != SFC_ZERO)
        return sf_x87_invalid(s);
    if (x.cls == SFC_ZERO) {
        if (y.cls == SFC_ZERO)
            return sf_x87_invalid(s);
        if (y.cls != SFC_INF)
            s->flags |= SF_ZE; /* alone, not DE (hardware) */
        return sf_pack_f80(sf_pk_inf(&fmt80, !y.sign));
    }
    if (x.cls == SFC_INF) {
        if (y.cls == SFC_ZERO)
            return sf_x87_invalid(s);
        if (sf_x87_de(s, y.denorm))
            return yb;
        return sf_pack_f80(sf_pk_inf(&fmt80, y.sign));
    }
    /* x finite positive */
    {
        bool one = x.exp == 0 && x.sig == (1ull << 63);
        bool below = x.exp < 0;
        if (y.cls == SFC_INF) {
            if (one)
                return sf_x87_invalid(s);
            if (sf_x87_de(s, x.denorm))
                return yb;
            return sf_pack_f80(sf_pk_inf(&fmt80, y.sign ^ below));
        }
        if (sf_x87_de(s, x.denorm || y.denorm))
            return yb;
        if (y.cls == SFC_ZERO || one)
            return sf_pack_f80(sf_pk_zero(y.sign ^ below));
        return xf_round(s, xf_mul(xf_from_unp(&y),
                                  xf_log2(xf_from_unp(&x))));
    }
}

/* FYL2XP1: y * log2(x + 1); x = ST0, y = ST1. */
sf_f80 sf_f80_fyl2xp1(sf_status *s, sf_f80 xb, sf_f80 yb)
{
    sf_unp x = sf_unpack_f80(xb), y = sf_unpack_f80(yb);
    sf_f80 r;
    s->c1 = false;
    if (nan2(s, &x, &y, &r))
        return r;
    if (x.cls == SFC_INF) {
        if (x.sign || y.cls == SFC_ZERO)
            return sf_x87_invalid(s);
        if (sf_x87_de(s, y.denorm))
            return yb;
        return sf_pack_f80(sf_pk_inf(&fmt80, y.sign));
    }
    if (x.cls == SFC_ZERO) {
        if (y.cls == SFC_INF)
            return sf_x87_invalid(s);
        if (sf_x87_de(s, y.denorm))
            return yb;
        return sf_pack_f80(sf_pk_zero(x.sign ^ y.sign));
    }
    if (y.cls == SFC_INF) {
        if (sf_x87_de(s, x.denorm))
            return yb;
        return sf_pack_f80(sf_pk_inf(&fmt80, x.sign ^ y.sign));
    }
    if (sf_x87_de(s, x.denorm || y.denorm))
        return yb;
    if (y.cls == SFC_ZERO)
        return sf_pack_f80(sf_pk_zero(x.sign ^ y.sign));
    if (x.sign && x.exp >= 0) {
        /* x <= -1, outside the SDM domain: the result is x, inexact
         * (hardware) */
        s->flags |= SF_PE;
        return xb;
    }
    return xf_round(s, xf_mul(xf_from_unp(&y), xf_log2p1(xf_from_unp(&x))));
}

/* FPATAN: atan(y / x) with the quadrant of (x, y); x = ST0, y = ST1. */
sf_f80 sf_f80_fpatan(sf_status *s, sf_f80 xb, sf_f80 yb)
{
    sf_unp x = sf_unpack_f80(xb), y = sf_unpack_f80(yb);
    sf_f80 r;
    xf v;
    s->c1 = false;
    if (nan2(s, &x, &y, &r))
        return r;
    if (sf_x87_de(s, x.denorm || y.denorm))
        return yb;
    if (y.cls == SFC_ZERO) {
        if (x.sign)
            v = X_PI;
        else
            return sf_pack_f80(sf_pk_zero(y.sign));
    } else if (y.cls == SFC_INF) {
        v = x.cls != SFC_INF ? X_PI_2 : (x.sign ? X_3PI_4 : X_PI_4);
    } else if (x.cls == SFC_ZERO) {
        v = X_PI_2;
    } else if (x.cls == SFC_INF) {
        if (x.sign)
            v = X_PI;
        else
            return sf_pack_f80(sf_pk_zero(y.sign));
    } else {
        xf ax = xf_from_unp(&x), ay = xf_from_unp(&y);
        ax.s = ay.s = false;
        if (x.exp < y.exp || (x.exp == y.exp && x.sig < y.sig))
            v = xf_sub(X_PI_2, xf_atan01(xf_div(ax, ay)));
        else
            v = xf_atan01(xf_div(ay, ax));
        if (x.sign)
            v = xf_sub(X_PI, v);
    }
    v.s = y.sign;
    return xf_round(s, v);
}

/* Exact reduction of |a| (finite, exp < 63) modulo pi66/2; returns r
 * (|r| <= pi66/4) and the quadrant q mod 4. */
static xf reduce(const sf_unp *a, unsigned *q)
{
    sf_u128 N, R, qq;
    xf r;
    *q = 0;
    if (a->exp < -2) {
        r = xf_from_unp(a);
        r.s = false;
        return r;
    }
    N = (sf_u128)a->sig << (a->exp + 2); /* |a| = N * 2^-65 */
    qq = N / PI66;
    R = N % PI66;
    r.s = false;
    if (R > PI66 - R) {
        qq++;
        R = PI66 - R;
        r.s = true;
    }
    *q = (unsigned)(qq & 3);
    r.m = R;
    r.e = 62;
    return xf_norm(r);
}

enum { T_SIN, T_COS, T_TAN, T_SINCOS };

/* Below 2^TINY_EXP the x87 returns x (or 1) unchanged, inexact. */
#define TINY_EXP (-68)
/* Below 2^TAN_SIN_EXP, FPTAN returns the value FSIN would. */
#define TAN_SIN_EXP (-33)

static sf_f80 trig(sf_status *s, sf_f80 ab, int kind, sf_f80 *cos_out,
                   bool *c2)
{
    sf_unp a = sf_unpack_f80(ab);
    sf_f80 r;
    unsigned q;
    xf x, sv, cv;
    s->c1 = false;
    *c2 = false;
    if (cos_out)
        *cos_out = ab;
    if (nan1(s, &a, &r)) {
        if (cos_out)
            *cos_out = r;
        return r;
    }
    if (a.cls == SFC_INF) {
        r = sf_x87_invalid(s);
        if (cos_out)
            *cos_out = r;
        return r;
    }
    if (a.cls == SFC_FINITE && a.exp >= 63) {
        *c2 = true; /* out of range: operand unchanged */
        return ab;
    }
    if (sf_x87_de(s, a.denorm))
        return ab;
    if (a.cls == SFC_ZERO) {
        if (cos_out)
            *cos_out = sf_f80_make(0x3fff, 1ull << 63);
        return kind == T_COS ? sf_f80_make(0x3fff, 1ull << 63) : ab;
    }
    if (a.exp < TINY_EXP) {
        /* sin x = tan x = x and cos x = 1, inexact (hardware) */
        sf_f80 one = sf_f80_make(0x3fff, 1ull << 63), x;
        x = sf_pack_f80(sf_round_pack(s, &fmt80, a.sign, a.exp,
                                      (sf_u128)a.sig << 64));
        s->flags |= SF_PE;
        if (!(x.se & 0x7fff) && (s->masks & SF_UE) && kind != T_COS)
            s->flags |= SF_UE;
        if (cos_out)
            *cos_out = one;
        return kind == T_COS ? one : x;
    }
    x = reduce(&a, &q);
    sv = xf_sin(x);
    cv = xf_cos(x);
    /* sin/cos of q*pi/2 + x */
    {
        xf s1 = sv, c1 = cv;
        switch (q) {
        case 1:
            s1 = cv;
            c1 = xf_neg(sv);
            break;
        case 2:
            s1 = xf_neg(sv);
            c1 = xf_neg(cv);
            break;
        case 3:
            s1 = xf_neg(cv);
            c1 = sv;
            break;
        default:
            break;
        }
        if (a.sign)
            s1 = xf_neg(s1);
        switch (kind) {
        case T_SIN:
            return xf_round(s, s1);
        case T_COS:
            return xf_round(s, c1);
        case T_TAN:
            /* below 2^-33 the x87 delivers sin x for tan x (hardware) */
            if (a.exp < TAN_SIN_EXP)
                return xf_round(s, s1);
            return xf_round(s, xf_div(s1, c1));
        default: {
            sf_status s2 = *s;
            sf_f80 rs = xf_round(s, s1);
            bool c1s = s->c1;
            *cos_out = xf_round(&s2, c1);
            s->flags |= s2.flags;
            s->c1 = c1s || s2.c1;
            return rs;
        }
        }
    }
}

sf_f80 sf_f80_fsin(sf_status *s, sf_f80 a, bool *c2)
{
    return trig(s, a, T_SIN, NULL, c2);
}

sf_f80 sf_f80_fcos(sf_status *s, sf_f80 a, bool *c2)
{
    return trig(s, a, T_COS, NULL, c2);
}

sf_f80 sf_f80_fptan(sf_status *s, sf_f80 a, bool *c2)
{
    return trig(s, a, T_TAN, NULL, c2);
}

sf_f80 sf_f80_fsincos(sf_status *s, sf_f80 a, sf_f80 *cos_out, bool *c2)
{
    return trig(s, a, T_SINCOS, cos_out, c2);
}
