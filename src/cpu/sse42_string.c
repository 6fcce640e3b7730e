/* SSE4.2 string and text compares PCMPESTRI, PCMPESTRM, PCMPISTRI,
 * PCMPISTRM (SDM Vol.2 §4.1, "Imm8 Control Byte Operation for PCMPESTRI /
 * PCMPESTRM / PCMPISTRI / PCMPISTRM", and the instruction pages). The
 * memory operand has no alignment requirement. */
#include "simd.h"

/* imm8 fields (SDM Vol.2 §4.1.1-§4.1.6). */
enum {
    IMM_WORDS = 1,          /* bit 0: words, else bytes */
    IMM_SIGNED = 2,         /* bit 1: signed elements */
    IMM_AGG = 3 << 2,       /* bits 3:2: aggregation */
    IMM_POL = 3 << 4,       /* bits 5:4: polarity */
    IMM_MSB = 1 << 6,       /* bit 6: most significant index / expanded mask */
};
enum { AGG_EQ_ANY = 0 << 2, AGG_RANGES = 1 << 2, AGG_EQ_EACH = 2 << 2, AGG_EQ_ORDERED = 3 << 2 };
enum { POL_POS = 0 << 4, POL_NEG = 1 << 4, POL_MPOS = 2 << 4, POL_MNEG = 3 << 4 };

typedef struct strcmp_in {
    int32_t e1[16], e2[16];  /* elements, sign- or zero-extended */
    unsigned n;              /* 16 bytes or 8 words */
    unsigned len1, len2;     /* valid elements */
} strcmp_in_t;

static void unpack(int32_t *e, const xmm_t *x, unsigned imm)
{
    for (unsigned i = 0; i < 16; i++) {
        if (imm & IMM_WORDS)
            e[i] = i < 8 ? ((imm & IMM_SIGNED) ? (int16_t)x->w[i] : (int32_t)x->w[i]) : 0;
        else
            e[i] = (imm & IMM_SIGNED) ? (int8_t)x->b[i] : (int32_t)x->b[i];
    }
}

/* Implicit length: elements before the first zero (SDM Vol.2 §4.1.2). */
static unsigned implicit_len(const int32_t *e, unsigned n)
{
    unsigned i = 0;
    while (i < n && e[i] != 0)
        i++;
    return i;
}

/* Explicit length: |reg| saturated to the element count (§4.1.2). */
static unsigned explicit_len(uint64_t v, bool w64, unsigned n)
{
    int64_t s = w64 ? (int64_t)v : (int64_t)(int32_t)v;
    if (s < -(int64_t)n || s > (int64_t)n)
        return n;
    return (unsigned)(s < 0 ? -s : s);
}

/* IntRes1 by aggregation, with the invalid-element overrides of Table 4-7;
 * bit j is element j of the second operand. */
static unsigned aggregate(const strcmp_in_t *s, unsigned imm)
{
    unsigned n = s->n, r = 0;
    switch (imm & IMM_AGG) {
    case AGG_EQ_ANY:
        for (unsigned j = 0; j < s->len2; j++)
            for (unsigned i = 0; i < s->len1; i++)
                if (s->e2[j] == s->e1[i])
                    r |= 1u << j;
        break;
    case AGG_RANGES:
        for (unsigned j = 0; j < s->len2; j++)
            for (unsigned i = 0; i + 1 < s->len1; i += 2)
                if (s->e2[j] >= s->e1[i] && s->e2[j] <= s->e1[i + 1])
                    r |= 1u << j;
        break;
    case AGG_EQ_EACH:
        for (unsigned i = 0; i < n; i++) {
            bool v1 = i < s->len1, v2 = i < s->len2;
            if (v1 && v2 ? s->e1[i] == s->e2[i] : !v1 && !v2)
                r |= 1u << i;
        }
        break;
    default: /* AGG_EQ_ORDERED: the first operand as a substring of the second */
        for (unsigned j = 0; j < n; j++) {
            bool match = true;
            for (unsigned i = 0, k = j; i < n - j && match; i++, k++) {
                if (i >= s->len1)
                    break;                      /* needle ended: true */
                match = k < s->len2 && s->e2[k] == s->e1[i];
            }
            if (match)
                r |= 1u << j;
        }
        break;
    }
    return r;
}

/* IntRes2 after polarity (§4.1.5). */
static unsigned polarity(unsigned r, const strcmp_in_t *s, unsigned imm)
{
    unsigned all = (1u << s->n) - 1;
    switch (imm & IMM_POL) {
    case POL_NEG: return r ^ all;
    case POL_MNEG: return r ^ ((1u << s->len2) - 1);
    default: return r;
    }
}

/* CF: IntRes2 != 0; ZF: the second operand ended; SF: the first ended;
 * OF: IntRes2 bit 0; AF, PF cleared. */
static void set_flags(cpu_t *cpu, unsigned r2, const strcmp_in_t *s)
{
    uint32_t f = (r2 ? F_CF : 0) | (s->len2 < s->n ? F_ZF : 0) | (s->len1 < s->n ? F_SF : 0) |
                 ((r2 & 1) ? F_OF : 0);
    cc_write(cpu, F_ARITH, f);
}

static void load_operands(cpu_t *cpu, const insn_t *in, strcmp_in_t *s, bool explicit_lens)
{
    xmm_t b;
    unsigned imm = (unsigned)in->imm;
    if (in->flags & INF_MEM)
        simd_load128(cpu, in, &b, false);
    else
        b = cpu->xmm[in->rm];
    s->n = (imm & IMM_WORDS) ? 8 : 16;
    unpack(s->e1, &cpu->xmm[in->reg], imm);
    unpack(s->e2, &b, imm);
    if (explicit_lens) {
        bool w = in->flags & INF_REXW;
        s->len1 = explicit_len(cpu->r[R_RAX], w, s->n);
        s->len2 = explicit_len(cpu->r[R_RDX], w, s->n);
    } else {
        s->len1 = implicit_len(s->e1, s->n);
        s->len2 = implicit_len(s->e2, s->n);
    }
}

/* Index result in ECX: lowest or highest set bit, or the element count. */
static void result_index(cpu_t *cpu, unsigned r2, const strcmp_in_t *s, unsigned imm)
{
    unsigned idx = s->n;
    if (r2)
        idx = (imm & IMM_MSB) ? 31u - (unsigned)__builtin_clz(r2) : (unsigned)__builtin_ctz(r2);
    cpu->r[R_RCX] = idx;
}

/* Mask result in XMM0: bits, or elements of all ones (§4.1.6). */
static void result_mask(cpu_t *cpu, unsigned r2, const strcmp_in_t *s, unsigned imm)
{
    xmm_t m = { .q = { 0, 0 } };
    if (!(imm & IMM_MSB)) {
        m.q[0] = r2;
    } else if (s->n == 16) {
        for (unsigned i = 0; i < 16; i++)
            m.b[i] = ((r2 >> i) & 1) ? 0xff : 0;
    } else {
        for (unsigned i = 0; i < 8; i++)
            m.w[i] = ((r2 >> i) & 1) ? 0xffff : 0;
    }
    cpu->xmm[0] = m;
}

static unsigned run(cpu_t *cpu, const insn_t *in, strcmp_in_t *s, bool explicit_lens)
{
    unsigned imm = (unsigned)in->imm;
    load_operands(cpu, in, s, explicit_lens);
    return polarity(aggregate(s, imm), s, imm);
}

static void pcmpestri(cpu_t *cpu, const insn_t *in)
{
    strcmp_in_t s;
    unsigned r2 = run(cpu, in, &s, true);
    result_index(cpu, r2, &s, (unsigned)in->imm);
    set_flags(cpu, r2, &s);
}

static void pcmpestrm(cpu_t *cpu, const insn_t *in)
{
    strcmp_in_t s;
    unsigned r2 = run(cpu, in, &s, true);
    result_mask(cpu, r2, &s, (unsigned)in->imm);
    set_flags(cpu, r2, &s);
}

static void pcmpistri(cpu_t *cpu, const insn_t *in)
{
    strcmp_in_t s;
    unsigned r2 = run(cpu, in, &s, false);
    result_index(cpu, r2, &s, (unsigned)in->imm);
    set_flags(cpu, r2, &s);
}

static void pcmpistrm(cpu_t *cpu, const insn_t *in)
{
    strcmp_in_t s;
    unsigned r2 = run(cpu, in, &s, false);
    result_mask(cpu, r2, &s, (unsigned)in->imm);
    set_flags(cpu, r2, &s);
}

/* 0F3A 60 PCMPESTRM, 61 PCMPESTRI, 62 PCMPISTRM, 63 PCMPISTRI; prefix 66. */
void sel_sse42_string(dctx_t *d, insn_t *in)
{
    static const insn_fn fn[4] = { pcmpestrm, pcmpestri, pcmpistrm, pcmpistri };
    if (in->pfx != PFX_66)
        return;
    insn_fn f = fn[in->op & 3];
    simd_set_xmm(d, in, f, f);
}
