/* Hardware task switches in legacy protected mode (SDM Vol.3A §8.3): JMP
 * or CALL to a TSS or task gate, IRET with NT set, and interrupts through
 * task gates. 16- and 32-bit TSS formats (Figures 8-2, 8-11). */
#include "system.h"

#include "xenemu/vmx.h"

enum switch_kind { TS_JMP, TS_CALL, TS_IRET, TS_INT };

/* The dynamic fields of a TSS. */
typedef struct task_state {
    uint32_t eip, eflags, cr3;
    uint32_t r[8];                /* EAX ... EDI */
    uint16_t seg[6];              /* ES CS SS DS FS GS */
    uint16_t ldt;
    bool trap;                    /* T bit: #DB after the switch (32-bit TSS) */
} task_state_t;

/* Field offsets: [0] 32-bit TSS, [1] 16-bit TSS. */
static const struct tss_layout {
    uint32_t eip, eflags, regs, segs, ldt, min_limit;
    unsigned size;                /* register and selector slot size */
} layout[2] = {
    { 0x20, 0x24, 0x28, 0x48, 0x60, 0x67, 4 },
    { 0x0e, 0x10, 0x12, 0x22, 0x2a, 0x2b, 2 },
};

static const struct tss_layout *layout_of(unsigned type)
{
    return &layout[(type & 8) ? 0 : 1];
}

static void read_state(cpu_t *cpu, const seg_t *tss, task_state_t *st)
{
    const struct tss_layout *l = layout_of(tss->attr & SEGA_TYPE);
    uint64_t b = tss->base;
    unsigned n = l->size;
    st->eip = (uint32_t)sys_read(cpu, b + l->eip, n);
    st->eflags = (uint32_t)sys_read(cpu, b + l->eflags, n);
    st->cr3 = n == 4 ? (uint32_t)sys_read(cpu, b + 0x1c, 4) : 0;
    for (unsigned i = 0; i < 8; i++)
        st->r[i] = (uint32_t)sys_read(cpu, b + l->regs + i * n, n);
    for (unsigned i = 0; i < 6 && (n == 4 || i < 4); i++)
        st->seg[i] = (uint16_t)sys_read(cpu, b + l->segs + i * n, 2);
    if (n == 2)
        st->seg[SEG_FS] = st->seg[SEG_GS] = 0;   /* a 16-bit TSS has no FS, GS */
    st->ldt = (uint16_t)sys_read(cpu, b + l->ldt, 2);
    st->trap = n == 4 && (sys_read(cpu, b + 0x64, 2) & 1);
}

/* Save the outgoing task's registers in its TSS (not CR3, not LDTR). */
static void save_state(cpu_t *cpu, uint32_t eflags)
{
    const seg_t *tss = &cpu->seg[SEG_TR];
    const struct tss_layout *l = layout_of(tss->attr & SEGA_TYPE);
    uint64_t b = tss->base;
    unsigned n = l->size;
    unsigned nseg = n == 4 ? 6 : 4;
    sys_write(cpu, b + l->eip, cpu->r[R_RIP], n);
    sys_write(cpu, b + l->eflags, eflags, n);
    for (unsigned i = 0; i < 8; i++)
        sys_write(cpu, b + l->regs + i * n, cpu->r[i], n);
    for (unsigned i = 0; i < nseg; i++)
        sys_write(cpu, b + l->segs + i * n, cpu->seg[i].sel, 2);
}

static void set_busy(cpu_t *cpu, uint16_t sel, bool busy)
{
    uint64_t d;
    if (!desc_fetch(cpu, sel, &d))
        return;
    d = busy ? d | (2ull << 40) : d & ~(2ull << 40);
    desc_write_type(cpu, sel, d);
}

/* ---- loading the incoming task's segments (SDM Vol.3A §8.3, Table 8-1):
 * these faults belong to the new task ---- */

_Noreturn static void task_fault(cpu_t *cpu, int vec, uint16_t sel)
{
    cpu_update_mode(cpu);
    raise_sel(cpu, vec, sel);
}

static void load_ldt(cpu_t *cpu, uint16_t sel)
{
    uint64_t d;
    if (sel_null(sel)) {
        seg_set_null(cpu, SEG_LDTR, sel);
        return;
    }
    if ((sel & 4) || !desc_fetch(cpu, sel, &d) || desc_s(d) || desc_type(d) != ST_LDT || !desc_p(d))
        task_fault(cpu, EXC_TS, sel);
    seg_t s;
    desc_to_seg(d, sel, &s);
    seg_set(cpu, SEG_LDTR, &s);
}

static void install(cpu_t *cpu, int seg, uint16_t sel, uint64_t *d)
{
    seg_t s;
    desc_set_accessed(cpu, sel, d);
    desc_to_seg(*d, sel, &s);
    seg_set(cpu, seg, &s);
}

static unsigned load_cs(cpu_t *cpu, uint16_t sel)
{
    uint64_t d;
    unsigned rpl = sel & 3;
    if (sel_null(sel) || !desc_fetch(cpu, sel, &d) || !desc_code(d))
        task_fault(cpu, EXC_TS, sel);
    if (desc_conforming(d) ? desc_dpl(d) > rpl : desc_dpl(d) != rpl)
        task_fault(cpu, EXC_TS, sel);
    if (!desc_p(d))
        task_fault(cpu, EXC_NP, sel);
    install(cpu, SEG_CS, sel, &d);
    return rpl;
}

static void load_ss(cpu_t *cpu, uint16_t sel, unsigned cpl)
{
    uint64_t d;
    if (sel_null(sel) || !desc_fetch(cpu, sel, &d) || (sel & 3u) != cpl || desc_dpl(d) != cpl ||
        !desc_writable_data(d))
        task_fault(cpu, EXC_TS, sel);
    if (!desc_p(d))
        task_fault(cpu, EXC_SS, sel);
    install(cpu, SEG_SS, sel, &d);
}

static void load_data(cpu_t *cpu, int seg, uint16_t sel, unsigned cpl)
{
    uint64_t d;
    if (sel_null(sel)) {
        seg_set_null(cpu, seg, sel);
        return;
    }
    if (!desc_fetch(cpu, sel, &d) || !desc_s(d) || (desc_code(d) && !(desc_type(d) & DT_RW)))
        task_fault(cpu, EXC_TS, sel);
    if (!desc_conforming(d) && (desc_dpl(d) < cpl || desc_dpl(d) < (sel & 3u)))
        task_fault(cpu, EXC_TS, sel);
    if (!desc_p(d))
        task_fault(cpu, EXC_NP, sel);
    install(cpu, seg, sel, &d);
}

/* Registers, CR3, LDTR and segments of the incoming task. Selectors are
 * set first, unusable until their descriptor loads. */
static void load_state(cpu_t *cpu, const task_state_t *st, bool tss32)
{
    unsigned n = tss32 ? 4 : 2;
    if (tss32 && (cpu->cr0 & CR0_PG)) {
        cpu->cr3 = st->cr3;
        mmu_flush_all(cpu);
    }
    for (unsigned i = 0; i < 8; i++)
        gpr_set(cpu, (uint8_t)i, n, st->r[i]);
    cpu_set_rflags(cpu, tss32 ? st->eflags : (cpu_get_rflags(cpu) & ~0xffffull) | st->eflags);
    for (int s = SEG_ES; s <= SEG_GS; s++)
        cpu->seg[s] = (seg_t){ .sel = st->seg[s], .attr = SEGA_UNUSABLE };
    load_ldt(cpu, st->ldt);
    if (cpu_vm86(cpu)) {
        for (int s = SEG_ES; s <= SEG_GS; s++)
            seg_set_real(cpu, s, st->seg[s]);
        return;
    }
    unsigned cpl = load_cs(cpu, st->seg[SEG_CS]);
    load_ss(cpu, st->seg[SEG_SS], cpl);
    load_data(cpu, SEG_DS, st->seg[SEG_DS], cpl);
    load_data(cpu, SEG_ES, st->seg[SEG_ES], cpl);
    load_data(cpu, SEG_FS, st->seg[SEG_FS], cpl);
    load_data(cpu, SEG_GS, st->seg[SEG_GS], cpl);
}

/* The T bit of the new TSS: a #DB trap before its first instruction,
 * with DR6.BT set (SDM Vol.3A §8.2.1, §18.2.3). */
_Noreturn static void task_debug_trap(cpu_t *cpu)
{
    cpu->dr[6] |= 1u << 15;
    cpu->r[R_RIP] += cpu->cur ? cpu->cur->len : 0;    /* cpu_raise rewinds by this */
    cpu_raise(cpu, EXC_DB);
}

/* The switch itself (SDM Vol.3A §8.3, steps 1-14). Checks and reads fault
 * in the old task; after TR changes, faults belong to the new one. */
static void task_switch(cpu_t *cpu, uint16_t sel, uint64_t d, enum switch_kind kind, uint32_t ext,
                        bool push_err, uint32_t err)
{
    unsigned type = desc_type(d);
    bool busy = type & 2, tss32 = type & 8;
    seg_t nt;
    desc_to_seg(d, sel, &nt);
    if (!desc_p(d))
        cpu_raise_err(cpu, EXC_NP, sel_err(sel) | ext);
    if (nt.limit < layout_of(type)->min_limit)
        cpu_raise_err(cpu, EXC_TS, sel_err(sel) | ext);
    if (kind == TS_IRET ? !busy : busy)
        cpu_raise_err(cpu, kind == TS_IRET ? EXC_TS : EXC_GP, sel_err(sel) | ext);
    task_state_t st;
    read_state(cpu, &nt, &st);

    uint32_t eflags = (uint32_t)cpu_get_rflags(cpu);
    if (kind == TS_IRET)
        eflags &= ~(uint32_t)F_NT;
    uint16_t old = cpu->seg[SEG_TR].sel;
    if (kind == TS_JMP || kind == TS_IRET)
        set_busy(cpu, old, false);
    save_state(cpu, eflags);
    if (kind == TS_CALL || kind == TS_INT) {
        sys_write(cpu, nt.base, old, 2);          /* previous-task link */
        st.eflags |= F_NT;
    }
    if (kind != TS_IRET) {
        desc_write_type(cpu, sel, d | (2ull << 40));
        nt.attr |= 2;
    }
    seg_set(cpu, SEG_TR, &nt);
    cpu->cr0 |= CR0_TS;
    /* From here a fault reports the new task's EIP: cpu_raise rewinds RIP
     * by the current instruction's length, so pre-add it. */
    cpu->r[R_RIP] = (uint64_t)st.eip + (cpu->cur ? cpu->cur->len : 0);
    load_state(cpu, &st, tss32);
    cpu->r[R_RIP] = tss32 ? st.eip : (uint16_t)st.eip;
    cpu_update_mode(cpu);
    if (push_err) {
        frame_t f;
        frame_init_current(cpu, &f, 0);
        frame_push(&f, err, tss32 ? 4 : 2);
        frame_write(cpu, &f);
        cpu->r[R_RSP] = frame_sp(&f);
    }
    if (st.trap)
        task_debug_trap(cpu);
}

/* The TSS a task gate names: in the GDT and available (SDM Vol.3A §8.3.2). */
static uint64_t gate_tss(cpu_t *cpu, uint16_t tss_sel, uint32_t ext)
{
    uint64_t d;
    unsigned type;
    if ((tss_sel & 4) || !desc_fetch(cpu, tss_sel, &d) || desc_s(d) ||
        ((type = desc_type(d)) != ST_TSS && type != ST_TSS16))
        cpu_raise_err(cpu, EXC_GP, sel_err(tss_sel) | ext);
    return d;
}

void task_far(cpu_t *cpu, uint16_t sel, uint64_t d, bool call)
{
    unsigned dpl = desc_dpl(d);
    if (dpl < cpu->cpl || dpl < (sel & 3u))
        raise_sel(cpu, EXC_GP, sel);
    if (desc_type(d) == ST_TASK) {
        if (!desc_p(d))
            raise_sel(cpu, EXC_NP, sel);
        sel = (uint16_t)(d >> 16);
        d = gate_tss(cpu, sel, 0);
    } else if (sel & 4) {
        raise_sel(cpu, EXC_GP, sel);
    }
    if (vmx_nonroot(cpu))
        vmx_task_switch(cpu, sel, call ? 0 : 2);
    task_switch(cpu, sel, d, call ? TS_CALL : TS_JMP, 0, false, 0);
}

void task_return(cpu_t *cpu)
{
    uint16_t link = (uint16_t)sys_read(cpu, cpu->seg[SEG_TR].base, 2);
    uint64_t d;
    if ((link & 4) || !desc_fetch(cpu, link, &d) || desc_s(d) ||
        (desc_type(d) != ST_TSS_BUSY && desc_type(d) != ST_TSS16_BUSY))
        raise_sel(cpu, EXC_TS, link);
    if (vmx_nonroot(cpu))
        vmx_task_switch(cpu, link, 1);    /* task switches are VM exits (SDM Vol.3C §26.1.2) */
    task_switch(cpu, link, d, TS_IRET, 0, false, 0);
}

void task_gate_event(cpu_t *cpu, uint64_t gate, uint32_t ext, bool push_err, uint32_t err)
{
    uint16_t sel = (uint16_t)(gate >> 16);
    uint64_t d = gate_tss(cpu, sel, ext);
    if (vmx_nonroot(cpu))
        vmx_task_switch(cpu, sel, 3);
    task_switch(cpu, sel, d, TS_INT, ext, push_err, err);
}
