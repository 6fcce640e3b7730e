/* Internal helpers shared by the softfloat source files. */
#ifndef XENEMU_SOFTFLOAT_IMPL_H
#define XENEMU_SOFTFLOAT_IMPL_H

#include "xenemu/softfloat.h"

typedef unsigned __int128 sf_u128;

/* Operand classes after unpacking. */
enum {
    SFC_ZERO,
    SFC_FINITE, /* nonzero finite, normalized into sig/exp */
    SFC_INF,
    SFC_QNAN,
    SFC_SNAN,
    SFC_BAD /* x87 unsupported encoding, SDM Vol.1 §8.2.2 */
};

/* Unpacked value.  SFC_FINITE: value = sig * 2^(exp - 63), sig bit 63 set.
 * NaN: sig holds the payload aligned as in f80 (bit 63 set, bit 62 quiet). */
typedef struct sf_unp { /* 16 bytes: passed and returned in registers */
    uint64_t sig;
    int32_t exp;
    uint8_t cls;
    bool sign;
    bool denorm; /* input was denormal (or pseudo-denormal) */
} sf_unp;

/* Result before packing: field exponent e and explicit-integer sig. */
typedef struct sf_pk {
    bool sign;
    int32_t e;
    uint64_t sig;
} sf_pk;

enum { SFK_SSE, SFK_X87, SFK_X87MEM };

typedef struct sf_fmt {
    uint8_t fb;    /* stored fraction bits: 23, 52, 63 */
    uint8_t prec;  /* rounding precision (bits incl. integer bit) */
    uint8_t kind;  /* SFK_* */
    int32_t bias;  /* exponent bias */
    int32_t emaxf; /* all-ones exponent field */
} sf_fmt;

extern const sf_fmt sf_fmt_f32, sf_fmt_f64;

static inline int sf_clz64(uint64_t x) { return __builtin_clzll(x); }
static inline int sf_clz128(sf_u128 x)
{
    uint64_t hi = (uint64_t)(x >> 64);
    return hi ? __builtin_clzll(hi) : 64 + __builtin_clzll((uint64_t)x);
}

/* Shift right, OR-ing lost bits into bit 0. */
static inline sf_u128 sf_shr_jam128(sf_u128 x, int32_t n)
{
    if (n <= 0)
        return x;
    if (n >= 128)
        return x != 0;
    return (x >> n) | ((x & (((sf_u128)1 << n) - 1)) != 0);
}

/* Core rounding: value = sig * 2^(e - 127), sig != 0 (any normalization).
 * Handles denormalization, FTZ, overflow, x87 wrapping, flags and c1. */
sf_pk sf_round_pack(sf_status *s, const sf_fmt *f, bool sign, int32_t e,
                    sf_u128 sig);

/* Special packed values. */
sf_pk sf_pk_zero(bool sign);
sf_pk sf_pk_inf(const sf_fmt *f, bool sign);
sf_pk sf_pk_nan(const sf_fmt *f, bool sign, uint64_t sig);
sf_pk sf_pk_default_nan(const sf_fmt *f);

/* Pack / unpack binary32 and binary64 (f->fb 23 or 52). */
static inline uint64_t sf_pack_bits(const sf_fmt *f, sf_pk p)
{
    int ebits = f->fb == 23 ? 8 : 11;
    uint64_t frac = (p.sig >> (63 - f->fb)) & ((1ull << f->fb) - 1);
    return ((uint64_t)p.sign << (f->fb + ebits)) |
           ((uint64_t)p.e << f->fb) | frac;
}

static inline sf_unp sf_unpack_bits(const sf_fmt *f, uint64_t a)
{
    int ebits = f->fb == 23 ? 8 : 11;
    uint64_t frac = a & ((1ull << f->fb) - 1);
    int32_t E = (int32_t)((a >> f->fb) & (uint64_t)f->emaxf);
    sf_unp u;
    u.sign = (a >> (f->fb + ebits)) & 1;
    u.denorm = false;
    u.exp = E - f->bias;
    u.sig = (1ull << 63) | (frac << (63 - f->fb));
    u.cls = SFC_FINITE;
    if (E == f->emaxf) {
        u.exp = 0;
        if (frac == 0)
            u.cls = SFC_INF;
        else
            u.cls = (u.sig >> 62) & 1 ? SFC_QNAN : SFC_SNAN;
    } else if (E == 0) {
        if (frac == 0) {
            u.cls = SFC_ZERO;
            u.sig = 0;
            u.exp = 0;
        } else {
            int z;
            u.denorm = true;
            u.sig = frac << (63 - f->fb);
            z = sf_clz64(u.sig);
            u.sig <<= z;
            u.exp = 1 - f->bias - z;
        }
    }
    return u;
}

/* Arithmetic cores, results rounded by sf_round_pack: add takes finite or
 * zero operands; mul, div and sqrt nonzero finite ones. */
sf_pk sf_add_core(sf_status *s, const sf_fmt *f, sf_unp a, sf_unp b);
sf_pk sf_mul_core(sf_status *s, const sf_fmt *f, sf_unp a, sf_unp b);
sf_pk sf_div_core(sf_status *s, const sf_fmt *f, sf_unp a, sf_unp b);
sf_pk sf_sqrt_core(sf_status *s, const sf_fmt *f, sf_unp a);

/* Round |value| = sig * 2^(exp-63), exp <= 62, to an integer by rc
 * (sign selects directed rounding).  *up: magnitude was incremented. */
uint64_t sf_round_to_u64(uint64_t sig, int32_t exp, bool sign, int rc,
                         bool *inexact, bool *up);
/* Float -> two's complement integer of 16/32/64 bits; invalid -> IE and
 * the integer indefinite. */
int64_t sf_unp_to_int(sf_status *s, const sf_unp *a, int bits, int rc,
                      bool *up_out);

/* f80 unpacking (x87 semantics, SDM Vol.1 §8.2.2 Table 8-3). */
static inline sf_unp sf_unpack_f80(sf_f80 a)
{
    sf_unp u;
    int32_t E = a.se & 0x7fff;
    u.sign = a.se >> 15;
    u.denorm = false;
    u.exp = E - 16383;
    u.sig = a.sig;
    u.cls = SFC_FINITE;
    if (E == 0x7fff) {
        u.exp = 0;
        if (!(a.sig >> 63))
            u.cls = SFC_BAD; /* pseudo-NaN / pseudo-infinity */
        else if ((a.sig << 1) == 0)
            u.cls = SFC_INF;
        else
            u.cls = (a.sig >> 62) & 1 ? SFC_QNAN : SFC_SNAN;
    } else if (E == 0) {
        if (a.sig == 0) {
            u.cls = SFC_ZERO;
            u.exp = 0;
        } else {
            /* denormal or pseudo-denormal */
            int z = sf_clz64(a.sig);
            u.denorm = true;
            u.sig <<= z;
            u.exp = -16382 - z;
        }
    } else if (!(a.sig >> 63)) {
        u.cls = SFC_BAD; /* unnormal */
    }
    return u;
}

static inline sf_f80 sf_pack_f80(sf_pk p)
{
    sf_f80 r;
    r.se = (uint16_t)(((unsigned)p.sign << 15) | ((uint32_t)p.e & 0x7fff));
    r.sig = p.sig;
    return r;
}

sf_fmt sf_fmt_f80(int pc);

/* Order of two non-NaN unpacked values of the same format (softfloat.c). */
sf_cmp sf_cmp_unp(const sf_unp *a, const sf_unp *b);

/* x87 special-operand rules shared by softfloat_f80.c and
 * softfloat_trans.c (SDM Vol.1 §4.8.3.5, Table 4-7; §8.5.1-8.5.2): NaN and
 * unsupported operands (true if *out is final), the masked invalid
 * response, and the denormal-operand check (true if unmasked: stop). */
bool sf_x87_nan1(sf_status *s, const sf_unp *a, sf_pk *out);
bool sf_x87_nan2(sf_status *s, const sf_unp *a, const sf_unp *b, sf_pk *out);
sf_f80 sf_x87_invalid(sf_status *s);
bool sf_x87_de(sf_status *s, bool denorm);

#endif
