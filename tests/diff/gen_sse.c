/* MMX, SSE..SSE4.2 and x87/SSE state instruction forms of 64-bit mode.
 * Names are "simd_<family>/<mnemonic>_<form>", families int, sse4, str,
 * shuf, mov, state and fp: --filter simd_fp/ selects one. */
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
    /* XCOMP_BV: bit 63 (the compacted form, which the host has) only with
     * a component neither CPU knows, so that both raise #GP */
    uint64_t xc = 0;
    if (chance(g, 5))
        xc = chance(g, 50) ? 1ULL << rndn(g, 63) : (1ULL << 63) | (1ULL << (8 + rndn(g, 55)));
    gen_mem_write(g, g->ea + 520, xc, 8);
    gen_mem_write(g, g->ea + 528, chance(g, 5) ? 1ULL << rndn(g, 64) : 0, 8);
}

/* XSAVE leaves the header beyond XSTATE_BV alone; give it a known start. */
static void xsave_post(struct gen *g)
{
    if (chance(g, 70))
        gen_mem_write(g, g->ea + 512, rndn(g, 4), 8);
}

/* ---- floating point: special operands ---- */

static uint32_t special_f32(struct gen *g)
{
    static const uint32_t k[] = {
        0x00000000, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000, 0x7F800001, 0x7FA00000,
        0x00000001, 0x807FFFFF, 0x00800000, 0x7F7FFFFF, 0x3F800000, 0xBF800000, 0x4F000000, 0xCF000000,
        0x5F000000, 0xDF000000, 0x3F000000, 0x3FC00000, 0x4B000000, 0x4EFFFFFF,
    };
    uint32_t v = k[rndn(g, sizeof k / sizeof k[0])];
    if (chance(g, 30))
        v ^= (uint32_t)rndn(g, 4);           /* neighbours */
    return v;
}

static uint64_t special_f64(struct gen *g)
{
    static const uint64_t k[] = {
        0, 0x8000000000000000ULL, 0x7FF0000000000000ULL, 0xFFF0000000000000ULL, 0x7FF8000000000000ULL,
        0xFFF8000000000000ULL, 0x7FF0000000000001ULL, 0x7FF4000000000000ULL, 1, 0x800FFFFFFFFFFFFFULL,
        0x0010000000000000ULL, 0x7FEFFFFFFFFFFFFFULL, 0x3FF0000000000000ULL, 0xBFF0000000000000ULL,
        0x41E0000000000000ULL, 0xC1E0000000000000ULL, 0x43E0000000000000ULL, 0xC3E0000000000000ULL,
        0x3FE0000000000000ULL, 0x3FF8000000000000ULL, 0x4330000000000000ULL, 0x41DFFFFFFFC00000ULL,
        0x47EFFFFFE0000000ULL, 0x3810000000000000ULL, 0x36A0000000000000ULL,
    };
    uint64_t v = k[rndn(g, sizeof k / sizeof k[0])];
    if (chance(g, 30))
        v ^= rndn(g, 4);
    return v;
}

/* Some lanes of 16 bytes at p become special values of the form's
 * element size (arg: 4 or 8). */
static void fp_shape(struct gen *g, uint8_t *p, unsigned n)
{
    unsigned es = g->f->arg == 8 ? 8 : 4;
    for (unsigned i = 0; i + es <= n; i += es) {
        if (!chance(g, 30))
            continue;
        if (es == 4) {
            uint32_t v = special_f32(g);
            memcpy(p + i, &v, 4);
        } else {
            uint64_t v = special_f64(g);
            memcpy(p + i, &v, 8);
        }
    }
}

static void fp_post(struct gen *g)
{
    if (!chance(g, 50))
        return;
    uint8_t *fx = g->st->fx.raw;
    if (g->reg >= 0 && g->reg < 16)
        fp_shape(g, fx + DIFF_FX_XMM(g->reg), 16);
    if (!g->mem && g->rmreg >= 0)
        fp_shape(g, fx + DIFF_FX_XMM(g->rmreg), 16);
    if (g->mem && g->msize <= 16) {
        uint8_t buf[16];
        for (unsigned i = 0; i < g->msize; i++)
            buf[i] = (uint8_t)gen_mem_read(g, g->ea + i, 1);
        fp_shape(g, buf, g->msize);
        for (unsigned i = 0; i < g->msize; i++)
            gen_mem_write(g, g->ea + i, buf[i], 1);
    }
}

static void fp_a16_setup(struct gen *g)
{
    g->align = 16;
}

/* Redundant prefixes: a 66 before F2/F3 is ignored; of F2 and F3 the last
 * one counts (the mandatory prefix is emitted last). */
static void extra_66_setup(struct gen *g)
{
    g->p66 = true;
}

static void extra_rep_setup(struct gen *g)
{
    g->rep = g->f->mprefix == 0xF3 ? 0xF2 : 0xF3;
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


/* Floating point: element size in .arg for fp_post. */
#define FPF(nm, mapv, opv, pfx, ms, immv, es, su)                                                 \
    { .name = "simd_fp/" nm, .map = (mapv), .op = (opv), .reg = REG_GPR, .rm = RM_BOTH,         \
      .osz = OS32 | OS64, .imm = (immv), .mprefix = (pfx), .msize = (ms), .flags = F_NO66,       \
      .setup = (su), .post = fp_post, .arg = (es) }
#define FP4(nm, opv, immv)                                                                        \
    FPF(nm "ps", MAP_0F, opv, 0, 16, immv, 4, fp_a16_setup), FPF(nm "pd", MAP_0F, opv, 0x66, 16, immv, 8, fp_a16_setup), \
    FPF(nm "ss", MAP_0F, opv, 0xF3, 4, immv, 4, NULL), FPF(nm "sd", MAP_0F, opv, 0xF2, 8, immv, 8, NULL)

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
    SF("simd_mov/movdqu_ld_66", MAP_0F, 0x6F, 0xF3, RM_BOTH, 16, IMM_NONE, 0, extra_66_setup),
    SF("simd_mov/movss_ld_f2", MAP_0F, 0x10, 0xF3, RM_BOTH, 4, IMM_NONE, 0, extra_rep_setup),
    SF("simd_mov/movsd_st_f3", MAP_0F, 0x11, 0xF2, RM_BOTH, 8, IMM_NONE, 0, extra_rep_setup),
    SF("simd_shuf/pshuflw_66", MAP_0F, 0x70, 0xF2, RM_BOTH, 16, IMM_8, 0, extra_66_setup),

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

    /* ---- floating point ---- */
    FP4("sqrt", 0x51, IMM_NONE), FP4("add", 0x58, IMM_NONE), FP4("mul", 0x59, IMM_NONE),
    FP4("sub", 0x5C, IMM_NONE), FP4("min", 0x5D, IMM_NONE), FP4("div", 0x5E, IMM_NONE),
    FP4("max", 0x5F, IMM_NONE), FP4("cmp", 0xC2, IMM_8),
    FPF("cvtps2pd", MAP_0F, 0x5A, 0, 8, IMM_NONE, 4, NULL),
    FPF("cvtpd2ps", MAP_0F, 0x5A, 0x66, 16, IMM_NONE, 8, fp_a16_setup),
    FPF("cvtss2sd", MAP_0F, 0x5A, 0xF3, 4, IMM_NONE, 4, NULL),
    FPF("cvtsd2ss", MAP_0F, 0x5A, 0xF2, 8, IMM_NONE, 8, NULL),
    FPF("cvtdq2ps", MAP_0F, 0x5B, 0, 16, IMM_NONE, 4, fp_a16_setup),
    FPF("cvtps2dq", MAP_0F, 0x5B, 0x66, 16, IMM_NONE, 4, fp_a16_setup),
    FPF("cvttps2dq", MAP_0F, 0x5B, 0xF3, 16, IMM_NONE, 4, fp_a16_setup),
    FPF("cvttpd2dq", MAP_0F, 0xE6, 0x66, 16, IMM_NONE, 8, fp_a16_setup),
    FPF("cvtdq2pd", MAP_0F, 0xE6, 0xF3, 8, IMM_NONE, 4, NULL),
    FPF("cvtpd2dq", MAP_0F, 0xE6, 0xF2, 16, IMM_NONE, 8, fp_a16_setup),
    FPF("haddpd", MAP_0F, 0x7C, 0x66, 16, IMM_NONE, 8, fp_a16_setup),
    FPF("haddps", MAP_0F, 0x7C, 0xF2, 16, IMM_NONE, 4, fp_a16_setup),
    FPF("hsubpd", MAP_0F, 0x7D, 0x66, 16, IMM_NONE, 8, fp_a16_setup),
    FPF("hsubps", MAP_0F, 0x7D, 0xF2, 16, IMM_NONE, 4, fp_a16_setup),
    FPF("addsubpd", MAP_0F, 0xD0, 0x66, 16, IMM_NONE, 8, fp_a16_setup),
    FPF("addsubps", MAP_0F, 0xD0, 0xF2, 16, IMM_NONE, 4, fp_a16_setup),
    FPF("cvtpi2ps", MAP_0F, 0x2A, 0, 8, IMM_NONE, 4, NULL),
    FPF("cvtpi2pd", MAP_0F, 0x2A, 0x66, 8, IMM_NONE, 4, NULL),
    FPF("cvtsi2ss", MAP_0F, 0x2A, 0xF3, 0, IMM_NONE, 4, NULL),
    FPF("cvtsi2sd", MAP_0F, 0x2A, 0xF2, 0, IMM_NONE, 8, NULL),
    FPF("cvttps2pi", MAP_0F, 0x2C, 0, 8, IMM_NONE, 4, NULL),
    FPF("cvttpd2pi", MAP_0F, 0x2C, 0x66, 16, IMM_NONE, 8, fp_a16_setup),
    FPF("cvttss2si", MAP_0F, 0x2C, 0xF3, 4, IMM_NONE, 4, NULL),
    FPF("cvttsd2si", MAP_0F, 0x2C, 0xF2, 8, IMM_NONE, 8, NULL),
    FPF("cvtps2pi", MAP_0F, 0x2D, 0, 8, IMM_NONE, 4, NULL),
    FPF("cvtpd2pi", MAP_0F, 0x2D, 0x66, 16, IMM_NONE, 8, fp_a16_setup),
    FPF("cvtss2si", MAP_0F, 0x2D, 0xF3, 4, IMM_NONE, 4, NULL),
    FPF("cvtsd2si", MAP_0F, 0x2D, 0xF2, 8, IMM_NONE, 8, NULL),
    FPF("ucomiss", MAP_0F, 0x2E, 0, 4, IMM_NONE, 4, NULL),
    FPF("ucomisd", MAP_0F, 0x2E, 0x66, 8, IMM_NONE, 8, NULL),
    FPF("comiss", MAP_0F, 0x2F, 0, 4, IMM_NONE, 4, NULL),
    FPF("comisd", MAP_0F, 0x2F, 0x66, 8, IMM_NONE, 8, NULL),
    FPF("roundps", MAP_0F3A, 0x08, 0x66, 16, IMM_8, 4, fp_a16_setup),
    FPF("roundpd", MAP_0F3A, 0x09, 0x66, 16, IMM_8, 8, fp_a16_setup),
    FPF("roundss", MAP_0F3A, 0x0A, 0x66, 4, IMM_8, 4, NULL),
    FPF("roundsd", MAP_0F3A, 0x0B, 0x66, 8, IMM_8, 8, NULL),
    FPF("rsqrtps", MAP_0F, 0x52, 0, 16, IMM_NONE, 4, fp_a16_setup),
    FPF("rsqrtss", MAP_0F, 0x52, 0xF3, 4, IMM_NONE, 4, NULL),
    FPF("rcpps", MAP_0F, 0x53, 0, 16, IMM_NONE, 4, fp_a16_setup),
    FPF("rcpss", MAP_0F, 0x53, 0xF3, 4, IMM_NONE, 4, NULL),
    FPF("dpps", MAP_0F3A, 0x40, 0x66, 16, IMM_8, 4, fp_a16_setup),
    FPF("dppd", MAP_0F3A, 0x41, 0x66, 16, IMM_8, 8, fp_a16_setup),
};

const struct form_set gen_sse_forms = { "gen_sse.c", sse_forms, sizeof sse_forms / sizeof sse_forms[0] };
