/* Near control transfers: Jcc, JMP, CALL, RET, LOOPcc, JrCXZ (SDM Vol.2).
 * Far transfers and interrupts live with the system instructions. */
#include "cond.h"
#include "ops.h"

static bool canonical(uint64_t a)
{
    return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

void branch_to(cpu_t *cpu, uint64_t target, unsigned opsz)
{
    if (cpu->code_mode == CM_64) {
        if (!canonical(target))
            cpu_gp0(cpu);
        cpu->r[R_RIP] = target;
        return;
    }
    target = opsz == 2 ? (uint16_t)target : (uint32_t)target;
    if (target > cpu->seg[SEG_CS].limit)
        cpu_gp0(cpu);
    cpu->r[R_RIP] = target;
}

/* 64-bit mode: operands are always 64-bit, no segment limit; one handler
 * per condition so the test folds to a few instructions. */
#define JCC64(C)                                                         \
    static void h_jcc64_##C(cpu_t *cpu, const insn_t *in)                \
    {                                                                    \
        if (cc_cond_fast(cpu, C))                                        \
            branch_to(cpu, cpu->r[R_RIP] + in->imm, 8);                  \
    }
JCC64(0) JCC64(1) JCC64(2) JCC64(3) JCC64(4) JCC64(5) JCC64(6) JCC64(7)
JCC64(8) JCC64(9) JCC64(10) JCC64(11) JCC64(12) JCC64(13) JCC64(14) JCC64(15)

static const insn_fn jcc64_fn[16] = {
    h_jcc64_0, h_jcc64_1, h_jcc64_2, h_jcc64_3, h_jcc64_4, h_jcc64_5, h_jcc64_6, h_jcc64_7,
    h_jcc64_8, h_jcc64_9, h_jcc64_10, h_jcc64_11, h_jcc64_12, h_jcc64_13, h_jcc64_14, h_jcc64_15,
};

static void h_jcc(cpu_t *cpu, const insn_t *in)
{
    if (cc_cond(cpu, in->op & 15))
        branch_to(cpu, cpu->r[R_RIP] + in->imm, in->opsz);
}

void sel_jcc(dctx_t *d, insn_t *in)
{
    in->fn = d->mode == CM_64 ? jcc64_fn[in->op & 15] : h_jcc;
}

static void h_jmp_rel(cpu_t *cpu, const insn_t *in)
{
    branch_to(cpu, cpu->r[R_RIP] + in->imm, in->opsz);
}

void sel_jmp(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = h_jmp_rel;
}

/* The return address is written before the target is checked: a #GP for
 * a bad target leaves RSP unchanged but the slot below it written, as the
 * host CPU does. */
static void call_to(cpu_t *cpu, uint64_t target, unsigned opsz)
{
    uint64_t ret = cpu->r[R_RIP];
    mmu_write(cpu, SEG_SS, stack_addr(cpu, -(int64_t)opsz), ret, opsz);
    branch_to(cpu, target, opsz);
    stack_adjust(cpu, -(int64_t)opsz);
}

static void h_call_rel(cpu_t *cpu, const insn_t *in)
{
    call_to(cpu, cpu->r[R_RIP] + in->imm, in->opsz);
}

void sel_call(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = h_call_rel;
}

static void h_jmp_ind(cpu_t *cpu, const insn_t *in)
{
    branch_to(cpu, rm_get(cpu, in, in->opsz), in->opsz);
}

static void h_call_ind(cpu_t *cpu, const insn_t *in)
{
    call_to(cpu, rm_get(cpu, in, in->opsz), in->opsz);
}

void branch_sel_indirect(dctx_t *d, insn_t *in)
{
    in->fn = d->regf == 2 ? h_call_ind : h_jmp_ind;
}

static void h_ret(cpu_t *cpu, const insn_t *in)
{
    unsigned n = in->opsz;
    uint64_t target = stack_peek(cpu, 0, n);
    branch_to(cpu, target, n);
    uint64_t rsp = cpu->r[R_RSP] + n + (uint16_t)in->imm;
    if (cpu->code_mode == CM_64)
        cpu->r[R_RSP] = rsp;
    else if (cpu->stack32)
        cpu->r[R_RSP] = (uint32_t)rsp;
    else
        cpu->r[R_RSP] = (cpu->r[R_RSP] & ~0xffffull) | (uint16_t)rsp;
}

static void h_ret64(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    uint64_t target = mmu_read64(cpu, SEG_SS, cpu->r[R_RSP]);
    branch_to(cpu, target, 8);
    cpu->r[R_RSP] += 8;
}

void sel_ret(dctx_t *d, insn_t *in)
{
    in->fn = (d->mode == CM_64 && in->op == 0xc3) ? h_ret64 : h_ret;
}

/* LOOP, LOOPE, LOOPNE decrement the count register of the address size
 * without touching flags; JrCXZ only tests it. */
static uint64_t count_reg(const cpu_t *cpu, const insn_t *in)
{
    uint64_t c = cpu->r[R_RCX];
    return in->adsz == 8 ? c : in->adsz == 4 ? (uint32_t)c : (uint16_t)c;
}

static void set_count(cpu_t *cpu, const insn_t *in, uint64_t v)
{
    if (in->adsz == 8)
        cpu->r[R_RCX] = v;
    else if (in->adsz == 4)
        cpu->r[R_RCX] = (uint32_t)v;
    else
        cpu->r[R_RCX] = (cpu->r[R_RCX] & ~0xffffull) | (uint16_t)v;
}

static void h_loop(cpu_t *cpu, const insn_t *in)
{
    uint64_t c = count_reg(cpu, in) - 1;
    uint64_t target = cpu->r[R_RIP] + in->imm;
    bool take;
    c &= size_mask(in->adsz);
    switch (in->op) {
    case 0xe0: take = c != 0 && !cc_cond(cpu, 4); break;   /* LOOPNE: ZF = 0 */
    case 0xe1: take = c != 0 && cc_cond(cpu, 4); break;    /* LOOPE: ZF = 1 */
    default: take = c != 0; break;
    }
    if (take)
        branch_to(cpu, target, in->opsz);
    set_count(cpu, in, c);
}

static void h_jrcxz(cpu_t *cpu, const insn_t *in)
{
    if (count_reg(cpu, in) == 0)
        branch_to(cpu, cpu->r[R_RIP] + in->imm, in->opsz);
}

void sel_loop(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = in->op == 0xe3 ? h_jrcxz : h_loop;
}
