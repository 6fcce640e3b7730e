/* The run loop (DESIGN.md, "The run loop"): walk predecoded blocks until the
 * budget ends or something stops the vCPU. Exceptions and early block exits
 * unwind here with longjmp, so handlers pay nothing for them. Between
 * blocks: the APIC timer, interrupt acceptance, HLT, MWAIT and, while debugging,
 * one instruction at a time (SDM Vol.3A §6.8, ch.11, ch.18). */
#include <string.h>

#include "block.h"
#include "debugregs.h"
#include "ops.h"
#include "xenemu/flags.h"
#include "xenemu/mmu.h"
#include "xenemu/trace.h"
#include "xenemu/vmx.h"

void cpu_update_mode(cpu_t *cpu)
{
    const seg_t *cs = &cpu->seg[SEG_CS];
    bool lma = cpu->efer & EFER_LMA;
    if (!(cpu->cr0 & CR0_PE)) {
        cpu->code_mode = CM_16;
        cpu->cpl = 0;
    } else if (cpu->rflags & F_VM) {
        cpu->code_mode = CM_16;
        cpu->cpl = 3;
    } else {
        if (lma && (cs->attr & SEGA_L))
            cpu->code_mode = CM_64;
        else
            cpu->code_mode = (cs->attr & SEGA_DB) ? CM_32 : CM_16;
        cpu->cpl = (cpu->seg[SEG_SS].attr & SEGA_DPL) >> SEGA_DPL_SHIFT;
    }
    cpu->stack32 = (cpu->seg[SEG_SS].attr & SEGA_DB) != 0;
    for (int s = 0; s < SEG_COUNT; s++)
        cpu->seg_lin_base[s] = (s == SEG_FS || s == SEG_GS) ? cpu->seg[s].base : 0;
    bool align_check = (cpu->cr0 & CR0_AM) && (cpu->rflags & F_AC) && cpu->cpl == 3;
    /* Alignment checks and data breakpoints see every access. */
    mmu_tlb_select(cpu);
    cpu->tlb = align_check || cpu->db_data ? cpu->tlb_nofill : cpu->tlb_cur->sets[cpu->cpl == 3];
    /* What decoded blocks depend on (besides their bytes). */
    cpu->decode_key = cpu->code_mode | (uint32_t)(cpu->cr0 & (CR0_MP | CR0_EM | CR0_TS)) << 4 |
                      (uint32_t)((cpu->cr4 & (CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE)) >> 9) << 8;
}

static void seg_flat(seg_t *s, uint16_t sel, uint32_t attr)
{
    s->sel = sel;
    s->base = 0;
    s->limit = 0xffff;
    s->attr = attr;
}

/* Power-on state (SDM Vol.3A §9.1.1, Table 9-1). */
void cpu_reset(cpu_t *cpu)
{
    memset(cpu->r, 0, sizeof cpu->r);
    cpu->r[R_RDX] = 0x806f0;          /* family/model/stepping signature */
    cpu->r[R_RIP] = 0xfff0;
    cpu->rflags = 2;
    cpu->cc_op = CC_EFLAGS;
    for (int s = 0; s < SEG_COUNT; s++)
        seg_flat(&cpu->seg[s], 0, SEGA_P | SEGA_S | 3);
    cpu->seg[SEG_CS].sel = 0xf000;
    cpu->seg[SEG_CS].base = 0xffff0000;
    cpu->seg[SEG_CS].attr = SEGA_P | SEGA_S | 0xb;
    cpu->seg[SEG_LDTR].attr = SEGA_P | 2;
    cpu->seg[SEG_TR].attr = SEGA_P | 0xb;
    cpu->gdtr = (dtr_t){ 0, 0xffff };
    cpu->idtr = (dtr_t){ 0, 0xffff };
    cpu->cr0 = CR0_ET | CR0_CD | CR0_NW;
    cpu->cr2 = cpu->cr3 = cpu->cr4 = cpu->cr8 = cpu->efer = 0;
    cpu->xcr0 = 1;
    memset(cpu->dr, 0, sizeof cpu->dr);
    cpu->dr[6] = 0xffff0ff0;
    cpu->dr[7] = 0x400;
    memset(&cpu->fpu, 0, sizeof cpu->fpu);
    cpu->fpu.fcw = 0x40;
    cpu->fpu.ftw = 0x5555 * 3;        /* all empty (2-bit tags 11b) */
    memset(cpu->xmm, 0, sizeof cpu->xmm);
    cpu->mxcsr = 0x1f80;
    cpu->pat = 0x0007040600070406ull;
    cpu->exc.vector = -1;
    cpu->halted = false;
    cpu->nmi_blocked = false;
    cpu_monitor_clear(cpu);           /* INIT too: no monitor, no MWAIT */
    cpu->irq_shadow_end = cpu->db_shadow_end = 0;
    cpu->db_hits = cpu->db_pending = 0;
    cpu->db_data = false;
    cpu->db_stepping = 0;
    cpu->watch_flags = F_TF | F_RF;
    lapic_reset(cpu, false);
    mmu_flush_all(cpu);
    memset(cpu->jcache, 0, sizeof cpu->jcache);
    cpu_update_mode(cpu);
}

void cpu_init(cpu_t *cpu, machine_t *m, int id)
{
    memset(cpu, 0, sizeof *cpu);
    cpu->m = m;
    cpu->id = id;
    mmu_tlb_init(cpu);
    cpu_reset(cpu);
}

_Noreturn static void unwind(cpu_t *cpu, enum cpu_unwind why)
{
    cpu->unwind = why;
    longjmp(cpu->unwind_jmp, 1);
}

_Noreturn void cpu_raise_err(cpu_t *cpu, int vector, uint32_t error_code)
{
    cpu->exc.vector = vector;
    cpu->exc.error_code = error_code;
    cpu->exc.has_error_code = true;
    if (cpu->cur)
        cpu->r[R_RIP] -= cpu->cur->len;   /* faults report the instruction's own RIP */
    unwind(cpu, UNWIND_EXCEPTION);
}

_Noreturn void cpu_raise(cpu_t *cpu, int vector)
{
    cpu->exc.vector = vector;
    cpu->exc.error_code = 0;
    cpu->exc.has_error_code = false;
    if (cpu->cur)
        cpu->r[R_RIP] -= cpu->cur->len;
    unwind(cpu, UNWIND_EXCEPTION);
}

_Noreturn void cpu_raise_pf(cpu_t *cpu, uint64_t lin, uint32_t error_code)
{
    cpu->exc.cr2 = lin;
    cpu_raise_err(cpu, EXC_PF, error_code);
}

_Noreturn void cpu_stop_after(cpu_t *cpu)
{
    unwind(cpu, UNWIND_STOP_AFTER);
}

void insn_ud(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    cpu_ud(cpu);
}

/* Count the instructions of the interrupted block that retired. */
static void account_unwind(cpu_t *cpu)
{
    block_t *b = cpu->cur_block;
    if (!b || !cpu->cur)
        return;
    uint64_t done = (uint64_t)(cpu->cur - b->insn);
    if (cpu->unwind == UNWIND_STOP_AFTER)
        done++;
    cpu->icount += done;
}

static inline uint64_t code_lin(const cpu_t *cpu)
{
    if (cpu->code_mode == CM_64)
        return cpu->r[R_RIP];
    return (uint32_t)(cpu->seg[SEG_CS].base + cpu->r[R_RIP]);
}

/* A chained successor of prev that still fits, or NULL. */
static inline block_t *chained(const cpu_t *cpu, const block_t *prev)
{
    uint64_t lin = code_lin(cpu);
    for (int i = 0; i < 2; i++) {
        block_t *b = prev->link[i];
        if (b && b->lin == lin && b->valid && b->key == cpu->decode_key)
            return b;
    }
    return NULL;
}

/* run_blocks and between_blocks: keep running (not a cpu_stop value). */
#define RUN_ON ((enum cpu_stop)-1)

/* The hot loop. It has no setjmp of its own, so the compiler keeps cpu and
 * the instruction pointer in registers; cpu_run's setjmp catches unwinds.
 * cpu->cur is cleared before anything that may fault outside an
 * instruction (block lookup), so an unwind never blames a finished one.
 * Returns STOP_BUDGET at stop_at, RUN_ON when something needs a look
 * between blocks (pending_events, or an RFLAGS bit in watch_flags). */
static __attribute__((noinline)) enum cpu_stop run_blocks(cpu_t *cpu)
{
    block_t *prev = NULL;
    for (;;) {
        if (cpu->icount >= cpu->stop_at)
            return STOP_BUDGET;
        if (__builtin_expect((cpu->rflags & cpu->watch_flags) != 0, 0))
            return RUN_ON;
        block_t *b = prev ? chained(cpu, prev) : NULL;
        if (!b) {
            cpu->cur = NULL;
            cpu->cur_block = NULL;
            b = block_next(cpu, prev);
        }
        uint64_t left = cpu->stop_at - cpu->icount;
        unsigned n = left < b->n ? (unsigned)left : b->n;
        const insn_t *in = b->insn;
        cpu->cur_block = b;
        for (unsigned i = n; i; i--, in++) {
            cpu->cur = in;
            cpu->r[R_RIP] += in->len;
            in->fn(cpu, in);
        }
        cpu->icount += n;
        prev = n == b->n ? b : NULL;
        if (cpu->pending_events) {
            cpu->cur = NULL;
            cpu->cur_block = NULL;
            return RUN_ON;
        }
    }
}

/* Run one instruction with the debug checks around it (SDM Vol.3A ch.18). */
static void step_one(cpu_t *cpu)
{
    cpu->cur = NULL;
    cpu->cur_block = NULL;
    dbg_before(cpu, code_lin(cpu));
    block_t *b = block_next(cpu, NULL);
    const insn_t *in = b->insn;
    bool tf = (cpu->rflags & F_TF) != 0;
    cpu->db_hits = 0;
    cpu->db_stepping = (uint8_t)(1 + tf);
    cpu->cur_block = b;
    cpu->cur = in;
    trace_insn_pre(cpu, b->lin, b->phys, b->phys2, in->len);   /* trace: insn class */
    cpu->r[R_RIP] += in->len;
    in->fn(cpu, in);
    cpu->icount++;
    trace_insn_done(cpu);                                       /* trace: it retired */
    cpu->cur = NULL;
    cpu->cur_block = NULL;
    cpu->db_stepping = 0;
    dbg_after(cpu, in, tf);
}

/* The NMI blocking in force: in VMX non-root operation the guest's (loaded
 * at VM entry from interruptibility-state bit 3, SDM Vol.3C Table 25-3),
 * else the CPU's own. */
static inline bool *nmi_blocking(cpu_t *cpu)
{
    return vmx_nonroot(cpu) ? &cpu->vmx->nmi_blocked : &cpu->nmi_blocked;
}

/* IRET unblocks NMIs; in a VMX guest under "NMI exiting" it leaves NMI
 * blocking alone unless "virtual NMIs" makes it virtual-NMI blocking
 * (SDM Vol.3C §26.3, IRET). */
void cpu_iret_nmi_unblock(cpu_t *cpu)
{
    if (vmx_nonroot(cpu) && (cpu->vmx->pin & PIN_NMI) && !(cpu->vmx->pin & PIN_VIRT_NMI))
        return;
    *nmi_blocking(cpu) = false;
    if (cpu->apic.nmi_pending)
        cpu->pending_events = true;   /* IRET ends its block: the run loop looks next */
}

/* Delivering an event ends HLT and MWAIT; an MWAIT's monitor goes too,
 * so the next MWAIT needs a new MONITOR (returning early is allowed). */
static void wake(cpu_t *cpu)
{
    cpu->halted = false;
    if (cpu->mwait)
        cpu_monitor_clear(cpu);
}

/* MWAIT's break events besides a store to the line (SDM Vol.2B MWAIT,
 * Vol.3A §9.10.4): NMI, INIT, an interrupt RFLAGS.IF lets through or, with
 * ECX[0], any pending interrupt, which is not delivered then. An NMI held
 * by NMI blocking ends it too: an early return is always allowed. */
static void mwait_check(cpu_t *cpu)
{
    if (cpu->mwait && (cpu->apic.nmi_pending || cpu->apic.init_pending ||
                       (cpu_irq_wakes(cpu) && lapic_pending_vector(cpu) >= 0)))
        cpu_monitor_clear(cpu);
}

/* Accept an NMI, or the APIC's highest interrupt when RFLAGS.IF is set and
 * no STI/MOV SS shadow blocks it (SDM Vol.3A §6.8.3, §11.8.4). An NMI
 * ignores IF but waits while an earlier one is unfinished (no IRET yet,
 * §6.7.1: one more stays latched) and through an STI/MOV SS shadow (Vol.3C
 * Table 25-3; STI: Vol.2B "may inhibit NMIs", which we do). With IF clear,
 * watch IF so the run loop looks again once it is set. Interrupts stay
 * pending while the caller delivers events itself. */
static void take_interrupt(cpu_t *cpu)
{
    cpu->watch_flags &= ~(uint32_t)F_IF;
    if (!cpu->deliver_exceptions)
        return;
    if (vmx_nonroot(cpu))
        vmx_interrupt_exits(cpu);     /* external-interrupt and NMI exiting: may VM exit */
    bool shadow = cpu->icount < cpu->irq_shadow_end;   /* plan_stop ends the run at its end */
    if (cpu->apic.nmi_pending && !shadow) {
        bool *blocked = nmi_blocking(cpu);
        if (!*blocked) {
            cpu->apic.nmi_pending = false;
            *blocked = true;          /* from delivery until IRET (§6.7.1) */
            wake(cpu);
            cpu_deliver_event(cpu, EXC_NMI, EV_EXTINT, 0);
            return;
        }
    }
    int v = lapic_pending_vector(cpu);
    if (v < 0)
        return;
    if (!(cpu->rflags & F_IF)) {
        cpu->watch_flags |= F_IF;
        return;
    }
    if (shadow)
        return;
    lapic_ack(cpu, v);
    wake(cpu);
    cpu_deliver_event(cpu, v, EV_EXTINT, 0);
}

/* HLT or MWAIT that an interrupt can end (IF set, or MWAIT's ECX[0]) with
 * the timer armed within the budget: time jumps to the deadline
 * (DESIGN.md, "Determinism"). False: stay asleep. */
static bool idle_to_timer(cpu_t *cpu)
{
    uint64_t d = cpu->apic.deadline;
    if (!cpu_irq_wakes(cpu) || !cpu->deliver_exceptions || d >= cpu->budget_end)
        return false;
    if (d > cpu->icount)
        cpu->icount = d;
    lapic_timer_update(cpu);
    take_interrupt(cpu);
    mwait_check(cpu);
    return true;
}

void cpu_idle(cpu_t *cpu, uint64_t until)
{
    if (cpu->icount < until)
        cpu->icount = until;
    lapic_timer_update(cpu);
    lapic_kick(cpu);
}

/* The run ends at the budget, the timer deadline, or the end of an
 * interrupt shadow. */
static void plan_stop(cpu_t *cpu)
{
    uint64_t s = cpu->budget_end;
    if (cpu->apic.deadline < s)
        s = cpu->apic.deadline;
    if (cpu->irq_shadow_end > cpu->icount && cpu->irq_shadow_end < s)
        s = cpu->irq_shadow_end;
    if (vmx_nonroot(cpu))
        s = vmx_stop_limit(cpu, s);   /* preemption timer, interrupt window */
    cpu->stop_at = s;
}

static enum cpu_stop between_blocks(cpu_t *cpu)
{
    if (vmx_api_exited(cpu))
        return STOP_EVENT;            /* a VM exit for the C root side (vmx_run) */
    if (vmx_nonroot(cpu))
        vmx_between_blocks(cpu);      /* may take a VM exit (longjmp) */
    bool ev = cpu->pending_events;
    cpu->pending_events = false;
    if (cpu->apic.init_pending && !vmx_init_blocked(cpu))
        lapic_take_init(cpu);
    if (cpu->apic.wait_sipi)
        return STOP_HALT;
    lapic_timer_update(cpu);
    take_interrupt(cpu);
    mwait_check(cpu);
    while (cpu->halted || cpu->mwait)
        if (!idle_to_timer(cpu))
            return ev ? STOP_EVENT : STOP_HALT;
    plan_stop(cpu);
    return ev ? STOP_EVENT : RUN_ON;
}

/* Faults push RF = 1 so the handler's IRET does not re-trigger an
 * instruction breakpoint (SDM Vol.3A §18.3.1.1); #DB itself does not. */
static bool is_fault(int v)
{
    return v == EXC_DE || v == EXC_BR || v == EXC_UD || v == EXC_NM || (v >= EXC_TS && v <= EXC_PF) ||
           v == EXC_MF || v == EXC_AC || v == EXC_XM || v == EXC_VE;
}

/* After a longjmp to cpu_run: account, finish a debug step, deliver. */
static enum cpu_stop after_unwind(cpu_t *cpu)
{
    const insn_t *in = cpu->cur;
    account_unwind(cpu);
    cpu->cur = NULL;
    cpu->cur_block = NULL;
    if (cpu->db_stepping) {
        bool tf = cpu->db_stepping == 2;
        cpu->db_stepping = 0;
        if (cpu->unwind == UNWIND_STOP_AFTER && in) {
            trace_insn_done(cpu);         /* trace: a stepped instruction that ended its block */
            cpu->unwind = UNWIND_NONE;
            dbg_after(cpu, in, tf);       /* may raise the #DB trap: back here */
        }
        cpu->db_hits = 0;
    }
    if (cpu->mwait && (cpu->unwind == UNWIND_EXCEPTION || cpu->unwind == UNWIND_VMEXIT))
        cpu_monitor_clear(cpu);       /* a #DB trap after MWAIT, a VM exit: the wait is over */
    if (cpu->unwind == UNWIND_EXCEPTION) {
        if (!cpu->deliver_exceptions)
            return STOP_EXCEPTION;
        if (is_fault(cpu->exc.vector))
            cpu->rflags |= F_RF;
        if (!cpu_deliver_exception(cpu))
            return STOP_SHUTDOWN;
        cpu->exc.vector = -1;
    }
    cpu->unwind = UNWIND_NONE;
    dbg_refresh(cpu);                 /* MOV DR7, POPF, IRET may change it */
    return RUN_ON;
}

enum cpu_stop cpu_run(cpu_t *cpu, uint64_t budget)
{
    cpu->budget_end = cpu->icount + budget;
    cpu->stop_at = cpu->budget_end;
    cpu->cur = NULL;
    cpu->cur_block = NULL;
    if (cpu->m)
        cpu->m->current = cpu;
    dbg_refresh(cpu);
    if (setjmp(cpu->unwind_jmp)) {
        enum cpu_stop s = after_unwind(cpu);
        if (s != RUN_ON)
            return s;
    }
    for (;;) {
        enum cpu_stop s = between_blocks(cpu);
        if (s != RUN_ON)
            return s;
        if (cpu->icount >= cpu->budget_end)
            return STOP_BUDGET;
        if (dbg_wants_step(cpu) || trace_insn_step(cpu)) {   /* insn tracing steps too */
            step_one(cpu);
            continue;
        }
        s = run_blocks(cpu);
        cpu->cur = NULL;
        cpu->cur_block = NULL;
        if (s != RUN_ON && s != STOP_BUDGET)
            return s;
    }
}
