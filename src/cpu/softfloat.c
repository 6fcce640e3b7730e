/* Software floating point: rounding core and SSE scalar operations.
 * SDM Vol.1 §4.8 (real numbers), §4.9 (exceptions), §10.2.3 (MXCSR),
 * §11.5 (SSE exceptions). */
#include "softfloat_impl.h"

const sf_fmt sf_fmt_f32 = { 23, 24, SFK_SSE, 127, 0xff };
const sf_fmt sf_fmt_f64 = { 52, 53, SFK_SSE, 1023, 0x7ff };

/* x87 exponent wrap for unmasked OE/UE, SDM Vol.1 §8.5.4, §8.5.5. */
#define X87_WRAP 24576

void sf_status_from_fcw(sf_status *s, uint16_t fcw)
{
    s->masks = fcw & SF_ALL;
    s->pc = (fcw >> 8) & 3;
    s->rc = (fcw >> 10) & 3;
    s->daz = false;
    s->ftz = false;
}

void sf_status_from_mxcsr(sf_status *s, uint32_t mxcsr)
{
    s->masks = (mxcsr >> 7) & SF_ALL;
    s->rc = (mxcsr >> 13) & 3;
    s->pc = SF_PC_64;
    s->daz = (mxcsr >> 6) & 1;
    s->ftz = (mxcsr >> 15) & 1;
}

/* Round sig to p (<= 64) leading bits of its 128 by rc; the result has
 * a clear low word and is 0 on a carry out of bit 127.  SDM Vol.1
 * §4.8.4. */
static inline sf_u128 rnd128(sf_u128 sig, unsigned p, int rc, bool sign,
                             bool *inexact, bool *up)
{
    uint64_t hi = (uint64_t)(sig >> 64), lo = (uint64_t)sig;
    uint64_t lsb = 1ull << (64 - p);
    uint64_t rem = hi & (lsb - 1);
    bool u;
    hi -= rem;
    *inexact = (rem | lo) != 0;
    switch (rc) {
    case SF_RC_NEAREST: {
        bool gt, eq;
        if (lsb == 1) {
            gt = lo > (1ull << 63);
            eq = lo == (1ull << 63);
        } else {
            uint64_t half = lsb >> 1;
            gt = rem > half || (rem == half && lo);
            eq = rem == half && !lo;
        }
        u = gt || (eq && (hi & lsb));
        break;
    }
    case SF_RC_DOWN:
        u = sign && *inexact;
        break;
    case SF_RC_UP:
        u = !sign && *inexact;
        break;
    default:
        u = false;
        break;
    }
    *up = u;
    if (u)
        hi += lsb;
    return (sf_u128)hi << 64;
}

sf_pk sf_pk_zero(bool sign)
{
    sf_pk r = { sign, 0, 0 };
    return r;
}

sf_pk sf_pk_inf(const sf_fmt *f, bool sign)
{
    sf_pk r = { sign, f->emaxf, 1ull << 63 };
    return r;
}

sf_pk sf_pk_nan(const sf_fmt *f, bool sign, uint64_t sig)
{
    sf_pk r = { sign, f->emaxf, sig | (3ull << 62) };
    return r;
}

sf_pk sf_pk_default_nan(const sf_fmt *f)
{
    return sf_pk_nan(f, true, 0);
}

sf_pk sf_round_pack(sf_status *s, const sf_fmt *f, bool sign, int32_t e,
                    sf_u128 sig)
{
    int z = sf_clz128(sig);
    int32_t E;
    bool inexact, up;
    sf_pk r;

    sig <<= z;
    e -= z;
    E = e + f->bias;
    r.sign = sign;

    if (E < 1) {
        /* Tininess after rounding with unbounded exponent: SDM Vol.1
         * §4.9.1.5; only E == 0 can round up to the smallest normal. */
        bool tiny = true;
        bool ue_masked = (s->masks & SF_UE) != 0;
        if (E == 0) {
            sf_u128 t = rnd128(sig, f->prec, s->rc, sign, &inexact, &up);
            if (t == 0)
                tiny = false;
        }
        if (tiny) {
            if (!ue_masked && f->kind != SFK_X87MEM &&
                (f->kind == SFK_SSE || E + X87_WRAP >= 1)) {
                /* Unmasked underflow: rounded with unbounded exponent,
                 * UE plus PE if inexact.  x87 register: result with
                 * exponent + 24576 (SDM Vol.1 §8.5.5); SSE: the
                 * instruction faults, no result (§11.5.2). */
                sig = rnd128(sig, f->prec, s->rc, sign, &inexact, &up);
                if (sig == 0) {
                    sig = (sf_u128)1 << 127;
                    E++;
                }
                s->flags |= SF_UE | (inexact ? SF_PE : 0);
                s->c1 = up;
                r.e = E + X87_WRAP;
                r.sig = (uint64_t)(sig >> 64);
                return r;
            }
            if (!ue_masked && f->kind == SFK_X87) {
                /* Beyond the wrap range: zero, any rounding (hardware). */
                s->flags |= SF_UE | SF_PE;
                s->c1 = false;
                return sf_pk_zero(sign);
            }
            if (!ue_masked) {
                /* Unmasked UE, x87 memory destination: nothing stored,
                 * UE alone (hardware). */
                s->flags |= SF_UE;
                s->c1 = false;
                return sf_pk_zero(sign);
            }
            if (f->kind == SFK_SSE && s->ftz && ue_masked) {
                /* FTZ, SDM Vol.1 §10.2.3.3. */
                s->flags |= SF_UE | SF_PE;
                s->c1 = false;
                return sf_pk_zero(sign);
            }
            sig = sf_shr_jam128(sig, 1 - E);
            sig = rnd128(sig, f->prec, s->rc, sign, &inexact, &up);
            r.e = (sig >> 127) ? 1 : 0;
            r.sig = (uint64_t)(sig >> 64);
            if (inexact)
                s->flags |= SF_PE;
            if (inexact || !ue_masked)
                s->flags |= SF_UE;
            s->c1 = up;
            return r;
        }
    }

    sig = rnd128(sig, f->prec, s->rc, sign, &inexact, &up);
    if (sig == 0) {
        sig = (sf_u128)1 << 127;
        E++;
    }
    if (E >= f->emaxf) {
        /* Overflow, SDM Vol.1 §4.9.1.4 Table 4-10. */
        if (!(s->masks & SF_OE) && f->kind != SFK_X87MEM &&
            (f->kind == SFK_SSE || E - X87_WRAP < f->emaxf)) {
            /* Unmasked overflow: OE plus PE if inexact.  x87 register:
             * exponent - 24576 (SDM Vol.1 §8.5.4); SSE: faults. */
            s->flags |= SF_OE | (inexact ? SF_PE : 0);
            s->c1 = up;
            r.e = E - X87_WRAP;
            r.sig = (uint64_t)(sig >> 64);
            return r;
        }
        if (!(s->masks & SF_OE) && f->kind == SFK_X87) {
            /* Beyond the wrap range: infinity, any rounding (hardware). */
            s->flags |= SF_OE | SF_PE;
            s->c1 = true;
            return sf_pk_inf(f, sign);
        }
        if (!(s->masks & SF_OE)) {
            /* x87 memory destination: nothing stored, OE alone. */
            s->flags |= SF_OE;
            s->c1 = false;
            return sf_pk_inf(f, sign);
        }
        s->flags |= SF_OE | SF_PE;
        if (s->rc == SF_RC_NEAREST || (s->rc == SF_RC_UP && !sign) ||
            (s->rc == SF_RC_DOWN && sign)) {
            s->c1 = true;
            return sf_pk_inf(f, sign);
        }
        s->c1 = false;
        r.e = f->emaxf - 1;
        r.sig = ~0ull << (64 - f->prec);
        return r;
    }
    if (inexact)
        s->flags |= SF_PE;
    s->c1 = up;
    r.e = E;
    r.sig = (uint64_t)(sig >> 64);
    return r;
}

/* ---- arithmetic cores on finite/zero values ---- */

sf_pk sf_add_core(sf_status *s, const sf_fmt *f, sf_unp a, sf_unp b)
{
    sf_u128 A, B, S;
    int32_t d;
    if (a.cls == SFC_ZERO && b.cls == SFC_ZERO) {
        s->c1 = false;
        return sf_pk_zero(a.sign == b.sign ? a.sign : s->rc == SF_RC_DOWN);
    }
    if (a.cls == SFC_ZERO)
        return sf_round_pack(s, f, b.sign, b.exp, (sf_u128)b.sig << 64);
    if (b.cls == SFC_ZERO)
        return sf_round_pack(s, f, a.sign, a.exp, (sf_u128)a.sig << 64);
    if (a.exp < b.exp || (a.exp == b.exp && a.sig < b.sig)) {
        sf_unp t = a;
        a = b;
        b = t;
    }
    d = a.exp - b.exp;
    A = (sf_u128)a.sig << 63;
    B = sf_shr_jam128((sf_u128)b.sig << 63, d);
    if (a.sign == b.sign) {
        S = A + B;
    } else {
        S = A - B;
        if (S == 0) {
            s->c1 = false;
            return sf_pk_zero(s->rc == SF_RC_DOWN);
        }
    }
    return sf_round_pack(s, f, a.sign, a.exp + 1, S);
}

sf_pk sf_mul_core(sf_status *s, const sf_fmt *f, sf_unp a, sf_unp b)
{
    sf_u128 P = (sf_u128)a.sig * b.sig;
    return sf_round_pack(s, f, a.sign ^ b.sign, a.exp + b.exp + 1, P);
}

sf_pk sf_div_core(sf_status *s, const sf_fmt *f, sf_unp a, sf_unp b)
{
    uint64_t q, r, d = b.sig, half;
    sf_u128 Q;
    int32_t e;
    if (f->prec <= 24 && (a.sig << 24) == 0 && (b.sig << 24) == 0) {
        /* 24-bit significands (binary32): native 64-bit division gives
         * a 40-bit quotient, enough for 24-bit rounding. */
        uint64_t A = a.sig >> 40;
        d = b.sig >> 40;
        if (A < d) {
            A <<= 40;
            e = a.exp - b.exp + 23;
        } else {
            A <<= 39;
            e = a.exp - b.exp + 24;
        }
        q = A / d;
        r = A % d;
    } else {
        /* q = floor(a.sig * 2^k / b.sig) in [2^63, 2^64) */
        sf_u128 N;
        if (a.sig < b.sig) {
            N = (sf_u128)a.sig << 64;
            e = a.exp - b.exp - 1;
        } else {
            N = (sf_u128)a.sig << 63;
            e = a.exp - b.exp;
        }
        q = (uint64_t)(N / d);
        r = (uint64_t)(N - (sf_u128)q * d);
    }
    /* The remainder fraction r/d only matters through its relation to
     * 1/2 and to 0: encode it in two bits below q. */
    half = r ? ((r >= d - r) ? ((r == d - r) ? 2 : 3) : 1) : 0;
    Q = ((sf_u128)q << 64) | ((uint64_t)half << 62);
    return sf_round_pack(s, f, a.sign ^ b.sign, e, Q);
}

/* 1/sqrt(X) for X = (i + 0.5) / 256, i = 64..255, in units of 2^-8. */
static const uint16_t rsqrt_tab[192] = {
    510, 506, 502, 499, 495, 491, 488, 484, 481, 478, 475, 471,
    468, 465, 462, 459, 457, 454, 451, 448, 446, 443, 440, 438,
    435, 433, 431, 428, 426, 424, 421, 419, 417, 415, 413, 411,
    409, 407, 405, 403, 401, 399, 397, 395, 393, 391, 390, 388,
    386, 384, 383, 381, 379, 378, 376, 375, 373, 372, 370, 369,
    367, 366, 364, 363, 361, 360, 359, 357, 356, 355, 353, 352,
    351, 349, 348, 347, 346, 344, 343, 342, 341, 340, 338, 337,
    336, 335, 334, 333, 332, 331, 330, 328, 327, 326, 325, 324,
    323, 322, 321, 320, 319, 318, 317, 316, 316, 315, 314, 313,
    312, 311, 310, 309, 308, 307, 307, 306, 305, 304, 303, 302,
    302, 301, 300, 299, 298, 298, 297, 296, 295, 294, 294, 293,
    292, 291, 291, 290, 289, 289, 288, 287, 286, 286, 285, 284,
    284, 283, 282, 282, 281, 280, 280, 279, 278, 278, 277, 276,
    276, 275, 275, 274, 273, 273, 272, 272, 271, 270, 270, 269,
    269, 268, 267, 267, 266, 266, 265, 265, 264, 264, 263, 262,
    262, 261, 261, 260, 260, 259, 259, 258, 258, 257, 257, 256,
};

/* floor(sqrt(R)) for 2^126 <= R < 2^128, and rem = R - root^2.
 * Reciprocal square root by Newton's method in 64-bit fixed point
 * (y' = y (3 - X y^2) / 2), then one correction and a final exact
 * adjustment against R. */
static uint64_t isqrt128(sf_u128 R, sf_u128 *remp)
{
    uint64_t x = (uint64_t)(R >> 64); /* X = x / 2^64 in [1/4, 1) */
    uint64_t y = (uint64_t)rsqrt_tab[(x >> 56) - 64] << 54; /* Q62 */
    sf_u128 r, sq, d, delta;
    for (int i = 0; i < 3; i++) {
        uint64_t t = (uint64_t)(((sf_u128)y * y) >> 64);     /* Q60 */
        uint64_t u = (uint64_t)(((sf_u128)x * t) >> 64);     /* Q60 */
        uint64_t v = (3ull << 60) - u;                       /* Q60 */
        y = (uint64_t)(((sf_u128)y * v) >> 61);              /* Q62 */
    }
    r = ((sf_u128)x * y) >> 62; /* sqrt(X) * 2^64, error ~2^7 */
    if (r > ~0ull)
        r = ~0ull;
    /* Newton correction: r += (R - r^2) / (2r), with 1/(2r) ~ y/2^65 */
    sq = r * r;
    if (R >= sq) {
        d = R - sq;
        delta = ((d >> 16) * y) >> 111;
        r += delta;
    } else {
        d = sq - R;
        delta = ((d >> 16) * y) >> 111;
        r -= delta;
    }
    if (r > ~0ull)
        r = ~0ull;
    /* exact: r^2 <= R < (r+1)^2 */
    sq = r * r;
    while (sq > R) {
        sq -= 2 * r - 1;
        r--;
    }
    while (R - sq > 2 * r) {
        sq += 2 * r + 1;
        r++;
    }
    *remp = R - sq;
    return (uint64_t)r;
}

sf_pk sf_sqrt_core(sf_status *s, const sf_fmt *f, sf_unp a)
{
    sf_u128 R, rem, sig;
    int32_t k;
    uint64_t r;
    if (a.exp & 1) {
        R = (sf_u128)a.sig << 64;
        k = (a.exp - 127) / 2;
    } else {
        R = (sf_u128)a.sig << 63;
        k = (a.exp - 126) / 2;
    }
    r = isqrt128(R, &rem);
    /* sqrt is never exactly halfway: round bit = rem > r. */
    sig = ((sf_u128)r << 64) | ((sf_u128)(rem > r) << 63) | (rem != 0);
    return sf_round_pack(s, f, false, k + 63, sig);
}

uint64_t sf_round_to_u64(uint64_t sig, int32_t exp, bool sign, int rc,
                         bool *inexact, bool *up)
{
    /* value = sig * 2^(exp-63), exp <= 62; v = value * 2^64. */
    sf_u128 v = sf_shr_jam128((sf_u128)sig << 64, 63 - exp);
    uint64_t ip = (uint64_t)(v >> 64), fr = (uint64_t)v;
    bool u;
    *inexact = fr != 0;
    switch (rc) {
    case SF_RC_NEAREST:
        u = fr > (1ull << 63) || (fr == (1ull << 63) && (ip & 1));
        break;
    case SF_RC_DOWN:
        u = sign && fr;
        break;
    case SF_RC_UP:
        u = !sign && fr;
        break;
    default:
        u = false;
        break;
    }
    *up = u;
    return ip + u;
}

/* ---- SSE ---- */

static sf_unp sse_unpack(const sf_status *s, const sf_fmt *f, uint64_t a)
{
    sf_unp u = sf_unpack_bits(f, a);
    if (u.denorm && s->daz) {
        /* DAZ: SDM Vol.1 §10.2.3.4. */
        u.cls = SFC_ZERO;
        u.denorm = false;
        u.sig = 0;
        u.exp = 0;
    }
    return u;
}

static inline bool is_nan(const sf_unp *u)
{
    return u->cls == SFC_QNAN || u->cls == SFC_SNAN;
}

/* Two-operand NaN result, SDM Vol.1 Table 4-7 (SSE: first source). */
static bool sse_nan2(sf_status *s, const sf_fmt *f, const sf_unp *a,
                     const sf_unp *b, sf_pk *out)
{
    if (!is_nan(a) && !is_nan(b))
        return false;
    if (a->cls == SFC_SNAN || b->cls == SFC_SNAN)
        s->flags |= SF_IE;
    if (is_nan(a))
        *out = sf_pk_nan(f, a->sign, a->sig);
    else
        *out = sf_pk_nan(f, b->sign, b->sig);
    return true;
}

/* DE for denormal operands; true if DE is unmasked: the instruction
 * faults before computing (SDM Vol.1 §11.5.2). */
static bool sse_de2(sf_status *s, const sf_unp *a, const sf_unp *b)
{
    if (!a->denorm && !b->denorm)
        return false;
    s->flags |= SF_DE;
    return !(s->masks & SF_DE);
}

enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV };

static uint64_t sse_arith(sf_status *s, const sf_fmt *f, uint64_t ab,
                          uint64_t bb, int op)
{
    sf_unp a = sse_unpack(s, f, ab), b = sse_unpack(s, f, bb);
    sf_pk r;
    if (sse_nan2(s, f, &a, &b, &r))
        goto out;
    /* x/0 reports ZE alone, not DE (hardware). */
    if (!(op == OP_DIV && b.cls == SFC_ZERO && a.cls == SFC_FINITE) &&
        sse_de2(s, &a, &b)) {
        r = sf_pk_default_nan(f);
        goto out;
    }
    switch (op) {
    case OP_SUB:
        b.sign = !b.sign;
        /* fallthrough */
    case OP_ADD:
        if (a.cls == SFC_INF || b.cls == SFC_INF) {
            if (a.cls == SFC_INF && b.cls == SFC_INF && a.sign != b.sign) {
                s->flags |= SF_IE;
                r = sf_pk_default_nan(f);
            } else {
                r = sf_pk_inf(f, a.cls == SFC_INF ? a.sign : b.sign);
            }
        } else {
            r = sf_add_core(s, f, a, b);
        }
        break;
    case OP_MUL:
        if (a.cls == SFC_INF || b.cls == SFC_INF) {
            if (a.cls == SFC_ZERO || b.cls == SFC_ZERO) {
                s->flags |= SF_IE;
                r = sf_pk_default_nan(f);
            } else {
                r = sf_pk_inf(f, a.sign ^ b.sign);
            }
        } else if (a.cls == SFC_ZERO || b.cls == SFC_ZERO) {
            r = sf_pk_zero(a.sign ^ b.sign);
        } else {
            r = sf_mul_core(s, f, a, b);
        }
        break;
    default: /* OP_DIV */
        if (a.cls == SFC_INF) {
            if (b.cls == SFC_INF) {
                s->flags |= SF_IE;
                r = sf_pk_default_nan(f);
            } else {
                r = sf_pk_inf(f, a.sign ^ b.sign);
            }
        } else if (b.cls == SFC_INF) {
            r = sf_pk_zero(a.sign ^ b.sign);
        } else if (b.cls == SFC_ZERO) {
            if (a.cls == SFC_ZERO) {
                s->flags |= SF_IE;
                r = sf_pk_default_nan(f);
            } else {
                s->flags |= SF_ZE;
                r = sf_pk_inf(f, a.sign ^ b.sign);
            }
        } else if (a.cls == SFC_ZERO) {
            r = sf_pk_zero(a.sign ^ b.sign);
        } else {
            r = sf_div_core(s, f, a, b);
        }
        break;
    }
out:
    return sf_pack_bits(f, r);
}

static uint64_t sse_sqrt(sf_status *s, const sf_fmt *f, uint64_t ab)
{
    sf_unp a = sse_unpack(s, f, ab);
    sf_pk r;
    if (is_nan(&a)) {
        if (a.cls == SFC_SNAN)
            s->flags |= SF_IE;
        r = sf_pk_nan(f, a.sign, a.sig);
    } else if (a.cls == SFC_ZERO) {
        r = sf_pk_zero(a.sign);
    } else if (a.sign) {
        s->flags |= SF_IE; /* not DE: IE takes precedence */
        r = sf_pk_default_nan(f);
    } else if (a.cls == SFC_INF) {
        r = sf_pk_inf(f, false);
    } else if (sse_de2(s, &a, &a)) {
        r = sf_pk_default_nan(f);
    } else {
        r = sf_sqrt_core(s, f, a);
    }
    return sf_pack_bits(f, r);
}

/* Magnitude/sign comparison of non-NaN unpacked values (any format). */
sf_cmp sf_cmp_unp(const sf_unp *a, const sf_unp *b)
{
    bool az = a->cls == SFC_ZERO, bz = b->cls == SFC_ZERO;
    int mag;
    if (az && bz)
        return SF_CMP_EQUAL;
    if (az)
        return b->sign ? SF_CMP_GREATER : SF_CMP_LESS;
    if (bz)
        return a->sign ? SF_CMP_LESS : SF_CMP_GREATER;
    if (a->sign != b->sign)
        return a->sign ? SF_CMP_LESS : SF_CMP_GREATER;
    /* same sign: compare magnitudes; infinity above every finite */
    if (a->cls == SFC_INF || b->cls == SFC_INF) {
        if (a->cls == b->cls)
            mag = 0;
        else
            mag = a->cls == SFC_INF ? 1 : -1;
    } else if (a->exp != b->exp) {
        mag = a->exp > b->exp ? 1 : -1;
    } else if (a->sig != b->sig) {
        mag = a->sig > b->sig ? 1 : -1;
    } else {
        mag = 0;
    }
    if (mag == 0)
        return SF_CMP_EQUAL;
    if (a->sign)
        mag = -mag;
    return mag > 0 ? SF_CMP_GREATER : SF_CMP_LESS;
}

static sf_cmp sse_compare(sf_status *s, const sf_fmt *f, uint64_t ab,
                          uint64_t bb, bool signaling)
{
    sf_unp a = sse_unpack(s, f, ab), b = sse_unpack(s, f, bb);
    if (is_nan(&a) || is_nan(&b)) {
        /* no DE when an operand is a NaN (hardware) */
        if (signaling || a.cls == SFC_SNAN || b.cls == SFC_SNAN)
            s->flags |= SF_IE;
        return SF_CMP_UNORDERED;
    }
    sse_de2(s, &a, &b);
    return sf_cmp_unp(&a, &b);
}

/* MINSS/MAXSS, SDM Vol.2 MINSS: second operand if either is NaN or both
 * are zero; IE for any NaN. */
static uint64_t sse_minmax(sf_status *s, const sf_fmt *f, uint64_t ab,
                           uint64_t bb, bool max)
{
    sf_unp a = sse_unpack(s, f, ab), b = sse_unpack(s, f, bb);
    sf_cmp c;
    if (is_nan(&a) || is_nan(&b)) {
        s->flags |= SF_IE; /* b returned as is (after DAZ), even SNaN */
        return b.cls == SFC_ZERO ? sf_pack_bits(f, sf_pk_zero(b.sign)) : bb;
    }
    sse_de2(s, &a, &b);
    c = sf_cmp_unp(&a, &b);
    if (a.cls == SFC_ZERO && b.cls == SFC_ZERO)
        c = SF_CMP_EQUAL;
    /* the chosen operand after DAZ */
    if (max ? c == SF_CMP_GREATER : c == SF_CMP_LESS)
        return a.cls == SFC_ZERO ? sf_pack_bits(f, sf_pk_zero(a.sign)) : ab;
    return b.cls == SFC_ZERO ? sf_pack_bits(f, sf_pk_zero(b.sign)) : bb;
}

uint32_t sf_f32_add(sf_status *s, uint32_t a, uint32_t b)
{
    return (uint32_t)sse_arith(s, &sf_fmt_f32, a, b, OP_ADD);
}
uint32_t sf_f32_sub(sf_status *s, uint32_t a, uint32_t b)
{
    return (uint32_t)sse_arith(s, &sf_fmt_f32, a, b, OP_SUB);
}
uint32_t sf_f32_mul(sf_status *s, uint32_t a, uint32_t b)
{
    return (uint32_t)sse_arith(s, &sf_fmt_f32, a, b, OP_MUL);
}
uint32_t sf_f32_div(sf_status *s, uint32_t a, uint32_t b)
{
    return (uint32_t)sse_arith(s, &sf_fmt_f32, a, b, OP_DIV);
}
uint32_t sf_f32_sqrt(sf_status *s, uint32_t a)
{
    return (uint32_t)sse_sqrt(s, &sf_fmt_f32, a);
}
uint32_t sf_f32_min(sf_status *s, uint32_t a, uint32_t b)
{
    return (uint32_t)sse_minmax(s, &sf_fmt_f32, a, b, false);
}
uint32_t sf_f32_max(sf_status *s, uint32_t a, uint32_t b)
{
    return (uint32_t)sse_minmax(s, &sf_fmt_f32, a, b, true);
}
uint64_t sf_f64_add(sf_status *s, uint64_t a, uint64_t b)
{
    return sse_arith(s, &sf_fmt_f64, a, b, OP_ADD);
}
uint64_t sf_f64_sub(sf_status *s, uint64_t a, uint64_t b)
{
    return sse_arith(s, &sf_fmt_f64, a, b, OP_SUB);
}
uint64_t sf_f64_mul(sf_status *s, uint64_t a, uint64_t b)
{
    return sse_arith(s, &sf_fmt_f64, a, b, OP_MUL);
}
uint64_t sf_f64_div(sf_status *s, uint64_t a, uint64_t b)
{
    return sse_arith(s, &sf_fmt_f64, a, b, OP_DIV);
}
uint64_t sf_f64_sqrt(sf_status *s, uint64_t a)
{
    return sse_sqrt(s, &sf_fmt_f64, a);
}
uint64_t sf_f64_min(sf_status *s, uint64_t a, uint64_t b)
{
    return sse_minmax(s, &sf_fmt_f64, a, b, false);
}
uint64_t sf_f64_max(sf_status *s, uint64_t a, uint64_t b)
{
    return sse_minmax(s, &sf_fmt_f64, a, b, true);
}

sf_cmp sf_f32_compare(sf_status *s, uint32_t a, uint32_t b, bool signaling)
{
    return sse_compare(s, &sf_fmt_f32, a, b, signaling);
}
sf_cmp sf_f64_compare(sf_status *s, uint64_t a, uint64_t b, bool signaling)
{
    return sse_compare(s, &sf_fmt_f64, a, b, signaling);
}

/* CMPPS predicates, SDM Vol.2 CMPPS Table 3-1: true-set over
 * {LT, EQ, GT, UN} (bit = 1 << sf_cmp) and signaling on QNaN. */
static const uint8_t pred_true[16] = {
    0x2, 0x1, 0x3, 0x8, 0xd, 0xe, 0xc, 0x7,
    0xa, 0x9, 0xb, 0x0, 0x5, 0x6, 0x4, 0xf,
};
static const uint16_t pred_signal = 0x6666; /* imm 1,2,5,6,9,10,13,14 */

static bool sse_pred(sf_status *s, const sf_fmt *f, uint64_t a, uint64_t b,
                     unsigned imm)
{
    bool sig = (pred_signal >> (imm & 15)) & 1;
    sf_cmp c;
    if (imm & 16)
        sig = !sig;
    c = sse_compare(s, f, a, b, sig);
    return (pred_true[imm & 15] >> c) & 1;
}

bool sf_f32_cmp_pred(sf_status *s, uint32_t a, uint32_t b, unsigned imm)
{
    return sse_pred(s, &sf_fmt_f32, a, b, imm);
}
bool sf_f64_cmp_pred(sf_status *s, uint64_t a, uint64_t b, unsigned imm)
{
    return sse_pred(s, &sf_fmt_f64, a, b, imm);
}

/* ---- SSE conversions, SDM Vol.2 CVTSS2SD etc. ---- */

static uint64_t sse_cvt_ff(sf_status *s, const sf_fmt *from,
                           const sf_fmt *to, uint64_t ab)
{
    sf_unp a = sse_unpack(s, from, ab);
    sf_pk r;
    switch (a.cls) {
    case SFC_SNAN:
        s->flags |= SF_IE;
        /* fallthrough */
    case SFC_QNAN:
        r = sf_pk_nan(to, a.sign, a.sig);
        break;
    case SFC_INF:
        r = sf_pk_inf(to, a.sign);
        break;
    case SFC_ZERO:
        r = sf_pk_zero(a.sign);
        break;
    default:
        if (sse_de2(s, &a, &a))
            r = sf_pk_default_nan(to);
        else
            r = sf_round_pack(s, to, a.sign, a.exp, (sf_u128)a.sig << 64);
        break;
    }
    return sf_pack_bits(to, r);
}

uint64_t sf_f32_to_f64(sf_status *s, uint32_t a)
{
    return sse_cvt_ff(s, &sf_fmt_f32, &sf_fmt_f64, a);
}
uint32_t sf_f64_to_f32(sf_status *s, uint64_t a)
{
    return (uint32_t)sse_cvt_ff(s, &sf_fmt_f64, &sf_fmt_f32, a);
}

static uint64_t sse_from_int(sf_status *s, const sf_fmt *f, int64_t a)
{
    uint64_t m = a < 0 ? 0 - (uint64_t)a : (uint64_t)a;
    sf_pk r;
    if (m == 0)
        r = sf_pk_zero(false);
    else
        r = sf_round_pack(s, f, a < 0, 63, (sf_u128)m << 64);
    return sf_pack_bits(f, r);
}

uint32_t sf_i32_to_f32(sf_status *s, int32_t a)
{
    return (uint32_t)sse_from_int(s, &sf_fmt_f32, a);
}
uint32_t sf_i64_to_f32(sf_status *s, int64_t a)
{
    return (uint32_t)sse_from_int(s, &sf_fmt_f32, a);
}
uint64_t sf_i32_to_f64(sf_status *s, int32_t a)
{
    return sse_from_int(s, &sf_fmt_f64, a);
}
uint64_t sf_i64_to_f64(sf_status *s, int64_t a)
{
    return sse_from_int(s, &sf_fmt_f64, a);
}

int64_t sf_unp_to_int(sf_status *s, const sf_unp *a, int bits, int rc,
                      bool *up_out)
{
    int64_t indef = (int64_t)(~0ull << (bits - 1));
    uint64_t lim = 1ull << (bits - 1); /* magnitude limit (neg) */
    uint64_t m;
    bool inexact = false, up = false;
    *up_out = false;
    if (a->cls == SFC_ZERO)
        return 0;
    if (a->cls != SFC_FINITE) {
        s->flags |= SF_IE;
        return indef;
    }
    if (a->exp >= 63) {
        if (a->exp == 63 && a->sign && a->sig == lim && bits == 64)
            return indef; /* exactly INT64_MIN */
        s->flags |= SF_IE;
        return indef;
    }
    m = sf_round_to_u64(a->sig, a->exp, a->sign, rc, &inexact, &up);
    if (m > lim || (m == lim && !a->sign)) {
        s->flags |= SF_IE;
        return indef;
    }
    if (inexact)
        s->flags |= SF_PE;
    *up_out = up;
    return a->sign ? (int64_t)(0 - m) : (int64_t)m;
}

static int64_t sse_to_int(sf_status *s, const sf_fmt *f, uint64_t ab,
                          int bits, bool truncate)
{
    sf_unp a = sse_unpack(s, f, ab);
    bool up;
    return sf_unp_to_int(s, &a, bits, truncate ? SF_RC_ZERO : s->rc, &up);
}

int32_t sf_f32_to_i32(sf_status *s, uint32_t a, bool truncate)
{
    return (int32_t)sse_to_int(s, &sf_fmt_f32, a, 32, truncate);
}
int64_t sf_f32_to_i64(sf_status *s, uint32_t a, bool truncate)
{
    return sse_to_int(s, &sf_fmt_f32, a, 64, truncate);
}
int32_t sf_f64_to_i32(sf_status *s, uint64_t a, bool truncate)
{
    return (int32_t)sse_to_int(s, &sf_fmt_f64, a, 32, truncate);
}
int64_t sf_f64_to_i64(sf_status *s, uint64_t a, bool truncate)
{
    return sse_to_int(s, &sf_fmt_f64, a, 64, truncate);
}

static uint64_t sse_round_int(sf_status *s, const sf_fmt *f, uint64_t ab,
                              unsigned imm)
{
    sf_unp a = sse_unpack(s, f, ab);
    int rc = (imm & 4) ? s->rc : (int)(imm & 3);
    bool inexact, up;
    uint64_t m;
    sf_pk r;
    switch (a.cls) {
    case SFC_SNAN:
        s->flags |= SF_IE;
        /* fallthrough */
    case SFC_QNAN:
        return sf_pack_bits(f, sf_pk_nan(f, a.sign, a.sig));
    case SFC_INF:
    case SFC_ZERO:
        return sf_pack_bits(f, a.cls == SFC_INF ? sf_pk_inf(f, a.sign)
                                                : sf_pk_zero(a.sign));
    default:
        break;
    }
    if (a.exp >= f->fb)
        return ab; /* already integral */
    m = sf_round_to_u64(a.sig, a.exp, a.sign, rc, &inexact, &up);
    if (inexact && !(imm & 8))
        s->flags |= SF_PE;
    if (m == 0)
        r = sf_pk_zero(a.sign);
    else
        r = sf_round_pack(s, f, a.sign, 63, (sf_u128)m << 64);
    return sf_pack_bits(f, r);
}

uint32_t sf_f32_round_int(sf_status *s, uint32_t a, unsigned imm8)
{
    return (uint32_t)sse_round_int(s, &sf_fmt_f32, a, imm8);
}
uint64_t sf_f64_round_int(sf_status *s, uint64_t a, unsigned imm8)
{
    return sse_round_int(s, &sf_fmt_f64, a, imm8);
}

bool sf_f32_is_nan(uint32_t a)
{
    return (a & 0x7fffffffu) > 0x7f800000u;
}
bool sf_f64_is_nan(uint64_t a)
{
    return (a & 0x7fffffffffffffffull) > 0x7ff0000000000000ull;
}
