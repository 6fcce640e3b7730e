/* x87 control instructions: FNINIT FNCLEX FLDCW FNSTCW FNSTSW (m16 and
 * AX), FINCSTP FDECSTP FFREE FFREEP FNOP FWAIT and the legacy no-ops
 * (SDM Vol.2 instruction pages, Vol.1 §8.3.12). The FN forms never
 * report a pending exception; FLDCW and FWAIT do. Control instructions
 * leave FIP/FDP/FOP alone (SDM Vol.1 §8.1.8); FINCSTP, FDECSTP, FFREE,
 * FFREEP and FNOP are not control instructions and set FIP. The
 * environment images are in x87_env.c. */
#include "x87.h"

/* FNINIT (DB E3): FCW 037FH, FSW 0, all tags empty, pointers and FOP 0
 * (SDM Vol.2 FINIT/FNINIT). */
void x87_fninit(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    x87_reset_state(cpu);
}

/* FNCLEX (DB E2): clears the exception flags, SF, ES and B. */
void x87_fnclex(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    cpu->fpu.fsw &= (uint16_t)~(SW_EXC | SW_SF | SW_ES | SW_B);
}

/* FCW as loaded: reserved bits 7 and 13-15 read as 0, bit 6 as 1 (as
 * the host does). */
static uint16_t fcw_loaded(uint16_t v)
{
    return (uint16_t)((v & 0x1f3f) | 0x40);
}

/* FLDCW m16: unmasking a raised exception makes it pending (ES), to be
 * reported by the next waiting instruction (SDM Vol.2 FLDCW). */
void x87_fldcw(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    uint16_t v = mmu_read16(cpu, in->seg, insn_ea(cpu, in));
    cpu->fpu.fcw = fcw_loaded(v);
    x87_update_es(cpu);
}

void x87_fnstcw(cpu_t *cpu, const insn_t *in)
{
    mmu_write16(cpu, in->seg, insn_ea(cpu, in), cpu->fpu.fcw);
}

void x87_fnstsw_m16(cpu_t *cpu, const insn_t *in)
{
    mmu_write16(cpu, in->seg, insn_ea(cpu, in), cpu->fpu.fsw);
}

/* DF E0: FNSTSW AX. */
void x87_fnstsw_ax(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    gpr_set(cpu, R_RAX, 2, cpu->fpu.fsw);
}

/* FINCSTP (aux 0) / FDECSTP (aux 1): TOP +/- 1, tags unchanged, C1 = 0. */
void x87_fincstp(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    x87_set_top(cpu, x87_top(cpu) + (in->aux ? 7u : 1u));
    x87_set_c1(cpu, false);
    x87_retire(cpu, in, false);
}

/* FFREE ST(i) (aux 0), FFREEP ST(i) (aux 1, DF C0-C7: then pops); the
 * host clears C1. */
void x87_ffree(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    x87_set_tag(cpu, x87_phys(cpu, in->rm), TAG_EMPTY);
    x87_set_c1(cpu, false);
    if (in->aux)
        x87_pop(cpu);
    x87_retire(cpu, in, false);
}

void x87_fnop(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    x87_retire(cpu, in, false);
}

/* WAIT/FWAIT (9B): only reports a pending exception. */
void x87_fwait(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    x87_wait(cpu);
}

/* FNENI, FNDISI, FNSETPM (DB E0, E1, E4): 8087/80287 controls that do
 * nothing since the 80387. */
void x87_nop_legacy(cpu_t *cpu, const insn_t *in)
{
    (void)cpu;
    (void)in;
}
