/* GDT, TSS and IDT of the 64-bit test guests, the exception recorder and the
 * check helpers (SDM Vol.3A §3.4.5, §6.10-6.14, §8.7). */
#include "desc.h"

uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(16)));
struct tss64 tss __attribute__((aligned(16)));
static uint64_t idt[512] __attribute__((aligned(16)));
static trap_handler_t handlers[256];
volatile struct trap_record trap;
volatile uint64_t trap_resume;
volatile uint64_t probe_insn;
int failures;

static uint8_t rsp0_stack[16384] __attribute__((aligned(16)));
uint8_t user_stack[USER_STACK_SIZE] __attribute__((aligned(16)));
extern char user_exit_stub[];

void *memset(void *d, int c, unsigned long n)
{
    volatile uint8_t *p = d;
    while (n--)
        *p++ = (uint8_t)c;
    return d;
}

void *memcpy(void *d, const void *s, unsigned long n)
{
    volatile uint8_t *p = d;
    const volatile uint8_t *q = s;
    while (n--)
        *p++ = *q++;
    return d;
}

void fail_exit(const char *why)
{
    puts_e9("FATAL: ");
    puts_e9(why);
    puts_e9("\n");
    outb(0xf4, 1);
    for (;;)
        __asm__ volatile("hlt");
}

void check(const char *what, int ok)
{
    puts_e9(ok ? "ok   " : "FAIL ");
    puts_e9(what);
    puts_e9("\n");
    if (!ok)
        failures++;
}

void check_eq(const char *what, uint64_t got, uint64_t want)
{
    puts_e9(got == want ? "ok   " : "FAIL ");
    puts_e9(what);
    if (got != want) {
        puts_e9(": got ");
        put_hex(got);
        puts_e9(" want ");
        put_hex(want);
        failures++;
    }
    puts_e9("\n");
}

int finish(const char *name)
{
    puts_e9(name);
    if (failures) {
        puts_e9(": FAILED checks: ");
        put_hex((uint64_t)failures);
        puts_e9("\n");
        return 1;
    }
    puts_e9(": all checks passed\n");
    return 0;
}

uint64_t seg_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
    return (limit & 0xffffull) | ((uint64_t)(base & 0xffffff) << 16) | ((uint64_t)access << 40) |
           ((uint64_t)((limit >> 16) & 0xf) << 48) | ((uint64_t)(flags & 0xf) << 52) |
           ((uint64_t)(base >> 24) << 56);
}

void idt_set_gate(int vec, uint64_t target, uint16_t sel, int type, int dpl, int ist)
{
    idt[2 * vec] = (target & 0xffff) | ((uint64_t)sel << 16) | ((uint64_t)(ist & 7) << 32) |
                   ((uint64_t)(0x80 | (dpl << 5) | type) << 40) | ((target >> 16 & 0xffff) << 48);
    idt[2 * vec + 1] = target >> 32;
}

void trap_set_handler(int vec, trap_handler_t h)
{
    handlers[vec] = h;
}

void reload_gdt(void)
{
    struct __attribute__((packed)) { uint16_t limit; uint64_t base; } d = { sizeof gdt - 1, (uint64_t)gdt };
    __asm__ volatile("lgdt %0" : : "m"(d) : "memory");
}

void desc_init(void)
{
    gdt[0] = 0;
    gdt[SEL_KCODE >> 3] = 0x00af9a000000ffffull;
    gdt[SEL_KDATA >> 3] = 0x00cf92000000ffffull;
    gdt[SEL_UCODE32 >> 3] = 0x00cffa000000ffffull;
    gdt[SEL_UDATA >> 3] = 0x00cff2000000ffffull;
    gdt[SEL_UCODE >> 3] = 0x00affa000000ffffull;
    gdt[SEL_KCODE32 >> 3] = 0x00cf9a000000ffffull;
    uint64_t t = (uint64_t)&tss;
    gdt[SEL_TSS >> 3] = seg_desc((uint32_t)t, sizeof tss - 1, 0x89, 0);
    gdt[(SEL_TSS >> 3) + 1] = t >> 32;
    reload_gdt();
    /* Reload CS and the data segments from the new table. */
    __asm__ volatile("pushq %0; lea 1f(%%rip), %%rax; pushq %%rax; lretq; 1:\n\t"
                     "mov %1, %%ds; mov %1, %%es; mov %1, %%ss; mov %1, %%fs; mov %1, %%gs"
                     : : "i"(SEL_KCODE), "r"(SEL_KDATA) : "rax", "memory");
    tss.rsp[0] = (uint64_t)(rsp0_stack + sizeof rsp0_stack);
    tss.iomap_base = sizeof tss;
    __asm__ volatile("ltr %w0" : : "r"(SEL_TSS));
    for (int v = 0; v < 256; v++)
        idt_set_gate(v, stub_table[v], SEL_KCODE, GATE_INT, 0, 0);
    idt_set_gate(VEC_USER_EXIT, (uint64_t)user_exit_stub, SEL_KCODE, GATE_INT, 3, 0);
    struct __attribute__((packed)) { uint16_t limit; uint64_t base; } d = { sizeof idt - 1, (uint64_t)idt };
    __asm__ volatile("lidt %0" : : "m"(d) : "memory");
}

/* Marks the start.S identity map (PML4[0] -> PDPT[0] -> 512 2-MiB PDEs)
 * user-accessible (SDM Vol.3A §4.6.1). */
void paging_all_user(void)
{
    uint64_t *pml4 = (uint64_t *)(read_cr3() & ~0xfffull);
    pml4[0] |= 4;
    uint64_t *pdpt = (uint64_t *)(pml4[0] & 0x000ffffffffff000ull);
    pdpt[0] |= 4;
    uint64_t *pd = (uint64_t *)(pdpt[0] & 0x000ffffffffff000ull);
    for (int i = 0; i < 512; i++)
        pd[i] |= 4;
    write_cr3(read_cr3());
}

void trap_dispatch(struct trap_frame *f)
{
    trap.vector = f->vector;
    trap.error = f->error;
    trap.rip = f->rip;
    trap.cs = f->cs;
    trap.rflags = f->rflags;
    trap.rsp = f->rsp;
    trap.ss = f->ss;
    trap.cr2 = read_cr2();
    trap.frame_addr = (uint64_t)f;
    trap.count++;
    if (handlers[f->vector]) {
        handlers[f->vector](f);
        return;
    }
    if (trap_resume) {
        f->rip = trap_resume;
        trap_resume = 0;
        return;
    }
    puts_e9("unexpected exception ");
    put_hex(f->vector);
    puts_e9(" error ");
    put_hex(f->error);
    puts_e9(" at ");
    put_hex(f->cs);
    puts_e9(":");
    put_hex(f->rip);
    puts_e9(" cr2 ");
    put_hex(trap.cr2);
    puts_e9("\n");
    fail_exit("unexpected exception");
}
