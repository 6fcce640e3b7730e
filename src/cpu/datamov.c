/* Data movement: MOV in all forms, LEA, XCHG, PUSH/POP, conversions,
 * CMOVcc/SETcc, XADD, CMPXCHG(8B/16B), BSWAP, flag instructions, NOPs,
 * XLAT, ENTER/LEAVE (SDM Vol.2). */
#include "ops.h"
#include "xenemu/vmx.h"

/* ---- stack ---- */

void stack_push(cpu_t *cpu, uint64_t v, unsigned bytes)
{
    uint64_t rsp = cpu->r[R_RSP];
    if (cpu->code_mode == CM_64) {
        mmu_write(cpu, SEG_SS, rsp - bytes, v, bytes);
        cpu->r[R_RSP] = rsp - bytes;
    } else if (cpu->stack32) {
        uint32_t sp = (uint32_t)rsp - bytes;
        mmu_write(cpu, SEG_SS, sp, v, bytes);
        cpu->r[R_RSP] = sp;
    } else {
        uint16_t sp = (uint16_t)((uint16_t)rsp - bytes);
        mmu_write(cpu, SEG_SS, sp, v, bytes);
        cpu->r[R_RSP] = (rsp & ~0xffffull) | sp;
    }
}

uint64_t stack_addr(const cpu_t *cpu, int64_t offset)
{
    uint64_t rsp = cpu->r[R_RSP] + (uint64_t)offset;
    if (cpu->code_mode == CM_64)
        return rsp;
    return cpu->stack32 ? (uint32_t)rsp : (uint16_t)rsp;
}

uint64_t stack_peek(cpu_t *cpu, unsigned offset, unsigned bytes)
{
    return mmu_read(cpu, SEG_SS, stack_addr(cpu, offset), bytes);
}

void stack_adjust(cpu_t *cpu, int64_t delta)
{
    uint64_t rsp = cpu->r[R_RSP] + (uint64_t)delta;
    if (cpu->code_mode == CM_64)
        cpu->r[R_RSP] = rsp;
    else if (cpu->stack32)
        cpu->r[R_RSP] = (uint32_t)rsp;
    else
        cpu->r[R_RSP] = (cpu->r[R_RSP] & ~0xffffull) | (uint16_t)rsp;
}

uint64_t stack_pop(cpu_t *cpu, unsigned bytes)
{
    uint64_t v = stack_peek(cpu, 0, bytes);
    stack_adjust(cpu, bytes);
    return v;
}

/* ---- MOV ---- */

#define MOV_HANDLERS(BYTES)                                                           \
    static void mov_rr##BYTES(cpu_t *cpu, const insn_t *in)                           \
    {                                                                                 \
        gpr_set(cpu, in->rm, BYTES, gpr_get(cpu, in->reg, BYTES));                    \
    }                                                                                 \
    static void mov_load##BYTES(cpu_t *cpu, const insn_t *in)                         \
    {                                                                                 \
        gpr_set(cpu, in->reg, BYTES, mmu_read(cpu, in->seg, insn_ea(cpu, in), BYTES)); \
    }                                                                                 \
    static void mov_store##BYTES(cpu_t *cpu, const insn_t *in)                        \
    {                                                                                 \
        mmu_write(cpu, in->seg, insn_ea(cpu, in), gpr_get(cpu, in->reg, BYTES), BYTES); \
    }                                                                                 \
    static void mov_ri##BYTES(cpu_t *cpu, const insn_t *in)                           \
    {                                                                                 \
        gpr_set(cpu, in->rm, BYTES, in->imm);                                         \
    }                                                                                 \
    static void mov_mi##BYTES(cpu_t *cpu, const insn_t *in)                           \
    {                                                                                 \
        mmu_write(cpu, in->seg, insn_ea(cpu, in), in->imm, BYTES);                    \
    }                                                                                 \
    static void mov_moffs_load##BYTES(cpu_t *cpu, const insn_t *in)                   \
    {                                                                                 \
        gpr_set(cpu, R_RAX, BYTES, mmu_read(cpu, in->seg, in->imm, BYTES));           \
    }                                                                                 \
    static void mov_moffs_store##BYTES(cpu_t *cpu, const insn_t *in)                  \
    {                                                                                 \
        mmu_write(cpu, in->seg, in->imm, gpr_get(cpu, R_RAX, BYTES), BYTES);          \
    }

MOV_HANDLERS(1)
MOV_HANDLERS(2)
MOV_HANDLERS(4)
MOV_HANDLERS(8)

#define BY_SIZE(NAME) { NAME##1, NAME##2, NAME##4, NAME##8 }
static const insn_fn mov_rr[4] = BY_SIZE(mov_rr);
static const insn_fn mov_load[4] = BY_SIZE(mov_load);
static const insn_fn mov_store[4] = BY_SIZE(mov_store);
static const insn_fn mov_ri[4] = BY_SIZE(mov_ri);
static const insn_fn mov_mi[4] = BY_SIZE(mov_mi);
static const insn_fn mov_moffs_load[4] = BY_SIZE(mov_moffs_load);
static const insn_fn mov_moffs_store[4] = BY_SIZE(mov_moffs_store);

void sel_mov(dctx_t *d, insn_t *in)
{
    unsigned lg = opsz_log(in);
    bool mem = in->flags & INF_MEM;
    uint8_t op = in->op;
    if (op >= 0x88 && op <= 0x8b) {
        if (op <= 0x89) {
            in->fn = mem ? mov_store[lg] : mov_rr[lg];
        } else if (mem) {
            in->fn = mov_load[lg];
        } else {
            uint8_t t = in->rm;
            in->rm = in->reg;
            in->reg = t;
            in->fn = mov_rr[lg];
        }
    } else if (op >= 0xa0 && op <= 0xa3) {
        in->fn = op <= 0xa1 ? mov_moffs_load[lg] : mov_moffs_store[lg];
    } else if (op >= 0xb0 && op <= 0xbf) {
        in->fn = mov_ri[lg];
    } else {
        /* C6/C7 group 11: only /0 is MOV. */
        if (d->regf != 0) {
            in->fn = insn_ud;
            return;
        }
        in->fn = mem ? mov_mi[lg] : mov_ri[lg];
    }
}

/* MOV r/m, Sreg stores 16 bits to memory, zero-extends into a register. */
static void h_mov_from_sreg(cpu_t *cpu, const insn_t *in)
{
    uint16_t sel = cpu->seg[in->aux].sel;
    if (in->flags & INF_MEM)
        mmu_write16(cpu, in->seg, insn_ea(cpu, in), sel);
    else
        gpr_set(cpu, in->rm, in->opsz == 2 ? 2 : in->opsz, sel);
}

/* MOV SS and POP SS block interrupts and debug traps until the next
 * instruction retires (SDM Vol.3A §6.8.3). */
static void ss_shadow(cpu_t *cpu)
{
    cpu->irq_shadow_end = cpu->db_shadow_end = cpu_retired(cpu) + 2;
}

static void h_mov_to_sreg(cpu_t *cpu, const insn_t *in)
{
    uint16_t sel = (uint16_t)rm_get(cpu, in, 2);
    seg_load(cpu, in->aux, sel);
    if (in->aux == SEG_SS)
        ss_shadow(cpu);
    cpu_stop_after(cpu);
}

void sel_mov_sreg(dctx_t *d, insn_t *in)
{
    unsigned s = d->regf;
    if (s > SEG_GS || (in->op == 0x8e && s == SEG_CS)) {
        in->fn = insn_ud;
        return;
    }
    in->aux = (uint8_t)s;
    in->fn = in->op == 0x8c ? h_mov_from_sreg : h_mov_to_sreg;
}

/* ---- LEA ---- */

static void h_lea(cpu_t *cpu, const insn_t *in)
{
    gpr_set(cpu, in->reg, in->opsz, insn_ea(cpu, in));
}

/* The common 64-bit-address forms. */
static void h_lea64(cpu_t *cpu, const insn_t *in)
{
    cpu->r[in->reg] = cpu->r[in->base] + (cpu->r[in->index] << in->scale) + (uint64_t)(int64_t)in->disp;
}

static void h_lea32(cpu_t *cpu, const insn_t *in)
{
    cpu->r[in->reg] = (uint32_t)(cpu->r[in->base] + (cpu->r[in->index] << in->scale) + (uint64_t)(int64_t)in->disp);
}

void sel_lea(dctx_t *d, insn_t *in)
{
    (void)d;
    if (!(in->flags & INF_MEM))
        in->fn = insn_ud;
    else if (in->adsz == 8 && in->opsz == 8)
        in->fn = h_lea64;
    else if (in->adsz >= 4 && in->opsz == 4)
        in->fn = h_lea32;
    else
        in->fn = h_lea;
}

/* ---- XCHG and NOP ---- */

static void h_xchg_rr(cpu_t *cpu, const insn_t *in)
{
    uint64_t a = gpr_get(cpu, in->rm, in->opsz), b = gpr_get(cpu, in->reg, in->opsz);
    gpr_set(cpu, in->rm, in->opsz, b);
    gpr_set(cpu, in->reg, in->opsz, a);
}

static void h_xchg_mr(cpu_t *cpu, const insn_t *in)
{
    uint64_t ea = insn_ea(cpu, in);
    uint64_t a = mmu_rmw_read(cpu, in->seg, ea, in->opsz);
    mmu_write(cpu, in->seg, ea, gpr_get(cpu, in->reg, in->opsz), in->opsz);
    gpr_set(cpu, in->reg, in->opsz, a);
}

static void h_nop(cpu_t *cpu, const insn_t *in)
{
    (void)cpu;
    (void)in;
}

/* PAUSE (F3 90): a NOP, or a VM exit under "PAUSE exiting" (SDM Vol.3C §26.1.3). */
static void h_pause(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    if (vmx_nonroot(cpu))
        vmx_intercept(cpu, VEV_PAUSE, 0);
}

void sel_xchg(dctx_t *d, insn_t *in)
{
    if (in->op >= 0x90) {
        /* 90 is NOP (also with F3: PAUSE), except REX.B makes it XCHG R8. */
        if (in->rm == R_RAX) {
            in->fn = d->rep == 0xf3 ? h_pause : h_nop;
            return;
        }
        in->reg = R_RAX;
        in->fn = h_xchg_rr;
        return;
    }
    (void)d;
    in->fn = (in->flags & INF_MEM) ? h_xchg_mr : h_xchg_rr;
}

/* 0F 0D, 0F 18-1F: prefetch hints and reserved NOPs; they never access
 * memory. 0F 0D and 0F 18 need a memory operand. */
void sel_nop(dctx_t *d, insn_t *in)
{
    (void)d;
    bool mem = in->flags & INF_MEM;
    if ((in->map == MAP_0F && (in->op == 0x0d || (in->op == 0x18 && d->regf < 4))) && !mem) {
        in->fn = insn_ud;
        return;
    }
    if (in->map == MAP_0F && in->op == 0x0d && d->regf > 1 && mem) {
        in->fn = h_nop;   /* reserved prefetch forms act as NOP on Intel */
        return;
    }
    in->fn = h_nop;
}

/* ---- PUSH / POP ---- */

static void h_push_r(cpu_t *cpu, const insn_t *in)
{
    stack_push(cpu, gpr_get(cpu, in->rm, in->opsz), in->opsz);
}

static void h_push_r64(cpu_t *cpu, const insn_t *in)
{
    uint64_t rsp = cpu->r[R_RSP] - 8;
    mmu_write64(cpu, SEG_SS, rsp, cpu->r[in->rm]);
    cpu->r[R_RSP] = rsp;
}

static void h_push_imm(cpu_t *cpu, const insn_t *in)
{
    stack_push(cpu, in->imm, in->opsz);
}

static void h_push_rm(cpu_t *cpu, const insn_t *in)
{
    stack_push(cpu, rm_get(cpu, in, in->opsz), in->opsz);
}

void sel_push(dctx_t *d, insn_t *in)
{
    if (in->op >= 0x50 && in->op <= 0x57)
        in->fn = (d->mode == CM_64 && in->opsz == 8) ? h_push_r64 : h_push_r;
    else if (in->op == 0x68 || in->op == 0x6a)
        in->fn = h_push_imm;
    else
        in->fn = h_push_rm;
}

static void h_pop_r(cpu_t *cpu, const insn_t *in)
{
    uint64_t v = stack_pop(cpu, in->opsz);
    gpr_set(cpu, in->rm, in->opsz, v);
}

static void h_pop_r64(cpu_t *cpu, const insn_t *in)
{
    uint64_t v = mmu_read64(cpu, SEG_SS, cpu->r[R_RSP]);
    cpu->r[R_RSP] += 8;
    cpu->r[in->rm] = v;
}

/* POP r/m computes a RSP-based address after the increment (SDM Vol.2 POP);
 * memory is written before RSP changes so a fault leaves RSP as it was. */
static void h_pop_m(cpu_t *cpu, const insn_t *in)
{
    uint64_t v = stack_peek(cpu, 0, in->opsz);
    uint64_t old = cpu->r[R_RSP];
    stack_adjust(cpu, in->opsz);
    uint64_t ea = insn_ea(cpu, in);
    cpu->r[R_RSP] = old;
    mmu_write(cpu, in->seg, ea, v, in->opsz);
    stack_adjust(cpu, in->opsz);
}

void sel_pop(dctx_t *d, insn_t *in)
{
    if (in->op == 0x8f) {
        if (d->regf != 0) {
            in->fn = insn_ud;
            return;
        }
        in->fn = (in->flags & INF_MEM) ? h_pop_m : h_pop_r;
        return;
    }
    in->fn = (d->mode == CM_64 && in->opsz == 8) ? h_pop_r64 : h_pop_r;
}

static int sreg_of(const insn_t *in)
{
    if (in->map == MAP_0F)
        return (in->op & 8) ? SEG_GS : SEG_FS;
    return (in->op >> 3) & 3;
}

/* PUSH Sreg with a 32-bit operand: current Intel processors write only the
 * 16-bit selector and leave the rest of the slot (SDM Vol.2 PUSH); a 64-bit
 * push writes the zero-extended selector (as the host CPU does). */
static void h_push_sreg(cpu_t *cpu, const insn_t *in)
{
    uint16_t sel = cpu->seg[in->aux].sel;
    unsigned n = in->opsz;
    if (n != 4) {
        stack_push(cpu, sel, n);
        return;
    }
    uint64_t ea = stack_addr(cpu, -(int64_t)n);
    mmu_probe_write(cpu, SEG_SS, ea, n);
    mmu_write16(cpu, SEG_SS, ea, sel);
    stack_adjust(cpu, -(int64_t)n);
}

static void h_pop_sreg(cpu_t *cpu, const insn_t *in)
{
    uint16_t sel = (uint16_t)stack_peek(cpu, 0, 2);
    seg_load(cpu, in->aux, sel);
    stack_adjust(cpu, in->opsz);
    if (in->aux == SEG_SS) {
        ss_shadow(cpu);
        cpu_stop_after(cpu);
    }
}

void sel_push_sreg(dctx_t *d, insn_t *in)
{
    (void)d;
    in->aux = (uint8_t)sreg_of(in);
    in->fn = h_push_sreg;
}

void sel_pop_sreg(dctx_t *d, insn_t *in)
{
    (void)d;
    in->aux = (uint8_t)sreg_of(in);
    in->fn = h_pop_sreg;
}

/* PUSHA/POPA (16/32-bit modes). POPA skips the saved SP. */
static void h_pusha(cpu_t *cpu, const insn_t *in)
{
    unsigned n = in->opsz;
    uint64_t sp = cpu->r[R_RSP];
    mmu_probe_write(cpu, SEG_SS, (cpu->stack32 ? (uint32_t)(sp - 8 * n) : (uint16_t)(sp - 8 * n)), 8 * n);
    for (int r = R_RAX; r <= R_RDI; r++)
        stack_push(cpu, r == R_RSP ? sp : cpu->r[r], n);
}

static void h_popa(cpu_t *cpu, const insn_t *in)
{
    unsigned n = in->opsz;
    uint64_t v[8];
    for (int i = 0; i < 8; i++)
        v[7 - i] = stack_peek(cpu, i * n, n);
    for (int r = R_RAX; r <= R_RDI; r++)
        if (r != R_RSP)
            gpr_set(cpu, (uint8_t)r, n, v[r]);
    stack_adjust(cpu, 8 * n);
}

void sel_pusha(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = in->op == 0x60 ? h_pusha : h_popa;
}

/* ---- CBW/CWDE/CDQE, CWD/CDQ/CQO ---- */

static void h_cbw(cpu_t *cpu, const insn_t *in)
{
    unsigned n = in->opsz;
    gpr_set(cpu, R_RAX, n, (uint64_t)sext(cpu->r[R_RAX], n / 2));
}

static void h_cwd(cpu_t *cpu, const insn_t *in)
{
    unsigned n = in->opsz;
    bool neg = sext(cpu->r[R_RAX], n) < 0;
    gpr_set(cpu, R_RDX, n, neg ? ~0ull : 0);
}

void sel_convert(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = in->op == 0x98 ? h_cbw : h_cwd;
}

/* ---- flag instructions ---- */

static void h_sahf(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    uint32_t ah = (uint32_t)(cpu->r[R_RAX] >> 8) & 0xff;
    cc_write(cpu, F_CF | F_PF | F_AF | F_ZF | F_SF, ah);
}

static void h_lahf(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    uint8_t f = (uint8_t)(cpu_get_rflags(cpu) & 0xd5) | 2;
    cpu->r[R_RAX] = (cpu->r[R_RAX] & ~0xff00ull) | ((uint64_t)f << 8);
}

static void h_cmc(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    cc_materialize(cpu);
    cpu->rflags ^= F_CF;
}

static void h_clc(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    cc_write(cpu, F_CF, 0);
}

static void h_stc(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    cc_write(cpu, F_CF, F_CF);
}

static void h_cld(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    cpu->rflags &= ~(uint64_t)F_DF;
}

static void h_std(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    cpu->rflags |= F_DF;
}

void sel_flagops(dctx_t *d, insn_t *in)
{
    (void)d;
    switch (in->op) {
    case 0x9e: in->fn = h_sahf; break;
    case 0x9f: in->fn = h_lahf; break;
    case 0xf5: in->fn = h_cmc; break;
    case 0xf8: in->fn = h_clc; break;
    case 0xf9: in->fn = h_stc; break;
    case 0xfc: in->fn = h_cld; break;
    default: in->fn = h_std; break;
    }
}

/* ---- PUSHF / POPF (SDM Vol.2 PUSHF, POPF) ---- */

static unsigned iopl(const cpu_t *cpu)
{
    return (unsigned)(cpu->rflags >> 12) & 3;
}

static void h_pushf(cpu_t *cpu, const insn_t *in)
{
    if ((cpu->rflags & F_VM) && iopl(cpu) < 3)
        cpu_gp0(cpu);
    uint64_t f = cpu_get_rflags(cpu) & ~(uint64_t)(F_VM | F_RF);
    stack_push(cpu, f, in->opsz);
}

static void h_popf(cpu_t *cpu, const insn_t *in)
{
    if ((cpu->rflags & F_VM) && iopl(cpu) < 3)
        cpu_gp0(cpu);
    uint64_t v = stack_peek(cpu, 0, in->opsz);
    uint64_t mask = F_ARITH | F_TF | F_DF | F_NT;
    if (in->opsz > 2)
        mask |= F_AC | F_ID;
    if (!(cpu->cr0 & CR0_PE) || cpu->cpl == 0)
        mask |= F_IOPL | F_IF;
    else if (cpu->cpl <= iopl(cpu))
        mask |= F_IF;
    if (cpu->rflags & F_VM)
        mask = (mask | F_IF) & ~(uint64_t)F_IOPL;
    stack_adjust(cpu, in->opsz);
    uint64_t cur = cpu_get_rflags(cpu);
    cpu_set_rflags(cpu, ((cur & ~mask) | (v & mask)) & ~(uint64_t)F_RF);
    cpu_update_mode(cpu);     /* AC may switch alignment checking on */
}

void sel_pushf(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = in->op == 0x9c ? h_pushf : h_popf;
}

/* ---- MOVZX, MOVSX, MOVSXD ---- */

/* One handler per source width, register or memory, and destination size. */
#define MOVX(NAME, SRCB, CAST, DSTB)                                                        \
    static void NAME##_r##DSTB(cpu_t *cpu, const insn_t *in)                                \
    {                                                                                       \
        gpr_set(cpu, in->reg, DSTB, (uint64_t)(CAST)gpr_get(cpu, in->rm, SRCB));            \
    }                                                                                       \
    static void NAME##_m##DSTB(cpu_t *cpu, const insn_t *in)                                \
    {                                                                                       \
        gpr_set(cpu, in->reg, DSTB, (uint64_t)(CAST)mmu_read(cpu, in->seg, insn_ea(cpu, in), SRCB)); \
    }
#define MOVX_SIZES(NAME, SRCB, CAST) MOVX(NAME, SRCB, CAST, 2) MOVX(NAME, SRCB, CAST, 4) MOVX(NAME, SRCB, CAST, 8)
MOVX_SIZES(movzx8, 1, uint8_t)
MOVX_SIZES(movzx16, 2, uint16_t)
MOVX_SIZES(movsx8, 1, int8_t)
MOVX_SIZES(movsx16, 2, int16_t)
MOVX(movsxd, 4, int32_t, 8)

#define MOVX_TABLE(NAME) { { NAME##_r2, NAME##_r4, NAME##_r8 }, { NAME##_m2, NAME##_m4, NAME##_m8 } }
static const insn_fn movzx8_fn[2][3] = MOVX_TABLE(movzx8);
static const insn_fn movzx16_fn[2][3] = MOVX_TABLE(movzx16);
static const insn_fn movsx8_fn[2][3] = MOVX_TABLE(movsx8);
static const insn_fn movsx16_fn[2][3] = MOVX_TABLE(movsx16);

/* 63 without REX.W moves r/m of the operand size unchanged. */
static void h_movsxd_narrow(cpu_t *cpu, const insn_t *in)
{
    gpr_set(cpu, in->reg, in->opsz, rm_get(cpu, in, in->opsz));
}

void sel_movx(dctx_t *d, insn_t *in)
{
    if (in->map == MAP_1B) {
        if (d->mode != CM_64) {
            sel_bound_arpl(d, in);
            return;
        }
        bool mem = in->flags & INF_MEM;
        in->fn = in->opsz == 8 ? (mem ? movsxd_m8 : movsxd_r8) : h_movsxd_narrow;
        return;
    }
    unsigned form = (in->flags & INF_MEM) ? 1 : 0, size = opsz_log(in) - 1;
    switch (in->op) {
    case 0xb6: in->fn = movzx8_fn[form][size]; break;
    case 0xb7: in->fn = movzx16_fn[form][size]; break;
    case 0xbe: in->fn = movsx8_fn[form][size]; break;
    default: in->fn = movsx16_fn[form][size]; break;
    }
}

/* ---- CMOVcc, SETcc ---- */

/* The source is always read; a 32-bit destination is zero-extended even
 * when the condition is false (SDM Vol.2 CMOVcc, 64-bit mode). */
static void h_cmov(cpu_t *cpu, const insn_t *in)
{
    uint64_t v = rm_get(cpu, in, in->opsz);
    if (cc_cond(cpu, in->op & 15))
        gpr_set(cpu, in->reg, in->opsz, v);
    else if (in->opsz == 4)
        cpu->r[in->reg] = (uint32_t)cpu->r[in->reg];
}

void sel_cmov(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = h_cmov;
}

static void h_setcc(cpu_t *cpu, const insn_t *in)
{
    rm_set(cpu, in, 1, cc_cond(cpu, in->op & 15));
}

void sel_setcc(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = h_setcc;
}

/* ---- XADD, CMPXCHG ---- */

static void h_xadd(cpu_t *cpu, const insn_t *in)
{
    unsigned n = in->opsz;
    uint64_t src = gpr_get(cpu, in->reg, n);
    if (in->flags & INF_MEM) {
        uint64_t ea = insn_ea(cpu, in);
        uint64_t dst = mmu_rmw_read(cpu, in->seg, ea, n);
        uint64_t sum = dst + src;
        mmu_write(cpu, in->seg, ea, sum, n);
        gpr_set(cpu, in->reg, n, dst);
        cc_set(cpu, CC_ADD + opsz_log(in), sum, src);
        return;
    }
    uint64_t dst = gpr_get(cpu, in->rm, n);
    uint64_t sum = dst + src;
    gpr_set(cpu, in->reg, n, dst);
    gpr_set(cpu, in->rm, n, sum);
    cc_set(cpu, CC_ADD + opsz_log(in), sum, src);
}

void sel_xadd(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = h_xadd;
}

/* The destination is written even when the comparison fails (with its own
 * value), so a read-only page faults either way (SDM Vol.2 CMPXCHG). */
static void h_cmpxchg(cpu_t *cpu, const insn_t *in)
{
    unsigned n = in->opsz;
    uint64_t acc = gpr_get(cpu, R_RAX, n);
    uint64_t ea = 0, dst;
    if (in->flags & INF_MEM) {
        ea = insn_ea(cpu, in);
        dst = mmu_rmw_read(cpu, in->seg, ea, n);
    } else {
        dst = gpr_get(cpu, in->rm, n);
    }
    bool eq = ((acc - dst) & size_mask(n)) == 0;
    if (in->flags & INF_MEM)
        mmu_write(cpu, in->seg, ea, eq ? gpr_get(cpu, in->reg, n) : dst, n);
    else if (eq)
        gpr_set(cpu, in->rm, n, gpr_get(cpu, in->reg, n));
    if (!eq)
        gpr_set(cpu, R_RAX, n, dst);
    cc_set(cpu, CC_SUB + opsz_log(in), acc - dst, dst);
}

void sel_cmpxchg(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = h_cmpxchg;
}

static void h_cmpxchg8b(cpu_t *cpu, const insn_t *in)
{
    uint64_t ea = insn_ea(cpu, in);
    uint64_t m = mmu_rmw_read64(cpu, in->seg, ea);
    uint64_t cmp = (uint32_t)cpu->r[R_RAX] | (cpu->r[R_RDX] << 32);
    bool eq = m == cmp;
    uint64_t nv = eq ? ((uint32_t)cpu->r[R_RBX] | (cpu->r[R_RCX] << 32)) : m;
    mmu_write64(cpu, in->seg, ea, nv);
    if (!eq) {
        cpu->r[R_RAX] = (uint32_t)m;
        cpu->r[R_RDX] = m >> 32;
    }
    cc_write(cpu, F_ZF, eq ? F_ZF : 0);
}

static void h_cmpxchg16b(cpu_t *cpu, const insn_t *in)
{
    uint64_t ea = insn_ea(cpu, in);
    if (mmu_misaligned(cpu, in->seg, ea, 16))
        cpu_gp0(cpu);
    uint64_t q[2];
    mmu_probe_write(cpu, in->seg, ea, 16);      /* RMW: faults report a write */
    mmu_read128(cpu, in->seg, ea, q, true);
    bool eq = q[0] == cpu->r[R_RAX] && q[1] == cpu->r[R_RDX];
    uint64_t nv[2] = { cpu->r[R_RBX], cpu->r[R_RCX] };
    mmu_write128(cpu, in->seg, ea, eq ? nv : q, true);
    if (!eq) {
        cpu->r[R_RAX] = q[0];
        cpu->r[R_RDX] = q[1];
    }
    cc_write(cpu, F_ZF, eq ? F_ZF : 0);
}

/* 0F C7: /1 CMPXCHG8B/16B; the VMX and random-number forms are not in this
 * CPU model's CPUID and raise #UD. */
void sel_grp9(dctx_t *d, insn_t *in)
{
    bool mem = in->flags & INF_MEM;
    if (d->regf == 1 && mem && !d->opsz_pfx && !d->rep) {
        in->fn = (d->rex & 8) ? h_cmpxchg16b : h_cmpxchg8b;
        return;
    }
    if ((in->flags & INF_LOCK) || !mem) {
        in->fn = insn_ud;
        return;
    }
    if (d->regf >= 6) {
        sel_vmx_grp9(d, in);          /* VMPTRLD, VMCLEAR, VMXON, VMPTRST (src/vmx) */
        return;
    }
    in->fn = insn_ud;
}

/* ---- BSWAP (16-bit form is undefined; Intel clears the word) ---- */

static void h_bswap(cpu_t *cpu, const insn_t *in)
{
    if (in->opsz == 8)
        cpu->r[in->rm] = __builtin_bswap64(cpu->r[in->rm]);
    else if (in->opsz == 4)
        cpu->r[in->rm] = __builtin_bswap32((uint32_t)cpu->r[in->rm]);
    else
        gpr_set(cpu, in->rm, 2, 0);
}

void sel_bswap(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = h_bswap;
}

/* ---- XLAT ---- */

static void h_xlat(cpu_t *cpu, const insn_t *in)
{
    uint64_t ea = cpu->r[R_RBX] + (cpu->r[R_RAX] & 0xff);
    ea = in->adsz == 8 ? ea : in->adsz == 4 ? (uint32_t)ea : (uint16_t)ea;
    gpr_set(cpu, 0, 1, mmu_read8(cpu, in->seg, ea));
}

void sel_xlat(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = h_xlat;
}

/* ---- ENTER / LEAVE (SDM Vol.2 ENTER, nesting levels mod 32) ---- */

static uint64_t stack_wrap(const cpu_t *cpu, uint64_t a)
{
    if (cpu->code_mode == CM_64)
        return a;
    return cpu->stack32 ? (uint32_t)a : (uint16_t)a;
}

/* Registers change only once every access has succeeded. */
static void h_enter(cpu_t *cpu, const insn_t *in)
{
    unsigned n = in->opsz;
    unsigned size = (uint16_t)in->imm, level = in->imm2 & 31;
    uint64_t sp = cpu->r[R_RSP], bp = cpu->r[R_RBP];
    sp -= n;
    mmu_write(cpu, SEG_SS, stack_wrap(cpu, sp), bp, n);
    uint64_t frame = sp;
    for (unsigned i = 1; i < level; i++) {
        uint64_t v = mmu_read(cpu, SEG_SS, stack_wrap(cpu, bp - (uint64_t)i * n), n);
        sp -= n;
        mmu_write(cpu, SEG_SS, stack_wrap(cpu, sp), v, n);
    }
    if (level) {
        sp -= n;
        mmu_write(cpu, SEG_SS, stack_wrap(cpu, sp), frame, n);
    }
    sp -= size;
    /* The hardware then checks the final stack position: a fault there
     * keeps the frame already written but no register (as the host CPU). */
    if (size)
        mmu_probe_write(cpu, SEG_SS, stack_wrap(cpu, sp), 1);
    gpr_set(cpu, R_RBP, n, frame);
    if (cpu->code_mode == CM_64 || cpu->stack32)
        cpu->r[R_RSP] = stack_wrap(cpu, sp);
    else
        cpu->r[R_RSP] = (cpu->r[R_RSP] & ~0xffffull) | (uint16_t)sp;
}

static void h_leave(cpu_t *cpu, const insn_t *in)
{
    unsigned n = in->opsz;
    uint64_t bp = cpu->r[R_RBP];
    uint64_t addr = cpu->code_mode == CM_64 ? bp : cpu->stack32 ? (uint32_t)bp : (uint16_t)bp;
    uint64_t v = mmu_read(cpu, SEG_SS, addr, n);
    if (cpu->code_mode == CM_64)
        cpu->r[R_RSP] = bp + n;
    else if (cpu->stack32)
        cpu->r[R_RSP] = (uint32_t)(bp + n);
    else
        cpu->r[R_RSP] = (cpu->r[R_RSP] & ~0xffffull) | (uint16_t)(bp + n);
    gpr_set(cpu, R_RBP, n, v);
}

void sel_enter_leave(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = in->op == 0xc8 ? h_enter : h_leave;
}
