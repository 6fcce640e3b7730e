/* Integer arithmetic and logic: ADD OR ADC SBB AND SUB XOR CMP, TEST, INC,
 * DEC, NOT, NEG and the legacy BCD adjustments (SDM Vol.2). Handlers are
 * generated per operation, size and operand form so each does one thing. */
#include "ops.h"

/* Operation numbers follow ModRM.reg of group 1 (SDM Vol.2 Table A-6). */
enum { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP };

static inline __attribute__((always_inline)) uint64_t alu_raw(unsigned op, uint64_t a, uint64_t b, uint64_t c)
{
    switch (op) {
    case ALU_ADD: return a + b;
    case ALU_OR: return a | b;
    case ALU_ADC: return a + b + c;
    case ALU_SBB: return a - b - c;
    case ALU_AND: return a & b;
    case ALU_XOR: return a ^ b;
    default: return a - b;
    }
}

static inline __attribute__((always_inline)) void alu_flags(cpu_t *cpu, unsigned op, unsigned lg, uint64_t r,
                                                            uint64_t b, uint64_t c)
{
    switch (op) {
    case ALU_ADD: cc_set(cpu, CC_ADD + lg, r, b); break;
    case ALU_ADC: cc_set3(cpu, CC_ADC + lg, r, b, c); break;
    case ALU_SBB: cc_set3(cpu, CC_SBB + lg, r, b, c); break;
    case ALU_SUB: case ALU_CMP: cc_set(cpu, CC_SUB + lg, r, b); break;
    default: cc_set(cpu, CC_LOGIC + lg, r, 0); break;
    }
}

static inline __attribute__((always_inline)) uint64_t alu_carry_in(cpu_t *cpu, unsigned op)
{
    return (op == ALU_ADC || op == ALU_SBB) ? cc_carry(cpu) : 0;
}

/* rr: r/m register op= reg; mr: memory op= reg; rm: reg op= memory;
 * ri: r/m register op= imm; mi: memory op= imm. Memory is written before
 * the flags change so a faulting store leaves the flags intact. */
#define ALU_HANDLERS(OP, NAME, BYTES, LG)                                                       \
    static void NAME##_rr##BYTES(cpu_t *cpu, const insn_t *in)                                  \
    {                                                                                           \
        uint64_t b = gpr_get(cpu, in->reg, BYTES), c = alu_carry_in(cpu, OP);                   \
        uint64_t r = alu_raw(OP, gpr_get(cpu, in->rm, BYTES), b, c);                            \
        if (OP != ALU_CMP)                                                                      \
            gpr_set(cpu, in->rm, BYTES, r);                                                     \
        alu_flags(cpu, OP, LG, r, b, c);                                                        \
    }                                                                                           \
    static void NAME##_mr##BYTES(cpu_t *cpu, const insn_t *in)                                  \
    {                                                                                           \
        uint64_t ea = insn_ea(cpu, in);                                                         \
        uint64_t b = gpr_get(cpu, in->reg, BYTES), c = alu_carry_in(cpu, OP);                   \
        uint64_t a = OP == ALU_CMP ? mmu_read(cpu, in->seg, ea, BYTES) : mmu_rmw_read(cpu, in->seg, ea, BYTES); \
        uint64_t r = alu_raw(OP, a, b, c);                                                      \
        if (OP != ALU_CMP)                                                                      \
            mmu_write(cpu, in->seg, ea, r, BYTES);                                              \
        alu_flags(cpu, OP, LG, r, b, c);                                                        \
    }                                                                                           \
    static void NAME##_rm##BYTES(cpu_t *cpu, const insn_t *in)                                  \
    {                                                                                           \
        uint64_t b = mmu_read(cpu, in->seg, insn_ea(cpu, in), BYTES), c = alu_carry_in(cpu, OP); \
        uint64_t r = alu_raw(OP, gpr_get(cpu, in->reg, BYTES), b, c);                           \
        if (OP != ALU_CMP)                                                                      \
            gpr_set(cpu, in->reg, BYTES, r);                                                    \
        alu_flags(cpu, OP, LG, r, b, c);                                                        \
    }                                                                                           \
    static void NAME##_ri##BYTES(cpu_t *cpu, const insn_t *in)                                  \
    {                                                                                           \
        uint64_t b = in->imm & size_mask(BYTES), c = alu_carry_in(cpu, OP);                     \
        uint64_t r = alu_raw(OP, gpr_get(cpu, in->rm, BYTES), b, c);                            \
        if (OP != ALU_CMP)                                                                      \
            gpr_set(cpu, in->rm, BYTES, r);                                                     \
        alu_flags(cpu, OP, LG, r, b, c);                                                        \
    }                                                                                           \
    static void NAME##_mi##BYTES(cpu_t *cpu, const insn_t *in)                                  \
    {                                                                                           \
        uint64_t ea = insn_ea(cpu, in);                                                         \
        uint64_t b = in->imm & size_mask(BYTES), c = alu_carry_in(cpu, OP);                     \
        uint64_t a = OP == ALU_CMP ? mmu_read(cpu, in->seg, ea, BYTES) : mmu_rmw_read(cpu, in->seg, ea, BYTES); \
        uint64_t r = alu_raw(OP, a, b, c);                                                      \
        if (OP != ALU_CMP)                                                                      \
            mmu_write(cpu, in->seg, ea, r, BYTES);                                              \
        alu_flags(cpu, OP, LG, r, b, c);                                                        \
    }

#define ALU_ALL_SIZES(OP, NAME)      \
    ALU_HANDLERS(OP, NAME, 1, 0)     \
    ALU_HANDLERS(OP, NAME, 2, 1)     \
    ALU_HANDLERS(OP, NAME, 4, 2)     \
    ALU_HANDLERS(OP, NAME, 8, 3)

ALU_ALL_SIZES(ALU_ADD, add)
ALU_ALL_SIZES(ALU_OR, or)
ALU_ALL_SIZES(ALU_ADC, adc)
ALU_ALL_SIZES(ALU_SBB, sbb)
ALU_ALL_SIZES(ALU_AND, and)
ALU_ALL_SIZES(ALU_SUB, sub)
ALU_ALL_SIZES(ALU_XOR, xor)
ALU_ALL_SIZES(ALU_CMP, cmp)

enum { FORM_RR, FORM_MR, FORM_RM, FORM_RI, FORM_MI, FORM_COUNT };

#define ROW(NAME, FORM) { NAME##_##FORM##1, NAME##_##FORM##2, NAME##_##FORM##4, NAME##_##FORM##8 }
#define OPS(NAME) { ROW(NAME, rr), ROW(NAME, mr), ROW(NAME, rm), ROW(NAME, ri), ROW(NAME, mi) }

static const insn_fn alu_fn[8][FORM_COUNT][4] = {
    OPS(add), OPS(or), OPS(adc), OPS(sbb), OPS(and), OPS(sub), OPS(xor), OPS(cmp),
};

static void pick(insn_t *in, unsigned op, unsigned form)
{
    in->fn = alu_fn[op][form][opsz_log(in)];
}

/* 00-3D: the low three opcode bits give the operand form. */
void sel_alu(dctx_t *d, insn_t *in)
{
    unsigned op = (in->op >> 3) & 7;
    bool mem = in->flags & INF_MEM;
    switch (in->op & 7) {
    case 0: case 1:
        pick(in, op, mem ? FORM_MR : FORM_RR);
        break;
    case 2: case 3:
        if (mem) {
            pick(in, op, FORM_RM);
        } else {
            uint8_t t = in->rm;   /* reg is the destination: swap into rr's roles */
            in->rm = in->reg;
            in->reg = t;
            pick(in, op, FORM_RR);
        }
        break;
    default:
        in->rm = R_RAX;           /* AL or eAX, byte offset 0 either way */
        pick(in, op, FORM_RI);
        break;
    }
    (void)d;
}

/* 80, 81, 82, 83: op r/m, imm. CMP cannot take LOCK. */
void sel_grp1(dctx_t *d, insn_t *in)
{
    unsigned op = d->regf;
    bool mem = in->flags & INF_MEM;
    if ((in->flags & INF_LOCK) && (!mem || op == ALU_CMP)) {
        in->fn = insn_ud;
        return;
    }
    pick(in, op, mem ? FORM_MI : FORM_RI);
}

/* ---- TEST ---- */

#define TEST_HANDLERS(BYTES, LG)                                                            \
    static void test_rr##BYTES(cpu_t *cpu, const insn_t *in)                                \
    {                                                                                       \
        cc_set(cpu, CC_LOGIC + LG, gpr_get(cpu, in->rm, BYTES) & gpr_get(cpu, in->reg, BYTES), 0); \
    }                                                                                       \
    static void test_mr##BYTES(cpu_t *cpu, const insn_t *in)                                \
    {                                                                                       \
        uint64_t a = mmu_read(cpu, in->seg, insn_ea(cpu, in), BYTES);                       \
        cc_set(cpu, CC_LOGIC + LG, a & gpr_get(cpu, in->reg, BYTES), 0);                    \
    }                                                                                       \
    static void test_ri##BYTES(cpu_t *cpu, const insn_t *in)                                \
    {                                                                                       \
        cc_set(cpu, CC_LOGIC + LG, gpr_get(cpu, in->rm, BYTES) & in->imm, 0);               \
    }                                                                                       \
    static void test_mi##BYTES(cpu_t *cpu, const insn_t *in)                                \
    {                                                                                       \
        uint64_t a = mmu_read(cpu, in->seg, insn_ea(cpu, in), BYTES);                       \
        cc_set(cpu, CC_LOGIC + LG, a & in->imm, 0);                                         \
    }

TEST_HANDLERS(1, 0)
TEST_HANDLERS(2, 1)
TEST_HANDLERS(4, 2)
TEST_HANDLERS(8, 3)

static const insn_fn test_fn[4][4] = {
    { test_rr1, test_rr2, test_rr4, test_rr8 },
    { test_mr1, test_mr2, test_mr4, test_mr8 },
    { test_ri1, test_ri2, test_ri4, test_ri8 },
    { test_mi1, test_mi2, test_mi4, test_mi8 },
};

void sel_test(dctx_t *d, insn_t *in)
{
    (void)d;
    bool mem = in->flags & INF_MEM;
    if (in->op == 0xa8 || in->op == 0xa9) {
        in->rm = R_RAX;
        in->fn = test_fn[2][opsz_log(in)];
    } else {
        in->fn = test_fn[mem ? 1 : 0][opsz_log(in)];
    }
}

/* ---- INC, DEC, NOT, NEG (one operand; CF kept by INC/DEC) ---- */

static void unary_store(cpu_t *cpu, const insn_t *in, uint64_t ea, uint64_t v)
{
    if (in->flags & INF_MEM)
        mmu_write(cpu, in->seg, ea, v, in->opsz);
    else
        gpr_set(cpu, in->rm, in->opsz, v);
}

static uint64_t unary_load(cpu_t *cpu, const insn_t *in, uint64_t *ea)
{
    if (in->flags & INF_MEM) {
        *ea = insn_ea(cpu, in);
        return mmu_rmw_read(cpu, in->seg, *ea, in->opsz);
    }
    *ea = 0;
    return gpr_get(cpu, in->rm, in->opsz);
}

static void h_inc(cpu_t *cpu, const insn_t *in)
{
    uint64_t ea, r = unary_load(cpu, in, &ea) + 1;
    unsigned cf = cc_carry(cpu);
    unary_store(cpu, in, ea, r);
    cc_set3(cpu, CC_INC + opsz_log(in), r, 0, cf);
}

static void h_dec(cpu_t *cpu, const insn_t *in)
{
    uint64_t ea, r = unary_load(cpu, in, &ea) - 1;
    unsigned cf = cc_carry(cpu);
    unary_store(cpu, in, ea, r);
    cc_set3(cpu, CC_DEC + opsz_log(in), r, 0, cf);
}

static void h_not(cpu_t *cpu, const insn_t *in)
{
    uint64_t ea, r = ~unary_load(cpu, in, &ea);
    unary_store(cpu, in, ea, r);
}

static void h_neg(cpu_t *cpu, const insn_t *in)
{
    uint64_t ea, a = unary_load(cpu, in, &ea);
    uint64_t r = 0 - a;
    unary_store(cpu, in, ea, r);
    cc_set(cpu, CC_NEG + opsz_log(in), r, a);
}

/* Register forms by size: the hot loop counters. */
#define INCDEC_REG(NAME, DELTA, CC, BYTES, LG)                   \
    static void NAME##_r##BYTES(cpu_t *cpu, const insn_t *in)    \
    {                                                            \
        uint64_t r = gpr_get(cpu, in->rm, BYTES) + (DELTA);      \
        unsigned cf = cc_carry(cpu);                             \
        gpr_set(cpu, in->rm, BYTES, r);                          \
        cc_set3(cpu, CC + LG, r, 0, cf);                         \
    }
INCDEC_REG(inc, 1, CC_INC, 1, 0)
INCDEC_REG(inc, 1, CC_INC, 2, 1)
INCDEC_REG(inc, 1, CC_INC, 4, 2)
INCDEC_REG(inc, 1, CC_INC, 8, 3)
INCDEC_REG(dec, ~0ull, CC_DEC, 1, 0)
INCDEC_REG(dec, ~0ull, CC_DEC, 2, 1)
INCDEC_REG(dec, ~0ull, CC_DEC, 4, 2)
INCDEC_REG(dec, ~0ull, CC_DEC, 8, 3)
static const insn_fn inc_reg[4] = { inc_r1, inc_r2, inc_r4, inc_r8 };
static const insn_fn dec_reg[4] = { dec_r1, dec_r2, dec_r4, dec_r8 };

static insn_fn incdec_fn(const insn_t *in, bool dec)
{
    if (in->flags & INF_MEM)
        return dec ? h_dec : h_inc;
    return dec ? dec_reg[opsz_log(in)] : inc_reg[opsz_log(in)];
}

void sel_incdec_r(dctx_t *d, insn_t *in)
{
    (void)d;
    in->rm = in->op & 7;
    in->fn = incdec_fn(in, in->op >= 0x48);
}

static bool lock_ok(const insn_t *in, bool lockable)
{
    return !(in->flags & INF_LOCK) || (lockable && (in->flags & INF_MEM));
}

void sel_grp3(dctx_t *d, insn_t *in)
{
    unsigned r = d->regf;
    if (!lock_ok(in, r == 2 || r == 3)) {
        in->fn = insn_ud;
        return;
    }
    switch (r) {
    case 0: case 1:
        in->fn = test_fn[(in->flags & INF_MEM) ? 3 : 2][opsz_log(in)];
        break;
    case 2: in->fn = h_not; break;
    case 3: in->fn = h_neg; break;
    default: muldiv_grp3(d, in); break;
    }
}

void sel_grp4(dctx_t *d, insn_t *in)
{
    if (d->regf > 1 || !lock_ok(in, true)) {
        in->fn = insn_ud;
        return;
    }
    in->fn = incdec_fn(in, d->regf == 1);
}

/* FF: INC, DEC, near CALL/JMP, far CALL/JMP, PUSH. Near branches are
 * 64-bit in 64-bit mode, PUSH defaults to 64 (SDM Vol.2 Table A-6). */
void sel_grp5(dctx_t *d, insn_t *in)
{
    unsigned r = d->regf;
    if (!lock_ok(in, r <= 1) || r == 7) {
        in->fn = insn_ud;
        return;
    }
    if (d->mode == CM_64 && (r == 2 || r == 4))
        in->opsz = 8;
    if (d->mode == CM_64 && r == 6)
        in->opsz = d->opsz_pfx && !(d->rex & 8) ? 2 : 8;
    switch (r) {
    case 0: case 1: in->fn = incdec_fn(in, r == 1); break;
    case 2: case 4:
        in->flags |= INF_END;
        branch_sel_indirect(d, in);
        break;
    case 3: case 5:
        in->flags |= INF_END;
        if (!(in->flags & INF_MEM))
            in->fn = insn_ud;
        else
            sel_far(d, in);
        break;
    default:
        sel_push(d, in);
        break;
    }
}

/* ---- BCD adjustments, 16/32-bit modes only (SDM Vol.2 DAA, DAS, AAA,
 * AAS, AAM, AAD; SALC is the undocumented D6). ---- */

static uint8_t al(const cpu_t *cpu) { return (uint8_t)cpu->r[R_RAX]; }
static void set_al(cpu_t *cpu, uint8_t v) { cpu->r[R_RAX] = (cpu->r[R_RAX] & ~0xffull) | v; }

static void bcd_result(cpu_t *cpu, uint8_t v, bool cf, bool af)
{
    uint32_t f = (v == 0 ? F_ZF : 0) | ((v & 0x80) ? F_SF : 0) | cc_parity(v) | (cf ? F_CF : 0) | (af ? F_AF : 0);
    cc_write(cpu, F_ARITH, f);
}

static void h_daa(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    uint32_t f = cc_compute(cpu);
    uint8_t old = al(cpu), v = old;
    bool ocf = f & F_CF, cf = false, af = false;
    if ((v & 0xf) > 9 || (f & F_AF)) {
        cf = ocf || v > 0xf9;
        v += 6;
        af = true;
    }
    if (old > 0x99 || ocf) {
        v += 0x60;
        cf = true;
    }
    set_al(cpu, v);
    bcd_result(cpu, v, cf, af);
}

static void h_das(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    uint32_t f = cc_compute(cpu);
    uint8_t old = al(cpu), v = old;
    bool ocf = f & F_CF, cf = false, af = false;
    if ((v & 0xf) > 9 || (f & F_AF)) {
        cf = ocf || v < 6;
        v -= 6;
        af = true;
    }
    if (old > 0x99 || ocf) {
        v -= 0x60;
        cf = true;
    }
    set_al(cpu, v);
    bcd_result(cpu, v, cf, af);
}

static void h_aaa_aas(cpu_t *cpu, const insn_t *in)
{
    uint32_t f = cc_compute(cpu);
    uint16_t ax = (uint16_t)cpu->r[R_RAX];
    bool adj = (ax & 0xf) > 9 || (f & F_AF);
    if (adj) {
        if (in->op == 0x37)
            ax += 0x106;
        else
            ax = (uint16_t)(ax - 6 - 0x100);
    }
    ax &= 0xff0f;
    cpu->r[R_RAX] = (cpu->r[R_RAX] & ~0xffffull) | ax;
    bcd_result(cpu, (uint8_t)ax, adj, adj);
}

static void h_aam(cpu_t *cpu, const insn_t *in)
{
    uint8_t base = (uint8_t)in->imm, v = al(cpu);
    if (base == 0)
        cpu_raise(cpu, EXC_DE);
    uint8_t q = v / base, r = v % base;
    cpu->r[R_RAX] = (cpu->r[R_RAX] & ~0xffffull) | ((uint16_t)q << 8) | r;
    bcd_result(cpu, r, false, false);
}

static void h_aad(cpu_t *cpu, const insn_t *in)
{
    uint8_t base = (uint8_t)in->imm;
    uint8_t v = (uint8_t)(al(cpu) + (uint8_t)(cpu->r[R_RAX] >> 8) * base);
    cpu->r[R_RAX] = (cpu->r[R_RAX] & ~0xffffull) | v;
    bcd_result(cpu, v, false, false);
}

static void h_salc(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    set_al(cpu, cc_carry(cpu) ? 0xff : 0);
}

void sel_bcd(dctx_t *d, insn_t *in)
{
    (void)d;
    switch (in->op) {
    case 0x27: in->fn = h_daa; break;
    case 0x2f: in->fn = h_das; break;
    case 0x37: case 0x3f: in->fn = h_aaa_aas; break;
    case 0xd4: in->fn = h_aam; break;
    case 0xd5: in->fn = h_aad; break;
    default: in->fn = h_salc; break;
    }
}
