/* MUL, IMUL (one-, two- and three-operand forms), DIV, IDIV (SDM Vol.2).
 *
 * Flags: CF = OF = "the high half is significant" through CC_MUL; of the
 * undefined ones the Intel host gives SF from the low half, PF from its low
 * byte, ZF = AF = 0 (CC_MUL does the same). DIV and IDIV leave all flags
 * unchanged on that host, so they record nothing. */
#include "ops.h"

#define AI static inline __attribute__((always_inline))

typedef unsigned __int128 u128;
typedef __int128 s128;

/* The implicit accumulator pair: AL/AH (as AX) for bytes, else rAX and rDX. */
AI uint64_t acc_lo(const cpu_t *cpu, unsigned bytes)
{
    return gpr_get(cpu, R_RAX, bytes);
}

/* ---- MUL, IMUL with one operand (SDM Vol.2 MUL, IMUL) ---- */

/* Store the double-width product: AX for bytes, rDX:rAX otherwise. */
AI void store_wide(cpu_t *cpu, unsigned bytes, uint64_t lo, uint64_t hi)
{
    if (bytes == 1) {
        gpr_set(cpu, R_RAX, 2, (hi & 0xff) << 8 | (lo & 0xff));
    } else {
        gpr_set(cpu, R_RAX, bytes, lo);
        gpr_set(cpu, R_RDX, bytes, hi);
    }
}

AI void mul_do(cpu_t *cpu, unsigned bytes, uint64_t src)
{
    uint64_t a = acc_lo(cpu, bytes), lo, hi;
    if (bytes == 8) {
        u128 p = (u128)a * src;
        lo = (uint64_t)p;
        hi = (uint64_t)(p >> 64);
    } else {
        uint64_t p = a * src;
        lo = p & size_mask(bytes);
        hi = p >> (bytes * 8);
    }
    store_wide(cpu, bytes, lo, hi);
    cc_set(cpu, CC_MUL + cc_size_log(bytes), lo, hi != 0);
}

AI void imul1_do(cpu_t *cpu, unsigned bytes, uint64_t src)
{
    int64_t a = sext(acc_lo(cpu, bytes), bytes), b = sext(src, bytes);
    uint64_t lo, hi;
    bool big;
    if (bytes == 8) {
        s128 p = (s128)a * b;
        lo = (uint64_t)p;
        hi = (uint64_t)((u128)p >> 64);
        big = p != (s128)(int64_t)lo;
    } else {
        int64_t p = a * b;
        lo = (uint64_t)p & size_mask(bytes);
        hi = ((uint64_t)p >> (bytes * 8)) & size_mask(bytes);
        big = p != sext(lo, bytes);
    }
    store_wide(cpu, bytes, lo, hi);
    cc_set(cpu, CC_MUL + cc_size_log(bytes), lo, big);
}

/* ---- DIV, IDIV (SDM Vol.2 DIV, IDIV): #DE on a zero divisor or a
 * quotient that does not fit; nothing changes then. ---- */

AI void div_do(cpu_t *cpu, unsigned bytes, uint64_t src)
{
    if (src == 0)
        cpu_raise(cpu, EXC_DE);
    uint64_t q, r;
    if (bytes == 8) {
        uint64_t hi = cpu->r[R_RDX], lo = cpu->r[R_RAX];
        if (hi >= src)
            cpu_raise(cpu, EXC_DE);
        if (hi == 0) {
            q = lo / src;
            r = lo % src;
        } else {
            u128 n = (u128)hi << 64 | lo;
            q = (uint64_t)(n / src);
            r = (uint64_t)(n % src);
        }
    } else {
        unsigned bits = bytes * 8;
        uint64_t n = bytes == 1 ? (uint16_t)cpu->r[R_RAX]
                                : gpr_get(cpu, R_RDX, bytes) << bits | gpr_get(cpu, R_RAX, bytes);
        q = n / src;
        r = n % src;
        if (q > size_mask(bytes))
            cpu_raise(cpu, EXC_DE);
    }
    store_wide(cpu, bytes, q, r);
}

/* Signed division on magnitudes, so that no C operation can overflow
 * (the most negative dividend by -1 is a #DE, not undefined behaviour). */
AI void idiv_do(cpu_t *cpu, unsigned bytes, uint64_t src)
{
    int64_t dv = sext(src, bytes);
    if (dv == 0)
        cpu_raise(cpu, EXC_DE);
    bool nneg, dneg = dv < 0;
    u128 nmag;
    if (bytes == 8) {
        s128 n = (s128)((u128)cpu->r[R_RDX] << 64 | cpu->r[R_RAX]);
        nneg = n < 0;
        nmag = nneg ? -(u128)n : (u128)n;
    } else {
        unsigned bits = bytes * 8;
        uint64_t raw = bytes == 1 ? (uint16_t)cpu->r[R_RAX]
                                  : gpr_get(cpu, R_RDX, bytes) << bits | gpr_get(cpu, R_RAX, bytes);
        int64_t n = sext(raw, bytes * 2);
        nneg = n < 0;
        nmag = nneg ? -(uint64_t)n : (uint64_t)n;
    }
    uint64_t dmag = dneg ? -(uint64_t)dv : (uint64_t)dv;
    u128 qmag;
    uint64_t rmag;
    if ((uint64_t)(nmag >> 64) == 0) {
        qmag = (uint64_t)nmag / dmag;
        rmag = (uint64_t)nmag % dmag;
    } else {
        qmag = nmag / dmag;
        rmag = (uint64_t)(nmag % dmag);
    }
    /* |quotient| limit: 2^(n-1) when negative, 2^(n-1) - 1 when positive. */
    u128 limit = (u128)sign_bit(bytes) - (nneg == dneg);
    if (qmag > limit)
        cpu_raise(cpu, EXC_DE);
    uint64_t q = (uint64_t)qmag, r = rmag;
    if (nneg != dneg)
        q = -q;
    if (nneg)
        r = -r;
    store_wide(cpu, bytes, q & size_mask(bytes), r & size_mask(bytes));
}

enum { MD_MUL, MD_IMUL, MD_DIV, MD_IDIV };

AI void muldiv_do(cpu_t *cpu, unsigned op, unsigned bytes, uint64_t src)
{
    switch (op) {
    case MD_MUL: mul_do(cpu, bytes, src); break;
    case MD_IMUL: imul1_do(cpu, bytes, src); break;
    case MD_DIV: div_do(cpu, bytes, src); break;
    default: idiv_do(cpu, bytes, src); break;
    }
}

#define MULDIV_HANDLERS(OP, NAME, BYTES)                                                 \
    static void NAME##_r##BYTES(cpu_t *cpu, const insn_t *in)                            \
    {                                                                                    \
        muldiv_do(cpu, OP, BYTES, gpr_get(cpu, in->rm, BYTES));                          \
    }                                                                                    \
    static void NAME##_m##BYTES(cpu_t *cpu, const insn_t *in)                            \
    {                                                                                    \
        muldiv_do(cpu, OP, BYTES, mmu_read(cpu, in->seg, insn_ea(cpu, in), BYTES));      \
    }

#define MULDIV_ALL_SIZES(OP, NAME)  \
    MULDIV_HANDLERS(OP, NAME, 1)    \
    MULDIV_HANDLERS(OP, NAME, 2)    \
    MULDIV_HANDLERS(OP, NAME, 4)    \
    MULDIV_HANDLERS(OP, NAME, 8)

MULDIV_ALL_SIZES(MD_MUL, mul)
MULDIV_ALL_SIZES(MD_IMUL, imul1)
MULDIV_ALL_SIZES(MD_DIV, div)
MULDIV_ALL_SIZES(MD_IDIV, idiv)

#define ROW(NAME, FORM) { NAME##_##FORM##1, NAME##_##FORM##2, NAME##_##FORM##4, NAME##_##FORM##8 }
#define OPS(NAME) { ROW(NAME, r), ROW(NAME, m) }

static const insn_fn muldiv_fn[4][2][4] = { OPS(mul), OPS(imul1), OPS(div), OPS(idiv) };

/* F6/F7 /4 MUL, /5 IMUL, /6 DIV, /7 IDIV; sel_grp3 has rejected LOCK. */
void muldiv_grp3(dctx_t *d, insn_t *in)
{
    in->fn = muldiv_fn[d->regf - 4][(in->flags & INF_MEM) ? 1 : 0][opsz_log(in)];
}

/* ---- IMUL r, r/m (0F AF) and IMUL r, r/m, imm (69, 6B): the product
 * truncated to the operand size ---- */

AI void imul2_do(cpu_t *cpu, const insn_t *in, unsigned bytes, uint64_t a, uint64_t b)
{
    uint64_t lo;
    bool big;
    if (bytes == 8) {
        s128 p = (s128)(int64_t)a * (int64_t)b;
        lo = (uint64_t)p;
        big = p != (s128)(int64_t)lo;
    } else {
        int64_t p = sext(a, bytes) * sext(b, bytes);
        lo = (uint64_t)p & size_mask(bytes);
        big = p != sext(lo, bytes);
    }
    gpr_set(cpu, in->reg, bytes, lo);
    cc_set(cpu, CC_MUL + cc_size_log(bytes), lo, big);
}

#define IMUL2_HANDLERS(BYTES)                                                            \
    static void imul_rr##BYTES(cpu_t *cpu, const insn_t *in)                             \
    {                                                                                    \
        imul2_do(cpu, in, BYTES, gpr_get(cpu, in->reg, BYTES), gpr_get(cpu, in->rm, BYTES)); \
    }                                                                                    \
    static void imul_rm##BYTES(cpu_t *cpu, const insn_t *in)                             \
    {                                                                                    \
        uint64_t b = mmu_read(cpu, in->seg, insn_ea(cpu, in), BYTES);                    \
        imul2_do(cpu, in, BYTES, gpr_get(cpu, in->reg, BYTES), b);                       \
    }                                                                                    \
    static void imul_rri##BYTES(cpu_t *cpu, const insn_t *in)                            \
    {                                                                                    \
        imul2_do(cpu, in, BYTES, gpr_get(cpu, in->rm, BYTES), in->imm);                  \
    }                                                                                    \
    static void imul_rmi##BYTES(cpu_t *cpu, const insn_t *in)                            \
    {                                                                                    \
        uint64_t a = mmu_read(cpu, in->seg, insn_ea(cpu, in), BYTES);                    \
        imul2_do(cpu, in, BYTES, a, in->imm);                                            \
    }

IMUL2_HANDLERS(2)
IMUL2_HANDLERS(4)
IMUL2_HANDLERS(8)

/* Index 0 (byte) never occurs: these forms have no 8-bit operand size. */
static const insn_fn imul2_fn[4][4] = {
    { imul_rr2, imul_rr2, imul_rr4, imul_rr8 },
    { imul_rm2, imul_rm2, imul_rm4, imul_rm8 },
    { imul_rri2, imul_rri2, imul_rri4, imul_rri8 },
    { imul_rmi2, imul_rmi2, imul_rmi4, imul_rmi8 },
};

void sel_imul(dctx_t *d, insn_t *in)
{
    (void)d;
    unsigned form = (in->map == MAP_0F ? 0 : 2) + ((in->flags & INF_MEM) ? 1 : 0);
    in->fn = imul2_fn[form][opsz_log(in)];
}
