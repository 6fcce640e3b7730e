/* Private interface between the decoder tables and the instruction groups:
 * one selector per opcode family, and the small helpers every handler uses. */
#ifndef XENEMU_CPU_OPS_H
#define XENEMU_CPU_OPS_H

#include "xenemu/flags.h"
#include "xenemu/insn.h"
#include "xenemu/mmu.h"

/* ---- selectors, by the file that owns them ---- */

/* alu.c */
void sel_alu(dctx_t *d, insn_t *in);         /* 00-3D arithmetic/logic patterns */
void sel_grp1(dctx_t *d, insn_t *in);        /* 80, 81, 83 */
void sel_test(dctx_t *d, insn_t *in);        /* 84, 85, A8, A9 */
void sel_incdec_r(dctx_t *d, insn_t *in);    /* 40-4F outside 64-bit mode */
void sel_grp3(dctx_t *d, insn_t *in);        /* F6, F7 */
void sel_grp4(dctx_t *d, insn_t *in);        /* FE */
void sel_grp5(dctx_t *d, insn_t *in);        /* FF */
void sel_bcd(dctx_t *d, insn_t *in);         /* 27 2F 37 3F D4 D5 */

/* datamov.c */
void sel_mov(dctx_t *d, insn_t *in);         /* 88-8B, A0-A3, B0-BF, C6, C7 */
void sel_mov_sreg(dctx_t *d, insn_t *in);    /* 8C, 8E */
void sel_lea(dctx_t *d, insn_t *in);         /* 8D */
void sel_xchg(dctx_t *d, insn_t *in);        /* 86, 87, 90-97 */
void sel_push(dctx_t *d, insn_t *in);        /* 50-57, 68, 6A */
void sel_pop(dctx_t *d, insn_t *in);         /* 58-5F, 8F */
void sel_push_sreg(dctx_t *d, insn_t *in);   /* 06 0E 16 1E, 0F A0 A8 */
void sel_pop_sreg(dctx_t *d, insn_t *in);    /* 07 17 1F, 0F A1 A9 */
void sel_pusha(dctx_t *d, insn_t *in);       /* 60, 61 */
void sel_convert(dctx_t *d, insn_t *in);     /* 98, 99 */
void sel_flagops(dctx_t *d, insn_t *in);     /* 9E 9F F5 F8 F9 FC FD */
void sel_pushf(dctx_t *d, insn_t *in);       /* 9C, 9D */
void sel_movx(dctx_t *d, insn_t *in);        /* 0F B6 B7 BE BF, 63 */
void sel_cmov(dctx_t *d, insn_t *in);        /* 0F 40-4F */
void sel_setcc(dctx_t *d, insn_t *in);       /* 0F 90-9F */
void sel_xadd(dctx_t *d, insn_t *in);        /* 0F C0, C1 */
void sel_cmpxchg(dctx_t *d, insn_t *in);     /* 0F B0, B1 */
void sel_grp9(dctx_t *d, insn_t *in);        /* 0F C7 */
void sel_bswap(dctx_t *d, insn_t *in);       /* 0F C8-CF */
void sel_nop(dctx_t *d, insn_t *in);         /* 90 (PAUSE with F3), 0F 18-1F hints */
void sel_xlat(dctx_t *d, insn_t *in);        /* D7 */
void sel_enter_leave(dctx_t *d, insn_t *in); /* C8, C9 */
void sel_lxs(dctx_t *d, insn_t *in);         /* C4 C5 (outside 64-bit), 0F B2 B4 B5 */
void sel_bound_arpl(dctx_t *d, insn_t *in);  /* 62, 63 outside 64-bit mode */

/* branch.c */
void sel_jcc(dctx_t *d, insn_t *in);         /* 70-7F, 0F 80-8F */
void sel_jmp(dctx_t *d, insn_t *in);         /* E9, EB */
void sel_call(dctx_t *d, insn_t *in);        /* E8 */
void sel_ret(dctx_t *d, insn_t *in);         /* C2, C3 */
void sel_loop(dctx_t *d, insn_t *in);        /* E0-E3 */
void branch_sel_indirect(dctx_t *d, insn_t *in); /* FF /2 /4 via grp5 */

/* shift.c */
void sel_grp2(dctx_t *d, insn_t *in);        /* C0 C1 D0-D3 */
void sel_shxd(dctx_t *d, insn_t *in);        /* 0F A4 A5 AC AD */

/* muldiv.c */
void sel_imul(dctx_t *d, insn_t *in);        /* 0F AF, 69, 6B */
void muldiv_grp3(dctx_t *d, insn_t *in);     /* F6/F7 /4-/7, called by sel_grp3 */

/* bitops.c */
void sel_bt(dctx_t *d, insn_t *in);          /* 0F A3 AB B3 BB */
void sel_grp8(dctx_t *d, insn_t *in);        /* 0F BA */
void sel_bsf_bsr(dctx_t *d, insn_t *in);     /* 0F BC BD (TZCNT/LZCNT with F3) */
void sel_popcnt(dctx_t *d, insn_t *in);      /* 0F B8 */
void sel_movbe_crc32(dctx_t *d, insn_t *in); /* 0F38 F0 F1 */
void sel_adx(dctx_t *d, insn_t *in);         /* 0F38 F6 */
void sel_vex_gpr(dctx_t *d, insn_t *in);     /* VEX-encoded BMI1/BMI2 */

/* string.c */
void sel_string(dctx_t *d, insn_t *in);      /* A4-A7 AA-AF, 6C-6F */

/* system.c, segment.c, cpuid.c: system and far-transfer instructions */
void sel_far(dctx_t *d, insn_t *in);         /* 9A, EA, CA, CB, CF, FF /3 /5 via grp5 */
void sel_int(dctx_t *d, insn_t *in);         /* CC CD CE F1 */
void sel_io(dctx_t *d, insn_t *in);          /* E4-E7 EC-EF */
void sel_hlt(dctx_t *d, insn_t *in);         /* F4 */
void sel_monitor_mwait(dctx_t *d, insn_t *in); /* 0F 01 C8, C9 (monitor.c) */
void sel_cli_sti(dctx_t *d, insn_t *in);     /* FA FB */
void sel_grp6(dctx_t *d, insn_t *in);        /* 0F 00 */
void sel_grp7(dctx_t *d, insn_t *in);        /* 0F 01 */
void sel_lar_lsl(dctx_t *d, insn_t *in);     /* 0F 02 03 */
void sel_sys0f(dctx_t *d, insn_t *in);       /* 0F 05-09 0B 0D 20-23 30-35 A2 AA */
void sel_grp15(dctx_t *d, insn_t *in);       /* 0F AE */

/* src/vmx/vmx_insn.c: the VMX instructions (SDM Vol.3C ch.31). */
void sel_vmx_grp7(dctx_t *d, insn_t *in);    /* 0F 01 C1-C4: VMCALL VMLAUNCH VMRESUME VMXOFF */
void sel_vmread_vmwrite(dctx_t *d, insn_t *in); /* 0F 78, 0F 79 */
void sel_vmx_grp9(dctx_t *d, insn_t *in);    /* 0F C7 /6 /7 memory: VMPTRLD VMCLEAR VMXON VMPTRST */
void sel_vmx_inv(dctx_t *d, insn_t *in);     /* 66 0F 38 80 INVEPT, 81 INVVPID */
void sel_invpcid(dctx_t *d, insn_t *in);     /* 66 0F 38 82 INVPCID (privileged.c) */

/* Segment-register loads with the checks of SDM Vol.3A §5.4-5.10 (real
 * mode: base = selector << 4). Raises #GP/#SS/#NP as the ISA says. */
void seg_load(cpu_t *cpu, int seg, uint16_t sel);

/* io.c: port I/O for IN/OUT and INS/OUTS (SDM Vol.1 §19.5). */
/* May the current context access `size` bytes at `port`: CPL <= IOPL
 * outside VM86, else the TSS I/O permission bitmap. Callers raise #GP(0). */
bool io_permitted(cpu_t *cpu, uint16_t port, unsigned size);
/* Read/write 1, 2 or 4 bytes on the port bus; an unclaimed port reads as
 * all ones and drops writes. No permission check. */
uint32_t io_in(cpu_t *cpu, uint16_t port, unsigned size);
void io_out(cpu_t *cpu, uint16_t port, unsigned size, uint32_t val);

/* interrupt.c: deliver an event through the IVT/IDT from inside a handler
 * (INT n, INT3, INTO, INT1) or for an injected interrupt. */
enum ev_kind {
    EV_EXC,     /* processor exception (EXT = 1, error code if the vector has one) */
    EV_EXTINT,  /* external interrupt or NMI (EXT = 1, no error code) */
    EV_SOFT,    /* INT n, INT3, INTO: gate DPL checked, EXT = 0 */
    EV_ICEBP,   /* INT1: like a hardware #DB, no DPL check */
};
void cpu_deliver_event(cpu_t *cpu, int vector, enum ev_kind kind, uint32_t error_code);


/* msr.c: RDMSR/WRMSR; false means #GP(0). */
bool msr_read(cpu_t *cpu, uint32_t index, uint64_t *val);
bool msr_write(cpu_t *cpu, uint32_t index, uint64_t val);
/* Instructions retired so far, exact inside a block (cpu_tsc derives
 * the TSC from it). */
uint64_t cpu_retired(const cpu_t *cpu);

/* x87.c */
void sel_x87(dctx_t *d, insn_t *in);         /* D8-DF */

/* sse*.c, mmx.c */
void sel_sse(dctx_t *d, insn_t *in);         /* 0F-map SSE/MMX opcodes */
void sel_sse38(dctx_t *d, insn_t *in);       /* 0F38 map except F0 F1 F6 */
void sel_sse3a(dctx_t *d, insn_t *in);       /* 0F3A map */

/* ---- operand helpers for handlers ---- */

static inline uint64_t size_mask(unsigned bytes)
{
    return bytes == 8 ? ~0ull : (1ull << (bytes * 8)) - 1;
}

static inline uint64_t sign_bit(unsigned bytes)
{
    return 1ull << (bytes * 8 - 1);
}

static inline int64_t sext(uint64_t v, unsigned bytes)
{
    unsigned sh = 64 - bytes * 8;
    return (int64_t)(v << sh) >> sh;
}

/* Read a general register at an operand size (byte registers by offset). */
static inline uint64_t gpr_get(const cpu_t *cpu, uint8_t r, unsigned bytes)
{
    switch (bytes) {
    case 1: return ((const uint8_t *)cpu->r)[r];
    case 2: return (uint16_t)cpu->r[r];
    case 4: return (uint32_t)cpu->r[r];
    default: return cpu->r[r];
    }
}

/* Write with x86-64 merge rules: 32-bit writes zero the upper half, 8- and
 * 16-bit writes keep the rest (SDM Vol.1 §3.4.1.1). */
static inline void gpr_set(cpu_t *cpu, uint8_t r, unsigned bytes, uint64_t v)
{
    switch (bytes) {
    case 1: ((uint8_t *)cpu->r)[r] = (uint8_t)v; break;
    case 2: cpu->r[r] = (cpu->r[r] & ~0xffffull) | (uint16_t)v; break;
    case 4: cpu->r[r] = (uint32_t)v; break;
    default: cpu->r[r] = v; break;
    }
}

/* The ModRM r/m operand: register or memory. */
static inline uint64_t rm_get(cpu_t *cpu, const insn_t *in, unsigned bytes)
{
    if (in->flags & INF_MEM)
        return mmu_read(cpu, in->seg, insn_ea(cpu, in), bytes);
    return gpr_get(cpu, in->rm, bytes);
}

static inline void rm_set(cpu_t *cpu, const insn_t *in, unsigned bytes, uint64_t v)
{
    if (in->flags & INF_MEM)
        mmu_write(cpu, in->seg, insn_ea(cpu, in), v, bytes);
    else
        gpr_set(cpu, in->rm, bytes, v);
}

/* Stack helpers honour the stack-address size (SS.B or 64-bit mode). */
void stack_push(cpu_t *cpu, uint64_t v, unsigned bytes);
uint64_t stack_pop(cpu_t *cpu, unsigned bytes);
/* Read the stack slot `offset` bytes above the stack pointer. */
uint64_t stack_peek(cpu_t *cpu, unsigned offset, unsigned bytes);
/* Address of RSP + offset, wrapped to the stack-address size. */
uint64_t stack_addr(const cpu_t *cpu, int64_t offset);
/* Move the stack pointer, keeping the bits the stack size does not use. */
void stack_adjust(cpu_t *cpu, int64_t delta);

/* Set RIP to a branch target, truncated to the operand size; #GP(0) when
 * it is not canonical (64-bit) or beyond the CS limit (SDM Vol.2 JMP). */
void branch_to(cpu_t *cpu, uint64_t target, unsigned opsz);

/* Selectors set opsz-dependent handlers from tables indexed by size log. */
static inline unsigned opsz_log(const insn_t *in)
{
    return in->opsz == 8 ? 3 : in->opsz == 4 ? 2 : in->opsz == 2 ? 1 : 0;
}

#endif
