/* The predecoded instruction form (DESIGN.md, "Decode once") and the decoder
 * interface that instruction groups plug into. */
#ifndef XENEMU_INSN_H
#define XENEMU_INSN_H

#include <stdbool.h>
#include <stdint.h>

#include "xenemu/cpu.h"

typedef struct insn insn_t;
typedef void (*insn_fn)(cpu_t *cpu, const insn_t *in);

/* insn.flags */
enum {
    INF_MEM = 1u << 0,     /* ModRM names a memory operand (mod != 3) */
    INF_LOCK = 1u << 1,    /* F0 prefix */
    INF_REP = 1u << 2,     /* F3 on a string instruction */
    INF_REPNE = 1u << 3,   /* F2 on a string instruction */
    INF_REXW = 1u << 4,
    INF_REX = 1u << 5,     /* any REX prefix: SPL/BPL/SIL/DIL instead of AH..BH */
    INF_VEX = 1u << 6,
    INF_END = 1u << 7,     /* ends a predecoded block */
};

/* Opcode maps. */
enum { MAP_1B, MAP_0F, MAP_0F38, MAP_0F3A };

/* Mandatory-prefix classes for 0F-map SSE instructions (SDM Vol.2 §2.1.2). */
enum { PFX_NONE, PFX_66, PFX_F3, PFX_F2 };

/* One decoded instruction. Handlers run with cpu->r[R_RIP] already pointing
 * at the next instruction. */
struct insn {
    insn_fn fn;
    uint64_t imm;          /* immediate (sign-extended where the ISA says so) */
    int32_t disp;          /* displacement; RIP-relative uses base R_RIP */
    uint16_t imm2;         /* second immediate: ENTER level, far-pointer selector */
    uint8_t len;           /* bytes */
    uint8_t opsz;          /* operand size in bytes: 1, 2, 4, 8 */
    uint8_t adsz;          /* address size in bytes: 2, 4, 8 */
    uint8_t reg;           /* ModRM.reg with REX.R; byte offset into cpu->r for byte operands */
    uint8_t rm;            /* ModRM.rm with REX.B when mod == 3; byte offset for byte operands */
    uint8_t base;          /* R_ZERO if none, R_RIP for RIP-relative */
    uint8_t index;         /* R_ZERO if none */
    uint8_t scale;         /* shift count 0..3 */
    uint8_t seg;           /* segment of the memory operand (SEG_*) */
    uint8_t flags;         /* INF_* */
    uint8_t op;            /* opcode byte in its map */
    uint8_t map;           /* MAP_* */
    uint8_t vreg;          /* VEX.vvvv register (inverted back), or 0 */
    uint8_t pfx;           /* PFX_* mandatory prefix of 0F-map instructions */
    uint8_t modrm;         /* raw ModRM byte (0 if none) */
    uint8_t aux;           /* free for the group's selector */
};

/* Byte offset of an 8-bit register inside cpu->r: without REX, numbers 4-7
 * are AH, CH, DH, BH (SDM Vol.2 §3.1.1.1). */
static inline uint8_t reg8_offset(unsigned n, bool rex)
{
    if (!rex && n >= 4 && n < 8)
        return (uint8_t)((n - 4) * 8 + 1);
    return (uint8_t)(n * 8);
}

static inline uint8_t *reg8_ptr(cpu_t *cpu, uint8_t off)
{
    return (uint8_t *)cpu->r + off;
}

/* Effective address of the memory operand (SDM Vol.1 §3.7.5), truncated to
 * the address size. */
static inline uint64_t insn_ea(const cpu_t *cpu, const insn_t *in)
{
    uint64_t ea = cpu->r[in->base] + (cpu->r[in->index] << in->scale) + (uint64_t)(int64_t)in->disp;
    if (__builtin_expect(in->adsz == 8, 1))
        return ea;
    return in->adsz == 4 ? (uint32_t)ea : (uint16_t)ea;
}

/* Decoder state while one instruction is being decoded; selectors read it to
 * choose a handler. */
typedef struct dctx {
    cpu_t *cpu;
    uint8_t mode;          /* CM_* */
    uint8_t rex;           /* 0 or 0x40..0x4f */
    uint8_t rep;           /* 0, 0xF2 or 0xF3 (last one seen) */
    bool opsz_pfx;         /* 66 seen */
    bool adsz_pfx;         /* 67 seen */
    bool lock;
    int seg_override;      /* SEG_* or -1 */
    bool vex;
    uint8_t vex_l, vex_w, vex_pp, vex_mmmmm, vreg;
    uint8_t mod, regf, rmf; /* ModRM fields without REX extension */
    bool has_modrm;
} dctx_t;

/* A group's selector picks in->fn (and may adjust fields) once the bytes are
 * decoded; it sets insn_ud for an undefined form. */
typedef void (*insn_sel)(dctx_t *d, insn_t *in);

/* Handler that raises #UD; used for every undefined encoding. */
void insn_ud(cpu_t *cpu, const insn_t *in);

/* Decode one instruction from bytes[0..avail). Returns its length, or 0 if
 * more bytes are needed (avail too short), or -1 if longer than 15 bytes
 * (#GP, SDM Vol.2 §2.3.11). in->fn is always set. */
int insn_decode(cpu_t *cpu, const uint8_t *bytes, unsigned avail, insn_t *in);

/* True if the instruction ends a predecoded block (changes RIP or mode). */
bool insn_ends_block(const insn_t *in);

#endif
