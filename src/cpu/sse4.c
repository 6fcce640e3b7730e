/* SSE4.1 packed integer instructions and SSE4.2 PCMPGTQ: PTEST, PMOVSX/ZX,
 * PMIN/PMAX (SB SD UW UD), PMULDQ, PMULLD, PCMPEQQ, PCMPGTQ, PACKUSDW,
 * PHMINPOSUW, MPSADBW (SDM Vol.2, each instruction's page). XMM only. */
#include "simd.h"

SIMD_LANE_KERNEL(k_pminsb, b, int8_t, (uint8_t)(x < y ? x : y))
SIMD_LANE_KERNEL(k_pmaxsb, b, int8_t, (uint8_t)(x > y ? x : y))
SIMD_LANE_KERNEL(k_pminuw, w, uint16_t, x < y ? x : y)
SIMD_LANE_KERNEL(k_pmaxuw, w, uint16_t, x > y ? x : y)
SIMD_LANE_KERNEL(k_pminsd, d, int32_t, (uint32_t)(x < y ? x : y))
SIMD_LANE_KERNEL(k_pmaxsd, d, int32_t, (uint32_t)(x > y ? x : y))
SIMD_LANE_KERNEL(k_pminud, d, uint32_t, x < y ? x : y)
SIMD_LANE_KERNEL(k_pmaxud, d, uint32_t, x > y ? x : y)
SIMD_LANE_KERNEL(k_pmulld, d, uint32_t, x * y)
SIMD_LANE_KERNEL(k_pcmpeqq, q, uint64_t, x == y ? ~0ull : 0)
SIMD_LANE_KERNEL(k_pcmpgtq, q, int64_t, x > y ? ~0ull : 0)

/* PMULDQ: signed low dwords of each quadword, 64-bit product. */
SIMD_INLINE void k_pmuldq(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned imm)
{
    (void)imm;
    for (unsigned i = 0; i < n / 8; i++)
        r->q[i] = (uint64_t)((int64_t)(int32_t)a->d[2 * i] * (int32_t)b->d[2 * i]);
}

/* PACKUSDW: signed dwords to unsigned words with saturation. */
SIMD_INLINE void k_packusdw(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned imm)
{
    (void)imm;
    (void)n;
    for (unsigned i = 0; i < 4; i++) {
        int32_t x = (int32_t)a->d[i], y = (int32_t)b->d[i];
        r->w[i] = (uint16_t)(x < 0 ? 0 : x > 65535 ? 65535 : x);
        r->w[4 + i] = (uint16_t)(y < 0 ? 0 : y > 65535 ? 65535 : y);
    }
}

/* PHMINPOSUW: smallest unsigned word and its (lowest) index; zeros above. */
SIMD_INLINE void k_phminposuw(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned imm)
{
    (void)a;
    (void)n;
    (void)imm;
    unsigned best = 0;
    for (unsigned i = 1; i < 8; i++)
        if (b->w[i] < b->w[best])
            best = i;
    r->q[0] = b->w[best] | (uint64_t)best << 16;
    r->q[1] = 0;
}

/* MPSADBW: eight sums of absolute differences between 4-byte windows of
 * the destination (offset imm[2]*4) and one 4-byte block of the source
 * (imm[1:0]*4). */
SIMD_INLINE void k_mpsadbw(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned imm)
{
    (void)n;
    unsigned o1 = ((imm >> 2) & 1) * 4, o2 = (imm & 3) * 4;
    for (unsigned i = 0; i < 8; i++) {
        unsigned s = 0;
        for (unsigned j = 0; j < 4; j++) {
            int dlt = (int)a->b[o1 + i + j] - (int)b->b[o2 + j];
            s += (unsigned)(dlt < 0 ? -dlt : dlt);
        }
        r->w[i] = (uint16_t)s;
    }
}

/* PMOVSX/PMOVZX: the low source lanes widened (a unused). */
#define MOVX_KERNEL(NAME, DL, SL, ST, COUNT)                                               \
    SIMD_INLINE void NAME(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned imm) \
    {                                                                                      \
        (void)a;                                                                           \
        (void)n;                                                                           \
        (void)imm;                                                                         \
        for (unsigned i = 0; i < (COUNT); i++)                                             \
            r->DL[i] = (__typeof__(r->DL[0]))(ST)b->SL[i];                                 \
    }

MOVX_KERNEL(k_pmovsxbw, w, b, int8_t, 8)
MOVX_KERNEL(k_pmovsxbd, d, b, int8_t, 4)
MOVX_KERNEL(k_pmovsxbq, q, b, int8_t, 2)
MOVX_KERNEL(k_pmovsxwd, d, w, int16_t, 4)
MOVX_KERNEL(k_pmovsxwq, q, w, int16_t, 2)
MOVX_KERNEL(k_pmovsxdq, q, d, int32_t, 2)
MOVX_KERNEL(k_pmovzxbw, w, b, uint8_t, 8)
MOVX_KERNEL(k_pmovzxbd, d, b, uint8_t, 4)
MOVX_KERNEL(k_pmovzxbq, q, b, uint8_t, 2)
MOVX_KERNEL(k_pmovzxwd, d, w, uint16_t, 4)
MOVX_KERNEL(k_pmovzxwq, q, w, uint16_t, 2)
MOVX_KERNEL(k_pmovzxdq, q, d, uint32_t, 2)

SIMD_XOPS(pminsb, k_pminsb, A16)
SIMD_XOPS(pmaxsb, k_pmaxsb, A16)
SIMD_XOPS(pminuw, k_pminuw, A16)
SIMD_XOPS(pmaxuw, k_pmaxuw, A16)
SIMD_XOPS(pminsd, k_pminsd, A16)
SIMD_XOPS(pmaxsd, k_pmaxsd, A16)
SIMD_XOPS(pminud, k_pminud, A16)
SIMD_XOPS(pmaxud, k_pmaxud, A16)
SIMD_XOPS(pmulld, k_pmulld, A16)
SIMD_XOPS(pmuldq, k_pmuldq, A16)
SIMD_XOPS(pcmpeqq, k_pcmpeqq, A16)
SIMD_XOPS(pcmpgtq, k_pcmpgtq, A16)
SIMD_XOPS(packusdw, k_packusdw, A16)
SIMD_XOPS(phminposuw, k_phminposuw, A16)
SIMD_XOPS(mpsadbw, k_mpsadbw, A16)
SIMD_XOPS(pmovsxbw, k_pmovsxbw, 8)
SIMD_XOPS(pmovsxbd, k_pmovsxbd, 4)
SIMD_XOPS(pmovsxbq, k_pmovsxbq, 2)
SIMD_XOPS(pmovsxwd, k_pmovsxwd, 8)
SIMD_XOPS(pmovsxwq, k_pmovsxwq, 4)
SIMD_XOPS(pmovsxdq, k_pmovsxdq, 8)
SIMD_XOPS(pmovzxbw, k_pmovzxbw, 8)
SIMD_XOPS(pmovzxbd, k_pmovzxbd, 4)
SIMD_XOPS(pmovzxbq, k_pmovzxbq, 2)
SIMD_XOPS(pmovzxwd, k_pmovzxwd, 8)
SIMD_XOPS(pmovzxwq, k_pmovzxwq, 4)
SIMD_XOPS(pmovzxdq, k_pmovzxdq, 8)

/* ---- PTEST: ZF = (dst AND src) == 0, CF = (NOT dst AND src) == 0; AF OF
 * PF SF cleared ---- */

static void ptest_flags(cpu_t *cpu, const xmm_t *a, const xmm_t *b)
{
    uint64_t z = (a->q[0] & b->q[0]) | (a->q[1] & b->q[1]);
    uint64_t c = (~a->q[0] & b->q[0]) | (~a->q[1] & b->q[1]);
    cc_write(cpu, F_ARITH, (z ? 0 : F_ZF) | (c ? 0 : F_CF));
}

static void ptest_xx(cpu_t *cpu, const insn_t *in)
{
    ptest_flags(cpu, &cpu->xmm[in->reg], &cpu->xmm[in->rm]);
}

static void ptest_xm(cpu_t *cpu, const insn_t *in)
{
    xmm_t b;
    simd_load128(cpu, in, &b, true);
    ptest_flags(cpu, &cpu->xmm[in->reg], &b);
}

static const simd_forms_t ptest_forms = { ptest_xx, ptest_xm, NULL, NULL };

/* 0F38 opcodes of this file (SDM Vol.2 Table A-4), all with prefix 66. */
static const simd_forms_t *const sse4_38[0x42] = {
    [0x17] = &ptest_forms,
    [0x20] = &pmovsxbw_forms, [0x21] = &pmovsxbd_forms, [0x22] = &pmovsxbq_forms,
    [0x23] = &pmovsxwd_forms, [0x24] = &pmovsxwq_forms, [0x25] = &pmovsxdq_forms,
    [0x28] = &pmuldq_forms, [0x29] = &pcmpeqq_forms, [0x2b] = &packusdw_forms,
    [0x30] = &pmovzxbw_forms, [0x31] = &pmovzxbd_forms, [0x32] = &pmovzxbq_forms,
    [0x33] = &pmovzxwd_forms, [0x34] = &pmovzxwq_forms, [0x35] = &pmovzxdq_forms,
    [0x37] = &pcmpgtq_forms,
    [0x38] = &pminsb_forms, [0x39] = &pminsd_forms, [0x3a] = &pminuw_forms, [0x3b] = &pminud_forms,
    [0x3c] = &pmaxsb_forms, [0x3d] = &pmaxsd_forms, [0x3e] = &pmaxuw_forms, [0x3f] = &pmaxud_forms,
    [0x40] = &pmulld_forms, [0x41] = &phminposuw_forms,
};

void sel_sse4(dctx_t *d, insn_t *in)
{
    const simd_forms_t *f = in->op < 0x42 ? sse4_38[in->op] : NULL;
    if (f)
        simd_pick66(d, in, f);
}

/* 0F3A 42: MPSADBW. */
void sel_sse4_3a(dctx_t *d, insn_t *in)
{
    simd_pick66(d, in, &mpsadbw_forms);
}
