/* SSE/SSE2/SSE3/SSE4.1 floating-point arithmetic, compares and conversions
 * on top of the software floating-point library (SDM Vol.1 §10.4, §11.4,
 * §11.5; Vol.2 instruction pages). MXCSR gives rounding, DAZ, FTZ and the
 * masks; unmasked exceptions raise #XM (#UD without CR4.OSXMMEXCPT) with
 * the destination unchanged. RCPPS/RSQRTPS are in sse_fp_approx.c. */
#include "xenemu/softfloat.h"

#include "simd.h"
#include "sse_fp.h"

/* ---- MXCSR and exceptions (SDM Vol.1 §11.5.2) ---- */

_Noreturn void fp_trap(cpu_t *cpu)
{
    cpu_raise(cpu, (cpu->cr4 & CR4_OSXMMEXCPT) ? EXC_XM : EXC_UD);
}

/* Pre-computation exceptions (IE, DE, ZE) of any element come first: if one
 * is unmasked, only those flags are recorded. Otherwise every flag is, and
 * any unmasked one faults. */
void fp_commit_slow(cpu_t *cpu, unsigned flags, unsigned masks)
{
    unsigned pre = flags & (SF_IE | SF_DE | SF_ZE);
    if (pre & ~masks) {
        cpu->mxcsr |= pre;
        fp_trap(cpu);
    }
    cpu->mxcsr |= flags;
    if (flags & ~masks & SF_ALL)
        fp_trap(cpu);
}

/* ---- element operations, named for the generators ---- */

#define OP2_32(NAME, SF) SIMD_INLINE uint32_t NAME(sf_status *s, uint32_t a, uint32_t b) { return SF(s, a, b); }
#define OP2_64(NAME, SF) SIMD_INLINE uint64_t NAME(sf_status *s, uint64_t a, uint64_t b) { return SF(s, a, b); }

OP2_32(add32, sf_f32_add)
OP2_32(sub32, sf_f32_sub)
OP2_32(mul32, sf_f32_mul)
OP2_32(div32, sf_f32_div)
OP2_32(min32, sf_f32_min)
OP2_32(max32, sf_f32_max)
OP2_64(add64, sf_f64_add)
OP2_64(sub64, sf_f64_sub)
OP2_64(mul64, sf_f64_mul)
OP2_64(div64, sf_f64_div)
OP2_64(min64, sf_f64_min)
OP2_64(max64, sf_f64_max)

SIMD_INLINE uint32_t sqrt32(sf_status *s, uint32_t a, uint32_t b)
{
    (void)a;
    return sf_f32_sqrt(s, b);
}

SIMD_INLINE uint64_t sqrt64(sf_status *s, uint64_t a, uint64_t b)
{
    (void)a;
    return sf_f64_sqrt(s, b);
}

/* ---- packed and scalar arithmetic: ADD SUB MUL DIV MIN MAX SQRT ---- */

#define FP_PS(NAME, OP)                                                            \
    static void NAME##_exec(cpu_t *cpu, const insn_t *in, const xmm_t *b)          \
    {                                                                              \
        const xmm_t *a = &cpu->xmm[in->reg];                                       \
        sf_status s;                                                               \
        fp_status(cpu, &s);                                                        \
        xmm_t r;                                                                   \
        for (unsigned i = 0; i < 4; i++)                                           \
            r.d[i] = OP(&s, a->d[i], b->d[i]);                                     \
        fp_commit(cpu, &s);                                                        \
        cpu->xmm[in->reg] = r;                                                     \
    }                                                                              \
    FP_XFORMS(NAME, A16)

#define FP_PD(NAME, OP)                                                            \
    static void NAME##_exec(cpu_t *cpu, const insn_t *in, const xmm_t *b)          \
    {                                                                              \
        const xmm_t *a = &cpu->xmm[in->reg];                                       \
        sf_status s;                                                               \
        fp_status(cpu, &s);                                                        \
        xmm_t r;                                                                   \
        r.q[0] = OP(&s, a->q[0], b->q[0]);                                         \
        r.q[1] = OP(&s, a->q[1], b->q[1]);                                         \
        fp_commit(cpu, &s);                                                        \
        cpu->xmm[in->reg] = r;                                                     \
    }                                                                              \
    FP_XFORMS(NAME, A16)

#define FP_SS(NAME, OP)                                                            \
    static void NAME##_exec(cpu_t *cpu, const insn_t *in, const xmm_t *b)          \
    {                                                                              \
        sf_status s;                                                               \
        fp_status(cpu, &s);                                                        \
        uint32_t r = OP(&s, cpu->xmm[in->reg].d[0], b->d[0]);                      \
        fp_commit(cpu, &s);                                                        \
        cpu->xmm[in->reg].d[0] = r;                                                \
    }                                                                              \
    FP_XFORMS(NAME, 4)

#define FP_SD(NAME, OP)                                                            \
    static void NAME##_exec(cpu_t *cpu, const insn_t *in, const xmm_t *b)          \
    {                                                                              \
        sf_status s;                                                               \
        fp_status(cpu, &s);                                                        \
        uint64_t r = OP(&s, cpu->xmm[in->reg].q[0], b->q[0]);                      \
        fp_commit(cpu, &s);                                                        \
        cpu->xmm[in->reg].q[0] = r;                                                \
    }                                                                              \
    FP_XFORMS(NAME, 8)

#define FP_ALL4(NAME, OP32, OP64)                                                  \
    FP_PS(NAME##ps, OP32) FP_PD(NAME##pd, OP64) FP_SS(NAME##ss, OP32) FP_SD(NAME##sd, OP64) \
    static const fp_forms_t NAME##_forms = { { FP_PAIR(NAME##ps), FP_PAIR(NAME##pd),  \
                                               FP_PAIR(NAME##ss), FP_PAIR(NAME##sd) } };

FP_ALL4(add, add32, add64)
FP_ALL4(sub, sub32, sub64)
FP_ALL4(mul, mul32, mul64)
FP_ALL4(div, div32, div64)
FP_ALL4(min, min32, min64)
FP_ALL4(max, max32, max64)
FP_ALL4(sqrt, sqrt32, sqrt64)

/* ---- CMPPS/CMPPD/CMPSS/CMPSD: legacy SSE uses predicates 0-7 ---- */

SIMD_INLINE uint32_t cmp32(sf_status *s, uint32_t a, uint32_t b, unsigned imm)
{
    return sf_f32_cmp_pred(s, a, b, imm & 7) ? ~0u : 0;
}

SIMD_INLINE uint64_t cmp64(sf_status *s, uint64_t a, uint64_t b, unsigned imm)
{
    return sf_f64_cmp_pred(s, a, b, imm & 7) ? ~0ull : 0;
}

#define FP_CMP(NAME, LANE, N, OP, LD)                                              \
    static void NAME##_exec(cpu_t *cpu, const insn_t *in, const xmm_t *b)          \
    {                                                                              \
        xmm_t r = cpu->xmm[in->reg];                                               \
        sf_status s;                                                               \
        fp_status(cpu, &s);                                                        \
        for (unsigned i = 0; i < (N); i++)                                         \
            r.LANE[i] = OP(&s, r.LANE[i], b->LANE[i], (unsigned)in->imm);          \
        fp_commit(cpu, &s);                                                        \
        cpu->xmm[in->reg] = r;                                                     \
    }                                                                              \
    FP_XFORMS(NAME, LD)

FP_CMP(cmpps, d, 4, cmp32, A16)
FP_CMP(cmppd, q, 2, cmp64, A16)
FP_CMP(cmpss, d, 1, cmp32, 4)
FP_CMP(cmpsd, q, 1, cmp64, 8)
static const fp_forms_t cmp_forms = { { FP_PAIR(cmpps), FP_PAIR(cmppd), FP_PAIR(cmpss), FP_PAIR(cmpsd) } };

/* ---- SSE3 horizontal and alternating forms ---- */

typedef uint32_t (*f32_op)(sf_status *, uint32_t, uint32_t);
typedef uint64_t (*f64_op)(sf_status *, uint64_t, uint64_t);

/* Horizontal pairs: a0 op a1, a2 op a3, b0 op b1, b2 op b3 (SDM Vol.2 HADDPS). */
static void horizontal_ps(cpu_t *cpu, const insn_t *in, const xmm_t *b, f32_op op)
{
    const xmm_t *a = &cpu->xmm[in->reg];
    sf_status s;
    fp_status(cpu, &s);
    xmm_t r;
    r.d[0] = op(&s, a->d[0], a->d[1]);
    r.d[1] = op(&s, a->d[2], a->d[3]);
    r.d[2] = op(&s, b->d[0], b->d[1]);
    r.d[3] = op(&s, b->d[2], b->d[3]);
    fp_commit(cpu, &s);
    cpu->xmm[in->reg] = r;
}

static void horizontal_pd(cpu_t *cpu, const insn_t *in, const xmm_t *b, f64_op op)
{
    const xmm_t *a = &cpu->xmm[in->reg];
    sf_status s;
    fp_status(cpu, &s);
    xmm_t r;
    r.q[0] = op(&s, a->q[0], a->q[1]);
    r.q[1] = op(&s, b->q[0], b->q[1]);
    fp_commit(cpu, &s);
    cpu->xmm[in->reg] = r;
}

static void haddps_exec(cpu_t *cpu, const insn_t *in, const xmm_t *b) { horizontal_ps(cpu, in, b, sf_f32_add); }
static void hsubps_exec(cpu_t *cpu, const insn_t *in, const xmm_t *b) { horizontal_ps(cpu, in, b, sf_f32_sub); }
static void haddpd_exec(cpu_t *cpu, const insn_t *in, const xmm_t *b) { horizontal_pd(cpu, in, b, sf_f64_add); }
static void hsubpd_exec(cpu_t *cpu, const insn_t *in, const xmm_t *b) { horizontal_pd(cpu, in, b, sf_f64_sub); }

/* ADDSUB: subtract in even lanes, add in odd ones. */
static void addsubps_exec(cpu_t *cpu, const insn_t *in, const xmm_t *b)
{
    const xmm_t *a = &cpu->xmm[in->reg];
    sf_status s;
    fp_status(cpu, &s);
    xmm_t r;
    for (int i = 0; i < 4; i++)
        r.d[i] = (i & 1 ? sf_f32_add : sf_f32_sub)(&s, a->d[i], b->d[i]);
    fp_commit(cpu, &s);
    cpu->xmm[in->reg] = r;
}

static void addsubpd_exec(cpu_t *cpu, const insn_t *in, const xmm_t *b)
{
    const xmm_t *a = &cpu->xmm[in->reg];
    sf_status s;
    fp_status(cpu, &s);
    xmm_t r;
    r.q[0] = sf_f64_sub(&s, a->q[0], b->q[0]);
    r.q[1] = sf_f64_add(&s, a->q[1], b->q[1]);
    fp_commit(cpu, &s);
    cpu->xmm[in->reg] = r;
}

FP_XFORMS(haddps, A16)
FP_XFORMS(hsubps, A16)
FP_XFORMS(haddpd, A16)
FP_XFORMS(hsubpd, A16)
FP_XFORMS(addsubps, A16)
FP_XFORMS(addsubpd, A16)

/* ---- SSE4.1 ROUNDPS/PD/SS/SD (imm8 per SDM Vol.2 ROUNDPS Table 4-18) ---- */

FP_CMP(roundps, d, 4, round32, A16)
FP_CMP(roundpd, q, 2, round64, A16)
FP_CMP(roundss, d, 1, round32, 4)
FP_CMP(roundsd, q, 1, round64, 8)

/* ---- SSE4.1 DPPS/DPPD: masked products, then the sums of the SDM, each
 * step rounded and its exceptions reported before the next runs. Each
 * destination element has its own adders on the host: their operand order,
 * which picks the NaN that propagates, depends on the element. ---- */

/* DPPS element j: pairs (t1,t0)/(t3,t2) for even j, (t0,t1)/(t2,t3) for
 * odd j; then low half first for j < 2, high half first otherwise. */
static void dpps_exec(cpu_t *cpu, const insn_t *in, const xmm_t *b)
{
    const xmm_t *a = &cpu->xmm[in->reg];
    unsigned imm = (unsigned)in->imm;
    uint32_t t[4], lo[2], hi[2], sum[4];
    sf_status s;
    fp_status(cpu, &s);
    for (unsigned i = 0; i < 4; i++)
        t[i] = ((imm >> (4 + i)) & 1) ? sf_f32_mul(&s, a->d[i], b->d[i]) : 0;
    fp_commit(cpu, &s);
    s.flags = 0;
    for (unsigned odd = 0; odd < 2; odd++) {
        lo[odd] = odd ? sf_f32_add(&s, t[0], t[1]) : sf_f32_add(&s, t[1], t[0]);
        hi[odd] = odd ? sf_f32_add(&s, t[2], t[3]) : sf_f32_add(&s, t[3], t[2]);
    }
    fp_commit(cpu, &s);
    s.flags = 0;
    for (unsigned j = 0; j < 4; j++)
        sum[j] = j < 2 ? sf_f32_add(&s, lo[j & 1], hi[j & 1]) : sf_f32_add(&s, hi[j & 1], lo[j & 1]);
    fp_commit(cpu, &s);
    xmm_t r;
    for (unsigned i = 0; i < 4; i++)
        r.d[i] = ((imm >> i) & 1) ? sum[i] : 0;
    cpu->xmm[in->reg] = r;
}

/* DPPD element 0 adds t0 + t1, element 1 t1 + t0. */
static void dppd_exec(cpu_t *cpu, const insn_t *in, const xmm_t *b)
{
    const xmm_t *a = &cpu->xmm[in->reg];
    unsigned imm = (unsigned)in->imm;
    uint64_t t[2];
    sf_status s;
    fp_status(cpu, &s);
    for (unsigned i = 0; i < 2; i++)
        t[i] = ((imm >> (4 + i)) & 1) ? sf_f64_mul(&s, a->q[i], b->q[i]) : 0;
    fp_commit(cpu, &s);
    s.flags = 0;
    uint64_t s0 = sf_f64_add(&s, t[0], t[1]), s1 = sf_f64_add(&s, t[1], t[0]);
    fp_commit(cpu, &s);
    xmm_t r;
    r.q[0] = (imm & 1) ? s0 : 0;
    r.q[1] = (imm & 2) ? s1 : 0;
    cpu->xmm[in->reg] = r;
}

FP_XFORMS(dpps, A16)
FP_XFORMS(dppd, A16)

/* ---- COMISS/COMISD (signalling) and UCOMISS/UCOMISD: ZF PF CF from the
 * relation, OF SF AF cleared (SDM Vol.2 COMISS) ---- */

static void comi_flags(cpu_t *cpu, sf_cmp c)
{
    static const uint32_t f[4] = { F_CF, F_ZF, 0, F_ZF | F_PF | F_CF };
    cc_write(cpu, F_ARITH, f[c]);
}

#define FP_COMI(NAME, LANE, FN, SIG, LD)                                           \
    static void NAME##_exec(cpu_t *cpu, const insn_t *in, const xmm_t *b)          \
    {                                                                              \
        sf_status s;                                                               \
        fp_status(cpu, &s);                                                        \
        sf_cmp c = FN(&s, cpu->xmm[in->reg].LANE[0], b->LANE[0], SIG);             \
        fp_commit(cpu, &s);                                                        \
        comi_flags(cpu, c);                                                        \
    }                                                                              \
    FP_XFORMS(NAME, LD)

FP_COMI(comiss, d, sf_f32_compare, true, 4)
FP_COMI(ucomiss, d, sf_f32_compare, false, 4)
FP_COMI(comisd, q, sf_f64_compare, true, 8)
FP_COMI(ucomisd, q, sf_f64_compare, false, 8)

/* ---- conversions between single and double precision ---- */

static void cvtps2pd_exec(cpu_t *cpu, const insn_t *in, const xmm_t *b)
{
    sf_status s;
    fp_status(cpu, &s);
    xmm_t r;
    r.q[0] = sf_f32_to_f64(&s, b->d[0]);
    r.q[1] = sf_f32_to_f64(&s, b->d[1]);
    fp_commit(cpu, &s);
    cpu->xmm[in->reg] = r;
}

static void cvtpd2ps_exec(cpu_t *cpu, const insn_t *in, const xmm_t *b)
{
    sf_status s;
    fp_status(cpu, &s);
    xmm_t r;
    r.d[0] = sf_f64_to_f32(&s, b->q[0]);
    r.d[1] = sf_f64_to_f32(&s, b->q[1]);
    r.q[1] = 0;
    fp_commit(cpu, &s);
    cpu->xmm[in->reg] = r;
}

static void cvtss2sd_exec(cpu_t *cpu, const insn_t *in, const xmm_t *b)
{
    sf_status s;
    fp_status(cpu, &s);
    uint64_t r = sf_f32_to_f64(&s, b->d[0]);
    fp_commit(cpu, &s);
    cpu->xmm[in->reg].q[0] = r;
}

static void cvtsd2ss_exec(cpu_t *cpu, const insn_t *in, const xmm_t *b)
{
    sf_status s;
    fp_status(cpu, &s);
    uint32_t r = sf_f64_to_f32(&s, b->q[0]);
    fp_commit(cpu, &s);
    cpu->xmm[in->reg].d[0] = r;
}

FP_XFORMS(cvtps2pd, 8)
FP_XFORMS(cvtpd2ps, A16)
FP_XFORMS(cvtss2sd, 4)
FP_XFORMS(cvtsd2ss, 8)

/* ---- conversions between packed integers and floating point ---- */

static void cvtdq2ps_exec(cpu_t *cpu, const insn_t *in, const xmm_t *b)
{
    sf_status s;
    fp_status(cpu, &s);
    xmm_t r;
    for (unsigned i = 0; i < 4; i++)
        r.d[i] = sf_i32_to_f32(&s, (int32_t)b->d[i]);
    fp_commit(cpu, &s);
    cpu->xmm[in->reg] = r;
}

#define FP_PS2DQ(NAME, TRUNC)                                                      \
    static void NAME##_exec(cpu_t *cpu, const insn_t *in, const xmm_t *b)          \
    {                                                                              \
        sf_status s;                                                               \
        fp_status(cpu, &s);                                                        \
        xmm_t r;                                                                   \
        for (unsigned i = 0; i < 4; i++)                                           \
            r.d[i] = (uint32_t)sf_f32_to_i32(&s, b->d[i], TRUNC);                  \
        fp_commit(cpu, &s);                                                        \
        cpu->xmm[in->reg] = r;                                                     \
    }                                                                              \
    FP_XFORMS(NAME, A16)

#define FP_PD2DQ(NAME, TRUNC)                                                      \
    static void NAME##_exec(cpu_t *cpu, const insn_t *in, const xmm_t *b)          \
    {                                                                              \
        sf_status s;                                                               \
        fp_status(cpu, &s);                                                        \
        xmm_t r;                                                                   \
        r.d[0] = (uint32_t)sf_f64_to_i32(&s, b->q[0], TRUNC);                      \
        r.d[1] = (uint32_t)sf_f64_to_i32(&s, b->q[1], TRUNC);                      \
        r.q[1] = 0;                                                                \
        fp_commit(cpu, &s);                                                        \
        cpu->xmm[in->reg] = r;                                                     \
    }                                                                              \
    FP_XFORMS(NAME, A16)

FP_PS2DQ(cvtps2dq, false)
FP_PS2DQ(cvttps2dq, true)
FP_PD2DQ(cvtpd2dq, false)
FP_PD2DQ(cvttpd2dq, true)

/* CVTDQ2PD: exact. */
static void cvtdq2pd_exec(cpu_t *cpu, const insn_t *in, const xmm_t *b)
{
    sf_status s;
    fp_status(cpu, &s);
    xmm_t r;
    r.q[0] = sf_i32_to_f64(&s, (int32_t)b->d[0]);
    r.q[1] = sf_i32_to_f64(&s, (int32_t)b->d[1]);
    cpu->xmm[in->reg] = r;
}

FP_XFORMS(cvtdq2ps, A16)
FP_XFORMS(cvtdq2pd, 8)

/* ---- conversions with a general register ---- */

#define FP_SI2S(NAME, LANE, FN, ITYPE, BYTES)                                      \
    static void NAME##_do(cpu_t *cpu, const insn_t *in, ITYPE v)                   \
    {                                                                              \
        sf_status s;                                                               \
        fp_status(cpu, &s);                                                        \
        __typeof__(cpu->xmm[0].LANE[0]) r = FN(&s, v);                             \
        fp_commit(cpu, &s);                                                        \
        cpu->xmm[in->reg].LANE[0] = r;                                             \
    }                                                                              \
    static void NAME##_r(cpu_t *cpu, const insn_t *in)                             \
    {                                                                              \
        NAME##_do(cpu, in, (ITYPE)cpu->r[in->rm]);                                 \
    }                                                                              \
    static void NAME##_m(cpu_t *cpu, const insn_t *in)                             \
    {                                                                              \
        NAME##_do(cpu, in, (ITYPE)mmu_read(cpu, in->seg, insn_ea(cpu, in), BYTES)); \
    }

FP_SI2S(cvtsi2ss32, d, sf_i32_to_f32, int32_t, 4)
FP_SI2S(cvtsi2ss64, d, sf_i64_to_f32, int64_t, 8)
FP_SI2S(cvtsi2sd32, q, sf_i32_to_f64, int32_t, 4)
FP_SI2S(cvtsi2sd64, q, sf_i64_to_f64, int64_t, 8)

/* CVT(T)SS2SI / CVT(T)SD2SI: a 32-bit result is zero-extended. */
#define FP_S2SI(NAME, LANE, FN, UTYPE, TRUNC, LD)                                  \
    static void NAME##_exec(cpu_t *cpu, const insn_t *in, const xmm_t *b)          \
    {                                                                              \
        sf_status s;                                                               \
        fp_status(cpu, &s);                                                        \
        UTYPE r = (UTYPE)FN(&s, b->LANE[0], TRUNC);                                \
        fp_commit(cpu, &s);                                                        \
        cpu->r[in->reg] = r;                                                       \
    }                                                                              \
    FP_XFORMS(NAME, LD)

FP_S2SI(cvtss2si32, d, sf_f32_to_i32, uint32_t, false, 4)
FP_S2SI(cvtss2si64, d, sf_f32_to_i64, uint64_t, false, 4)
FP_S2SI(cvttss2si32, d, sf_f32_to_i32, uint32_t, true, 4)
FP_S2SI(cvttss2si64, d, sf_f32_to_i64, uint64_t, true, 4)
FP_S2SI(cvtsd2si32, q, sf_f64_to_i32, uint32_t, false, 8)
FP_S2SI(cvtsd2si64, q, sf_f64_to_i64, uint64_t, false, 8)
FP_S2SI(cvttsd2si32, q, sf_f64_to_i32, uint32_t, true, 8)
FP_S2SI(cvttsd2si64, q, sf_f64_to_i64, uint64_t, true, 8)

/* ---- conversions with MMX registers (SDM Vol.2 CVTPI2PS ...): an MMX
 * register operand makes them MMX instructions (#MF, transition) ---- */

static void cvtpi2ps_do(cpu_t *cpu, const insn_t *in, uint64_t v)
{
    sf_status s;
    fp_status(cpu, &s);
    uint32_t lo = sf_i32_to_f32(&s, (int32_t)v), hi = sf_i32_to_f32(&s, (int32_t)(v >> 32));
    fp_commit(cpu, &s);
    cpu->xmm[in->reg].d[0] = lo;
    cpu->xmm[in->reg].d[1] = hi;
}

/* The host transitions to MMX before any #XM. */
static void cvtpi2ps_xmm(cpu_t *cpu, const insn_t *in)
{
    mmx_begin(cpu);
    cvtpi2ps_do(cpu, in, mmx_get(cpu, in->rm));
}

static void cvtpi2ps_xm(cpu_t *cpu, const insn_t *in)
{
    cvtpi2ps_do(cpu, in, mmu_read64(cpu, in->seg, insn_ea(cpu, in)));
}

static void cvtpi2pd_do(cpu_t *cpu, const insn_t *in, uint64_t v)
{
    sf_status s;
    fp_status(cpu, &s);
    cpu->xmm[in->reg].q[0] = sf_i32_to_f64(&s, (int32_t)v);
    cpu->xmm[in->reg].q[1] = sf_i32_to_f64(&s, (int32_t)(v >> 32));
}

static void cvtpi2pd_xmm(cpu_t *cpu, const insn_t *in)
{
    mmx_begin(cpu);
    cvtpi2pd_do(cpu, in, mmx_get(cpu, in->rm));
}

static void cvtpi2pd_xm(cpu_t *cpu, const insn_t *in)
{
    cvtpi2pd_do(cpu, in, mmu_read64(cpu, in->seg, insn_ea(cpu, in)));
}

/* CVT(T)PS2PI mm, xmm/m64 and CVT(T)PD2PI mm, xmm/m128. */
#define FP_2PI(NAME, LANE, FN, TRUNC, LD)                                          \
    static void NAME##_exec(cpu_t *cpu, const insn_t *in, const xmm_t *b)          \
    {                                                                              \
        sf_status s;                                                               \
        fp_status(cpu, &s);                                                        \
        uint64_t lo = (uint32_t)FN(&s, b->LANE[0], TRUNC);                         \
        uint64_t hi = (uint32_t)FN(&s, b->LANE[1], TRUNC);                         \
        mmx_enter(cpu);   /* the host transitions even if #XM follows */           \
        fp_commit(cpu, &s);                                                        \
        mmx_set(cpu, in->reg, lo | hi << 32);                                      \
    }                                                                              \
    static void NAME##_xx(cpu_t *cpu, const insn_t *in)                            \
    {                                                                              \
        mmx_check(cpu);                                                            \
        NAME##_exec(cpu, in, &cpu->xmm[in->rm]);                                   \
    }                                                                              \
    static void NAME##_xm(cpu_t *cpu, const insn_t *in)                            \
    {                                                                              \
        mmx_check(cpu);                                                            \
        xmm_t b;                                                                   \
        SIMD_LD_##LD(cpu, in, &b);                                                 \
        NAME##_exec(cpu, in, &b);                                                  \
    }

FP_2PI(cvtps2pi, d, sf_f32_to_i32, false, 8)
FP_2PI(cvttps2pi, d, sf_f32_to_i32, true, 8)
FP_2PI(cvtpd2pi, q, sf_f64_to_i32, false, A16)
FP_2PI(cvttpd2pi, q, sf_f64_to_i32, true, A16)

/* ---- selection ---- */

/* By mandatory prefix: none (PS), 66 (PD), F3 (SS), F2 (SD). */
static void pick4(const dctx_t *d, insn_t *in, const fp_forms_t *f)
{
    const insn_fn *p = f->f[in->pfx];
    simd_set_xmm(d, in, p[0], p[1]);
}

static void pick_pair(const dctx_t *d, insn_t *in, insn_fn reg, insn_fn mem)
{
    simd_set_xmm(d, in, reg, mem);
}

static void sel_cvt_si(const dctx_t *d, insn_t *in)
{
    bool w = in->flags & INF_REXW;
    switch (in->pfx) {
    case PFX_NONE:   /* CVTPI2PS xmm, mm/m64 */
        in->rm &= 7;
        pick_pair(d, in, cvtpi2ps_xmm, cvtpi2ps_xm);
        break;
    case PFX_66:
        in->rm &= 7;
        pick_pair(d, in, cvtpi2pd_xmm, cvtpi2pd_xm);
        break;
    case PFX_F3:
        pick_pair(d, in, w ? cvtsi2ss64_r : cvtsi2ss32_r, w ? cvtsi2ss64_m : cvtsi2ss32_m);
        break;
    default:
        pick_pair(d, in, w ? cvtsi2sd64_r : cvtsi2sd32_r, w ? cvtsi2sd64_m : cvtsi2sd32_m);
        break;
    }
}

/* 0F 2C (truncating) and 0F 2D. */
static void sel_cvt_to_int(const dctx_t *d, insn_t *in, bool trunc)
{
    bool w = in->flags & INF_REXW;
    switch (in->pfx) {
    case PFX_NONE:
        in->reg &= 7;
        pick_pair(d, in, trunc ? cvttps2pi_xx : cvtps2pi_xx, trunc ? cvttps2pi_xm : cvtps2pi_xm);
        break;
    case PFX_66:
        in->reg &= 7;
        pick_pair(d, in, trunc ? cvttpd2pi_xx : cvtpd2pi_xx, trunc ? cvttpd2pi_xm : cvtpd2pi_xm);
        break;
    case PFX_F3:
        if (trunc)
            pick_pair(d, in, w ? cvttss2si64_xx : cvttss2si32_xx, w ? cvttss2si64_xm : cvttss2si32_xm);
        else
            pick_pair(d, in, w ? cvtss2si64_xx : cvtss2si32_xx, w ? cvtss2si64_xm : cvtss2si32_xm);
        break;
    default:
        if (trunc)
            pick_pair(d, in, w ? cvttsd2si64_xx : cvttsd2si32_xx, w ? cvttsd2si64_xm : cvttsd2si32_xm);
        else
            pick_pair(d, in, w ? cvtsd2si64_xx : cvtsd2si32_xx, w ? cvtsd2si64_xm : cvtsd2si32_xm);
        break;
    }
}

static void sel_comi(const dctx_t *d, insn_t *in)
{
    bool sig = in->op == 0x2f;
    if (in->pfx == PFX_NONE)
        pick_pair(d, in, sig ? comiss_xx : ucomiss_xx, sig ? comiss_xm : ucomiss_xm);
    else if (in->pfx == PFX_66)
        pick_pair(d, in, sig ? comisd_xx : ucomisd_xx, sig ? comisd_xm : ucomisd_xm);
}

static const fp_forms_t cvt5a_forms = { { FP_PAIR(cvtps2pd), FP_PAIR(cvtpd2ps), FP_PAIR(cvtss2sd),
                                          FP_PAIR(cvtsd2ss) } };
static const fp_forms_t cvt5b_forms = { { FP_PAIR(cvtdq2ps), FP_PAIR(cvtps2dq), FP_PAIR(cvttps2dq),
                                          { NULL, NULL } } };
static const fp_forms_t cvte6_forms = { { { NULL, NULL }, FP_PAIR(cvttpd2dq), FP_PAIR(cvtdq2pd),
                                          FP_PAIR(cvtpd2dq) } };
static const fp_forms_t hadd_forms = { { { NULL, NULL }, FP_PAIR(haddpd), { NULL, NULL }, FP_PAIR(haddps) } };
static const fp_forms_t hsub_forms = { { { NULL, NULL }, FP_PAIR(hsubpd), { NULL, NULL }, FP_PAIR(hsubps) } };
static const fp_forms_t addsub_forms = { { { NULL, NULL }, FP_PAIR(addsubpd), { NULL, NULL },
                                           FP_PAIR(addsubps) } };

void sel_sse_fp(dctx_t *d, insn_t *in)
{
    switch (in->op) {
    case 0x2a: sel_cvt_si(d, in); break;
    case 0x2c: sel_cvt_to_int(d, in, true); break;
    case 0x2d: sel_cvt_to_int(d, in, false); break;
    case 0x2e: case 0x2f: sel_comi(d, in); break;
    case 0x51: pick4(d, in, &sqrt_forms); break;
    case 0x52: case 0x53: sel_sse_fp_approx(d, in); break;
    case 0x58: pick4(d, in, &add_forms); break;
    case 0x59: pick4(d, in, &mul_forms); break;
    case 0x5a: pick4(d, in, &cvt5a_forms); break;
    case 0x5b: pick4(d, in, &cvt5b_forms); break;
    case 0x5c: pick4(d, in, &sub_forms); break;
    case 0x5d: pick4(d, in, &min_forms); break;
    case 0x5e: pick4(d, in, &div_forms); break;
    case 0x5f: pick4(d, in, &max_forms); break;
    case 0x7c: pick4(d, in, &hadd_forms); break;
    case 0x7d: pick4(d, in, &hsub_forms); break;
    case 0xc2: pick4(d, in, &cmp_forms); break;
    case 0xd0: pick4(d, in, &addsub_forms); break;
    case 0xe6: pick4(d, in, &cvte6_forms); break;
    default: break;
    }
}

/* 0F3A 08-0B ROUNDPS/PD/SS/SD, 40 DPPS, 41 DPPD: prefix 66. */
void sel_sse_fp3a(dctx_t *d, insn_t *in)
{
    static const insn_fn fn[0x42][2] = {
        [0x08] = FP_PAIR(roundps), [0x09] = FP_PAIR(roundpd), [0x0a] = FP_PAIR(roundss),
        [0x0b] = FP_PAIR(roundsd), [0x40] = FP_PAIR(dpps), [0x41] = FP_PAIR(dppd),
    };
    if (in->pfx != PFX_66 || in->op >= 0x42)
        return;
    pick_pair(d, in, fn[in->op][0], fn[in->op][1]);
}
