/* Private helpers of the MMX/SSE family files: register access, operand
 * loads, the MMX-x87 state transition (SDM Vol.1 §9.5) and the handler
 * generators that specialise one lane kernel for each operand form. */
#ifndef XENEMU_CPU_SIMD_H
#define XENEMU_CPU_SIMD_H

#include "ops.h"

#define SIMD_INLINE static inline __attribute__((always_inline))

/* ---- decode-time checks (SDM Vol.3A §2.5 CR0.EM/TS, §13.1 Table 13-1) ---- */

enum simd_class {
    SC_SSE,     /* #UD if CR0.EM or !CR4.OSFXSR, #NM if CR0.TS */
    SC_MMX,     /* #UD if CR0.EM, #NM if CR0.TS; #MF checked at run time */
    SC_FXSR,    /* FXSAVE/FXRSTOR: #NM if CR0.TS or CR0.EM */
    SC_XSAVE,   /* #UD if !CR4.OSXSAVE, #NM if CR0.TS */
    SC_NONE,    /* fences, CLFLUSH, MOVNTI */
};

/* Replace in->fn by a handler raising the exception the current CR0/CR4
 * demand for this class (decode_key covers those bits). */
void simd_guard(const dctx_t *d, insn_t *in, enum simd_class c);

/* The handler set of one operation: XMM reg/reg, XMM reg/mem, MMX reg/reg,
 * MMX reg/mem. A NULL entry is an undefined form (#UD). */
typedef struct simd_forms {
    insn_fn xx, xm, mm, mmem;
} simd_forms_t;

/* No prefix picks the MMX forms, 66 the XMM ones; F2/F3 are undefined. */
void simd_pick(const dctx_t *d, insn_t *in, const simd_forms_t *f);
/* Only the XMM forms with prefix 66 (SSE4.1 and later). */
void simd_pick66(const dctx_t *d, insn_t *in, const simd_forms_t *f);
/* XMM forms by prefix: none (PS), 66 (PD); F2/F3 undefined. */
void simd_pick_ps_pd(const dctx_t *d, insn_t *in, const simd_forms_t *ps, const simd_forms_t *pd);
/* Set the form for register or memory and apply the SSE checks. */
void simd_set_xmm(const dctx_t *d, insn_t *in, insn_fn reg, insn_fn mem);

/* ---- family selectors (sse.c dispatches to these by opcode) ---- */

void sel_sse_move(dctx_t *d, insn_t *in);      /* sse_move.c: 0F moves */
void sel_sse_int(dctx_t *d, insn_t *in);       /* sse_int.c: packed integer, 0F map */
void sel_sse_int38(dctx_t *d, insn_t *in);     /* sse_int.c: SSSE3 arithmetic, 0F38 */
void sel_sse_shift_imm(dctx_t *d, insn_t *in); /* sse_int.c: 0F 71-73 */
void sel_sse_logic(dctx_t *d, insn_t *in);     /* sse_int.c: 0F 54-57 */
void sel_sse_shuffle(dctx_t *d, insn_t *in);   /* sse_shuffle.c: 0F map */
void sel_sse_shuffle38(dctx_t *d, insn_t *in); /* sse_shuffle.c: PSHUFB, BLENDV* */
void sel_sse_shuffle3a(dctx_t *d, insn_t *in); /* sse_shuffle.c: 0F3A blends, inserts, extracts */
void sel_sse4(dctx_t *d, insn_t *in);          /* sse4.c: SSE4.1 integer, 0F38 */
void sel_sse4_3a(dctx_t *d, insn_t *in);       /* sse4.c: MPSADBW */
void sel_sse42_string(dctx_t *d, insn_t *in);  /* sse42_string.c: 0F3A 60-63 */
void sel_sse_fp(dctx_t *d, insn_t *in);        /* sse_fp.c: 0F map arithmetic */
void sel_sse_fp3a(dctx_t *d, insn_t *in);      /* sse_fp.c: ROUND*, DPPS/DPPD */
void sel_mmx_emms(dctx_t *d, insn_t *in);      /* mmx.c: 0F 77 */

/* fxsave.c: 0F AE memory forms. */
void simd_sel_fxsave(dctx_t *d, insn_t *in);   /* /0 FXSAVE, /1 FXRSTOR */
void simd_sel_mxcsr(dctx_t *d, insn_t *in);    /* /2 LDMXCSR, /3 STMXCSR */
void simd_sel_xsave(dctx_t *d, insn_t *in);    /* /4 XSAVE, /5 XRSTOR */

/* ---- MMX registers and the x87 transition (SDM Vol.1 §9.5, §9.6) ---- */

enum { FSW_ES = 1u << 7, FSW_TOP = 7u << 11 };

/* A pending unmasked x87 exception is reported before an MMX instruction
 * (SDM Vol.1 §9.6.2): #MF. */
SIMD_INLINE void mmx_check(cpu_t *cpu)
{
    if (__builtin_expect(cpu->fpu.fsw & FSW_ES, 0))
        cpu_raise(cpu, EXC_MF);
}

/* Every MMX instruction: TOP = 0, all tags valid (SDM Vol.1 §9.5.1), done
 * after the last possible fault. */
SIMD_INLINE void mmx_enter(cpu_t *cpu)
{
    cpu->fpu.fsw &= (uint16_t)~FSW_TOP;
    cpu->fpu.ftw = 0;
}

/* Start of an MMX instruction without a memory operand. */
SIMD_INLINE void mmx_begin(cpu_t *cpu)
{
    mmx_check(cpu);
    mmx_enter(cpu);
}

/* MMX stores: the host sets TOP to 0 before the store, so a faulting store
 * leaves TOP = 0 with the tags unchanged (a faulting load changes
 * nothing). */
SIMD_INLINE void mmx_store_begin(cpu_t *cpu)
{
    mmx_check(cpu);
    cpu->fpu.fsw &= (uint16_t)~FSW_TOP;
}

SIMD_INLINE uint64_t mmx_get(const cpu_t *cpu, unsigned i)
{
    return cpu->fpu.st[i & 7].sig;
}

/* Writing MMi sets bits 79-64 of physical register i to ones (SDM Vol.1
 * §9.5). */
SIMD_INLINE void mmx_set(cpu_t *cpu, unsigned i, uint64_t v)
{
    cpu->fpu.st[i & 7].sig = v;
    cpu->fpu.st[i & 7].se = 0xffff;
}

SIMD_INLINE xmm_t mmx_x(const cpu_t *cpu, unsigned i)
{
    xmm_t v;
    v.q[0] = mmx_get(cpu, i);
    v.q[1] = 0;
    return v;
}

/* ---- memory operands ---- */

/* Legacy SSE 16-byte operands must be aligned: the check is on the linear
 * address (SDM Vol.1 §10.4.1.1; FS/GS bases count) and comes before the
 * segment checks (#GP(0), not #SS(0), for a misaligned non-canonical stack
 * operand, as on the host). */
SIMD_INLINE void simd_align16(cpu_t *cpu, int seg, uint64_t ea)
{
    uint64_t base = cpu->code_mode == CM_64 ? cpu->seg_lin_base[seg] : cpu->seg[seg].base;
    if (__builtin_expect((ea + base) & 15, 0))
        cpu_gp0(cpu);
}

/* Host pointer for a 16-byte access that stays in one page and hits the
 * software TLB, else NULL (the slow path decides). Same rules as the inline
 * paths of mmu.h. */
SIMD_INLINE uint8_t *simd_fast16(cpu_t *cpu, int seg, uint64_t ea, bool write)
{
    if (__builtin_expect(cpu->code_mode != CM_64, 0))
        return NULL;
    uint64_t lin = ea + cpu->seg_lin_base[seg];
    tlb_entry_t *e = mmu_tlb_entry(cpu, lin);
    uint64_t tag = write ? e->tag_w : e->tag_r;
    if (__builtin_expect(tag != (lin & ~0xfffull) || (lin & 0xfff) > 4096 - 16, 0))
        return NULL;
    return (uint8_t *)(uintptr_t)(lin + e->addend);
}

/* A 16-byte load is one access: a misaligned one that crosses a page gets
 * the segment and canonical checks of its last byte before any page
 * fault of its first half. */
SIMD_INLINE void simd_load128(cpu_t *cpu, const insn_t *in, xmm_t *dst, bool aligned)
{
    uint64_t ea = insn_ea(cpu, in);
    if (aligned)
        simd_align16(cpu, in->seg, ea);
    const uint8_t *p = simd_fast16(cpu, in->seg, ea, false);
    if (__builtin_expect(p != NULL, 1)) {
        memcpy(dst, p, 16);
        return;
    }
    if (!aligned) {
        uint64_t base = cpu->code_mode == CM_64 ? cpu->seg_lin_base[in->seg] : cpu->seg[in->seg].base;
        if (((ea + base) & 0xfff) > 0xff0)
            mmu_linear(cpu, in->seg, ea, 16, ACC_READ);
    }
    uint64_t lo = mmu_read64(cpu, in->seg, ea);
    dst->q[1] = mmu_read64(cpu, in->seg, ea + 8);
    dst->q[0] = lo;
}

SIMD_INLINE void simd_store128(cpu_t *cpu, const insn_t *in, const xmm_t *src, bool aligned)
{
    uint64_t ea = insn_ea(cpu, in);
    if (aligned)
        simd_align16(cpu, in->seg, ea);
    uint8_t *p = simd_fast16(cpu, in->seg, ea, true);
    if (__builtin_expect(p != NULL, 1)) {
        memcpy(p, src, 16);
        return;
    }
    mmu_write128(cpu, in->seg, ea, src, false);
}

/* Loads of a source operand of a given width into the low lanes of an
 * xmm_t (the rest zero), named for the handler generators below. */
#define SIMD_LD_A16(cpu, in, v) simd_load128((cpu), (in), (v), true)
#define SIMD_LD_U16(cpu, in, v) simd_load128((cpu), (in), (v), false)
#define SIMD_LD_8(cpu, in, v) ((v)->q[0] = mmu_read64((cpu), (in)->seg, insn_ea((cpu), (in))), (v)->q[1] = 0)
#define SIMD_LD_4(cpu, in, v) ((v)->q[0] = mmu_read32((cpu), (in)->seg, insn_ea((cpu), (in))), (v)->q[1] = 0)
#define SIMD_LD_2(cpu, in, v) ((v)->q[0] = mmu_read16((cpu), (in)->seg, insn_ea((cpu), (in))), (v)->q[1] = 0)

/* ---- handler generators ----
 * A kernel K(r, a, b, bytes, imm) computes r from the destination a and
 * source b over `bytes` (8 for MMX, 16 for XMM); r never aliases a or b.
 * The generated handlers do every read first and write the register last. */

#define SIMD_XFORMS(NAME, K, XLD)                                                  \
    static void NAME##_xx(cpu_t *cpu, const insn_t *in)                            \
    {                                                                              \
        xmm_t r;                                                                   \
        K(&r, &cpu->xmm[in->reg], &cpu->xmm[in->rm], 16, (unsigned)in->imm & 0xff); \
        cpu->xmm[in->reg] = r;                                                     \
    }                                                                              \
    static void NAME##_xm(cpu_t *cpu, const insn_t *in)                            \
    {                                                                              \
        xmm_t b, r;                                                                \
        SIMD_LD_##XLD(cpu, in, &b);                                                \
        K(&r, &cpu->xmm[in->reg], &b, 16, (unsigned)in->imm & 0xff);               \
        cpu->xmm[in->reg] = r;                                                     \
    }

#define SIMD_MFORMS(NAME, K, MLD)                                                  \
    static void NAME##_mm(cpu_t *cpu, const insn_t *in)                            \
    {                                                                              \
        mmx_check(cpu);                                                            \
        xmm_t a = mmx_x(cpu, in->reg), b = mmx_x(cpu, in->rm), r;                  \
        K(&r, &a, &b, 8, (unsigned)in->imm & 0xff);                                \
        mmx_enter(cpu);                                                            \
        mmx_set(cpu, in->reg, r.q[0]);                                             \
    }                                                                              \
    static void NAME##_mmem(cpu_t *cpu, const insn_t *in)                          \
    {                                                                              \
        mmx_check(cpu);                                                            \
        xmm_t a = mmx_x(cpu, in->reg), b, r;                                       \
        SIMD_LD_##MLD(cpu, in, &b);                                                \
        K(&r, &a, &b, 8, (unsigned)in->imm & 0xff);                                \
        mmx_enter(cpu);                                                            \
        mmx_set(cpu, in->reg, r.q[0]);                                             \
    }

/* A lane-wise kernel: r.LANE[i] = EXPR of x (destination lane) and y
 * (source lane), both converted to T. */
#define SIMD_LANE_KERNEL(NAME, LANE, T, EXPR)                                              \
    SIMD_INLINE void NAME(xmm_t *r, const xmm_t *a, const xmm_t *b, unsigned n, unsigned imm) \
    {                                                                                      \
        (void)imm;                                                                         \
        for (unsigned i = 0; i < n / sizeof(r->LANE[0]); i++) {                            \
            T x = (T)a->LANE[i], y = (T)b->LANE[i];                                        \
            (void)x;                                                                       \
            r->LANE[i] = (EXPR);                                                           \
        }                                                                                  \
    }

/* Both register files: NAME##_forms. */
#define SIMD_OPS(NAME, K, XLD, MLD)                                                \
    SIMD_XFORMS(NAME, K, XLD)                                                      \
    SIMD_MFORMS(NAME, K, MLD)                                                      \
    static const simd_forms_t NAME##_forms __attribute__((unused)) = {                \
        NAME##_xx, NAME##_xm, NAME##_mm, NAME##_mmem };

/* XMM only. */
#define SIMD_XOPS(NAME, K, XLD)                                                    \
    SIMD_XFORMS(NAME, K, XLD)                                                      \
    static const simd_forms_t NAME##_forms __attribute__((unused)) = {                \
        NAME##_xx, NAME##_xm, NULL, NULL };

#endif
