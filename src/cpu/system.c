/* System instructions, far transfers and interrupts (SDM Vol.2, Vol.3A). */
/* Placeholder: every form raises #UD until implemented. */
#include "ops.h"

void sel_far(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = insn_ud;
}

void sel_int(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = insn_ud;
}

void sel_io(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = insn_ud;
}

void sel_cli_sti(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = insn_ud;
}

void sel_grp6(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = insn_ud;
}

void sel_grp7(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = insn_ud;
}

void sel_lar_lsl(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = insn_ud;
}

void sel_sys0f(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = insn_ud;
}

void sel_grp15(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = insn_ud;
}

void sel_lxs(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = insn_ud;
}

void sel_bound_arpl(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = insn_ud;
}

/* HLT: privileged (SDM Vol.2 HLT); stops the vCPU until an event. */
static void h_hlt(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    if (cpu->cpl != 0)
        cpu_gp0(cpu);
    cpu->halted = true;
    cpu_stop_after(cpu);
}

void sel_hlt(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = h_hlt;
}

void seg_load(cpu_t *cpu, int seg, uint16_t sel)
{
    (void)sel;
    (void)seg;
    cpu_gp0(cpu);
}

bool cpu_deliver_exception(cpu_t *cpu)
{
    (void)cpu;
    return false;
}
