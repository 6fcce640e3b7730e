/* MUL, IMUL (all three forms), DIV, IDIV (SDM Vol.2). */
/* Placeholder: every form raises #UD until implemented. */
#include "ops.h"

void sel_imul(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = insn_ud;
}

void muldiv_grp3(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = insn_ud;
}
