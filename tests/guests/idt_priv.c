/* IDT delivery across privilege levels in IA-32e mode (SDM Vol.3A §6.14):
 * ring 3 -> ring 0 through interrupt and trap gates with the stack from
 * TSS.RSP0 or an IST slot, NULL SS, 16-byte stack alignment, IF handling,
 * and IRETQ back to ring 3. */
#include "desc.h"

struct rec {
    uint64_t cs, ss, rsp, rflags;      /* pushed by the CPU */
    uint64_t frame_top;                /* address just above the pushed SS */
    uint64_t cur_ss, cur_rflags, cur_cs;
};
static volatile struct rec rec[4];
static volatile uint64_t user_rsp[4], user_cs_after, user_rflags_after, user_ss_after;
static uint8_t ist_stack[2][4096] __attribute__((aligned(16)));

static void gate_handler(struct trap_frame *f)
{
    volatile struct rec *r = &rec[f->vector - 0x60];
    r->cs = f->cs;
    r->ss = f->ss;
    r->rsp = f->rsp;
    r->rflags = f->rflags;
    r->frame_top = (uint64_t)&f->ss + 8;
    uint64_t ss, cs;
    __asm__ volatile("mov %%ss, %0; mov %%cs, %1" : "=r"(ss), "=r"(cs));
    r->cur_ss = ss;
    r->cur_cs = cs;
    r->cur_rflags = read_rflags();
}

static void user_main(void)
{
    uint64_t rsp;
    __asm__ volatile("mov %%rsp, %0; int $0x60" : "=r"(rsp) : : "memory");
    user_rsp[0] = rsp;
    __asm__ volatile("mov %%rsp, %0; int $0x61" : "=r"(rsp) : : "memory");
    user_rsp[1] = rsp;
    __asm__ volatile("mov %%rsp, %0; int $0x62" : "=r"(rsp) : : "memory");
    user_rsp[2] = rsp;
    uint64_t cs, ss;
    __asm__ volatile("mov %%cs, %0; mov %%ss, %1" : "=r"(cs), "=r"(ss));
    user_cs_after = cs;
    user_ss_after = ss;
    user_rflags_after = read_rflags();
    __asm__ volatile("int %0" : : "i"(VEC_USER_EXIT) : "memory");
}

int guest_main(const void *start_info)
{
    (void)start_info;
    desc_init();
    paging_all_user();
    for (int v = 0x60; v < 0x64; v++)
        trap_set_handler(v, gate_handler);
    idt_set_gate(0x60, stub_table[0x60], SEL_KCODE, GATE_INT, 3, 0);
    idt_set_gate(0x61, stub_table[0x61], SEL_KCODE, GATE_TRAP, 3, 0);
    idt_set_gate(0x62, stub_table[0x62], SEL_KCODE, GATE_INT, 3, 2);
    idt_set_gate(0x63, stub_table[0x63], SEL_KCODE, GATE_INT, 0, 1);
    /* An IST top that is 8 mod 16: the CPU aligns it down (§6.14.2). */
    tss.ist[2 - 1] = (uint64_t)ist_stack[0] + sizeof ist_stack[0] - 8;
    tss.ist[1 - 1] = (uint64_t)ist_stack[1] + sizeof ist_stack[1];

    enter_user((uint64_t)user_main, USER_STACK_TOP - 8, 0x202, SEL_UCODE | 3);

    puts_e9("ring 3 INT 0x60 through a DPL 3 interrupt gate:\n");
    check_eq("  handler CS", rec[0].cur_cs, SEL_KCODE);
    check_eq("  handler SS is NULL after the CPL change (6.14.4)", rec[0].cur_ss, 0);
    check_eq("  stack from TSS.RSP0", rec[0].frame_top, tss.rsp[0]);
    check_eq("  pushed CS", rec[0].cs, SEL_UCODE | 3);
    check_eq("  pushed SS", rec[0].ss, SEL_UDATA | 3);
    check_eq("  pushed RSP", rec[0].rsp, user_rsp[0]);
    check("  pushed RFLAGS has IF", rec[0].rflags & RFLAGS_IF);
    check("  IF clear in the handler (interrupt gate, 6.12.1.3)", !(rec[0].cur_rflags & RFLAGS_IF));

    puts_e9("ring 3 INT 0x61 through a DPL 3 trap gate:\n");
    check_eq("  stack from TSS.RSP0", rec[1].frame_top, tss.rsp[0]);
    check_eq("  pushed RSP", rec[1].rsp, user_rsp[1]);
    check("  IF still set in the handler (trap gate)", rec[1].cur_rflags & RFLAGS_IF);

    puts_e9("ring 3 INT 0x62 through an IST 2 gate:\n");
    check_eq("  stack from IST2, aligned down to 16", rec[2].frame_top, tss.ist[2 - 1] & ~15ull);
    check_eq("  pushed CS", rec[2].cs, SEL_UCODE | 3);
    check_eq("  pushed RSP", rec[2].rsp, user_rsp[2]);

    puts_e9("IRETQ back to ring 3 (6.14.3):\n");
    check_eq("  CS after IRETQ", user_cs_after, SEL_UCODE | 3);
    check_eq("  SS after IRETQ", user_ss_after, SEL_UDATA | 3);
    check("  IF restored", user_rflags_after & RFLAGS_IF);

    /* Ring 0 to ring 0: no stack switch without IST, SS kept; IST switches
     * even without a CPL change (6.14.5). */
    uint64_t rsp_before;
    __asm__ volatile("mov %0, %%ss" : : "r"(SEL_KDATA));
    __asm__ volatile("mov %%rsp, %0; int $0x60" : "=r"(rsp_before) : : "memory");
    puts_e9("ring 0 INT 0x60 (no CPL change):\n");
    check_eq("  pushed CS", rec[0].cs, SEL_KCODE);
    check_eq("  pushed SS", rec[0].ss, SEL_KDATA);
    check_eq("  pushed RSP", rec[0].rsp, rsp_before);
    check_eq("  frame on the same stack, aligned", rec[0].frame_top, rsp_before & ~15ull);
    check_eq("  handler SS unchanged", rec[0].cur_ss, SEL_KDATA);
    __asm__ volatile("mov %%rsp, %0; int $0x63" : "=r"(rsp_before) : : "memory");
    puts_e9("ring 0 INT 0x63 through an IST 1 gate:\n");
    check_eq("  stack from IST1", rec[3].frame_top, tss.ist[1 - 1]);
    check_eq("  pushed RSP", rec[3].rsp, rsp_before);
    return finish("idt_priv");
}
