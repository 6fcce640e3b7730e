/* The run loop (DESIGN.md, "The run loop"): walk predecoded blocks until the
 * budget ends or something stops the vCPU. Exceptions and early block exits
 * unwind here with longjmp, so handlers pay nothing for them. */
#include <string.h>

#include "block.h"
#include "xenemu/flags.h"
#include "xenemu/mmu.h"

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
    cpu->tlb = align_check ? cpu->tlb_sets[2] : cpu->tlb_sets[cpu->cpl == 3];
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
    mmu_flush_all(cpu);
    memset(cpu->jcache, 0, sizeof cpu->jcache);
    cpu_update_mode(cpu);
}

void cpu_init(cpu_t *cpu, machine_t *m, int id)
{
    memset(cpu, 0, sizeof *cpu);
    cpu->m = m;
    cpu->id = id;
    for (int s = 0; s < 3; s++)
        for (unsigned i = 0; i < TLB_SIZE; i++) {
            tlb_entry_t *e = &cpu->tlb_sets[s][i];
            e->tag_r = e->tag_w = e->tag_x = TLB_INVALID;
        }
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

/* The hot loop. It has no setjmp of its own, so the compiler keeps cpu and
 * the instruction pointer in registers; cpu_run's setjmp catches unwinds.
 * cpu->cur is cleared before anything that may fault outside an
 * instruction (block lookup), so an unwind never blames a finished one. */
static __attribute__((noinline)) enum cpu_stop run_blocks(cpu_t *cpu)
{
    block_t *prev = NULL;
    for (;;) {
        if (cpu->icount >= cpu->stop_at)
            return STOP_BUDGET;
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
            return STOP_EVENT;
        }
    }
}

enum cpu_stop cpu_run(cpu_t *cpu, uint64_t budget)
{
    cpu->stop_at = cpu->icount + budget;
    cpu->cur = NULL;
    cpu->cur_block = NULL;
    if (setjmp(cpu->unwind_jmp)) {
        account_unwind(cpu);
        cpu->cur = NULL;
        cpu->cur_block = NULL;
        if (cpu->unwind == UNWIND_EXCEPTION) {
            if (!cpu->deliver_exceptions)
                return STOP_EXCEPTION;
            if (!cpu_deliver_exception(cpu))
                return STOP_SHUTDOWN;
            cpu->exc.vector = -1;
        }
        if (cpu->halted)
            return STOP_HALT;
        if (cpu->pending_events)
            return STOP_EVENT;
    }
    enum cpu_stop stop = run_blocks(cpu);
    cpu->cur = NULL;
    cpu->cur_block = NULL;
    return stop;
}
