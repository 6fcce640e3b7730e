/* Shifts and rotates (group 2), SHLD, SHRD (SDM Vol.2 "SAL/SAR/SHL/SHR",
 * "RCL/RCR/ROL/ROR", "SHLD", "SHRD"). Handlers are generated per operation,
 * operand size, destination (register/memory) and count source (immediate
 * or CL).
 *
 * Undefined flags follow the Intel host this was measured on: for counts
 * above 1 OF is computed as for the first single-bit step (except ROL/ROR
 * of a register by an immediate, which keep OF), shifts clear AF, and a
 * 16-bit SHLD/SHRD by 17..31 shifts the 48-bit value dest:src:dest. A
 * masked count of 0 changes no flags, but the destination is still written
 * (a 32-bit register is zero-extended; memory needs write access). */
#include "ops.h"

/* Operation numbers follow ModRM.reg of group 2 (SDM Vol.2 Table A-6). */
enum { G2_ROL, G2_ROR, G2_RCL, G2_RCR, G2_SHL, G2_SHR, G2_SAL, G2_SAR };

#define AI static inline __attribute__((always_inline))

/* Count masking: 5 bits, 6 with a 64-bit operand (SDM Vol.2 SAL). */
AI unsigned count_mask(unsigned bytes)
{
    return bytes == 8 ? 63 : 31;
}

/* ---- group 2 ---- */

/* RCL/RCR rotate through CF: the rotation is mod 9 and mod 17 for 8- and
 * 16-bit operands (SDM Vol.2 RCL, tempCOUNT). */
AI unsigned rc_count(unsigned cnt, unsigned bytes)
{
    return bytes == 1 ? cnt % 9 : bytes == 2 ? cnt % 17 : cnt;
}

AI uint64_t rol(uint64_t v, unsigned c, unsigned n)
{
    return c ? (v << c) | (v >> (n - c)) : v;
}

/* The result of a group 2 operation with count 1..63 (already masked). */
AI uint64_t grp2_result(unsigned op, unsigned bytes, uint64_t v, unsigned cnt, uint64_t cf)
{
    unsigned n = bytes * 8, c;
    uint64_t m = size_mask(bytes);
    switch (op) {
    case G2_ROL:
        return rol(v, cnt & (n - 1), n) & m;
    case G2_ROR:
        return rol(v, (n - (cnt & (n - 1))) & (n - 1), n) & m;
    case G2_RCL:
        c = rc_count(cnt, bytes);
        if (!c)
            return v;
        return ((v << c) | (cf << (c - 1)) | (c > 1 ? v >> (n + 1 - c) : 0)) & m;
    case G2_RCR:
        c = rc_count(cnt, bytes);
        if (!c)
            return v;
        return ((v >> c) | (cf << (n - c)) | (c > 1 ? v << (n + 1 - c) : 0)) & m;
    case G2_SHL: case G2_SAL:
        return (v << cnt) & m;
    case G2_SHR:
        return v >> cnt;
    default:
        return (uint64_t)(sext(v, bytes) >> cnt) & m;
    }
}

/* Flags of a group 2 operation with a nonzero masked count. Shifts record
 * lazy flags; rotates change only CF and OF. ROL/ROR of a register by an
 * immediate count above 1 leave OF alone (Intel host); the other forms set
 * it as for the first step. */
AI void grp2_flags(cpu_t *cpu, unsigned op, unsigned bytes, uint64_t v, unsigned cnt, uint64_t r, uint64_t cf,
                   bool reg_imm)
{
    unsigned n = bytes * 8, lg = cc_size_log(bytes), c;
    uint64_t top = v >> (n - 1), next = (v >> (n - 2)) & 1;
    uint32_t f, rmask = (reg_imm && cnt > 1) ? F_CF : F_CF | F_OF;
    switch (op) {
    case G2_ROL:
        f = ((r & 1) ? F_CF : 0) | ((top ^ next) ? F_OF : 0);
        cc_write(cpu, rmask, f);
        break;
    case G2_ROR:
        f = ((r >> (n - 1)) ? F_CF : 0) | ((top ^ (v & 1)) ? F_OF : 0);
        cc_write(cpu, rmask, f);
        break;
    case G2_RCL:
        c = rc_count(cnt, bytes);
        if (c) {
            f = (((v >> (n - c)) & 1) ? F_CF : 0) | ((top ^ next) ? F_OF : 0);
            cc_write(cpu, F_CF | F_OF, f);
        }
        break;
    case G2_RCR:
        c = rc_count(cnt, bytes);
        if (c) {
            f = (((v >> (c - 1)) & 1) ? F_CF : 0) | ((top ^ cf) ? F_OF : 0);
            cc_write(cpu, F_CF | F_OF, f);
        }
        break;
    case G2_SHL: case G2_SAL:
        cc_set3(cpu, CC_SHLD + lg, r, v << (cnt - 1), v);
        break;
    case G2_SHR:
        cc_set3(cpu, CC_SHR + lg, r, v >> (cnt - 1), v);
        break;
    default:
        cc_set(cpu, CC_SAR + lg, r, (uint64_t)(sext(v, bytes) >> (cnt - 1)));
        break;
    }
}

AI bool uses_carry(unsigned op)
{
    return op == G2_RCL || op == G2_RCR;
}

/* One group 2 instruction: read, compute, write, then flags. `reg_imm`: a
 * register operand with the count in the instruction (C0/C1/D0/D1). */
AI void grp2_do(cpu_t *cpu, const insn_t *in, unsigned op, unsigned bytes, bool mem, unsigned cnt, bool reg_imm)
{
    uint64_t ea = 0, v, r, cf = 0;
    if (mem) {
        ea = insn_ea(cpu, in);
        v = mmu_rmw_read(cpu, in->seg, ea, bytes);
    } else {
        v = gpr_get(cpu, in->rm, bytes);
    }
    cnt &= count_mask(bytes);
    if (cnt && uses_carry(op))
        cf = cc_carry(cpu);
    r = cnt ? grp2_result(op, bytes, v, cnt, cf) : v;
    if (mem)
        mmu_write(cpu, in->seg, ea, r, bytes);
    else
        gpr_set(cpu, in->rm, bytes, r);
    if (cnt)
        grp2_flags(cpu, op, bytes, v, cnt, r, cf, reg_imm);
}

/* ri/mi: count in in->imm (1 for D0/D1); rc/mc: count in CL. */
#define GRP2_HANDLERS(OP, NAME, BYTES)                                                   \
    static void NAME##_ri##BYTES(cpu_t *cpu, const insn_t *in)                           \
    {                                                                                    \
        grp2_do(cpu, in, OP, BYTES, false, (unsigned)in->imm, true);                     \
    }                                                                                    \
    static void NAME##_mi##BYTES(cpu_t *cpu, const insn_t *in)                           \
    {                                                                                    \
        grp2_do(cpu, in, OP, BYTES, true, (unsigned)in->imm, false);                     \
    }                                                                                    \
    static void NAME##_rc##BYTES(cpu_t *cpu, const insn_t *in)                           \
    {                                                                                    \
        grp2_do(cpu, in, OP, BYTES, false, (uint8_t)cpu->r[R_RCX], false);               \
    }                                                                                    \
    static void NAME##_mc##BYTES(cpu_t *cpu, const insn_t *in)                           \
    {                                                                                    \
        grp2_do(cpu, in, OP, BYTES, true, (uint8_t)cpu->r[R_RCX], false);                \
    }

#define GRP2_ALL_SIZES(OP, NAME)  \
    GRP2_HANDLERS(OP, NAME, 1)    \
    GRP2_HANDLERS(OP, NAME, 2)    \
    GRP2_HANDLERS(OP, NAME, 4)    \
    GRP2_HANDLERS(OP, NAME, 8)

GRP2_ALL_SIZES(G2_ROL, rol)
GRP2_ALL_SIZES(G2_ROR, ror)
GRP2_ALL_SIZES(G2_RCL, rcl)
GRP2_ALL_SIZES(G2_RCR, rcr)
GRP2_ALL_SIZES(G2_SHL, shl)
GRP2_ALL_SIZES(G2_SHR, shr)
GRP2_ALL_SIZES(G2_SAR, sar)

enum { FORM_RI, FORM_MI, FORM_RC, FORM_MC, FORM_COUNT };

#define ROW(NAME, FORM) { NAME##_##FORM##1, NAME##_##FORM##2, NAME##_##FORM##4, NAME##_##FORM##8 }
#define OPS(NAME) { ROW(NAME, ri), ROW(NAME, mi), ROW(NAME, rc), ROW(NAME, mc) }

/* SAL (/6) is an alias of SHL (/4). */
static const insn_fn grp2_fn[8][FORM_COUNT][4] = {
    OPS(rol), OPS(ror), OPS(rcl), OPS(rcr), OPS(shl), OPS(shr), OPS(shl), OPS(sar),
};

/* C0 C1: count imm8; D0 D1: count 1; D2 D3: count CL. */
void sel_grp2(dctx_t *d, insn_t *in)
{
    bool mem = in->flags & INF_MEM;
    bool cl = in->op == 0xd2 || in->op == 0xd3;
    if (in->op == 0xd0 || in->op == 0xd1)
        in->imm = 1;
    else if (!cl)
        in->imm &= count_mask(in->opsz);
    unsigned form = cl ? (mem ? FORM_MC : FORM_RC) : (mem ? FORM_MI : FORM_RI);
    in->fn = grp2_fn[d->regf][form][opsz_log(in)];
}

/* ---- SHLD, SHRD ---- */

/* 16-bit operands: counts up to 31 shift the 48-bit value dest:src:dest
 * (Intel behaviour for the undefined counts 17..31; for 1..16 it is the
 * architectural result). `lo` is the same value shifted by count-1, whose
 * bit 15 (SHLD) or bit 0 (SHRD) is the last bit shifted out. */
AI uint64_t shld16(uint64_t d, uint64_t s, unsigned c, uint64_t *lo)
{
    uint64_t x = d << 32 | s << 16 | d;
    *lo = x >> (33 - c);
    return (x >> (32 - c)) & 0xffff;
}

AI uint64_t shrd16(uint64_t d, uint64_t s, unsigned c, uint64_t *lo)
{
    uint64_t x = d << 32 | s << 16 | d;
    *lo = x >> (c - 1);
    return (x >> c) & 0xffff;
}

/* 32/64-bit operands: count 1..n-1. */
AI uint64_t shld_n(uint64_t d, uint64_t s, unsigned c, unsigned n, uint64_t *lo)
{
    *lo = d << (c - 1);
    return ((d << c) | (s >> (n - c))) & size_mask(n / 8);
}

AI uint64_t shrd_n(uint64_t d, uint64_t s, unsigned c, unsigned n, uint64_t *lo)
{
    *lo = d >> (c - 1);
    return ((d >> c) | (s << (n - c))) & size_mask(n / 8);
}

/* SHLD: CF is the last bit out, OF as for the first step (CC_SHLD).
 * SHRD: CF = bit 0 of lo; OF = dest.msb ^ src.bit0, the sign change of the
 * first step, given to CC_SHR as its "operand" (src2). */
AI void shxd_do(cpu_t *cpu, const insn_t *in, bool right, unsigned bytes, bool mem, unsigned cnt)
{
    unsigned n = bytes * 8, lg = cc_size_log(bytes);
    uint64_t ea = 0, d, s = gpr_get(cpu, in->reg, bytes), r, lo = 0;
    if (mem) {
        ea = insn_ea(cpu, in);
        d = mmu_rmw_read(cpu, in->seg, ea, bytes);
    } else {
        d = gpr_get(cpu, in->rm, bytes);
    }
    cnt &= count_mask(bytes);
    if (!cnt)
        r = d;
    else if (bytes == 2)
        r = right ? shrd16(d, s, cnt, &lo) : shld16(d, s, cnt, &lo);
    else
        r = right ? shrd_n(d, s, cnt, n, &lo) : shld_n(d, s, cnt, n, &lo);
    if (mem)
        mmu_write(cpu, in->seg, ea, r, bytes);
    else
        gpr_set(cpu, in->rm, bytes, r);
    if (!cnt)
        return;
    if (right)
        cc_set3(cpu, CC_SHR + lg, r, lo, (d ^ (s << (n - 1))) & sign_bit(bytes));
    else
        cc_set3(cpu, CC_SHLD + lg, r, lo, d);
}

#define SHXD_HANDLERS(RIGHT, NAME, BYTES)                                                \
    static void NAME##_ri##BYTES(cpu_t *cpu, const insn_t *in)                           \
    {                                                                                    \
        shxd_do(cpu, in, RIGHT, BYTES, false, (unsigned)in->imm);                        \
    }                                                                                    \
    static void NAME##_mi##BYTES(cpu_t *cpu, const insn_t *in)                           \
    {                                                                                    \
        shxd_do(cpu, in, RIGHT, BYTES, true, (unsigned)in->imm);                         \
    }                                                                                    \
    static void NAME##_rc##BYTES(cpu_t *cpu, const insn_t *in)                           \
    {                                                                                    \
        shxd_do(cpu, in, RIGHT, BYTES, false, (uint8_t)cpu->r[R_RCX]);                   \
    }                                                                                    \
    static void NAME##_mc##BYTES(cpu_t *cpu, const insn_t *in)                           \
    {                                                                                    \
        shxd_do(cpu, in, RIGHT, BYTES, true, (uint8_t)cpu->r[R_RCX]);                    \
    }

SHXD_HANDLERS(false, shld, 2)
SHXD_HANDLERS(false, shld, 4)
SHXD_HANDLERS(false, shld, 8)
SHXD_HANDLERS(true, shrd, 2)
SHXD_HANDLERS(true, shrd, 4)
SHXD_HANDLERS(true, shrd, 8)

#define ROW3(NAME, FORM) { NAME##_##FORM##2, NAME##_##FORM##2, NAME##_##FORM##4, NAME##_##FORM##8 }
#define OPS3(NAME) { ROW3(NAME, ri), ROW3(NAME, mi), ROW3(NAME, rc), ROW3(NAME, mc) }

/* Index 0 (byte) never occurs: SHLD/SHRD have no 8-bit form. */
static const insn_fn shxd_fn[2][FORM_COUNT][4] = { OPS3(shld), OPS3(shrd) };

/* 0F A4 / AC: count imm8; 0F A5 / AD: count CL. */
void sel_shxd(dctx_t *d, insn_t *in)
{
    (void)d;
    bool mem = in->flags & INF_MEM;
    bool cl = in->op & 1;
    bool right = in->op >= 0xac;
    if (!cl)
        in->imm &= count_mask(in->opsz);
    unsigned form = cl ? (mem ? FORM_MC : FORM_RC) : (mem ? FORM_MI : FORM_RI);
    in->fn = shxd_fn[right][form][opsz_log(in)];
}
