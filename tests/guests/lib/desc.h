/* System-programming helpers of the 64-bit test guests: control registers,
 * MSRs, a GDT with user segments and a TSS, an IDT whose stubs record every
 * exception, a way into ring 3 and back (SDM Vol.3A ch.3, 6, 8). */
#ifndef DESC_H
#define DESC_H

#include <stdint.h>
#include "guest.h"

/* GDT selectors (lib/idt.c builds the table). */
#define SEL_KCODE   0x08    /* 64-bit code, DPL 0 */
#define SEL_KDATA   0x10    /* data, DPL 0 */
#define SEL_UCODE32 0x18    /* 32-bit code, DPL 3 (SYSRET compat CS) */
#define SEL_UDATA   0x20    /* data, DPL 3 (SYSRET SS) */
#define SEL_UCODE   0x28    /* 64-bit code, DPL 3 (SYSRET 64-bit CS) */
#define SEL_KCODE32 0x30    /* 32-bit code, DPL 0 */
#define SEL_TSS     0x38    /* 64-bit TSS, 16 bytes */
#define SEL_FREE    0x48    /* first of the slots guests may fill */
#define GDT_ENTRIES 24

/* Vector used by ring-3 code to come back to the kernel (gate DPL 3). */
#define VEC_USER_EXIT 0x81

#define CR0_PE (1ul << 0)
#define CR0_MP (1ul << 1)
#define CR0_EM (1ul << 2)
#define CR0_TS (1ul << 3)
#define CR0_NE (1ul << 5)
#define CR0_WP (1ul << 16)
#define CR0_AM (1ul << 18)
#define CR0_PG (1ul << 31)
#define CR4_PSE (1ul << 4)
#define CR4_PAE (1ul << 5)
#define CR4_PGE (1ul << 7)
#define CR4_OSXMMEXCPT (1ul << 10)
#define CR4_SMEP (1ul << 20)
#define CR4_SMAP (1ul << 21)
#define RFLAGS_TF (1ul << 8)
#define RFLAGS_IF (1ul << 9)
#define RFLAGS_DF (1ul << 10)
#define RFLAGS_OF (1ul << 11)
#define RFLAGS_AC (1ul << 18)

#define MSR_EFER 0xc0000080u
#define MSR_STAR 0xc0000081u
#define MSR_LSTAR 0xc0000082u
#define MSR_CSTAR 0xc0000083u
#define MSR_SFMASK 0xc0000084u
#define MSR_FS_BASE 0xc0000100u
#define MSR_GS_BASE 0xc0000101u
#define MSR_KERNEL_GS_BASE 0xc0000102u
#define MSR_SYSENTER_CS 0x174u
#define MSR_SYSENTER_ESP 0x175u
#define MSR_SYSENTER_EIP 0x176u
#define EFER_SCE (1ul << 0)
#define EFER_NXE (1ul << 11)

/* Gate types (SDM Vol.3A §3.5 table 3-2, IA-32e mode). */
#define GATE_CALL 0xc
#define GATE_INT  0xe
#define GATE_TRAP 0xf

#define DEFINE_CR(n)                                                          \
    static inline uint64_t read_cr##n(void)                                   \
    {                                                                         \
        uint64_t v;                                                           \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                     \
        return v;                                                             \
    }                                                                         \
    static inline void write_cr##n(uint64_t v)                                \
    {                                                                         \
        __asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory");            \
    }
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static inline void invlpg(const volatile void *p)
{
    __asm__ volatile("invlpg (%0)" : : "r"(p) : "memory");
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

static inline uint64_t read_rflags(void)
{
    uint64_t v;
    __asm__ volatile("pushfq; popq %0" : "=r"(v));
    return v;
}

/* The interrupt frame the stubs build (SDM Vol.3A §6.14.2 figure 6-9). */
struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;
};

/* What the last exception looked like. */
struct trap_record {
    uint64_t vector, error, rip, cs, rflags, rsp, ss, cr2, frame_addr;
    uint64_t count;
};
extern volatile struct trap_record trap;
/* When non-zero, the next exception returns here (then it is cleared). */
extern volatile uint64_t trap_resume;
/* Address of the last PROBE'd instruction. */
extern volatile uint64_t probe_insn;

typedef void (*trap_handler_t)(struct trap_frame *f);
void trap_set_handler(int vec, trap_handler_t h);

extern uint64_t gdt[GDT_ENTRIES];
struct tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];        /* IST1..IST7: ist[n - 1] */
    uint64_t reserved2;
    uint16_t reserved3, iomap_base;
} __attribute__((packed));
extern struct tss64 tss;
_Static_assert(sizeof(struct tss64) == 0x68, "64-bit TSS layout (SDM Vol.3A §8.7)");
extern uint64_t stub_table[256];

/* Loads the GDT, TSS and IDT (all vectors go to recording stubs). */
void desc_init(void);
void idt_set_gate(int vec, uint64_t target, uint16_t sel, int type, int dpl, int ist);
uint64_t seg_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags);
void reload_gdt(void);

/* Sets the U bit along the whole identity map of start.S. */
void paging_all_user(void);

/* Runs fn at CPL 3 with rsp and rflags; it returns when ring-3 code executes
 * INT VEC_USER_EXIT, giving its RAX. */
uint64_t enter_user(uint64_t rip, uint64_t rsp, uint64_t rflags, uint64_t cs);
#define USER_STACK_SIZE 16384
extern uint8_t user_stack[USER_STACK_SIZE];
#define USER_STACK_TOP ((uint64_t)user_stack + USER_STACK_SIZE)

/* Checks: each prints one line and counts failures. */
extern int failures;
void check(const char *what, int ok);
void check_eq(const char *what, uint64_t got, uint64_t want);
void fail_exit(const char *why) __attribute__((noreturn));
void *memset(void *d, int c, unsigned long n);
void *memcpy(void *d, const void *s, unsigned long n);
int finish(const char *name);

/* PROBE("insn", outputs : inputs : clobbers) runs one instruction, noting its
 * address in probe_insn; an exception it raises resumes after it. */
#define PROBE_PRE                                                             \
    "push %%rax\n\tlea 8f(%%rip), %%rax\n\tmov %%rax, trap_resume(%%rip)\n\t" \
    "lea 7f(%%rip), %%rax\n\tmov %%rax, probe_insn(%%rip)\n\tpop %%rax\n7:\t"
#define PROBE_POST "\n8:\tmovq $0, trap_resume(%%rip)\n\t"
#define PROBE(body, ...) __asm__ volatile(PROBE_PRE body PROBE_POST __VA_ARGS__)

#endif
