/* MMX and SSE..SSE4.2 dispatch (SDM Vol.2 Appendix A, Tables ):
 * the three map selectors route each opcode to its family file, and the
 * decode-time checks of CR0.EM/TS and CR4.OSFXSR/OSXSAVE live here. */
#include "simd.h"

/* ---- decode-time exception checks ---- */

static void h_nm(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    cpu_raise(cpu, EXC_NM);
}

/* SDM Vol.3A §2.5 (CR0.EM, CR0.TS) and §13.1 Table 13-1 (SSE; MMX
 * instructions need no CR4.OSFXSR), Vol.2 FXSAVE and XSAVE pages. */
void simd_guard(const dctx_t *d, insn_t *in, enum simd_class c)
{
    if (!in->fn || in->fn == insn_ud) {
        in->fn = insn_ud;
        return;
    }
    uint64_t cr0 = d->cpu->cr0, cr4 = d->cpu->cr4;
    bool ud = false, nm = false;
    switch (c) {
    case SC_SSE:
        ud = (cr0 & CR0_EM) || !(cr4 & CR4_OSFXSR);
        nm = cr0 & CR0_TS;
        break;
    case SC_MMX:
        ud = cr0 & CR0_EM;
        nm = cr0 & CR0_TS;
        break;
    case SC_FXSR:
        nm = cr0 & (CR0_TS | CR0_EM);
        break;
    case SC_XSAVE:
        ud = !(cr4 & CR4_OSXSAVE);
        nm = cr0 & CR0_TS;
        break;
    case SC_NONE:
        break;
    }
    if (ud)
        in->fn = insn_ud;
    else if (nm)
        in->fn = h_nm;
}

/* MMX registers ignore REX.R and REX.B (SDM Vol.2 §2.2.1.2). */
static void pick_mmx(const dctx_t *d, insn_t *in, insn_fn reg, insn_fn mem)
{
    in->reg &= 7;
    if (!(in->flags & INF_MEM))
        in->rm &= 7;
    in->fn = (in->flags & INF_MEM) ? mem : reg;
    simd_guard(d, in, SC_MMX);
}

void simd_set_xmm(const dctx_t *d, insn_t *in, insn_fn reg, insn_fn mem)
{
    in->fn = (in->flags & INF_MEM) ? mem : reg;
    simd_guard(d, in, SC_SSE);
}

void simd_pick(const dctx_t *d, insn_t *in, const simd_forms_t *f)
{
    if (in->pfx == PFX_NONE)
        pick_mmx(d, in, f->mm, f->mmem);
    else if (in->pfx == PFX_66)
        simd_set_xmm(d, in, f->xx, f->xm);
    else
        in->fn = insn_ud;
}

void simd_pick66(const dctx_t *d, insn_t *in, const simd_forms_t *f)
{
    if (in->pfx == PFX_66)
        simd_set_xmm(d, in, f->xx, f->xm);
    else
        in->fn = insn_ud;
}

void simd_pick_ps_pd(const dctx_t *d, insn_t *in, const simd_forms_t *ps, const simd_forms_t *pd)
{
    if (in->pfx == PFX_NONE)
        simd_set_xmm(d, in, ps->xx, ps->xm);
    else if (in->pfx == PFX_66)
        simd_set_xmm(d, in, pd->xx, pd->xm);
    else
        in->fn = insn_ud;
}

/* ---- the maps ---- */

#define MOVE sel_sse_move
#define INT sel_sse_int
#define SHUF sel_sse_shuffle
#define FP sel_sse_fp

/* 0F map, SDM Vol.2 Table A-3. */
static const insn_sel map0f[256] = {
    [0x10 ... 0x13] = MOVE, [0x14 ... 0x15] = SHUF, [0x16 ... 0x17] = MOVE,
    [0x28 ... 0x29] = MOVE, [0x2a] = FP, [0x2b] = MOVE, [0x2c ... 0x2f] = FP,
    [0x50] = MOVE, [0x51 ... 0x53] = FP, [0x54 ... 0x57] = sel_sse_logic, [0x58 ... 0x5f] = FP,
    [0x60 ... 0x62] = SHUF, [0x63 ... 0x67] = INT, [0x68 ... 0x6a] = SHUF, [0x6b] = INT,
    [0x6c ... 0x6d] = SHUF, [0x6e ... 0x6f] = MOVE,
    [0x70] = SHUF, [0x71 ... 0x73] = sel_sse_shift_imm, [0x74 ... 0x76] = INT, [0x77] = sel_mmx_emms,
    [0x7c ... 0x7d] = FP, [0x7e ... 0x7f] = MOVE,
    [0xc2] = FP, [0xc3] = MOVE, [0xc4 ... 0xc6] = SHUF,
    [0xd0] = FP, [0xd1 ... 0xd5] = INT, [0xd6 ... 0xd7] = MOVE, [0xd8 ... 0xdf] = INT,
    [0xe0 ... 0xe5] = INT, [0xe6] = FP, [0xe7] = MOVE, [0xe8 ... 0xef] = INT,
    [0xf0] = MOVE, [0xf1 ... 0xf6] = INT, [0xf7] = MOVE, [0xf8 ... 0xfe] = INT,
};

/* 0F38 map, SDM Vol.2 Table A-4. */
static const insn_sel map0f38[256] = {
    [0x00] = sel_sse_shuffle38, [0x01 ... 0x0b] = sel_sse_int38,
    [0x10] = sel_sse_shuffle38, [0x14 ... 0x15] = sel_sse_shuffle38, [0x17] = sel_sse4,
    [0x1c ... 0x1e] = sel_sse_int38,
    [0x20 ... 0x25] = sel_sse4, [0x28 ... 0x29] = sel_sse4, [0x2a] = MOVE, [0x2b] = sel_sse4,
    [0x30 ... 0x35] = sel_sse4, [0x37 ... 0x41] = sel_sse4,
};

/* 0F3A map, SDM Vol.2 Table A-5. */
static const insn_sel map0f3a[256] = {
    [0x08 ... 0x0b] = sel_sse_fp3a, [0x0c ... 0x0f] = sel_sse_shuffle3a,
    [0x14 ... 0x17] = sel_sse_shuffle3a, [0x20 ... 0x22] = sel_sse_shuffle3a,
    [0x40 ... 0x41] = sel_sse_fp3a, [0x42] = sel_sse4_3a,
    [0x60 ... 0x63] = sel_sse42_string,
};

static void dispatch(const insn_sel *map, dctx_t *d, insn_t *in)
{
    insn_sel s = map[in->op];
    in->fn = insn_ud;
    if (s && !(in->flags & INF_VEX))
        s(d, in);
}

void sel_sse(dctx_t *d, insn_t *in)
{
    dispatch(map0f, d, in);
}

void sel_sse38(dctx_t *d, insn_t *in)
{
    if (in->op == 0x80 || in->op == 0x81) {
        sel_vmx_inv(d, in);           /* INVEPT, INVVPID (src/vmx) */
        return;
    }
    if (in->op == 0x82) {
        sel_invpcid(d, in);
        return;
    }
    dispatch(map0f38, d, in);
}

void sel_sse3a(dctx_t *d, insn_t *in)
{
    dispatch(map0f3a, d, in);
}
