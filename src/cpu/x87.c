/* The x87 FPU instructions D8-DF and WAIT (SDM Vol.1 ch.8). */
/* Placeholder: every form raises #UD until implemented. */
#include "ops.h"

void sel_x87(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = insn_ud;
}
