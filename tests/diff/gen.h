/* Instruction generator of the differential tester: table-driven forms,
 * random states, and the encoder that ties them together. */
#ifndef XENEMU_DIFF_GEN_H
#define XENEMU_DIFF_GEN_H

#include <stdbool.h>
#include <stdint.h>

#include "diffstate.h"

/* ---- PRNG: xoshiro256** seeded through splitmix64 ---- */

struct xrng {
    uint64_t s[4];
};

void xrng_seed(struct xrng *r, uint64_t seed, uint64_t stream);
uint64_t xrng_next(struct xrng *r);

/* ---- flags ---- */

#define FL_CF 0x0001u
#define FL_PF 0x0004u
#define FL_AF 0x0010u
#define FL_ZF 0x0040u
#define FL_SF 0x0080u
#define FL_TF 0x0100u
#define FL_IF 0x0200u
#define FL_DF 0x0400u
#define FL_OF 0x0800u
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

/* ---- forms ---- */

enum gen_map { MAP_1, MAP_0F, MAP_0F38, MAP_0F3A };

/* ModRM use */
enum gen_rm {
    RM_NONE,    /* no ModRM byte */
    RM_BOTH,    /* register or memory operand */
    RM_MEM,     /* memory only (mod=3 is some other instruction or #UD) */
    RM_REG,     /* register only */
    RM_OPREG,   /* register in the low 3 opcode bits (50+r, B8+r, ...) */
};

#define REG_GPR (-1)   /* ModRM.reg is a general register operand */

/* operand sizes a form allows */
#define OS8 1u
#define OS16 2u
#define OS32 4u
#define OS64 8u
#define OSV (OS16 | OS32 | OS64)

/* immediates */
enum gen_imm { IMM_NONE, IMM_8, IMM_16, IMM_32, IMM_Z /* operand size, at most 32 bits */, IMM_V /* operand size */ };

/* form flags */
#define F_LOCK      0x0001u  /* LOCK is valid with a memory operand */
#define F_DEF64     0x0002u  /* default operand size 64 (stack ops, near branches) */
#define F_REPIGN    0x0004u  /* F2/F3 are ignored: may be added at random */
#define F_STACK     0x0008u  /* uses RSP: keep it inside the data pages */
#define F_NOACCESS  0x0010u  /* memory operand is not accessed (LEA, NOP, prefetch) */
#define F_INVALID   0x0020u  /* the whole form is expected to raise #UD */
#define F_CS_SKIP   0x0040u  /* Capstone 4 does not decode this form: skip in --capstone-check */
#define F_NOSEG     0x0080u  /* no random segment override prefixes */
#define F_NO66      0x0100u  /* no random ignored 66 prefix */
#define F_REGNOADDR 0x0200u  /* the ModRM.reg register must not address the memory operand */
#define F_NOLOCKUD  0x0400u  /* do not try a LOCK prefix that should #UD */
#define F_NOREX     0x1000u  /* no random REX */
#define F_W64       0x2000u  /* always REX.W */
#define F_MOD3UD    0x4000u  /* memory-only form whose mod=3 encoding is #UD: try it sometimes */
#define F_CC        0x8000u  /* opcode + random condition code 0..15 (Jcc, SETcc, CMOVcc) */
#define F_LOCKED   0x10000u  /* locked without a prefix (XCHG with memory) */
#define F_FPTOL    0x20000u  /* x87 transcendental: st0-st7 within 1 ulp, FSW.C1 not compared (main.c) */
#define F_NOEND    0x20000u  /* never at the page end: the host decodes more bytes than the model */

/* state a form reads besides its explicit operands; every case randomizes
 * all state anyway, these steer the generator and the verbose dump */
#define D_FLAGS 0x01u   /* arithmetic flags (ADC, Jcc, CMOVcc, RCL, ...) */
#define D_DF    0x02u   /* direction flag: set it more often */
#define D_X87   0x04u   /* x87 registers, FCW/FSW/FTW: dumped */
#define D_MMX   0x08u   /* MMX registers: dumped */
#define D_SSE   0x10u   /* XMM registers: dumped */
#define D_MXCSR 0x20u   /* MXCSR */
#define D_GS    0x40u   /* GS base */

struct gen;

struct form {
    const char *name;
    uint8_t map;        /* enum gen_map */
    uint8_t op;
    int8_t reg;         /* ModRM.reg: 0..7 a fixed /digit, REG_GPR a register */
    uint8_t rm;         /* enum gen_rm */
    uint8_t osz;        /* OS8 and/or a set of OS16/OS32/OS64; OS8 with others:
                         * the byte form is op, the others op|1 (the "w" bit) */
    uint8_t imm;        /* enum gen_imm */
    uint8_t mprefix;    /* mandatory prefix 0x66, 0xF2, 0xF3, or 0 */
    uint8_t msize;      /* memory access size in bytes if not the operand size; 0 = operand size */
    uint32_t flags;     /* F_* */
    uint32_t undef;     /* rflags bits the SDM leaves undefined */
    uint32_t deps;      /* D_* */
    /* hooks, all optional */
    void (*setup)(struct gen *g);     /* before operands: pin implicit registers */
    void (*post)(struct gen *g);      /* after placement: shape values, branch displacements */
    void (*undef_fn)(struct gen *g);  /* operand-dependent undefined state */
    void (*encode)(struct gen *g);    /* replaces the whole generic encoder */
    intptr_t arg;       /* free for the hooks */
    const uint8_t *bytes;   /* free for the hooks: byte lists */
};

struct form_set {
    const char *file;
    const struct form *forms;
    unsigned count;
};

/* Every file of forms: adding a file gen_foo.c that defines
 * `const struct form_set gen_foo_forms` means adding one line here. */
#define DIFF_FORM_SETS(X) \
    X(gen_int_forms) \
    X(gen_sse_forms) \
    X(gen_x87_forms)

#define X(s) extern const struct form_set s;
DIFF_FORM_SETS(X)
#undef X

/* ---- one case being generated ---- */

struct gen {
    struct xrng *r;
    const struct form *f;
    struct diff_state *st;

    /* encoding */
    uint8_t b[32];
    unsigned len;
    unsigned code_off;
    unsigned op_off;            /* offset of the first opcode byte */

    /* choices made by the encoder, for the hooks */
    unsigned osz;               /* operand size in bytes */
    unsigned asz;               /* address size: 4 or 8 */
    bool p66, p67, lock, rex;   /* prefixes present */
    uint8_t rexbits;            /* W R X B as in the REX byte (low 4 bits) */
    uint8_t rep;                /* 0, 0xF2 or 0xF3 */
    uint8_t seg;                /* segment prefix byte or 0 */
    bool has_modrm;
    uint8_t modrm;
    int reg;                    /* ModRM.reg operand register 0..15 (or /digit) */
    int rmreg;                  /* register operand when mod=3 (or opcode register), else -1 */
    bool mem;                   /* memory operand present */
    bool byteregs_rex;          /* REX present: byte regs 4..7 are SPL..DIL */
    uint64_t ea;                /* linear address of the memory operand */
    unsigned msize;             /* its access size */
    int base, index;            /* addressing registers or -1 */
    bool riprel;
    int disp_off, disp_size;    /* in b[] */
    int imm_off, imm_size;
    uint64_t imm;               /* as encoded (not sign-extended) */
    int rel_off, rel_size;      /* branch displacement in b[], for fixup */
    uint64_t target;            /* branch target chosen by the form */
    int64_t ea_adjust;          /* hooks: access is at EA + ea_adjust (BT with a register offset) */
    unsigned align;             /* hooks: prefer memory operands aligned to this */
    bool no_split;              /* locked access: must not cross a cache line in the data pages */
    int vreg;                   /* VEX.vvvv register */
    bool unsafe;                /* generator bug guard: never run natively */

    uint16_t pinned;            /* registers whose values hooks set; addressing must not touch them */
    uint16_t addr_regs;         /* registers the memory operand depends on */
    uint16_t avoid_addr;        /* registers the memory operand must not use */

    /* results for the tester */
    bool invalid;               /* not a valid instruction: skipped by --capstone-check */
    bool cs_skip;
    uint32_t undef_flags;
    uint16_t undef_gpr;         /* registers whose value is undefined after the instruction */
    uint64_t undef_mem_addr;    /* linear range whose contents are undefined */
    unsigned undef_mem_len;
};

/* Random numbers. */
static inline uint64_t rnd(struct gen *g) { return xrng_next(g->r); }
static inline uint64_t rndn(struct gen *g, uint64_t n) { return n ? xrng_next(g->r) % n : 0; }
static inline bool chance(struct gen *g, unsigned pct) { return rndn(g, 100) < pct; }
uint64_t gen_value(struct gen *g, unsigned size);   /* "interesting" value of size bytes */
uint64_t gen_code_target(struct gen *g);            /* branch target: mostly in the code page */

/* Registers and memory of the input state. */
bool gen_set_gpr(struct gen *g, int r, uint64_t v);     /* refused when r addresses memory */
void gen_pin(struct gen *g, int r, uint64_t v);         /* set before the operands are generated */
uint64_t gen_reg_read(struct gen *g, int r, unsigned size);  /* honours AH..BH */
bool gen_reg_write(struct gen *g, int r, unsigned size, uint64_t v);
void gen_mem_write(struct gen *g, uint64_t addr, uint64_t v, unsigned size);  /* bytes outside the data pages are dropped */
uint64_t gen_mem_read(struct gen *g, uint64_t addr, unsigned size);
bool gen_rm_write(struct gen *g, uint64_t v);           /* the r/m operand, register or memory */
uint64_t gen_rm_read(struct gen *g);
uint64_t gen_stack_addr(struct gen *g, unsigned room);  /* an RSP value, mostly with room below and above */
uint64_t gen_data_addr(struct gen *g, unsigned size);   /* a linear address for an access of size bytes */
bool gen_addr_safe(uint64_t a, uint64_t size);          /* cannot touch the worker's own memory */

/* Encoder pieces, for forms with their own encode hook. */
void gen_byte(struct gen *g, uint8_t v);
void gen_imm_bytes(struct gen *g, uint64_t v, unsigned n);
void gen_operands(struct gen *g);      /* choose ModRM operands (register or memory) as the form says */
void gen_emit_modrm(struct gen *g);    /* emit ModRM, SIB, displacement for them */
void gen_legacy_prefixes(struct gen *g, uint8_t mandatory);
void gen_generic(struct gen *g);   /* the table-driven encoder */
void gen_mark_invalid(struct gen *g);

/* ---- the driver ---- */

struct gen_case {
    const struct form *form;
    unsigned form_index;        /* in gen_form() numbering */
    uint8_t code[32];
    unsigned len, code_off;
    bool invalid, cs_skip, unsafe;
    bool has_mem;               /* a ModRM or moffs memory operand at... */
    uint64_t mem_linear;        /* ...this linear address (segment base + EA) */
    uint32_t deps;              /* the form's D_* */
    uint32_t undef_flags;
    uint16_t undef_gpr;
    uint64_t undef_mem_addr;
    unsigned undef_mem_len;
};

bool gen_init(uint64_t seed, const char *filter);  /* false: no form matches */
unsigned gen_form_count(void);                     /* after the filter */
const struct form *gen_form(unsigned i);
void gen_list_forms(void);
/* Case number idx of the run: deterministic in (seed, filter, idx). */
void gen_case(uint64_t idx, struct diff_state *st, struct gen_case *out);
/* One case of a given form, for --capstone-check. */
void gen_case_form(const struct form *f, uint64_t idx, struct diff_state *st, struct gen_case *out);

#endif
