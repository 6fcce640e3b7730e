/* Exceptions raised by software, checked for vector, error code and saved
 * RIP (fault: the instruction; trap: the next one), SDM Vol.3A §6.3-6.15. */
#include "desc.h"


extern char compat_into_clear[], compat_into[], compat_bound[], compat_bound_ok[];
void run_compat_tests(void);
extern volatile uint32_t compat_into_vec, compat_into_rip, compat_into_cs;
extern volatile uint32_t compat_bound_vec, compat_bound_rip;

static void expect(const char *what, uint64_t vec, uint64_t err, uint64_t rip)
{
    puts_e9(what);
    puts_e9(":\n");
    check_eq("  vector", trap.vector, vec);
    check_eq("  error code", trap.error, err);
    check_eq("  saved RIP", trap.rip, rip);
}

static void db_handler(struct trap_frame *f)
{
    f->rflags &= ~RFLAGS_TF;
    if (trap_resume) {
        f->rip = trap_resume;
        trap_resume = 0;
    }
}

static void user_ac(void)
{
    /* SDM §6.15 #AC: CPL 3, CR0.AM and EFLAGS.AC set, misaligned access. */
    PROBE("movl (%%rax), %%eax", : : "a"(0x100001ul) : "memory");
    __asm__ volatile("int %0" : : "i"(VEC_USER_EXIT), "a"(1));
}

static void user_gp(void)
{
    PROBE("hlt", : : : "memory");
    uint64_t hlt_rip = probe_insn, hlt_err = trap.error, hlt_vec = trap.vector;
    PROBE("int $0x40", : : : "memory");
    (void)hlt_rip;
    __asm__ volatile("int %0" : : "i"(VEC_USER_EXIT), "a"(hlt_vec << 32 | hlt_err));
}

static uint64_t seg_present_desc(int present)
{
    return seg_desc(0, 0xfffff, present ? 0x92 : 0x12, 0xc);
}

int guest_main(const void *start_info)
{
    (void)start_info;
    desc_init();
    paging_all_user();
    uint64_t before;

    /* #DE, fault (SDM §6.15 interrupt 0). */
    PROBE("divl %%ecx", : : "a"(1), "d"(0), "c"(0) : "memory");
    expect("#DE from DIV by zero", 0, 0, probe_insn);
    check_eq("  saved CS", trap.cs, SEL_KCODE);

    /* #DB from INT1 (ICEBP) is a trap (SDM §6.15 interrupt 1, Vol.2A INT n). */
    trap_set_handler(1, db_handler);
    PROBE(".byte 0xf1", : : : "memory");
    expect("#DB from INT1", 1, 0, probe_insn + 1);

    /* #DB single-step trap after the instruction following the POPF that
     * set TF; DR6.BS set (SDM Vol.3A §18.3.1.4, §18.2.3). */
    __asm__ volatile("xor %%eax, %%eax; mov %%rax, %%dr6" : : : "rax");
    uint64_t after_nop, dr6;
    trap.vector = 99;
    __asm__ volatile("lea 2f(%%rip), %0\n\tpushfq\n\torq $0x100, (%%rsp)\n\tpopfq\n\tnop\n2:\n\t"
                     : "=&r"(after_nop) : : "memory");
    __asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
    expect("#DB from TF single step", 1, 0, after_nop);
    check("  DR6.BS set", (dr6 >> 14) & 1);
    check("  TF clear after the handler", !(read_rflags() & RFLAGS_TF));
    __asm__ volatile("pushfq; andq $~0x100, (%%rsp); popfq" : : : "memory");
    trap_set_handler(1, 0);

    /* #BP is a trap: saved RIP after INT3 and after the 2-byte INT 3. */
    PROBE("int3", : : : "memory");
    expect("#BP from INT3", 3, 0, probe_insn + 1);
    PROBE(".byte 0xcd, 0x03", : : : "memory");
    expect("#BP from INT 3 (CD 03)", 3, 0, probe_insn + 2);

    /* INTO and BOUND are invalid in 64-bit mode: #UD (SDM Vol.2A). */
    PROBE(".byte 0xce", : : : "memory");
    expect("INTO in 64-bit mode is #UD", 6, 0, probe_insn);

    /* #OF (trap) and #BR (fault) in compatibility mode. */
    before = trap.count;
    run_compat_tests();
    check_eq("INTO/BOUND in compat mode: exactly two exceptions", trap.count - before, 2);
    puts_e9("#OF from INTO with OF set (compat mode):\n");
    check_eq("  vector", compat_into_vec, 4);
    check_eq("  saved RIP", compat_into_rip, (uint64_t)compat_into + 1);
    check_eq("  saved CS", compat_into_cs, SEL_KCODE32);
    puts_e9("#BR from BOUND out of range (compat mode):\n");
    check_eq("  vector", compat_bound_vec, 5);
    check_eq("  saved RIP", compat_bound_rip, (uint64_t)compat_bound);

    /* #UD from UD2 (SDM §6.15 interrupt 6). */
    PROBE("ud2", : : : "memory");
    expect("#UD from UD2", 6, 0, probe_insn);

    /* #NM: x87 and SSE instructions with CR0.TS set (SDM §6.15 interrupt 7). */
    write_cr0(read_cr0() | CR0_TS);
    PROBE("fnop", : : : "memory");
    expect("#NM from FNOP with CR0.TS", 7, 0, probe_insn);
    PROBE("movaps %%xmm0, %%xmm1", : : : "memory");
    expect("#NM from MOVAPS with CR0.TS", 7, 0, probe_insn);
    PROBE("fwait", : : : "memory");
    expect("#NM from WAIT with CR0.TS and CR0.MP", 7, 0, probe_insn);
    __asm__ volatile("clts");
    before = trap.count;
    PROBE("fnop", : : : "memory");
    check_eq("no #NM after CLTS", trap.count - before, 0);

    /* #NP for a not-present IDT gate: error = vector*8 + IDT bit (§6.13). */
    uint64_t *idt_gate_save;
    {
        struct __attribute__((packed)) { uint16_t limit; uint64_t base; } d;
        __asm__ volatile("sidt %0" : "=m"(d));
        idt_gate_save = (uint64_t *)d.base;
    }
    idt_gate_save[2 * 0x50] &= ~(1ull << 47);
    PROBE("int $0x50", : : : "memory");
    expect("#NP from INT 0x50 with a not-present gate", 11, 0x50 * 8 + 2, probe_insn);

    /* #DF: #DE whose gate is not present gives #NP, and two contributory
     * exceptions make a double fault with error code 0 (§6.15 table 6-5). */
    uint64_t de_gate = idt_gate_save[0];
    idt_gate_save[0] &= ~(1ull << 47);
    PROBE("divl %%ecx", : : "a"(1), "d"(0), "c"(0) : "memory");
    puts_e9("#DF from #DE with a not-present #DE gate:\n");
    check_eq("  vector", trap.vector, 8);
    check_eq("  error code", trap.error, 0);
    idt_gate_save[0] = de_gate;

    /* #TS: a gate with an IST index beyond the TSS limit (SDM Vol.2A INT n,
     * "IST ... beyond TSS limit: #TS(TSS selector)"). */
    gdt[SEL_TSS >> 3] = seg_desc((uint32_t)(uint64_t)&tss, 0x2b, 0x89, 0);
    __asm__ volatile("ltr %w0" : : "r"(SEL_TSS));
    idt_set_gate(0x51, stub_table[0x51], SEL_KCODE, GATE_INT, 0, 7);
    PROBE("int $0x51", : : : "memory");
    expect("#TS from an IST slot beyond the TSS limit", 10, SEL_TSS, probe_insn);
    gdt[SEL_TSS >> 3] = seg_desc((uint32_t)(uint64_t)&tss, sizeof tss - 1, 0x89, 0);
    __asm__ volatile("ltr %w0" : : "r"(SEL_TSS));

    /* #NP loading a data segment register with a not-present descriptor;
     * #SS loading SS with one (SDM Vol.2A MOV, §6.15). */
    gdt[SEL_FREE >> 3] = seg_present_desc(0);
    PROBE("mov %w0, %%fs", : : "r"(SEL_FREE) : "memory");
    expect("#NP from MOV FS with a not-present segment", 11, SEL_FREE, probe_insn);
    PROBE("mov %w0, %%ss", : : "r"(SEL_FREE) : "memory");
    expect("#SS from MOV SS with a not-present segment", 12, SEL_FREE, probe_insn);

    /* #SS(0) for a non-canonical stack reference, #GP(0) for a data one
     * (SDM Vol.3A §6.15 interrupts 12 and 13, 64-bit mode). */
    PROBE("movq (%%rsp,%0), %0", : : "r"(0x8000000000000000ul) : "memory");
    expect("#SS from a non-canonical RSP-based access", 12, 0, probe_insn);
    PROBE("movq (%0), %0", : : "r"(0x8000000000000000ul) : "memory");
    expect("#GP from a non-canonical access", 13, 0, probe_insn);
    PROBE("mov %w0, %%ds", : : "r"(0x1f8) : "memory");
    expect("#GP from MOV DS beyond the GDT limit", 13, 0x1f8, probe_insn);
    PROBE("mov %0, %%cr0", : : "r"(CR0_PG) : "memory");
    expect("#GP from MOV CR0 with PG and not PE", 13, 0, probe_insn);

    /* #GP at CPL 3: HLT (privileged), INT n to a DPL 0 gate (§6.12.1.1). */
    uint64_t r = enter_user((uint64_t)user_gp, USER_STACK_TOP - 8, 2, SEL_UCODE | 3);
    puts_e9("CPL 3 HLT:\n");
    check_eq("  vector", r >> 32, 13);
    check_eq("  error code", r & 0xffffffff, 0);
    expect("CPL 3 INT 0x40 through a DPL 0 gate", 13, 0x40 * 8 + 2, probe_insn);
    check_eq("  saved CS", trap.cs, SEL_UCODE | 3);

    /* #PF: read and write to an unmapped address, CR2 (SDM §4.7). */
    volatile uint64_t *unmapped = (volatile uint64_t *)0x80001008ul;
    PROBE("movq (%0), %%rax", : : "r"(unmapped) : "rax", "memory");
    expect("#PF read of a not-present page", 14, 0, probe_insn);
    check_eq("  CR2", trap.cr2, (uint64_t)unmapped);
    PROBE("movq %%rax, (%0)", : : "r"(unmapped) : "memory");
    expect("#PF write to a not-present page", 14, 2, probe_insn);
    check_eq("  CR2", trap.cr2, (uint64_t)unmapped);

    /* #MF: an unmasked x87 exception is reported at the next waiting x87
     * instruction, with CR0.NE set (SDM Vol.1 §8.6, Vol.3A §6.15). */
    uint16_t cw = 0x037b;           /* ZM clear */
    __asm__ volatile("fninit; fldcw %0; fldz; fld1; fdiv %%st(1), %%st" : : "m"(cw) : "memory");
    PROBE("fwait", : : : "memory");
    expect("#MF at the WAIT after an unmasked divide by zero", 16, 0, probe_insn);
    __asm__ volatile("fninit");

    /* #AC at CPL 3 with CR0.AM and RFLAGS.AC (SDM §6.15 interrupt 17). */
    write_cr0(read_cr0() | CR0_AM);
    enter_user((uint64_t)user_ac, USER_STACK_TOP - 8, 2 | RFLAGS_AC, SEL_UCODE | 3);
    expect("#AC from a misaligned CPL 3 load", 17, 0, probe_insn);
    check_eq("  saved CS", trap.cs, SEL_UCODE | 3);
    write_cr0(read_cr0() & ~CR0_AM);

    /* #XM: unmasked SIMD exception with CR4.OSXMMEXCPT; #UD without it
     * (SDM §6.15 interrupt 19). */
    uint32_t mx = 0x1f80 & ~(1u << 9);     /* ZM clear */
    float one = 1.0f, zero = 0.0f;
    __asm__ volatile("ldmxcsr %0; movss %1, %%xmm0; movss %2, %%xmm1" : : "m"(mx), "m"(one), "m"(zero) : "memory");
    PROBE("divss %%xmm1, %%xmm0", : : : "memory");
    expect("#XM from DIVSS by zero", 19, 0, probe_insn);
    write_cr4(read_cr4() & ~CR4_OSXMMEXCPT);
    PROBE("divss %%xmm1, %%xmm0", : : : "memory");
    expect("#UD from DIVSS by zero without CR4.OSXMMEXCPT", 6, 0, probe_insn);
    write_cr4(read_cr4() | CR4_OSXMMEXCPT);
    mx = 0x1f80;
    __asm__ volatile("ldmxcsr %0" : : "m"(mx));

    return finish("exceptions");
}
