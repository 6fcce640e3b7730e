/* RCPPS, RCPSS, RSQRTPS, RSQRTSS (SDM Vol.2): approximations with a
 * relative error of at most 1.5 * 2^-12. The SDM leaves the exact values
 * to the implementation; the tables below were measured on the host CPU:
 * the result's 12 fraction bits depend only on the top 11 bits of the
 * input significand (RCP) or on the exponent's parity and the top 10 bits
 * (RSQRT). Denormal inputs count as zero and tiny results are flushed to
 * zero, whatever MXCSR says; no exception flag is ever raised. */
#include "sse_fp.h"

/* Each table is stored as a 12-bit value every 32 entries (base) and the
 * decrements between neighbours, minus one, as 2-bit fields (steps). */
static const uint16_t rcp_base[64] = {
    0xffe, 0xf80, 0xf06, 0xe8f, 0xe1c, 0xdad, 0xd40, 0xcd7,
    0xc70, 0xc0c, 0xbab, 0xb4d, 0xaf1, 0xa98, 0xa40, 0x9eb,
    0x998, 0x947, 0x8f9, 0x8ac, 0x860, 0x817, 0x7cf, 0x789,
    0x745, 0x702, 0x6c0, 0x680, 0x642, 0x605, 0x5c9, 0x58e,
    0x554, 0x51c, 0x4e5, 0x4af, 0x47a, 0x446, 0x413, 0x3e1,
    0x3b0, 0x380, 0x351, 0x323, 0x2f6, 0x2c9, 0x29e, 0x273,
    0x248, 0x21f, 0x1f6, 0x1ce, 0x1a7, 0x180, 0x15b, 0x135,
    0x110, 0x0ec, 0x0c9, 0x0a6, 0x084, 0x062, 0x040, 0x020,
};
static const uint64_t rcp_steps[64] = {
    0xffbfffffbfffffffull, 0xefeffbfeffefffbfull, 0xfbefbefbfbefefefull,
    0xefbbbeeefbbefbbeull, 0xbaeeeeeeeeeeeeeeull, 0xebaebaeebbaeebbbull,
    0xabaeaeaebaebabaeull, 0xbaabaababaaeaeabull, 0xeaaaabaaaaeaabaaull,
    0xaaaabaaaaaaaaaaaull, 0xaaa6aaaaaaaaaaa6ull, 0xa9aaa6aaa6aaa9aaull,
    0x6a6a9a9aa6a9aa9aull, 0xa69a9a6a6a6a6a6aull, 0x9a69a699a69a9a69ull,
    0x9a66699a6699a669ull, 0x9999a66666666999ull, 0x5999966666666599ull,
    0x5966599665999666ull, 0x9659659659665966ull, 0x5965659596595965ull,
    0x6565595959595959ull, 0x6556556559565595ull, 0x5559556555955655ull,
    0x5555955555955565ull, 0x5655555555555955ull, 0x5555555555555555ull,
    0x5545555555555515ull, 0x1555515555515555ull, 0x1554555455545555ull,
    0x5154554554555155ull, 0x5515154551545515ull, 0x5151515151515454ull,
    0x4545151454545151ull, 0x4514515145145451ull, 0x4514451451451451ull,
    0x4511451144514511ull, 0x4511144511445114ull, 0x4511114444511144ull,
    0x5111111111144444ull, 0x4444444444444444ull, 0x4444411111111110ull,
    0x4111104444111104ull, 0x1044111044111044ull, 0x4110441044110441ull,
    0x0410441041104110ull, 0x0410410410410441ull, 0x4104104041041041ull,
    0x1010410104041040ull, 0x4040410101040410ull, 0x4040404040404040ull,
    0x1004040101010040ull, 0x4010040401004010ull, 0x0010040040100400ull,
    0x1000400400400401ull, 0x4001000400400100ull, 0x4000100040004000ull,
    0x0010000100004000ull, 0x0004000010000040ull, 0x0000001000000400ull,
    0x0000001000000004ull, 0x4000000000000400ull, 0x0000000000000000ull,
    0x0000000000000000ull,
};
static const uint16_t rsqrt_even_base[32] = {
    0x69f, 0x647, 0x5f2, 0x5a2, 0x554, 0x50a, 0x4c3, 0x47e,
    0x43c, 0x3fd, 0x3bf, 0x384, 0x34b, 0x314, 0x2df, 0x2ab,
    0x279, 0x248, 0x219, 0x1ec, 0x1bf, 0x194, 0x16b, 0x142,
    0x11a, 0x0f4, 0x0ce, 0x0a9, 0x086, 0x063, 0x041, 0x020,
};
static const uint64_t rsqrt_even_steps[32] = {
    0x9a6a69aa6a6a9aa6ull, 0xa6699a669a69a69aull, 0x6599999a66666999ull,
    0x9659966599966666ull, 0x5965659659659659ull, 0x5595655959595959ull,
    0x5595559556556556ull, 0x5555565555555955ull, 0x1555555555555555ull,
    0x5551555545555555ull, 0x5455455455515551ull, 0x5151515455154551ull,
    0x4515145451515151ull, 0x1145145145145151ull, 0x1445114511445145ull,
    0x1444445111444511ull, 0x4444444445111111ull, 0x4444111111110444ull,
    0x1044111044411104ull, 0x4410441044110441ull, 0x4104104104110410ull,
    0x0104041041010410ull, 0x0404040410104041ull, 0x1010040404040404ull,
    0x0040100401004040ull, 0x0400400400401001ull, 0x4001000400100040ull,
    0x0004000100004000ull, 0x0004000004000010ull, 0x0000100000001000ull,
    0x0000000000400000ull, 0x0000000000000000ull,
};
static const uint16_t rsqrt_odd_base[32] = {
    0xffe, 0xf81, 0xf0a, 0xe97, 0xe2a, 0xdc1, 0xd5c, 0xcfb,
    0xc9e, 0xc44, 0xbed, 0xb9a, 0xb49, 0xafb, 0xaaf, 0xa66,
    0xa20, 0x9db, 0x999, 0x958, 0x919, 0x8dc, 0x8a1, 0x868,
    0x830, 0x7f9, 0x7c4, 0x790, 0x75e, 0x72d, 0x6fd, 0x6ce,
};
static const uint64_t rsqrt_odd_steps[32] = {
    0xfbffeffffeffffffull, 0xbefbefbfbfbfbfefull, 0xeeeeefbbbeefbbefull,
    0xbaebbaeebbbaeeeeull, 0xababababaebabaebull, 0xaabaaabaabaabaaeull,
    0xaaaaaaaaaaaaaeaaull, 0x9aaa9aaaaa9aaaaaull, 0x9a9aa6a9aa6aa6aaull,
    0xa69a69a6a69a9a9aull, 0x66999a669a669a69ull, 0x66666666699999a6ull,
    0x6659966659999966ull, 0x9659659965966599ull, 0x9595965656596565ull,
    0x5595655956565595ull, 0x5655565559556556ull, 0x5555555655555955ull,
    0x5555555555555559ull, 0x5555555455555555ull, 0x5555155551555551ull,
    0x5515515545551554ull, 0x4545515455154551ull, 0x1515151515151515ull,
    0x5145145451514545ull, 0x4514451451451451ull, 0x4511451144514511ull,
    0x1144451114451114ull, 0x1111111444444511ull, 0x1104444444444511ull,
    0x1044444411111111ull, 0x1104441110444111ull,
};

/* Entry i of a table: its word's base minus the decrements before it. */
static unsigned table_value(const uint16_t *base, const uint64_t *steps, unsigned i)
{
    unsigned w = i / 32, j = i % 32;
    uint64_t f = steps[w] & ((1ull << (2 * j)) - 1);
    unsigned dec = (unsigned)__builtin_popcountll(f & 0x5555555555555555ull) +
                   2 * (unsigned)__builtin_popcountll(f & 0xaaaaaaaaaaaaaaaaull);
    return base[w] - j - dec;
}

enum { F32_SIGN = 0x80000000u, F32_INF = 0x7f800000u, F32_QUIET = 0x00400000u, F32_QNAN = 0xffc00000u };

/* RCP: 1/x, exponent 253 - e; results below the normal range are zero. */
static uint32_t rcp32(uint32_t x)
{
    uint32_t sign = x & F32_SIGN, e = (x >> 23) & 0xff, m = x & 0x7fffff;
    if (e == 0xff)
        return m ? x | F32_QUIET : sign;
    if (e == 0)
        return sign | F32_INF;
    if (e >= 253)
        return sign;
    return sign | (253 - e) << 23 | table_value(rcp_base, rcp_steps, m >> 12) << 11;
}

/* RSQRT: 1/sqrt(x); negative inputs (not -0) give the default NaN. */
static uint32_t rsqrt32(uint32_t x)
{
    uint32_t sign = x & F32_SIGN, e = (x >> 23) & 0xff, m = x & 0x7fffff;
    if (e == 0xff && m)
        return x | F32_QUIET;
    if (e == 0)
        return sign | F32_INF;
    if (sign)
        return F32_QNAN;
    if (e == 0xff)
        return 0;
    if (e & 1)
        return (379 - e) / 2 << 23 | table_value(rsqrt_odd_base, rsqrt_odd_steps, m >> 13) << 11;
    return (380 - e) / 2 << 23 | table_value(rsqrt_even_base, rsqrt_even_steps, m >> 13) << 11;
}

#define APPROX_PS(NAME, FN)                                                        \
    static void NAME##_exec(cpu_t *cpu, const insn_t *in, const xmm_t *b)          \
    {                                                                              \
        xmm_t r;                                                                   \
        for (unsigned i = 0; i < 4; i++)                                           \
            r.d[i] = FN(b->d[i]);                                                  \
        cpu->xmm[in->reg] = r;                                                     \
    }                                                                              \
    FP_XFORMS(NAME, A16)

#define APPROX_SS(NAME, FN)                                                        \
    static void NAME##_exec(cpu_t *cpu, const insn_t *in, const xmm_t *b)          \
    {                                                                              \
        cpu->xmm[in->reg].d[0] = FN(b->d[0]);                                      \
    }                                                                              \
    FP_XFORMS(NAME, 4)

APPROX_PS(rcpps, rcp32)
APPROX_SS(rcpss, rcp32)
APPROX_PS(rsqrtps, rsqrt32)
APPROX_SS(rsqrtss, rsqrt32)

/* 0F 52: RSQRTPS (none), RSQRTSS (F3); 0F 53: RCPPS, RCPSS. */
void sel_sse_fp_approx(dctx_t *d, insn_t *in)
{
    bool rcp = in->op == 0x53;
    if (in->pfx == PFX_NONE)
        simd_set_xmm(d, in, rcp ? rcpps_xx : rsqrtps_xx, rcp ? rcpps_xm : rsqrtps_xm);
    else if (in->pfx == PFX_F3)
        simd_set_xmm(d, in, rcp ? rcpss_xx : rsqrtss_xx, rcp ? rcpss_xm : rsqrtss_xm);
}

/* For tests/unit: the element functions. */
uint32_t sse_rcp32(uint32_t x)
{
    return rcp32(x);
}

uint32_t sse_rsqrt32(uint32_t x)
{
    return rsqrt32(x);
}
