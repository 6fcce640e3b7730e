/* Shifts and rotates (group 2), SHLD, SHRD (SDM Vol.2). */
/* Placeholder: every form raises #UD until implemented. */
#include "ops.h"

void sel_grp2(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = insn_ud;
}

void sel_shxd(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = insn_ud;
}
