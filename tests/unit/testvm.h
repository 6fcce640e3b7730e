/* Tiny machines for CPU tests: one vCPU, 4 MiB of RAM at 0, a GDT, IDT,
 * TSS and page tables at fixed addresses, and helpers that start the vCPU
 * in real, 16/32-bit protected, compatibility or 64-bit mode. Header-only;
 * each test file includes it once. */
#ifndef XENEMU_TESTS_TESTVM_H
#define XENEMU_TESTS_TESTVM_H

#include <check.h>
#include <string.h>

#include "xenemu/flags.h"
#include "xenemu/machine.h"
#include "xenemu/mmu.h"

/* Physical (= linear, identity-mapped) layout; RAM is 16 MiB. */
#define TVM_RAM (16u << 20)
#define TVM_GDT 0x1000u       /* 512 entries */
#define TVM_IDT 0x2000u       /* 256 x 16 bytes */
#define TVM_TSS 0x3000u       /* TSS + I/O bitmap up to 0x5fff */
#define TVM_PML4 0x6000u      /* PML4, PDPT, PD: identity map of 1 GiB */
#define TVM_CODE 0x10000u     /* test program */
#define TVM_HANDLERS 0x20000u /* interrupt handlers */
#define TVM_DATA 0x30000u
#define TVM_STACK0 0x70000u   /* kernel stack top */
#define TVM_STACK3 0x80000u   /* user stack top */

/* Standard GDT selectors. */
enum {
    TVM_CS32 = 0x08, TVM_DS32 = 0x10, TVM_CS32_U = 0x1b, TVM_DS32_U = 0x23,
    TVM_CS64 = 0x28, TVM_CS64_U = 0x33, TVM_CS16 = 0x38, TVM_DS16 = 0x40,
    TVM_TSS_SEL = 0x48,   /* 16 bytes in IA-32e mode: entries 9 and 10 */
    TVM_FREE = 0x58,      /* first entry free for tests */
};

/* Descriptor access bytes (P, DPL, S, type) and flag nibbles (G, D/B, L). */
enum {
    ACC_CODE = 0x9b, ACC_DATA = 0x93, ACC_CODE_U = 0xfb, ACC_DATA_U = 0xf3,
    ACC_TSS32 = 0x89, ACC_LDT = 0x82,
    FLG_32 = 0xc, FLG_64 = 0xa, FLG_16 = 0x0,
};

static machine_t tvm;
static cpu_t *cpu;

/* Writes behind the CPU's back: drop predecoded code on those pages, as
 * a DMA write would. */
static inline void tvm_put(uint64_t pa, const void *p, size_t n)
{
    ck_assert(phys_copy_to(&tvm.mem, pa, p, n));
    for (uint64_t pg = pa & ~0xfffull; pg < pa + n; pg += 0x1000)
        machine_code_written(&tvm, pg);
}

static inline void tvm_put16(uint64_t pa, uint16_t v) { tvm_put(pa, &v, 2); }
static inline void tvm_put32(uint64_t pa, uint32_t v) { tvm_put(pa, &v, 4); }
static inline void tvm_put64(uint64_t pa, uint64_t v) { tvm_put(pa, &v, 8); }

static inline uint64_t tvm_get(uint64_t pa, unsigned size)
{
    uint64_t v = 0;
    ck_assert(phys_copy_from(&tvm.mem, &v, pa, size));
    return v;
}

/* An 8-byte code/data/system descriptor (SDM Vol.3A Figure 3-8). */
static inline uint64_t tvm_desc(uint32_t base, uint32_t limit, unsigned access, unsigned flags)
{
    return (limit & 0xffffull) | ((uint64_t)(base & 0xffffff) << 16) | ((uint64_t)access << 40) |
           ((uint64_t)((limit >> 16) & 0xf) << 48) | ((uint64_t)flags << 52) |
           ((uint64_t)(base >> 24) << 56);
}

static inline void tvm_gdt(uint16_t sel, uint64_t d)
{
    tvm_put64(TVM_GDT + (sel & ~7u), d);
}

static inline uint64_t tvm_gdt_get(uint16_t sel)
{
    return tvm_get(TVM_GDT + (sel & ~7u), 8);
}

/* A legacy gate: interrupt/trap/call gate types 0x4-0xf (SDM Vol.3A Figure 6-2). */
static inline uint64_t tvm_gate(uint16_t sel, uint32_t off, unsigned type, unsigned dpl)
{
    return (off & 0xffff) | ((uint64_t)sel << 16) | ((uint64_t)(0x80 | dpl << 5 | type) << 40) |
           ((uint64_t)(off >> 16) << 48);
}

static inline void tvm_idt32(unsigned vec, uint16_t sel, uint32_t off, unsigned type, unsigned dpl)
{
    tvm_put64(TVM_IDT + vec * 8, tvm_gate(sel, off, type, dpl));
}

/* A 16-byte IA-32e interrupt/trap gate (SDM Vol.3A Figure 6-8). */
static inline void tvm_idt64(unsigned vec, uint16_t sel, uint64_t off, unsigned type, unsigned dpl, unsigned ist)
{
    tvm_put64(TVM_IDT + vec * 16, tvm_gate(sel, (uint32_t)off, type, dpl) | ((uint64_t)ist << 32));
    tvm_put64(TVM_IDT + vec * 16 + 8, off >> 32);
}

/* Load a segment register's cache straight from a GDT entry (test setup,
 * no checks). */
static inline void tvm_seg(int seg, uint16_t sel)
{
    uint64_t d = tvm_gdt_get(sel);
    seg_t *s = &cpu->seg[seg];
    uint32_t limit = (uint32_t)(d & 0xffff) | ((uint32_t)(d >> 32) & 0xf0000);
    if (d & (1ull << 55))
        limit = (limit << 12) | 0xfff;
    s->sel = sel;
    s->base = ((d >> 16) & 0xffffff) | ((d >> 32) & 0xff000000);
    s->limit = limit;
    s->attr = (uint32_t)(d >> 40) & 0xf0ff;
}

static inline void tvm_standard_gdt(void)
{
    tvm_gdt(TVM_CS32, tvm_desc(0, 0xfffff, ACC_CODE, FLG_32));
    tvm_gdt(TVM_DS32, tvm_desc(0, 0xfffff, ACC_DATA, FLG_32));
    tvm_gdt(TVM_CS32_U, tvm_desc(0, 0xfffff, ACC_CODE_U, FLG_32));
    tvm_gdt(TVM_DS32_U, tvm_desc(0, 0xfffff, ACC_DATA_U, FLG_32));
    tvm_gdt(TVM_CS64, tvm_desc(0, 0xfffff, ACC_CODE, FLG_64));
    tvm_gdt(TVM_CS64_U, tvm_desc(0, 0xfffff, ACC_CODE_U, FLG_64));
    tvm_gdt(TVM_CS16, tvm_desc(0, 0xffff, ACC_CODE, FLG_16));
    tvm_gdt(TVM_DS16, tvm_desc(0, 0xffff, ACC_DATA, FLG_16));
    cpu->gdtr = (dtr_t){ TVM_GDT, 0xfff };
    cpu->idtr = (dtr_t){ TVM_IDT, 0xfff };
}

/* A 32-bit TSS with kernel stack SS0:ESP0 and an I/O bitmap at +0x68 that
 * allows every port (limit covers the map and its final 0xff byte). */
static inline void tvm_tss32(void)
{
    tvm_gdt(TVM_TSS_SEL, tvm_desc(TVM_TSS, 0x68 + 8192, ACC_TSS32, 0));
    tvm_put32(TVM_TSS + 4, TVM_STACK0);
    tvm_put32(TVM_TSS + 8, TVM_DS32);
    tvm_put16(TVM_TSS + 102, 0x68);
    tvm_put(TVM_TSS + 0x68 + 8192, "\xff", 1);
    tvm_seg(SEG_TR, TVM_TSS_SEL);
    cpu->seg[SEG_TR].attr |= 2;      /* busy, as after LTR */
}

/* A 64-bit TSS (16-byte descriptor) with RSP0 and IST1. */
static inline void tvm_tss64(uint64_t rsp0, uint64_t ist1)
{
    tvm_gdt(TVM_TSS_SEL, tvm_desc(TVM_TSS, 0x68 + 8192, ACC_TSS32, 0));
    tvm_gdt(TVM_TSS_SEL + 8, 0);
    tvm_put64(TVM_TSS + 4, rsp0);
    tvm_put64(TVM_TSS + 0x24, ist1);
    tvm_put16(TVM_TSS + 102, 0x68);
    tvm_put(TVM_TSS + 0x68 + 8192, "\xff", 1);
    tvm_seg(SEG_TR, TVM_TSS_SEL);
    cpu->seg[SEG_TR].attr |= 2;
}

static inline void tvm_setup(void)
{
    ck_assert_int_eq(machine_init(&tvm, 1), 0);
    ck_assert_int_eq(phys_add_ram(&tvm.mem, 0, TVM_RAM), 0);
    cpu = tvm.cpu[0];
}

static inline void tvm_teardown(void)
{
    machine_destroy(&tvm);
}

/* Real mode at cs:ip with SS:SP = 0:0x7000 (after reset). */
static inline void tvm_real(uint16_t cs, uint16_t ip)
{
    cpu->seg[SEG_CS].sel = cs;
    cpu->seg[SEG_CS].base = (uint64_t)cs << 4;
    cpu->r[R_RIP] = ip;
    cpu->r[R_RSP] = 0x7000;
    cpu->halted = false;
    cpu_update_mode(cpu);
}

/* Flat 32-bit protected mode at CPL 0, or CPL 3 with user CS/SS. */
static inline void tvm_prot32(bool user)
{
    tvm_standard_gdt();
    tvm_tss32();
    cpu->cr0 = CR0_PE | CR0_ET | CR0_NE;
    tvm_seg(SEG_CS, user ? TVM_CS32_U : TVM_CS32);
    tvm_seg(SEG_SS, user ? TVM_DS32_U : TVM_DS32);
    for (int s = SEG_ES; s <= SEG_GS; s++)
        if (s != SEG_CS && s != SEG_SS)
            tvm_seg(s, user ? TVM_DS32_U : TVM_DS32);
    cpu->r[R_RIP] = TVM_CODE;
    cpu->r[R_RSP] = user ? TVM_STACK3 : TVM_STACK0;
    cpu->halted = false;
    cpu_update_mode(cpu);
}

/* 16-bit protected mode at CPL 0: 64 KiB code and data segments based at 0. */
static inline void tvm_prot16(void)
{
    tvm_prot32(false);
    tvm_seg(SEG_CS, TVM_CS16);
    tvm_seg(SEG_SS, TVM_DS16);
    tvm_seg(SEG_DS, TVM_DS16);
    tvm_seg(SEG_ES, TVM_DS16);
    cpu->r[R_RIP] = 0x1000;
    cpu->r[R_RSP] = 0x8000;
    cpu_update_mode(cpu);
}

/* IA-32e mode with 4-level paging identity-mapping 1 GiB with 2 MiB user
 * pages; 64-bit CS (or compatibility mode with compat = true). */
static inline void tvm_long(bool user, bool compat)
{
    tvm_standard_gdt();
    tvm_tss64(TVM_STACK0, 0x60000);
    tvm_put64(TVM_PML4, (TVM_PML4 + 0x1000) | 7);
    tvm_put64(TVM_PML4 + 0x1000, (TVM_PML4 + 0x2000) | 7);
    for (uint64_t i = 0; i < 512; i++)
        tvm_put64(TVM_PML4 + 0x2000 + i * 8, (i << 21) | 0x87);
    cpu->cr0 = CR0_PE | CR0_PG | CR0_ET | CR0_NE;
    cpu->cr4 = CR4_PAE | CR4_OSFXSR;
    cpu->cr3 = TVM_PML4;
    cpu->efer = EFER_LME | EFER_LMA | EFER_SCE | EFER_NXE;
    if (compat)
        tvm_seg(SEG_CS, user ? TVM_CS32_U : TVM_CS32);
    else
        tvm_seg(SEG_CS, user ? TVM_CS64_U : TVM_CS64);
    tvm_seg(SEG_SS, user ? TVM_DS32_U : TVM_DS32);
    for (int s = SEG_ES; s <= SEG_GS; s++)
        if (s != SEG_CS && s != SEG_SS)
            tvm_seg(s, user ? TVM_DS32_U : TVM_DS32);
    cpu->r[R_RIP] = TVM_CODE;
    cpu->r[R_RSP] = user ? TVM_STACK3 : TVM_STACK0;
    cpu->halted = false;
    mmu_flush_all(cpu);
    cpu_update_mode(cpu);
}

static inline void tvm_code(uint64_t pa, const uint8_t *code, size_t n)
{
    tvm_put(pa, code, n);
}

/* Run and expect an exception (delivery off): vector, error code, RIP. */
static inline void tvm_expect_exc(int vec, uint32_t err, uint64_t rip)
{
    cpu->deliver_exceptions = false;
    ck_assert_int_eq(cpu_run(cpu, 1000), STOP_EXCEPTION);
    ck_assert_int_eq(cpu->exc.vector, vec);
    ck_assert_uint_eq(cpu->exc.error_code, err);
    ck_assert_uint_eq(cpu->r[R_RIP], rip);
}

static inline void tvm_expect_halt(uint64_t budget)
{
    ck_assert_int_eq(cpu_run(cpu, budget), STOP_HALT);
}

#endif
