/* MMX and SSE..SSE4.2 instructions (SDM Vol.1 ch.9-12). */
/* Placeholder: every form raises #UD until implemented. */
#include "ops.h"

void sel_sse(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = insn_ud;
}

void sel_sse38(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = insn_ud;
}

void sel_sse3a(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = insn_ud;
}
