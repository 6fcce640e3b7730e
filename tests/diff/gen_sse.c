/* MMX, SSE..SSE4.2 (non floating-point) and x87/SSE state instruction
 * forms of 64-bit mode. Names are "simd_<family>/<mnemonic>_<form>" so a
 * family can be selected with --filter 'simd_int/ *' (without the space). */
#include "gen.h"

#include <string.h>

/* ---- hooks ---- */

/* Aligned 16-byte operands: mostly aligned, some misaligned (#GP). */
static void a16_setup(struct gen *g)
{
    g->align = 16;
}

static uint64_t safe_data_addr(struct gen *g, unsigned size)
{
    uint64_t a = gen_data_addr(g, size);
    return gen_addr_safe(a, size) ? a : DIFF_DATA_ADDR + 128;
}

/* MASKMOVQ/MASKMOVDQU write to DS:RDI. */
static void maskmov_setup(struct gen *g)
{
    g->align = 0;
    gen_pin(g, DIFF_RDI, safe_data_addr(g, g->f->arg ? (unsigned)g->f->arg : 16));
}

/* PCMPESTRx: lengths in EAX/EDX, mostly small, negative or saturating. */
static uint64_t str_len(struct gen *g)
{
    switch (rndn(g, 4)) {
    case 0: return gen_value(g, 8);
    case 1: return (uint64_t)(int64_t)((int)rndn(g, 41) - 20);
    default: return rndn(g, 17);
    }
}

static void pcmpestr_setup(struct gen *g)
{
    gen_pin(g, DIFF_RAX, str_len(g));
    gen_pin(g, DIFF_RDX, str_len(g));
}

/* PCMPxSTRx: make short strings (zero elements) likely in both operands. */
static void pcmpstr_post(struct gen *g)
{
    if (g->mem && chance(g, 50))
        gen_mem_write(g, g->ea + rndn(g, 16), 0, 1 + (unsigned)rndn(g, 2));
}

static uint32_t mxcsr_value(struct gen *g)
{
    uint32_t mx = (uint32_t)rnd(g) & 0xFFFF;
    if (chance(g, 40))
        mx = 0x1F80 | ((uint32_t)rnd(g) & 0x3F);
    if (chance(g, 5))
        mx |= 1u << (16 + rndn(g, 16));      /* reserved: #GP */
    return mx;
}

static void ldmxcsr_post(struct gen *g)
{
    gen_mem_write(g, g->ea, mxcsr_value(g), 4);
}

/* The areas are larger than form.msize can hold. */
static void fx_setup(struct gen *g)
{
    g->align = 16;
    g->msize = 512;
}

static void fxrstor_post(struct gen *g)
{
    gen_mem_write(g, g->ea + 24, mxcsr_value(g), 4);
}

/* XSAVE/XRSTOR: EDX:EAX is the requested-feature bitmap. The host's XCR0
 * has more components than this CPU's (x87, SSE): bits 2, 5, 6, 7 are
 * kept clear so that both sides save and restore the same state. */
#define HOST_ONLY_XFEATURES 0xE4ULL

static void xsave_setup(struct gen *g)
{
    static const uint64_t masks[] = { 1, 2, 3, 0 };
    g->align = 64;
    g->msize = 576;
    uint64_t m = chance(g, 80) ? masks[rndn(g, 4)] : rnd(g) & ~HOST_ONLY_XFEATURES;
    gen_pin(g, DIFF_RAX, (m & 0xFFFFFFFFULL) | (rnd(g) << 32));
    gen_pin(g, DIFF_RDX, chance(g, 70) ? 0 : rnd(g));
}

/* A valid header most of the time; else XSTATE_BV bits this CPU and the
 * host both lack, or a non-zero XCOMP_BV (#GP). */
static void xrstor_post(struct gen *g)
{
    gen_mem_write(g, g->ea + 24, mxcsr_value(g), 4);
    uint64_t bv = rndn(g, 4);
    if (chance(g, 5))
        bv |= (1ULL << rndn(g, 64)) & ~HOST_ONLY_XFEATURES & ~3ULL;
    gen_mem_write(g, g->ea + 512, bv, 8);
    gen_mem_write(g, g->ea + 520, chance(g, 5) ? 1ULL << rndn(g, 64) : 0, 8);
    gen_mem_write(g, g->ea + 528, chance(g, 5) ? 1ULL << rndn(g, 64) : 0, 8);
}

/* XSAVE leaves the header beyond XSTATE_BV alone; give it a known start. */
static void xsave_post(struct gen *g)
{
    if (chance(g, 70))
        gen_mem_write(g, g->ea + 512, rndn(g, 4), 8);
}

/* Fixed byte sequences (EMMS, XGETBV); the generic encoder is bypassed,
 * so the setup hook runs from here. */
static void enc_fixed(struct gen *g)
{
    const uint8_t *p = g->f->bytes;
    if (g->f->setup)
        g->f->setup(g);
    g->op_off = g->len;
    for (unsigned i = 0; i < p[0]; i++)
        gen_byte(g, p[1 + i]);
}

#define FIXED(nm, su, ...) \
    { .name = nm, .encode = enc_fixed, .setup = su, \
      .bytes = (const uint8_t[]){ sizeof((const uint8_t[]){ __VA_ARGS__ }), __VA_ARGS__ } }

/* ---- form builders ----
 * REX.W is random (OS32|OS64) except where it selects the form; 66 is
 * never added at random, since it would select another instruction. */

#define SF(nm, mapv, opv, pfx, rmk, ms, immv, fl, su)                                        \
    { .name = nm, .map = (mapv), .op = (opv), .reg = REG_GPR, .rm = (rmk), .osz = OS32 | OS64, \
      .imm = (immv), .mprefix = (pfx), .msize = (ms), .flags = F_NO66 | (fl), .setup = (su) }

/* MMX mm, mm/m64 and SSE2 xmm, xmm/m128 (aligned) of one opcode. */
#define MM(fam, nm, mapv, opv, ms) SF("simd_" fam "/" nm "_mm", mapv, opv, 0, RM_BOTH, ms, IMM_NONE, 0, NULL)
#define XA(fam, nm, mapv, opv) SF("simd_" fam "/" nm "_x", mapv, opv, 0x66, RM_BOTH, 16, IMM_NONE, 0, a16_setup)
#define MX(fam, nm, mapv, opv) MM(fam, nm, mapv, opv, 8), XA(fam, nm, mapv, opv)
#define INT(nm, opv) MX("int", nm, MAP_0F, opv)
#define SSSE3(nm, opv) MX("int", nm, MAP_0F38, opv)
#define S41(nm, opv) XA("sse4", nm, MAP_0F38, opv)
/* PS (no prefix) and PD (66) forms of an XMM-only opcode. */
#define PSPD(fam, nm_ps, nm_pd, opv, immv)                                                            \
    SF("simd_" fam "/" nm_ps, MAP_0F, opv, 0, RM_BOTH, 16, immv, 0, a16_setup),                      \
    SF("simd_" fam "/" nm_pd, MAP_0F, opv, 0x66, RM_BOTH, 16, immv, 0, a16_setup)

static const struct form sse_forms[] = {
    /* ---- packed integer arithmetic, MMX and SSE2 ---- */
    INT("packsswb", 0x63), INT("pcmpgtb", 0x64), INT("pcmpgtw", 0x65), INT("pcmpgtd", 0x66),
    INT("packuswb", 0x67), INT("packssdw", 0x6B),
    INT("pcmpeqb", 0x74), INT("pcmpeqw", 0x75), INT("pcmpeqd", 0x76),
    INT("psrlw", 0xD1), INT("psrld", 0xD2), INT("psrlq", 0xD3), INT("paddq", 0xD4), INT("pmullw", 0xD5),
    INT("psubusb", 0xD8), INT("psubusw", 0xD9), INT("pminub", 0xDA), INT("pand", 0xDB),
    INT("paddusb", 0xDC), INT("paddusw", 0xDD), INT("pmaxub", 0xDE), INT("pandn", 0xDF),
    INT("pavgb", 0xE0), INT("psraw", 0xE1), INT("psrad", 0xE2), INT("pavgw", 0xE3),
    INT("pmulhuw", 0xE4), INT("pmulhw", 0xE5),
    INT("psubsb", 0xE8), INT("psubsw", 0xE9), INT("pminsw", 0xEA), INT("por", 0xEB),
    INT("paddsb", 0xEC), INT("paddsw", 0xED), INT("pmaxsw", 0xEE), INT("pxor", 0xEF),
    INT("psllw", 0xF1), INT("pslld", 0xF2), INT("psllq", 0xF3), INT("pmuludq", 0xF4),
    INT("pmaddwd", 0xF5), INT("psadbw", 0xF6),
    INT("psubb", 0xF8), INT("psubw", 0xF9), INT("psubd", 0xFA), INT("psubq", 0xFB),
    INT("paddb", 0xFC), INT("paddw", 0xFD), INT("paddd", 0xFE),
    /* shifts by immediate: groups 12-14, register operand only */
    /* any /digit (REG_GPR draws 0-15: REX.R must not matter) */
    SF("simd_int/grp12_any_mm", MAP_0F, 0x71, 0, RM_REG, 8, IMM_8, F_CS_SKIP, NULL),
    SF("simd_int/grp13_any_x", MAP_0F, 0x72, 0x66, RM_REG, 16, IMM_8, F_CS_SKIP, NULL),
    SF("simd_int/grp14_any_x", MAP_0F, 0x73, 0x66, RM_REG, 16, IMM_8, F_CS_SKIP, NULL),
    { .name = "simd_int/psrlw_imm_mm", .map = MAP_0F, .op = 0x71, .reg = 2, .rm = RM_REG, .osz = OS32, .imm = IMM_8, .flags = F_NO66 },
    { .name = "simd_int/psrlw_imm_x", .map = MAP_0F, .op = 0x71, .reg = 2, .rm = RM_REG, .osz = OS32, .imm = IMM_8, .mprefix = 0x66, .flags = F_NO66 },
    { .name = "simd_int/psraw_imm_mm", .map = MAP_0F, .op = 0x71, .reg = 4, .rm = RM_REG, .osz = OS32, .imm = IMM_8, .flags = F_NO66 },
    { .name = "simd_int/psraw_imm_x", .map = MAP_0F, .op = 0x71, .reg = 4, .rm = RM_REG, .osz = OS32, .imm = IMM_8, .mprefix = 0x66, .flags = F_NO66 },
    { .name = "simd_int/psllw_imm_mm", .map = MAP_0F, .op = 0x71, .reg = 6, .rm = RM_REG, .osz = OS32, .imm = IMM_8, .flags = F_NO66 },
    { .name = "simd_int/psllw_imm_x", .map = MAP_0F, .op = 0x71, .reg = 6, .rm = RM_REG, .osz = OS32, .imm = IMM_8, .mprefix = 0x66, .flags = F_NO66 },
    { .name = "simd_int/psrld_imm_mm", .map = MAP_0F, .op = 0x72, .reg = 2, .rm = RM_REG, .osz = OS32, .imm = IMM_8, .flags = F_NO66 },
    { .name = "simd_int/psrld_imm_x", .map = MAP_0F, .op = 0x72, .reg = 2, .rm = RM_REG, .osz = OS32, .imm = IMM_8, .mprefix = 0x66, .flags = F_NO66 },
    { .name = "simd_int/psrad_imm_mm", .map = MAP_0F, .op = 0x72, .reg = 4, .rm = RM_REG, .osz = OS32, .imm = IMM_8, .flags = F_NO66 },
    { .name = "simd_int/psrad_imm_x", .map = MAP_0F, .op = 0x72, .reg = 4, .rm = RM_REG, .osz = OS32, .imm = IMM_8, .mprefix = 0x66, .flags = F_NO66 },
    { .name = "simd_int/pslld_imm_mm", .map = MAP_0F, .op = 0x72, .reg = 6, .rm = RM_REG, .osz = OS32, .imm = IMM_8, .flags = F_NO66 },
    { .name = "simd_int/pslld_imm_x", .map = MAP_0F, .op = 0x72, .reg = 6, .rm = RM_REG, .osz = OS32, .imm = IMM_8, .mprefix = 0x66, .flags = F_NO66 },
    { .name = "simd_int/psrlq_imm_mm", .map = MAP_0F, .op = 0x73, .reg = 2, .rm = RM_REG, .osz = OS32, .imm = IMM_8, .flags = F_NO66 },
    { .name = "simd_int/psrlq_imm_x", .map = MAP_0F, .op = 0x73, .reg = 2, .rm = RM_REG, .osz = OS32, .imm = IMM_8, .mprefix = 0x66, .flags = F_NO66 },
    { .name = "simd_int/psrldq_imm_x", .map = MAP_0F, .op = 0x73, .reg = 3, .rm = RM_REG, .osz = OS32, .imm = IMM_8, .mprefix = 0x66, .flags = F_NO66 },
    { .name = "simd_int/psllq_imm_mm", .map = MAP_0F, .op = 0x73, .reg = 6, .rm = RM_REG, .osz = OS32, .imm = IMM_8, .flags = F_NO66 },
    { .name = "simd_int/psllq_imm_x", .map = MAP_0F, .op = 0x73, .reg = 6, .rm = RM_REG, .osz = OS32, .imm = IMM_8, .mprefix = 0x66, .flags = F_NO66 },
    { .name = "simd_int/pslldq_imm_x", .map = MAP_0F, .op = 0x73, .reg = 7, .rm = RM_REG, .osz = OS32, .imm = IMM_8, .mprefix = 0x66, .flags = F_NO66 },
    /* undefined digits and memory forms of the shift groups */
    { .name = "simd_int/grp14_ud_mm", .map = MAP_0F, .op = 0x73, .reg = 3, .rm = RM_REG, .osz = OS32, .imm = IMM_8, .flags = F_NO66 | F_INVALID | F_CS_SKIP },
    { .name = "simd_int/grp13_ud_x", .map = MAP_0F, .op = 0x72, .reg = 0, .rm = RM_REG, .osz = OS32, .imm = IMM_8, .mprefix = 0x66, .flags = F_NO66 | F_INVALID | F_CS_SKIP },
    { .name = "simd_int/grp12_mem_ud", .map = MAP_0F, .op = 0x71, .reg = 2, .rm = RM_MEM, .osz = OS32, .imm = IMM_8, .msize = 8, .mprefix = 0x66, .flags = F_NO66 | F_INVALID | F_CS_SKIP },
    /* SSSE3 */
    SSSE3("phaddw", 0x01), SSSE3("phaddd", 0x02), SSSE3("phaddsw", 0x03), SSSE3("pmaddubsw", 0x04),
    SSSE3("phsubw", 0x05), SSSE3("phsubd", 0x06), SSSE3("phsubsw", 0x07), SSSE3("psignb", 0x08),
    SSSE3("psignw", 0x09), SSSE3("psignd", 0x0A), SSSE3("pmulhrsw", 0x0B),
    SSSE3("pabsb", 0x1C), SSSE3("pabsw", 0x1D), SSSE3("pabsd", 0x1E),
    /* logic on PS/PD */
    PSPD("int", "andps", "andpd", 0x54, IMM_NONE), PSPD("int", "andnps", "andnpd", 0x55, IMM_NONE),
    PSPD("int", "orps", "orpd", 0x56, IMM_NONE), PSPD("int", "xorps", "xorpd", 0x57, IMM_NONE),
    /* an integer op with F3/F2 is undefined */
    SF("simd_int/paddb_f3_ud", MAP_0F, 0xFC, 0xF3, RM_BOTH, 16, IMM_NONE, F_INVALID | F_CS_SKIP, NULL),
    SF("simd_int/phaddw_f2_ud", MAP_0F38, 0x01, 0xF2, RM_BOTH, 16, IMM_NONE, F_INVALID | F_CS_SKIP, NULL),

    /* ---- SSE4.1 / SSE4.2 integer ---- */
    S41("ptest", 0x17), S41("pmuldq", 0x28), S41("pcmpeqq", 0x29), S41("packusdw", 0x2B),
    S41("pcmpgtq", 0x37), S41("pminsb", 0x38), S41("pminsd", 0x39), S41("pminuw", 0x3A),
    S41("pminud", 0x3B), S41("pmaxsb", 0x3C), S41("pmaxsd", 0x3D), S41("pmaxuw", 0x3E),
    S41("pmaxud", 0x3F), S41("pmulld", 0x40), S41("phminposuw", 0x41),
    SF("simd_sse4/pmovsxbw", MAP_0F38, 0x20, 0x66, RM_BOTH, 8, IMM_NONE, 0, NULL),
    SF("simd_sse4/pmovsxbd", MAP_0F38, 0x21, 0x66, RM_BOTH, 4, IMM_NONE, 0, NULL),
    SF("simd_sse4/pmovsxbq", MAP_0F38, 0x22, 0x66, RM_BOTH, 2, IMM_NONE, 0, NULL),
    SF("simd_sse4/pmovsxwd", MAP_0F38, 0x23, 0x66, RM_BOTH, 8, IMM_NONE, 0, NULL),
    SF("simd_sse4/pmovsxwq", MAP_0F38, 0x24, 0x66, RM_BOTH, 4, IMM_NONE, 0, NULL),
    SF("simd_sse4/pmovsxdq", MAP_0F38, 0x25, 0x66, RM_BOTH, 8, IMM_NONE, 0, NULL),
    SF("simd_sse4/pmovzxbw", MAP_0F38, 0x30, 0x66, RM_BOTH, 8, IMM_NONE, 0, NULL),
    SF("simd_sse4/pmovzxbd", MAP_0F38, 0x31, 0x66, RM_BOTH, 4, IMM_NONE, 0, NULL),
    SF("simd_sse4/pmovzxbq", MAP_0F38, 0x32, 0x66, RM_BOTH, 2, IMM_NONE, 0, NULL),
    SF("simd_sse4/pmovzxwd", MAP_0F38, 0x33, 0x66, RM_BOTH, 8, IMM_NONE, 0, NULL),
    SF("simd_sse4/pmovzxwq", MAP_0F38, 0x34, 0x66, RM_BOTH, 4, IMM_NONE, 0, NULL),
    SF("simd_sse4/pmovzxdq", MAP_0F38, 0x35, 0x66, RM_BOTH, 8, IMM_NONE, 0, NULL),
    SF("simd_sse4/mpsadbw", MAP_0F3A, 0x42, 0x66, RM_BOTH, 16, IMM_8, 0, a16_setup),
    SF("simd_sse4/pmulld_np_ud", MAP_0F38, 0x40, 0, RM_BOTH, 8, IMM_NONE, F_INVALID | F_CS_SKIP, NULL),

    /* ---- SSE4.2 string compares (no alignment requirement) ---- */
    { .name = "simd_str/pcmpestrm", .map = MAP_0F3A, .op = 0x60, .reg = REG_GPR, .rm = RM_BOTH, .osz = OS32 | OS64,
      .imm = IMM_8, .mprefix = 0x66, .msize = 16, .flags = F_NO66, .setup = pcmpestr_setup, .post = pcmpstr_post },
    { .name = "simd_str/pcmpestri", .map = MAP_0F3A, .op = 0x61, .reg = REG_GPR, .rm = RM_BOTH, .osz = OS32 | OS64,
      .imm = IMM_8, .mprefix = 0x66, .msize = 16, .flags = F_NO66, .setup = pcmpestr_setup, .post = pcmpstr_post },
    { .name = "simd_str/pcmpistrm", .map = MAP_0F3A, .op = 0x62, .reg = REG_GPR, .rm = RM_BOTH, .osz = OS32 | OS64,
      .imm = IMM_8, .mprefix = 0x66, .msize = 16, .flags = F_NO66, .post = pcmpstr_post },
    { .name = "simd_str/pcmpistri", .map = MAP_0F3A, .op = 0x63, .reg = REG_GPR, .rm = RM_BOTH, .osz = OS32 | OS64,
      .imm = IMM_8, .mprefix = 0x66, .msize = 16, .flags = F_NO66, .post = pcmpstr_post },

    /* ---- shuffles, unpacks, blends, inserts, extracts ---- */
    MM("shuf", "punpcklbw", MAP_0F, 0x60, 4), XA("shuf", "punpcklbw", MAP_0F, 0x60),
    MM("shuf", "punpcklwd", MAP_0F, 0x61, 4), XA("shuf", "punpcklwd", MAP_0F, 0x61),
    MM("shuf", "punpckldq", MAP_0F, 0x62, 4), XA("shuf", "punpckldq", MAP_0F, 0x62),
    MX("shuf", "punpckhbw", MAP_0F, 0x68), MX("shuf", "punpckhwd", MAP_0F, 0x69),
    MX("shuf", "punpckhdq", MAP_0F, 0x6A),
    XA("shuf", "punpcklqdq", MAP_0F, 0x6C), XA("shuf", "punpckhqdq", MAP_0F, 0x6D),
    SF("simd_shuf/punpcklqdq_np_ud", MAP_0F, 0x6C, 0, RM_BOTH, 8, IMM_NONE, F_INVALID | F_CS_SKIP, NULL),
    PSPD("shuf", "unpcklps", "unpcklpd", 0x14, IMM_NONE), PSPD("shuf", "unpckhps", "unpckhpd", 0x15, IMM_NONE),
    PSPD("shuf", "shufps", "shufpd", 0xC6, IMM_8),
    SF("simd_shuf/pshufw_mm", MAP_0F, 0x70, 0, RM_BOTH, 8, IMM_8, 0, NULL),
    SF("simd_shuf/pshufd_x", MAP_0F, 0x70, 0x66, RM_BOTH, 16, IMM_8, 0, a16_setup),
    SF("simd_shuf/pshufhw_x", MAP_0F, 0x70, 0xF3, RM_BOTH, 16, IMM_8, 0, a16_setup),
    SF("simd_shuf/pshuflw_x", MAP_0F, 0x70, 0xF2, RM_BOTH, 16, IMM_8, 0, a16_setup),
    SF("simd_shuf/pinsrw_mm", MAP_0F, 0xC4, 0, RM_BOTH, 2, IMM_8, 0, NULL),
    SF("simd_shuf/pinsrw_x", MAP_0F, 0xC4, 0x66, RM_BOTH, 2, IMM_8, 0, NULL),
    SF("simd_shuf/pextrw_mm", MAP_0F, 0xC5, 0, RM_REG, 8, IMM_8, 0, NULL),
    SF("simd_shuf/pextrw_x", MAP_0F, 0xC5, 0x66, RM_REG, 16, IMM_8, 0, NULL),
    SF("simd_shuf/pextrw_m_ud", MAP_0F, 0xC5, 0x66, RM_MEM, 2, IMM_8, F_INVALID | F_CS_SKIP, NULL),
    MX("shuf", "pshufb", MAP_0F38, 0x00),
    SF("simd_shuf/palignr_mm", MAP_0F3A, 0x0F, 0, RM_BOTH, 8, IMM_8, 0, NULL),
    SF("simd_shuf/palignr_x", MAP_0F3A, 0x0F, 0x66, RM_BOTH, 16, IMM_8, 0, a16_setup),
    XA("shuf", "pblendvb", MAP_0F38, 0x10), XA("shuf", "blendvps", MAP_0F38, 0x14),
    XA("shuf", "blendvpd", MAP_0F38, 0x15),
    SF("simd_shuf/blendps", MAP_0F3A, 0x0C, 0x66, RM_BOTH, 16, IMM_8, 0, a16_setup),
    SF("simd_shuf/blendpd", MAP_0F3A, 0x0D, 0x66, RM_BOTH, 16, IMM_8, 0, a16_setup),
    SF("simd_shuf/pblendw", MAP_0F3A, 0x0E, 0x66, RM_BOTH, 16, IMM_8, 0, a16_setup),
    SF("simd_shuf/pextrb", MAP_0F3A, 0x14, 0x66, RM_BOTH, 1, IMM_8, 0, NULL),
    SF("simd_shuf/pextrw_rm", MAP_0F3A, 0x15, 0x66, RM_BOTH, 2, IMM_8, 0, NULL),
    { .name = "simd_shuf/pextrd", .map = MAP_0F3A, .op = 0x16, .reg = REG_GPR, .rm = RM_BOTH, .osz = OS32,
      .imm = IMM_8, .mprefix = 0x66, .msize = 4, .flags = F_NO66 },
    { .name = "simd_shuf/pextrq", .map = MAP_0F3A, .op = 0x16, .reg = REG_GPR, .rm = RM_BOTH, .osz = OS64,
      .imm = IMM_8, .mprefix = 0x66, .msize = 8, .flags = F_NO66 },
    SF("simd_shuf/extractps", MAP_0F3A, 0x17, 0x66, RM_BOTH, 4, IMM_8, 0, NULL),
    SF("simd_shuf/pinsrb", MAP_0F3A, 0x20, 0x66, RM_BOTH, 1, IMM_8, 0, NULL),
    SF("simd_shuf/insertps", MAP_0F3A, 0x21, 0x66, RM_BOTH, 4, IMM_8, 0, NULL),
    { .name = "simd_shuf/pinsrd", .map = MAP_0F3A, .op = 0x22, .reg = REG_GPR, .rm = RM_BOTH, .osz = OS32,
      .imm = IMM_8, .mprefix = 0x66, .msize = 4, .flags = F_NO66 },
    { .name = "simd_shuf/pinsrq", .map = MAP_0F3A, .op = 0x22, .reg = REG_GPR, .rm = RM_BOTH, .osz = OS64,
      .imm = IMM_8, .mprefix = 0x66, .msize = 8, .flags = F_NO66 },

    /* ---- moves ---- */
    PSPD("mov", "movups_ld", "movupd_ld", 0x10, IMM_NONE),
    PSPD("mov", "movups_st", "movupd_st", 0x11, IMM_NONE),
    SF("simd_mov/movss_ld", MAP_0F, 0x10, 0xF3, RM_BOTH, 4, IMM_NONE, 0, NULL),
    SF("simd_mov/movsd_ld", MAP_0F, 0x10, 0xF2, RM_BOTH, 8, IMM_NONE, 0, NULL),
    SF("simd_mov/movss_st", MAP_0F, 0x11, 0xF3, RM_BOTH, 4, IMM_NONE, 0, NULL),
    SF("simd_mov/movsd_st", MAP_0F, 0x11, 0xF2, RM_BOTH, 8, IMM_NONE, 0, NULL),
    SF("simd_mov/movlps_ld_movhlps", MAP_0F, 0x12, 0, RM_BOTH, 8, IMM_NONE, 0, NULL),
    SF("simd_mov/movlpd_ld", MAP_0F, 0x12, 0x66, RM_MEM, 8, IMM_NONE, F_MOD3UD, NULL),
    SF("simd_mov/movsldup", MAP_0F, 0x12, 0xF3, RM_BOTH, 16, IMM_NONE, 0, a16_setup),
    SF("simd_mov/movddup", MAP_0F, 0x12, 0xF2, RM_BOTH, 8, IMM_NONE, 0, NULL),
    SF("simd_mov/movlps_st", MAP_0F, 0x13, 0, RM_MEM, 8, IMM_NONE, F_MOD3UD, NULL),
    SF("simd_mov/movlpd_st", MAP_0F, 0x13, 0x66, RM_MEM, 8, IMM_NONE, F_MOD3UD, NULL),
    SF("simd_mov/movhps_ld_movlhps", MAP_0F, 0x16, 0, RM_BOTH, 8, IMM_NONE, 0, NULL),
    SF("simd_mov/movhpd_ld", MAP_0F, 0x16, 0x66, RM_MEM, 8, IMM_NONE, F_MOD3UD, NULL),
    SF("simd_mov/movshdup", MAP_0F, 0x16, 0xF3, RM_BOTH, 16, IMM_NONE, 0, a16_setup),
    SF("simd_mov/movhps_st", MAP_0F, 0x17, 0, RM_MEM, 8, IMM_NONE, F_MOD3UD, NULL),
    SF("simd_mov/movhpd_st", MAP_0F, 0x17, 0x66, RM_MEM, 8, IMM_NONE, F_MOD3UD, NULL),
    PSPD("mov", "movaps_ld", "movapd_ld", 0x28, IMM_NONE),
    PSPD("mov", "movaps_st", "movapd_st", 0x29, IMM_NONE),
    SF("simd_mov/movntps", MAP_0F, 0x2B, 0, RM_MEM, 16, IMM_NONE, F_MOD3UD, a16_setup),
    SF("simd_mov/movntpd", MAP_0F, 0x2B, 0x66, RM_MEM, 16, IMM_NONE, F_MOD3UD, a16_setup),
    SF("simd_mov/movmskps", MAP_0F, 0x50, 0, RM_REG, 16, IMM_NONE, 0, NULL),
    SF("simd_mov/movmskpd", MAP_0F, 0x50, 0x66, RM_REG, 16, IMM_NONE, 0, NULL),
    SF("simd_mov/movd_movq_mm_rm", MAP_0F, 0x6E, 0, RM_BOTH, 0, IMM_NONE, 0, NULL),
    SF("simd_mov/movd_movq_x_rm", MAP_0F, 0x6E, 0x66, RM_BOTH, 0, IMM_NONE, 0, NULL),
    SF("simd_mov/movq_mm_mmm", MAP_0F, 0x6F, 0, RM_BOTH, 8, IMM_NONE, 0, NULL),
    SF("simd_mov/movdqa_ld", MAP_0F, 0x6F, 0x66, RM_BOTH, 16, IMM_NONE, 0, a16_setup),
    SF("simd_mov/movdqu_ld", MAP_0F, 0x6F, 0xF3, RM_BOTH, 16, IMM_NONE, 0, NULL),
    SF("simd_mov/movd_movq_rm_mm", MAP_0F, 0x7E, 0, RM_BOTH, 0, IMM_NONE, 0, NULL),
    SF("simd_mov/movd_movq_rm_x", MAP_0F, 0x7E, 0x66, RM_BOTH, 0, IMM_NONE, 0, NULL),
    SF("simd_mov/movq_x_xm", MAP_0F, 0x7E, 0xF3, RM_BOTH, 8, IMM_NONE, 0, NULL),
    SF("simd_mov/movq_mmm_mm", MAP_0F, 0x7F, 0, RM_BOTH, 8, IMM_NONE, 0, NULL),
    SF("simd_mov/movdqa_st", MAP_0F, 0x7F, 0x66, RM_BOTH, 16, IMM_NONE, 0, a16_setup),
    SF("simd_mov/movdqu_st", MAP_0F, 0x7F, 0xF3, RM_BOTH, 16, IMM_NONE, 0, NULL),
    { .name = "simd_mov/movnti", .map = MAP_0F, .op = 0xC3, .reg = REG_GPR, .rm = RM_MEM, .osz = OS32 | OS64,
      .flags = F_NO66 | F_MOD3UD },
    SF("simd_mov/movq_xm_x", MAP_0F, 0xD6, 0x66, RM_BOTH, 8, IMM_NONE, 0, NULL),
    SF("simd_mov/movq2dq", MAP_0F, 0xD6, 0xF3, RM_REG, 8, IMM_NONE, 0, NULL),
    SF("simd_mov/movdq2q", MAP_0F, 0xD6, 0xF2, RM_REG, 8, IMM_NONE, 0, NULL),
    SF("simd_mov/pmovmskb_mm", MAP_0F, 0xD7, 0, RM_REG, 8, IMM_NONE, 0, NULL),
    SF("simd_mov/pmovmskb_x", MAP_0F, 0xD7, 0x66, RM_REG, 16, IMM_NONE, 0, NULL),
    SF("simd_mov/movntq", MAP_0F, 0xE7, 0, RM_MEM, 8, IMM_NONE, F_MOD3UD, NULL),
    SF("simd_mov/movntdq", MAP_0F, 0xE7, 0x66, RM_MEM, 16, IMM_NONE, F_MOD3UD, a16_setup),
    SF("simd_mov/lddqu", MAP_0F, 0xF0, 0xF2, RM_MEM, 16, IMM_NONE, F_MOD3UD, NULL),
    { .name = "simd_mov/maskmovq", .map = MAP_0F, .op = 0xF7, .reg = REG_GPR, .rm = RM_REG, .osz = OS32 | OS64,
      .flags = F_NO66, .setup = maskmov_setup, .arg = 8 },
    { .name = "simd_mov/maskmovdqu", .map = MAP_0F, .op = 0xF7, .reg = REG_GPR, .rm = RM_REG, .osz = OS32 | OS64,
      .mprefix = 0x66, .flags = F_NO66, .setup = maskmov_setup, .arg = 16 },
    SF("simd_mov/movntdqa", MAP_0F38, 0x2A, 0x66, RM_MEM, 16, IMM_NONE, F_MOD3UD, a16_setup),
    FIXED("simd_mov/emms", NULL, 0x0F, 0x77),

    /* ---- state save and restore ---- */
    { .name = "simd_state/fxsave", .map = MAP_0F, .op = 0xAE, .reg = 0, .rm = RM_MEM, .osz = OS32,
      .flags = F_NO66, .setup = fx_setup },
    { .name = "simd_state/fxsave64", .map = MAP_0F, .op = 0xAE, .reg = 0, .rm = RM_MEM, .osz = OS64,
      .flags = F_NO66, .setup = fx_setup },
    { .name = "simd_state/fxrstor", .map = MAP_0F, .op = 0xAE, .reg = 1, .rm = RM_MEM, .osz = OS32,
      .flags = F_NO66, .setup = fx_setup, .post = fxrstor_post },
    { .name = "simd_state/fxrstor64", .map = MAP_0F, .op = 0xAE, .reg = 1, .rm = RM_MEM, .osz = OS64,
      .flags = F_NO66, .setup = fx_setup, .post = fxrstor_post },
    { .name = "simd_state/ldmxcsr", .map = MAP_0F, .op = 0xAE, .reg = 2, .rm = RM_MEM, .osz = OS32 | OS64, .msize = 4,
      .flags = F_NO66, .post = ldmxcsr_post },
    { .name = "simd_state/stmxcsr", .map = MAP_0F, .op = 0xAE, .reg = 3, .rm = RM_MEM, .osz = OS32 | OS64, .msize = 4,
      .flags = F_NO66 },
    { .name = "simd_state/xsave", .map = MAP_0F, .op = 0xAE, .reg = 4, .rm = RM_MEM, .osz = OS32 | OS64,
      .flags = F_NO66, .setup = xsave_setup, .post = xsave_post },
    { .name = "simd_state/xrstor", .map = MAP_0F, .op = 0xAE, .reg = 5, .rm = RM_MEM, .osz = OS32 | OS64,
      .flags = F_NO66, .setup = xsave_setup, .post = xrstor_post },
    { .name = "simd_state/fxsave_66_ud", .map = MAP_0F, .op = 0xAE, .reg = 0, .rm = RM_MEM, .osz = OS32,
      .mprefix = 0x66, .flags = F_NO66 | F_INVALID | F_CS_SKIP, .setup = fx_setup },
    /* not here: XGETBV (the host's XCR0 is not this CPU's) and XSAVEOPT
     * (on the host, #UD here): tests/unit/test_simd.c covers them */
};

const struct form_set gen_sse_forms = { "gen_sse.c", sse_forms, sizeof sse_forms / sizeof sse_forms[0] };
