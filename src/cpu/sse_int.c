/* Packed integer arithmetic on MMX and XMM registers: add/subtract (with
 * saturation), compares, multiplies, PMADDWD, PSADBW, PAVG, min/max,
 * logic, shifts, PACKSS/PACKUS, and the SSSE3 horizontal, sign, abs and
 * multiply forms (SDM Vol.2, each instruction's page; Vol.1 §9.4, §11.4). */
#include "simd.h"

/* ---- saturation (SDM Vol.1 §4.6.2 saturation arithmetic) ---- */

SIMD_INLINE uint8_t sat_s8(int32_t v)
{
    return (uint8_t)(v > 127 ? 127 : v < -128 ? -128 : v);
}

SIMD_INLINE uint8_t sat_u8(int32_t v)
{
    return (uint8_t)(v > 255 ? 255 : v < 0 ? 0 : v);
}

SIMD_INLINE uint16_t sat_s16(int32_t v)
{
    return (uint16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
}

SIMD_INLINE uint16_t sat_u16(int32_t v)
{
    return (uint16_t)(v > 65535 ? 65535 : v < 0 ? 0 : v);
}

/* ---- lane-wise kernels: x from the destination, y from the source ---- */

SIMD_LANE_KERNEL(k_paddb, b, uint8_t, (uint8_t)(x + y))
SIMD_LANE_KERNEL(k_paddw, w, uint16_t, (uint16_t)(x + y))
SIMD_LANE_KERNEL(k_paddd, d, uint32_t, x + y)
SIMD_LANE_KERNEL(k_paddq, q, uint64_t, x + y)
SIMD_LANE_KERNEL(k_psubb, b, uint8_t, (uint8_t)(x - y))
SIMD_LANE_KERNEL(k_psubw, w, uint16_t, (uint16_t)(x - y))
SIMD_LANE_KERNEL(k_psubd, d, uint32_t, x - y)
SIMD_LANE_KERNEL(k_psubq, q, uint64_t, x - y)
SIMD_LANE_KERNEL(k_paddsb, b, int8_t, sat_s8(x + y))
SIMD_LANE_KERNEL(k_paddsw, w, int16_t, sat_s16(x + y))
SIMD_LANE_KERNEL(k_paddusb, b, uint8_t, sat_u8(x + y))
SIMD_LANE_KERNEL(k_paddusw, w, uint16_t, sat_u16(x + y))
SIMD_LANE_KERNEL(k_psubsb, b, int8_t, sat_s8(x - y))
SIMD_LANE_KERNEL(k_psubsw, w, int16_t, sat_s16(x - y))
SIMD_LANE_KERNEL(k_psubusb, b, uint8_t, sat_u8(x - y))
SIMD_LANE_KERNEL(k_psubusw, w, uint16_t, sat_u16(x - y))
SIMD_LANE_KERNEL(k_pcmpeqb, b, uint8_t, x == y ? 0xff : 0)
SIMD_LANE_KERNEL(k_pcmpeqw, w, uint16_t, x == y ? 0xffff : 0)
SIMD_LANE_KERNEL(k_pcmpeqd, d, uint32_t, x == y ? ~0u : 0)
SIMD_LANE_KERNEL(k_pcmpgtb, b, int8_t, x > y ? 0xff : 0)
SIMD_LANE_KERNEL(k_pcmpgtw, w, int16_t, x > y ? 0xffff : 0)
SIMD_LANE_KERNEL(k_pcmpgtd, d, int32_t, x > y ? ~0u : 0)
SIMD_LANE_KERNEL(k_pmullw, w, uint32_t, (uint16_t)(x * y))
SIMD_LANE_KERNEL(k_pmulhw, w, int16_t, (uint16_t)(((int32_t)x * y) >> 16))
SIMD_LANE_KERNEL(k_pmulhuw, w, uint32_t, (uint16_t)((x * y) >> 16))
SIMD_LANE_KERNEL(k_pminub, b, uint8_t, x < y ? x : y)
SIMD_LANE_KERNEL(k_pmaxub, b, uint8_t, x > y ? x : y)
SIMD_LANE_KERNEL(k_pminsw, w, int16_t, x < y ? x : y)
SIMD_LANE_KERNEL(k_pmaxsw, w, int16_t, x > y ? x : y)
SIMD_LANE_KERNEL(k_pavgb, b, uint32_t, (uint8_t)((x + y + 1) >> 1))
SIMD_LANE_KERNEL(k_pavgw, w, uint32_t, (uint16_t)((x + y + 1) >> 1))
SIMD_LANE_KERNEL(k_pand, q, uint64_t, x & y)
SIMD_LANE_KERNEL(k_pandn, q, uint64_t, ~x & y)
SIMD_LANE_KERNEL(k_por, q, uint64_t, x | y)
SIMD_LANE_KERNEL(k_pxor, q, uint64_t, x ^ y)
/* SSSE3 PSIGN: negate, zero or keep by the source's sign. */
SIMD_LANE_KERNEL(k_psignb, b, int8_t, (uint8_t)(y < 0 ? -x : y == 0 ? 0 : x))
SIMD_LANE_KERNEL(k_psignw, w, int16_t, (uint16_t)(y < 0 ? -x : y == 0 ? 0 : x))
SIMD_LANE_KERNEL(k_psignd, d, int32_t, (uint32_t)(y < 0 ? 0u - (uint32_t)x : y == 0 ? 0u : (uint32_t)x))
/* SSSE3 PMULHRSW: (x*y >> 14, rounded) >> 1. */
SIMD_LANE_KERNEL(k_pmulhrsw, w, int16_t, (uint16_t)(((((int32_t)x * y) >> 14) + 1) >> 1))
/* SSSE3 PABS: the source's magnitude (x unused). */
SIMD_LANE_KERNEL(k_pabsb, b, int8_t, (uint8_t)(y < 0 ? -y : y))
SIMD_LANE_KERNEL(k_pabsw, w, int16_t, (uint16_t)(y < 0 ? -y : y))
SIMD_LANE_KERNEL(k_pabsd, d, int32_t, (uint32_t)(y < 0 ? 0u - (uint32_t)y : (uint32_t)y))

/* PMULUDQ: low dword of each quadword, unsigned 64-bit product. */
SIMD_INLINE void k_pmuludq(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned imm)
{
    (void)imm;
    for (unsigned i = 0; i < n / 8; i++)
        r->q[i] = (uint64_t)a->d[2 * i] * b->d[2 * i];
}

/* PMADDWD: signed word products summed in pairs (0x8000^2 * 2 wraps). */
SIMD_INLINE void k_pmaddwd(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned imm)
{
    (void)imm;
    for (unsigned i = 0; i < n / 4; i++) {
        int32_t p0 = (int16_t)a->w[2 * i] * (int16_t)b->w[2 * i];
        int32_t p1 = (int16_t)a->w[2 * i + 1] * (int16_t)b->w[2 * i + 1];
        r->d[i] = (uint32_t)p0 + (uint32_t)p1;
    }
}

/* PSADBW: per 8-byte group, the sum of absolute differences in the low
 * word, zeros above. */
SIMD_INLINE void k_psadbw(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned imm)
{
    (void)imm;
    for (unsigned g = 0; g < n / 8; g++) {
        unsigned s = 0;
        for (unsigned j = 0; j < 8; j++) {
            int dlt = (int)a->b[8 * g + j] - (int)b->b[8 * g + j];
            s += (unsigned)(dlt < 0 ? -dlt : dlt);
        }
        r->q[g] = s;
    }
}

/* ---- packs: destination lanes fill the low half, source the high ---- */

SIMD_INLINE void k_packsswb(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned imm)
{
    (void)imm;
    unsigned h = n / 2;
    for (unsigned i = 0; i < h; i++) {
        r->b[i] = sat_s8((int16_t)a->w[i]);
        r->b[h + i] = sat_s8((int16_t)b->w[i]);
    }
}

SIMD_INLINE void k_packuswb(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned imm)
{
    (void)imm;
    unsigned h = n / 2;
    for (unsigned i = 0; i < h; i++) {
        r->b[i] = sat_u8((int16_t)a->w[i]);
        r->b[h + i] = sat_u8((int16_t)b->w[i]);
    }
}

SIMD_INLINE void k_packssdw(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned imm)
{
    (void)imm;
    unsigned h = n / 4;
    for (unsigned i = 0; i < h; i++) {
        int32_t x = (int32_t)a->d[i], y = (int32_t)b->d[i];
        r->w[i] = (uint16_t)(x > 32767 ? 32767 : x < -32768 ? -32768 : x);
        r->w[h + i] = (uint16_t)(y > 32767 ? 32767 : y < -32768 ? -32768 : y);
    }
}

/* ---- SSSE3 horizontal add/subtract: pairs of the destination fill the
 * low half, pairs of the source the high half ---- */

#define HORIZ_KERNEL(NAME, LANE, T, EXPR)                                                  \
    SIMD_INLINE void NAME(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned imm) \
    {                                                                                      \
        (void)imm;                                                                         \
        unsigned h = n / sizeof(r->LANE[0]) / 2;                                           \
        for (unsigned i = 0; i < h; i++) {                                                 \
            T x = (T)a->LANE[2 * i], y = (T)a->LANE[2 * i + 1];                            \
            r->LANE[i] = (EXPR);                                                           \
            x = (T)b->LANE[2 * i];                                                         \
            y = (T)b->LANE[2 * i + 1];                                                     \
            r->LANE[h + i] = (EXPR);                                                       \
        }                                                                                  \
    }

HORIZ_KERNEL(k_phaddw, w, uint16_t, (uint16_t)(x + y))
HORIZ_KERNEL(k_phaddd, d, uint32_t, x + y)
HORIZ_KERNEL(k_phaddsw, w, int16_t, sat_s16(x + y))
HORIZ_KERNEL(k_phsubw, w, uint16_t, (uint16_t)(x - y))
HORIZ_KERNEL(k_phsubd, d, uint32_t, x - y)
HORIZ_KERNEL(k_phsubsw, w, int16_t, sat_s16(x - y))

/* PMADDUBSW: unsigned destination bytes times signed source bytes, pairs
 * summed with signed saturation. */
SIMD_INLINE void k_pmaddubsw(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned imm)
{
    (void)imm;
    for (unsigned i = 0; i < n / 2; i++) {
        int32_t p = a->b[2 * i] * (int8_t)b->b[2 * i] + a->b[2 * i + 1] * (int8_t)b->b[2 * i + 1];
        r->w[i] = sat_s16(p);
    }
}

/* ---- shifts (SDM Vol.2 PSLLW/PSRAW/PSRLW): a count above the lane width
 * clears the lane, or fills it with the sign for arithmetic shifts ---- */

#define SHIFT_KERNEL(NAME, LANE, EXPR)                                               \
    SIMD_INLINE void NAME##_c(xmm_t *r, const xmm_t *a, uint64_t c, unsigned n)            \
    {                                                                                      \
        for (unsigned i = 0; i < n / sizeof(r->LANE[0]); i++) {                            \
            __typeof__(r->LANE[0]) x = a->LANE[i];                                         \
            r->LANE[i] = (EXPR);                                                           \
        }                                                                                  \
    }                                                                                      \
    SIMD_INLINE void NAME(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned imm) \
    {                                                                                      \
        (void)imm;                                                                         \
        NAME##_c(r, a, b->q[0], n);                                                        \
    }

SHIFT_KERNEL(k_psrlw, w, (uint16_t)(c > 15 ? 0 : x >> c))
SHIFT_KERNEL(k_psrld, d, c > 31 ? 0 : x >> c)
SHIFT_KERNEL(k_psrlq, q, c > 63 ? 0 : x >> c)
SHIFT_KERNEL(k_psllw, w, (uint16_t)(c > 15 ? 0 : x << c))
SHIFT_KERNEL(k_pslld, d, c > 31 ? 0 : x << c)
SHIFT_KERNEL(k_psllq, q, c > 63 ? 0 : x << c)
SHIFT_KERNEL(k_psraw, w, (uint16_t)((int16_t)x >> (c > 15 ? 15 : c)))
SHIFT_KERNEL(k_psrad, d, (uint32_t)((int32_t)x >> (c > 31 ? 31 : c)))

/* PSRLDQ/PSLLDQ: whole-register byte shifts, XMM only. */
SIMD_INLINE void k_psrldq_c(xmm_t *r, const xmm_t *a, uint64_t c, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        r->b[i] = i + c < n ? a->b[i + c] : 0;
}

SIMD_INLINE void k_pslldq_c(xmm_t *r, const xmm_t *a, uint64_t c, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        r->b[i] = i >= c ? a->b[i - c] : 0;
}

/* ---- handlers ---- */

SIMD_OPS(paddb, k_paddb, A16, 8)
SIMD_OPS(paddw, k_paddw, A16, 8)
SIMD_OPS(paddd, k_paddd, A16, 8)
SIMD_OPS(paddq, k_paddq, A16, 8)
SIMD_OPS(psubb, k_psubb, A16, 8)
SIMD_OPS(psubw, k_psubw, A16, 8)
SIMD_OPS(psubd, k_psubd, A16, 8)
SIMD_OPS(psubq, k_psubq, A16, 8)
SIMD_OPS(paddsb, k_paddsb, A16, 8)
SIMD_OPS(paddsw, k_paddsw, A16, 8)
SIMD_OPS(paddusb, k_paddusb, A16, 8)
SIMD_OPS(paddusw, k_paddusw, A16, 8)
SIMD_OPS(psubsb, k_psubsb, A16, 8)
SIMD_OPS(psubsw, k_psubsw, A16, 8)
SIMD_OPS(psubusb, k_psubusb, A16, 8)
SIMD_OPS(psubusw, k_psubusw, A16, 8)
SIMD_OPS(pcmpeqb, k_pcmpeqb, A16, 8)
SIMD_OPS(pcmpeqw, k_pcmpeqw, A16, 8)
SIMD_OPS(pcmpeqd, k_pcmpeqd, A16, 8)
SIMD_OPS(pcmpgtb, k_pcmpgtb, A16, 8)
SIMD_OPS(pcmpgtw, k_pcmpgtw, A16, 8)
SIMD_OPS(pcmpgtd, k_pcmpgtd, A16, 8)
SIMD_OPS(pmullw, k_pmullw, A16, 8)
SIMD_OPS(pmulhw, k_pmulhw, A16, 8)
SIMD_OPS(pmulhuw, k_pmulhuw, A16, 8)
SIMD_OPS(pmuludq, k_pmuludq, A16, 8)
SIMD_OPS(pmaddwd, k_pmaddwd, A16, 8)
SIMD_OPS(psadbw, k_psadbw, A16, 8)
SIMD_OPS(pminub, k_pminub, A16, 8)
SIMD_OPS(pmaxub, k_pmaxub, A16, 8)
SIMD_OPS(pminsw, k_pminsw, A16, 8)
SIMD_OPS(pmaxsw, k_pmaxsw, A16, 8)
SIMD_OPS(pavgb, k_pavgb, A16, 8)
SIMD_OPS(pavgw, k_pavgw, A16, 8)
SIMD_OPS(pand, k_pand, A16, 8)
SIMD_OPS(pandn, k_pandn, A16, 8)
SIMD_OPS(por, k_por, A16, 8)
SIMD_OPS(pxor, k_pxor, A16, 8)
SIMD_OPS(packsswb, k_packsswb, A16, 8)
SIMD_OPS(packuswb, k_packuswb, A16, 8)
SIMD_OPS(packssdw, k_packssdw, A16, 8)
SIMD_OPS(psrlw, k_psrlw, A16, 8)
SIMD_OPS(psrld, k_psrld, A16, 8)
SIMD_OPS(psrlq, k_psrlq, A16, 8)
SIMD_OPS(psllw, k_psllw, A16, 8)
SIMD_OPS(pslld, k_pslld, A16, 8)
SIMD_OPS(psllq, k_psllq, A16, 8)
SIMD_OPS(psraw, k_psraw, A16, 8)
SIMD_OPS(psrad, k_psrad, A16, 8)
SIMD_OPS(phaddw, k_phaddw, A16, 8)
SIMD_OPS(phaddd, k_phaddd, A16, 8)
SIMD_OPS(phaddsw, k_phaddsw, A16, 8)
SIMD_OPS(phsubw, k_phsubw, A16, 8)
SIMD_OPS(phsubd, k_phsubd, A16, 8)
SIMD_OPS(phsubsw, k_phsubsw, A16, 8)
SIMD_OPS(pmaddubsw, k_pmaddubsw, A16, 8)
SIMD_OPS(psignb, k_psignb, A16, 8)
SIMD_OPS(psignw, k_psignw, A16, 8)
SIMD_OPS(psignd, k_psignd, A16, 8)
SIMD_OPS(pmulhrsw, k_pmulhrsw, A16, 8)
SIMD_OPS(pabsb, k_pabsb, A16, 8)
SIMD_OPS(pabsw, k_pabsw, A16, 8)
SIMD_OPS(pabsd, k_pabsd, A16, 8)

/* The 0F-map opcodes of this file (SDM Vol.2 Table A-3). */
static const simd_forms_t *const int0f[256] = {
    [0x63] = &packsswb_forms, [0x64] = &pcmpgtb_forms, [0x65] = &pcmpgtw_forms,
    [0x66] = &pcmpgtd_forms, [0x67] = &packuswb_forms, [0x6b] = &packssdw_forms,
    [0x74] = &pcmpeqb_forms, [0x75] = &pcmpeqw_forms, [0x76] = &pcmpeqd_forms,
    [0xd1] = &psrlw_forms, [0xd2] = &psrld_forms, [0xd3] = &psrlq_forms,
    [0xd4] = &paddq_forms, [0xd5] = &pmullw_forms,
    [0xd8] = &psubusb_forms, [0xd9] = &psubusw_forms, [0xda] = &pminub_forms,
    [0xdb] = &pand_forms, [0xdc] = &paddusb_forms, [0xdd] = &paddusw_forms,
    [0xde] = &pmaxub_forms, [0xdf] = &pandn_forms,
    [0xe0] = &pavgb_forms, [0xe1] = &psraw_forms, [0xe2] = &psrad_forms,
    [0xe3] = &pavgw_forms, [0xe4] = &pmulhuw_forms, [0xe5] = &pmulhw_forms,
    [0xe8] = &psubsb_forms, [0xe9] = &psubsw_forms, [0xea] = &pminsw_forms,
    [0xeb] = &por_forms, [0xec] = &paddsb_forms, [0xed] = &paddsw_forms,
    [0xee] = &pmaxsw_forms, [0xef] = &pxor_forms,
    [0xf1] = &psllw_forms, [0xf2] = &pslld_forms, [0xf3] = &psllq_forms,
    [0xf4] = &pmuludq_forms, [0xf5] = &pmaddwd_forms, [0xf6] = &psadbw_forms,
    [0xf8] = &psubb_forms, [0xf9] = &psubw_forms, [0xfa] = &psubd_forms,
    [0xfb] = &psubq_forms, [0xfc] = &paddb_forms, [0xfd] = &paddw_forms,
    [0xfe] = &paddd_forms,
};

void sel_sse_int(dctx_t *d, insn_t *in)
{
    const simd_forms_t *f = int0f[in->op];
    if (f)
        simd_pick(d, in, f);
}

/* 0F38 SSSE3 opcodes (SDM Vol.2 Table A-4); PSHUFB is in sse_shuffle.c. */
static const simd_forms_t *const int38[0x20] = {
    [0x01] = &phaddw_forms, [0x02] = &phaddd_forms, [0x03] = &phaddsw_forms,
    [0x04] = &pmaddubsw_forms, [0x05] = &phsubw_forms, [0x06] = &phsubd_forms,
    [0x07] = &phsubsw_forms, [0x08] = &psignb_forms, [0x09] = &psignw_forms,
    [0x0a] = &psignd_forms, [0x0b] = &pmulhrsw_forms,
    [0x1c] = &pabsb_forms, [0x1d] = &pabsw_forms, [0x1e] = &pabsd_forms,
};

void sel_sse_int38(dctx_t *d, insn_t *in)
{
    const simd_forms_t *f = in->op < 0x20 ? int38[in->op] : NULL;
    if (f)
        simd_pick(d, in, f);
}

/* ---- ANDPS ANDNPS ORPS XORPS and the PD forms: bitwise, XMM only ---- */

SIMD_XOPS(andps, k_pand, A16)
SIMD_XOPS(andnps, k_pandn, A16)
SIMD_XOPS(orps, k_por, A16)
SIMD_XOPS(xorps, k_pxor, A16)

void sel_sse_logic(dctx_t *d, insn_t *in)
{
    static const simd_forms_t *const f[4] = { &andps_forms, &andnps_forms, &orps_forms, &xorps_forms };
    const simd_forms_t *op = f[in->op & 3];
    simd_pick_ps_pd(d, in, op, op);
}

/* ---- shifts by immediate, 0F 71-73 (groups 12-14): the register is r/m ---- */

#define SHIFT_IMM(NAME, KC)                                                        \
    static void NAME##_xi(cpu_t *cpu, const insn_t *in)                            \
    {                                                                              \
        xmm_t r;                                                                   \
        KC(&r, &cpu->xmm[in->rm], in->imm & 0xff, 16);                             \
        cpu->xmm[in->rm] = r;                                                      \
    }                                                                              \
    static void NAME##_mi(cpu_t *cpu, const insn_t *in)                            \
    {                                                                              \
        mmx_begin(cpu);                                                            \
        xmm_t a = mmx_x(cpu, in->rm), r;                                           \
        KC(&r, &a, in->imm & 0xff, 8);                                             \
        mmx_set(cpu, in->rm, r.q[0]);                                              \
    }

SHIFT_IMM(psrlw, k_psrlw_c)
SHIFT_IMM(psraw, k_psraw_c)
SHIFT_IMM(psllw, k_psllw_c)
SHIFT_IMM(psrld, k_psrld_c)
SHIFT_IMM(psrad, k_psrad_c)
SHIFT_IMM(pslld, k_pslld_c)
SHIFT_IMM(psrlq, k_psrlq_c)
SHIFT_IMM(psllq, k_psllq_c)

static void psrldq_xi(cpu_t *cpu, const insn_t *in)
{
    xmm_t r;
    k_psrldq_c(&r, &cpu->xmm[in->rm], in->imm & 0xff, 16);
    cpu->xmm[in->rm] = r;
}

static void pslldq_xi(cpu_t *cpu, const insn_t *in)
{
    xmm_t r;
    k_pslldq_c(&r, &cpu->xmm[in->rm], in->imm & 0xff, 16);
    cpu->xmm[in->rm] = r;
}

/* [opcode - 0x71][ModRM.reg] = { XMM form, MMX form } (SDM Vol.2 Table A-6). */
static const insn_fn shift_imm[3][8][2] = {
    { [2] = { psrlw_xi, psrlw_mi }, [4] = { psraw_xi, psraw_mi }, [6] = { psllw_xi, psllw_mi } },
    { [2] = { psrld_xi, psrld_mi }, [4] = { psrad_xi, psrad_mi }, [6] = { pslld_xi, pslld_mi } },
    { [2] = { psrlq_xi, psrlq_mi }, [3] = { psrldq_xi, NULL }, [6] = { psllq_xi, psllq_mi },
      [7] = { pslldq_xi, NULL } },
};

void sel_sse_shift_imm(dctx_t *d, insn_t *in)
{
    if ((in->flags & INF_MEM) || (in->pfx != PFX_NONE && in->pfx != PFX_66))
        return;
    const insn_fn *f = shift_imm[in->op - 0x71][d->regf];
    if (in->pfx == PFX_66) {
        in->fn = f[0];
        simd_guard(d, in, SC_SSE);
    } else {
        in->rm &= 7;
        in->fn = f[1];
        simd_guard(d, in, SC_MMX);
    }
}
