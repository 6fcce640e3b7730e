/* Inline condition evaluation for the hot branch handlers: the operations
 * that usually precede a Jcc/SETcc/CMOVcc (CMP/SUB, TEST/logic, INC/DEC,
 * ADD at 32 and 64 bits) are answered from the recorded operands without
 * computing the flags; everything else goes to cc_cond. */
#ifndef XENEMU_CPU_COND_H
#define XENEMU_CPU_COND_H

#include "ops.h"

#define COND_SUB(T, ST)                                                         \
    static inline __attribute__((always_inline)) int cond_sub_##T(T res, T src, unsigned cond) \
    {                                                                           \
        T a = (T)(res + src);                                                   \
        switch (cond >> 1) {                                                    \
        case 1: return a < src;                                                 \
        case 2: return res == 0;                                                \
        case 3: return a <= src;                                                \
        case 4: return (ST)res < 0;                                             \
        case 6: return (ST)a < (ST)src;                                         \
        case 7: return (ST)a <= (ST)src;                                        \
        default: return -1;                                                     \
        }                                                                       \
    }

COND_SUB(uint8_t, int8_t)
COND_SUB(uint16_t, int16_t)
COND_SUB(uint32_t, int32_t)
COND_SUB(uint64_t, int64_t)

/* After logic operations CF = OF = 0. */
static inline __attribute__((always_inline)) int cond_logic(int64_t res, unsigned cond)
{
    switch (cond >> 1) {
    case 0: case 1: return 0;
    case 2: case 3: return res == 0;
    case 4: case 6: return res < 0;
    case 7: return res <= 0;
    default: return -1;
    }
}

/* ZF and SF from the result alone. */
static inline __attribute__((always_inline)) int cond_zs(int64_t res, unsigned cond)
{
    switch (cond >> 1) {
    case 2: return res == 0;
    case 4: return res < 0;
    default: return -1;
    }
}

static inline __attribute__((always_inline)) bool cc_cond_fast(const cpu_t *cpu, unsigned cond)
{
    int r;
    switch (cpu->cc_op) {
    case CC_SUB + 0: r = cond_sub_uint8_t((uint8_t)cpu->cc_dst, (uint8_t)cpu->cc_src, cond); break;
    case CC_SUB + 1: r = cond_sub_uint16_t((uint16_t)cpu->cc_dst, (uint16_t)cpu->cc_src, cond); break;
    case CC_SUB + 2: r = cond_sub_uint32_t((uint32_t)cpu->cc_dst, (uint32_t)cpu->cc_src, cond); break;
    case CC_SUB + 3: r = cond_sub_uint64_t(cpu->cc_dst, cpu->cc_src, cond); break;
    case CC_LOGIC + 0: r = cond_logic((int8_t)cpu->cc_dst, cond); break;
    case CC_LOGIC + 2: r = cond_logic((int32_t)cpu->cc_dst, cond); break;
    case CC_LOGIC + 3: r = cond_logic((int64_t)cpu->cc_dst, cond); break;
    case CC_ADD + 2: case CC_INC + 2: case CC_DEC + 2: r = cond_zs((int32_t)cpu->cc_dst, cond); break;
    case CC_ADD + 3: case CC_INC + 3: case CC_DEC + 3: r = cond_zs((int64_t)cpu->cc_dst, cond); break;
    default: r = -1; break;
    }
    if (r < 0)
        return cc_cond(cpu, cond);
    return (bool)(r ^ (int)(cond & 1));
}

#endif
