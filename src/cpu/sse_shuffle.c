/* Data rearrangement on MMX and XMM registers: unpacks, PSHUF*, SHUFPS/PD,
 * PSHUFB, PALIGNR, the blends (immediate and XMM0-controlled), and the
 * element inserts and extracts (SDM Vol.2, each instruction's page). */
#include "simd.h"

/* ---- unpacks: interleave the low (or high) halves of both operands ---- */

#define UNPCK_KERNEL(NAME, LANE, HIGH)                                                     \
    SIMD_INLINE void NAME(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned imm) \
    {                                                                                      \
        (void)imm;                                                                         \
        unsigned h = n / sizeof(r->LANE[0]) / 2, base = (HIGH) ? h : 0;                    \
        for (unsigned i = 0; i < h; i++) {                                                 \
            r->LANE[2 * i] = a->LANE[base + i];                                            \
            r->LANE[2 * i + 1] = b->LANE[base + i];                                        \
        }                                                                                  \
    }

UNPCK_KERNEL(k_punpcklbw, b, 0)
UNPCK_KERNEL(k_punpcklwd, w, 0)
UNPCK_KERNEL(k_punpckldq, d, 0)
UNPCK_KERNEL(k_punpcklqdq, q, 0)
UNPCK_KERNEL(k_punpckhbw, b, 1)
UNPCK_KERNEL(k_punpckhwd, w, 1)
UNPCK_KERNEL(k_punpckhdq, d, 1)
UNPCK_KERNEL(k_punpckhqdq, q, 1)

/* ---- shuffles by immediate ---- */

/* PSHUFW (MMX) and PSHUFD: lanes of the source picked by 2-bit fields. */
SIMD_INLINE void k_pshufw(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned imm)
{
    (void)a;
    (void)n;
    for (unsigned i = 0; i < 4; i++)
        r->w[i] = b->w[(imm >> (2 * i)) & 3];
}

SIMD_INLINE void k_pshufd(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned imm)
{
    (void)a;
    (void)n;
    for (unsigned i = 0; i < 4; i++)
        r->d[i] = b->d[(imm >> (2 * i)) & 3];
}

SIMD_INLINE void k_pshufhw(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned imm)
{
    (void)a;
    (void)n;
    r->q[0] = b->q[0];
    for (unsigned i = 0; i < 4; i++)
        r->w[4 + i] = b->w[4 + ((imm >> (2 * i)) & 3)];
}

SIMD_INLINE void k_pshuflw(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned imm)
{
    (void)a;
    (void)n;
    for (unsigned i = 0; i < 4; i++)
        r->w[i] = b->w[(imm >> (2 * i)) & 3];
    r->q[1] = b->q[1];
}

/* SHUFPS/SHUFPD: the low half from the destination, the high from the
 * source. */
SIMD_INLINE void k_shufps(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned imm)
{
    (void)n;
    r->d[0] = a->d[imm & 3];
    r->d[1] = a->d[(imm >> 2) & 3];
    r->d[2] = b->d[(imm >> 4) & 3];
    r->d[3] = b->d[(imm >> 6) & 3];
}

SIMD_INLINE void k_shufpd(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned imm)
{
    (void)n;
    r->q[0] = a->q[imm & 1];
    r->q[1] = b->q[(imm >> 1) & 1];
}

/* PSHUFB (SSSE3): bytes of the destination indexed by the source; bit 7
 * clears. */
SIMD_INLINE void k_pshufb(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned imm)
{
    (void)imm;
    for (unsigned i = 0; i < n; i++)
        r->b[i] = (b->b[i] & 0x80) ? 0 : a->b[b->b[i] & (n - 1)];
}

/* PALIGNR (SSSE3): destination:source shifted right by imm bytes. */
SIMD_INLINE void k_palignr(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned imm)
{
    for (unsigned i = 0; i < n; i++) {
        unsigned k = i + imm;
        r->b[i] = k < n ? b->b[k] : k < 2 * n ? a->b[k - n] : 0;
    }
}

/* ---- blends by immediate (SSE4.1) ---- */

SIMD_INLINE void k_blendps(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned imm)
{
    (void)n;
    for (unsigned i = 0; i < 4; i++)
        r->d[i] = ((imm >> i) & 1) ? b->d[i] : a->d[i];
}

SIMD_INLINE void k_blendpd(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned imm)
{
    (void)n;
    for (unsigned i = 0; i < 2; i++)
        r->q[i] = ((imm >> i) & 1) ? b->q[i] : a->q[i];
}

SIMD_INLINE void k_pblendw(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned imm)
{
    (void)n;
    for (unsigned i = 0; i < 8; i++)
        r->w[i] = ((imm >> i) & 1) ? b->w[i] : a->w[i];
}

SIMD_OPS(punpcklbw, k_punpcklbw, A16, 4)
SIMD_OPS(punpcklwd, k_punpcklwd, A16, 4)
SIMD_OPS(punpckldq, k_punpckldq, A16, 4)
SIMD_OPS(punpckhbw, k_punpckhbw, A16, 8)
SIMD_OPS(punpckhwd, k_punpckhwd, A16, 8)
SIMD_OPS(punpckhdq, k_punpckhdq, A16, 8)
SIMD_XOPS(punpcklqdq, k_punpcklqdq, A16)
SIMD_XOPS(punpckhqdq, k_punpckhqdq, A16)
SIMD_MFORMS(pshufw, k_pshufw, 8)
SIMD_XOPS(pshufd, k_pshufd, A16)
SIMD_XOPS(pshufhw, k_pshufhw, A16)
SIMD_XOPS(pshuflw, k_pshuflw, A16)
SIMD_XOPS(shufps, k_shufps, A16)
SIMD_XOPS(shufpd, k_shufpd, A16)
SIMD_OPS(pshufb, k_pshufb, A16, 8)
SIMD_OPS(palignr, k_palignr, A16, 8)
SIMD_XOPS(blendps, k_blendps, A16)
SIMD_XOPS(blendpd, k_blendpd, A16)
SIMD_XOPS(pblendw, k_pblendw, A16)

/* ---- blends under XMM0 (SSE4.1 BLENDVPS/BLENDVPD/PBLENDVB): the sign bit
 * of each mask element picks the source ---- */

#define BLENDV(NAME, LANE, SIGN)                                                   \
    SIMD_INLINE void NAME##_k(xmm_t *r, const xmm_t *a, const xmm_t *b, const xmm_t *m) \
    {                                                                              \
        for (unsigned i = 0; i < 16 / sizeof(r->LANE[0]); i++)                     \
            r->LANE[i] = (m->LANE[i] & (SIGN)) ? b->LANE[i] : a->LANE[i];          \
    }                                                                              \
    static void NAME##_xx(cpu_t *cpu, const insn_t *in)                            \
    {                                                                              \
        xmm_t r;                                                                   \
        NAME##_k(&r, &cpu->xmm[in->reg], &cpu->xmm[in->rm], &cpu->xmm[0]);         \
        cpu->xmm[in->reg] = r;                                                     \
    }                                                                              \
    static void NAME##_xm(cpu_t *cpu, const insn_t *in)                            \
    {                                                                              \
        xmm_t b, r;                                                                \
        simd_load128(cpu, in, &b, true);                                           \
        NAME##_k(&r, &cpu->xmm[in->reg], &b, &cpu->xmm[0]);                        \
        cpu->xmm[in->reg] = r;                                                     \
    }                                                                              \
    static const simd_forms_t NAME##_forms = { NAME##_xx, NAME##_xm, NULL, NULL };

BLENDV(pblendvb, b, 0x80u)
BLENDV(blendvps, d, 0x80000000u)
BLENDV(blendvpd, q, 1ull << 63)

/* ---- PINSRW / PEXTRW (0F C4, C5) ---- */

static void pinsrw_mr(cpu_t *cpu, const insn_t *in)
{
    mmx_begin(cpu);
    uint64_t sh = 16 * (in->imm & 3), v = mmx_get(cpu, in->reg);
    v = (v & ~(0xffffull << sh)) | ((uint64_t)(uint16_t)cpu->r[in->rm] << sh);
    mmx_set(cpu, in->reg, v);
}

static void pinsrw_mmem(cpu_t *cpu, const insn_t *in)
{
    mmx_check(cpu);
    uint16_t w = mmu_read16(cpu, in->seg, insn_ea(cpu, in));
    uint64_t sh = 16 * (in->imm & 3), v = mmx_get(cpu, in->reg);
    v = (v & ~(0xffffull << sh)) | ((uint64_t)w << sh);
    mmx_enter(cpu);
    mmx_set(cpu, in->reg, v);
}

static void pinsrw_xr(cpu_t *cpu, const insn_t *in)
{
    cpu->xmm[in->reg].w[in->imm & 7] = (uint16_t)cpu->r[in->rm];
}

static void pinsrw_xm(cpu_t *cpu, const insn_t *in)
{
    cpu->xmm[in->reg].w[in->imm & 7] = mmu_read16(cpu, in->seg, insn_ea(cpu, in));
}

/* The source is a general register or m16, so r/m keeps REX.B. */
static void sel_pinsrw(const dctx_t *d, insn_t *in)
{
    bool mem = in->flags & INF_MEM;
    if (in->pfx == PFX_NONE) {
        in->reg &= 7;
        in->fn = mem ? pinsrw_mmem : pinsrw_mr;
        simd_guard(d, in, SC_MMX);
    } else if (in->pfx == PFX_66) {
        simd_set_xmm(d, in, pinsrw_xr, pinsrw_xm);
    }
}

/* The destination is a general register, zero-extended. */
static void pextrw_rm(cpu_t *cpu, const insn_t *in)
{
    mmx_begin(cpu);
    uint64_t v = (mmx_get(cpu, in->rm) >> (16 * (in->imm & 3))) & 0xffff;
    cpu->r[in->reg] = v;
}

static void pextrw_rx(cpu_t *cpu, const insn_t *in)
{
    cpu->r[in->reg] = cpu->xmm[in->rm].w[in->imm & 7];
}

static void sel_pextrw(const dctx_t *d, insn_t *in)
{
    if (in->flags & INF_MEM)
        return;
    if (in->pfx == PFX_NONE) {
        in->rm &= 7;
        in->fn = pextrw_rm;
        simd_guard(d, in, SC_MMX);
    } else if (in->pfx == PFX_66) {
        simd_set_xmm(d, in, pextrw_rx, NULL);
    }
}

/* 0F 70: PSHUFW (none), PSHUFD (66), PSHUFHW (F3), PSHUFLW (F2). */
static void sel_pshuf(const dctx_t *d, insn_t *in)
{
    switch (in->pfx) {
    case PFX_NONE:
        in->reg &= 7;
        if (!(in->flags & INF_MEM))
            in->rm &= 7;
        in->fn = (in->flags & INF_MEM) ? pshufw_mmem : pshufw_mm;
        simd_guard(d, in, SC_MMX);
        break;
    case PFX_66: simd_set_xmm(d, in, pshufd_xx, pshufd_xm); break;
    case PFX_F3: simd_set_xmm(d, in, pshufhw_xx, pshufhw_xm); break;
    default: simd_set_xmm(d, in, pshuflw_xx, pshuflw_xm); break;
    }
}

void sel_sse_shuffle(dctx_t *d, insn_t *in)
{
    switch (in->op) {
    case 0x14: simd_pick_ps_pd(d, in, &punpckldq_forms, &punpcklqdq_forms); break;
    case 0x15: simd_pick_ps_pd(d, in, &punpckhdq_forms, &punpckhqdq_forms); break;
    case 0x60: simd_pick(d, in, &punpcklbw_forms); break;
    case 0x61: simd_pick(d, in, &punpcklwd_forms); break;
    case 0x62: simd_pick(d, in, &punpckldq_forms); break;
    case 0x68: simd_pick(d, in, &punpckhbw_forms); break;
    case 0x69: simd_pick(d, in, &punpckhwd_forms); break;
    case 0x6a: simd_pick(d, in, &punpckhdq_forms); break;
    case 0x6c: simd_pick66(d, in, &punpcklqdq_forms); break;
    case 0x6d: simd_pick66(d, in, &punpckhqdq_forms); break;
    case 0x70: sel_pshuf(d, in); break;
    case 0xc4: sel_pinsrw(d, in); break;
    case 0xc5: sel_pextrw(d, in); break;
    case 0xc6: simd_pick_ps_pd(d, in, &shufps_forms, &shufpd_forms); break;
    default: break;
    }
}

/* 0F38: PSHUFB (MMX and XMM), PBLENDVB, BLENDVPS, BLENDVPD. */
void sel_sse_shuffle38(dctx_t *d, insn_t *in)
{
    switch (in->op) {
    case 0x00: simd_pick(d, in, &pshufb_forms); break;
    case 0x10: simd_pick66(d, in, &pblendvb_forms); break;
    case 0x14: simd_pick66(d, in, &blendvps_forms); break;
    case 0x15: simd_pick66(d, in, &blendvpd_forms); break;
    default: break;
    }
}

/* ---- SSE4.1 extracts (0F3A 14-17): XMM in ModRM.reg, r/m the destination;
 * a register destination is zero-extended ---- */

#define EXTRACT(NAME, BYTES, EXPR)                                                 \
    static void NAME##_r(cpu_t *cpu, const insn_t *in)                             \
    {                                                                              \
        const xmm_t *x = &cpu->xmm[in->reg];                                       \
        unsigned imm = (unsigned)in->imm;                                          \
        cpu->r[in->rm] = (EXPR);                                                   \
    }                                                                              \
    static void NAME##_m(cpu_t *cpu, const insn_t *in)                             \
    {                                                                              \
        const xmm_t *x = &cpu->xmm[in->reg];                                       \
        unsigned imm = (unsigned)in->imm;                                          \
        mmu_write(cpu, in->seg, insn_ea(cpu, in), (EXPR), BYTES);                  \
    }

EXTRACT(pextrb, 1, x->b[imm & 15])
EXTRACT(pextrw, 2, x->w[imm & 7])
EXTRACT(pextrd, 4, x->d[imm & 3])
EXTRACT(pextrq, 8, x->q[imm & 1])

/* ---- SSE4.1 inserts (0F3A 20-22) ---- */

static void pinsrb_xr(cpu_t *cpu, const insn_t *in)
{
    cpu->xmm[in->reg].b[in->imm & 15] = (uint8_t)cpu->r[in->rm];
}

static void pinsrb_xm(cpu_t *cpu, const insn_t *in)
{
    cpu->xmm[in->reg].b[in->imm & 15] = mmu_read8(cpu, in->seg, insn_ea(cpu, in));
}

static void pinsrd_xr(cpu_t *cpu, const insn_t *in)
{
    cpu->xmm[in->reg].d[in->imm & 3] = (uint32_t)cpu->r[in->rm];
}

static void pinsrd_xm(cpu_t *cpu, const insn_t *in)
{
    cpu->xmm[in->reg].d[in->imm & 3] = mmu_read32(cpu, in->seg, insn_ea(cpu, in));
}

static void pinsrq_xr(cpu_t *cpu, const insn_t *in)
{
    cpu->xmm[in->reg].q[in->imm & 1] = cpu->r[in->rm];
}

static void pinsrq_xm(cpu_t *cpu, const insn_t *in)
{
    cpu->xmm[in->reg].q[in->imm & 1] = mmu_read64(cpu, in->seg, insn_ea(cpu, in));
}

/* INSERTPS: imm[7:6] source element (register form), imm[5:4] destination
 * element, imm[3:0] elements to clear. */
static void insertps_do(cpu_t *cpu, const insn_t *in, uint32_t v)
{
    xmm_t r = cpu->xmm[in->reg];
    unsigned imm = (unsigned)in->imm;
    r.d[(imm >> 4) & 3] = v;
    for (unsigned i = 0; i < 4; i++)
        if ((imm >> i) & 1)
            r.d[i] = 0;
    cpu->xmm[in->reg] = r;
}

static void insertps_xx(cpu_t *cpu, const insn_t *in)
{
    insertps_do(cpu, in, cpu->xmm[in->rm].d[(in->imm >> 6) & 3]);
}

static void insertps_xm(cpu_t *cpu, const insn_t *in)
{
    insertps_do(cpu, in, mmu_read32(cpu, in->seg, insn_ea(cpu, in)));
}

void sel_sse_shuffle3a(dctx_t *d, insn_t *in)
{
    bool w = in->flags & INF_REXW;
    if (in->op == 0x0f) {
        simd_pick(d, in, &palignr_forms);
        return;
    }
    if (in->pfx != PFX_66)
        return;
    switch (in->op) {
    case 0x0c: simd_set_xmm(d, in, blendps_xx, blendps_xm); break;
    case 0x0d: simd_set_xmm(d, in, blendpd_xx, blendpd_xm); break;
    case 0x0e: simd_set_xmm(d, in, pblendw_xx, pblendw_xm); break;
    case 0x14: simd_set_xmm(d, in, pextrb_r, pextrb_m); break;
    case 0x15: simd_set_xmm(d, in, pextrw_r, pextrw_m); break;
    case 0x16: simd_set_xmm(d, in, w ? pextrq_r : pextrd_r, w ? pextrq_m : pextrd_m); break;
    case 0x17: simd_set_xmm(d, in, pextrd_r, pextrd_m); break;   /* EXTRACTPS */
    case 0x20: simd_set_xmm(d, in, pinsrb_xr, pinsrb_xm); break;
    case 0x21: simd_set_xmm(d, in, insertps_xx, insertps_xm); break;
    case 0x22: simd_set_xmm(d, in, w ? pinsrq_xr : pinsrd_xr, w ? pinsrq_xm : pinsrd_xm); break;
    default: break;
    }
}
