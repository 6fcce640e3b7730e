/* Self-modifying code (SDM Vol.3A §12.6, §9.1.3 option 1: store the code,
 * then jump to it): stores into code that has run before, into the next
 * instruction, through a second linear mapping of the same frame, and by
 * REP MOVSB / REP STOSB. */
#include "desc.h"

static uint8_t codebuf[4096] __attribute__((aligned(4096)));
static uint64_t pd_alias[512] __attribute__((aligned(4096)));
static uint64_t pt_alias[512] __attribute__((aligned(4096)));
#define ALIAS 0x40000000ul          /* 1 GiB: second mapping of codebuf */

typedef uint32_t (*fn_t)(uint32_t);

/* mov $imm32, %eax; ret */
static void emit_mov_ret(volatile uint8_t *p, uint32_t imm)
{
    p[0] = 0xb8;
    p[1] = (uint8_t)imm;
    p[2] = (uint8_t)(imm >> 8);
    p[3] = (uint8_t)(imm >> 16);
    p[4] = (uint8_t)(imm >> 24);
    p[5] = 0xc3;
}

static uint32_t run(uint32_t arg)
{
    return ((fn_t)(uintptr_t)codebuf)(arg);
}

int guest_main(const void *start_info)
{
    (void)start_info;
    desc_init();

    /* Hot code, then one byte of its immediate rewritten. */
    emit_mov_ret(codebuf, 1);
    uint32_t sum = 0;
    for (int i = 0; i < 1000; i++)
        sum += run(0);
    check_eq("code run 1000 times", sum, 1000);
    codebuf[1] = 2;
    check_eq("after a store into its immediate, the new code runs", run(0), 2);

    /* A store into the very next instruction of the running stream (§12.6:
     * a write that hits a prefetched instruction invalidates it). */
    uint32_t v;
    __asm__ volatile("movb $0x22, 1f+1(%%rip)\n\t"
                     "1: mov $0x11, %0\n\t"
                     "movb $0x11, 1b+1(%%rip)"
                     : "=r"(v) : : "memory");
    check_eq("a store into the next instruction takes effect", v, 0x22);
    __asm__ volatile("movb $0x33, 2f+1(%%rip)\n\t"
                     "2: mov $0x11, %0\n\t"
                     "movb $0x11, 2b+1(%%rip)"
                     : "=r"(v) : : "memory");
    check_eq("  again, another copy in the same block", v, 0x33);

    /* Second linear mapping of the code frame (the check is by physical
     * address, §12.6). */
    uint64_t *pml4 = (uint64_t *)(read_cr3() & ~0xfffull);
    uint64_t *pdpt = (uint64_t *)(pml4[0] & 0x000ffffffffff000ull);
    pdpt[1] = (uint64_t)pd_alias | 3;
    pd_alias[0] = (uint64_t)pt_alias | 3;
    pt_alias[0] = (uint64_t)codebuf | 3;
    invlpg((void *)ALIAS);
    check_eq("before the alias store", run(0), 2);
    *(volatile uint8_t *)(ALIAS + 1) = 3;
    check_eq("after a store through a second mapping", run(0), 3);
    emit_mov_ret((volatile uint8_t *)ALIAS, 0x44);
    check_eq("after rewriting the whole routine through the alias", run(0), 0x44);
    check_eq("  and run at the alias address", ((fn_t)ALIAS)(0), 0x44);

    /* REP MOVSB copies a new routine over the old one. */
    static uint8_t tmpl[64];
    for (int i = 0; i < 64; i++)
        tmpl[i] = 0x90;                 /* NOPs, then mov $0x55,%eax; ret */
    emit_mov_ret(tmpl + 40, 0x55);
    check_eq("before REP MOVSB", run(0), 0x44);
    __asm__ volatile("rep movsb" : : "D"(codebuf), "S"(tmpl), "c"(64ul) : "memory");
    check_eq("after REP MOVSB over the code", run(0), 0x55);

    /* REP STOSB turns the MOV into NOPs: EAX stays what it was. */
    __asm__ volatile("rep stosb" : : "D"(codebuf + 40), "a"(0x90), "c"(5ul) : "memory");
    uint32_t r;
    __asm__ volatile("mov $0x77, %%eax; call *%1" : "=a"(r) : "r"(codebuf) : "rcx", "rdx", "memory");
    check_eq("after REP STOSB replaced the MOV with NOPs", r, 0x77);

    /* A routine that patches its own later instruction while running:
     * the 7-byte MOVB rewrites the imm8 of "mov $0x01, %al" at offset 10. */
    static const uint8_t selfpatch[] = {
        0xc6, 0x05, 0x03, 0x00, 0x00, 0x00, 0x66,   /* movb $0x66, 3(%rip) */
        0x31, 0xc0,                                 /* xor %eax, %eax */
        0xb0, 0x01,                                 /* mov $0x01, %al  <- imm at +10 */
        0xc3,                                       /* ret */
    };
    memcpy(codebuf, selfpatch, sizeof selfpatch);
    check_eq("routine patching its own later instruction", run(0), 0x66);
    check_eq("  the patch stayed", codebuf[10], 0x66);
    return finish("smc");
}
