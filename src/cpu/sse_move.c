/* MMX/SSE data moves: MOVAPS/UPS/APD/UPD/DQA/DQU, MOVD/MOVQ, MOVSS/MOVSD
 * (moves), MOVLPS/HPS/LPD/HPD, MOVHLPS/LHPS, MOVSLDUP/SHDUP/DDUP, the
 * non-temporal stores, MOVMSKPS/PD, PMOVMSKB, MASKMOVQ/MASKMOVDQU,
 * MOVQ2DQ/MOVDQ2Q, LDDQU, MOVNTDQA (SDM Vol.2, each instruction's page). */
#include "simd.h"

/* ---- full 128-bit moves ---- */

static void mov_xx(cpu_t *cpu, const insn_t *in)
{
    cpu->xmm[in->reg] = cpu->xmm[in->rm];
}

/* Store forms with a register destination: r/m <- reg. */
static void mov_xx_st(cpu_t *cpu, const insn_t *in)
{
    cpu->xmm[in->rm] = cpu->xmm[in->reg];
}

static void mov_load_a(cpu_t *cpu, const insn_t *in)
{
    simd_load128(cpu, in, &cpu->xmm[in->reg], true);
}

static void mov_load_u(cpu_t *cpu, const insn_t *in)
{
    simd_load128(cpu, in, &cpu->xmm[in->reg], false);
}

static void mov_store_a(cpu_t *cpu, const insn_t *in)
{
    simd_store128(cpu, in, &cpu->xmm[in->reg], true);
}

static void mov_store_u(cpu_t *cpu, const insn_t *in)
{
    simd_store128(cpu, in, &cpu->xmm[in->reg], false);
}

/* ---- scalar moves: register forms merge, loads zero the rest ---- */

static void movss_xx(cpu_t *cpu, const insn_t *in)
{
    cpu->xmm[in->reg].d[0] = cpu->xmm[in->rm].d[0];
}

static void movss_load(cpu_t *cpu, const insn_t *in)
{
    uint32_t v = mmu_read32(cpu, in->seg, insn_ea(cpu, in));
    cpu->xmm[in->reg].q[0] = v;
    cpu->xmm[in->reg].q[1] = 0;
}

static void movss_xx_st(cpu_t *cpu, const insn_t *in)
{
    cpu->xmm[in->rm].d[0] = cpu->xmm[in->reg].d[0];
}

static void movss_store(cpu_t *cpu, const insn_t *in)
{
    mmu_write32(cpu, in->seg, insn_ea(cpu, in), cpu->xmm[in->reg].d[0]);
}

static void movsd_xx(cpu_t *cpu, const insn_t *in)
{
    cpu->xmm[in->reg].q[0] = cpu->xmm[in->rm].q[0];
}

/* MOVSD/MOVQ loads: low quadword from m64, high cleared. */
static void movq_load_x(cpu_t *cpu, const insn_t *in)
{
    uint64_t v = mmu_read64(cpu, in->seg, insn_ea(cpu, in));
    cpu->xmm[in->reg].q[0] = v;
    cpu->xmm[in->reg].q[1] = 0;
}

static void movsd_xx_st(cpu_t *cpu, const insn_t *in)
{
    cpu->xmm[in->rm].q[0] = cpu->xmm[in->reg].q[0];
}

static void store_lo64(cpu_t *cpu, const insn_t *in)
{
    mmu_write64(cpu, in->seg, insn_ea(cpu, in), cpu->xmm[in->reg].q[0]);
}

static void store_hi64(cpu_t *cpu, const insn_t *in)
{
    mmu_write64(cpu, in->seg, insn_ea(cpu, in), cpu->xmm[in->reg].q[1]);
}

/* ---- half moves: MOVLPS/MOVLPD/MOVHPS/MOVHPD loads, MOVHLPS, MOVLHPS ---- */

static void load_lo64(cpu_t *cpu, const insn_t *in)
{
    cpu->xmm[in->reg].q[0] = mmu_read64(cpu, in->seg, insn_ea(cpu, in));
}

static void load_hi64(cpu_t *cpu, const insn_t *in)
{
    cpu->xmm[in->reg].q[1] = mmu_read64(cpu, in->seg, insn_ea(cpu, in));
}

static void movhlps(cpu_t *cpu, const insn_t *in)
{
    cpu->xmm[in->reg].q[0] = cpu->xmm[in->rm].q[1];
}

static void movlhps(cpu_t *cpu, const insn_t *in)
{
    cpu->xmm[in->reg].q[1] = cpu->xmm[in->rm].q[0];
}

/* ---- SSE3 duplicates ---- */

SIMD_INLINE void dup_dwords(xmm_t *r, const xmm_t *b, unsigned odd)
{
    uint32_t lo = b->d[odd], hi = b->d[2 + odd];
    r->d[0] = r->d[1] = lo;
    r->d[2] = r->d[3] = hi;
}

static void movsldup_xx(cpu_t *cpu, const insn_t *in)
{
    xmm_t b = cpu->xmm[in->rm];
    dup_dwords(&cpu->xmm[in->reg], &b, 0);
}

static void movsldup_xm(cpu_t *cpu, const insn_t *in)
{
    xmm_t b;
    simd_load128(cpu, in, &b, true);
    dup_dwords(&cpu->xmm[in->reg], &b, 0);
}

static void movshdup_xx(cpu_t *cpu, const insn_t *in)
{
    xmm_t b = cpu->xmm[in->rm];
    dup_dwords(&cpu->xmm[in->reg], &b, 1);
}

static void movshdup_xm(cpu_t *cpu, const insn_t *in)
{
    xmm_t b;
    simd_load128(cpu, in, &b, true);
    dup_dwords(&cpu->xmm[in->reg], &b, 1);
}

static void movddup_xx(cpu_t *cpu, const insn_t *in)
{
    uint64_t v = cpu->xmm[in->rm].q[0];
    cpu->xmm[in->reg].q[0] = cpu->xmm[in->reg].q[1] = v;
}

static void movddup_xm(cpu_t *cpu, const insn_t *in)
{
    uint64_t v = mmu_read64(cpu, in->seg, insn_ea(cpu, in));
    cpu->xmm[in->reg].q[0] = cpu->xmm[in->reg].q[1] = v;
}

/* ---- MOVD/MOVQ between general registers or memory and MMX/XMM ---- */

static void movd_mm_r(cpu_t *cpu, const insn_t *in)
{
    mmx_begin(cpu);
    mmx_set(cpu, in->reg, (uint32_t)cpu->r[in->rm]);
}

static void movq_mm_r(cpu_t *cpu, const insn_t *in)
{
    mmx_begin(cpu);
    mmx_set(cpu, in->reg, cpu->r[in->rm]);
}

static void movd_mm_m(cpu_t *cpu, const insn_t *in)
{
    mmx_check(cpu);
    uint32_t v = mmu_read32(cpu, in->seg, insn_ea(cpu, in));
    mmx_enter(cpu);
    mmx_set(cpu, in->reg, v);
}

/* MOVQ mm, m64 (0F 6E with REX.W and 0F 6F). */
static void movq_mm_m(cpu_t *cpu, const insn_t *in)
{
    mmx_check(cpu);
    uint64_t v = mmu_read64(cpu, in->seg, insn_ea(cpu, in));
    mmx_enter(cpu);
    mmx_set(cpu, in->reg, v);
}

static void movq_mm_mm(cpu_t *cpu, const insn_t *in)
{
    mmx_begin(cpu);
    mmx_set(cpu, in->reg, mmx_get(cpu, in->rm));
}

static void movq_mm_mm_st(cpu_t *cpu, const insn_t *in)
{
    mmx_begin(cpu);
    mmx_set(cpu, in->rm, mmx_get(cpu, in->reg));
}

static void movd_r_mm(cpu_t *cpu, const insn_t *in)
{
    mmx_begin(cpu);
    cpu->r[in->rm] = (uint32_t)mmx_get(cpu, in->reg);
}

static void movq_r_mm(cpu_t *cpu, const insn_t *in)
{
    mmx_begin(cpu);
    cpu->r[in->rm] = mmx_get(cpu, in->reg);
}

static void movd_m_mm(cpu_t *cpu, const insn_t *in)
{
    mmx_store_begin(cpu);
    mmu_write32(cpu, in->seg, insn_ea(cpu, in), (uint32_t)mmx_get(cpu, in->reg));
    mmx_enter(cpu);
}

/* MOVQ m64, mm (0F 7E with REX.W, 0F 7F) and MOVNTQ. */
static void movq_m_mm(cpu_t *cpu, const insn_t *in)
{
    mmx_store_begin(cpu);
    mmu_write64(cpu, in->seg, insn_ea(cpu, in), mmx_get(cpu, in->reg));
    mmx_enter(cpu);
}

static void movd_x_r(cpu_t *cpu, const insn_t *in)
{
    cpu->xmm[in->reg].q[0] = (uint32_t)cpu->r[in->rm];
    cpu->xmm[in->reg].q[1] = 0;
}

static void movq_x_r(cpu_t *cpu, const insn_t *in)
{
    cpu->xmm[in->reg].q[0] = cpu->r[in->rm];
    cpu->xmm[in->reg].q[1] = 0;
}

static void movd_x_m(cpu_t *cpu, const insn_t *in)
{
    uint32_t v = mmu_read32(cpu, in->seg, insn_ea(cpu, in));
    cpu->xmm[in->reg].q[0] = v;
    cpu->xmm[in->reg].q[1] = 0;
}

static void movd_r_x(cpu_t *cpu, const insn_t *in)
{
    cpu->r[in->rm] = cpu->xmm[in->reg].d[0];
}

static void movq_r_x(cpu_t *cpu, const insn_t *in)
{
    cpu->r[in->rm] = cpu->xmm[in->reg].q[0];
}

/* MOVQ xmm, xmm (F3 0F 7E) and MOVQ xmm/m64, xmm (66 0F D6): zero the
 * destination's high quadword. */
static void movq_xx(cpu_t *cpu, const insn_t *in)
{
    cpu->xmm[in->reg].q[0] = cpu->xmm[in->rm].q[0];
    cpu->xmm[in->reg].q[1] = 0;
}

static void movq_xx_st(cpu_t *cpu, const insn_t *in)
{
    cpu->xmm[in->rm].q[0] = cpu->xmm[in->reg].q[0];
    cpu->xmm[in->rm].q[1] = 0;
}

/* MOVQ2DQ / MOVDQ2Q: MMX transitions with an XMM operand. */
static void movq2dq(cpu_t *cpu, const insn_t *in)
{
    mmx_begin(cpu);
    cpu->xmm[in->reg].q[0] = mmx_get(cpu, in->rm);
    cpu->xmm[in->reg].q[1] = 0;
}

static void movdq2q(cpu_t *cpu, const insn_t *in)
{
    mmx_begin(cpu);
    mmx_set(cpu, in->reg, cpu->xmm[in->rm].q[0]);
}

/* ---- masks ---- */

static void movmskps(cpu_t *cpu, const insn_t *in)
{
    const xmm_t *x = &cpu->xmm[in->rm];
    cpu->r[in->reg] = (x->d[0] >> 31) | (x->d[1] >> 31) << 1 | (x->d[2] >> 31) << 2 | (x->d[3] >> 31) << 3;
}

static void movmskpd(cpu_t *cpu, const insn_t *in)
{
    const xmm_t *x = &cpu->xmm[in->rm];
    cpu->r[in->reg] = (x->q[0] >> 63) | (x->q[1] >> 63) << 1;
}

/* Sign bits of the 8 bytes of v, gathered into 8 bits. */
SIMD_INLINE unsigned byte_signs(uint64_t v)
{
    return (unsigned)(((v & 0x8080808080808080ull) * 0x02040810204081ull) >> 56);
}

static void pmovmskb_x(cpu_t *cpu, const insn_t *in)
{
    const xmm_t *x = &cpu->xmm[in->rm];
    cpu->r[in->reg] = byte_signs(x->q[0]) | byte_signs(x->q[1]) << 8;
}

static void pmovmskb_mm(cpu_t *cpu, const insn_t *in)
{
    mmx_begin(cpu);
    cpu->r[in->reg] = byte_signs(mmx_get(cpu, in->rm));
}

/* MASKMOVQ / MASKMOVDQU: bytes of reg whose mask byte in r/m has bit 7 set
 * go to DS:rDI (segment override allowed). As on the host, the whole
 * destination is checked as a write even for a zero mask, MASKMOVDQU as
 * two 8-byte accesses, the high one first; nothing is written on a fault. */
static uint64_t maskmov_ea(const cpu_t *cpu, const insn_t *in)
{
    uint64_t di = cpu->r[R_RDI];
    return in->adsz == 8 ? di : in->adsz == 4 ? (uint32_t)di : (uint16_t)di;
}

static void maskmov_store(cpu_t *cpu, const insn_t *in, uint64_t ea, const uint8_t *data, const uint8_t *mask,
                          unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (mask[i] & 0x80)
            mmu_write8(cpu, in->seg, ea + i, data[i]);
}

static void maskmovdqu(cpu_t *cpu, const insn_t *in)
{
    xmm_t data = cpu->xmm[in->reg], mask = cpu->xmm[in->rm];
    uint64_t ea = maskmov_ea(cpu, in);
    mmu_probe_write(cpu, in->seg, ea + 8, 8);
    mmu_probe_write(cpu, in->seg, ea, 8);
    maskmov_store(cpu, in, ea, data.b, mask.b, 16);
}

static void maskmovq(cpu_t *cpu, const insn_t *in)
{
    mmx_begin(cpu);   /* the host transitions fully even if the store faults */
    xmm_t data = mmx_x(cpu, in->reg), mask = mmx_x(cpu, in->rm);
    uint64_t ea = maskmov_ea(cpu, in);
    mmu_probe_write(cpu, in->seg, ea, 8);
    maskmov_store(cpu, in, ea, data.b, mask.b, 8);
}

/* MOVNTI m32/m64, r (no SSE state involved). */
static void movnti(cpu_t *cpu, const insn_t *in)
{
    mmu_write(cpu, in->seg, insn_ea(cpu, in), cpu->r[in->reg], in->opsz);
}

/* ---- selection ---- */

static bool is_mem(const insn_t *in)
{
    return in->flags & INF_MEM;
}

/* MMX forms: registers ignore REX; `gpr_rm` keeps REX.B on r/m for MOVD. */
static void mmx_form(const dctx_t *d, insn_t *in, insn_fn reg, insn_fn mem, bool gpr_rm)
{
    in->reg &= 7;
    if (!is_mem(in) && !gpr_rm)
        in->rm &= 7;
    in->fn = is_mem(in) ? mem : reg;
    simd_guard(d, in, SC_MMX);
}

static void sel_movups(const dctx_t *d, insn_t *in, bool store)
{
    static const insn_fn ld[4][2] = {
        { mov_xx, mov_load_u }, { mov_xx, mov_load_u }, { movss_xx, movss_load }, { movsd_xx, movq_load_x },
    };
    static const insn_fn st[4][2] = {
        { mov_xx_st, mov_store_u }, { mov_xx_st, mov_store_u },
        { movss_xx_st, movss_store }, { movsd_xx_st, store_lo64 },
    };
    const insn_fn *f = store ? st[in->pfx] : ld[in->pfx];
    simd_set_xmm(d, in, f[0], f[1]);
}

/* 0F 12 / 0F 16: low or high half loads; register forms by prefix. */
static void sel_half_load(const dctx_t *d, insn_t *in, bool high)
{
    switch (in->pfx) {
    case PFX_NONE:
        simd_set_xmm(d, in, high ? movlhps : movhlps, high ? load_hi64 : load_lo64);
        break;
    case PFX_66:
        simd_set_xmm(d, in, NULL, high ? load_hi64 : load_lo64);
        break;
    case PFX_F3:
        simd_set_xmm(d, in, high ? movshdup_xx : movsldup_xx, high ? movshdup_xm : movsldup_xm);
        break;
    default:
        if (!high)
            simd_set_xmm(d, in, movddup_xx, movddup_xm);
        break;
    }
}

static void sel_movd_in(const dctx_t *d, insn_t *in)
{
    bool w = in->flags & INF_REXW;
    if (in->pfx == PFX_NONE)
        mmx_form(d, in, w ? movq_mm_r : movd_mm_r, w ? movq_mm_m : movd_mm_m, true);
    else if (in->pfx == PFX_66)
        simd_set_xmm(d, in, w ? movq_x_r : movd_x_r, w ? movq_load_x : movd_x_m);
}

static void sel_movd_out(const dctx_t *d, insn_t *in)
{
    bool w = in->flags & INF_REXW;
    if (in->pfx == PFX_NONE)
        mmx_form(d, in, w ? movq_r_mm : movd_r_mm, w ? movq_m_mm : movd_m_mm, true);
    else if (in->pfx == PFX_66)
        simd_set_xmm(d, in, w ? movq_r_x : movd_r_x, w ? store_lo64 : movss_store);
    else if (in->pfx == PFX_F3)
        simd_set_xmm(d, in, movq_xx, movq_load_x);
}

/* 0F 6F / 0F 7F: MOVQ (MMX), MOVDQA (66), MOVDQU (F3). */
static void sel_movdq(const dctx_t *d, insn_t *in, bool store)
{
    switch (in->pfx) {
    case PFX_NONE:
        if (store)
            mmx_form(d, in, movq_mm_mm_st, movq_m_mm, false);
        else
            mmx_form(d, in, movq_mm_mm, movq_mm_m, false);
        break;
    case PFX_66:
        simd_set_xmm(d, in, store ? mov_xx_st : mov_xx, store ? mov_store_a : mov_load_a);
        break;
    case PFX_F3:
        simd_set_xmm(d, in, store ? mov_xx_st : mov_xx, store ? mov_store_u : mov_load_u);
        break;
    default:
        break;
    }
}

/* 0F D6: MOVQ xmm/m64, xmm (66), MOVQ2DQ (F3), MOVDQ2Q (F2). */
static void sel_d6(const dctx_t *d, insn_t *in)
{
    switch (in->pfx) {
    case PFX_66:
        simd_set_xmm(d, in, movq_xx_st, store_lo64);
        break;
    case PFX_F3:
        in->rm &= 7;
        simd_set_xmm(d, in, movq2dq, NULL);
        break;
    case PFX_F2:
        in->reg &= 7;
        simd_set_xmm(d, in, movdq2q, NULL);
        break;
    default:
        break;
    }
}

void sel_sse_move(dctx_t *d, insn_t *in)
{
    bool none_or_66 = in->pfx == PFX_NONE || in->pfx == PFX_66;
    switch (in->op) {
    case 0x10: sel_movups(d, in, false); break;
    case 0x11: sel_movups(d, in, true); break;
    case 0x12: sel_half_load(d, in, false); break;
    case 0x16: sel_half_load(d, in, true); break;
    case 0x13: case 0x17:
        if (none_or_66)
            simd_set_xmm(d, in, NULL, in->op == 0x13 ? store_lo64 : store_hi64);
        break;
    case 0x28:
        if (none_or_66)
            simd_set_xmm(d, in, mov_xx, mov_load_a);
        break;
    case 0x29:
        if (none_or_66)
            simd_set_xmm(d, in, mov_xx_st, mov_store_a);
        break;
    case 0x2b:
        if (none_or_66)
            simd_set_xmm(d, in, NULL, mov_store_a);
        break;
    case 0x50:
        if (none_or_66)
            simd_set_xmm(d, in, in->pfx == PFX_66 ? movmskpd : movmskps, NULL);
        break;
    case 0x6e: sel_movd_in(d, in); break;
    case 0x7e: sel_movd_out(d, in); break;
    case 0x6f: sel_movdq(d, in, false); break;
    case 0x7f: sel_movdq(d, in, true); break;
    case 0xc3:
        if (in->pfx == PFX_NONE && is_mem(in)) {
            in->fn = movnti;
            simd_guard(d, in, SC_NONE);
        }
        break;
    case 0xd6: sel_d6(d, in); break;
    case 0xd7:
        if (in->pfx == PFX_NONE && !is_mem(in)) {
            in->rm &= 7;
            in->fn = pmovmskb_mm;
            simd_guard(d, in, SC_MMX);
        } else if (in->pfx == PFX_66) {
            simd_set_xmm(d, in, pmovmskb_x, NULL);
        }
        break;
    case 0xe7:
        if (in->pfx == PFX_NONE)
            mmx_form(d, in, NULL, movq_m_mm, false);
        else if (in->pfx == PFX_66)
            simd_set_xmm(d, in, NULL, mov_store_a);
        break;
    case 0xf0:
        if (in->pfx == PFX_F2)
            simd_set_xmm(d, in, NULL, mov_load_u);
        break;
    case 0xf7:
        if (in->pfx == PFX_NONE)
            mmx_form(d, in, maskmovq, NULL, false);
        else if (in->pfx == PFX_66)
            simd_set_xmm(d, in, maskmovdqu, NULL);
        break;
    case 0x2a:   /* 0F38 2A: MOVNTDQA */
        if (in->map == MAP_0F38 && in->pfx == PFX_66)
            simd_set_xmm(d, in, NULL, mov_load_a);
        break;
    default:
        break;
    }
}
