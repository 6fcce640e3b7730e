/* Bit instructions: BT*, BSF/BSR, TZCNT/LZCNT, POPCNT, MOVBE, CRC32, ADX, BMI1/BMI2. */
/* Placeholder: every form raises #UD until implemented. */
#include "ops.h"

void sel_bt(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = insn_ud;
}

void sel_grp8(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = insn_ud;
}

void sel_bsf_bsr(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = insn_ud;
}

void sel_popcnt(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = insn_ud;
}

void sel_movbe_crc32(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = insn_ud;
}

void sel_adx(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = insn_ud;
}

void sel_vex_gpr(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = insn_ud;
}
