/* Interrupt and exception delivery: the real-mode IVT, the protected-mode
 * and IA-32e IDT with privilege changes through the TSS and the IST,
 * double- and triple-fault escalation, and INT n/INT3/INTO/INT1 (SDM
 * Vol.3A ch.6, §20.1.4; Vol.2 INT n). */
#include <string.h>

#include "system.h"

#include "xenemu/trace.h"
#include "xenemu/vmx.h"

typedef struct event {
    int vec;
    enum ev_kind kind;
    uint32_t ext;         /* EXT bit of error codes raised while delivering */
    bool push_err;
    uint32_t err;
} event_t;

/* Exceptions that push an error code (SDM Vol.3A Table 6-1). */
static bool has_error_code(int v)
{
    return v == EXC_DF || (v >= EXC_TS && v <= EXC_PF) || v == EXC_AC || v == 21;
}

/* ---- TSS stacks ---- */

void tss_stack32(cpu_t *cpu, unsigned dpl, uint32_t ext, uint16_t *ss, uint64_t *sp)
{
    const seg_t *tr = &cpu->seg[SEG_TR];
    bool tss32 = (tr->attr & 8) != 0;          /* types 9/11 vs 1/3 */
    uint32_t off = tss32 ? dpl * 8 + 4 : dpl * 4 + 2;
    uint32_t need = tss32 ? 6 : 4;
    if ((tr->attr & SEGA_UNUSABLE) || off + need - 1 > tr->limit)
        cpu_raise_err(cpu, EXC_TS, sel_err(tr->sel) | ext);
    *sp = sys_read(cpu, tr->base + off, tss32 ? 4 : 2);
    *ss = (uint16_t)sys_read(cpu, tr->base + off + (tss32 ? 4 : 2), 2);
}

uint64_t tss_stack64(cpu_t *cpu, unsigned dpl, unsigned ist, uint32_t ext)
{
    const seg_t *tr = &cpu->seg[SEG_TR];
    uint32_t off = ist ? 0x24 + 8 * (ist - 1) : 4 + 8 * dpl;
    if ((tr->attr & SEGA_UNUSABLE) || off + 7 > tr->limit)
        cpu_raise_err(cpu, EXC_TS, sel_err(tr->sel) | ext);
    return sys_read(cpu, tr->base + off, 8);
}

/* ---- real mode (SDM Vol.3A §20.1.4) ---- */

static void deliver_real(cpu_t *cpu, const event_t *ev)
{
    uint32_t at = (uint32_t)ev->vec * 4;
    if (at + 3 > cpu->idtr.limit)
        cpu_gp0(cpu);
    uint32_t ptr = (uint32_t)sys_read(cpu, cpu->idtr.base + at, 4);
    frame_t f;
    frame_init_current(cpu, &f, 0);
    frame_push(&f, cpu_get_rflags(cpu), 2);
    frame_push(&f, cpu->seg[SEG_CS].sel, 2);
    frame_push(&f, cpu->r[R_RIP], 2);
    frame_write(cpu, &f);
    cpu->r[R_RSP] = frame_sp(&f);
    seg_set_real(cpu, SEG_CS, (uint16_t)(ptr >> 16));
    cpu->r[R_RIP] = ptr & 0xffff;
    cpu->rflags &= ~(uint64_t)(F_IF | F_TF | F_AC);
    cpu_update_mode(cpu);
}

/* ---- protected mode, 16/32-bit gates (SDM Vol.3A §6.12) ---- */

/* The IDT entry of the vector (8 or 16 bytes): #GP(vector*8+2+EXT)
 * beyond the IDT limit (SDM Vol.3A §6.10). */
static uint64_t idt_entry(cpu_t *cpu, const event_t *ev, bool ia32e, uint64_t *hi)
{
    uint32_t size = ia32e ? 16 : 8, at = (uint32_t)ev->vec * size;
    if (at + size - 1 > cpu->idtr.limit)
        cpu_raise_err(cpu, EXC_GP, (uint32_t)ev->vec * 8 + 2 + ev->ext);
    if (ia32e)
        *hi = sys_read(cpu, cpu->idtr.base + at + 8, 8);
    return sys_read(cpu, cpu->idtr.base + at, 8);
}

/* Gate checks common to both IDT formats; returns the gate's type. */
static unsigned check_gate(cpu_t *cpu, const event_t *ev, uint64_t g, bool ia32e)
{
    uint32_t idt_err = (uint32_t)ev->vec * 8 + 2 + ev->ext;
    unsigned type = (unsigned)(g >> 40) & 0x1f;       /* S bit included: must be 0 */
    bool ok = ia32e ? (type == ST_INT || type == ST_TRAP)
                    : (type == ST_TASK || type == ST_INT16 || type == ST_TRAP16 || type == ST_INT || type == ST_TRAP);
    if (!ok)
        cpu_raise_err(cpu, EXC_GP, idt_err);
    if (ev->kind == EV_SOFT && desc_dpl(g) < cpu->cpl)
        cpu_raise_err(cpu, EXC_GP, idt_err);
    if (!desc_p(g))
        cpu_raise_err(cpu, EXC_NP, idt_err);
    return type;
}

/* The handler's code segment (SDM Vol.2 INT n, PROTECTED-MODE). */
static void check_handler_cs(cpu_t *cpu, const event_t *ev, uint16_t sel, uint64_t *d, bool ia32e)
{
    if (sel_null(sel))
        cpu_raise_err(cpu, EXC_GP, ev->ext);
    if (!desc_fetch(cpu, sel, d) || !desc_code(*d) || desc_dpl(*d) > cpu->cpl)
        cpu_raise_err(cpu, EXC_GP, sel_err(sel) | ev->ext);
    if (ia32e && (!desc_l(*d) || desc_db(*d)))
        cpu_raise_err(cpu, EXC_GP, sel_err(sel) | ev->ext);
    if (!desc_p(*d))
        cpu_raise_err(cpu, EXC_NP, sel_err(sel) | ev->ext);
}

/* The inner stack from the TSS for a legacy privilege change. */
static void inner_stack32(cpu_t *cpu, const event_t *ev, unsigned dpl, seg_t *ss, uint64_t *ssd, uint64_t *sp)
{
    uint16_t nss;
    tss_stack32(cpu, dpl, ev->ext, &nss, sp);
    if (sel_null(nss))
        cpu_raise_err(cpu, EXC_TS, ev->ext);
    if (!desc_fetch(cpu, nss, ssd) || (nss & 3u) != dpl || desc_dpl(*ssd) != dpl || !desc_writable_data(*ssd))
        cpu_raise_err(cpu, EXC_TS, sel_err(nss) | ev->ext);
    if (!desc_p(*ssd))
        cpu_raise_err(cpu, EXC_SS, sel_err(nss) | ev->ext);
    desc_set_accessed(cpu, nss, ssd);
    desc_to_seg(*ssd, nss, ss);
}

static uint64_t flags_after_gate(cpu_t *cpu, unsigned type)
{
    uint64_t f = cpu_get_rflags(cpu) & ~(uint64_t)(F_TF | F_NT | F_VM | F_RF);
    if (!(type & 1))
        f &= ~(uint64_t)F_IF;            /* interrupt gate, not trap gate */
    return f;
}

static void deliver_prot(cpu_t *cpu, const event_t *ev)
{
    uint64_t hi;
    uint64_t g = idt_entry(cpu, ev, false, &hi);
    unsigned type = check_gate(cpu, ev, g, false);
    if (type == ST_TASK) {
        task_gate_event(cpu, g, ev->ext, ev->push_err, ev->err);
        return;
    }
    bool gate32 = type & 8, vm86 = cpu_vm86(cpu);
    unsigned n = gate32 ? 4 : 2;
    uint16_t sel = (uint16_t)(g >> 16);
    uint64_t off = gate32 ? ((g & 0xffff) | ((g >> 32) & 0xffff0000)) : (g & 0xffff);
    uint64_t d, ssd;
    check_handler_cs(cpu, ev, sel, &d, false);
    unsigned dpl = desc_dpl(d);
    bool inner = !desc_conforming(d) && dpl < cpu->cpl;
    if (vm86 && (!inner || dpl != 0))
        cpu_raise_err(cpu, EXC_GP, sel_err(sel) | ev->ext);
    seg_t cs, ss;
    desc_to_seg(d, sel, &cs);
    if (off > cs.limit)
        cpu_raise_err(cpu, EXC_GP, ev->ext);
    frame_t f;
    if (inner) {
        uint64_t sp;
        inner_stack32(cpu, ev, dpl, &ss, &ssd, &sp);
        frame_init(&f, &ss, sp, (ss.attr & SEGA_DB) ? 4 : 2, false, sel_err(ss.sel) | ev->ext);
        if (vm86) {
            frame_push(&f, cpu->seg[SEG_GS].sel, n);
            frame_push(&f, cpu->seg[SEG_FS].sel, n);
            frame_push(&f, cpu->seg[SEG_DS].sel, n);
            frame_push(&f, cpu->seg[SEG_ES].sel, n);
        }
        frame_push(&f, cpu->seg[SEG_SS].sel, n);
        frame_push(&f, cpu->r[R_RSP], n);
    } else {
        frame_init_current(cpu, &f, ev->ext);
    }
    frame_push(&f, cpu_get_rflags(cpu), n);
    frame_push(&f, cpu->seg[SEG_CS].sel, n);
    frame_push(&f, cpu->r[R_RIP], n);
    if (ev->push_err)
        frame_push(&f, ev->err, n);
    desc_set_accessed(cpu, sel, &d);
    frame_write(cpu, &f);

    uint64_t nf = flags_after_gate(cpu, type);
    unsigned new_cpl = inner ? dpl : cpu->cpl;
    if (inner) {
        if (vm86) {
            seg_set_null(cpu, SEG_GS, 0);
            seg_set_null(cpu, SEG_FS, 0);
            seg_set_null(cpu, SEG_DS, 0);
            seg_set_null(cpu, SEG_ES, 0);
        }
        seg_set(cpu, SEG_SS, &ss);
    }
    cpu->r[R_RSP] = frame_sp(&f);
    desc_to_seg(d, (uint16_t)((sel & ~3u) | new_cpl), &cs);
    seg_set(cpu, SEG_CS, &cs);
    cpu->r[R_RIP] = off;
    cpu_set_rflags(cpu, nf);
    cpu_update_mode(cpu);
}

/* ---- IA-32e mode, 64-bit gates (SDM Vol.3A §6.14) ---- */

static void deliver_long(cpu_t *cpu, const event_t *ev)
{
    uint64_t hi;
    uint64_t lo = idt_entry(cpu, ev, true, &hi);
    unsigned type = check_gate(cpu, ev, lo, true);
    uint16_t sel = (uint16_t)(lo >> 16);
    uint64_t off = (lo & 0xffff) | ((lo >> 32) & 0xffff0000) | (hi << 32);
    unsigned ist = (unsigned)(lo >> 32) & 7;
    uint64_t d;
    check_handler_cs(cpu, ev, sel, &d, true);
    if (!is_canonical(off))
        cpu_raise_err(cpu, EXC_GP, ev->ext);
    unsigned dpl = desc_dpl(d);
    bool inner = !desc_conforming(d) && dpl < cpu->cpl;
    unsigned new_cpl = inner ? dpl : cpu->cpl;
    uint64_t sp;
    if (inner || ist)
        sp = tss_stack64(cpu, new_cpl, ist, ev->ext);
    else
        sp = cpu->code_mode == CM_64 ? cpu->r[R_RSP] : (uint32_t)cpu->r[R_RSP];
    sp &= ~15ull;                     /* SDM Vol.3A §6.14.2 */
    frame_t f;
    frame_init(&f, &cpu->seg[SEG_SS], sp, 8, new_cpl == 3, ev->ext);
    frame_push(&f, cpu->seg[SEG_SS].sel, 8);
    frame_push(&f, cpu->r[R_RSP], 8);
    frame_push(&f, cpu_get_rflags(cpu), 8);
    frame_push(&f, cpu->seg[SEG_CS].sel, 8);
    frame_push(&f, cpu->r[R_RIP], 8);
    if (ev->push_err)
        frame_push(&f, ev->err, 8);
    desc_set_accessed(cpu, sel, &d);
    frame_write(cpu, &f);

    uint64_t nf = flags_after_gate(cpu, type);
    if (inner)
        seg_set_null(cpu, SEG_SS, (uint16_t)new_cpl);   /* SDM Vol.3A §6.14.4 */
    cpu->r[R_RSP] = frame_sp(&f);
    seg_t cs;
    desc_to_seg(d, (uint16_t)((sel & ~3u) | new_cpl), &cs);
    seg_set(cpu, SEG_CS, &cs);
    cpu->r[R_RIP] = off;
    cpu_set_rflags(cpu, nf);
    cpu_update_mode(cpu);
}

void cpu_deliver_event(cpu_t *cpu, int vector, enum ev_kind kind, uint32_t error_code)
{
    event_t ev = {
        .vec = vector & 0xff,
        .kind = kind,
        .ext = kind == EV_SOFT ? 0 : 1,
        .push_err = kind == EV_EXC && has_error_code(vector),
        .err = error_code,
    };
    trace_exception(cpu, vector, (int)kind, error_code);   /* trace: exception, pagefault */
    if (vmx_nonroot(cpu))
        vmx_note_delivery(cpu, vector, kind, ev.push_err, error_code);   /* IDT-vectoring information */
    if (cpu_real(cpu))
        deliver_real(cpu, &ev);
    else if (cpu_lma(cpu))
        deliver_long(cpu, &ev);
    else
        deliver_prot(cpu, &ev);
    if (vmx_nonroot(cpu))
        vmx_note_delivery(cpu, -1, kind, false, 0);
}

/* ---- exceptions from the run loop, with #DF and triple fault ---- */

enum exc_class { BENIGN, CONTRIBUTORY, PAGE_FAULT };

/* SDM Vol.3A Table 6-4. */
static enum exc_class exc_class(int v)
{
    if (v == EXC_DE || (v >= EXC_TS && v <= EXC_GP))
        return CONTRIBUTORY;
    if (v == EXC_PF || v == EXC_VE)
        return PAGE_FAULT;
    return BENIGN;
}

/* A second exception while delivering the first (SDM Vol.3A Table 6-5):
 * turn it into #DF, or return false for a shutdown. */
static bool escalate(cpu_t *cpu)
{
    int first = cpu->delivering - 1;
    enum exc_class a = exc_class(first), b = exc_class(cpu->exc.vector);
    if (first == EXC_DF)
        return b == BENIGN;
    if ((a == CONTRIBUTORY && b == CONTRIBUTORY) || (a == PAGE_FAULT && b != BENIGN)) {
        cpu->exc.vector = EXC_DF;
        cpu->exc.error_code = 0;
        cpu->exc.has_error_code = true;
    }
    return true;
}

static void deliver_pending(cpu_t *cpu)
{
    int v = cpu->exc.vector;
    if (vmx_nonroot(cpu))
        vmx_event_intercept(cpu, v, EV_EXC, cpu->exc.error_code);   /* exception bitmap: may VM exit */
    cpu->delivering = (uint16_t)(v + 1);
    if (v == EXC_PF)
        cpu->cr2 = cpu->exc.cr2;
    cpu_deliver_event(cpu, v, EV_EXC, cpu->exc.error_code);
}

/* A fault raised while delivering lands on our own unwind point, so this
 * also works outside cpu_run; the caller's unwind point is restored. */
bool cpu_deliver_exception(cpu_t *cpu)
{
    jmp_buf outer;
    if (cpu->exc.vector < 0 || cpu->exc.vector > 255)
        return true;                  /* nothing to deliver */
    memcpy(outer, cpu->unwind_jmp, sizeof outer);
    const insn_t *volatile cur = cpu->cur;
    volatile bool ok = true;
    cpu->cur = NULL;
    cpu->delivering = 0;
    for (;;) {
        if (setjmp(cpu->unwind_jmp) == 0) {
            deliver_pending(cpu);
            break;
        }
        if (cpu->unwind == UNWIND_VMEXIT)
            break;                        /* the event became a VM exit (src/vmx) */
        if (cpu->exc.vector == EXC_PF)
            cpu->cr2 = cpu->exc.cr2;      /* loaded when detected, even if it becomes #DF */
        if (cpu->exc.vector < 0 || !escalate(cpu)) {
            if (vmx_nonroot(cpu))
                vmx_triple_fault(cpu);    /* VM exit 2: lands on the setjmp above */
            ok = false;
            break;
        }
    }
    cpu->delivering = 0;
    cpu->unwind = UNWIND_NONE;
    memcpy(cpu->unwind_jmp, outer, sizeof outer);
    cpu->cur = cur;
    return ok;
}

/* ---- INT n, INT3, INTO, INT1 ---- */

/* With delivery left to the caller (deliver_exceptions off), a software
 * interrupt stops the vCPU like a trap, after the checks the instruction
 * itself makes on its gate (type, DPL, P): cpu->exc has the vector and
 * RIP is past the instruction. */
_Noreturn static void stop_soft_event(cpu_t *cpu, int vec, enum ev_kind kind)
{
    if (!cpu_real(cpu)) {
        event_t ev = { .vec = vec, .kind = kind, .ext = kind == EV_SOFT ? 0 : 1 };
        uint64_t hi;
        check_gate(cpu, &ev, idt_entry(cpu, &ev, cpu_lma(cpu), &hi), cpu_lma(cpu));
    }
    if (cpu->cur)
        cpu->r[R_RIP] += cpu->cur->len;   /* cpu_raise rewinds by this */
    cpu_raise(cpu, vec);
}

static void soft_event(cpu_t *cpu, int vec, enum ev_kind kind)
{
    if (vmx_nonroot(cpu))
        vmx_event_intercept(cpu, vec, kind, 0);   /* INT3/INTO/INT1 and the exception bitmap */
    if (!cpu->deliver_exceptions)
        stop_soft_event(cpu, vec, kind);
    cpu_deliver_event(cpu, vec, kind, 0);
}

/* INT n is IOPL-sensitive in VM86 mode (SDM Vol.3A §20.2.7); CC, CE, F1 are not. */
static void h_int_n(cpu_t *cpu, const insn_t *in)
{
    if (cpu_vm86(cpu) && cpu_iopl(cpu) < 3)
        cpu_gp0(cpu);
    soft_event(cpu, (int)(in->imm & 0xff), EV_SOFT);
}

static void h_int3(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    soft_event(cpu, EXC_BP, EV_SOFT);
}

static void h_into(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    if (cc_compute(cpu) & F_OF)
        soft_event(cpu, EXC_OF, EV_SOFT);
}

static void h_int1(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    soft_event(cpu, EXC_DB, EV_ICEBP);
}

void sel_int(dctx_t *d, insn_t *in)
{
    (void)d;
    switch (in->op) {
    case 0xcc: in->fn = h_int3; break;
    case 0xcd: in->fn = h_int_n; break;
    case 0xce: in->fn = h_into; break;
    default: in->fn = h_int1; break;
    }
}
