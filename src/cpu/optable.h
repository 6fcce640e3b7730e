/* Opcode tables: for every opcode of each map, how its bytes are laid out
 * (ModRM, immediates) and which selector picks its handler. */
#ifndef XENEMU_CPU_OPTABLE_H
#define XENEMU_CPU_OPTABLE_H

#include "ops.h"

enum {
    OF_MODRM = 1u << 0,
    OF_IMM8 = 1u << 1,      /* 8-bit immediate */
    OF_IMMZ = 1u << 2,      /* 16 or 32 bits by operand size (sign-extended to 64) */
    OF_IMMV = 1u << 3,      /* 16, 32 or 64 bits by operand size (MOV r, imm) */
    OF_IMM16 = 1u << 4,     /* 16-bit immediate (RET imm16; with IMM8 it is ENTER) */
    OF_MOFFS = 1u << 5,     /* address-size offset (A0-A3) */
    OF_FAR = 1u << 6,       /* ptr16:16/32 (9A, EA) */
    OF_BYTE = 1u << 7,      /* 8-bit operands */
    OF_DEF64 = 1u << 8,     /* 64-bit operand size by default in 64-bit mode */
    OF_F64 = 1u << 9,       /* always 64-bit operands in 64-bit mode (near branches) */
    OF_INV64 = 1u << 10,    /* #UD in 64-bit mode */
    OF_END = 1u << 11,      /* ends a predecoded block */
    OF_GRP3 = 1u << 12,     /* F6/F7: immediate only for /0 and /1 */
    OF_LOCK = 1u << 13,     /* LOCK allowed with a memory destination */
    OF_LOCKSEL = 1u << 14,  /* the selector decides whether LOCK is allowed */
    OF_RMBYTE = 1u << 15,   /* r/m operand is a byte register even though opsz is not */
};

typedef struct opent {
    uint16_t f;
    insn_sel sel;
} opent_t;

extern const opent_t optab_1b[256];
extern const opent_t optab_0f[256];
extern const opent_t optab_0f38[256];
extern const opent_t optab_0f3a[256];

#endif
