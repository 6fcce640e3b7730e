/* Software floating point with exact x86 semantics (x87 and SSE).
 *
 * Portable: no host floating point, long double, fenv or inline asm.
 * f32/f64 operations follow SSE rules (MXCSR: DAZ, FTZ, first-source NaN);
 * f80 operations follow x87 rules (FCW: PC, larger-significand NaN,
 * unsupported encodings, unmasked OE/UE exponent wrapping).
 *
 * Every operation takes an sf_status: inputs rc/pc/daz/ftz/masks, outputs
 * flags (accumulated, OR-ed in) and c1 (set by x87 operations: "rounded
 * up in magnitude").  A fault decision is the caller's:
 * (flags raised & ~masks) != 0 -> #MF pending (x87) / #XM (SSE).
 *
 * Behaviour established on this project's reference hardware (every item
 * is checked by tests/unit/test_softfloat.c against the host CPU):
 * - Tininess is detected AFTER rounding (exponent unbounded), by x87 and
 *   SSE alike; FTZ flushes exactly the results that are tiny by that rule
 *   and raises UE+PE.  Masked underflow: UE only if tiny and inexact.
 * - Unmasked UE/OE: UE (OE) plus PE if the result rounded to the
 *   precision is inexact.  x87 register destination: the result is
 *   delivered with exponent +/-24576 (SDM Vol.1 §8.5.4-8.5.5); if it is
 *   still out of range (FSCALE) the x87 delivers 0 (UE+PE) or infinity
 *   (OE+PE, C1) whatever the rounding.  x87 memory destination (FST m32/
 *   m64): nothing stored, UE or OE alone.  SSE: the instruction faults.
 * - Unmasked IE/DE/ZE: the operation stops; only those flags are raised
 *   and nothing is written (x87 and SSE).
 * - Precedence: an invalid operation (SNaN, inf-inf, sqrt(-x), x/0 with
 *   x = 0, FPREM with ST1 = 0...) and x/0 (ZE) report no DE even for
 *   denormal operands.  A NaN operand suppresses DE (arithmetic and
 *   compares), except for MINSS/MAXSS, which report IE and DE.
 * - No DE for FST m32/m64, FIST(TP) or FBSTP of a denormal; DE for FLD
 *   m32/m64, arithmetic, compares, FRNDINT, FSCALE, FXTRACT, FPREM.
 * - NaN results: SSE returns the first source's NaN (quieted) if it is a
 *   NaN, else the second's.  x87: QNaN beats SNaN; between two of the
 *   same kind the larger significand, on a tie the positive one.
 * - MINSS/MAXSS: if either operand is a NaN, the second operand is
 *   returned unchanged (even an SNaN), IE is raised; with DAZ the
 *   returned operand is the flushed (signed zero) value.
 * - FSCALE by +/-0 returns ST0 unchanged (a pseudo-denormal gets its
 *   normal encoding) without UE; FPREM's incomplete step reduces the
 *   exponent difference D (>= 64) to N = 32 + (D - 32) mod 32.
 * - Transcendentals: PE always; F2XM1 outside [-1, 1] and FYL2XP1 with
 *   x <= -1 return x unchanged (PE); FSIN/FPTAN of |x| < 2^-68 return x,
 *   FCOS 1; FPTAN of |x| < 2^-33 returns what FSIN would.
 */
#ifndef XENEMU_SOFTFLOAT_H
#define XENEMU_SOFTFLOAT_H

#include <stdbool.h>
#include <stdint.h>

/* Exception bits: FSW/FCW bits 0-5 and MXCSR bits 0-5 / 7-12 (shifted).
 * SDM Vol.1 §8.1.3.1, §10.2.3. */
enum {
    SF_IE = 0x01, /* invalid operation */
    SF_DE = 0x02, /* denormal operand */
    SF_ZE = 0x04, /* divide by zero */
    SF_OE = 0x08, /* overflow */
    SF_UE = 0x10, /* underflow */
    SF_PE = 0x20, /* precision (inexact) */
    SF_ALL = 0x3f
};

/* Rounding control, FCW.RC / MXCSR.RC encoding. SDM Vol.1 §4.8.4 */
enum { SF_RC_NEAREST = 0, SF_RC_DOWN = 1, SF_RC_UP = 2, SF_RC_ZERO = 3 };

/* Precision control, FCW.PC encoding. SDM Vol.1 §8.1.5.2 */
enum { SF_PC_24 = 0, SF_PC_RESERVED = 1, SF_PC_53 = 2, SF_PC_64 = 3 };

typedef struct sf_status {
    uint8_t rc;    /* SF_RC_* */
    uint8_t pc;    /* SF_PC_* (x87 add/sub/mul/div/sqrt only) */
    bool daz;      /* SSE denormals-are-zero (inputs) */
    bool ftz;      /* SSE flush-to-zero (outputs, when UE masked) */
    uint8_t masks; /* SF_* bits; set = masked */
    uint8_t flags; /* SF_* bits raised (accumulated) */
    bool c1;       /* x87: result was rounded up in magnitude */
} sf_status;

/* x87 double extended: SDM Vol.1 §4.2.2, explicit integer bit in sig. */
typedef struct sf_f80 {
    uint64_t sig;
    uint16_t se; /* bit 15 sign, bits 14:0 biased exponent */
} sf_f80;

/* Comparison results. */
typedef enum sf_cmp {
    SF_CMP_LESS = 0,
    SF_CMP_EQUAL = 1,
    SF_CMP_GREATER = 2,
    SF_CMP_UNORDERED = 3
} sf_cmp;

/* Status helpers: fill from / describe control words. */
void sf_status_from_fcw(sf_status *s, uint16_t fcw);
void sf_status_from_mxcsr(sf_status *s, uint32_t mxcsr);

/* Constants. */
#define SF_F32_DEFAULT_NAN 0xffc00000u
#define SF_F64_DEFAULT_NAN 0xfff8000000000000ull
#define SF_F80_DEFAULT_NAN_SIG 0xc000000000000000ull
#define SF_F80_DEFAULT_NAN_SE 0xffffu
static inline sf_f80 sf_f80_make(uint16_t se, uint64_t sig)
{
    sf_f80 r = { sig, se };
    return r;
}
static inline sf_f80 sf_f80_default_nan(void)
{
    return sf_f80_make(SF_F80_DEFAULT_NAN_SE, SF_F80_DEFAULT_NAN_SIG);
}

/* ---------------------------------------------------------------------
 * SSE scalar operations (binary32 = uint32_t, binary64 = uint64_t).
 * a is the first source (destination register), b the second.
 * SDM Vol.1 §10.4, §11.5; NaN rules Table 4-7 (SSE column).  Packed
 * forms: one call per lane, each with its own flags; if any lane raises
 * an unmasked exception the instruction writes nothing (#XM).
 */
uint32_t sf_f32_add(sf_status *s, uint32_t a, uint32_t b);
uint32_t sf_f32_sub(sf_status *s, uint32_t a, uint32_t b);
uint32_t sf_f32_mul(sf_status *s, uint32_t a, uint32_t b);
uint32_t sf_f32_div(sf_status *s, uint32_t a, uint32_t b);
uint32_t sf_f32_sqrt(sf_status *s, uint32_t a);
uint32_t sf_f32_min(sf_status *s, uint32_t a, uint32_t b); /* MINSS */
uint32_t sf_f32_max(sf_status *s, uint32_t a, uint32_t b); /* MAXSS */
uint64_t sf_f64_add(sf_status *s, uint64_t a, uint64_t b);
uint64_t sf_f64_sub(sf_status *s, uint64_t a, uint64_t b);
uint64_t sf_f64_mul(sf_status *s, uint64_t a, uint64_t b);
uint64_t sf_f64_div(sf_status *s, uint64_t a, uint64_t b);
uint64_t sf_f64_sqrt(sf_status *s, uint64_t a);
uint64_t sf_f64_min(sf_status *s, uint64_t a, uint64_t b); /* MINSD */
uint64_t sf_f64_max(sf_status *s, uint64_t a, uint64_t b); /* MAXSD */

/* Ordered compare; signaling: IE on QNaN too (COMISS, CMPLTSS), else
 * only on SNaN (UCOMISS, CMPEQSS). DE on denormals unless DAZ. */
sf_cmp sf_f32_compare(sf_status *s, uint32_t a, uint32_t b, bool signaling);
sf_cmp sf_f64_compare(sf_status *s, uint64_t a, uint64_t b, bool signaling);
/* CMPSS/CMPSD/VCMPSS predicate imm (0-31, SDM Vol.2 CMPPS Table 3-1). */
bool sf_f32_cmp_pred(sf_status *s, uint32_t a, uint32_t b, unsigned imm);
bool sf_f64_cmp_pred(sf_status *s, uint64_t a, uint64_t b, unsigned imm);

/* Conversions (CVTSS2SD, CVTSD2SS, CVTSI2SS/SD, CVT(T)SS/SD2SI). */
uint64_t sf_f32_to_f64(sf_status *s, uint32_t a);
uint32_t sf_f64_to_f32(sf_status *s, uint64_t a);
uint32_t sf_i32_to_f32(sf_status *s, int32_t a);
uint32_t sf_i64_to_f32(sf_status *s, int64_t a);
uint64_t sf_i32_to_f64(sf_status *s, int32_t a);
uint64_t sf_i64_to_f64(sf_status *s, int64_t a);
/* truncate: round toward zero (CVTT*), else use s->rc.
 * Invalid -> integer indefinite (INT32_MIN / INT64_MIN) and IE. */
int32_t sf_f32_to_i32(sf_status *s, uint32_t a, bool truncate);
int64_t sf_f32_to_i64(sf_status *s, uint32_t a, bool truncate);
int32_t sf_f64_to_i32(sf_status *s, uint64_t a, bool truncate);
int64_t sf_f64_to_i64(sf_status *s, uint64_t a, bool truncate);
/* ROUNDSS/ROUNDSD: imm8 bits 1:0 rounding, bit 2 use s->rc,
 * bit 3 suppress PE. SDM Vol.2 ROUNDSS Table 4-18. */
uint32_t sf_f32_round_int(sf_status *s, uint32_t a, unsigned imm8);
uint64_t sf_f64_round_int(sf_status *s, uint64_t a, unsigned imm8);

/* ---------------------------------------------------------------------
 * x87 operations on double extended.  Results are what the x87 writes to
 * a register destination when the flags raised that are unmasked are only
 * OE/UE (exponent wrapped by 24576, SDM Vol.1 §8.5.4, §8.5.5).  If an
 * unmasked IE, DE or ZE is raised, the x87 layer must leave the
 * destination unchanged (SDM Vol.1 §8.5.1-8.5.3); the returned value is
 * then not meaningful.  Precedence (hardware): an invalid operation or
 * x/0 reports IE or ZE alone, without DE.  s->c1 = "rounded up".
 */
/* Operation codes for the memory-operand forms below. */
enum {
    SF_X87_ADD,
    SF_X87_SUB,  /* st - m */
    SF_X87_SUBR, /* m - st */
    SF_X87_MUL,
    SF_X87_DIV,  /* st / m */
    SF_X87_DIVR  /* m / st */
};
sf_f80 sf_f80_add(sf_status *s, sf_f80 a, sf_f80 b);
sf_f80 sf_f80_sub(sf_status *s, sf_f80 a, sf_f80 b); /* a - b */
sf_f80 sf_f80_mul(sf_status *s, sf_f80 a, sf_f80 b);
sf_f80 sf_f80_div(sf_status *s, sf_f80 a, sf_f80 b); /* a / b */
sf_f80 sf_f80_sqrt(sf_status *s, sf_f80 a);
/* Generic form: st OP src with src another register (SUBR/DIVR reverse). */
sf_f80 sf_f80_arith(sf_status *s, int op, sf_f80 st, sf_f80 src);
/* FADD/FSUB(R)/FMUL/FDIV(R) m32fp/m64fp: the memory operand is used in
 * its own format (DE for its denormals, its SNaN-ness kept for the NaN
 * rules) -- do not convert it with sf_f32_to_f80 first.  FIADD etc.:
 * convert the integer with sf_i64_to_f80 (exact) and use sf_f80_arith. */
sf_f80 sf_f80_arith_f32(sf_status *s, int op, sf_f80 st, uint32_t m);
sf_f80 sf_f80_arith_f64(sf_status *s, int op, sf_f80 st, uint64_t m);
/* FCOM/FUCOM/FCOMI/FUCOMI/FTST; signaling = FCOM family (IE on QNaN).
 * FTST: compare with +0. */
sf_cmp sf_f80_compare(sf_status *s, sf_f80 a, sf_f80 b, bool signaling);
sf_cmp sf_f80_compare_f32(sf_status *s, sf_f80 a, uint32_t m, bool signaling);
sf_cmp sf_f80_compare_f64(sf_status *s, sf_f80 a, uint64_t m, bool signaling);

/* FLD m32/m64 (exact; DE on denormal; SNaN -> IE + quieted). */
sf_f80 sf_f32_to_f80(sf_status *s, uint32_t a);
sf_f80 sf_f64_to_f80(sf_status *s, uint64_t a);
/* FST m32/m64: rounding by s->rc (not PC); no DE.  With an unmasked
 * exception raised (e.g. OE or UE alone) nothing is stored and the
 * returned value is not meaningful. */
uint32_t sf_f80_to_f32(sf_status *s, sf_f80 a);
uint64_t sf_f80_to_f64(sf_status *s, sf_f80 a);
/* FILD (always exact). */
sf_f80 sf_i64_to_f80(int64_t a);
/* FIST/FISTP (truncate=false, s->rc) and FISTTP (truncate=true).
 * Out of range / NaN / unsupported -> IE and integer indefinite. */
int16_t sf_f80_to_i16(sf_status *s, sf_f80 a, bool truncate);
int32_t sf_f80_to_i32(sf_status *s, sf_f80 a, bool truncate);
int64_t sf_f80_to_i64(sf_status *s, sf_f80 a, bool truncate);

/* FBSTP / FBLD: 80-bit packed BCD, out[0]/in[0] = lowest two digits,
 * byte 9 bit 7 = sign.  Invalid -> IE and the BCD indefinite. */
void sf_f80_to_bcd(sf_status *s, sf_f80 a, uint8_t out[10]);
sf_f80 sf_bcd_to_f80(const uint8_t in[10]);

sf_f80 sf_f80_round_int(sf_status *s, sf_f80 a);         /* FRNDINT */
sf_f80 sf_f80_scale(sf_status *s, sf_f80 a, sf_f80 b);   /* FSCALE */
/* FXTRACT: *exp_out gets the exponent (becomes ST1), the significand is
 * returned (pushed as ST0).  0 -> ZE, exponent -inf. */
sf_f80 sf_f80_xtract(sf_status *s, sf_f80 a, sf_f80 *exp_out);
/* FPREM (ieee=false) / FPREM1 (ieee=true): a = ST0, b = ST1.
 * *cc receives FSW bits C0 (0x100), C1 (0x200), C2 (0x400), C3 (0x4000):
 * C2 = incomplete, else C0,C3,C1 = quotient bits 2,1,0. */
sf_f80 sf_f80_rem(sf_status *s, sf_f80 a, sf_f80 b, bool ieee, uint16_t *cc);

/* FXAM for a non-empty register: FSW bits C3,C2,C1,C0 (mask 0x4700). */
uint16_t sf_f80_fxam(sf_f80 a);

/* FLD1-like constants: FLDPI, FLDL2T, FLDL2E, FLDLG2, FLDLN2, rounded
 * from the internal 66-bit value per s->rc (SDM Vol.1 §8.3.8). */
enum { SF_CONST_PI, SF_CONST_L2T, SF_CONST_L2E, SF_CONST_LG2, SF_CONST_LN2 };
sf_f80 sf_f80_const(const sf_status *s, int which);

/* Encoding classes (SDM Vol.1 §8.2.2 Table 8-3). */
bool sf_f80_is_nan(sf_f80 a);
bool sf_f80_is_snan(sf_f80 a);
bool sf_f80_is_unsupported(sf_f80 a); /* pseudo-NaN/inf, unnormal */
bool sf_f32_is_nan(uint32_t a);
bool sf_f64_is_nan(uint64_t a);

/* ---------------------------------------------------------------------
 * x87 transcendentals (softfloat_trans.c), SDM Vol.1 §8.3.10.  Evaluated
 * with ~125-bit intermediates and rounded once by s->rc (PC does not
 * apply): within 1 ulp of the hardware, which is not itself correctly
 * rounded (bit-exact on 87-99% of the tests' cases).  Trigonometric
 * arguments are reduced exactly modulo pi/2 as the x87 sees it: pi
 * rounded to 66 bits.  x = ST0, y = ST1; FYL2X, FYL2XP1 and FPATAN write
 * the result to ST1 and pop.  Unmasked IE/DE/ZE: nothing to write.
 */
sf_f80 sf_f80_f2xm1(sf_status *s, sf_f80 x);               /* 2^x - 1 */
sf_f80 sf_f80_fyl2x(sf_status *s, sf_f80 x, sf_f80 y);     /* y*log2 x */
sf_f80 sf_f80_fyl2xp1(sf_status *s, sf_f80 x, sf_f80 y);   /* y*log2(x+1) */
sf_f80 sf_f80_fpatan(sf_status *s, sf_f80 x, sf_f80 y);    /* atan(y/x) */
/* FSIN/FCOS/FPTAN/FSINCOS: when |x| >= 2^63, *c2 is set, x is returned
 * unchanged and nothing is pushed; else *c2 is cleared. */
sf_f80 sf_f80_fsin(sf_status *s, sf_f80 x, bool *c2);
sf_f80 sf_f80_fcos(sf_status *s, sf_f80 x, bool *c2);
/* FSINCOS: returns sin (new ST1), *cos_out gets cos (pushed as ST0). */
sf_f80 sf_f80_fsincos(sf_status *s, sf_f80 x, sf_f80 *cos_out, bool *c2);
/* FPTAN: returns tan (new ST1); the x87 then pushes 1.0. */
sf_f80 sf_f80_fptan(sf_status *s, sf_f80 x, bool *c2);

#endif
