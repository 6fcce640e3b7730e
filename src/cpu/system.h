/* Private interface of the system-instruction files (segment.c, farxfer.c,
 * interrupt.c, privileged.c, io.c, msr.c, cpuid.c, system.c): descriptors,
 * implicit supervisor accesses to system structures, and stack frames
 * built before they become SS:RSP (SDM Vol.3A ch.3, 5, 6, 7). */
#ifndef XENEMU_CPU_SYSTEM_H
#define XENEMU_CPU_SYSTEM_H

#include "ops.h"

/* ---- descriptors (SDM Vol.3A §3.4.5, Figure 3-8; §3.5 system types) ---- */

enum {
    DT_ACCESSED = 1,     /* code/data: accessed */
    DT_RW = 2,           /* data: writable; code: readable */
    DT_DC = 4,           /* data: expand-down; code: conforming */
    DT_CODE = 8,
};

/* System-segment and gate types (SDM Vol.3A Table 3-2). */
enum {
    ST_TSS16 = 1, ST_LDT = 2, ST_TSS16_BUSY = 3, ST_CALL16 = 4, ST_TASK = 5,
    ST_INT16 = 6, ST_TRAP16 = 7, ST_TSS = 9, ST_TSS_BUSY = 11, ST_CALL = 12,
    ST_INT = 14, ST_TRAP = 15,
};

static inline unsigned desc_type(uint64_t d) { return (unsigned)(d >> 40) & 15; }
static inline bool desc_s(uint64_t d) { return (d >> 44) & 1; }
static inline unsigned desc_dpl(uint64_t d) { return (unsigned)(d >> 45) & 3; }
static inline bool desc_p(uint64_t d) { return (d >> 47) & 1; }
static inline bool desc_l(uint64_t d) { return (d >> 53) & 1; }
static inline bool desc_db(uint64_t d) { return (d >> 54) & 1; }
static inline bool desc_code(uint64_t d) { return desc_s(d) && (desc_type(d) & DT_CODE); }
static inline bool desc_conforming(uint64_t d) { return desc_code(d) && (desc_type(d) & DT_DC); }
static inline bool desc_writable_data(uint64_t d)
{
    return desc_s(d) && (desc_type(d) & (DT_CODE | DT_RW)) == DT_RW;
}
/* Attributes in the SEGA_* (VMCS) layout: descriptor bits 47:40, 55:52. */
static inline uint32_t desc_attr(uint64_t d) { return (uint32_t)(d >> 40) & 0xf0ff; }

/* Selector error code: index and TI; bit 0 is EXT (SDM Vol.3A §6.13). */
static inline uint32_t sel_err(uint16_t sel) { return sel & 0xfffcu; }
static inline bool sel_null(uint16_t sel) { return (sel & 0xfffc) == 0; }

_Noreturn static inline void raise_sel(cpu_t *cpu, int vec, uint16_t sel)
{
    cpu_raise_err(cpu, vec, sel_err(sel));
}

/* Base, expanded limit and attributes of a code/data/system descriptor. */
void desc_to_seg(uint64_t d, uint16_t sel, seg_t *s);
/* The 8-byte descriptor for sel from the GDT or LDT; false when it lies
 * beyond the table limit or the LDT is unusable. */
bool desc_fetch(cpu_t *cpu, uint16_t sel, uint64_t *d);
/* Upper half of a 16-byte system descriptor in IA-32e mode. */
bool desc_fetch_hi(cpu_t *cpu, uint16_t sel, uint64_t *hi);
/* Write back the type byte (accessed bit, TSS busy bit) of sel's entry. */
void desc_write_type(cpu_t *cpu, uint16_t sel, uint64_t d);
/* Set the accessed bit in memory when it is clear (SDM Vol.3A §3.4.5.1). */
void desc_set_accessed(cpu_t *cpu, uint16_t sel, uint64_t *d);

/* ---- segment registers (segment.c) ---- */

static inline bool cpu_vm86(const cpu_t *cpu) { return (cpu->rflags & F_VM) != 0; }
static inline bool cpu_real(const cpu_t *cpu) { return !(cpu->cr0 & CR0_PE); }
static inline bool cpu_lma(const cpu_t *cpu) { return (cpu->efer & EFER_LMA) != 0; }
static inline unsigned cpu_iopl(const cpu_t *cpu) { return (unsigned)(cpu->rflags >> 12) & 3; }

/* Instructions not recognized in real-address and virtual-8086 mode. */
static inline void no_real_vm86(cpu_t *cpu)
{
    if (cpu_real(cpu) || cpu_vm86(cpu))
        cpu_ud(cpu);
}

/* Install a segment register from a loaded descriptor or value. */
void seg_set(cpu_t *cpu, int seg, const seg_t *s);
/* Real mode and VM86: base = selector << 4 (VM86 also limit 64K, DPL 3). */
void seg_set_real(cpu_t *cpu, int seg, uint16_t sel);
/* A null selector: the register becomes unusable (SS keeps DPL = RPL). */
void seg_set_null(cpu_t *cpu, int seg, uint16_t sel);
/* The return CS of RET/IRET: checks of SDM Vol.2 RET (protected mode). */
void seg_check_return_cs(cpu_t *cpu, uint16_t sel, uint64_t *d);
/* The return SS for privilege rpl; false when it is an allowed null. */
bool seg_check_return_ss(cpu_t *cpu, uint16_t sel, unsigned rpl, bool allow_null, uint64_t *d);
/* After a return to an outer privilege level, null the data segment
 * registers the new CPL may not use (SDM Vol.2 RET, IRET). */
void seg_null_inaccessible(cpu_t *cpu);
/* Flat segments of SYSCALL/SYSENTER and their returns (SDM Vol.2 SYSCALL). */
void seg_set_flat(cpu_t *cpu, int seg, uint16_t sel, uint32_t attr);

/* ---- implicit supervisor accesses (system.c) ---- */

/* Read/write system structures (GDT, LDT, IDT, TSS) by linear address
 * with supervisor rights; faults with #PF. Wraps at 4 GiB outside IA-32e. */
uint64_t sys_read(cpu_t *cpu, uint64_t lin, unsigned size);
void sys_write(cpu_t *cpu, uint64_t lin, uint64_t val, unsigned size);

/* A stack frame pushed onto a stack that need not be SS yet (interrupt
 * delivery, far CALL). Values are collected first; frame_write checks and
 * translates every slot before writing any, so a fault leaves memory
 * untouched. */
#define FRAME_SLOTS 40          /* call gate: SS, ESP, 31 parameters, CS, EIP */
typedef struct frame {
    uint64_t base;       /* SS base (0 for a 64-bit stack) */
    uint64_t sp;         /* stack pointer before the pushes */
    uint32_t limit, attr;
    uint32_t err;        /* #SS error code on a limit violation */
    uint8_t width;       /* stack-address size: 2, 4 or 8 */
    bool user;           /* CPL-3 access rights */
    bool in_order;       /* store each slot once checked, not all at the end */
    unsigned n, bytes;
    struct { uint64_t v; unsigned size; } slot[FRAME_SLOTS];
} frame_t;

/* A frame on the stack described by ss/sp (width from ss.B, or 8). */
void frame_init(frame_t *f, const seg_t *ss, uint64_t sp, unsigned width, bool user, uint32_t err);
/* A frame on the current SS:RSP at the current CPL. */
void frame_init_current(cpu_t *cpu, frame_t *f, uint32_t err);
void frame_push(frame_t *f, uint64_t v, unsigned size);
void frame_write(cpu_t *cpu, const frame_t *f);
/* frame_write's stack-limit checks only (#SS), writing nothing. */
void frame_check_room(cpu_t *cpu, const frame_t *f);
/* The stack pointer after the pushes (upper bits kept for 16-bit stacks). */
uint64_t frame_sp(const frame_t *f);

/* Current stack-address size: 2, 4 or 8. */
static inline unsigned stack_width(const cpu_t *cpu)
{
    return cpu->code_mode == CM_64 ? 8 : cpu->stack32 ? 4 : 2;
}

static inline bool is_canonical(uint64_t a)
{
    return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

/* ---- TSS (interrupt.c) ---- */

/* SS:ESP for privilege level dpl from a 16- or 32-bit TSS (SDM Vol.3A
 * §7.2.1); #TS(TR + ext) beyond its limit. */
void tss_stack32(cpu_t *cpu, unsigned dpl, uint32_t ext, uint16_t *ss, uint64_t *sp);
/* RSPn (ist = 0) or ISTn from the 64-bit TSS (SDM Vol.3A §8.7). */
uint64_t tss_stack64(cpu_t *cpu, unsigned dpl, unsigned ist, uint32_t ext);

/* ---- handlers shared across files ---- */

void insn_syscall(cpu_t *cpu, const insn_t *in);     /* syscall.c */
void insn_sysret(cpu_t *cpu, const insn_t *in);
void insn_sysenter(cpu_t *cpu, const insn_t *in);
void insn_sysexit(cpu_t *cpu, const insn_t *in);
void insn_swapgs(cpu_t *cpu, const insn_t *in);
void insn_verr_verw(cpu_t *cpu, const insn_t *in);   /* segops.c */

/* ---- task switches (task.c; SDM Vol.3A §8.3) ---- */

/* JMP/CALL to a TSS descriptor or a task gate (legacy protected mode). */
void task_far(cpu_t *cpu, uint16_t sel, uint64_t d, bool call);
/* IRET with NT = 1: back to the task in the current TSS's link field. */
void task_return(cpu_t *cpu);
/* Event delivery through a task gate. */
void task_gate_event(cpu_t *cpu, uint64_t gate, uint32_t ext, bool push_err, uint32_t err);

/* ---- the CPUID feature table (cpuid.c) ---- */

/* Feature bits by CPUID word and bit (SDM Vol.2 CPUID, Tables 3-10, 3-11). */
enum cpuid_word {
    CW_1_ECX, CW_1_EDX, CW_7_EBX, CW_7_ECX, CW_7_EDX, CW_81_ECX, CW_81_EDX, CW_87_EDX,
    CW_COUNT,
};
#define FEAT(word, bit) ((word) * 32 + (bit))
enum cpu_feature {
    X86_VMX = FEAT(CW_1_ECX, 5), X86_MONITOR = FEAT(CW_1_ECX, 3),
    X86_SSE3 = FEAT(CW_1_ECX, 0), X86_SSSE3 = FEAT(CW_1_ECX, 9), X86_CX16 = FEAT(CW_1_ECX, 13),
    X86_SSE41 = FEAT(CW_1_ECX, 19), X86_SSE42 = FEAT(CW_1_ECX, 20), X86_MOVBE = FEAT(CW_1_ECX, 22),
    X86_PCID = FEAT(CW_1_ECX, 17), X86_X2APIC = FEAT(CW_1_ECX, 21), X86_TSC_DEADLINE = FEAT(CW_1_ECX, 24), X86_APIC = FEAT(CW_1_EDX, 9),
    X86_POPCNT = FEAT(CW_1_ECX, 23), X86_XSAVE = FEAT(CW_1_ECX, 26), X86_OSXSAVE = FEAT(CW_1_ECX, 27),
    X86_FPU = FEAT(CW_1_EDX, 0), X86_DE = FEAT(CW_1_EDX, 2), X86_PSE = FEAT(CW_1_EDX, 3),
    X86_TSC = FEAT(CW_1_EDX, 4), X86_MSR = FEAT(CW_1_EDX, 5), X86_PAE = FEAT(CW_1_EDX, 6),
    X86_CX8 = FEAT(CW_1_EDX, 8), X86_SEP = FEAT(CW_1_EDX, 11), X86_MTRR = FEAT(CW_1_EDX, 12),
    X86_PGE = FEAT(CW_1_EDX, 13), X86_CMOV = FEAT(CW_1_EDX, 15), X86_PAT = FEAT(CW_1_EDX, 16),
    X86_MMX = FEAT(CW_1_EDX, 23), X86_FXSR = FEAT(CW_1_EDX, 24), X86_SSE = FEAT(CW_1_EDX, 25),
    X86_SSE2 = FEAT(CW_1_EDX, 26), X86_CLFSH = FEAT(CW_1_EDX, 19),
    X86_BMI1 = FEAT(CW_7_EBX, 3), X86_SMEP = FEAT(CW_7_EBX, 7), X86_BMI2 = FEAT(CW_7_EBX, 8),
    X86_INVPCID = FEAT(CW_7_EBX, 10), X86_ADX = FEAT(CW_7_EBX, 19), X86_SMAP = FEAT(CW_7_EBX, 20),
    X86_FDP_EXCPTN_ONLY = FEAT(CW_7_EBX, 6), X86_FCS_FDS_DEPRECATED = FEAT(CW_7_EBX, 13),
    X86_UMIP = FEAT(CW_7_ECX, 2),
    X86_IBRS = FEAT(CW_7_EDX, 26), X86_STIBP = FEAT(CW_7_EDX, 27), X86_ARCH_CAP = FEAT(CW_7_EDX, 29),
    X86_SSBD = FEAT(CW_7_EDX, 31),
    X86_LAHF64 = FEAT(CW_81_ECX, 0), X86_ABM = FEAT(CW_81_ECX, 5), X86_PREFETCHW = FEAT(CW_81_ECX, 8),
    X86_SYSCALL = FEAT(CW_81_EDX, 11), X86_NX = FEAT(CW_81_EDX, 20), X86_PAGE1G = FEAT(CW_81_EDX, 26),
    X86_RDTSCP = FEAT(CW_81_EDX, 27), X86_LM = FEAT(CW_81_EDX, 29),
    X86_INVTSC = FEAT(CW_87_EDX, 8),
};

/* Does this CPU model implement the feature? */
bool cpu_has(enum cpu_feature f);
/* CPUID handler (0F A2). */
void insn_cpuid(cpu_t *cpu, const insn_t *in);

/* ---- TSC and MSRs (msr.c) ---- */

/* IA32_MISC_ENABLE bit 18 (ENABLE MONITOR FSM, SDM Vol.4 Table 2-2):
 * MONITOR and MWAIT exist and CPUID reports them. */
bool cpu_monitor_enabled(const cpu_t *cpu);

/* MONITOR/MWAIT as CPUID leaf 5 reports them (monitor.c): one 64-byte
 * line size; ECX: extensions enumerated, interrupts break MWAIT even when
 * masked; EDX: one C1 sub-state (hint EAX = 0), the only wait modelled. */
#define MONITOR_LINE 64u
#define MWAIT_ECX_EMX 0x1u
#define MWAIT_ECX_IBE 0x2u
#define MWAIT_EDX_SUBSTATES 0x10u

/* Virtual TSC frequency: machine.tsc_hz, or 2 GHz when unset. */
uint64_t cpu_tsc_hz(const cpu_t *cpu);

/* XCR0 bits the model supports (x87, SSE) and the XSAVE area size. */
#define XCR0_SUPPORTED 0x3ull
#define XSAVE_AREA_SIZE 576u

#endif
