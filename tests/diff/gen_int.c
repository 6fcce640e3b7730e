/* General-purpose integer instruction forms of 64-bit mode. */
#include "gen.h"

#include <string.h>

/* ---- shared helpers ---- */

#define CODE_END (DIFF_CODE_ADDR + 4096)

static bool target_safe(uint64_t t)
{
    return gen_addr_safe(t, 1);
}

static unsigned opbits(const struct gen *g)
{
    return 8 * g->osz;
}

/* Mark the destination (r/m) operand as undefined after the instruction. */
static void undef_rm(struct gen *g)
{
    if (g->mem) {
        g->undef_mem_addr = g->ea;
        g->undef_mem_len = g->osz;
    } else if (g->rmreg >= 0) {
        int r = g->rmreg;
        if (g->osz == 1 && !g->byteregs_rex && r >= 4 && r < 8)
            r -= 4;
        g->undef_gpr |= (uint16_t)(1u << r);
    }
}

/* ---- fixed byte sequences ---- */

/* arg: pointer to { length, bytes... } */
static void enc_fixed(struct gen *g)
{
    const uint8_t *p = g->f->bytes;
    if (chance(g, 8)) {
        static const uint8_t ign[] = { 0x26, 0x2E, 0x36, 0x3E, 0x65 };
        g->seg = ign[rndn(g, 5)];
        gen_byte(g, g->seg);
        if (p[1] == 0xF3 || p[1] == 0xF2 || p[1] == 0x66)
            g->cs_skip = true;   /* Capstone 4 rejects a prefix before a mandatory one */
    }
    g->op_off = g->len;
    for (unsigned i = 0; i < p[0]; i++)
        gen_byte(g, p[1 + i]);
}

#define FIXED(nm, fl, ...) \
    { .name = nm, .flags = (fl), .encode = enc_fixed, \
      .bytes = (const uint8_t[]){ sizeof((const uint8_t[]){ __VA_ARGS__ }), __VA_ARGS__ } }

/* ---- ALU ---- */

#define ALU(nm, k, lk, uf, dp) \
    { .name = nm "_rm_r", .op = (k) * 8, .reg = REG_GPR, .rm = RM_BOTH, .osz = OS8 | OSV, \
      .flags = F_REPIGN | (lk), .undef = (uf), .deps = (dp) }, \
    { .name = nm "_r_rm", .op = (k) * 8 + 2, .reg = REG_GPR, .rm = RM_BOTH, .osz = OS8 | OSV, \
      .flags = F_REPIGN, .undef = (uf), .deps = (dp) }, \
    { .name = nm "_a_imm", .op = (k) * 8 + 4, .rm = RM_NONE, .osz = OS8 | OSV, .imm = IMM_Z, \
      .flags = F_REPIGN, .undef = (uf), .deps = (dp) }, \
    { .name = nm "_rm_imm", .op = 0x80, .reg = (k), .rm = RM_BOTH, .osz = OS8 | OSV, .imm = IMM_Z, \
      .flags = F_REPIGN | (lk), .undef = (uf), .deps = (dp) }, \
    { .name = nm "_rm_imm8", .op = 0x83, .reg = (k), .rm = RM_BOTH, .osz = OSV, .imm = IMM_8, \
      .flags = F_REPIGN | (lk), .undef = (uf), .deps = (dp) }

/* ---- Capstone 4 gaps (the CPU accepts these; see README.md) ---- */

static void cs_quirk_rep66(struct gen *g)
{
    if (g->rep && g->p66)
        g->cs_skip = true;   /* 66 F3 68 iw: push imm16 with an ignored REP */
}

static void cs_quirk_nop_reg(struct gen *g)
{
    if (!g->mem)
        g->cs_skip = true;   /* 0F 1F /r and 0F 19..1D with a register operand */
}

/* ---- multiply and divide ---- */

/* Shape dividend and divisor: mostly a quotient that fits, some #DE. */
static void div_post(struct gen *g)
{
    bool is_signed = g->f->reg == 7;
    unsigned bits = opbits(g);
    int rr = g->rmreg;
    /* the divisor must not alias the dividend registers */
    if (!g->mem && (rr == 0 || rr == 2 || (g->osz == 1 && !g->byteregs_rex && rr == 4)))
        return;
    if (g->mem && (g->addr_regs & 0x5))
        return;
    unsigned k = (unsigned)rndn(g, 100);
    if (k < 30)
        return;                             /* random: mostly #DE */
    unsigned __int128 m = bits == 64 ? ~(unsigned __int128)0 >> 64 : ((unsigned __int128)1 << bits) - 1;
    uint64_t d, q, r;
    if (k < 40) {
        d = 0;
        q = r = 0;
    } else {
        do
            d = gen_value(g, g->osz);
        while (d == 0);
        q = gen_value(g, g->osz);
        r = rnd(g);
    }
    __int128 dividend;
    if (!is_signed) {
        if (d)
            r %= d;
        dividend = (__int128)((unsigned __int128)q * d + r);
    } else {
        int64_t sd = (int64_t)(d << (64 - bits)) >> (64 - bits);
        int64_t sq = (int64_t)(q << (64 - bits)) >> (64 - bits);
        uint64_t ad = sd < 0 ? -(uint64_t)sd : (uint64_t)sd;
        __int128 prod = (__int128)sq * sd;
        uint64_t ar = ad ? r % ad : 0;
        dividend = prod < 0 ? prod - (__int128)ar : prod + (__int128)ar;
    }
    unsigned __int128 u = (unsigned __int128)dividend & (m << bits | m);
    if (!gen_rm_write(g, d))
        return;
    if (g->osz == 1) {
        gen_set_gpr(g, 0, (g->st->gpr[0] & ~0xFFFFULL) | (uint64_t)(u & 0xFFFF));
    } else {
        uint64_t lo = (uint64_t)(u & m), hi = (uint64_t)((u >> bits) & m);
        gen_reg_write(g, 0, g->osz, lo);
        gen_reg_write(g, 2, g->osz, hi);
    }
}

/* ---- shifts and rotates ---- */

/* arg: 0 = by 1, 1 = by CL, 2 = by imm8 */
static void shift_setup(struct gen *g)
{
    if (g->f->arg == 1) {
        uint64_t c = chance(g, 60) ? rndn(g, 2 * opbits(g) + 2) : rndn(g, 256);
        gen_pin(g, 1, (g->st->gpr[1] & ~0xFFULL) | c);
    }
}

static void shift_post(struct gen *g)
{
    if (g->f->arg == 2 && chance(g, 60)) {
        uint8_t c = (uint8_t)rndn(g, 2 * opbits(g) + 2);
        g->b[g->imm_off] = c;
        g->imm = c;
    }
}

static unsigned shift_count(const struct gen *g)
{
    switch (g->f->arg) {
    case 0: return 1;
    case 1: return (unsigned)(g->st->gpr[1] & 0xFF);
    default: return (unsigned)(g->imm & 0xFF);
    }
}

static void shift_undef(struct gen *g)
{
    unsigned mc = shift_count(g) & (g->osz == 8 ? 0x3F : 0x1F);
    unsigned op = (unsigned)g->f->reg;
    if (mc == 0)
        return;
    if (mc != 1)
        g->undef_flags |= FL_OF;
    if (op >= 4) {
        g->undef_flags |= FL_AF;
        if (op != 7 && mc >= opbits(g))
            g->undef_flags |= FL_CF;
    }
}

#define SHIFT(nm, k) \
    { .name = nm "_rm_1", .op = 0xD0, .reg = (k), .rm = RM_BOTH, .osz = OS8 | OSV, .flags = F_REPIGN, \
      .undef_fn = shift_undef, .arg = 0, .deps = D_FLAGS }, \
    { .name = nm "_rm_cl", .op = 0xD2, .reg = (k), .rm = RM_BOTH, .osz = OS8 | OSV, .flags = F_REPIGN, \
      .setup = shift_setup, .undef_fn = shift_undef, .arg = 1, .deps = D_FLAGS }, \
    { .name = nm "_rm_imm8", .op = 0xC0, .reg = (k), .rm = RM_BOTH, .osz = OS8 | OSV, .imm = IMM_8, \
      .flags = F_REPIGN, .post = shift_post, .undef_fn = shift_undef, .arg = 2, .deps = D_FLAGS }

static void shld_undef(struct gen *g)
{
    unsigned mc = shift_count(g) & (g->osz == 8 ? 0x3F : 0x1F);
    if (mc == 0)
        return;
    if (mc > opbits(g)) {
        g->undef_flags |= FL_ARITH;
        undef_rm(g);
        return;
    }
    g->undef_flags |= FL_AF;
    if (mc != 1)
        g->undef_flags |= FL_OF;
}

/* ---- bit tests ---- */

/* BT r/m, reg: the register offset may reach far outside the operand. */
static void bt_setup(struct gen *g)
{
    g->asz = 8;
    g->p67 = false;
    int64_t off;
    unsigned bits = opbits(g);
    switch (rndn(g, 4)) {
    case 0: case 1: off = (int64_t)rndn(g, 512) - 256; break;
    case 2: off = (int64_t)rndn(g, 1 << 16) - (1 << 15); break;
    default: off = (int64_t)(gen_value(g, g->osz) << (64 - bits)) >> (64 - bits); break;
    }
    /* bytes from EA to the accessed unit; kept in target for bt_post */
    g->target = (uint64_t)off;
    g->ea_adjust = (off >> (bits == 16 ? 4 : bits == 32 ? 5 : 6)) * (int64_t)g->osz;
}

static void bt_post(struct gen *g)
{
    uint64_t off = g->target;
    if (!g->mem)
        off = rnd(g);
    if (!gen_reg_write(g, g->reg, g->osz, off) && g->mem)
        g->unsafe = true;   /* the access would not land where checked */
}

#define UNDEF_BT (FL_OF | FL_SF | FL_AF | FL_PF)

/* ---- compare and exchange ---- */

static void cmpxchg_post(struct gen *g)
{
    if (chance(g, 50))
        gen_reg_write(g, 0, g->osz, gen_rm_read(g));
}

static void cmpxchg8b_setup(struct gen *g)
{
    g->align = g->osz == 8 ? 16 : 8;
}

static void cmpxchg8b_post(struct gen *g)
{
    unsigned h = g->osz == 8 ? 8 : 4;
    if (chance(g, 50)) {
        gen_reg_write(g, 0, h, gen_mem_read(g, g->ea, h));
        gen_reg_write(g, 2, h, gen_mem_read(g, g->ea + h, h));
    }
}

/* ---- stack ---- */

static void popf_post(struct gen *g)
{
    /* TF would trap on the next instruction; AC is allowed (the worker's
     * handler clears it) but keep it rare */
    uint64_t v = rnd(g) & ~(uint64_t)FL_TF;
    if (chance(g, 80))
        v &= ~0x40000ULL;
    gen_mem_write(g, g->st->gpr[DIFF_RSP], v, g->osz);
}

static void enter_setup(struct gen *g)
{
    gen_pin(g, DIFF_RBP, gen_stack_addr(g, 256));
}

static void enter_post(struct gen *g)
{
    /* frame size mostly small, nesting level mostly 0..3 */
    uint16_t size = chance(g, 70) ? (uint16_t)rndn(g, 64) : (uint16_t)rnd(g);
    uint8_t level = chance(g, 70) ? (uint8_t)rndn(g, 4) : (uint8_t)rnd(g);
    g->b[g->imm_off] = (uint8_t)size;
    g->b[g->imm_off + 1] = (uint8_t)(size >> 8);
    g->b[g->imm_off + 2] = level;
}

static void enc_enter(struct gen *g)
{
    g->osz = chance(g, 15) ? 2 : 8;
    g->p66 = g->osz == 2;
    gen_pin(g, DIFF_RSP, gen_stack_addr(g, 256));
    enter_setup(g);
    if (g->p66)
        gen_byte(g, 0x66);
    g->op_off = g->len;
    gen_byte(g, 0xC8);
    g->imm_off = (int)g->len;
    g->imm_size = 3;
    gen_imm_bytes(g, 0, 3);
}

/* ---- branches ---- */

/* Patch the rel8/rel32 displacement in the immediate slot. */
static void rel_post(struct gen *g)
{
    uint64_t next = DIFF_CODE_ADDR + g->code_off + g->len;
    if (g->imm_size == 1) {
        int d;
        do
            d = (int8_t)rnd(g);
        while (d >= -(int)g->len && d < 0);   /* never into the instruction itself */
        g->b[g->imm_off] = (uint8_t)d;
        g->target = next + (uint64_t)(int64_t)d;
        return;
    }
    uint64_t t;
    int64_t d;
    do {
        t = gen_code_target(g);
        d = (int64_t)(t - next);
    } while (d != (int32_t)d);
    for (int i = 0; i < 4; i++)
        g->b[g->imm_off + i] = (uint8_t)((uint64_t)d >> (8 * i));
    g->target = t;
}

static void loop_post(struct gen *g)
{
    static const uint64_t k[] = { 0, 1, 2, 0x100000000ULL, 0x100000001ULL };
    uint64_t c = chance(g, 60) ? k[rndn(g, 5)] : gen_value(g, 8);
    gen_set_gpr(g, DIFF_RCX, c);
    rel_post(g);
}

static void loop_setup(struct gen *g)
{
    if (chance(g, 15)) {
        g->p67 = true;
        g->asz = 4;
    }
}

static void enc_loop(struct gen *g)
{
    loop_setup(g);
    if (g->p67)
        gen_byte(g, 0x67);
    g->op_off = g->len;
    gen_byte(g, g->f->op);
    g->imm_off = (int)g->len;
    g->imm_size = 1;
    gen_byte(g, 0);
}

/* JMP/CALL r/m: the operand holds the target. */
static bool in_code_page(const struct gen *g, unsigned size)
{
    return g->mem && g->ea + size > DIFF_CODE_ADDR && g->ea < CODE_END;
}

static void indirect_post(struct gen *g)
{
    if (in_code_page(g, 8))
        g->unsafe = true;   /* the target would be code bytes */
    uint64_t t = gen_code_target(g);
    gen_rm_write(g, t);
    uint64_t v = gen_rm_read(g);
    if (!g->mem && !target_safe(g->osz == 2 ? v & 0xFFFF : v))
        g->unsafe = true;
}

static void ret_post(struct gen *g)
{
    uint64_t rsp = g->st->gpr[DIFF_RSP];
    gen_mem_write(g, rsp, gen_code_target(g), 8);
    if (g->f->imm == IMM_16 && chance(g, 60)) {
        uint16_t n = (uint16_t)(rndn(g, 8) * 8);
        g->b[g->imm_off] = (uint8_t)n;
        g->b[g->imm_off + 1] = (uint8_t)(n >> 8);
    }
}

/* A branch target as an n-byte operand: checked after truncation, which
 * could otherwise turn a non-canonical target into any low address. */
static uint64_t sized_target(struct gen *g, unsigned n)
{
    uint64_t m = n >= 8 ? ~0ULL : (1ULL << (8 * n)) - 1, t;
    do
        t = gen_code_target(g) & m;
    while (!target_safe(t));
    return t;
}

/* Far transfers: only CS=0x33 (64-bit user code) or a null selector. */
static uint16_t far_selector(struct gen *g)
{
    return chance(g, 85) ? 0x33 : 0;
}

static void retf_post(struct gen *g)
{
    uint64_t rsp = g->st->gpr[DIFF_RSP];
    unsigned n = g->osz;
    gen_mem_write(g, rsp, sized_target(g, n), n);
    gen_mem_write(g, rsp + n, far_selector(g), n);
}

static void enc_retf(struct gen *g)
{
    unsigned k = (unsigned)rndn(g, 10);
    g->osz = k < 2 ? 2 : k < 6 ? 4 : 8;
    gen_pin(g, DIFF_RSP, gen_stack_addr(g, 64));
    if (g->osz == 2)
        gen_byte(g, 0x66);
    if (g->osz == 8)
        gen_byte(g, 0x48);
    g->op_off = g->len;
    gen_byte(g, g->f->op);
    if (g->f->op == 0xCA) {
        g->imm_off = (int)g->len;
        g->imm_size = 2;
        gen_imm_bytes(g, rndn(g, 4) * 8, 2);
    }
}

static void iret_post(struct gen *g)
{
    uint64_t rsp = g->st->gpr[DIFF_RSP];
    unsigned n = g->osz;
    /* no AC: with AC newly set the rest of a misaligned frame takes a
     * legacy #AC, which Linux mistakes for a split lock and retries forever
     * (and the interpreter runs with CR0.AM=0) */
    uint64_t fl = (rnd(g) & (FL_ARITH | FL_DF | 0x200000)) | 0x202;
    gen_mem_write(g, rsp, sized_target(g, n), n);
    gen_mem_write(g, rsp + n, far_selector(g), n);
    gen_mem_write(g, rsp + 2 * n, fl, n);
    gen_mem_write(g, rsp + 3 * n, gen_stack_addr(g, 0), n);
    gen_mem_write(g, rsp + 4 * n, chance(g, 90) ? 0x2b : 0, n);
}

static void far_setup(struct gen *g)
{
    /* m16:16, m16:32 or m16:64 */
    g->msize = g->osz + 2;
}

static void far_post(struct gen *g)
{
    if (in_code_page(g, g->osz + 2))
        g->unsafe = true;   /* the selector would be code bytes */
    if (!g->mem)
        return;
    gen_mem_write(g, g->ea, sized_target(g, g->osz), g->osz);
    gen_mem_write(g, g->ea + g->osz, far_selector(g), 2);
}

/* ---- strings ---- */

/* arg bits: which registers the instruction uses */
#define S_SRC 1   /* RSI, segment overridable */
#define S_DST 2   /* RDI, always ES */
#define S_CMP 4   /* REPE/REPNE meaningful */
#define S_IO 8    /* INS/OUTS */

static uint64_t string_start(struct gen *g, uint64_t count, bool down)
{
    uint64_t span = count * g->osz;
    if (span > DIFF_DATA_SIZE / 2 || chance(g, 15))
        return gen_data_addr(g, g->osz);
    uint64_t lo = DIFF_DATA_ADDR + (down ? span : 0);
    uint64_t room = DIFF_DATA_SIZE - span;
    return lo + rndn(g, room + 1);
}

static void string_setup(struct gen *g)
{
    unsigned a = (unsigned)g->f->arg;
    unsigned k = (unsigned)rndn(g, 100);
    g->rep = k < 35 ? 0 : k < 75 ? 0xF3 : 0xF2;
    if (chance(g, 12)) {
        g->p67 = true;
        g->asz = 4;
    }
    if ((a & S_SRC) && chance(g, 15))
        g->seg = 0x65;
    else if (chance(g, 8))
        g->seg = 0x3E;
    if (chance(g, 30))
        g->st->rflags |= FL_DF;
    bool down = (g->st->rflags & FL_DF) != 0;
    uint64_t count;
    switch (rndn(g, 10)) {
    case 0: count = 0; break;
    case 1: count = 1 + rndn(g, 400); break;
    case 2: count = gen_value(g, 8); break;
    default: count = rndn(g, 17); break;
    }
    if (g->p67 && chance(g, 50))
        count |= rnd(g) << 32;              /* ECX only */
    gen_pin(g, DIFF_RCX, count);
    uint64_t eff = g->rep ? (g->p67 ? count & 0xFFFFFFFF : count) : 1;
    /* GS-relative with 32-bit addressing: keep the base where ESI reaches */
    if ((a & S_SRC) && g->seg == 0x65 && g->p67)
        g->st->gs_base = 0;
    uint64_t gs = g->seg == 0x65 ? g->st->gs_base : 0;
    if (a & S_SRC) {
        uint64_t s = string_start(g, eff, down) - gs;
        if (g->p67)
            s = (s & 0xFFFFFFFF) | (rnd(g) << 32);
        gen_pin(g, DIFF_RSI, s);
    }
    if (a & S_DST) {
        uint64_t d = string_start(g, eff, down);
        if (g->p67)
            d = (d & 0xFFFFFFFF) | (rnd(g) << 32);
        gen_pin(g, DIFF_RDI, d);
    }
}

/* For REPE/REPNE compares: equal runs with a difference somewhere. */
static void string_post(struct gen *g)
{
    unsigned a = (unsigned)g->f->arg;
    if (!(a & S_CMP) || !g->rep)
        return;
    bool down = (g->st->rflags & FL_DF) != 0;
    uint64_t n = g->st->gpr[DIFF_RCX];
    if (g->p67)
        n &= 0xFFFFFFFF;
    if (n > 64)
        n = 64;
    uint64_t gs = g->seg == 0x65 ? g->st->gs_base : 0;
    uint64_t si = g->st->gpr[DIFF_RSI], di = g->st->gpr[DIFF_RDI];
    if (g->p67) {
        si &= 0xFFFFFFFF;
        di &= 0xFFFFFFFF;
    }
    uint64_t stop = chance(g, 20) ? n + 1 : rndn(g, n + 1);
    uint64_t acc = g->st->gpr[0];
    for (uint64_t i = 0; i < n; i++) {
        int64_t step = (int64_t)(i * g->osz) * (down ? -1 : 1);
        uint64_t da = di + (uint64_t)step;
        uint64_t v;
        if (a & S_SRC)
            v = gen_mem_read(g, si + gs + (uint64_t)step, g->osz);   /* CMPS */
        else
            v = acc;                                                /* SCAS */
        bool equal = (g->rep == 0xF3) ? i != stop : i == stop;
        gen_mem_write(g, da, equal ? v : v ^ (1 + rndn(g, 255)), g->osz);
    }
}

static void enc_string(struct gen *g)
{
    unsigned k = (unsigned)rndn(g, 100);
    g->osz = k < 25 ? 1 : k < 45 ? 2 : k < 70 ? 4 : 8;
    g->asz = 8;
    string_setup(g);
    if (g->osz == 2 || (g->osz == 1 && chance(g, 3)))
        g->p66 = true;
    if (chance(g, 2)) {
        g->lock = true;
        gen_mark_invalid(g);
    }
    gen_legacy_prefixes(g, 0);
    if (g->osz == 8 || chance(g, 8))
        gen_byte(g, (uint8_t)(g->osz == 8 ? 0x48 : 0x40));
    g->op_off = g->len;
    gen_byte(g, (uint8_t)(g->f->op | (g->osz == 1 ? 0 : 1)));
}

/* ---- XLAT, moffs ---- */

static void enc_xlat(struct gen *g)
{
    g->asz = 8;
    if (chance(g, 12)) {
        g->p67 = true;
        g->asz = 4;
    }
    if (chance(g, 15))
        g->seg = 0x65;
    uint64_t al = g->st->gpr[0] & 0xFF;
    uint64_t want = gen_data_addr(g, 1);
    if (g->p67 && want >= 0x100000000ULL)
        want = DIFF_DATA_ADDR + 5;
    uint64_t gs = g->seg == 0x65 ? g->st->gs_base : 0;
    if (g->p67 && g->seg == 0x65)
        g->st->gs_base = gs = 0;
    uint64_t rbx = want - gs - al;
    if (g->p67)
        rbx = (rbx & 0xFFFFFFFF) | (rnd(g) << 32);
    gen_pin(g, DIFF_RBX, rbx);
    gen_legacy_prefixes(g, 0);
    if (chance(g, 10))
        gen_byte(g, 0x48);
    g->op_off = g->len;
    gen_byte(g, 0xD7);
}

/* MOV AL/rAX <-> moffs: arg 0 load, 1 store */
static void enc_moffs(struct gen *g)
{
    unsigned k = (unsigned)rndn(g, 100);
    g->osz = k < 25 ? 1 : k < 40 ? 2 : k < 70 ? 4 : 8;
    g->asz = 8;
    if (chance(g, 12)) {
        g->p67 = true;
        g->asz = 4;
    }
    if (chance(g, 15))
        g->seg = 0x65;
    g->p66 = g->osz == 2;
    uint64_t want;
    do
        want = gen_data_addr(g, g->osz);
    while (g->p67 && want >= 0x100000000ULL);
    uint64_t gs = 0;
    if (g->seg == 0x65) {
        if (g->p67)
            g->st->gs_base = want - rndn(g, want + 1);
        gs = g->st->gs_base;
    }
    uint64_t moffs = want - gs;
    g->mem = true;
    g->ea = want;
    gen_legacy_prefixes(g, 0);
    if (g->osz == 8)
        gen_byte(g, 0x48);
    g->op_off = g->len;
    uint8_t op = (uint8_t)((g->f->arg ? 0xA2 : 0xA0) | (g->osz == 1 ? 0 : 1));
    gen_byte(g, op);
    gen_imm_bytes(g, moffs, g->asz);
}

/* ---- segment registers ---- */

/* MOV r/m, Sreg with Sreg 0..5; 6 and 7 are #UD */
static void enc_mov_from_sreg(struct gen *g)
{
    unsigned k = (unsigned)rndn(g, 10);
    g->osz = k < 3 ? 2 : k < 7 ? 4 : 8;
    g->msize = 2;
    gen_generic(g);
    unsigned s = (unsigned)rndn(g, 8);
    if (s >= 6)
        gen_mark_invalid(g);
    g->b[g->op_off + 1] = (uint8_t)((g->b[g->op_off + 1] & 0xC7) | (s << 3));
}

static void mov_ss_post(struct gen *g)
{
    gen_rm_write(g, 0);   /* a null SS at CPL 3 is #GP(0) */
}

/* ---- invalid encodings ---- */

/* arg: { count, opcode bytes..., } tried one at a time, each followed by
 * a ModRM and random bytes */
static void enc_ud_list(struct gen *g)
{
    const uint8_t *p = g->f->bytes;
    uint8_t op = p[1 + rndn(g, p[0])];
    if (g->f->map == MAP_0F)
        gen_byte(g, 0x0F);
    g->op_off = g->len;
    gen_byte(g, op);
    for (int i = 0; i < 7; i++)
        gen_byte(g, (uint8_t)rnd(g));
}

/* A group opcode with an undefined /digit: arg = mask of such digits. */
static void enc_ud_digit(struct gen *g)
{
    unsigned mask = (unsigned)g->f->arg, d;
    do
        d = (unsigned)rndn(g, 8);
    while (!(mask & (1u << d)));
    g->osz = 4;
    g->asz = 8;
    g->reg = (int)d;
    gen_operands(g);
    g->reg = (int)d;
    uint8_t rex = 0;
    if (g->mem && g->base >= 8)
        rex |= 1;
    if (g->mem && g->index >= 8)
        rex |= 2;
    if (!g->mem && g->rmreg >= 8)
        rex |= 1;
    if (rex)
        gen_byte(g, (uint8_t)(0x40 | rex));
    if (g->f->map == MAP_0F)
        gen_byte(g, 0x0F);
    g->op_off = g->len;
    gen_byte(g, g->f->op);
    gen_emit_modrm(g);
    for (int i = 0; i < 4; i++)
        gen_byte(g, (uint8_t)rnd(g));
}

/* 62 in 64-bit mode is EVEX; P1 bit 2 clear is #UD without APX. */
static void enc_ud_evex(struct gen *g)
{
    g->op_off = g->len;
    gen_byte(g, 0x62);
    gen_byte(g, (uint8_t)(rnd(g) & 0xF3));
    gen_byte(g, (uint8_t)(rnd(g) & ~4u));
    for (int i = 0; i < 5; i++)
        gen_byte(g, (uint8_t)rnd(g));
}

/* C4/C5 (LES/LDS outside 64-bit mode) as VEX that means nothing. */
static void enc_ud_vex(struct gen *g)
{
    g->op_off = g->len;
    if (chance(g, 50)) {
        gen_byte(g, 0xC4);
        gen_byte(g, (uint8_t)(rnd(g) & 0xE0));       /* map 0: reserved */
        gen_byte(g, (uint8_t)rnd(g));
    } else {
        gen_byte(g, 0xC5);
        gen_byte(g, (uint8_t)(rnd(g) | 0x80));
        gen_byte(g, (uint8_t)rndn(g, 0x0D));        /* VEX.0F 00..0C: none exist */
    }
    for (int i = 0; i < 5; i++)
        gen_byte(g, (uint8_t)rnd(g));
}

/* ---- VEX-encoded BMI1/BMI2 ---- */

/* arg bits */
#define V_NDS 1     /* vvvv is an operand */
#define V_IMM 2     /* imm8 follows */

static void enc_vex(struct gen *g)
{
    const struct form *f = g->f;
    g->osz = chance(g, 50) ? 4 : 8;
    g->asz = 8;
    if (chance(g, 8)) {
        g->asz = 4;
        g->p67 = true;
    }
    unsigned k = (unsigned)rndn(g, 100);
    if (k < 12)
        g->seg = 0x65;
    else if (k < 18)
        g->seg = 0x2E;
    if (f->setup)
        f->setup(g);
    gen_operands(g);
    bool nds = (f->arg & V_NDS) != 0;
    g->vreg = nds ? (int)rndn(g, 16) : 0;
    unsigned L = 0;
    if (chance(g, 3)) {
        L = 1;
        gen_mark_invalid(g);
    }
    if (!nds && chance(g, 3)) {
        g->vreg = 1 + (int)rndn(g, 15);
        gen_mark_invalid(g);
    }
    if (chance(g, 3)) {
        static const uint8_t bad[] = { 0x66, 0xF2, 0xF3, 0x40, 0xF0 };
        uint8_t b = bad[rndn(g, 5)];
        if (b == 0xF0)
            g->lock = true;
        else if (b == 0x66)
            g->p66 = true;
        else if (b == 0x40)
            g->rex = true;
        else
            g->rep = b;
        gen_mark_invalid(g);
    }
    gen_legacy_prefixes(g, 0);
    if (g->rex)
        gen_byte(g, 0x40);
    unsigned R = (unsigned)(g->reg >> 3) & 1;
    unsigned X = g->mem && g->index >= 8 ? 1 : 0;
    unsigned B = g->mem ? (g->base >= 8 ? 1 : 0) : ((unsigned)g->rmreg >> 3) & 1;
    unsigned mmmmm = f->map == MAP_0F3A ? 3 : 2;
    unsigned pp = f->mprefix == 0x66 ? 1 : f->mprefix == 0xF3 ? 2 : f->mprefix == 0xF2 ? 3 : 0;
    gen_byte(g, 0xC4);
    gen_byte(g, (uint8_t)(((R ^ 1) << 7) | ((X ^ 1) << 6) | ((B ^ 1) << 5) | mmmmm));
    gen_byte(g, (uint8_t)(((g->osz == 8) << 7) | ((~(unsigned)g->vreg & 15) << 3) | (L << 2) | pp));
    g->op_off = g->len;
    gen_byte(g, f->op);
    gen_emit_modrm(g);
    if (f->arg & V_IMM) {
        g->imm_off = (int)g->len;
        g->imm_size = 1;
        g->imm = rnd(g) & 0xFF;
        gen_byte(g, (uint8_t)g->imm);
    }
}

#define VEX(nm, mp, pfx, opc, rg, a, uf) \
    { .name = nm, .map = (mp), .op = (opc), .reg = (rg), .rm = RM_BOTH, .osz = OS32 | OS64, \
      .mprefix = (pfx), .undef = (uf), .encode = enc_vex, .arg = (a) }

/* ---- privileged and I/O ---- */

static void int_post(struct gen *g)
{
    uint8_t n;
    unsigned k = (unsigned)rndn(g, 10);
    if (k < 2)
        n = 3;
    else if (k < 3)
        n = 4;
    else
        do
            n = (uint8_t)rnd(g);
        while (n == 0x80);   /* the 32-bit system call gate */
    g->b[g->imm_off] = n;
}

/* ---- the table ---- */

#define UNDEF_MUL (FL_SF | FL_ZF | FL_AF | FL_PF)

static const struct form int_forms[] = {
    ALU("add", 0, F_LOCK, 0, 0),
    ALU("or", 1, F_LOCK, FL_AF, 0),
    ALU("adc", 2, F_LOCK, 0, D_FLAGS),
    ALU("sbb", 3, F_LOCK, 0, D_FLAGS),
    ALU("and", 4, F_LOCK, FL_AF, 0),
    ALU("sub", 5, F_LOCK, 0, 0),
    ALU("xor", 6, F_LOCK, FL_AF, 0),
    ALU("cmp", 7, 0, 0, 0),

    { .name = "test_rm_r", .op = 0x84, .reg = REG_GPR, .rm = RM_BOTH, .osz = OS8 | OSV, .flags = F_REPIGN, .undef = FL_AF },
    { .name = "test_a_imm", .op = 0xA8, .rm = RM_NONE, .osz = OS8 | OSV, .imm = IMM_Z, .flags = F_REPIGN, .undef = FL_AF },
    { .name = "test_rm_imm", .op = 0xF6, .reg = 0, .rm = RM_BOTH, .osz = OS8 | OSV, .imm = IMM_Z, .flags = F_REPIGN, .undef = FL_AF },
    { .name = "test_rm_imm_alias", .op = 0xF6, .reg = 1, .rm = RM_BOTH, .osz = OS8 | OSV, .imm = IMM_Z, .flags = F_REPIGN, .undef = FL_AF },

    { .name = "inc_rm", .op = 0xFE, .reg = 0, .rm = RM_BOTH, .osz = OS8 | OSV, .flags = F_REPIGN | F_LOCK },
    { .name = "dec_rm", .op = 0xFE, .reg = 1, .rm = RM_BOTH, .osz = OS8 | OSV, .flags = F_REPIGN | F_LOCK },
    { .name = "not_rm", .op = 0xF6, .reg = 2, .rm = RM_BOTH, .osz = OS8 | OSV, .flags = F_REPIGN | F_LOCK },
    { .name = "neg_rm", .op = 0xF6, .reg = 3, .rm = RM_BOTH, .osz = OS8 | OSV, .flags = F_REPIGN | F_LOCK },
    { .name = "mul_rm", .op = 0xF6, .reg = 4, .rm = RM_BOTH, .osz = OS8 | OSV, .flags = F_REPIGN, .undef = UNDEF_MUL },
    { .name = "imul_rm", .op = 0xF6, .reg = 5, .rm = RM_BOTH, .osz = OS8 | OSV, .flags = F_REPIGN, .undef = UNDEF_MUL },
    { .name = "div_rm", .op = 0xF6, .reg = 6, .rm = RM_BOTH, .osz = OS8 | OSV, .flags = F_REPIGN, .undef = FL_ARITH, .post = div_post },
    { .name = "idiv_rm", .op = 0xF6, .reg = 7, .rm = RM_BOTH, .osz = OS8 | OSV, .flags = F_REPIGN, .undef = FL_ARITH, .post = div_post },
    { .name = "imul_r_rm", .map = MAP_0F, .op = 0xAF, .reg = REG_GPR, .rm = RM_BOTH, .osz = OSV, .flags = F_REPIGN, .undef = UNDEF_MUL },
    { .name = "imul_r_rm_imm", .op = 0x69, .reg = REG_GPR, .rm = RM_BOTH, .osz = OSV, .imm = IMM_Z, .flags = F_REPIGN, .undef = UNDEF_MUL },
    { .name = "imul_r_rm_imm8", .op = 0x6B, .reg = REG_GPR, .rm = RM_BOTH, .osz = OSV, .imm = IMM_8, .flags = F_REPIGN, .undef = UNDEF_MUL },

    SHIFT("rol", 0), SHIFT("ror", 1), SHIFT("rcl", 2), SHIFT("rcr", 3),
    SHIFT("shl", 4), SHIFT("shr", 5), SHIFT("sal", 6), SHIFT("sar", 7),
    { .name = "shld_rm_r_imm8", .map = MAP_0F, .op = 0xA4, .reg = REG_GPR, .rm = RM_BOTH, .osz = OSV, .imm = IMM_8,
      .flags = F_REPIGN, .post = shift_post, .undef_fn = shld_undef, .arg = 2 },
    { .name = "shld_rm_r_cl", .map = MAP_0F, .op = 0xA5, .reg = REG_GPR, .rm = RM_BOTH, .osz = OSV,
      .flags = F_REPIGN, .setup = shift_setup, .undef_fn = shld_undef, .arg = 1 },
    { .name = "shrd_rm_r_imm8", .map = MAP_0F, .op = 0xAC, .reg = REG_GPR, .rm = RM_BOTH, .osz = OSV, .imm = IMM_8,
      .flags = F_REPIGN, .post = shift_post, .undef_fn = shld_undef, .arg = 2 },
    { .name = "shrd_rm_r_cl", .map = MAP_0F, .op = 0xAD, .reg = REG_GPR, .rm = RM_BOTH, .osz = OSV,
      .flags = F_REPIGN, .setup = shift_setup, .undef_fn = shld_undef, .arg = 1 },

    { .name = "bt_rm_r", .map = MAP_0F, .op = 0xA3, .reg = REG_GPR, .rm = RM_BOTH, .osz = OSV, .flags = F_REPIGN | F_REGNOADDR,
      .undef = UNDEF_BT, .setup = bt_setup, .post = bt_post },
    { .name = "bts_rm_r", .map = MAP_0F, .op = 0xAB, .reg = REG_GPR, .rm = RM_BOTH, .osz = OSV, .flags = F_REPIGN | F_REGNOADDR | F_LOCK,
      .undef = UNDEF_BT, .setup = bt_setup, .post = bt_post },
    { .name = "btr_rm_r", .map = MAP_0F, .op = 0xB3, .reg = REG_GPR, .rm = RM_BOTH, .osz = OSV, .flags = F_REPIGN | F_REGNOADDR | F_LOCK,
      .undef = UNDEF_BT, .setup = bt_setup, .post = bt_post },
    { .name = "btc_rm_r", .map = MAP_0F, .op = 0xBB, .reg = REG_GPR, .rm = RM_BOTH, .osz = OSV, .flags = F_REPIGN | F_REGNOADDR | F_LOCK,
      .undef = UNDEF_BT, .setup = bt_setup, .post = bt_post },
    { .name = "bt_rm_imm8", .map = MAP_0F, .op = 0xBA, .reg = 4, .rm = RM_BOTH, .osz = OSV, .imm = IMM_8, .flags = F_REPIGN, .undef = UNDEF_BT },
    { .name = "bts_rm_imm8", .map = MAP_0F, .op = 0xBA, .reg = 5, .rm = RM_BOTH, .osz = OSV, .imm = IMM_8, .flags = F_REPIGN | F_LOCK, .undef = UNDEF_BT },
    { .name = "btr_rm_imm8", .map = MAP_0F, .op = 0xBA, .reg = 6, .rm = RM_BOTH, .osz = OSV, .imm = IMM_8, .flags = F_REPIGN | F_LOCK, .undef = UNDEF_BT },
    { .name = "btc_rm_imm8", .map = MAP_0F, .op = 0xBA, .reg = 7, .rm = RM_BOTH, .osz = OSV, .imm = IMM_8, .flags = F_REPIGN | F_LOCK, .undef = UNDEF_BT },
    { .name = "bsf_r_rm", .map = MAP_0F, .op = 0xBC, .reg = REG_GPR, .rm = RM_BOTH, .osz = OSV, .undef = FL_CF | FL_OF | FL_SF | FL_AF | FL_PF },
    { .name = "bsr_r_rm", .map = MAP_0F, .op = 0xBD, .reg = REG_GPR, .rm = RM_BOTH, .osz = OSV, .undef = FL_CF | FL_OF | FL_SF | FL_AF | FL_PF },
    { .name = "tzcnt_r_rm", .map = MAP_0F, .op = 0xBC, .reg = REG_GPR, .rm = RM_BOTH, .osz = OSV, .mprefix = 0xF3, .undef = FL_OF | FL_SF | FL_AF | FL_PF },
    { .name = "lzcnt_r_rm", .map = MAP_0F, .op = 0xBD, .reg = REG_GPR, .rm = RM_BOTH, .osz = OSV, .mprefix = 0xF3, .undef = FL_OF | FL_SF | FL_AF | FL_PF },
    { .name = "popcnt_r_rm", .map = MAP_0F, .op = 0xB8, .reg = REG_GPR, .rm = RM_BOTH, .osz = OSV, .mprefix = 0xF3 },
    { .name = "bswap_r", .map = MAP_0F, .op = 0xC8, .rm = RM_OPREG, .osz = OS32 | OS64 },
    { .name = "bswap_r16", .map = MAP_0F, .op = 0xC8, .rm = RM_OPREG, .osz = OS16, .undef_fn = undef_rm },

    { .name = "xadd_rm_r", .map = MAP_0F, .op = 0xC0, .reg = REG_GPR, .rm = RM_BOTH, .osz = OS8 | OSV, .flags = F_REPIGN | F_LOCK },
    { .name = "cmpxchg_rm_r", .map = MAP_0F, .op = 0xB0, .reg = REG_GPR, .rm = RM_BOTH, .osz = OS8 | OSV, .flags = F_REPIGN | F_LOCK,
      .post = cmpxchg_post },
    { .name = "cmpxchg8b_m", .map = MAP_0F, .op = 0xC7, .reg = 1, .rm = RM_MEM, .osz = OS32, .msize = 8,
      .flags = F_LOCK | F_MOD3UD | F_NO66, .setup = cmpxchg8b_setup, .post = cmpxchg8b_post },
    { .name = "cmpxchg16b_m", .map = MAP_0F, .op = 0xC7, .reg = 1, .rm = RM_MEM, .osz = OS64, .msize = 16,
      .flags = F_LOCK | F_MOD3UD | F_NO66, .setup = cmpxchg8b_setup, .post = cmpxchg8b_post },
    { .name = "xchg_rm_r", .op = 0x86, .reg = REG_GPR, .rm = RM_BOTH, .osz = OS8 | OSV, .flags = F_REPIGN | F_LOCK | F_LOCKED },
    { .name = "xchg_a_r", .op = 0x90, .rm = RM_OPREG, .osz = OSV },

    { .name = "mov_rm_r", .op = 0x88, .reg = REG_GPR, .rm = RM_BOTH, .osz = OS8 | OSV, .flags = F_REPIGN },
    { .name = "mov_r_rm", .op = 0x8A, .reg = REG_GPR, .rm = RM_BOTH, .osz = OS8 | OSV, .flags = F_REPIGN },
    { .name = "mov_rm_imm", .op = 0xC6, .reg = 0, .rm = RM_BOTH, .osz = OS8 | OSV, .imm = IMM_Z, .flags = F_REPIGN },
    { .name = "mov_r8_imm8", .op = 0xB0, .rm = RM_OPREG, .osz = OS8, .imm = IMM_8, .flags = F_REPIGN },
    { .name = "mov_r_imm", .op = 0xB8, .rm = RM_OPREG, .osz = OSV, .imm = IMM_V, .flags = F_REPIGN },
    { .name = "mov_a_moffs", .encode = enc_moffs, .arg = 0 },
    { .name = "mov_moffs_a", .encode = enc_moffs, .arg = 1 },
    { .name = "lea_r_m", .op = 0x8D, .reg = REG_GPR, .rm = RM_MEM, .osz = OSV, .flags = F_NOACCESS | F_MOD3UD },
    { .name = "movzx_r_rm8", .map = MAP_0F, .op = 0xB6, .reg = REG_GPR, .rm = RM_BOTH, .osz = OSV, .msize = 1, .flags = F_REPIGN },
    { .name = "movzx_r_rm16", .map = MAP_0F, .op = 0xB7, .reg = REG_GPR, .rm = RM_BOTH, .osz = OSV, .msize = 2, .flags = F_REPIGN },
    { .name = "movsx_r_rm8", .map = MAP_0F, .op = 0xBE, .reg = REG_GPR, .rm = RM_BOTH, .osz = OSV, .msize = 1, .flags = F_REPIGN },
    { .name = "movsx_r_rm16", .map = MAP_0F, .op = 0xBF, .reg = REG_GPR, .rm = RM_BOTH, .osz = OSV, .msize = 2, .flags = F_REPIGN },
    { .name = "movsxd_r_rm32", .op = 0x63, .reg = REG_GPR, .rm = RM_BOTH, .osz = OSV, .msize = 4, .flags = F_REPIGN },
    { .name = "movbe_r_m", .map = MAP_0F38, .op = 0xF0, .reg = REG_GPR, .rm = RM_MEM, .osz = OSV, .flags = F_MOD3UD },
    { .name = "movbe_m_r", .map = MAP_0F38, .op = 0xF1, .reg = REG_GPR, .rm = RM_MEM, .osz = OSV, .flags = F_MOD3UD },
    { .name = "crc32_r_rm8", .map = MAP_0F38, .op = 0xF0, .reg = REG_GPR, .rm = RM_BOTH, .osz = OS32 | OS64, .msize = 1, .mprefix = 0xF2 },
    { .name = "crc32_r_rm", .map = MAP_0F38, .op = 0xF1, .reg = REG_GPR, .rm = RM_BOTH, .osz = OSV, .mprefix = 0xF2 },
    { .name = "adcx_r_rm", .map = MAP_0F38, .op = 0xF6, .reg = REG_GPR, .rm = RM_BOTH, .osz = OS32 | OS64, .mprefix = 0x66 },
    { .name = "adox_r_rm", .map = MAP_0F38, .op = 0xF6, .reg = REG_GPR, .rm = RM_BOTH, .osz = OS32 | OS64, .mprefix = 0xF3 },
    { .name = "cmovcc_r_rm", .map = MAP_0F, .op = 0x40, .reg = REG_GPR, .rm = RM_BOTH, .osz = OSV, .flags = F_REPIGN | F_CC, .deps = D_FLAGS },
    { .name = "setcc_rm8", .map = MAP_0F, .op = 0x90, .reg = REG_GPR, .rm = RM_BOTH, .osz = OS8, .flags = F_REPIGN | F_CC, .deps = D_FLAGS },

    { .name = "cbw_cwde_cdqe", .op = 0x98, .rm = RM_NONE, .osz = OSV, .flags = F_REPIGN },
    { .name = "cwd_cdq_cqo", .op = 0x99, .rm = RM_NONE, .osz = OSV, .flags = F_REPIGN },
    FIXED("clc", 0, 0xF8), FIXED("stc", 0, 0xF9), FIXED("cmc", 0, 0xF5),
    FIXED("cld", 0, 0xFC), FIXED("std", 0, 0xFD),
    FIXED("lahf", 0, 0x9F), FIXED("sahf", 0, 0x9E),
    FIXED("nop", 0, 0x90), FIXED("pause", 0, 0xF3, 0x90),
    { .name = "wait", .flags = 0, .encode = enc_fixed, .bytes = (const uint8_t[]){ 1, 0x9B }, .deps = D_X87 },
    { .name = "nop_rm", .map = MAP_0F, .op = 0x1F, .reg = REG_GPR, .rm = RM_BOTH, .osz = OSV, .flags = F_NOACCESS,
      .post = cs_quirk_nop_reg },
    { .name = "hint_nop_0f19", .map = MAP_0F, .op = 0x19, .reg = REG_GPR, .rm = RM_BOTH, .osz = OSV, .flags = F_NOACCESS,
      .post = cs_quirk_nop_reg },
    { .name = "hint_nop_0f1d", .map = MAP_0F, .op = 0x1D, .reg = REG_GPR, .rm = RM_BOTH, .osz = OSV, .flags = F_NOACCESS,
      .post = cs_quirk_nop_reg },
    /* 0F 1C /0 is CLDEMOTE on this host, a hint without architectural effect */
    { .name = "hint_nop_0f1c", .map = MAP_0F, .op = 0x1C, .reg = REG_GPR, .rm = RM_BOTH, .osz = OSV, .flags = F_NOACCESS,
      .post = cs_quirk_nop_reg },
    /* MPX space: hint NOPs on CPUs without MPX, like this host */
    { .name = "hint_nop_0f1a", .map = MAP_0F, .op = 0x1A, .reg = REG_GPR, .rm = RM_BOTH, .osz = OSV, .flags = F_NOACCESS,
      .post = cs_quirk_nop_reg },
    { .name = "hint_nop_0f1b", .map = MAP_0F, .op = 0x1B, .reg = REG_GPR, .rm = RM_BOTH, .osz = OSV, .flags = F_NOACCESS,
      .post = cs_quirk_nop_reg },
    FIXED("endbr64", 0, 0xF3, 0x0F, 0x1E, 0xFA), FIXED("endbr32", 0, 0xF3, 0x0F, 0x1E, 0xFB),
    { .name = "prefetch_m", .map = MAP_0F, .op = 0x18, .reg = 0, .rm = RM_MEM, .osz = OS32, .flags = F_NOACCESS, .arg = 0 },
    { .name = "prefetcht0_m", .map = MAP_0F, .op = 0x18, .reg = 1, .rm = RM_MEM, .osz = OS32, .flags = F_NOACCESS },
    { .name = "prefetcht1_m", .map = MAP_0F, .op = 0x18, .reg = 2, .rm = RM_MEM, .osz = OS32, .flags = F_NOACCESS },
    { .name = "prefetcht2_m", .map = MAP_0F, .op = 0x18, .reg = 3, .rm = RM_MEM, .osz = OS32, .flags = F_NOACCESS },
    { .name = "prefetchw_m", .map = MAP_0F, .op = 0x0D, .reg = 1, .rm = RM_MEM, .osz = OS32, .flags = F_NOACCESS },
    { .name = "clflush_m", .map = MAP_0F, .op = 0xAE, .reg = 7, .rm = RM_MEM, .osz = OS32, .msize = 1 },
    FIXED("lfence", 0, 0x0F, 0xAE, 0xE8), FIXED("mfence", 0, 0x0F, 0xAE, 0xF0), FIXED("sfence", 0, 0x0F, 0xAE, 0xF8),

    { .name = "push_r", .op = 0x50, .rm = RM_OPREG, .osz = OS16 | OS64, .flags = F_DEF64 | F_STACK | F_REPIGN },
    { .name = "pop_r", .op = 0x58, .rm = RM_OPREG, .osz = OS16 | OS64, .flags = F_DEF64 | F_STACK | F_REPIGN },
    { .name = "push_rm", .op = 0xFF, .reg = 6, .rm = RM_BOTH, .osz = OS16 | OS64, .flags = F_DEF64 | F_STACK | F_REPIGN },
    { .name = "pop_rm", .op = 0x8F, .reg = 0, .rm = RM_BOTH, .osz = OS16 | OS64, .flags = F_DEF64 | F_STACK | F_REPIGN },
    { .name = "push_imm8", .op = 0x6A, .rm = RM_NONE, .osz = OS16 | OS64, .imm = IMM_8, .flags = F_DEF64 | F_STACK | F_REPIGN },
    { .name = "push_imm", .op = 0x68, .rm = RM_NONE, .osz = OS16 | OS64, .imm = IMM_Z, .flags = F_DEF64 | F_STACK | F_REPIGN,
      .post = cs_quirk_rep66 },
    { .name = "pushf", .op = 0x9C, .rm = RM_NONE, .osz = OS16 | OS64, .flags = F_DEF64 | F_STACK | F_REPIGN, .deps = D_FLAGS | D_DF },
    { .name = "popf", .op = 0x9D, .rm = RM_NONE, .osz = OS16 | OS64, .flags = F_DEF64 | F_STACK | F_REPIGN, .post = popf_post },
    { .name = "push_fs", .map = MAP_0F, .op = 0xA0, .rm = RM_NONE, .osz = OS16 | OS64, .flags = F_DEF64 | F_STACK },
    { .name = "push_gs", .map = MAP_0F, .op = 0xA8, .rm = RM_NONE, .osz = OS16 | OS64, .flags = F_DEF64 | F_STACK },
    { .name = "enter", .encode = enc_enter, .post = enter_post, .flags = F_STACK },
    { .name = "leave", .op = 0xC9, .rm = RM_NONE, .osz = OS16 | OS64, .flags = F_DEF64 | F_STACK, .setup = enter_setup },
    /* RDGSBASE/WRGSBASE, XSAVES/XRSTORS and INVPCID are left out: the CPU
     * model does not report FSGSBASE, XSAVES or INVPCID, so it answers #UD
     * where this host executes them (or faults with #GP at CPL 3). */
    { .name = "mov_rm_sreg", .op = 0x8C, .reg = 0, .rm = RM_BOTH, .osz = OSV, .encode = enc_mov_from_sreg },
    { .name = "mov_ss_null", .op = 0x8E, .reg = 2, .rm = RM_BOTH, .osz = OS16 | OS32, .post = mov_ss_post },

    { .name = "jcc_rel8", .op = 0x70, .rm = RM_NONE, .osz = OS64, .imm = IMM_8, .flags = F_DEF64 | F_CC | F_REPIGN, .post = rel_post, .deps = D_FLAGS },
    { .name = "jcc_rel32", .map = MAP_0F, .op = 0x80, .rm = RM_NONE, .osz = OS64, .imm = IMM_32, .flags = F_DEF64 | F_CC, .post = rel_post, .deps = D_FLAGS },
    { .name = "jmp_rel8", .op = 0xEB, .rm = RM_NONE, .osz = OS64, .imm = IMM_8, .flags = F_DEF64 | F_REPIGN, .post = rel_post },
    { .name = "jmp_rel32", .op = 0xE9, .rm = RM_NONE, .osz = OS64, .imm = IMM_32, .flags = F_DEF64 | F_REPIGN, .post = rel_post },
    { .name = "call_rel32", .op = 0xE8, .rm = RM_NONE, .osz = OS64, .imm = IMM_32, .flags = F_DEF64 | F_STACK | F_REPIGN, .post = rel_post },
    { .name = "jmp_rm", .op = 0xFF, .reg = 4, .rm = RM_BOTH, .osz = OS64, .flags = F_DEF64, .post = indirect_post },
    { .name = "call_rm", .op = 0xFF, .reg = 2, .rm = RM_BOTH, .osz = OS64, .flags = F_DEF64 | F_STACK, .post = indirect_post },
    { .name = "jmp_far_m", .op = 0xFF, .reg = 5, .rm = RM_MEM, .osz = OSV, .flags = F_MOD3UD, .setup = far_setup, .post = far_post },
    { .name = "call_far_m", .op = 0xFF, .reg = 3, .rm = RM_MEM, .osz = OSV, .flags = F_MOD3UD | F_STACK, .setup = far_setup, .post = far_post },
    { .name = "ret", .op = 0xC3, .rm = RM_NONE, .osz = OS64, .flags = F_DEF64 | F_STACK | F_REPIGN, .post = ret_post },
    { .name = "ret_imm16", .op = 0xC2, .rm = RM_NONE, .osz = OS64, .imm = IMM_16, .flags = F_DEF64 | F_STACK, .post = ret_post },
    { .name = "retf", .op = 0xCB, .encode = enc_retf, .post = retf_post, .flags = F_STACK },
    { .name = "retf_imm16", .op = 0xCA, .encode = enc_retf, .post = retf_post, .flags = F_STACK },
    { .name = "iret", .op = 0xCF, .encode = enc_retf, .post = iret_post, .flags = F_STACK },
    { .name = "loop_rel8", .op = 0xE2, .encode = enc_loop, .post = loop_post },
    { .name = "loope_rel8", .op = 0xE1, .encode = enc_loop, .post = loop_post, .deps = D_FLAGS },
    { .name = "loopne_rel8", .op = 0xE0, .encode = enc_loop, .post = loop_post, .deps = D_FLAGS },
    { .name = "jrcxz_rel8", .op = 0xE3, .encode = enc_loop, .post = loop_post },

    { .name = "movs", .op = 0xA4, .encode = enc_string, .arg = S_SRC | S_DST, .deps = D_DF | D_GS },
    { .name = "cmps", .op = 0xA6, .encode = enc_string, .post = string_post, .arg = S_SRC | S_DST | S_CMP, .deps = D_DF | D_GS },
    { .name = "stos", .op = 0xAA, .encode = enc_string, .arg = S_DST, .deps = D_DF },
    { .name = "lods", .op = 0xAC, .encode = enc_string, .arg = S_SRC, .deps = D_DF | D_GS },
    { .name = "scas", .op = 0xAE, .encode = enc_string, .post = string_post, .arg = S_DST | S_CMP, .deps = D_DF },
    { .name = "xlat", .encode = enc_xlat, .deps = D_GS },

    /* BMI1, BMI2 */
    VEX("andn", MAP_0F38, 0, 0xF2, REG_GPR, V_NDS, FL_AF | FL_PF),
    VEX("blsr", MAP_0F38, 0, 0xF3, 1, V_NDS, FL_AF | FL_PF),
    VEX("blsmsk", MAP_0F38, 0, 0xF3, 2, V_NDS, FL_AF | FL_PF),
    VEX("blsi", MAP_0F38, 0, 0xF3, 3, V_NDS, FL_AF | FL_PF),
    VEX("bextr", MAP_0F38, 0, 0xF7, REG_GPR, V_NDS, FL_AF | FL_SF | FL_PF),
    VEX("bzhi", MAP_0F38, 0, 0xF5, REG_GPR, V_NDS, FL_AF | FL_PF),
    VEX("pdep", MAP_0F38, 0xF2, 0xF5, REG_GPR, V_NDS, 0),
    VEX("pext", MAP_0F38, 0xF3, 0xF5, REG_GPR, V_NDS, 0),
    VEX("mulx", MAP_0F38, 0xF2, 0xF6, REG_GPR, V_NDS, 0),
    VEX("rorx", MAP_0F3A, 0xF2, 0xF0, REG_GPR, V_IMM, 0),
    VEX("sarx", MAP_0F38, 0xF3, 0xF7, REG_GPR, V_NDS, 0),
    VEX("shlx", MAP_0F38, 0x66, 0xF7, REG_GPR, V_NDS, 0),
    VEX("shrx", MAP_0F38, 0xF2, 0xF7, REG_GPR, V_NDS, 0),

    /* privileged at CPL 3: #GP(0) (or #UD where the SDM says so) */
    FIXED("hlt", 0, 0xF4), FIXED("cli", 0, 0xFA), FIXED("sti", 0, 0xFB),
    FIXED("clts", 0, 0x0F, 0x06), FIXED("invd", 0, 0x0F, 0x08), FIXED("wbinvd", 0, 0x0F, 0x09),
    FIXED("wbnoinvd", 0, 0xF3, 0x0F, 0x09),
    FIXED("wrmsr", 0, 0x0F, 0x30), FIXED("rdmsr", 0, 0x0F, 0x32),
    FIXED("swapgs", 0, 0x0F, 0x01, 0xF8), FIXED("xsetbv", 0, 0x0F, 0x01, 0xD1),
    FIXED("sysret", 0, 0x0F, 0x07), FIXED("sysretq", 0, 0x48, 0x0F, 0x07), FIXED("sysexit", 0, 0x0F, 0x35),
    FIXED("clac", 0, 0x0F, 0x01, 0xCA), FIXED("stac", 0, 0x0F, 0x01, 0xCB),
    FIXED("rsm", 0, 0x0F, 0xAA),
    FIXED("monitor", 0, 0x0F, 0x01, 0xC8), FIXED("mwait", 0, 0x0F, 0x01, 0xC9),
    FIXED("int3", 0, 0xCC), FIXED("int1", 0, 0xF1),
    { .name = "int_imm8", .op = 0xCD, .rm = RM_NONE, .osz = OS8, .imm = IMM_8, .flags = F_NOREX, .post = int_post },
    { .name = "in_a_imm8", .op = 0xE4, .rm = RM_NONE, .osz = OS8 | OS16 | OS32, .imm = IMM_8 },
    { .name = "out_imm8_a", .op = 0xE6, .rm = RM_NONE, .osz = OS8 | OS16 | OS32, .imm = IMM_8 },
    { .name = "in_a_dx", .op = 0xEC, .rm = RM_NONE, .osz = OS8 | OS16 | OS32 },
    { .name = "out_dx_a", .op = 0xEE, .rm = RM_NONE, .osz = OS8 | OS16 | OS32 },
    { .name = "ins", .op = 0x6C, .encode = enc_string, .arg = S_DST | S_IO, .deps = D_DF },
    { .name = "outs", .op = 0x6E, .encode = enc_string, .arg = S_SRC | S_IO, .deps = D_DF },
    { .name = "mov_r_cr", .map = MAP_0F, .op = 0x20, .reg = REG_GPR, .rm = RM_REG, .osz = OS64, .flags = F_DEF64 },
    { .name = "mov_cr_r", .map = MAP_0F, .op = 0x22, .reg = REG_GPR, .rm = RM_REG, .osz = OS64, .flags = F_DEF64 },
    { .name = "mov_r_dr", .map = MAP_0F, .op = 0x21, .reg = REG_GPR, .rm = RM_REG, .osz = OS64, .flags = F_DEF64 },
    { .name = "mov_dr_r", .map = MAP_0F, .op = 0x23, .reg = REG_GPR, .rm = RM_REG, .osz = OS64, .flags = F_DEF64 },
    { .name = "lgdt_m", .map = MAP_0F, .op = 0x01, .reg = 2, .rm = RM_MEM, .osz = OS64, .msize = 10, .flags = F_DEF64 },
    { .name = "lidt_m", .map = MAP_0F, .op = 0x01, .reg = 3, .rm = RM_MEM, .osz = OS64, .msize = 10, .flags = F_DEF64 },
    { .name = "lmsw_rm", .map = MAP_0F, .op = 0x01, .reg = 6, .rm = RM_BOTH, .osz = OS32, .msize = 2 },
    { .name = "invlpg_m", .map = MAP_0F, .op = 0x01, .reg = 7, .rm = RM_MEM, .osz = OS32, .msize = 1, .flags = F_NOACCESS },
    { .name = "invpcid_r_m", .map = MAP_0F38, .op = 0x82, .reg = REG_GPR, .rm = RM_MEM, .osz = OS64, .msize = 16,
      .mprefix = 0x66, .flags = F_DEF64 | F_NOACCESS },
    { .name = "lldt_rm", .map = MAP_0F, .op = 0x00, .reg = 2, .rm = RM_BOTH, .osz = OS32, .msize = 2 },
    { .name = "ltr_rm", .map = MAP_0F, .op = 0x00, .reg = 3, .rm = RM_BOTH, .osz = OS32, .msize = 2 },

    /* invalid in 64-bit mode, or undefined */
    { .name = "ud_1byte", .encode = enc_ud_list, .flags = F_INVALID | F_CS_SKIP,
      .bytes = (const uint8_t[]){ 19, 0x06, 0x07, 0x0E, 0x16, 0x17, 0x1E, 0x1F, 0x27, 0x2F, 0x37, 0x3F,
                                          0x60, 0x61, 0x82, 0x9A, 0xCE, 0xD4, 0xD5, 0xD6, 0xEA } },
    { .name = "ud_0f", .map = MAP_0F, .encode = enc_ud_list, .flags = F_INVALID | F_CS_SKIP,
      .bytes = (const uint8_t[]){ 14, 0x04, 0x0A, 0x0C, 0x0E, 0x0F, 0x24, 0x25, 0x26, 0x27, 0x36, 0x7A, 0xA6, 0xA7, 0xB8 } },
    /* The host decodes EVEX (AVX-512) and may fetch past these 8 bytes;
     * this CPU model has no EVEX, so keep the form away from the page end. */
    { .name = "ud_evex", .encode = enc_ud_evex, .flags = F_INVALID | F_NOEND },
    { .name = "ud_vex", .encode = enc_ud_vex, .flags = F_INVALID },
    FIXED("ud2", F_INVALID, 0x0F, 0x0B),
    { .name = "ud1", .map = MAP_0F, .op = 0xB9, .encode = enc_ud_digit, .arg = 0xFF, .flags = F_INVALID },
    { .name = "ud0", .map = MAP_0F, .op = 0xFF, .encode = enc_ud_digit, .arg = 0xFF, .flags = F_INVALID | F_CS_SKIP },
    { .name = "ud_grp_fe", .op = 0xFE, .encode = enc_ud_digit, .arg = 0xFC, .flags = F_INVALID },
    { .name = "ud_grp_ff", .op = 0xFF, .encode = enc_ud_digit, .arg = 0x80, .flags = F_INVALID },
    { .name = "ud_grp_c6", .op = 0xC6, .encode = enc_ud_digit, .arg = 0x7E, .flags = F_INVALID },
    { .name = "ud_grp_c7", .op = 0xC7, .encode = enc_ud_digit, .arg = 0x7E, .flags = F_INVALID },
    { .name = "ud_grp_8f", .op = 0x8F, .encode = enc_ud_digit, .arg = 0xFE, .flags = F_INVALID },
    { .name = "ud_grp_0fba", .map = MAP_0F, .op = 0xBA, .encode = enc_ud_digit, .arg = 0x0F, .flags = F_INVALID },
    { .name = "ud_mov_sreg", .op = 0x8E, .encode = enc_ud_digit, .arg = 0xC2, .flags = F_INVALID },
    { .name = "ud_grp_0f00", .map = MAP_0F, .op = 0x00, .encode = enc_ud_digit, .arg = 0xC0, .flags = F_INVALID },
    { .name = "ud_grp_0fc7", .map = MAP_0F, .op = 0xC7, .encode = enc_ud_digit, .arg = 0x05, .flags = F_INVALID },
};

const struct form_set gen_int_forms = { "gen_int.c", int_forms, sizeof int_forms / sizeof int_forms[0] };
