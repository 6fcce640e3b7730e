/* String instructions with REP prefixes (SDM Vol.2 MOVS..., Vol.1 §7.3.9). */
/* Placeholder: every form raises #UD until implemented. */
#include "ops.h"

void sel_string(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = insn_ud;
}
