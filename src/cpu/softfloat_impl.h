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
typedef struct sf_unp {
    int cls;
    bool sign;
    bool denorm; /* input was denormal (or pseudo-denormal) */
    int32_t exp;
    uint64_t sig;
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

/* Exact result of finite unpacked value as pk (for zero-cost paths). */
uint64_t sf_pack_bits(const sf_fmt *f, sf_pk p);
sf_unp sf_unpack_bits(const sf_fmt *f, uint64_t a);

/* Generic arithmetic on finite values (both SFC_FINITE or zero handled by
 * caller). */
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

/* f80 unpacking (x87 semantics). */
sf_unp sf_unpack_f80(sf_f80 a);
sf_f80 sf_pack_f80(sf_pk p);
sf_fmt sf_fmt_f80(int pc);

#endif
