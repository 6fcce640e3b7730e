/* Local APIC timer and interrupts on the bare machine (SDM Vol.3A ch.11):
 * one-shot, periodic and TSC-deadline modes through the xAPIC MMIO page,
 * then x2APIC MSRs with a self IPI held back by TPR. Interrupts are taken
 * with HLT in between; every handler EOIs. Exits 0 when all counts match. */
#include "guest.h"

#define APIC 0xfee00000ul
#define VEC_TIMER 0x40
#define VEC_IPI 0x41
#define VEC_SPURIOUS 0xff

struct gate { uint16_t off0, sel; uint8_t ist, type; uint16_t off1; uint32_t off2, zero; };
static struct gate idt[256] __attribute__((aligned(16)));
static uint64_t apic_pd[512] __attribute__((aligned(4096)));

volatile unsigned timer_count, ipi_count;
volatile uint64_t timer_tsc;
static volatile int x2mode;

void timer_isr(void);
void ipi_isr(void);
void other_isr(void);

/* Stubs save the caller-saved registers around a C handler. */
#define ISR(name, handler)                                                         \
    __asm__(".globl " #name "\n" #name ":\n"                                       \
            "push %rax\n push %rcx\n push %rdx\n push %rsi\n push %rdi\n"          \
            "push %r8\n push %r9\n push %r10\n push %r11\n cld\n call " #handler "\n" \
            "pop %r11\n pop %r10\n pop %r9\n pop %r8\n pop %rdi\n pop %rsi\n"      \
            "pop %rdx\n pop %rcx\n pop %rax\n iretq\n")
ISR(timer_isr, timer_handler);
ISR(ipi_isr, ipi_handler);
ISR(other_isr, other_handler);

static inline uint64_t rdmsr(uint32_t i)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(i));
    return (uint64_t)hi << 32 | lo;
}

static inline void wrmsr(uint32_t i, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(i), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

/* xAPIC registers by offset, or x2APIC MSR 0x800 + offset / 16. */
static uint32_t apic_read(unsigned off)
{
    if (x2mode)
        return (uint32_t)rdmsr(0x800 + off / 16);
    return *(volatile uint32_t *)(APIC + off);
}

static void apic_write(unsigned off, uint32_t v)
{
    if (x2mode)
        wrmsr(0x800 + off / 16, v);
    else
        *(volatile uint32_t *)(APIC + off) = v;
}

void timer_handler(void)
{
    timer_tsc = rdtsc();
    timer_count++;
    apic_write(0xb0, 0);
}

void ipi_handler(void)
{
    ipi_count++;
    apic_write(0xb0, 0);
}

void other_handler(void)
{
    puts_e9("unexpected interrupt or exception\n");
    outb(0xf4, 2);
}

static void set_gate(int v, void (*fn)(void))
{
    uint64_t a = (uint64_t)fn;
    idt[v] = (struct gate){ (uint16_t)a, 0x08, 0, 0x8e, (uint16_t)(a >> 16), (uint32_t)(a >> 32), 0 };
}

static void setup_idt(void)
{
    for (int v = 0; v < 256; v++)
        set_gate(v, other_isr);
    set_gate(VEC_TIMER, timer_isr);
    set_gate(VEC_IPI, ipi_isr);
    struct { uint16_t limit; uint64_t base; } __attribute__((packed)) d = { sizeof idt - 1, (uint64_t)idt };
    __asm__ volatile("lidt %0" : : "m"(d));
}

/* start.S maps the first GiB; map the APIC's 2-MiB page uncached too. */
static void map_apic(void)
{
    uint64_t cr3;
    __asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
    uint64_t *pml4 = (uint64_t *)(cr3 & ~0xfffull);
    uint64_t *pdpt = (uint64_t *)(pml4[0] & ~0xfffull);
    apic_pd[(APIC >> 21) & 511] = APIC | 0x93;      /* present, writable, PCD, 2 MiB */
    pdpt[(APIC >> 30) & 511] = (uint64_t)apic_pd | 3;
    __asm__ volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
}

static int fail(const char *what)
{
    puts_e9("FAIL: ");
    puts_e9(what);
    puts_e9("\n");
    return 1;
}

/* Sleep until the timer count reaches n. */
static void wait_timer(unsigned n)
{
    while (timer_count < n)
        __asm__ volatile("sti; hlt; cli" ::: "memory");
}

static int one_shot(void)
{
    apic_write(0x3e0, 0xb);                          /* divide by 1 */
    apic_write(0x320, VEC_TIMER);                    /* one-shot */
    apic_write(0x380, 1000);
    if (apic_read(0x390) == 0 || apic_read(0x390) > 1000)
        return fail("one-shot current count");
    wait_timer(1);
    if (apic_read(0x390) != 0)
        return fail("one-shot count after expiry");
    for (volatile int i = 0; i < 100000; i++)
        ;
    __asm__ volatile("sti; nop; cli");
    return timer_count == 1 ? 0 : fail("one-shot fired again");
}

static int periodic(void)
{
    apic_write(0x3e0, 0x3);                          /* divide by 16 */
    apic_write(0x320, VEC_TIMER | 1u << 17);
    apic_write(0x380, 500);
    uint32_t a = apic_read(0x390);
    for (volatile int i = 0; i < 1000; i++)
        ;
    uint32_t b = apic_read(0x390);
    if (!(b < a))
        return fail("periodic count does not go down");
    wait_timer(6);
    apic_write(0x380, 0);                            /* stop */
    return timer_count == 6 ? 0 : fail("periodic count");
}

static int tsc_deadline(void)
{
    apic_write(0x320, VEC_TIMER | 2u << 17);
    uint64_t deadline = rdtsc() + 200000;
    wrmsr(0x6e0, deadline);
    if (rdmsr(0x6e0) != deadline)
        return fail("TSC deadline reads back");
    wait_timer(7);
    if (timer_tsc < deadline)
        return fail("TSC-deadline interrupt came early");
    if (rdmsr(0x6e0) != 0)
        return fail("TSC deadline not cleared after firing");
    return 0;
}

/* x2APIC: a self IPI of class 4 waits while TPR is class 5. */
static int x2apic_ipi(void)
{
    wrmsr(0x1b, rdmsr(0x1b) | 0x400);
    x2mode = 1;
    if (rdmsr(0x802) != 0 || (rdmsr(0x803) & 0xff) != 0x15)
        return fail("x2APIC ID/version");
    wrmsr(0x808, 0x50);
    wrmsr(0x83f, VEC_IPI);
    __asm__ volatile("sti; nop; nop; cli");
    if (ipi_count != 0)
        return fail("IPI delivered through TPR");
    if ((rdmsr(0x820 + VEC_IPI / 32) & (1u << (VEC_IPI % 32))) == 0)
        return fail("IPI not pending in IRR");
    wrmsr(0x808, 0);
    __asm__ volatile("sti; nop; cli");
    return ipi_count == 1 ? 0 : fail("IPI after TPR drop");
}

int guest_main(const void *start_info)
{
    (void)start_info;
    uint32_t a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
    if (!(d & (1u << 9)) || !(c & (1u << 21)) || !(c & (1u << 24)))
        return fail("CPUID APIC/x2APIC/TSC-deadline");
    if (rdmsr(0x1b) != 0xfee00900)
        return fail("APIC_BASE");
    setup_idt();
    map_apic();
    apic_write(0xf0, 0x100 | VEC_SPURIOUS);           /* software enable */
    if ((apic_read(0x30) & 0xff) != 0x15)
        return fail("APIC version");
    if (one_shot() || periodic() || tsc_deadline() || x2apic_ipi())
        return 1;
    puts_e9("apic timer ok\n");
    return 0;
}
