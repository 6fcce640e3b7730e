/* Differential tests of the softfloat library against the host CPU's x87
 * and SSE instructions: result bits, exception flags and C1 must match.
 *
 * Operands are random but biased to zeros, denormals, infinities, NaNs,
 * unsupported x87 encodings and results near overflow/underflow.  Every
 * case picks a random configuration (rounding, precision control, masks,
 * DAZ/FTZ).  SF_TEST_SCALE (env, default 1) multiplies the case counts;
 * SF_TEST_SEED (env) changes the random sequence.
 *
 * Only this file uses host floating point (through inline asm). */
#include "xenemu/softfloat.h"

#include <check.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#if defined(__x86_64__)

/* ---------------------------------------------------------------- RNG */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static unsigned rndn(unsigned n) { return (unsigned)(rnd() % n); }

static long scale_cases(long n)
{
    const char *e = getenv("SF_TEST_SCALE");
    if (e && *e) {
        long m = strtol(e, NULL, 10);
        if (m > 0)
            return n * m;
    }
    return n;
}

/* A significand pattern: random, short (trailing zeros), all ones, one
 * bit, or near-halfway. */
static uint64_t sig_pattern(void)
{
    uint64_t r = rnd();
    switch (rndn(8)) {
    case 0:
        return r << rndn(64);
    case 1:
        return ~0ull << rndn(64);
    case 2:
        return 1ull << rndn(64);
    case 3:
        return r >> rndn(64);
    case 4:
        return ~(1ull << rndn(64));
    default:
        return r;
    }
}

/* Generic IEEE generator for f32 (fb=23, eb=8) and f64 (fb=52, eb=11).
 * eforce >= -1000: use that biased exponent (<=0: denormal). */
static uint64_t gen_ieee(int fb, int eb, int eforce)
{
    int emax = (1 << eb) - 1;
    uint64_t fmask = (1ull << fb) - 1;
    uint64_t sign = (uint64_t)rndn(2) << (fb + eb);
    uint64_t frac = sig_pattern() & fmask;
    int e;
    if (eforce > -1000) {
        e = eforce;
    } else {
        switch (rndn(20)) {
        case 0:
            return sign;
        case 1:
        case 2:
            return sign | (frac ? frac : 1); /* denormal */
        case 3:
            return sign | ((uint64_t)emax << fb);
        case 4:
            return sign | ((uint64_t)emax << fb) | (1ull << (fb - 1)) |
                   (frac >> rndn(2)); /* QNaN */
        case 5:
            frac &= fmask >> 1;
            return sign | ((uint64_t)emax << fb) | (frac ? frac : 1);
        case 6:
            e = 1 + rndn(3);
            break;
        case 7:
            e = emax - 1 - rndn(3);
            break;
        case 8:
        case 9:
            e = (emax >> 1) - 8 + (int)rndn(16);
            break;
        default:
            e = 1 + rndn(emax - 1);
            break;
        }
    }
    if (e <= 0) {
        int sh = 1 - e;
        frac = (frac | (1ull << fb)) >> (sh > 63 ? 63 : sh);
        return sign | (frac & fmask);
    }
    if (e >= emax)
        return sign | ((uint64_t)emax << fb);
    return sign | ((uint64_t)e << fb) | frac;
}

static int ieee_exp(uint64_t a, int fb, int eb)
{
    return (int)((a >> fb) & ((1u << eb) - 1));
}

/* Second operand related to the first: targets results near overflow,
 * underflow, cancellation and rounding ties.  op: 0 add, 1 mul, 2 div. */
static uint64_t gen_ieee_rel(uint64_t a, int op, int fb, int eb)
{
    int emax = (1 << eb) - 1, bias = emax >> 1;
    int ea = ieee_exp(a, fb, eb);
    int t, eb2;
    if (rndn(3) == 0 || ea == 0 || ea == emax)
        return gen_ieee(fb, eb, -1000);
    switch (op) {
    case 0:
        if (rndn(3) == 0) {
            uint64_t b = a ^ (rnd() & ((1ull << rndn(fb + 1)) - 1));
            return b ^ ((uint64_t)rndn(2) << (fb + eb));
        }
        return gen_ieee(fb, eb, ea - (int)rndn(fb + 4) + (int)rndn(4));
    default:
        switch (rndn(3)) {
        case 0:
            t = 1 - (int)rndn(fb + 3); /* result near/below min normal */
            break;
        case 1:
            t = emax - 2 + (int)rndn(4); /* near overflow */
            break;
        default:
            t = 1 + rndn(emax - 1);
            break;
        }
        /* ea - bias + eb2 - bias = t - bias (mul); ea - eb2 = t - bias */
        eb2 = op == 1 ? t - ea + bias : ea - t + bias;
        eb2 += (int)rndn(3) - 1;
        if (eb2 < -fb || eb2 >= emax)
            return gen_ieee(fb, eb, -1000);
        return gen_ieee(fb, eb, eb2);
    }
}

/* Multiplication pairs whose product lies just below the smallest normal
 * with an all-ones significand: probes tininess before/after rounding and
 * FTZ.  prec: significand bits that are set in a. */
static void gen_tiny_pair(int fb, int eb, uint64_t *pa, uint64_t *pb)
{
    int emax = (1 << eb) - 1, bias = emax >> 1;
    uint64_t fmask = (1ull << fb) - 1;
    int ea = bias - 20 + (int)rndn(40);
    int eb2 = 1 - ea + bias - 1 + (int)rndn(3) - 1; /* product E ~ 0 */
    uint64_t fa = fmask ^ (rnd() & ((1ull << rndn(4)) - 1));
    uint64_t fbb = rndn(2) ? 0 : (1ull << rndn(3));
    if (eb2 < 1)
        eb2 = 1;
    *pa = ((uint64_t)rndn(2) << (fb + eb)) | ((uint64_t)ea << fb) | fa;
    *pb = ((uint64_t)rndn(2) << (fb + eb)) | ((uint64_t)eb2 << fb) | fbb;
}

/* A perfect square m^2 * 4^k (exact square root) or a neighbour. */
static uint64_t gen_square(int fb, int eb)
{
    int bias = (1 << (eb - 1)) - 1;
    uint64_t m = (rnd() >> (64 - (fb + 1) / 2)) | 1, sq = m * m;
    int z = __builtin_clzll(sq);
    uint64_t sig = sq << z; /* leading bit at 63 */
    int e = 63 - z + 2 * ((int)rndn(40) - 20);
    uint64_t r = ((uint64_t)(e + bias) << fb) | ((sig << 1) >> (64 - fb));
    return r + (uint64_t)(int64_t)((int)rndn(3) - 1);
}

/* f80 generator: includes pseudo-denormals, unnormals, pseudo-NaN/inf. */
static sf_f80 gen_f80_e(int eforce)
{
    uint16_t sign = (uint16_t)(rndn(2) << 15);
    uint64_t sig = sig_pattern();
    int e;
    if (eforce > -1000) {
        e = eforce;
    } else {
        switch (rndn(24)) {
        case 0:
            return sf_f80_make(sign, 0);
        case 1:
        case 2:
            return sf_f80_make(sign, (sig >> 1) ? sig >> 1 : 1);
        case 3:
            return sf_f80_make(sign, sig | (1ull << 63)); /* pseudo-denormal */
        case 4:
            return sf_f80_make(sign | 0x7fff, 1ull << 63);
        case 5:
            return sf_f80_make(sign | 0x7fff, (3ull << 62) | (sig >> rndn(3)));
        case 6: {
            uint64_t f = (sig >> 2) ? sig >> 2 : 1;
            return sf_f80_make(sign | 0x7fff, (1ull << 63) | f);
        }
        case 7: /* pseudo-NaN, pseudo-infinity, unnormal */
            if (rndn(2))
                return sf_f80_make(sign | 0x7fff, sig >> 1);
            return sf_f80_make(sign | (uint16_t)(1 + rndn(0x7ffe)),
                               sig >> 1);
        case 8:
            e = 1 + rndn(3);
            break;
        case 9:
            e = 0x7ffe - rndn(3);
            break;
        case 10:
        case 11:
            e = 16383 - 8 + rndn(16);
            break;
        default:
            e = 1 + rndn(0x7ffe);
            break;
        }
    }
    sig |= 1ull << 63;
    if (e <= 0) {
        int sh = 1 - e;
        return sf_f80_make(sign, sig >> (sh > 63 ? 63 : sh));
    }
    if (e >= 0x7fff)
        return sf_f80_make(sign | 0x7fff, 1ull << 63);
    return sf_f80_make(sign | (uint16_t)e, sig);
}

static sf_f80 gen_f80(void) { return gen_f80_e(-1000); }

static sf_f80 gen_f80_rel(sf_f80 a, int op)
{
    int ea = a.se & 0x7fff, t, eb2;
    if (rndn(3) == 0 || ea == 0 || ea == 0x7fff || !(a.sig >> 63))
        return gen_f80();
    if (op == 0) {
        if (rndn(3) == 0) {
            sf_f80 b = a;
            b.sig ^= rnd() & ((1ull << rndn(64)) - 1);
            b.sig |= 1ull << 63;
            b.se ^= (uint16_t)(rndn(2) << 15);
            return b;
        }
        return gen_f80_e(ea - (int)rndn(68) + (int)rndn(4));
    }
    switch (rndn(3)) {
    case 0:
        t = 1 - (int)rndn(66);
        break;
    case 1:
        t = 0x7ffe - 1 + (int)rndn(3);
        break;
    default:
        t = 1 + rndn(0x7ffe);
        break;
    }
    eb2 = op == 1 ? t - ea + 16383 : ea - t + 16383;
    eb2 += (int)rndn(3) - 1;
    if (eb2 < -63 || eb2 >= 0x7fff)
        return gen_f80();
    return gen_f80_e(eb2);
}

static uint32_t gen_f32(void) { return (uint32_t)gen_ieee(23, 8, -1000); }
static uint64_t gen_f64(void) { return gen_ieee(52, 11, -1000); }

/* ------------------------------------------------------- configurations */

static uint32_t rand_mxcsr(void)
{
    /* all masked; random RC, DAZ, FTZ */
    return 0x1f80u | (rndn(4) << 13) | (rndn(2) << 6) | (rndn(2) << 15);
}

static uint16_t rand_fcw(bool allow_unmasked_pre)
{
    static const uint8_t pcs[4] = { 0, 2, 3, 1 };
    uint16_t masks;
    unsigned pc = pcs[rndn(16) == 0 ? 3 : rndn(3)];
    switch (rndn(allow_unmasked_pre ? 4 : 2)) {
    case 0:
    case 1:
        masks = 0x3f;
        break;
    case 2:
        masks = 0x27; /* OE, UE unmasked */
        break;
    default:
        masks = (uint16_t)(rnd() & 0x3f);
        break;
    }
    if (!allow_unmasked_pre)
        masks |= SF_IE | SF_DE | SF_ZE;
    return (uint16_t)(0x40 | masks | (pc << 8) | (rndn(4) << 10));
}

static sf_status st_mx(uint32_t mx)
{
    sf_status s;
    memset(&s, 0, sizeof s);
    sf_status_from_mxcsr(&s, mx);
    return s;
}

static sf_status st_cw(uint16_t cw)
{
    sf_status s;
    memset(&s, 0, sizeof s);
    sf_status_from_fcw(&s, cw);
    return s;
}

/* ------------------------------------------------------------ host SSE */

static const uint32_t mx_default = 0x1f80;

#define SSE_BIN(NAME, INSN, MOV, T)                                          \
    static T NAME(uint32_t mx, T a, T b, uint32_t *mxo)                      \
    {                                                                        \
        T r;                                                                 \
        __asm__ volatile("ldmxcsr %[mx]\n\t" MOV " %[a], %%xmm0\n\t" MOV     \
                         " %[b], %%xmm1\n\t" INSN " %%xmm1, %%xmm0\n\t" MOV  \
                         " %%xmm0, %[r]\n\t"                                 \
                         "stmxcsr %[mxo]\n\t"                                \
                         "ldmxcsr %[def]"                                    \
                         : [r] "=&r"(r), [mxo] "=m"(*mxo)                     \
                         : [a] "r"(a), [b] "r"(b), [mx] "m"(mx),             \
                           [def] "m"(mx_default)                             \
                         : "xmm0", "xmm1");                                  \
        return r;                                                            \
    }

SSE_BIN(h_addss, "addss", "movd", uint32_t)
SSE_BIN(h_subss, "subss", "movd", uint32_t)
SSE_BIN(h_mulss, "mulss", "movd", uint32_t)
SSE_BIN(h_divss, "divss", "movd", uint32_t)
SSE_BIN(h_minss, "minss", "movd", uint32_t)
SSE_BIN(h_maxss, "maxss", "movd", uint32_t)
SSE_BIN(h_sqrtss, "sqrtss", "movd", uint32_t)
SSE_BIN(h_addsd, "addsd", "movq", uint64_t)
SSE_BIN(h_subsd, "subsd", "movq", uint64_t)
SSE_BIN(h_mulsd, "mulsd", "movq", uint64_t)
SSE_BIN(h_divsd, "divsd", "movq", uint64_t)
SSE_BIN(h_minsd, "minsd", "movq", uint64_t)
SSE_BIN(h_maxsd, "maxsd", "movq", uint64_t)
SSE_BIN(h_sqrtsd, "sqrtsd", "movq", uint64_t)

/* xmm0 = a, xmm1 = b; result in the low lane of xmm0 (all-ones mask). */
#define SSE_CMP(NAME, INSN, MOV, T)                                          \
    static T NAME(uint32_t mx, T a, T b, uint32_t *mxo, int imm)             \
    {                                                                        \
        T r = 0;                                                             \
        switch (imm) {                                                       \
            SSE_CMP_CASES(INSN, MOV)                                         \
        }                                                                    \
        return r;                                                            \
    }
#define SSE_CMP_CASE(INSN, MOV, I)                                           \
    case I:                                                                  \
        __asm__ volatile("ldmxcsr %[mx]\n\t" MOV " %[a], %%xmm0\n\t" MOV     \
                         " %[b], %%xmm1\n\t" INSN " $" #I                    \
                         ", %%xmm1, %%xmm0, %%xmm0\n\t" MOV                  \
                         " %%xmm0, %[r]\n\t"                                 \
                         "stmxcsr %[mxo]\n\t"                                \
                         "ldmxcsr %[def]"                                    \
                         : [r] "=&r"(r), [mxo] "=m"(*mxo)                     \
                         : [a] "r"(a), [b] "r"(b), [mx] "m"(mx),             \
                           [def] "m"(mx_default)                             \
                         : "xmm0", "xmm1");                                  \
        break;
#define SSE_CMP_CASES(INSN, MOV)                                             \
    SSE_CMP_CASE(INSN, MOV, 0) SSE_CMP_CASE(INSN, MOV, 1)                    \
    SSE_CMP_CASE(INSN, MOV, 2) SSE_CMP_CASE(INSN, MOV, 3)                    \
    SSE_CMP_CASE(INSN, MOV, 4) SSE_CMP_CASE(INSN, MOV, 5)                    \
    SSE_CMP_CASE(INSN, MOV, 6) SSE_CMP_CASE(INSN, MOV, 7)                    \
    SSE_CMP_CASE(INSN, MOV, 8) SSE_CMP_CASE(INSN, MOV, 9)                    \
    SSE_CMP_CASE(INSN, MOV, 10) SSE_CMP_CASE(INSN, MOV, 11)                  \
    SSE_CMP_CASE(INSN, MOV, 12) SSE_CMP_CASE(INSN, MOV, 13)                  \
    SSE_CMP_CASE(INSN, MOV, 14) SSE_CMP_CASE(INSN, MOV, 15)                  \
    SSE_CMP_CASE(INSN, MOV, 16) SSE_CMP_CASE(INSN, MOV, 17)                  \
    SSE_CMP_CASE(INSN, MOV, 18) SSE_CMP_CASE(INSN, MOV, 19)                  \
    SSE_CMP_CASE(INSN, MOV, 20) SSE_CMP_CASE(INSN, MOV, 21)                  \
    SSE_CMP_CASE(INSN, MOV, 22) SSE_CMP_CASE(INSN, MOV, 23)                  \
    SSE_CMP_CASE(INSN, MOV, 24) SSE_CMP_CASE(INSN, MOV, 25)                  \
    SSE_CMP_CASE(INSN, MOV, 26) SSE_CMP_CASE(INSN, MOV, 27)                  \
    SSE_CMP_CASE(INSN, MOV, 28) SSE_CMP_CASE(INSN, MOV, 29)                  \
    SSE_CMP_CASE(INSN, MOV, 30) SSE_CMP_CASE(INSN, MOV, 31)

SSE_CMP(h_vcmpss, "vcmpss", "movd", uint32_t)
SSE_CMP(h_vcmpsd, "vcmpsd", "movq", uint64_t)

/* legacy-encoded CMPSS for predicates 0-7 */
#define SSE_LCMP_CASE(INSN, MOV, I)                                          \
    case I:                                                                  \
        __asm__ volatile("ldmxcsr %[mx]\n\t" MOV " %[a], %%xmm0\n\t" MOV     \
                         " %[b], %%xmm1\n\t" INSN " $" #I                    \
                         ", %%xmm1, %%xmm0\n\t" MOV " %%xmm0, %[r]\n\t"      \
                         "stmxcsr %[mxo]\n\t"                                \
                         "ldmxcsr %[def]"                                    \
                         : [r] "=&r"(r), [mxo] "=m"(*mxo)                     \
                         : [a] "r"(a), [b] "r"(b), [mx] "m"(mx),             \
                           [def] "m"(mx_default)                             \
                         : "xmm0", "xmm1");                                  \
        break;
#define SSE_LCMP(NAME, INSN, MOV, T)                                         \
    static T NAME(uint32_t mx, T a, T b, uint32_t *mxo, int imm)             \
    {                                                                        \
        T r = 0;                                                             \
        switch (imm) {                                                       \
            SSE_LCMP_CASE(INSN, MOV, 0) SSE_LCMP_CASE(INSN, MOV, 1)          \
            SSE_LCMP_CASE(INSN, MOV, 2) SSE_LCMP_CASE(INSN, MOV, 3)          \
            SSE_LCMP_CASE(INSN, MOV, 4) SSE_LCMP_CASE(INSN, MOV, 5)          \
            SSE_LCMP_CASE(INSN, MOV, 6) SSE_LCMP_CASE(INSN, MOV, 7)          \
        }                                                                    \
        return r;                                                            \
    }
SSE_LCMP(h_cmpss, "cmpss", "movd", uint32_t)
SSE_LCMP(h_cmpsd, "cmpsd", "movq", uint64_t)

/* COMISS/UCOMISS: returns sf_cmp from ZF, PF, CF. */
#define SSE_COMI(NAME, INSN, MOV, T)                                         \
    static sf_cmp NAME(uint32_t mx, T a, T b, uint32_t *mxo)                 \
    {                                                                        \
        uint8_t z, p, c;                                                     \
        __asm__ volatile("ldmxcsr %[mx]\n\t" MOV " %[a], %%xmm0\n\t" MOV     \
                         " %[b], %%xmm1\n\t" INSN " %%xmm1, %%xmm0\n\t"      \
                         "setz %[z]\n\tsetp %[p]\n\tsetc %[c]\n\t"           \
                         "stmxcsr %[mxo]\n\t"                                \
                         "ldmxcsr %[def]"                                    \
                         : [z] "=&r"(z), [p] "=&r"(p), [c] "=&r"(c),            \
                           [mxo] "=m"(*mxo)                                  \
                         : [a] "r"(a), [b] "r"(b), [mx] "m"(mx),             \
                           [def] "m"(mx_default)                             \
                         : "xmm0", "xmm1", "cc");                            \
        if (p)                                                               \
            return SF_CMP_UNORDERED;                                         \
        if (z)                                                               \
            return SF_CMP_EQUAL;                                             \
        return c ? SF_CMP_LESS : SF_CMP_GREATER;                             \
    }
SSE_COMI(h_comiss, "comiss", "movd", uint32_t)
SSE_COMI(h_ucomiss, "ucomiss", "movd", uint32_t)
SSE_COMI(h_comisd, "comisd", "movq", uint64_t)
SSE_COMI(h_ucomisd, "ucomisd", "movq", uint64_t)

/* Conversions: generic "INSN src, dst" with given register classes. */
#define SSE_CVT_XX(NAME, INSN, MOVI, MOVO, TI, TO)                           \
    static TO NAME(uint32_t mx, TI a, uint32_t *mxo)                         \
    {                                                                        \
        TO r;                                                                \
        __asm__ volatile("ldmxcsr %[mx]\n\t" MOVI " %[a], %%xmm1\n\t"        \
                         "xorps %%xmm0, %%xmm0\n\t" INSN                     \
                         " %%xmm1, %%xmm0\n\t" MOVO " %%xmm0, %[r]\n\t"      \
                         "stmxcsr %[mxo]\n\t"                                \
                         "ldmxcsr %[def]"                                    \
                         : [r] "=&r"(r), [mxo] "=m"(*mxo)                     \
                         : [a] "r"(a), [mx] "m"(mx), [def] "m"(mx_default)   \
                         : "xmm0", "xmm1");                                  \
        return r;                                                            \
    }
SSE_CVT_XX(h_cvtss2sd, "cvtss2sd", "movd", "movq", uint32_t, uint64_t)
SSE_CVT_XX(h_cvtsd2ss, "cvtsd2ss", "movq", "movd", uint64_t, uint32_t)

#define SSE_CVT_IX(NAME, INSN, MOVO, TI, TO)                                 \
    static TO NAME(uint32_t mx, TI a, uint32_t *mxo)                         \
    {                                                                        \
        TO r;                                                                \
        __asm__ volatile("ldmxcsr %[mx]\n\t"                                 \
                         "xorps %%xmm0, %%xmm0\n\t" INSN " %[a], %%xmm0\n\t" \
                         MOVO " %%xmm0, %[r]\n\t"                            \
                         "stmxcsr %[mxo]\n\t"                                \
                         "ldmxcsr %[def]"                                    \
                         : [r] "=&r"(r), [mxo] "=m"(*mxo)                     \
                         : [a] "r"(a), [mx] "m"(mx), [def] "m"(mx_default)   \
                         : "xmm0");                                          \
        return r;                                                            \
    }
SSE_CVT_IX(h_cvtsi2ss32, "cvtsi2ssl", "movd", int32_t, uint32_t)
SSE_CVT_IX(h_cvtsi2ss64, "cvtsi2ssq", "movd", int64_t, uint32_t)
SSE_CVT_IX(h_cvtsi2sd32, "cvtsi2sdl", "movq", int32_t, uint64_t)
SSE_CVT_IX(h_cvtsi2sd64, "cvtsi2sdq", "movq", int64_t, uint64_t)

#define SSE_CVT_XI(NAME, INSN, MOVI, TI, TO)                                 \
    static TO NAME(uint32_t mx, TI a, uint32_t *mxo)                         \
    {                                                                        \
        TO r;                                                                \
        __asm__ volatile("ldmxcsr %[mx]\n\t" MOVI " %[a], %%xmm1\n\t" INSN   \
                         " %%xmm1, %[r]\n\t"                                 \
                         "stmxcsr %[mxo]\n\t"                                \
                         "ldmxcsr %[def]"                                    \
                         : [r] "=&r"(r), [mxo] "=m"(*mxo)                     \
                         : [a] "r"(a), [mx] "m"(mx), [def] "m"(mx_default)   \
                         : "xmm1");                                          \
        return r;                                                            \
    }
SSE_CVT_XI(h_cvtss2si32, "cvtss2si", "movd", uint32_t, int32_t)
SSE_CVT_XI(h_cvtss2si64, "cvtss2si", "movd", uint32_t, int64_t)
SSE_CVT_XI(h_cvttss2si32, "cvttss2si", "movd", uint32_t, int32_t)
SSE_CVT_XI(h_cvttss2si64, "cvttss2si", "movd", uint32_t, int64_t)
SSE_CVT_XI(h_cvtsd2si32, "cvtsd2si", "movq", uint64_t, int32_t)
SSE_CVT_XI(h_cvtsd2si64, "cvtsd2si", "movq", uint64_t, int64_t)
SSE_CVT_XI(h_cvttsd2si32, "cvttsd2si", "movq", uint64_t, int32_t)
SSE_CVT_XI(h_cvttsd2si64, "cvttsd2si", "movq", uint64_t, int64_t)

#define SSE_ROUND_CASE(INSN, MOV, I)                                         \
    case I:                                                                  \
        __asm__ volatile("ldmxcsr %[mx]\n\t" MOV " %[a], %%xmm1\n\t"         \
                         "xorps %%xmm0, %%xmm0\n\t" INSN " $" #I             \
                         ", %%xmm1, %%xmm0\n\t" MOV " %%xmm0, %[r]\n\t"      \
                         "stmxcsr %[mxo]\n\t"                                \
                         "ldmxcsr %[def]"                                    \
                         : [r] "=&r"(r), [mxo] "=m"(*mxo)                     \
                         : [a] "r"(a), [mx] "m"(mx), [def] "m"(mx_default)   \
                         : "xmm0", "xmm1");                                  \
        break;
#define SSE_ROUND(NAME, INSN, MOV, T)                                        \
    static T NAME(uint32_t mx, T a, uint32_t *mxo, int imm)                  \
    {                                                                        \
        T r = 0;                                                             \
        switch (imm) {                                                       \
            SSE_ROUND_CASE(INSN, MOV, 0) SSE_ROUND_CASE(INSN, MOV, 1)        \
            SSE_ROUND_CASE(INSN, MOV, 2) SSE_ROUND_CASE(INSN, MOV, 3)        \
            SSE_ROUND_CASE(INSN, MOV, 4) SSE_ROUND_CASE(INSN, MOV, 5)        \
            SSE_ROUND_CASE(INSN, MOV, 6) SSE_ROUND_CASE(INSN, MOV, 7)        \
            SSE_ROUND_CASE(INSN, MOV, 8) SSE_ROUND_CASE(INSN, MOV, 9)        \
            SSE_ROUND_CASE(INSN, MOV, 10) SSE_ROUND_CASE(INSN, MOV, 11)      \
            SSE_ROUND_CASE(INSN, MOV, 12) SSE_ROUND_CASE(INSN, MOV, 13)      \
            SSE_ROUND_CASE(INSN, MOV, 14) SSE_ROUND_CASE(INSN, MOV, 15)      \
        }                                                                    \
        return r;                                                            \
    }
SSE_ROUND(h_roundss, "roundss", "movd", uint32_t)
SSE_ROUND(h_roundsd, "roundsd", "movq", uint64_t)

/* ------------------------------------------------------------ host x87 */

/* st0 = a, st1 = b, INSN, then store st0 (and st1 into *r2). */
#define X87_BIN(NAME, INSN)                                                  \
    static __attribute__((unused)) sf_f80 NAME(uint16_t cw, sf_f80 a, sf_f80 b, uint16_t *sw,        \
                       sf_f80 *r2)                                           \
    {                                                                        \
        sf_f80 r = { 0, 0 }, q = { 0, 0 };                                   \
        __asm__ volatile("fninit\n\t"                                        \
                         "fldcw %[cw]\n\t"                                   \
                         "fldt %[b]\n\t"                                     \
                         "fldt %[a]\n\t" INSN "\n\t"                         \
                         "fnstsw %[sw]\n\t"                                  \
                         "fnclex\n\t"                                        \
                         "fstpt %[r]\n\t"                                    \
                         "fstpt %[q]\n\t"                                    \
                         "fninit"                                            \
                         : [r] "+m"(r), [q] "+m"(q), [sw] "=m"(*sw)          \
                         : [a] "m"(a), [b] "m"(b), [cw] "m"(cw)              \
                         : "st", "st(1)", "st(2)");                          \
        if (r2)                                                              \
            *r2 = q;                                                         \
        return r;                                                            \
    }
X87_BIN(h_fadd, "fadd %%st(1), %%st")
X87_BIN(h_fsub, "fsub %%st(1), %%st")
X87_BIN(h_fmul, "fmul %%st(1), %%st")
X87_BIN(h_fdiv, "fdiv %%st(1), %%st")
X87_BIN(h_fsqrt, "fsqrt")
X87_BIN(h_frndint, "frndint")
X87_BIN(h_fscale, "fscale")
X87_BIN(h_fprem, "fprem")
X87_BIN(h_fprem1, "fprem1")
X87_BIN(h_fxtract, "fxtract")
X87_BIN(h_fcom, "fcom %%st(1)")
X87_BIN(h_fucom, "fucom %%st(1)")
X87_BIN(h_ftst, "ftst")
X87_BIN(h_fxam, "fxam")
X87_BIN(h_f2xm1, "f2xm1")
X87_BIN(h_fyl2x, "fyl2x")
X87_BIN(h_fyl2xp1, "fyl2xp1")
X87_BIN(h_fpatan, "fpatan")
X87_BIN(h_fsin, "fsin")
X87_BIN(h_fcos, "fcos")
X87_BIN(h_fptan, "fptan")
X87_BIN(h_fsincos, "fsincos")

X87_BIN(h_fsubr, "fsubr %%st(1), %%st")
X87_BIN(h_fdivr, "fdivr %%st(1), %%st")

/* st0 = a, then INSN with a memory operand of type T. */
#define X87_MEM(NAME, INSN, T)                                               \
    static sf_f80 NAME(uint16_t cw, sf_f80 a, T m, uint16_t *sw)             \
    {                                                                        \
        sf_f80 r = { 0, 0 };                                                 \
        __asm__ volatile("fninit\n\t"                                         \
                         "fldcw %[cw]\n\t"                                    \
                         "fldt %[a]\n\t" INSN " %[m]\n\t"                     \
                         "fnstsw %[sw]\n\t"                                   \
                         "fnclex\n\t"                                         \
                         "fstpt %[r]\n\t"                                     \
                         "fninit"                                            \
                         : [r] "+m"(r), [sw] "=m"(*sw)                       \
                         : [a] "m"(a), [m] "m"(m), [cw] "m"(cw)              \
                         : "st");                                            \
        return r;                                                            \
    }
X87_MEM(h_fadds, "fadds", uint32_t)
X87_MEM(h_fsubs, "fsubs", uint32_t)
X87_MEM(h_fsubrs, "fsubrs", uint32_t)
X87_MEM(h_fmuls, "fmuls", uint32_t)
X87_MEM(h_fdivs, "fdivs", uint32_t)
X87_MEM(h_fdivrs, "fdivrs", uint32_t)
X87_MEM(h_fcoms, "fcoms", uint32_t)
X87_MEM(h_faddl, "faddl", uint64_t)
X87_MEM(h_fsubl, "fsubl", uint64_t)
X87_MEM(h_fsubrl, "fsubrl", uint64_t)
X87_MEM(h_fmull, "fmull", uint64_t)
X87_MEM(h_fdivl, "fdivl", uint64_t)
X87_MEM(h_fdivrl, "fdivrl", uint64_t)
X87_MEM(h_fcoml, "fcoml", uint64_t)

/* Store st0 = a into memory of type T; memory pre-filled with sentinel. */
#define X87_ST(NAME, INSN, T)                                                \
    static T NAME(uint16_t cw, sf_f80 a, uint16_t *sw, T sentinel)           \
    {                                                                        \
        T m = sentinel;                                                      \
        __asm__ volatile("fninit\n\t"                                        \
                         "fldcw %[cw]\n\t"                                   \
                         "fldt %[a]\n\t" INSN " %[m]\n\t"                    \
                         "fnstsw %[sw]\n\t"                                  \
                         "fninit"                                            \
                         : [m] "+m"(m), [sw] "=m"(*sw)                       \
                         : [a] "m"(a), [cw] "m"(cw)                          \
                         : "st");                                            \
        return m;                                                            \
    }
X87_ST(h_fst32, "fsts", uint32_t)
X87_ST(h_fst64, "fstl", uint64_t)
X87_ST(h_fist16, "fists", int16_t)
X87_ST(h_fist32, "fistl", int32_t)
X87_ST(h_fist64, "fistpll", int64_t)
X87_ST(h_fisttp16, "fisttps", int16_t)
X87_ST(h_fisttp32, "fisttpl", int32_t)
X87_ST(h_fisttp64, "fisttpll", int64_t)

#define X87_LD(NAME, INSN, T)                                                \
    static sf_f80 NAME(uint16_t cw, T a, uint16_t *sw)                       \
    {                                                                        \
        sf_f80 r = { 0, 0 };                                                 \
        __asm__ volatile("fninit\n\t"                                        \
                         "fldcw %[cw]\n\t" INSN " %[a]\n\t"                  \
                         "fnstsw %[sw]\n\t"                                  \
                         "fnclex\n\t"                                        \
                         "fstpt %[r]\n\t"                                    \
                         "fninit"                                            \
                         : [r] "+m"(r), [sw] "=m"(*sw)                       \
                         : [a] "m"(a), [cw] "m"(cw)                          \
                         : "st");                                            \
        return r;                                                            \
    }
X87_LD(h_fld32, "flds", uint32_t)
X87_LD(h_fld64, "fldl", uint64_t)
X87_LD(h_fild64, "fildll", int64_t)

#define X87_CONST(NAME, INSN)                                                \
    static sf_f80 NAME(uint16_t cw, uint16_t *sw)                            \
    {                                                                        \
        sf_f80 r = { 0, 0 };                                                 \
        __asm__ volatile("fninit\n\t"                                        \
                         "fldcw %[cw]\n\t" INSN "\n\t"                       \
                         "fnstsw %[sw]\n\t"                                  \
                         "fstpt %[r]\n\t"                                    \
                         "fninit"                                            \
                         : [r] "+m"(r), [sw] "=m"(*sw)                       \
                         : [cw] "m"(cw)                                      \
                         : "st");                                            \
        return r;                                                            \
    }
X87_CONST(h_fldpi, "fldpi")
X87_CONST(h_fldl2t, "fldl2t")
X87_CONST(h_fldl2e, "fldl2e")
X87_CONST(h_fldlg2, "fldlg2")
X87_CONST(h_fldln2, "fldln2")

/* ----------------------------------------------------------- reporting */

#define MAX_REPORT 12

typedef struct {
    const char *name;
    long n, bad;
} tally;

static void report(tally *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void report(tally *t, const char *fmt, ...)
{
    va_list ap;
    t->bad++;
    if (t->bad > MAX_REPORT)
        return;
    printf("MISMATCH %s: ", t->name);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

static long g_bad; /* mismatches in the running test */

static void finish(tally *t)
{
    printf("%-16s %9ld cases, %ld mismatches\n", t->name, t->n, t->bad);
    fflush(stdout);
    g_bad += t->bad;
}

#define BEGIN_CASES() g_bad = 0
#define END_CASES() ck_assert_msg(g_bad == 0, "%ld cases differ from hardware", g_bad)

static bool f80_eq(sf_f80 a, sf_f80 b) { return a.se == b.se && a.sig == b.sig; }

#define F80P(x) (unsigned)(x).se, (unsigned long long)(x).sig

/* -------------------------------------------------------------- SSE tests */

typedef uint32_t (*lib32_2)(sf_status *, uint32_t, uint32_t);
typedef uint64_t (*lib64_2)(sf_status *, uint64_t, uint64_t);
typedef uint32_t (*host32_2)(uint32_t, uint32_t, uint32_t, uint32_t *);
typedef uint64_t (*host64_2)(uint32_t, uint64_t, uint64_t, uint32_t *);

static uint32_t lib_sqrt32(sf_status *s, uint32_t a, uint32_t b)
{
    (void)a;
    return sf_f32_sqrt(s, b);
}
static uint64_t lib_sqrt64(sf_status *s, uint64_t a, uint64_t b)
{
    (void)a;
    return sf_f64_sqrt(s, b);
}

static void run_sse32(const char *name, lib32_2 lf, host32_2 hf, int rel,
                      long n)
{
    tally t = { name, 0, 0 };
    for (long i = 0; i < n; i++) {
        uint32_t mx = rand_mxcsr(), mxo;
        uint32_t a = gen_f32();
        uint32_t b = rel >= 0 ? (uint32_t)gen_ieee_rel(a, rel, 23, 8)
                              : gen_f32();
        if (rel == 1 && rndn(8) == 0) {
            uint64_t x, y;
            gen_tiny_pair(23, 8, &x, &y);
            a = (uint32_t)x;
            b = (uint32_t)y;
        }
        if (rel < 0 && rndn(4) == 0)
            b = (uint32_t)gen_square(23, 8);
        sf_status s = st_mx(mx);
        uint32_t hr = hf(mx, a, b, &mxo);
        uint32_t lr = lf(&s, a, b);
        t.n++;
        if (hr != lr || (mxo & 0x3f) != s.flags)
            report(&t, "mx=%04x a=%08x b=%08x hw=%08x/%02x lib=%08x/%02x",
                   mx, a, b, hr, mxo & 0x3f, lr, s.flags);
    }
    finish(&t);
}

static void run_sse64(const char *name, lib64_2 lf, host64_2 hf, int rel,
                      long n)
{
    tally t = { name, 0, 0 };
    for (long i = 0; i < n; i++) {
        uint32_t mx = rand_mxcsr(), mxo;
        uint64_t a = gen_f64();
        uint64_t b = rel >= 0 ? gen_ieee_rel(a, rel, 52, 11) : gen_f64();
        if (rel == 1 && rndn(8) == 0)
            gen_tiny_pair(52, 11, &a, &b);
        if (rel < 0 && rndn(4) == 0)
            b = gen_square(52, 11);
        sf_status s = st_mx(mx);
        uint64_t hr = hf(mx, a, b, &mxo);
        uint64_t lr = lf(&s, a, b);
        t.n++;
        if (hr != lr || (mxo & 0x3f) != s.flags)
            report(&t,
                   "mx=%04x a=%016" PRIx64 " b=%016" PRIx64 " hw=%016" PRIx64
                   "/%02x lib=%016" PRIx64 "/%02x",
                   mx, a, b, hr, mxo & 0x3f, lr, s.flags);
    }
    finish(&t);
}

#define N_SSE 300000L

START_TEST(t_sse_arith32)
{
    BEGIN_CASES();
    long n = scale_cases(N_SSE);
    run_sse32("addss", sf_f32_add, h_addss, 0, n);
    run_sse32("subss", sf_f32_sub, h_subss, 0, n);
    run_sse32("mulss", sf_f32_mul, h_mulss, 1, n);
    run_sse32("divss", sf_f32_div, h_divss, 2, n);
    run_sse32("sqrtss", lib_sqrt32, h_sqrtss, -1, n);
    run_sse32("minss", sf_f32_min, h_minss, 0, n);
    run_sse32("maxss", sf_f32_max, h_maxss, 0, n);
    END_CASES();
}
END_TEST

START_TEST(t_sse_arith64)
{
    BEGIN_CASES();
    long n = scale_cases(N_SSE);
    run_sse64("addsd", sf_f64_add, h_addsd, 0, n);
    run_sse64("subsd", sf_f64_sub, h_subsd, 0, n);
    run_sse64("mulsd", sf_f64_mul, h_mulsd, 1, n);
    run_sse64("divsd", sf_f64_div, h_divsd, 2, n);
    run_sse64("sqrtsd", lib_sqrt64, h_sqrtsd, -1, n);
    run_sse64("minsd", sf_f64_min, h_minsd, 0, n);
    run_sse64("maxsd", sf_f64_max, h_maxsd, 0, n);
    END_CASES();
}
END_TEST

START_TEST(t_sse_compare)
{
    BEGIN_CASES();
    long n = scale_cases(N_SSE / 2);
    tally tc = { "cmpss/sd", 0, 0 }, tv = { "vcmpss/sd", 0, 0 },
          ti = { "(u)comiss/sd", 0, 0 };
    for (long i = 0; i < n; i++) {
        uint32_t mx = rand_mxcsr(), mxo;
        bool dbl = rndn(2);
        uint64_t a = dbl ? gen_f64() : gen_f32();
        uint64_t b = rndn(4) == 0 ? a
                     : dbl        ? gen_ieee_rel(a, 0, 52, 11)
                                  : gen_ieee_rel(a, 0, 23, 8);
        int imm = (int)rndn(8);
        sf_status s = st_mx(mx);
        uint64_t hr;
        bool lr;
        /* legacy CMPSS/CMPSD */
        hr = dbl ? h_cmpsd(mx, a, b, &mxo, imm)
                 : h_cmpss(mx, (uint32_t)a, (uint32_t)b, &mxo, imm);
        lr = dbl ? sf_f64_cmp_pred(&s, a, b, imm)
                 : sf_f32_cmp_pred(&s, (uint32_t)a, (uint32_t)b, imm);
        tc.n++;
        if ((hr != 0) != lr || (mxo & 0x3f) != s.flags)
            report(&tc, "%s imm=%d mx=%04x a=%" PRIx64 " b=%" PRIx64
                        " hw=%d/%02x lib=%d/%02x",
                   dbl ? "sd" : "ss", imm, mx, a, b, hr != 0, mxo & 0x3f, lr,
                   s.flags);
        /* VEX predicates 0-31 */
        imm = (int)rndn(32);
        s = st_mx(mx);
        hr = dbl ? h_vcmpsd(mx, a, b, &mxo, imm)
                 : h_vcmpss(mx, (uint32_t)a, (uint32_t)b, &mxo, imm);
        lr = dbl ? sf_f64_cmp_pred(&s, a, b, imm)
                 : sf_f32_cmp_pred(&s, (uint32_t)a, (uint32_t)b, imm);
        tv.n++;
        if ((hr != 0) != lr || (mxo & 0x3f) != s.flags)
            report(&tv, "%s imm=%d mx=%04x a=%" PRIx64 " b=%" PRIx64
                        " hw=%d/%02x lib=%d/%02x",
                   dbl ? "sd" : "ss", imm, mx, a, b, hr != 0, mxo & 0x3f, lr,
                   s.flags);
        /* COMIS / UCOMIS */
        {
            bool sig = rndn(2);
            sf_cmp hc, lc;
            s = st_mx(mx);
            if (dbl) {
                hc = sig ? h_comisd(mx, a, b, &mxo) : h_ucomisd(mx, a, b, &mxo);
                lc = sf_f64_compare(&s, a, b, sig);
            } else {
                hc = sig ? h_comiss(mx, (uint32_t)a, (uint32_t)b, &mxo)
                         : h_ucomiss(mx, (uint32_t)a, (uint32_t)b, &mxo);
                lc = sf_f32_compare(&s, (uint32_t)a, (uint32_t)b, sig);
            }
            ti.n++;
            if (hc != lc || (mxo & 0x3f) != s.flags)
                report(&ti, "%s%s mx=%04x a=%" PRIx64 " b=%" PRIx64
                            " hw=%d/%02x lib=%d/%02x",
                       sig ? "comi" : "ucomi", dbl ? "sd" : "ss", mx, a, b,
                       hc, mxo & 0x3f, lc, s.flags);
        }
    }
    finish(&tc);
    finish(&tv);
    finish(&ti);
    END_CASES();
}
END_TEST

static int64_t gen_int(int bits)
{
    uint64_t r = rnd();
    switch (rndn(4)) {
    case 0:
        r >>= rndn(64);
        break;
    case 1:
        r = (r >> rndn(64)) << rndn(64);
        break;
    default:
        break;
    }
    if (bits == 32)
        return (int32_t)r;
    return (int64_t)r;
}

/* Float near integer boundaries of the given width. */
static uint64_t gen_for_int(bool dbl, int bits)
{
    int fb = dbl ? 52 : 23, eb = dbl ? 11 : 8, bias = dbl ? 1023 : 127;
    if (rndn(2))
        return gen_ieee(fb, eb, -1000);
    return gen_ieee(fb, eb, bias - 2 + (int)rndn(bits + 4));
}

START_TEST(t_sse_convert)
{
    BEGIN_CASES();
    long n = scale_cases(N_SSE);
    tally tff = { "cvtss2sd/sd2ss", 0, 0 }, tif = { "cvtsi2ss/sd", 0, 0 },
          tfi = { "cvt(t)ss/sd2si", 0, 0 }, tr = { "roundss/sd", 0, 0 };
    for (long i = 0; i < n; i++) {
        uint32_t mx = rand_mxcsr(), mxo;
        sf_status s = st_mx(mx);
        /* float <-> float */
        if (rndn(2)) {
            uint32_t a = gen_f32();
            uint64_t h = h_cvtss2sd(mx, a, &mxo), l = sf_f32_to_f64(&s, a);
            tff.n++;
            if (h != l || (mxo & 0x3f) != s.flags)
                report(&tff, "ss2sd mx=%04x a=%08x hw=%" PRIx64 "/%02x lib=%"
                             PRIx64 "/%02x", mx, a, h, mxo & 0x3f, l, s.flags);
        } else {
            uint64_t a = rndn(2) ? gen_f64()
                                 : gen_ieee(52, 11, 1023 - 150 + (int)rndn(40));
            if (rndn(4) == 0)
                a = gen_ieee(52, 11, 1023 + 124 + (int)rndn(8));
            uint32_t h = h_cvtsd2ss(mx, a, &mxo), l = sf_f64_to_f32(&s, a);
            tff.n++;
            if (h != l || (mxo & 0x3f) != s.flags)
                report(&tff, "sd2ss mx=%04x a=%" PRIx64 " hw=%08x/%02x lib=%08x"
                             "/%02x", mx, a, h, mxo & 0x3f, l, s.flags);
        }
        /* int -> float */
        {
            int which = (int)rndn(4);
            int64_t v = gen_int(which & 1 ? 64 : 32);
            uint64_t h, l;
            s = st_mx(mx);
            switch (which) {
            case 0:
                h = h_cvtsi2ss32(mx, (int32_t)v, &mxo);
                l = sf_i32_to_f32(&s, (int32_t)v);
                break;
            case 1:
                h = h_cvtsi2ss64(mx, v, &mxo);
                l = sf_i64_to_f32(&s, v);
                break;
            case 2:
                h = h_cvtsi2sd32(mx, (int32_t)v, &mxo);
                l = sf_i32_to_f64(&s, (int32_t)v);
                break;
            default:
                h = h_cvtsi2sd64(mx, v, &mxo);
                l = sf_i64_to_f64(&s, v);
                break;
            }
            tif.n++;
            if (h != l || (mxo & 0x3f) != s.flags)
                report(&tif, "kind=%d mx=%04x v=%" PRId64 " hw=%" PRIx64
                             "/%02x lib=%" PRIx64 "/%02x",
                       which, mx, v, h, mxo & 0x3f, l, s.flags);
        }
        /* float -> int */
        {
            int which = (int)rndn(8);
            bool dbl = which & 4, trunc = which & 2;
            int bits = which & 1 ? 64 : 32;
            uint64_t a = gen_for_int(dbl, bits);
            int64_t h, l;
            s = st_mx(mx);
            switch (which) {
            case 0:
                h = h_cvtss2si32(mx, (uint32_t)a, &mxo);
                l = sf_f32_to_i32(&s, (uint32_t)a, false);
                break;
            case 1:
                h = h_cvtss2si64(mx, (uint32_t)a, &mxo);
                l = sf_f32_to_i64(&s, (uint32_t)a, false);
                break;
            case 2:
                h = h_cvttss2si32(mx, (uint32_t)a, &mxo);
                l = sf_f32_to_i32(&s, (uint32_t)a, true);
                break;
            case 3:
                h = h_cvttss2si64(mx, (uint32_t)a, &mxo);
                l = sf_f32_to_i64(&s, (uint32_t)a, true);
                break;
            case 4:
                h = h_cvtsd2si32(mx, a, &mxo);
                l = sf_f64_to_i32(&s, a, false);
                break;
            case 5:
                h = h_cvtsd2si64(mx, a, &mxo);
                l = sf_f64_to_i64(&s, a, false);
                break;
            case 6:
                h = h_cvttsd2si32(mx, a, &mxo);
                l = sf_f64_to_i32(&s, a, true);
                break;
            default:
                h = h_cvttsd2si64(mx, a, &mxo);
                l = sf_f64_to_i64(&s, a, true);
                break;
            }
            (void)trunc;
            tfi.n++;
            if (h != l || (mxo & 0x3f) != s.flags)
                report(&tfi, "kind=%d mx=%04x a=%" PRIx64 " hw=%" PRId64
                             "/%02x lib=%" PRId64 "/%02x",
                       which, mx, a, h, mxo & 0x3f, l, s.flags);
        }
        /* ROUNDSS/SD */
        {
            bool dbl = rndn(2);
            int imm = (int)rndn(16);
            uint64_t a = gen_for_int(dbl, dbl ? 54 : 25);
            uint64_t h, l;
            s = st_mx(mx);
            if (dbl) {
                h = h_roundsd(mx, a, &mxo, imm);
                l = sf_f64_round_int(&s, a, (unsigned)imm);
            } else {
                h = h_roundss(mx, (uint32_t)a, &mxo, imm);
                l = sf_f32_round_int(&s, (uint32_t)a, (unsigned)imm);
            }
            tr.n++;
            if (h != l || (mxo & 0x3f) != s.flags)
                report(&tr, "%s imm=%d mx=%04x a=%" PRIx64 " hw=%" PRIx64
                            "/%02x lib=%" PRIx64 "/%02x",
                       dbl ? "sd" : "ss", imm, mx, a, h, mxo & 0x3f, l,
                       s.flags);
        }
    }
    finish(&tff);
    finish(&tif);
    finish(&tfi);
    finish(&tr);
    END_CASES();
}
END_TEST

/* SSE with unmasked exceptions: the instruction faults (#XM, SIGFPE) and
 * the MXCSR saved in the signal frame holds the flags it raised. */
static sigjmp_buf fpe_env;
static volatile uint32_t fpe_mxcsr;

static void fpe_handler(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;
    (void)sig;
    (void)si;
    fpe_mxcsr = uc->uc_mcontext.fpregs->mxcsr;
    siglongjmp(fpe_env, 1);
}

/* Runs one SSE operation on the host; true if it faulted. */
static __attribute__((noinline)) bool sse_host_trap(int k, bool dbl, uint32_t mx,
                                                    uint64_t a, uint64_t b,
                                                    uint64_t *hrp, uint32_t *mxop)
{
    uint32_t mxt = 0;
    uint64_t hr = 0;
    if (sigsetjmp(fpe_env, 1) != 0) {
        __asm__ volatile("ldmxcsr %0" : : "m"(mx_default));
        *mxop = fpe_mxcsr;
        return true;
    }
    switch (k) {
    case 0:
        hr = dbl ? h_addsd(mx, a, b, &mxt) : h_addss(mx, (uint32_t)a, (uint32_t)b, &mxt);
        break;
    case 1:
        hr = dbl ? h_subsd(mx, a, b, &mxt) : h_subss(mx, (uint32_t)a, (uint32_t)b, &mxt);
        break;
    case 2:
        hr = dbl ? h_mulsd(mx, a, b, &mxt) : h_mulss(mx, (uint32_t)a, (uint32_t)b, &mxt);
        break;
    case 3:
        hr = dbl ? h_divsd(mx, a, b, &mxt) : h_divss(mx, (uint32_t)a, (uint32_t)b, &mxt);
        break;
    case 4:
        hr = dbl ? h_sqrtsd(mx, a, b, &mxt) : h_sqrtss(mx, (uint32_t)a, (uint32_t)b, &mxt);
        break;
    case 5:
        hr = h_cvtsd2ss(mx, a, &mxt);
        break;
    case 7:
        hr = dbl ? h_maxsd(mx, a, b, &mxt) : h_minss(mx, (uint32_t)a, (uint32_t)b, &mxt);
        break;
    case 8:
        hr = dbl ? (uint64_t)h_cvttsd2si64(mx, a, &mxt) : h_cvtss2sd(mx, (uint32_t)a, &mxt);
        break;
    case 9:
        hr = dbl ? h_roundsd(mx, a, &mxt, 4) : (uint64_t)(uint32_t)h_cvtss2si32(mx, (uint32_t)a, &mxt);
        break;
    default: /* COMISD for sd, UCOMISS for ss */
        hr = dbl ? (uint64_t)h_comisd(mx, a, b, &mxt)
                 : (uint64_t)h_ucomiss(mx, (uint32_t)a, (uint32_t)b, &mxt);
        break;
    }
    *hrp = hr;
    *mxop = mxt;
    return false;
}

START_TEST(t_sse_unmasked)
{
    struct sigaction sa, old;
    long n = scale_cases(N_SSE / 4);
    tally t = { "sse unmasked", 0, 0 };
    long traps = 0;
    BEGIN_CASES();
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fpe_handler;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGFPE, &sa, &old);
    for (long i = 0; i < n; i++) {
        uint32_t mx = rand_mxcsr() & ~((uint32_t)(rnd() & 0x3f) << 7);
        int k = (int)rndn(10);
        bool dbl = rndn(2);
        uint64_t a = dbl ? gen_f64() : gen_f32(), b, lr, hr = 0;
        uint32_t mxo = 0;
        bool trapped;
        sf_status s = st_mx(mx);
        b = dbl ? gen_ieee_rel(a, k == 2 ? 1 : k == 3 ? 2 : 0, 52, 11)
                : gen_ieee_rel(a, k == 2 ? 1 : k == 3 ? 2 : 0, 23, 8);
        if (k == 2 && rndn(4) == 0)
            gen_tiny_pair(dbl ? 52 : 23, dbl ? 11 : 8, &a, &b);
        switch (k) {
        case 0:
            lr = dbl ? sf_f64_add(&s, a, b) : sf_f32_add(&s, (uint32_t)a, (uint32_t)b);
            break;
        case 1:
            lr = dbl ? sf_f64_sub(&s, a, b) : sf_f32_sub(&s, (uint32_t)a, (uint32_t)b);
            break;
        case 2:
            lr = dbl ? sf_f64_mul(&s, a, b) : sf_f32_mul(&s, (uint32_t)a, (uint32_t)b);
            break;
        case 3:
            lr = dbl ? sf_f64_div(&s, a, b) : sf_f32_div(&s, (uint32_t)a, (uint32_t)b);
            break;
        case 4:
            lr = dbl ? sf_f64_sqrt(&s, b) : sf_f32_sqrt(&s, (uint32_t)b);
            break;
        case 5:
            if (!dbl)
                a = gen_ieee(52, 11, rndn(2) ? -1000 : 1023 - 150 + (int)rndn(300));
            lr = sf_f64_to_f32(&s, a);
            break;
        case 7:
            lr = dbl ? sf_f64_max(&s, a, b) : sf_f32_min(&s, (uint32_t)a, (uint32_t)b);
            break;
        case 8:
            lr = dbl ? (uint64_t)sf_f64_to_i64(&s, a, true) : sf_f32_to_f64(&s, (uint32_t)a);
            break;
        case 9:
            lr = dbl ? sf_f64_round_int(&s, a, 4)
                     : (uint64_t)(uint32_t)sf_f32_to_i32(&s, (uint32_t)a, false);
            break;
        default:
            lr = dbl ? (uint64_t)sf_f64_compare(&s, a, b, true)
                     : (uint64_t)sf_f32_compare(&s, (uint32_t)a, (uint32_t)b, false);
            break;
        }
        trapped = sse_host_trap(k, dbl, mx, a, b, &hr, &mxo);
        traps += trapped;
        t.n++;
        {
            bool lib_trap = (s.flags & ~s.masks) != 0;
            if (trapped != lib_trap || (mxo & 0x3f) != s.flags ||
                (!trapped && hr != lr))
                report(&t, "op=%d %s mx=%04x a=%" PRIx64 " b=%" PRIx64
                           " hw=%" PRIx64 "/%02x/trap=%d lib=%" PRIx64
                           "/%02x/trap=%d",
                       k, dbl ? "sd" : "ss", mx, a, b, hr,
                       mxo & 0x3f, trapped, lr, s.flags, lib_trap);
        }
    }
    sigaction(SIGFPE, &old, NULL);
    printf("(%ld of the cases trapped)\n", traps);
    finish(&t);
    END_CASES();
}
END_TEST

/* -------------------------------------------------------------- x87 tests */

typedef sf_f80 (*hostx2)(uint16_t, sf_f80, sf_f80, uint16_t *, sf_f80 *);

/* Unmasked IE/DE/ZE: the x87 leaves the destination unchanged. */
static bool pre_unmasked(uint16_t cw, uint8_t flags)
{
    return (flags & ~cw & (SF_IE | SF_DE | SF_ZE)) != 0;
}

enum { X_ADD, X_SUB, X_MUL, X_DIV, X_SQRT };

static void run_x87_arith(const char *name, int op, long n)
{
    static const hostx2 hosts[] = { h_fadd, h_fsub, h_fmul, h_fdiv, h_fsqrt };
    tally t = { name, 0, 0 };
    for (long i = 0; i < n; i++) {
        uint16_t cw = rand_fcw(true), sw;
        sf_f80 a = gen_f80();
        sf_f80 b = op == X_SQRT ? gen_f80()
                                : gen_f80_rel(a, op == X_ADD || op == X_SUB
                                                     ? 0
                                                     : op == X_MUL ? 1 : 2);
        sf_status s = st_cw(cw);
        sf_f80 hr, lr;
        if (op == X_MUL && rndn(8) == 0) {
            /* product just below the smallest normal, all-ones
             * significand at the precision in use */
            static const int precs[4] = { 24, 64, 53, 64 };
            int p = precs[(cw >> 8) & 3];
            int ea = 16383 - 20 + (int)rndn(40);
            a.sig = (~0ull << (64 - p)) ^
                    ((rnd() & ((1ull << rndn(4)) - 1)) << (64 - p));
            a.se = (uint16_t)((rndn(2) << 15) | ea);
            b.sig = (1ull << 63) | (rndn(2) ? 0 : 1ull << (64 - p + rndn(3)));
            b.se = (uint16_t)((rndn(2) << 15) |
                              (1 - ea + 16383 - 1 + (int)rndn(3) - 1));
        }
        if (op == X_SQRT && rndn(4) == 0) {
            uint64_t m = (rnd() >> 33) | 1;
            a = sf_i64_to_f80((int64_t)(m * m));
            a.se = (uint16_t)(a.se + 2 * ((int)rndn(40) - 20));
            a.sig += (uint64_t)(int64_t)((int)rndn(3) - 1);
            a.sig |= 1ull << 63;
        }
        hr = hosts[op](cw, a, b, &sw, NULL);
        switch (op) {
        case X_ADD:
            lr = sf_f80_add(&s, a, b);
            break;
        case X_SUB:
            lr = sf_f80_sub(&s, a, b);
            break;
        case X_MUL:
            lr = sf_f80_mul(&s, a, b);
            break;
        case X_DIV:
            lr = sf_f80_div(&s, a, b);
            break;
        default:
            lr = sf_f80_sqrt(&s, a);
            break;
        }
        if (pre_unmasked(cw, s.flags))
            lr = a; /* destination unchanged */
        t.n++;
        if (!f80_eq(hr, lr) || (sw & 0x3f) != s.flags ||
            ((sw >> 9) & 1) != s.c1)
            report(&t, "cw=%04x a=%04x:%016llx b=%04x:%016llx "
                       "hw=%04x:%016llx/%02x/c1=%d lib=%04x:%016llx/%02x/c1=%d",
                   cw, F80P(a), F80P(b), F80P(hr), sw & 0x3f, (sw >> 9) & 1,
                   F80P(lr), s.flags, s.c1);
    }
    finish(&t);
}

#define N_X87 250000L

START_TEST(t_x87_arith)
{
    BEGIN_CASES();
    long n = scale_cases(N_X87);
    run_x87_arith("fadd", X_ADD, n);
    run_x87_arith("fsub", X_SUB, n);
    run_x87_arith("fmul", X_MUL, n);
    run_x87_arith("fdiv", X_DIV, n);
    run_x87_arith("fsqrt", X_SQRT, n);
    END_CASES();
}
END_TEST

/* Register SUBR/DIVR and the m32/m64 operand forms. */
START_TEST(t_x87_arith_mem)
{
    typedef sf_f80 (*hm32)(uint16_t, sf_f80, uint32_t, uint16_t *);
    typedef sf_f80 (*hm64)(uint16_t, sf_f80, uint64_t, uint16_t *);
    static const hm32 h32[6] = { h_fadds, h_fsubs, h_fsubrs,
                                 h_fmuls, h_fdivs, h_fdivrs };
    static const hm64 h64[6] = { h_faddl, h_fsubl, h_fsubrl,
                                 h_fmull, h_fdivl, h_fdivrl };
    static const int ops[6] = { SF_X87_ADD, SF_X87_SUB, SF_X87_SUBR,
                                SF_X87_MUL, SF_X87_DIV, SF_X87_DIVR };
    long n = scale_cases(N_X87);
    tally tr = { "fsubr/fdivr", 0, 0 }, tm = { "fop m32/m64", 0, 0 },
          tc = { "fcom m32/m64", 0, 0 };
    BEGIN_CASES();
    for (long i = 0; i < n; i++) {
        uint16_t cw = rand_fcw(true), sw;
        sf_status s = st_cw(cw);
        int k = (int)rndn(6);
        sf_f80 a = gen_f80(), h, l;
        /* register reversed forms */
        {
            sf_f80 b = gen_f80_rel(a, rndn(2) ? 0 : 2);
            bool div = rndn(2);
            h = div ? h_fdivr(cw, a, b, &sw, NULL) : h_fsubr(cw, a, b, &sw, NULL);
            l = sf_f80_arith(&s, div ? SF_X87_DIVR : SF_X87_SUBR, a, b);
            if (pre_unmasked(cw, s.flags))
                l = a;
            tr.n++;
            if (!f80_eq(h, l) || (sw & 0x3f) != s.flags ||
                ((sw >> 9) & 1) != s.c1)
                report(&tr, "%s cw=%04x a=%04x:%016llx b=%04x:%016llx "
                            "hw=%04x:%016llx/%02x/%d lib=%04x:%016llx/%02x/%d",
                       div ? "fdivr" : "fsubr", cw, F80P(a), F80P(b), F80P(h),
                       sw & 0x3f, (sw >> 9) & 1, F80P(l), s.flags, s.c1);
        }
        /* memory forms */
        {
            bool dbl = rndn(2);
            uint64_t m = dbl ? gen_f64() : gen_f32();
            s = st_cw(cw);
            if (dbl) {
                h = h64[k](cw, a, m, &sw);
                l = sf_f80_arith_f64(&s, ops[k], a, m);
            } else {
                h = h32[k](cw, a, (uint32_t)m, &sw);
                l = sf_f80_arith_f32(&s, ops[k], a, (uint32_t)m);
            }
            if (pre_unmasked(cw, s.flags))
                l = a;
            tm.n++;
            if (!f80_eq(h, l) || (sw & 0x3f) != s.flags ||
                ((sw >> 9) & 1) != s.c1)
                report(&tm, "op=%d %s cw=%04x a=%04x:%016llx m=%" PRIx64
                            " hw=%04x:%016llx/%02x/%d lib=%04x:%016llx/%02x/%d",
                       k, dbl ? "m64" : "m32", cw, F80P(a), m, F80P(h),
                       sw & 0x3f, (sw >> 9) & 1, F80P(l), s.flags, s.c1);
        }
        /* FCOM m32/m64 */
        {
            static const uint16_t ccmap[4] = { 0x100, 0x4000, 0, 0x4500 };
            bool dbl = rndn(2);
            uint64_t m = dbl ? gen_f64() : gen_f32();
            sf_cmp c;
            s = st_cw(cw);
            if (dbl) {
                h_fcoml(cw, a, m, &sw);
                c = sf_f80_compare_f64(&s, a, m, true);
            } else {
                h_fcoms(cw, a, (uint32_t)m, &sw);
                c = sf_f80_compare_f32(&s, a, (uint32_t)m, true);
            }
            tc.n++;
            if ((sw & 0x4700) != ccmap[c] || (sw & 0x3f) != s.flags)
                report(&tc, "%s cw=%04x a=%04x:%016llx m=%" PRIx64
                            " hw=%04x/%02x lib=%04x/%02x",
                       dbl ? "m64" : "m32", cw, F80P(a), m, sw & 0x4700,
                       sw & 0x3f, ccmap[c], s.flags);
        }
    }
    finish(&tr);
    finish(&tm);
    finish(&tc);
    END_CASES();
}
END_TEST

START_TEST(t_x87_compare)
{
    BEGIN_CASES();
    long n = scale_cases(N_X87);
    tally t = { "fcom/fucom/ftst", 0, 0 };
    for (long i = 0; i < n; i++) {
        uint16_t cw = rand_fcw(true), sw;
        sf_f80 a = gen_f80();
        sf_f80 b = rndn(4) == 0 ? a : gen_f80_rel(a, 0);
        int kind = (int)rndn(3);
        sf_status s = st_cw(cw);
        sf_cmp lc;
        uint16_t hcc, lcc;
        static const uint16_t ccmap[4] = { 0x100, 0x4000, 0, 0x4500 };
        if (kind == 2)
            b = sf_f80_make(0, 0);
        sf_f80 r = kind == 0   ? h_fcom(cw, a, b, &sw, NULL)
                   : kind == 1 ? h_fucom(cw, a, b, &sw, NULL)
                               : h_ftst(cw, a, b, &sw, NULL);
        (void)r;
        lc = sf_f80_compare(&s, a, b, kind != 1);
        hcc = sw & 0x4700;
        lcc = ccmap[lc];
        t.n++;
        if (hcc != lcc || (sw & 0x3f) != s.flags)
            report(&t, "kind=%d cw=%04x a=%04x:%016llx b=%04x:%016llx "
                       "hw=%04x/%02x lib=%04x/%02x",
                   kind, cw, F80P(a), F80P(b), hcc, sw & 0x3f, lcc, s.flags);
    }
    finish(&t);
    END_CASES();
}
END_TEST

START_TEST(t_x87_fxam)
{
    BEGIN_CASES();
    long n = scale_cases(N_X87 / 4);
    tally t = { "fxam", 0, 0 };
    for (long i = 0; i < n; i++) {
        uint16_t cw = 0x37f, sw;
        sf_f80 a = gen_f80();
        h_fxam(cw, a, a, &sw, NULL);
        t.n++;
        if ((sw & 0x4700) != sf_f80_fxam(a))
            report(&t, "a=%04x:%016llx hw=%04x lib=%04x", F80P(a),
                   sw & 0x4700, sf_f80_fxam(a));
    }
    finish(&t);
    END_CASES();
}
END_TEST

START_TEST(t_x87_load_store)
{
    BEGIN_CASES();
    long n = scale_cases(N_X87);
    tally tl = { "fld m32/m64", 0, 0 }, ts = { "fst m32/m64", 0, 0 },
          tf = { "fild", 0, 0 };
    for (long i = 0; i < n; i++) {
        uint16_t cw = rand_fcw(true), sw;
        sf_status s = st_cw(cw);
        /* FLD */
        {
            bool dbl = rndn(2);
            uint64_t a = dbl ? gen_f64() : gen_f32();
            sf_f80 h = dbl ? h_fld64(cw, a, &sw) : h_fld32(cw, (uint32_t)a, &sw);
            sf_f80 l = dbl ? sf_f64_to_f80(&s, a) : sf_f32_to_f80(&s, (uint32_t)a);
            tl.n++;
            if (pre_unmasked(cw, s.flags))
                l = h; /* nothing loaded; not compared */
            if (!f80_eq(h, l) || (sw & 0x3f) != s.flags ||
                ((sw >> 9) & 1) != s.c1)
                report(&tl, "%s cw=%04x a=%" PRIx64 " hw=%04x:%016llx/%02x "
                            "lib=%04x:%016llx/%02x",
                       dbl ? "m64" : "m32", cw, a, F80P(h), sw & 0x3f, F80P(l),
                       s.flags);
        }
        /* FST */
        {
            bool dbl = rndn(2);
            sf_f80 a = rndn(2) ? gen_f80()
                               : gen_f80_e(16383 + (dbl ? 1023 : 127) -
                                           (rndn(2) ? (dbl ? 2100 : 300) : 0) +
                                           (int)rndn(dbl ? 60 : 30) - 10);
            uint64_t sent = 0x5a5a5a5a5a5a5a5aull, h, l;
            s = st_cw(cw);
            h = dbl ? h_fst64(cw, a, &sw, sent)
                    : h_fst32(cw, a, &sw, (uint32_t)sent);
            l = dbl ? sf_f80_to_f64(&s, a) : sf_f80_to_f32(&s, a);
            if (s.flags & ~cw & (SF_IE | SF_DE | SF_ZE | SF_OE | SF_UE))
                l = dbl ? sent : (uint32_t)sent; /* memory not written */
            ts.n++;
            if (h != l || (sw & 0x3f) != s.flags || ((sw >> 9) & 1) != s.c1)
                report(&ts, "%s cw=%04x a=%04x:%016llx hw=%" PRIx64
                            "/%02x/%d lib=%" PRIx64 "/%02x/%d",
                       dbl ? "m64" : "m32", cw, F80P(a), h, sw & 0x3f,
                       (sw >> 9) & 1, l, s.flags, s.c1);
        }
        /* FILD */
        {
            int64_t v = gen_int(64);
            sf_f80 h = h_fild64(cw, v, &sw), l = sf_i64_to_f80(v);
            tf.n++;
            if (!f80_eq(h, l) || (sw & 0x3f) != 0)
                report(&tf, "v=%" PRId64 " hw=%04x:%016llx lib=%04x:%016llx",
                       v, F80P(h), F80P(l));
        }
    }
    finish(&tl);
    finish(&ts);
    finish(&tf);
    END_CASES();
}
END_TEST

static void h_fbstp(uint16_t cw, sf_f80 a, uint16_t *sw, uint8_t m[10])
{
    __asm__ volatile("fninit\n\t"
                     "fldcw %[cw]\n\t"
                     "fldt %[a]\n\t"
                     "fbstp %[m]\n\t"
                     "fnstsw %[sw]\n\t"
                     "fninit"
                     : [m] "+m"(*(uint8_t(*)[10])m), [sw] "=m"(*sw)
                     : [a] "m"(a), [cw] "m"(cw)
                     : "st");
}

static sf_f80 h_fbld(const uint8_t m[10])
{
    sf_f80 r = { 0, 0 };
    __asm__ volatile("fninit\n\t"
                     "fbld %[m]\n\t"
                     "fstpt %[r]\n\t"
                     "fninit"
                     : [r] "+m"(r)
                     : [m] "m"(*(const uint8_t(*)[10])m)
                     : "st");
    return r;
}

START_TEST(t_x87_bcd)
{
    long n = scale_cases(N_X87 / 2);
    tally ts = { "fbstp", 0, 0 }, tl = { "fbld", 0, 0 };
    BEGIN_CASES();
    for (long i = 0; i < n; i++) {
        uint16_t cw = rand_fcw(true), sw;
        sf_status s = st_cw(cw);
        uint8_t hm[10], lm[10], bcd[10];
        sf_f80 a = rndn(3) == 0 ? gen_f80()
                                : gen_f80_e(16383 - 2 + (int)rndn(64));
        memset(hm, 0x5a, sizeof hm);
        h_fbstp(cw, a, &sw, hm);
        sf_f80_to_bcd(&s, a, lm);
        if (pre_unmasked(cw, s.flags))
            memset(lm, 0x5a, sizeof lm);
        ts.n++;
        if (memcmp(hm, lm, 10) != 0 || (sw & 0x3f) != s.flags ||
            ((sw >> 9) & 1) != s.c1)
            report(&ts, "cw=%04x a=%04x:%016llx hw=%02x%02x..%02x/%02x/%d "
                        "lib=%02x%02x..%02x/%02x/%d",
                   cw, F80P(a), hm[9], hm[8], hm[0], sw & 0x3f, (sw >> 9) & 1,
                   lm[9], lm[8], lm[0], s.flags, s.c1);
        /* FBLD of a valid random BCD */
        for (int k = 0; k < 9; k++)
            bcd[k] = (uint8_t)(rndn(10) | (rndn(10) << 4));
        if (rndn(4) == 0)
            memset(bcd + rndn(9), 0, 1);
        bcd[9] = rndn(2) ? 0x80 : 0;
        tl.n++;
        {
            sf_f80 h = h_fbld(bcd), l = sf_bcd_to_f80(bcd);
            if (!f80_eq(h, l))
                report(&tl, "bcd=%02x..%02x hw=%04x:%016llx lib=%04x:%016llx",
                       bcd[9], bcd[0], F80P(h), F80P(l));
        }
    }
    finish(&ts);
    finish(&tl);
    END_CASES();
}
END_TEST

START_TEST(t_x87_fist)
{
    BEGIN_CASES();
    long n = scale_cases(N_X87);
    tally t = { "fist/fisttp", 0, 0 };
    for (long i = 0; i < n; i++) {
        uint16_t cw = rand_fcw(true), sw;
        sf_status s = st_cw(cw);
        int which = (int)rndn(6);
        int bits = (which % 3) == 0 ? 16 : (which % 3) == 1 ? 32 : 64;
        bool trunc = which >= 3;
        sf_f80 a = rndn(3) == 0 ? gen_f80()
                                : gen_f80_e(16383 - 2 + (int)rndn(bits + 4));
        int64_t h, l;
        switch (which) {
        case 0:
            h = h_fist16(cw, a, &sw, 0x5a5a);
            l = sf_f80_to_i16(&s, a, false);
            break;
        case 1:
            h = h_fist32(cw, a, &sw, 0x5a5a5a5a);
            l = sf_f80_to_i32(&s, a, false);
            break;
        case 2:
            h = h_fist64(cw, a, &sw, 0x5a5a5a5a5a5a5a5a);
            l = sf_f80_to_i64(&s, a, false);
            break;
        case 3:
            h = h_fisttp16(cw, a, &sw, 0x5a5a);
            l = sf_f80_to_i16(&s, a, true);
            break;
        case 4:
            h = h_fisttp32(cw, a, &sw, 0x5a5a5a5a);
            l = sf_f80_to_i32(&s, a, true);
            break;
        default:
            h = h_fisttp64(cw, a, &sw, 0x5a5a5a5a5a5a5a5a);
            l = sf_f80_to_i64(&s, a, true);
            break;
        }
        if (pre_unmasked(cw, s.flags))
            l = bits == 16 ? 0x5a5a : bits == 32 ? 0x5a5a5a5a
                                                 : 0x5a5a5a5a5a5a5a5a;
        (void)trunc;
        t.n++;
        if (h != l || (sw & 0x3f) != s.flags || ((sw >> 9) & 1) != s.c1)
            report(&t, "kind=%d cw=%04x a=%04x:%016llx hw=%" PRId64
                       "/%02x/%d lib=%" PRId64 "/%02x/%d",
                   which, cw, F80P(a), h, sw & 0x3f, (sw >> 9) & 1, l, s.flags,
                   s.c1);
    }
    finish(&t);
    END_CASES();
}
END_TEST

START_TEST(t_x87_misc)
{
    BEGIN_CASES();
    long n = scale_cases(N_X87);
    tally tr = { "frndint", 0, 0 }, tsc = { "fscale", 0, 0 },
          tx = { "fxtract", 0, 0 };
    for (long i = 0; i < n; i++) {
        uint16_t cw = rand_fcw(true), sw;
        sf_status s = st_cw(cw);
        /* FRNDINT */
        {
            sf_f80 a = rndn(2) ? gen_f80() : gen_f80_e(16383 - 3 + (int)rndn(70));
            sf_f80 h = h_frndint(cw, a, a, &sw, NULL), l = sf_f80_round_int(&s, a);
            if (pre_unmasked(cw, s.flags))
                l = a;
            tr.n++;
            if (!f80_eq(h, l) || (sw & 0x3f) != s.flags ||
                ((sw >> 9) & 1) != s.c1)
                report(&tr, "cw=%04x a=%04x:%016llx hw=%04x:%016llx/%02x/%d "
                            "lib=%04x:%016llx/%02x/%d",
                       cw, F80P(a), F80P(h), sw & 0x3f, (sw >> 9) & 1, F80P(l),
                       s.flags, s.c1);
        }
        /* FSCALE */
        {
            sf_f80 a = gen_f80();
            sf_f80 b = rndn(3) == 0 ? gen_f80()
                                    : gen_f80_e(16383 - 2 + (int)rndn(18));
            sf_f80 h, l;
            s = st_cw(cw);
            h = h_fscale(cw, a, b, &sw, NULL);
            l = sf_f80_scale(&s, a, b);
            if (pre_unmasked(cw, s.flags))
                l = a;
            tsc.n++;
            if (!f80_eq(h, l) || (sw & 0x3f) != s.flags ||
                ((sw >> 9) & 1) != s.c1)
                report(&tsc, "cw=%04x a=%04x:%016llx b=%04x:%016llx "
                             "hw=%04x:%016llx/%02x/%d lib=%04x:%016llx/%02x/%d",
                       cw, F80P(a), F80P(b), F80P(h), sw & 0x3f, (sw >> 9) & 1,
                       F80P(l), s.flags, s.c1);
        }
        /* FXTRACT (masks for IE/DE/ZE kept: it pushes) */
        {
            uint16_t cw2 = cw | SF_IE | SF_DE | SF_ZE;
            sf_f80 a = gen_f80(), h1, h2, l1, l2;
            s = st_cw(cw2);
            h1 = h_fxtract(cw2, a, a, &sw, &h2);
            l1 = sf_f80_xtract(&s, a, &l2);
            tx.n++;
            if (!f80_eq(h1, l1) || !f80_eq(h2, l2) || (sw & 0x3f) != s.flags ||
                ((sw >> 9) & 1) != s.c1)
                report(&tx, "cw=%04x a=%04x:%016llx hw=%04x:%016llx "
                            "%04x:%016llx/%02x lib=%04x:%016llx %04x:%016llx"
                            "/%02x",
                       cw2, F80P(a), F80P(h1), F80P(h2), sw & 0x3f, F80P(l1),
                       F80P(l2), s.flags);
        }
    }
    finish(&tr);
    finish(&tsc);
    finish(&tx);
    END_CASES();
}
END_TEST

START_TEST(t_x87_prem)
{
    BEGIN_CASES();
    long n = scale_cases(N_X87);
    tally t = { "fprem/fprem1", 0, 0 };
    for (long i = 0; i < n; i++) {
        uint16_t cw = rand_fcw(false), sw, cc;
        sf_status s = st_cw(cw);
        bool ieee = rndn(2);
        sf_f80 a = gen_f80(), b, h, l;
        if (rndn(4) && (a.se & 0x7fff) != 0x7fff && (a.se & 0x7fff) != 0)
            b = gen_f80_e((a.se & 0x7fff) - (int)rndn(rndn(4) ? 70 : 200) +
                          (int)rndn(3));
        else
            b = gen_f80();
        h = ieee ? h_fprem1(cw, a, b, &sw, NULL) : h_fprem(cw, a, b, &sw, NULL);
        l = sf_f80_rem(&s, a, b, ieee, &cc);
        t.n++;
        if (!f80_eq(h, l) || (sw & 0x3f) != s.flags || (sw & 0x4700) != cc)
            report(&t, "%s cw=%04x a=%04x:%016llx b=%04x:%016llx "
                       "hw=%04x:%016llx/%02x/%04x lib=%04x:%016llx/%02x/%04x",
                   ieee ? "fprem1" : "fprem", cw, F80P(a), F80P(b), F80P(h),
                   sw & 0x3f, sw & 0x4700, F80P(l), s.flags, cc);
    }
    finish(&t);
    END_CASES();
}
END_TEST

START_TEST(t_x87_const)
{
    BEGIN_CASES();
    typedef sf_f80 (*hc)(uint16_t, uint16_t *);
    static const hc hosts[5] = { h_fldpi, h_fldl2t, h_fldl2e, h_fldlg2,
                                 h_fldln2 };
    tally t = { "fldpi etc.", 0, 0 };
    for (int w = 0; w < 5; w++) {
        for (unsigned rc = 0; rc < 4; rc++) {
            for (unsigned pc = 0; pc < 4; pc++) {
                uint16_t cw = (uint16_t)(0x7f | (pc << 8) | (rc << 10)), sw;
                sf_status s = st_cw(cw);
                sf_f80 h = hosts[w](cw, &sw), l = sf_f80_const(&s, w);
                t.n++;
                if (!f80_eq(h, l) || (sw & 0x3f) != s.flags)
                    report(&t, "const %d cw=%04x hw=%04x:%016llx/%02x/%d "
                               "lib=%04x:%016llx",
                           w, cw, F80P(h), sw & 0x3f, (sw >> 9) & 1, F80P(l));
            }
        }
    }
    finish(&t);
    END_CASES();
}
END_TEST

/* ---------------------------------------------- transcendentals (phase 2) */

/* Distance in units in the last place between two non-NaN f80 values. */
static uint64_t ulp_dist(sf_f80 a, sf_f80 b)
{
    typedef unsigned __int128 u128;
    u128 ka = ((u128)(a.se & 0x7fff) << 63) | (a.sig & ~(1ull << 63));
    u128 kb = ((u128)(b.se & 0x7fff) << 63) | (b.sig & ~(1ull << 63));
    u128 d;
    if ((a.se & 0x7fff) == 0)
        ka = a.sig;
    if ((b.se & 0x7fff) == 0)
        kb = b.sig;
    if ((a.se >> 15) != (b.se >> 15))
        d = ka + kb;
    else
        d = ka > kb ? ka - kb : kb - ka;
    return d > ~0ull ? ~0ull : (uint64_t)d;
}

typedef struct {
    const char *name;
    long n, exact, one, bad, flagbad;
} ttally;

static void tcheck(ttally *t, uint16_t cw, sf_f80 a, sf_f80 b, sf_f80 h,
                   sf_f80 l, uint16_t hf, uint16_t lf)
{
    uint64_t d;
    t->n++;
    if (f80_eq(h, l))
        d = 0;
    else if (sf_f80_is_nan(h) || sf_f80_is_nan(l))
        d = ~0ull;
    else
        d = ulp_dist(h, l);
    if (d == 0)
        t->exact++;
    else if (d == 1)
        t->one++;
    /* flags must match, except PE/UE/C1-dependent details when the
     * results differ by an ulp (rounding of a different value). */
    if (d <= 1 && hf != lf && !(d == 1 && ((hf ^ lf) & ~(SF_PE | SF_UE)) == 0)) {
        t->flagbad++;
        if (t->flagbad <= 8)
            printf("FLAGS %s: cw=%04x a=%04x:%016llx b=%04x:%016llx "
                   "hw=%04x:%016llx/%02x lib=%04x:%016llx/%02x\n",
                   t->name, cw, F80P(a), F80P(b), F80P(h), hf, F80P(l), lf);
    }
    if (d > 1) {
        t->bad++;
        if (t->bad <= 8)
            printf("ULP %s: cw=%04x a=%04x:%016llx b=%04x:%016llx "
                   "hw=%04x:%016llx/%02x lib=%04x:%016llx/%02x\n",
                   t->name, cw, F80P(a), F80P(b), F80P(h), hf, F80P(l), lf);
    }
}

static void tfinish(ttally *t)
{
    printf("%-10s %8ld cases: %6.2f%% bit-exact, %ld off by 1 ulp, "
           "%ld worse, %ld flag mismatches\n",
           t->name, t->n, t->n ? 100.0 * (double)t->exact / (double)t->n : 0.0,
           t->one, t->bad, t->flagbad);
    fflush(stdout);
    g_bad += t->bad + t->flagbad;
}

static uint16_t trans_fcw(void)
{
    return (uint16_t)(0x7f | (rndn(4) << 8) | (rndn(4) << 10));
}

/* x near k * pi/2 as the x87 sees it (pi rounded to 66 bits). */
static sf_f80 near_pi_multiple(void)
{
    unsigned __int128 pi66 = ((unsigned __int128)3 << 64) | 0x243f6a8885a308d3ull;
    uint64_t k = 1 + (rnd() >> (64 - 1 - rndn(40)));
    unsigned __int128 nn = pi66 * k; /* k * pi/2 * 2^65 */
    int z = nn >> 64 ? __builtin_clzll((uint64_t)(nn >> 64))
                     : 64 + __builtin_clzll((uint64_t)nn);
    uint64_t sig = (uint64_t)((nn << z) >> 64);
    int e = 127 - z - 65; /* unbiased exponent */
    sig += (uint64_t)(int64_t)((int)rndn(5) - 2);
    return sf_f80_make((uint16_t)((rndn(2) << 15) | (16383 + e)), sig | (1ull << 63));
}

#define N_TRANS 40000L

START_TEST(t_x87_trans)
{
    long n = scale_cases(N_TRANS);
    ttally t2 = { "f2xm1", 0, 0, 0, 0, 0 }, tl = { "fyl2x", 0, 0, 0, 0, 0 },
           tp = { "fyl2xp1", 0, 0, 0, 0, 0 }, ta = { "fpatan", 0, 0, 0, 0, 0 },
           ts = { "fsin", 0, 0, 0, 0, 0 }, tc = { "fcos", 0, 0, 0, 0, 0 },
           tt = { "fptan", 0, 0, 0, 0, 0 }, tsc = { "fsincos", 0, 0, 0, 0, 0 };
    BEGIN_CASES();
    for (long i = 0; i < n; i++) {
        uint16_t cw = trans_fcw(), sw;
        sf_status s;
        sf_f80 a, b, h, l, h2, l2;
        /* F2XM1 on [-1, 1] */
        a = rndn(8) == 0 ? gen_f80() : gen_f80_e(16382 - (int)rndn(rndn(4) ? 20 : 70));
        if (rndn(32) == 0)
            a = sf_f80_make((uint16_t)((rndn(2) << 15) | 0x3fff), 1ull << 63);
        if (rndn(16) == 0) /* outside the domain */
            a = gen_f80_e(16383 + (int)rndn(70));
        {
            s = st_cw(cw);
            h = h_f2xm1(cw, a, a, &sw, NULL);
            l = sf_f80_f2xm1(&s, a);
            tcheck(&t2, cw, a, a, h, l, sw & 0x3f, s.flags);
        }
        /* FYL2X */
        a = rndn(8) == 0 ? gen_f80() : gen_f80_e(rndn(2) ? 16383 - 1 + (int)rndn(2) : 1 + (int)rndn(0x7ffe));
        if (rndn(2))
            a.se &= 0x7fff;
        b = rndn(8) == 0 ? gen_f80() : gen_f80_e(16383 - 30 + (int)rndn(60));
        s = st_cw(cw);
        h = h_fyl2x(cw, a, b, &sw, NULL);
        l = sf_f80_fyl2x(&s, a, b);
        tcheck(&tl, cw, a, b, h, l, sw & 0x3f, s.flags);
        /* FYL2XP1 on |x| < 1 - sqrt(2)/2 */
        a = rndn(8) == 0 ? gen_f80() : gen_f80_e(16380 - (int)rndn(rndn(4) ? 20 : 80));
        b = rndn(8) == 0 ? gen_f80() : gen_f80_e(16383 - 30 + (int)rndn(60));
        if (rndn(8) == 0) /* outside the SDM domain too */
            a = gen_f80_e(16383 - 3 + (int)rndn(rndn(2) ? 6 : 80));
        {
            s = st_cw(cw);
            h = h_fyl2xp1(cw, a, b, &sw, NULL);
            l = sf_f80_fyl2xp1(&s, a, b);
            tcheck(&tp, cw, a, b, h, l, sw & 0x3f, s.flags);
        }
        /* FPATAN: x = ST0 = a, y = ST1 = b */
        a = rndn(8) == 0 ? gen_f80() : gen_f80_e(16383 - 40 + (int)rndn(80));
        b = rndn(8) == 0 ? gen_f80() : gen_f80_rel(a, 0);
        s = st_cw(cw);
        h = h_fpatan(cw, a, b, &sw, NULL);
        l = sf_f80_fpatan(&s, a, b);
        tcheck(&ta, cw, a, b, h, l, sw & 0x3f, s.flags);
        /* FSIN / FCOS / FPTAN / FSINCOS */
        switch (rndn(4)) {
        case 0:
            a = gen_f80();
            break;
        case 1:
            a = near_pi_multiple();
            break;
        case 2:
            a = gen_f80_e(16383 - 3 + (int)rndn(70));
            break;
        default:
            a = gen_f80_e(16383 - 40 + (int)rndn(42));
            break;
        }
        {
            bool c2;
            uint16_t hc2;
            s = st_cw(cw);
            h = h_fsin(cw, a, a, &sw, NULL);
            l = sf_f80_fsin(&s, a, &c2);
            hc2 = (sw >> 10) & 1;
            tcheck(&ts, cw, a, a, h, l, (uint16_t)((sw & 0x3f) | (hc2 << 8)),
                   (uint16_t)(s.flags | (c2 << 8)));
            s = st_cw(cw);
            h = h_fcos(cw, a, a, &sw, NULL);
            l = sf_f80_fcos(&s, a, &c2);
            hc2 = (sw >> 10) & 1;
            tcheck(&tc, cw, a, a, h, l, (uint16_t)((sw & 0x3f) | (hc2 << 8)),
                   (uint16_t)(s.flags | (c2 << 8)));
            s = st_cw(cw);
            h2 = h_fptan(cw, a, a, &sw, &h);
            l = sf_f80_fptan(&s, a, &c2);
            hc2 = (sw >> 10) & 1;
            if (hc2)
                h = h2; /* nothing pushed */
            tcheck(&tt, cw, a, a, h, l, (uint16_t)((sw & 0x3f) | (hc2 << 8)),
                   (uint16_t)(s.flags | (c2 << 8)));
            s = st_cw(cw);
            h2 = h_fsincos(cw, a, a, &sw, &h); /* st0 = cos, st1 = sin */
            l = sf_f80_fsincos(&s, a, &l2, &c2);
            hc2 = (sw >> 10) & 1;
            if (hc2) {
                h = h2;
                h2 = a;
            }
            tcheck(&tsc, cw, a, a, h, l, (uint16_t)((sw & 0x3f) | (hc2 << 8)),
                   (uint16_t)(s.flags | (c2 << 8)));
            tcheck(&tsc, cw, a, a, h2, l2, (uint16_t)((sw & 0x3f) | (hc2 << 8)),
                   (uint16_t)(s.flags | (c2 << 8)));
        }
    }
    tfinish(&t2);
    tfinish(&tl);
    tfinish(&tp);
    tfinish(&ta);
    tfinish(&ts);
    tfinish(&tc);
    tfinish(&tt);
    tfinish(&tsc);
    END_CASES();
}
END_TEST

static Suite *softfloat_suite(void)
{
    Suite *s = suite_create("softfloat");
    TCase *tc = tcase_create("differential");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, t_sse_arith32);
    tcase_add_test(tc, t_sse_arith64);
    tcase_add_test(tc, t_sse_compare);
    tcase_add_test(tc, t_sse_convert);
    tcase_add_test(tc, t_sse_unmasked);
    tcase_add_test(tc, t_x87_arith);
    tcase_add_test(tc, t_x87_arith_mem);
    tcase_add_test(tc, t_x87_compare);
    tcase_add_test(tc, t_x87_fxam);
    tcase_add_test(tc, t_x87_load_store);
    tcase_add_test(tc, t_x87_fist);
    tcase_add_test(tc, t_x87_bcd);
    tcase_add_test(tc, t_x87_misc);
    tcase_add_test(tc, t_x87_prem);
    tcase_add_test(tc, t_x87_const);
    tcase_add_test(tc, t_x87_trans);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(softfloat_suite());
    const char *seed = getenv("SF_TEST_SEED");
    if (seed && *seed)
        rng_state = strtoull(seed, NULL, 0);
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#else /* not x86-64: the differential tests need the host's x87/SSE */

int main(void)
{
    printf("softfloat differential tests need an x86-64 host; skipped\n");
    return 0;
}

#endif
