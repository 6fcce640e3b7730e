/* Debug registers on the bare machine (SDM Vol.3A ch.18): an instruction
 * breakpoint (fault, resumed with RF), a data write breakpoint (trap after
 * the store) and TF single-step (a trap after each instruction, including
 * the POPF that clears TF). Exits 0 when every #DB matches. */
#include "guest.h"

struct gate { uint16_t off0, sel; uint8_t ist, type; uint16_t off1; uint32_t off2, zero; };
static struct gate idt[256] __attribute__((aligned(16)));

struct frame { uint64_t rip, cs, rflags, rsp, ss; };

static volatile unsigned db_count;
static volatile uint64_t db_dr6, db_rip;
volatile uint32_t watched;

void db_isr(void);
void other_isr(void);

/* The stub hands the C handler a pointer to the interrupt frame. */
__asm__(".globl db_isr\ndb_isr:\n"
        "push %rax\n push %rcx\n push %rdx\n push %rsi\n push %rdi\n"
        "push %r8\n push %r9\n push %r10\n push %r11\n"
        "lea 72(%rsp), %rdi\n cld\n call db_handler\n"
        "pop %r11\n pop %r10\n pop %r9\n pop %r8\n pop %rdi\n pop %rsi\n"
        "pop %rdx\n pop %rcx\n pop %rax\n iretq\n"
        ".globl other_isr\nother_isr:\n call other_handler\n");

void other_handler(void)
{
    puts_e9("unexpected exception\n");
    outb(0xf4, 2);
    for (;;)
        __asm__ volatile("hlt");
}

/* Record DR6 and RIP, clear DR6; resume a breakpoint fault with RF. */
void db_handler(struct frame *f)
{
    uint64_t dr6;
    __asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
    db_dr6 = dr6;
    db_rip = f->rip;
    db_count++;
    __asm__ volatile("mov %0, %%dr6" : : "r"(0ul));
    if (dr6 & 0xf)
        f->rflags |= 1u << 16;
}

static void set_gate(int v, void (*fn)(void))
{
    uint64_t a = (uint64_t)fn;
    idt[v] = (struct gate){ (uint16_t)a, 0x08, 0, 0x8e, (uint16_t)(a >> 16), (uint32_t)(a >> 32), 0 };
}

static int fail(const char *what)
{
    puts_e9("FAIL: ");
    puts_e9(what);
    puts_e9(" dr6=");
    put_hex(db_dr6);
    puts_e9(" rip=");
    put_hex(db_rip);
    puts_e9("\n");
    return 1;
}

void bp_target(void);
__asm__(".globl bp_target\nbp_target:\n nop\n ret\n");

static int instruction_breakpoint(void)
{
    __asm__ volatile("mov %0, %%dr0" : : "r"((uint64_t)bp_target));
    __asm__ volatile("mov %0, %%dr7" : : "r"(0x1ul));            /* L0, execute */
    bp_target();
    bp_target();
    __asm__ volatile("mov %0, %%dr7" : : "r"(0ul));
    if (db_count != 2 || db_rip != (uint64_t)bp_target || (db_dr6 & 0xf) != 1)
        return fail("instruction breakpoint");
    return 0;
}

extern const char after_store[];

static int data_breakpoint(void)
{
    db_count = 0;
    __asm__ volatile("mov %0, %%dr1" : : "r"((uint64_t)&watched));
    /* L1, RW1 = 01 (write), LEN1 = 11 (4 bytes) */
    __asm__ volatile("mov %0, %%dr7" : : "r"(0x4ul | 0x1ul << 20 | 0x3ul << 22));
    uint32_t v = watched;                                      /* a read: no trap */
    __asm__ volatile("movl %1, %0\n.globl after_store\nafter_store:" : "=m"(watched) : "r"(v + 1));
    __asm__ volatile("mov %0, %%dr7" : : "r"(0ul));
    if (db_count != 1 || db_rip != (uint64_t)after_store || (db_dr6 & 0xf) != 2)
        return fail("data breakpoint");
    return 0;
}

/* TF set by POPF traps after each later instruction: three NOPs, PUSHF,
 * AND and the POPF that clears TF. */
static int single_step(void)
{
    db_count = 0;
    __asm__ volatile("pushfq\n orq $0x100, (%%rsp)\n popfq\n nop\n nop\n nop\n"
                     "pushfq\n andq $~0x100, (%%rsp)\n popfq\n" ::: "memory", "cc");
    if (db_count != 6 || !(db_dr6 & (1u << 14)))
        return fail("single-step");
    return 0;
}

int guest_main(const void *start_info)
{
    (void)start_info;
    for (int v = 0; v < 256; v++)
        set_gate(v, other_isr);
    set_gate(1, db_isr);
    struct { uint16_t limit; uint64_t base; } __attribute__((packed)) d = { sizeof idt - 1, (uint64_t)idt };
    __asm__ volatile("lidt %0" : : "m"(d));
    if (instruction_breakpoint() || data_breakpoint() || single_step())
        return 1;
    puts_e9("debug registers ok\n");
    return 0;
}
