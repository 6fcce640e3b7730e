/* The architectural state of one emulated x86-64 vCPU (Intel SDM Vol.1 ch.3,
 * Vol.3A ch.2) and the entry points that run it. */
#ifndef XENEMU_CPU_H
#define XENEMU_CPU_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "xenemu/lapic.h"

struct machine;
struct block;
struct vmx;
struct insn;

/* General-purpose register numbers as encoded in ModRM/REX. R_ZERO always
 * reads 0 and R_RIP aliases cpu->rip, so an effective address is always
 * r[base] + (r[index] << scale) + disp with no branches. */
enum {
    R_RAX, R_RCX, R_RDX, R_RBX, R_RSP, R_RBP, R_RSI, R_RDI,
    R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15,
    R_ZERO, R_RIP, R_NREGS
};

/* Segment registers in their instruction encoding (SDM Vol.2 §3.1.1.2). */
enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR, SEG_COUNT };

/* Segment access rights in the VMCS layout (SDM Vol.3C §25.4.1, Table 25-2),
 * so VM entry and exit copy them unchanged. */
enum {
    SEGA_TYPE = 0x000f, SEGA_S = 0x0010, SEGA_DPL_SHIFT = 5, SEGA_DPL = 0x0060,
    SEGA_P = 0x0080, SEGA_AVL = 0x1000, SEGA_L = 0x2000, SEGA_DB = 0x4000,
    SEGA_G = 0x8000, SEGA_UNUSABLE = 0x10000,
};

typedef struct seg {
    uint64_t base;
    uint32_t limit;     /* expanded byte limit (G already applied) */
    uint32_t attr;      /* SEGA_* */
    uint16_t sel;
} seg_t;

typedef struct dtr {
    uint64_t base;
    uint16_t limit;
} dtr_t;

/* RFLAGS bits (SDM Vol.1 §3.4.3). */
enum {
    F_CF = 1u << 0, F_PF = 1u << 2, F_AF = 1u << 4, F_ZF = 1u << 6,
    F_SF = 1u << 7, F_TF = 1u << 8, F_IF = 1u << 9, F_DF = 1u << 10,
    F_OF = 1u << 11, F_IOPL = 3u << 12, F_NT = 1u << 14, F_RF = 1u << 16,
    F_VM = 1u << 17, F_AC = 1u << 18, F_VIF = 1u << 19, F_VIP = 1u << 20,
    F_ID = 1u << 21,
    F_ARITH = F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF,
};

/* Control register bits used across layers (SDM Vol.3A §2.5). */
enum {
    CR0_PE = 1u << 0, CR0_MP = 1u << 1, CR0_EM = 1u << 2, CR0_TS = 1u << 3,
    CR0_ET = 1u << 4, CR0_NE = 1u << 5, CR0_WP = 1u << 16, CR0_AM = 1u << 18,
    CR0_NW = 1u << 29, CR0_CD = 1u << 30, CR0_PG = 1u << 31,
};
enum {
    CR4_VME = 1u << 0, CR4_PVI = 1u << 1, CR4_TSD = 1u << 2, CR4_DE = 1u << 3,
    CR4_PSE = 1u << 4, CR4_PAE = 1u << 5, CR4_MCE = 1u << 6, CR4_PGE = 1u << 7,
    CR4_PCE = 1u << 8, CR4_OSFXSR = 1u << 9, CR4_OSXMMEXCPT = 1u << 10,
    CR4_UMIP = 1u << 11, CR4_VMXE = 1u << 13, CR4_FSGSBASE = 1u << 16,
    CR4_PCIDE = 1u << 17, CR4_OSXSAVE = 1u << 18, CR4_SMEP = 1u << 20,
    CR4_SMAP = 1u << 21,
};
enum { EFER_SCE = 1u << 0, EFER_LME = 1u << 8, EFER_LMA = 1u << 10, EFER_NXE = 1u << 11 };

/* Exception vectors (SDM Vol.3A §6.3.1). */
enum {
    EXC_DE = 0, EXC_DB = 1, EXC_NMI = 2, EXC_BP = 3, EXC_OF = 4, EXC_BR = 5,
    EXC_UD = 6, EXC_NM = 7, EXC_DF = 8, EXC_TS = 10, EXC_NP = 11, EXC_SS = 12,
    EXC_GP = 13, EXC_PF = 14, EXC_MF = 16, EXC_AC = 17, EXC_MC = 18,
    EXC_XM = 19, EXC_VE = 20,
};

/* Code-segment mode the decoder works in. */
enum { CM_16, CM_32, CM_64 };

/* One x87 data register: 64-bit significand with explicit integer bit and
 * sign+15-bit exponent (SDM Vol.1 §4.2.2). MMX register i aliases sig of
 * physical register i (SDM Vol.1 §9.5). */
typedef struct x87reg {
    uint64_t sig;
    uint16_t se;
    uint16_t pad[3];
} x87reg_t;

typedef struct x87state {
    x87reg_t st[8];      /* physical registers R0..R7, not stack-relative */
    uint16_t fcw;
    uint16_t fsw;        /* TOP lives in bits 11-13 */
    uint16_t ftw;        /* full 2-bit-per-register tag word */
    uint16_t fop;
    uint64_t fip, fdp;   /* last instruction / operand pointers */
    uint16_t fcs, fds;
} x87state_t;

typedef union xmm {
    uint8_t b[16];
    uint16_t w[8];
    uint32_t d[4];
    uint64_t q[2];
} __attribute__((aligned(16))) xmm_t;

/* Why the run loop was left by a longjmp. */
enum cpu_unwind {
    UNWIND_NONE = 0,
    UNWIND_EXCEPTION,   /* the current instruction faulted; it did not retire */
    UNWIND_STOP_AFTER,  /* the current instruction retired; leave the block */
    UNWIND_STALE,       /* the current instruction's block was invalidated; it did not run */
    UNWIND_VMEXIT,      /* a VM exit replaced the guest state (src/vmx/vmexit.c) */
};

/* A pending exception raised by the current instruction. */
typedef struct cpu_exc {
    int vector;          /* -1: none */
    uint32_t error_code;
    bool has_error_code;
    uint64_t cr2;
} cpu_exc_t;

#define TLB_BITS 10
#define TLB_SIZE (1u << TLB_BITS)

/* Software TLB entry (DESIGN.md, "Software TLB"): one tag per access kind
 * so a single compare checks page and permission. A tag is the page-aligned
 * linear address, or TLB_INVALID when that access must take the slow path. */
typedef struct tlb_entry {
    uint64_t tag_r, tag_w, tag_x;
    uintptr_t addend;    /* host pointer = linear + addend */
    uint64_t phys;       /* page-aligned physical address */
    uint32_t global;     /* the mapping is global (survives CR3 writes) */
} tlb_entry_t;
#define TLB_INVALID (~0ull)

/* Tagged TLB (SDM Vol.3A §4.10.1, Vol.3C §29.1): each context caches the
 * translations of one (VPID, PCID, EP4TA) triple, so switching between
 * address spaces with PCIDs or VPIDs keeps them; contexts are recycled
 * least recently used first. */
#define TLB_CTXS 8
typedef struct tlb_ctx {
    uint64_t ep4ta;      /* EPT PML4 address of combined mappings; 0: linear mappings */
    uint16_t vpid, pcid;
    bool live;           /* may hold valid entries */
    uint64_t last_used;
    tlb_entry_t sets[2][TLB_SIZE];   /* [0] supervisor, [1] user */
} tlb_ctx_t;

typedef struct cpu {
    /* Hot state first. */
    uint64_t r[R_NREGS];           /* GPRs, zero, rip (see R_ZERO/R_RIP) */
    uint32_t cc_op;                /* lazy-flags operation (flags.h) */
    uint64_t cc_dst, cc_src, cc_src2;
    uint64_t rflags;               /* arithmetic bits valid only if cc_op == CC_EFLAGS */
    const struct insn *cur;        /* instruction being executed */
    tlb_entry_t *tlb;              /* tlb_cur->sets[] for the current CPL, or tlb_nofill */
    uint8_t code_mode;             /* CM_16/32/64 from CS and EFER.LMA */
    uint8_t cpl;
    uint8_t stack32;               /* SS.B: 32-bit stack pointer outside 64-bit mode */
    bool pending_events;           /* something to look at between blocks */
    uint32_t watch_flags;          /* RFLAGS bits that send the run loop to its slow path
                                      between blocks (TF, RF; IF while an interrupt waits;
                                      bit 1, always set in RFLAGS, while debugging) */
    uint64_t icount;               /* instructions retired */
    uint64_t stop_at;              /* leave the run loop when icount reaches this */
    uint64_t seg_lin_base[SEG_COUNT]; /* 64-bit mode: 0 except FS/GS (SDM Vol.3A §3.4.4) */
    uint32_t decode_key;           /* state the decoder baked into blocks (mode, CR0.TS/EM, CR4.OSFXSR...) */
    struct block *cur_block;

    seg_t seg[SEG_COUNT];
    dtr_t gdtr, idtr;
    uint64_t cr0, cr2, cr3, cr4, cr8, efer, xcr0;
    uint64_t dr[8];

    x87state_t fpu;
    xmm_t xmm[16];
    uint32_t mxcsr;

    /* MSRs without a dedicated home. */
    uint64_t star, lstar, cstar, sfmask, kernel_gs_base;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t tsc_aux, pat, tsc_offset;
    /* PAE PDPTE registers, loaded by MOV CR3 (and CR0/CR4 entering PAE
     * paging) for the CR3 value in pdpte_cr3 (SDM Vol.3A §4.4.1). */
    uint64_t pdpte[4];
    uint64_t pdpte_cr3;
    bool pdpte_valid;
    uint64_t spec_ctrl, feature_control;
    uint64_t misc_enable_x;        /* IA32_MISC_ENABLE xor its power-on value (msr.c) */
    uint64_t mtrr_def_type, mtrr_fixed[11], mtrr_var[16];   /* MTRRs: storage only */

    cpu_exc_t exc;
    bool deliver_exceptions;       /* deliver through the IDT/IVT (else stop with STOP_EXCEPTION) */
    uint16_t delivering;           /* 1 + vector of the exception being delivered, 0: none */
    uint64_t irq_shadow_end;       /* STI shadow: interrupts blocked while icount < this */
    enum cpu_unwind unwind;
    jmp_buf unwind_jmp;
    bool halted;
    bool nmi_blocked;              /* root mode: an NMI was delivered and no IRET since
                                      (SDM Vol.3A §6.7.1); non-root uses vmx->nmi_blocked */
    /* MONITOR/MWAIT (monitor.c; SDM Vol.3A §9.10.4): the armed 64-byte
     * line and the MWAIT wait, which like HLT ends between blocks (exec.c)
     * or when any store reaches the line (machine_monitor_written). */
    uint64_t monitor_line;         /* physical address of the monitored line */
    bool monitor_armed;            /* MONITOR armed it and no store hit it since */
    bool mwait;                    /* waiting in MWAIT */
    bool mwait_irq;                /* that MWAIT had ECX[0]: masked interrupts end it too */

    /* Run loop, interrupts and debugging (exec.c, lapic.c, debugregs.c). */
    uint64_t budget_end;           /* the caller's stop_at; stop_at may be lower (timer, shadow) */
    uint64_t db_shadow_end;        /* MOV SS/POP SS: debug traps held while icount < this */
    uint32_t db_hits;              /* DR6 B0-B3 of data breakpoints the current instruction hit */
    uint32_t db_pending;           /* DR6 bits of a #DB trap held by a MOV SS shadow */
    bool db_data;                  /* DR7 enables a data breakpoint: accesses take the slow path */
    uint8_t db_stepping;           /* one instruction at a time: 1 + RFLAGS.TF before it */
    lapic_t apic;

    struct machine *m;
    int id;
    struct vmx *vmx;               /* VMX state (include/xenemu/vmx.h), NULL until first used */
    /* The TLB: the context of the current address space, its tags (set
     * by VM entry and exit: the VPID and EPT of the running guest), the
     * contexts, and a set never filled, selected while every access must
     * take the slow path (alignment checking, data breakpoints). */
    tlb_ctx_t *tlb_cur;
    uint16_t tlb_vpid;
    uint64_t tlb_ep4ta;
    uint64_t tlb_clock;
    tlb_ctx_t tlb_ctx[TLB_CTXS];
    tlb_entry_t tlb_nofill[TLB_SIZE];
    struct block *jcache[4096];      /* recently run blocks by linear RIP */
} cpu_t;

/* Why cpu_run returned. */
enum cpu_stop {
    STOP_BUDGET,        /* icount reached stop_at */
    STOP_EXCEPTION,     /* an exception the caller must deliver: cpu->exc */
    STOP_HALT,          /* HLT */
    STOP_EVENT,         /* pending_events was set */
    STOP_SHUTDOWN,      /* triple fault (SDM Vol.3A §6.15, interrupt 8) */
};

void cpu_init(cpu_t *cpu, struct machine *m, int id);
void cpu_reset(cpu_t *cpu);

/* Run until something stops the vCPU; budget counts instructions. */
enum cpu_stop cpu_run(cpu_t *cpu, uint64_t budget);

/* Recompute code_mode, cpl, stack32 and the TLB set after CR0, EFER, CS or
 * SS change. */
void cpu_update_mode(cpu_t *cpu);

/* Raise an exception from inside an instruction: the instruction does not
 * retire and rip points back at it. Never returns. */
_Noreturn void cpu_raise(cpu_t *cpu, int vector);
_Noreturn void cpu_raise_err(cpu_t *cpu, int vector, uint32_t error_code);
_Noreturn void cpu_raise_pf(cpu_t *cpu, uint64_t lin, uint32_t error_code);
#define cpu_ud(cpu) cpu_raise((cpu), EXC_UD)
#define cpu_gp0(cpu) cpu_raise_err((cpu), EXC_GP, 0)

/* Leave the current block after this instruction retires (mode changes,
 * interrupt shadows, halts). Never returns. */
_Noreturn void cpu_stop_after(cpu_t *cpu);

/* Deliver cpu->exc through the IDT (or IVT in real mode), with double and
 * triple fault escalation (SDM Vol.3A ch.6). Returns false on a triple
 * fault. Called by the run loop when deliver_exceptions is set. */
bool cpu_deliver_exception(cpu_t *cpu);

/* A halted vCPU lets virtual time pass up to icount `until` (its timers
 * fire; a deliverable interrupt wakes it at the next cpu_run). */
void cpu_idle(cpu_t *cpu, uint64_t until);

/* Does a pending interrupt end this vCPU's sleep? RFLAGS.IF, or MWAIT
 * with ECX[0] (SDM Vol.2B MWAIT: interrupts as break events even when
 * masked; the interrupt is not delivered then). */
static inline bool cpu_irq_wakes(const cpu_t *cpu)
{
    return (cpu->rflags & F_IF) || (cpu->mwait && cpu->mwait_irq);
}

/* Disarm the address-range monitor and end an MWAIT (monitor.c): break
 * events, INIT, and the VMX transitions that clear monitoring (VMXOFF). */
void cpu_monitor_clear(cpu_t *cpu);

/* Data breakpoints (debugregs.c): the memory slow path reports each data
 * access of the current instruction while cpu->db_data is set. */
void cpu_debug_access(cpu_t *cpu, uint64_t lin, unsigned size, bool write);

/* IRET, even one that faults, ends NMI blocking (SDM Vol.3A §6.7.1; in VMX
 * non-root operation the guest's blocking, Vol.3C §26.3); an NMI held
 * meanwhile is taken at the next instruction boundary. */
void cpu_iret_nmi_unblock(cpu_t *cpu);

/* Print the registers of a vCPU that cannot continue. */
void cpu_dump(cpu_t *cpu, FILE *f);

/* The CPUID model (src/cpu/cpuid.c): what CPUID returns in root mode;
 * hypervisor leaves 0x40000000-0x4fffffff read as zero. */
void cpuid_query(cpu_t *cpu, uint32_t leaf, uint32_t subleaf, uint32_t out[4]);
/* Retired instructions per virtual second: TSC = retired * hz / this. */
#define CPU_VIRT_IPS 1000000000ull

/* CPUID.1:EAX and EDX after power-on or INIT (SDM Vol.3A §9.1.4): family
 * 6, model 0x8F, stepping 0. */
#define CPU_SIGNATURE 0x000806f0u
/* The TSC (IA32_TSC) derived from retired instructions (DESIGN.md,
 * "Determinism"), before any VMX TSC offset. */
uint64_t cpu_tsc(const cpu_t *cpu);

/* Full RFLAGS with the lazy arithmetic flags folded in. */
uint64_t cpu_get_rflags(cpu_t *cpu);
/* Replace RFLAGS (all bits the caller allows are already merged). */
void cpu_set_rflags(cpu_t *cpu, uint64_t v);

#endif
