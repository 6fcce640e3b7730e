/* Lazy arithmetic flags (DESIGN.md, "Lazy flags"): an instruction records
 * its operation, result and operands; CF PF AF ZF SF OF are computed only
 * when something reads them. */
#ifndef XENEMU_FLAGS_H
#define XENEMU_FLAGS_H

#include <stdbool.h>
#include <stdint.h>

#include "xenemu/cpu.h"

/* Each operation has four sizes: base + log2(bytes). */
enum cc_op {
    CC_EFLAGS = 0,   /* flags are in cpu->rflags */
    CC_ADD = 4,      /* dst = result, src = second operand */
    CC_ADC = 8,      /* dst = result, src = second operand, src2 = carry in */
    CC_SUB = 12,     /* dst = result, src = second operand */
    CC_SBB = 16,     /* dst = result, src = second operand, src2 = borrow in */
    CC_LOGIC = 20,   /* dst = result; CF = OF = AF = 0 */
    CC_INC = 24,     /* dst = result, src2 = CF before */
    CC_DEC = 28,     /* dst = result, src2 = CF before */
    CC_SHL = 32,     /* dst = result, src = operand shifted by count-1 */
    CC_SHR = 36,     /* dst = result, src = operand shifted by count-1, src2 = operand */
    CC_SAR = 40,     /* dst = result, src = operand shifted by count-1 */
    CC_MUL = 44,     /* dst = low result, src = 1 if the high half is significant */
    CC_NEG = 48,     /* dst = result, src = operand */
    CC_SHLD = 52,    /* SHL/SHLD: dst = result, src = operand shifted by count-1, src2 = operand; OF as for the first step */
    CC_COUNT = 56,
};

static inline unsigned cc_size_log(unsigned bytes)
{
    return bytes == 8 ? 3 : bytes == 4 ? 2 : bytes == 2 ? 1 : 0;
}

static inline void cc_set(cpu_t *cpu, unsigned op, uint64_t dst, uint64_t src)
{
    cpu->cc_op = op;
    cpu->cc_dst = dst;
    cpu->cc_src = src;
}

static inline void cc_set3(cpu_t *cpu, unsigned op, uint64_t dst, uint64_t src, uint64_t src2)
{
    cpu->cc_op = op;
    cpu->cc_dst = dst;
    cpu->cc_src = src;
    cpu->cc_src2 = src2;
}

/* The six arithmetic flags, in their RFLAGS positions. */
uint32_t cc_compute(const cpu_t *cpu);
/* Only CF (0 or 1), cheaper than cc_compute. */
unsigned cc_carry(const cpu_t *cpu);

/* Fold the lazy flags into cpu->rflags (cc_op becomes CC_EFLAGS). */
static inline void cc_materialize(cpu_t *cpu)
{
    if (cpu->cc_op != CC_EFLAGS) {
        cpu->rflags = (cpu->rflags & ~(uint64_t)F_ARITH) | cc_compute(cpu);
        cpu->cc_op = CC_EFLAGS;
    }
}

/* Set the arithmetic flags in `mask` to the bits of `val`; the others keep
 * their current values. */
static inline void cc_write(cpu_t *cpu, uint32_t mask, uint32_t val)
{
    cc_materialize(cpu);
    cpu->rflags = (cpu->rflags & ~(uint64_t)mask) | (val & mask);
}

/* Condition codes tttn as in Jcc/SETcc/CMOVcc (SDM Vol.1 Appendix B). */
bool cc_cond(const cpu_t *cpu, unsigned cond);

/* Parity of the low byte: PF set when the number of 1 bits is even. */
static inline uint32_t cc_parity(uint64_t v)
{
    return (__builtin_popcount((unsigned)(v & 0xff)) & 1) ? 0 : F_PF;
}

#endif
