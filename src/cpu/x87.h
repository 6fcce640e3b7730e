/* Private helpers of the x87 FPU files (SDM Vol.1 ch.8): the register
 * stack and its tags, the status word, stack faults, exception signalling
 * with the pending-#MF model, and the FIP/FDP/FOP bookkeeping. The
 * arithmetic itself is in softfloat (include/xenemu/softfloat.h). */
#ifndef XENEMU_CPU_X87_H
#define XENEMU_CPU_X87_H

#include "ops.h"
#include "xenemu/softfloat.h"

#define X87_INLINE static inline __attribute__((always_inline))

/* FSW bits (SDM Vol.1 §8.1.3, Figure 8-4). */
enum {
    SW_IE = 0x0001, SW_DE = 0x0002, SW_ZE = 0x0004, SW_OE = 0x0008,
    SW_UE = 0x0010, SW_PE = 0x0020, SW_SF = 0x0040, SW_ES = 0x0080,
    SW_C0 = 0x0100, SW_C1 = 0x0200, SW_C2 = 0x0400, SW_TOP = 0x3800,
    SW_C3 = 0x4000, SW_B = 0x8000,
    SW_EXC = 0x003f, SW_CC = SW_C0 | SW_C1 | SW_C2 | SW_C3,
};

/* Exceptions that stop an instruction before it writes a register
 * destination when unmasked (SDM Vol.1 §8.5.1-8.5.3); a memory
 * destination of FST m32/m64 is also left alone on unmasked OE/UE
 * (softfloat.h). */
enum { SW_STOP = SW_IE | SW_DE | SW_ZE, SW_STOP_MEM = SW_STOP | SW_OE | SW_UE };

/* FCW (SDM Vol.1 §8.1.5): the initial value of FNINIT. */
enum { CW_INIT = 0x037f };

/* Tags (SDM Vol.1 §8.1.7). */
enum { TAG_VALID = 0, TAG_ZERO = 1, TAG_SPECIAL = 2, TAG_EMPTY = 3 };

/* ---- the register stack ---- */

X87_INLINE unsigned x87_top(const cpu_t *cpu)
{
    return (cpu->fpu.fsw >> 11) & 7;
}

X87_INLINE void x87_set_top(cpu_t *cpu, unsigned top)
{
    cpu->fpu.fsw = (uint16_t)((cpu->fpu.fsw & ~SW_TOP) | ((top & 7) << 11));
}

/* Physical register of ST(i). */
X87_INLINE unsigned x87_phys(const cpu_t *cpu, unsigned i)
{
    return (x87_top(cpu) + i) & 7;
}

X87_INLINE unsigned x87_tag(const cpu_t *cpu, unsigned phys)
{
    return (cpu->fpu.ftw >> (2 * phys)) & 3;
}

X87_INLINE void x87_set_tag(cpu_t *cpu, unsigned phys, unsigned tag)
{
    cpu->fpu.ftw = (uint16_t)((cpu->fpu.ftw & ~(3u << (2 * phys))) | (tag << (2 * phys)));
}

X87_INLINE bool x87_empty(const cpu_t *cpu, unsigned i)
{
    return x87_tag(cpu, x87_phys(cpu, i)) == TAG_EMPTY;
}

/* Tag of a non-empty register from its contents (SDM Vol.1 §8.1.7):
 * NaN, infinity, denormal and unsupported encodings are special. */
X87_INLINE unsigned x87_classify(uint16_t se, uint64_t sig)
{
    unsigned e = se & 0x7fff;
    if (e == 0x7fff)
        return TAG_SPECIAL;
    if (e == 0)
        return sig ? TAG_SPECIAL : TAG_ZERO;
    return (sig >> 63) ? TAG_VALID : TAG_SPECIAL;
}

X87_INLINE sf_f80 x87_get(const cpu_t *cpu, unsigned i)
{
    const x87reg_t *r = &cpu->fpu.st[x87_phys(cpu, i)];
    return sf_f80_make(r->se, r->sig);
}

/* Write ST(i) and tag it from its contents. */
X87_INLINE void x87_put(cpu_t *cpu, unsigned i, sf_f80 v)
{
    unsigned p = x87_phys(cpu, i);
    cpu->fpu.st[p].sig = v.sig;
    cpu->fpu.st[p].se = v.se;
    x87_set_tag(cpu, p, x87_classify(v.se, v.sig));
}

/* Pop: ST(0) becomes empty, TOP + 1 (SDM Vol.1 §8.1.2). */
X87_INLINE void x87_pop(cpu_t *cpu)
{
    x87_set_tag(cpu, x87_top(cpu), TAG_EMPTY);
    x87_set_top(cpu, x87_top(cpu) + 1);
}

/* Push: TOP - 1, then ST(0) = v. */
X87_INLINE void x87_push(cpu_t *cpu, sf_f80 v)
{
    x87_set_top(cpu, x87_top(cpu) - 1);
    x87_put(cpu, 0, v);
}

/* ---- status word ---- */

X87_INLINE void x87_set_cc(cpu_t *cpu, unsigned mask, unsigned bits)
{
    cpu->fpu.fsw = (uint16_t)((cpu->fpu.fsw & ~mask) | (bits & mask));
}

X87_INLINE void x87_set_c1(cpu_t *cpu, bool c1)
{
    x87_set_cc(cpu, SW_C1, c1 ? SW_C1 : 0);
}

/* ES and B summarise the unmasked exception flags (SDM Vol.1 §8.1.3.1);
 * after FCW or FSW are loaded they are recomputed. */
X87_INLINE void x87_update_es(cpu_t *cpu)
{
    x87state_t *f = &cpu->fpu;
    f->fsw &= (uint16_t)~(SW_ES | SW_B);
    if (f->fsw & ~f->fcw & SW_EXC)
        f->fsw |= SW_ES | SW_B;
}

/* A softfloat status for the current FCW: RC, PC and the masks. */
X87_INLINE sf_status x87_status(const cpu_t *cpu)
{
    sf_status s = { 0 };
    sf_status_from_fcw(&s, cpu->fpu.fcw);
    return s;
}

X87_INLINE bool x87_unmasked(const cpu_t *cpu, unsigned flags)
{
    return (flags & ~cpu->fpu.fcw & SW_EXC) != 0;
}

/* Would these flags stop the instruction before it writes its result? */
X87_INLINE bool x87_stops(const cpu_t *cpu, unsigned flags, unsigned which)
{
    return (flags & ~cpu->fpu.fcw & which) != 0;
}

/* Record exception flags (and SF); an unmasked one becomes pending: ES
 * and B are set and the next waiting x87 instruction raises #MF (SDM
 * Vol.1 §8.6). Returns true when one is unmasked. */
X87_INLINE bool x87_signal(cpu_t *cpu, unsigned flags)
{
    cpu->fpu.fsw |= (uint16_t)flags;
    if (!x87_unmasked(cpu, flags))
        return false;
    cpu->fpu.fsw |= SW_ES | SW_B;
    return true;
}

/* ---- stack faults (SDM Vol.1 §8.5.1.1): IE with SF; C1 = 0 for an
 * underflow, 1 for an overflow. The masked response writes the QNaN
 * indefinite, so they are expressed as a softfloat outcome. ---- */

X87_INLINE void x87_stack_fault(sf_status *s, bool overflow)
{
    s->flags = SW_IE | SW_SF;
    s->c1 = overflow;
}

/* Underflow if ST(i) is empty. */
X87_INLINE bool x87_underflow1(const cpu_t *cpu, unsigned i, sf_status *s)
{
    if (!x87_empty(cpu, i))
        return false;
    x87_stack_fault(s, false);
    return true;
}

X87_INLINE bool x87_underflow2(const cpu_t *cpu, unsigned i, unsigned j, sf_status *s)
{
    if (!x87_empty(cpu, i) && !x87_empty(cpu, j))
        return false;
    x87_stack_fault(s, false);
    return true;
}

/* Overflow if a push would land on a non-empty register (ST(7)). */
X87_INLINE bool x87_overflow(const cpu_t *cpu, sf_status *s)
{
    if (x87_empty(cpu, 7))
        return false;
    x87_stack_fault(s, true);
    return true;
}

/* Deliver a result to ST(d): C1 from the operation, its flags signalled;
 * an unmasked IE/DE/ZE leaves ST(d) unchanged. Returns false when the
 * instruction was stopped (no pop or push may follow). */
X87_INLINE bool x87_deliver(cpu_t *cpu, unsigned d, sf_f80 r, const sf_status *s)
{
    x87_set_c1(cpu, s->c1);
    bool stop = x87_stops(cpu, s->flags, SW_STOP);
    if (!stop)
        x87_put(cpu, d, r);
    x87_signal(cpu, s->flags);
    return !stop;
}

/* Push a result: as x87_deliver, to the new ST(0). */
X87_INLINE bool x87_deliver_push(cpu_t *cpu, sf_f80 r, const sf_status *s)
{
    x87_set_c1(cpu, s->c1);
    bool stop = x87_stops(cpu, s->flags, SW_STOP);
    if (!stop)
        x87_push(cpu, r);
    x87_signal(cpu, s->flags);
    return !stop;
}

/* ---- the pending exception and #NM ---- */

/* A waiting x87 instruction first reports a pending unmasked exception
 * (FSW.ES) as #MF (SDM Vol.1 §8.6, Vol.3A §6.15 interrupt 16). */
_Noreturn void x87_raise_pending(cpu_t *cpu);

X87_INLINE void x87_wait(cpu_t *cpu)
{
    if (__builtin_expect(cpu->fpu.fsw & SW_ES, 0))
        x87_raise_pending(cpu);
}

/* ---- last instruction and operand pointers (SDM Vol.1 §8.1.8, §8.1.9) ----
 * As on the reference host (CPUID.(EAX=07H):EBX[6] FDP_EXCPTN_ONLY and
 * FOP compatibility mode off): every non-control instruction sets FIP and
 * FCS; FOP and FDP/FDS change only when it raises an unmasked exception. */

X87_INLINE uint16_t x87_fop(const insn_t *in)
{
    return (uint16_t)(((in->op & 7) << 8) | in->modrm);
}

X87_INLINE void x87_retire(cpu_t *cpu, const insn_t *in, bool unmasked)
{
    cpu->fpu.fip = cpu->r[R_RIP] - in->len;
    cpu->fpu.fcs = cpu->seg[SEG_CS].sel;
    if (unmasked)
        cpu->fpu.fop = x87_fop(in);
}

X87_INLINE void x87_retire_mem(cpu_t *cpu, const insn_t *in, bool unmasked, uint64_t ea)
{
    x87_retire(cpu, in, unmasked);
    if (unmasked) {
        cpu->fpu.fdp = ea;
        cpu->fpu.fds = cpu->seg[in->seg].sel;
    }
}

/* Retire after signalling s: FOP/FDP follow whether it was unmasked. */
X87_INLINE void x87_retire_s(cpu_t *cpu, const insn_t *in, const sf_status *s)
{
    x87_retire(cpu, in, x87_unmasked(cpu, s->flags));
}

X87_INLINE void x87_retire_mem_s(cpu_t *cpu, const insn_t *in, const sf_status *s, uint64_t ea)
{
    x87_retire_mem(cpu, in, x87_unmasked(cpu, s->flags), ea);
}

/* ---- memory operands ----
 * 80-bit operands are two accesses on the host, the 8 significand bytes
 * and then the sign and exponent: a store whose second part faults has
 * already written the first, as observed on the reference host. */

X87_INLINE void x87_read_10(cpu_t *cpu, const insn_t *in, uint64_t ea, uint8_t b[10])
{
    uint64_t lo = mmu_read64(cpu, in->seg, ea);
    uint16_t hi = mmu_read16(cpu, in->seg, ea + 8);
    __builtin_memcpy(b, &lo, 8);
    __builtin_memcpy(b + 8, &hi, 2);
}

X87_INLINE void x87_write_10(cpu_t *cpu, const insn_t *in, uint64_t ea, const uint8_t b[10])
{
    uint64_t lo;
    uint16_t hi;
    __builtin_memcpy(&lo, b, 8);
    __builtin_memcpy(&hi, b + 8, 2);
    mmu_write64(cpu, in->seg, ea, lo);
    mmu_write16(cpu, in->seg, ea + 8, hi);
}

X87_INLINE sf_f80 x87_read_m80(cpu_t *cpu, const insn_t *in, uint64_t ea)
{
    uint64_t sig = mmu_read64(cpu, in->seg, ea);
    uint16_t se = mmu_read16(cpu, in->seg, ea + 8);
    return sf_f80_make(se, sig);
}

X87_INLINE void x87_write_m80(cpu_t *cpu, const insn_t *in, uint64_t ea, sf_f80 v)
{
    mmu_write64(cpu, in->seg, ea, v.sig);
    mmu_write16(cpu, in->seg, ea + 8, v.se);
}

/* ---- handlers, by family file (the selector in x87.c picks them) ----
 * ST(i) operands come in in->rm (0-7); in->aux carries the operation. */

/* x87_arith.c: in->aux is an SF_X87_* operation */
void x87_arith_st0_sti(cpu_t *cpu, const insn_t *in);   /* D8 C0-FF: ST(0) = ST(0) op ST(i) */
void x87_arith_sti_st0(cpu_t *cpu, const insn_t *in);   /* DC C0-FF: ST(i) = ST(i) op ST(0) */
void x87_arith_sti_pop(cpu_t *cpu, const insn_t *in);   /* DE C0-FF: the same, then pop */
void x87_arith_m32(cpu_t *cpu, const insn_t *in);       /* D8 /r m32fp */
void x87_arith_m64(cpu_t *cpu, const insn_t *in);       /* DC /r m64fp */
void x87_arith_m16i(cpu_t *cpu, const insn_t *in);      /* DE /r m16int */
void x87_arith_m32i(cpu_t *cpu, const insn_t *in);      /* DA /r m32int */
void x87_fchs(cpu_t *cpu, const insn_t *in);
void x87_fabs(cpu_t *cpu, const insn_t *in);
void x87_fsqrt(cpu_t *cpu, const insn_t *in);
void x87_frndint(cpu_t *cpu, const insn_t *in);
void x87_fscale(cpu_t *cpu, const insn_t *in);
void x87_fxtract(cpu_t *cpu, const insn_t *in);
void x87_fprem(cpu_t *cpu, const insn_t *in);           /* aux 1: FPREM1 */

/* x87_compare.c: in->aux bit 0 = pops once, bit 1 = pops twice,
 * bit 2 = unordered (FUCOM*: IE only for SNaN) */
enum { CMP_POP = 1, CMP_POP2 = 2, CMP_UNORD = 4 };
void x87_fcom_sti(cpu_t *cpu, const insn_t *in);        /* FCOM(P), FUCOM(P), FCOMPP, FUCOMPP */
void x87_fcom_m32(cpu_t *cpu, const insn_t *in);
void x87_fcom_m64(cpu_t *cpu, const insn_t *in);
void x87_ficom_m16(cpu_t *cpu, const insn_t *in);
void x87_ficom_m32(cpu_t *cpu, const insn_t *in);
void x87_fcomi(cpu_t *cpu, const insn_t *in);           /* FCOMI(P), FUCOMI(P) */
void x87_ftst(cpu_t *cpu, const insn_t *in);
void x87_fxam(cpu_t *cpu, const insn_t *in);

/* x87_load_store.c */
void x87_fld_sti(cpu_t *cpu, const insn_t *in);
void x87_fld_m32(cpu_t *cpu, const insn_t *in);
void x87_fld_m64(cpu_t *cpu, const insn_t *in);
void x87_fld_m80(cpu_t *cpu, const insn_t *in);
void x87_fst_sti(cpu_t *cpu, const insn_t *in);         /* aux 1: FSTP */
void x87_fstp_nce(cpu_t *cpu, const insn_t *in);        /* D9 D8-DF */
void x87_fst_m32(cpu_t *cpu, const insn_t *in);         /* aux 1: FSTP */
void x87_fst_m64(cpu_t *cpu, const insn_t *in);
void x87_fstp_m80(cpu_t *cpu, const insn_t *in);
void x87_fild_m16(cpu_t *cpu, const insn_t *in);
void x87_fild_m32(cpu_t *cpu, const insn_t *in);
void x87_fild_m64(cpu_t *cpu, const insn_t *in);
/* FIST/FISTP/FISTTP: aux bit 0 = pop, bit 1 = truncate (FISTTP) */
enum { IST_POP = 1, IST_TRUNC = 2 };
void x87_fist_m16(cpu_t *cpu, const insn_t *in);
void x87_fist_m32(cpu_t *cpu, const insn_t *in);
void x87_fist_m64(cpu_t *cpu, const insn_t *in);
void x87_fbld(cpu_t *cpu, const insn_t *in);
void x87_fbstp(cpu_t *cpu, const insn_t *in);
void x87_fxch(cpu_t *cpu, const insn_t *in);
void x87_fcmov(cpu_t *cpu, const insn_t *in);           /* aux: condition tttn */
void x87_fld_const(cpu_t *cpu, const insn_t *in);       /* aux: D9 E8-EE low 3 bits */

/* x87_trans.c */
void x87_f2xm1(cpu_t *cpu, const insn_t *in);
void x87_fyl2x(cpu_t *cpu, const insn_t *in);           /* aux 1: FYL2XP1 */
void x87_fpatan(cpu_t *cpu, const insn_t *in);
void x87_fptan(cpu_t *cpu, const insn_t *in);
void x87_fsin(cpu_t *cpu, const insn_t *in);            /* aux 1: FCOS */
void x87_fsincos(cpu_t *cpu, const insn_t *in);

/* x87_control.c */
void x87_fninit(cpu_t *cpu, const insn_t *in);
void x87_fnclex(cpu_t *cpu, const insn_t *in);
void x87_fldcw(cpu_t *cpu, const insn_t *in);
void x87_fnstcw(cpu_t *cpu, const insn_t *in);
void x87_fnstsw_m16(cpu_t *cpu, const insn_t *in);
void x87_fnstsw_ax(cpu_t *cpu, const insn_t *in);
void x87_fincstp(cpu_t *cpu, const insn_t *in);         /* aux 1: FDECSTP */
void x87_ffree(cpu_t *cpu, const insn_t *in);           /* aux 1: FFREEP */
void x87_fnop(cpu_t *cpu, const insn_t *in);
void x87_fwait(cpu_t *cpu, const insn_t *in);
void x87_nop_legacy(cpu_t *cpu, const insn_t *in);      /* FNENI, FNDISI, FNSETPM */

/* x87_env.c: the environment and state images */
void x87_fnstenv(cpu_t *cpu, const insn_t *in);
void x87_fldenv(cpu_t *cpu, const insn_t *in);
void x87_fnsave(cpu_t *cpu, const insn_t *in);
void x87_frstor(cpu_t *cpu, const insn_t *in);
/* FNINIT's state (SDM Vol.2 FINIT/FNINIT): FCW 037FH, FSW 0, all tags
 * empty, pointers and FOP 0; the registers keep their contents. */
void x87_reset_state(cpu_t *cpu);

#endif
