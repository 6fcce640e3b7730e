/* Far control transfers: JMP/CALL ptr and m16:16/32/64, RET far, IRET
 * (SDM Vol.2 JMP, CALL, RET, IRET; Vol.3A §5.8). Every check and every
 * read happens before anything changes; stack writes are probed whole. */
#include "system.h"
#include "xenemu/vmx.h"

/* A target offset in the new code segment: canonical for 64-bit code,
 * else within the limit (SDM Vol.2 JMP, "#GP(0)"). */
static bool target_ok(const cpu_t *cpu, const seg_t *cs, uint64_t off)
{
    if (cpu_lma(cpu) && (cs->attr & SEGA_L))
        return is_canonical(off);
    return off <= cs->limit;
}

static uint64_t trunc_op(uint64_t v, unsigned opsz)
{
    return opsz == 8 ? v : opsz == 4 ? (uint32_t)v : (uint16_t)v;
}

/* Install CS from a descriptor with RPL = rpl; d already marked accessed. */
static void set_cs(cpu_t *cpu, uint64_t d, uint16_t sel, unsigned rpl)
{
    seg_t cs;
    desc_to_seg(d, (uint16_t)((sel & ~3u) | rpl), &cs);
    seg_set(cpu, SEG_CS, &cs);
}

/* ---- JMP/CALL far ---- */

/* Real mode and VM86: CS = selector, base = selector << 4. */
static void far_real(cpu_t *cpu, uint16_t sel, uint64_t off, unsigned opsz, bool call)
{
    frame_t f;
    if (off > cpu->seg[SEG_CS].limit)
        cpu_gp0(cpu);
    if (call) {
        frame_init_current(cpu, &f, 0);
        frame_push(&f, cpu->seg[SEG_CS].sel, opsz);
        frame_push(&f, cpu->r[R_RIP], opsz);
        frame_write(cpu, &f);
        cpu->r[R_RSP] = frame_sp(&f);
    }
    seg_set_real(cpu, SEG_CS, sel);
    cpu->r[R_RIP] = off;
    cpu_update_mode(cpu);
}

/* Directly to a code segment at the same privilege (SDM Vol.3A §5.8.1). */
static void far_code(cpu_t *cpu, uint16_t sel, uint64_t d, uint64_t off, unsigned opsz, bool call)
{
    unsigned cpl = cpu->cpl, dpl = desc_dpl(d);
    if (desc_conforming(d) ? dpl > cpl : ((sel & 3u) > cpl || dpl != cpl))
        raise_sel(cpu, EXC_GP, sel);
    if (!desc_p(d))
        raise_sel(cpu, EXC_NP, sel);
    if (cpu_lma(cpu) && desc_l(d) && desc_db(d))
        raise_sel(cpu, EXC_GP, sel);
    seg_t cs;
    desc_to_seg(d, sel, &cs);
    /* The return frame is written before the offset is checked: a #GP for
     * a bad target leaves the frame in memory but RSP unchanged, as the
     * host CPU does for a far CALL. */
    frame_t f;
    if (call) {
        frame_init_current(cpu, &f, 0);
        f.in_order = true;
        frame_push(&f, cpu->seg[SEG_CS].sel, opsz);
        frame_push(&f, trunc_op(cpu->r[R_RIP], opsz), opsz);
        frame_write(cpu, &f);
    }
    if (!target_ok(cpu, &cs, off))
        cpu_gp0(cpu);
    desc_set_accessed(cpu, sel, &d);
    if (call)
        cpu->r[R_RSP] = frame_sp(&f);
    set_cs(cpu, d, sel, cpl);
    cpu->r[R_RIP] = off;
    cpu_update_mode(cpu);
}

/* ---- call gates (SDM Vol.3A §5.8.3-5.8.6; Vol.2 CALL, JMP) ---- */

typedef struct gate {
    uint16_t sel;         /* the gate's own selector */
    uint16_t target;      /* code-segment selector in the gate */
    uint64_t off;
    unsigned size;        /* 2, 4 or 8: pushes and parameter size */
    unsigned params;      /* parameter count (16/32-bit gates) */
} gate_t;

/* Read and check the gate itself; fills g. */
static void gate_read(cpu_t *cpu, uint16_t sel, uint64_t d, gate_t *g)
{
    unsigned dpl = desc_dpl(d);
    if (dpl < cpu->cpl || dpl < (sel & 3u))
        raise_sel(cpu, EXC_GP, sel);
    if (!desc_p(d))
        raise_sel(cpu, EXC_NP, sel);
    g->sel = sel;
    g->target = (uint16_t)(d >> 16);
    g->params = (unsigned)(d >> 32) & 31;
    if (desc_type(d) == ST_CALL16) {
        g->size = 2;
        g->off = d & 0xffff;
        return;
    }
    g->off = (d & 0xffff) | ((d >> 32) & 0xffff0000);
    g->size = 4;
    if (cpu_lma(cpu)) {
        uint64_t hi;
        /* 16-byte gate; the upper type field must be 0 (SDM Vol.3A §5.8.3.1). */
        if (!desc_fetch_hi(cpu, sel, &hi) || ((hi >> 40) & 0x1f) != 0)
            raise_sel(cpu, EXC_GP, sel);
        g->off |= (hi & 0xffffffffull) << 32;
        g->size = 8;
        g->params = 0;
    }
}

/* The code segment a gate names. */
static void gate_target(cpu_t *cpu, const gate_t *g, bool call, uint64_t *d)
{
    uint16_t t = g->target;
    if (sel_null(t))
        cpu_gp0(cpu);
    if (!desc_fetch(cpu, t, d) || !desc_code(*d) || desc_dpl(*d) > cpu->cpl)
        raise_sel(cpu, EXC_GP, t);
    if (!call && !desc_conforming(*d) && desc_dpl(*d) != cpu->cpl)
        raise_sel(cpu, EXC_GP, t);
    if (!desc_p(*d))
        raise_sel(cpu, EXC_NP, t);
    if (cpu_lma(cpu) && (!desc_l(*d) || desc_db(*d)))
        raise_sel(cpu, EXC_GP, t);
}

/* The inner stack of a CALL to more privilege: SS:SP from the TSS with
 * its checks (#TS), then the parameters copied from the caller's stack. */
static void gate_inner_frame(cpu_t *cpu, const gate_t *g, unsigned dpl, frame_t *f, seg_t *ss, uint64_t *ssd)
{
    unsigned n = g->size;
    uint16_t nss;
    uint64_t nsp;
    if (n == 8) {
        nsp = tss_stack64(cpu, dpl, 0, 0);
        nss = (uint16_t)dpl;
        *ss = (seg_t){ .sel = nss, .attr = SEGA_UNUSABLE | (dpl << SEGA_DPL_SHIFT) };
        frame_init(f, ss, nsp, 8, false, 0);
    } else {
        tss_stack32(cpu, dpl, 0, &nss, &nsp);
        if (sel_null(nss))
            cpu_raise_err(cpu, EXC_TS, 0);
        if (!desc_fetch(cpu, nss, ssd) || (nss & 3u) != dpl || desc_dpl(*ssd) != dpl || !desc_writable_data(*ssd))
            raise_sel(cpu, EXC_TS, nss);
        if (!desc_p(*ssd))
            raise_sel(cpu, EXC_SS, nss);
        desc_to_seg(*ssd, nss, ss);
        frame_init(f, ss, nsp, (ss->attr & SEGA_DB) ? 4 : 2, false, sel_err(nss));
    }
    frame_push(f, cpu->seg[SEG_SS].sel, n);
    frame_push(f, cpu->r[R_RSP], n);
    for (unsigned i = g->params; i-- > 0;)
        frame_push(f, stack_peek(cpu, i * n, n), n);
    frame_push(f, cpu->seg[SEG_CS].sel, n);
    frame_push(f, trunc_op(cpu->r[R_RIP], n), n);
}

static void far_gate(cpu_t *cpu, uint16_t sel, uint64_t gd, bool call)
{
    gate_t g;
    uint64_t d, ssd = 0;
    gate_read(cpu, sel, gd, &g);
    gate_target(cpu, &g, call, &d);
    unsigned dpl = desc_dpl(d), cpl = cpu->cpl;
    bool inner = call && !desc_conforming(d) && dpl < cpl;
    unsigned new_cpl = inner ? dpl : cpl;
    seg_t cs, ss;
    desc_to_seg(d, g.target, &cs);
    uint64_t off = trunc_op(g.off, g.size);
    /* The new stack's checks (#TS, #SS) and its room (#SS) come before
     * the gate's EIP is checked against the code limit (SDM Vol.2A CALL,
     * MORE-PRIVILEGE and SAME-PRIVILEGE under CALL-GATE). */
    frame_t f;
    if (inner) {
        gate_inner_frame(cpu, &g, dpl, &f, &ss, &ssd);
        frame_check_room(cpu, &f);
    } else if (call) {
        frame_init_current(cpu, &f, 0);
        frame_push(&f, cpu->seg[SEG_CS].sel, g.size);
        frame_push(&f, trunc_op(cpu->r[R_RIP], g.size), g.size);
        frame_check_room(cpu, &f);
    }
    if (!target_ok(cpu, &cs, off))
        cpu_gp0(cpu);
    desc_set_accessed(cpu, g.target, &d);
    if (inner && g.size != 8)
        desc_set_accessed(cpu, ss.sel, &ssd);
    if (call)
        frame_write(cpu, &f);
    set_cs(cpu, d, g.target, new_cpl);
    cpu->r[R_RIP] = off;
    if (inner) {
        if (g.size != 8)
            desc_to_seg(ssd, ss.sel, &ss);
        seg_set(cpu, SEG_SS, &ss);
    }
    if (call)
        cpu->r[R_RSP] = frame_sp(&f);
    cpu_update_mode(cpu);
}

/* System descriptors a far JMP/CALL may name: call gates, and task gates
 * and TSSs (task switches, task.c). False for any other type. */
static bool far_system(cpu_t *cpu, uint16_t sel, uint64_t d, bool call)
{
    switch (desc_type(d)) {
    case ST_CALL16:
        if (cpu_lma(cpu))
            return false;
        far_gate(cpu, sel, d, call);
        return true;
    case ST_CALL:
        far_gate(cpu, sel, d, call);
        return true;
    case ST_TASK:
    case ST_TSS16:
    case ST_TSS:
        if (cpu_lma(cpu))
            return false;
        task_far(cpu, sel, d, call);
        return true;
    default:
        return false;
    }
}

static void far_transfer(cpu_t *cpu, uint16_t sel, uint64_t off, unsigned opsz, bool call)
{
    if (cpu_real(cpu) || cpu_vm86(cpu)) {
        far_real(cpu, sel, off, opsz, call);
        return;
    }
    uint64_t d;
    if (sel_null(sel))
        cpu_gp0(cpu);
    if (!desc_fetch(cpu, sel, &d))
        raise_sel(cpu, EXC_GP, sel);
    if (desc_code(d)) {
        far_code(cpu, sel, d, off, opsz, call);
        return;
    }
    if (!desc_s(d) && far_system(cpu, sel, d, call))
        return;
    raise_sel(cpu, EXC_GP, sel);
}

static void h_jmp_far_ptr(cpu_t *cpu, const insn_t *in)
{
    far_transfer(cpu, in->imm2, in->imm, in->opsz, false);
}

static void h_call_far_ptr(cpu_t *cpu, const insn_t *in)
{
    far_transfer(cpu, in->imm2, in->imm, in->opsz, true);
}

/* m16:16, m16:32 or m16:64: the offset, then the selector. */
static uint16_t read_far_ptr(cpu_t *cpu, const insn_t *in, uint64_t *off)
{
    uint64_t ea = insn_ea(cpu, in);
    *off = mmu_read(cpu, in->seg, ea, in->opsz);
    return mmu_read16(cpu, in->seg, (ea + in->opsz) & size_mask(in->adsz));
}

static void h_jmp_far_mem(cpu_t *cpu, const insn_t *in)
{
    uint64_t off;
    uint16_t sel = read_far_ptr(cpu, in, &off);
    far_transfer(cpu, sel, off, in->opsz, false);
}

static void h_call_far_mem(cpu_t *cpu, const insn_t *in)
{
    uint64_t off;
    uint16_t sel = read_far_ptr(cpu, in, &off);
    far_transfer(cpu, sel, off, in->opsz, true);
}

/* ---- RET far ---- */

static void set_sp_op(cpu_t *cpu, uint64_t sp, unsigned opsz)
{
    if (opsz == 2)
        cpu->r[R_RSP] = (cpu->r[R_RSP] & ~0xffffull) | (uint16_t)sp;
    else
        cpu->r[R_RSP] = trunc_op(sp, opsz);
}

/* Return to an outer privilege level: SS:RSP come from the stack too. */
static void retf_outer(cpu_t *cpu, uint16_t sel, uint64_t d, uint64_t ip, const insn_t *in)
{
    unsigned n = in->opsz, imm = (uint16_t)in->imm, rpl = sel & 3;
    uint64_t sp = stack_peek(cpu, 2 * n + imm, n);
    uint16_t ssel = (uint16_t)stack_peek(cpu, 3 * n + imm, 2);
    seg_t cs;
    desc_to_seg(d, sel, &cs);
    bool to64 = cpu_lma(cpu) && (cs.attr & SEGA_L);
    uint64_t sd = 0;
    bool have_ss = seg_check_return_ss(cpu, ssel, rpl, cpu->code_mode == CM_64 && to64 && rpl != 3, &sd);
    if (!target_ok(cpu, &cs, ip))
        cpu_gp0(cpu);
    desc_set_accessed(cpu, sel, &d);
    if (have_ss)
        desc_set_accessed(cpu, ssel, &sd);
    set_cs(cpu, d, sel, rpl);
    if (have_ss) {
        seg_t ss;
        desc_to_seg(sd, ssel, &ss);
        seg_set(cpu, SEG_SS, &ss);
    } else {
        seg_set_null(cpu, SEG_SS, ssel);
    }
    cpu->r[R_RIP] = ip;
    set_sp_op(cpu, sp, n);
    cpu_update_mode(cpu);
    stack_adjust(cpu, imm);
    seg_null_inaccessible(cpu);
}

static void h_retf(cpu_t *cpu, const insn_t *in)
{
    unsigned n = in->opsz, imm = (uint16_t)in->imm;
    /* The selector word is read first, then the offset (the host's #PF
     * address when both slots are unmapped). */
    uint16_t sel = (uint16_t)stack_peek(cpu, n, 2);
    uint64_t ip = stack_peek(cpu, 0, n);
    if (cpu_real(cpu) || cpu_vm86(cpu)) {
        if (ip > cpu->seg[SEG_CS].limit)
            cpu_gp0(cpu);
        seg_set_real(cpu, SEG_CS, sel);
        cpu->r[R_RIP] = ip;
        stack_adjust(cpu, 2 * n + imm);
        cpu_update_mode(cpu);
        return;
    }
    uint64_t d;
    seg_check_return_cs(cpu, sel, &d);
    if ((sel & 3u) != cpu->cpl) {
        retf_outer(cpu, sel, d, ip, in);
        return;
    }
    seg_t cs;
    desc_to_seg(d, sel, &cs);
    if (!target_ok(cpu, &cs, ip))
        cpu_gp0(cpu);
    desc_set_accessed(cpu, sel, &d);
    set_cs(cpu, d, sel, cpu->cpl);
    cpu->r[R_RIP] = ip;
    stack_adjust(cpu, 2 * n + imm);
    cpu_update_mode(cpu);
}

/* ---- IRET ---- */

#define FLAGS_DEFINED 0x3f7fd5ull   /* RFLAGS bits that exist (SDM Vol.1 §3.4.3) */

/* Real mode and VM86 at IOPL 3 (SDM Vol.2 IRET, REAL-ADDRESS-MODE). */
static void iret_real(cpu_t *cpu, unsigned n)
{
    uint64_t ip = stack_peek(cpu, 0, n);
    uint16_t sel = (uint16_t)stack_peek(cpu, n, 2);
    uint64_t fl = stack_peek(cpu, 2 * n, n);
    if (ip > cpu->seg[SEG_CS].limit)
        cpu_gp0(cpu);
    uint64_t cur = cpu_get_rflags(cpu);
    /* VM86 keeps VM, IOPL, VIP, VIF; real mode keeps VM, VIP, VIF. */
    uint64_t keep = F_VM | F_VIP | F_VIF | (cpu_vm86(cpu) ? F_IOPL : 0);
    if (n == 2)
        keep |= ~0xffffull;
    uint64_t nf = ((fl & FLAGS_DEFINED) & ~keep) | (cur & keep);
    seg_set_real(cpu, SEG_CS, sel);
    cpu->r[R_RIP] = ip;
    stack_adjust(cpu, 3 * n);
    cpu_set_rflags(cpu, nf);
    cpu_update_mode(cpu);
}

/* The RFLAGS bits IRET may change at the current CPL and IOPL (SDM Vol.2
 * IRET, RETURN-TO-SAME/OUTER-PRIVILEGE-LEVEL). */
static uint64_t iret_flags(cpu_t *cpu, uint64_t fl, unsigned n)
{
    uint64_t mask = F_ARITH | F_TF | F_DF | F_NT;
    if (n >= 4)
        mask |= F_RF | F_AC | F_ID;
    if (cpu->cpl <= cpu_iopl(cpu))
        mask |= F_IF;
    if (cpu->cpl == 0) {
        mask |= F_IOPL;
        if (n >= 4)
            mask |= F_VIF | F_VIP;
    }
    if (n == 2)
        mask &= 0xffff;
    return (cpu_get_rflags(cpu) & ~mask) | (fl & mask);
}

/* From CPL 0 to virtual-8086 mode (SDM Vol.2 IRET, RETURN-TO-VIRTUAL-8086-MODE). */
static void iret_to_vm86(cpu_t *cpu, uint64_t ip, uint16_t sel, uint64_t fl)
{
    uint64_t sp = stack_peek(cpu, 12, 4);
    uint16_t v[5];
    for (unsigned i = 0; i < 5; i++)
        v[i] = (uint16_t)stack_peek(cpu, 16 + 4 * i, 4);   /* SS ES DS FS GS */
    cpu_set_rflags(cpu, fl & FLAGS_DEFINED);
    seg_set_real(cpu, SEG_CS, sel);
    seg_set_real(cpu, SEG_SS, v[0]);
    seg_set_real(cpu, SEG_ES, v[1]);
    seg_set_real(cpu, SEG_DS, v[2]);
    seg_set_real(cpu, SEG_FS, v[3]);
    seg_set_real(cpu, SEG_GS, v[4]);
    cpu->r[R_RIP] = (uint16_t)ip;
    cpu->r[R_RSP] = (uint32_t)sp;
    cpu_update_mode(cpu);
}

/* Protected and IA-32e mode. IRETQ in 64-bit mode always pops SS:RSP. */
static void iret_prot(cpu_t *cpu, unsigned n)
{
    /* Slot order as the host shows it through its #PF addresses and #GP:
     * RFLAGS, CS and its checks, then SS and RSP (64-bit mode), then RIP. */
    bool from64 = cpu->code_mode == CM_64;
    uint64_t fl = stack_peek(cpu, 2 * n, n);
    uint16_t sel = (uint16_t)stack_peek(cpu, n, 2);
    if ((fl & F_VM) && cpu->cpl == 0 && n == 4 && !cpu_lma(cpu)) {
        iret_to_vm86(cpu, stack_peek(cpu, 0, n), sel, fl);
        return;
    }
    uint64_t d, sd = 0;
    seg_check_return_cs(cpu, sel, &d);
    uint16_t ssel64 = from64 ? (uint16_t)stack_peek(cpu, 4 * n, 2) : 0;
    uint64_t sp64 = from64 ? stack_peek(cpu, 3 * n, n) : 0;
    uint64_t ip = stack_peek(cpu, 0, n);
    unsigned rpl = sel & 3, old_cpl = cpu->cpl;
    seg_t cs;
    desc_to_seg(d, sel, &cs);
    bool pop_ss = rpl > old_cpl || cpu->code_mode == CM_64;
    uint64_t sp = 0;
    uint16_t ssel = 0;
    bool have_ss = false;
    if (pop_ss) {
        sp = from64 ? sp64 : stack_peek(cpu, 3 * n, n);
        ssel = from64 ? ssel64 : (uint16_t)stack_peek(cpu, 4 * n, 2);
        bool to64 = cpu_lma(cpu) && (cs.attr & SEGA_L);
        have_ss = seg_check_return_ss(cpu, ssel, rpl, cpu->code_mode == CM_64 && to64 && rpl != 3, &sd);
    }
    if (!target_ok(cpu, &cs, ip))
        cpu_gp0(cpu);
    uint64_t nf = iret_flags(cpu, fl, n);
    desc_set_accessed(cpu, sel, &d);
    if (have_ss)
        desc_set_accessed(cpu, ssel, &sd);
    set_cs(cpu, d, sel, rpl);
    cpu->r[R_RIP] = ip;
    if (pop_ss) {
        if (have_ss) {
            seg_t ss;
            desc_to_seg(sd, ssel, &ss);
            seg_set(cpu, SEG_SS, &ss);
        } else {
            seg_set_null(cpu, SEG_SS, ssel);
        }
        if (from64)
            cpu->r[R_RSP] = sp;          /* 64-bit mode: the popped value, zero-extended */
        else
            set_sp_op(cpu, sp, n);
    } else {
        stack_adjust(cpu, 3 * n);
    }
    cpu_set_rflags(cpu, nf);
    cpu_update_mode(cpu);
    if (rpl > old_cpl)
        seg_null_inaccessible(cpu);
}

static void h_iret(cpu_t *cpu, const insn_t *in)
{
    unsigned n = in->opsz;
    cpu_iret_nmi_unblock(cpu);           /* even if it faults (SDM Vol.3A §6.7.1, Vol.3C §26.3) */
    if (cpu_real(cpu)) {
        iret_real(cpu, n);
        return;
    }
    if (cpu_vm86(cpu)) {
        if (cpu_iopl(cpu) < 3)
            cpu_gp0(cpu);
        iret_real(cpu, n);
        return;
    }
    if (cpu->rflags & F_NT) {
        if (cpu_lma(cpu))
            cpu_gp0(cpu);
        task_return(cpu);
        return;
    }
    iret_prot(cpu, n);
}

void sel_far(dctx_t *d, insn_t *in)
{
    switch (in->op) {
    case 0x9a: in->fn = h_call_far_ptr; break;
    case 0xea: in->fn = h_jmp_far_ptr; break;
    case 0xca: case 0xcb: in->fn = h_retf; break;
    case 0xcf: in->fn = h_iret; break;
    default: in->fn = d->regf == 3 ? h_call_far_mem : h_jmp_far_mem; break;
    }
}
