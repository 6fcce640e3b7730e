/* The local APIC (SDM Vol.3A ch.11): x2APIC MSR rules, mode transitions,
 * the timer in virtual time, HLT waking on the timer, TPR/PPR, INIT/SIPI
 * between two vCPUs, NMI blocking and lowest-priority IPIs. */
#include "testvm.h"

#include "xenemu/lapic.h"

static void setup(void)
{
    tvm_setup();
    tvm_long(false, false);
    cpu->deliver_exceptions = true;
}

static void teardown(void)
{
    tvm_teardown();
}

static uint64_t msr_rd(uint32_t i, bool *ok)
{
    uint64_t v = 0;
    *ok = lapic_msr_read(cpu, i, &v);
    return v;
}

static void to_x2apic(void)
{
    ck_assert(lapic_base_write(cpu, APIC_DEFAULT_BASE | APIC_BASE_EN | APIC_BASE_EXTD));
}

/* SDM Vol.3A §11.12.1.3: reserved, read-only and write-only registers. */
START_TEST(x2apic_msr_rules)
{
    bool ok;
    ck_assert_uint_eq(lapic_base_read(cpu), 0xfee00900);
    msr_rd(0x802, &ok);
    ck_assert(!ok);                                        /* xAPIC mode: no MSRs */
    to_x2apic();
    ck_assert_uint_eq(msr_rd(0x802, &ok), 0);
    ck_assert(ok);
    ck_assert_uint_eq(msr_rd(0x803, &ok), 0x00060015);
    ck_assert_uint_eq(msr_rd(0x80d, &ok), 1);              /* LDR: cluster 0, bit 0 */
    msr_rd(0x80b, &ok); ck_assert(!ok);                    /* EOI is write-only */
    msr_rd(0x83f, &ok); ck_assert(!ok);                    /* SELF IPI is write-only */
    msr_rd(0x80e, &ok); ck_assert(!ok);                    /* no DFR */
    msr_rd(0x831, &ok); ck_assert(!ok);                    /* no ICR high half */
    msr_rd(0x8ff, &ok); ck_assert(!ok);
    ck_assert(!lapic_msr_write(cpu, 0x802, 0));            /* ID is read-only */
    ck_assert(!lapic_msr_write(cpu, 0x839, 0));            /* current count */
    ck_assert(!lapic_msr_write(cpu, 0x80b, 1));            /* EOI must be 0 */
    ck_assert(!lapic_msr_write(cpu, 0x828, 1));            /* ESR must be 0 */
    ck_assert(!lapic_msr_write(cpu, 0x83f, 0x100));        /* SELF IPI reserved bits */
    ck_assert(!lapic_msr_write(cpu, 0x808, 1ull << 32));   /* 32-bit register */
    ck_assert(lapic_msr_write(cpu, 0x80f, 0x1ff));
    ck_assert(lapic_msr_write(cpu, 0x83f, 0x31));
    ck_assert_uint_eq(msr_rd(0x821, &ok), 1u << 17);       /* IRR bit 0x31 */
    /* x2APIC -> xAPIC is invalid; x2APIC -> disabled is fine. */
    ck_assert(!lapic_base_write(cpu, APIC_DEFAULT_BASE | APIC_BASE_EN));
    ck_assert(lapic_base_write(cpu, APIC_DEFAULT_BASE));
    ck_assert(!lapic_base_write(cpu, APIC_DEFAULT_BASE | APIC_BASE_EN | APIC_BASE_EXTD));
    ck_assert(!lapic_base_write(cpu, APIC_DEFAULT_BASE | APIC_BASE_EXTD));
}
END_TEST

/* xAPIC through MMIO: the window answers the running vCPU. */
START_TEST(xapic_mmio)
{
    tvm.current = cpu;
    ck_assert_uint_eq(phys_read(&tvm.mem, 0xfee00030, 4), 0x00060015);
    phys_write(&tvm.mem, 0xfee00080, 0x5a, 4);
    ck_assert_uint_eq(lapic_mmio_read(cpu, 0x80), 0x5a);
    ck_assert_uint_eq(cpu->cr8, 5);                        /* CR8 is TPR[7:4] */
    ck_assert_uint_eq(phys_read(&tvm.mem, 0xfee000a0, 4), 0x5a);   /* PPR */
    /* Moved away: the old page reads as nothing. */
    ck_assert(lapic_base_write(cpu, 0xfec00000 | APIC_BASE_EN | APIC_BASE_BSP));
    ck_assert_uint_eq(phys_read(&tvm.mem, 0xfee00030, 4), 0xffffffff);
    ck_assert_uint_eq(phys_read(&tvm.mem, 0xfec00030, 4), 0x00060015);
}
END_TEST

/* One-shot: the count falls one per 40 * divisor instructions. */
START_TEST(timer_counts_in_instructions)
{
    lapic_mmio_write(cpu, 0xf0, 0x1ff);
    lapic_mmio_write(cpu, 0x3e0, 0x0);                     /* divide by 2 */
    lapic_mmio_write(cpu, 0x320, 0x40);
    lapic_mmio_write(cpu, 0x380, 100);
    ck_assert_uint_eq(cpu->apic.deadline, cpu->icount + 100 * 80);
    ck_assert_uint_eq(lapic_mmio_read(cpu, 0x390), 100);
    cpu->icount += 800;
    ck_assert_uint_eq(lapic_mmio_read(cpu, 0x390), 90);
    cpu->icount += 7200;
    lapic_timer_update(cpu);
    ck_assert_uint_eq(lapic_mmio_read(cpu, 0x390), 0);
    ck_assert_uint_eq(cpu->apic.irr[2], 1);                /* vector 0x40 */
    ck_assert_uint_eq(cpu->apic.deadline, UINT64_MAX);
}
END_TEST

/* TSC-deadline: 2 GHz TSC, 1e9 instructions/s: two TSC ticks each. */
START_TEST(tsc_deadline_mode)
{
    uint64_t v;
    lapic_mmio_write(cpu, 0xf0, 0x1ff);
    ck_assert(lapic_msr_write(cpu, 0x6e0, 12345));         /* ignored outside the mode */
    ck_assert(lapic_msr_read(cpu, 0x6e0, &v));
    ck_assert_uint_eq(v, 0);
    lapic_mmio_write(cpu, 0x320, 0x40 | 2u << 17);
    lapic_mmio_write(cpu, 0x380, 100);                     /* ignored in this mode */
    ck_assert_uint_eq(cpu->apic.timer_initial, 0);
    ck_assert(lapic_msr_write(cpu, 0x6e0, 2 * cpu->icount + 1001));
    ck_assert_uint_eq(cpu->apic.deadline, cpu->icount + 501);
}
END_TEST

/* HLT with IF = 1: time jumps to the deadline, the interrupt wakes the
 * vCPU into its handler (which halts with IF = 0). */
START_TEST(hlt_wakes_on_timer)
{
    static const uint8_t prog[] = { 0xfb, 0xf4, 0xf4 };    /* sti; hlt; hlt */
    static const uint8_t handler[] = { 0xf4 };
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_code(TVM_HANDLERS, handler, sizeof handler);
    tvm_idt64(0x40, TVM_CS64, TVM_HANDLERS, 0xe, 0, 0);
    lapic_mmio_write(cpu, 0xf0, 0x1ff);
    lapic_mmio_write(cpu, 0x3e0, 0xb);
    lapic_mmio_write(cpu, 0x320, 0x40);
    lapic_mmio_write(cpu, 0x380, 1000);
    uint64_t deadline = cpu->apic.deadline;
    ck_assert_int_eq(cpu_run(cpu, 1000000), STOP_HALT);
    ck_assert_uint_eq(cpu->r[R_RIP], TVM_HANDLERS + 1);
    ck_assert_uint_eq(cpu->icount, deadline + 1);
    ck_assert_uint_eq(cpu->apic.isr[2], 1);
    ck_assert_uint_eq(cpu->apic.irr[2], 0);
    ck_assert_uint_eq(lapic_mmio_read(cpu, 0xa0), 0x40);   /* PPR = ISR class */
    ck_assert_uint_eq(tvm_get(TVM_STACK0 - 40, 8), TVM_CODE + 2);   /* return RIP after HLT */
    lapic_mmio_write(cpu, 0xb0, 0);
    ck_assert_uint_eq(cpu->apic.isr[2], 0);
}
END_TEST

/* With IF = 0 the interrupt waits; STI's shadow covers one instruction. */
START_TEST(sti_shadow_and_tpr)
{
    static const uint8_t prog[] = { 0x90, 0xfb, 0x90, 0x90, 0xf4 };   /* nop; sti; nop; nop; hlt */
    static const uint8_t handler[] = { 0xf4 };
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_code(TVM_HANDLERS, handler, sizeof handler);
    tvm_idt64(0x51, TVM_CS64, TVM_HANDLERS, 0xe, 0, 0);
    lapic_mmio_write(cpu, 0xf0, 0x1ff);
    lapic_mmio_write(cpu, 0x80, 0x50);                     /* TPR class 5 blocks 0x51 */
    lapic_raise_irq(cpu, 0x51);
    ck_assert_int_eq(cpu_run(cpu, 100), STOP_HALT);
    ck_assert_uint_eq(cpu->r[R_RIP], TVM_CODE + 5);
    lapic_mmio_write(cpu, 0x80, 0x40);
    cpu->r[R_RIP] = TVM_CODE;
    cpu->halted = false;
    cpu->rflags &= ~(uint64_t)F_IF;
    ck_assert_int_eq(cpu_run(cpu, 100), STOP_HALT);
    /* Taken after the NOP that follows STI: the pushed RIP is the second NOP. */
    ck_assert_uint_eq(cpu->r[R_RIP], TVM_HANDLERS + 1);
    ck_assert_uint_eq(tvm_get(TVM_STACK0 - 40, 8), TVM_CODE + 3);
}
END_TEST

/* INIT then SIPI start an AP in real mode at vector << 12 (SDM Vol.3A §9.4.4). */
START_TEST(init_sipi)
{
    machine_t m2;
    ck_assert_int_eq(machine_init(&m2, 2), 0);
    cpu_t *bsp = m2.cpu[0], *ap = m2.cpu[1];
    ck_assert(ap->apic.wait_sipi);
    ck_assert(!bsp->apic.wait_sipi);
    lapic_mmio_write(bsp, 0x310, 1u << 24);
    lapic_mmio_write(bsp, 0x300, 0x4500);                  /* INIT, physical 1 */
    ck_assert(ap->apic.init_pending);
    ck_assert_int_eq(cpu_run(ap, 10), STOP_HALT);
    ck_assert(ap->apic.wait_sipi && !ap->apic.init_pending);
    lapic_mmio_write(bsp, 0x300, 0xc4608);                 /* SIPI 0x08, all but self */
    ck_assert(!ap->apic.wait_sipi);
    ck_assert_uint_eq(ap->seg[SEG_CS].base, 0x8000);
    ck_assert_uint_eq(ap->seg[SEG_CS].sel, 0x800);
    ck_assert_uint_eq(ap->r[R_RIP], 0);
    ck_assert_uint_eq(ap->code_mode, CM_16);
    /* A second SIPI is ignored; a fixed IPI with vector < 16 is an error. */
    ap->r[R_RIP] = 5;
    lapic_mmio_write(bsp, 0x300, 0xc4609);
    ck_assert_uint_eq(ap->r[R_RIP], 5);
    lapic_mmio_write(bsp, 0x300, 0xc0005);
    lapic_mmio_write(bsp, 0x280, 0);
    ck_assert_uint_eq(lapic_mmio_read(bsp, 0x280), 0x20);  /* send illegal vector */
    /* INIT and SIPI back to back to a running AP: the SIPI waits for the
     * INIT, which the AP takes at its next boundary (its GPRs reset). */
    ap->r[R_RBX] = 0x1234;
    lapic_mmio_write(bsp, 0x300, 0x4500);
    lapic_mmio_write(bsp, 0x300, 0x460a);                  /* SIPI 0x0a, physical 1 */
    ck_assert(ap->apic.init_pending);
    ck_assert_uint_eq(ap->apic.sipi_after_init, 0x10a);
    cpu_run(ap, 1);
    ck_assert(!ap->apic.wait_sipi && !ap->apic.init_pending);
    ck_assert_uint_eq(ap->seg[SEG_CS].base, 0xa000);
    ck_assert_uint_eq(ap->r[R_RBX], 0);
    ck_assert_uint_eq(ap->r[R_RDX], CPU_SIGNATURE);
    machine_destroy(&m2);
}
END_TEST

/* ---- NMIs (SDM Vol.3A §6.7, §6.8.3) ---- */

/* Run on through STOP_EVENT (an IPI arrived), as a vCPU loop does. */
static enum cpu_stop run_on(uint64_t budget)
{
    enum cpu_stop s;
    for (int i = 0; (s = cpu_run(cpu, budget)) == STOP_EVENT && i < 10; i++)
        ;
    return s;
}

/* x2APIC ICR: NMI to APIC ID 0 (the test vCPU), physical. */
static const uint8_t nmi_self[] = {
    0xb9, 0x30, 0x08, 0x00, 0x00,          /* mov ecx, 0x830 */
    0xb8, 0x00, 0x04, 0x00, 0x00,          /* mov eax, 0x400 */
    0x31, 0xd2,                            /* xor edx, edx */
};

/* An NMI blocks NMIs until IRET; of two sent meanwhile, one stays latched
 * and comes right after the IRET, at the boundary IRET returned to. IF = 0
 * throughout: it does not mask NMIs; an NMI wakes HLT. */
START_TEST(nmi_blocked_until_iret)
{
    uint8_t prog[sizeof nmi_self + 4];
    memcpy(prog, nmi_self, sizeof nmi_self);
    memcpy(prog + sizeof nmi_self, "\x0f\x30\xf4\xf4", 4);          /* wrmsr; hlt; hlt */
    static const uint8_t handler[] = {
        0x49, 0xff, 0xc0,                  /* inc r8 */
        0x49, 0x83, 0xf8, 0x01,            /* cmp r8, 1 */
        0x75, 0x0d,                        /* jne second */
        0x4c, 0x8b, 0x24, 0x24,            /* mov r12, [rsp]: where the first returns */
        0x0f, 0x30, 0x0f, 0x30,            /* wrmsr; wrmsr: two more NMIs */
        0x4d, 0x89, 0xc1,                  /* mov r9, r8: no nesting so far */
        0x48, 0xcf,                        /* iretq */
        0x4c, 0x8b, 0x1c, 0x24,            /* second: mov r11, [rsp] */
        0x48, 0xcf,                        /* iretq */
    };
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_code(TVM_HANDLERS, handler, sizeof handler);
    tvm_idt64(EXC_NMI, TVM_CS64, TVM_HANDLERS, 0xe, 0, 0);
    to_x2apic();
    cpu->rflags &= ~(uint64_t)F_IF;
    cpu->r[R_R8] = cpu->r[R_R9] = cpu->r[R_R11] = cpu->r[R_R12] = 0;
    ck_assert_int_eq(run_on(1000), STOP_HALT);
    ck_assert_uint_eq(cpu->r[R_R9], 1);
    ck_assert_uint_eq(cpu->r[R_R8], 2);                    /* exactly one more */
    ck_assert_uint_ne(cpu->r[R_R12], 0);
    ck_assert_uint_eq(cpu->r[R_R11], cpu->r[R_R12]);       /* right after the IRET */
    ck_assert(!cpu->apic.nmi_pending && !cpu->nmi_blocked);
    ck_assert_uint_eq(cpu->r[R_RIP], TVM_CODE + sizeof nmi_self + 3);
    /* Halted with IF = 0: an NMI from elsewhere wakes it. */
    lapic_accept(cpu, 4, 0, false);
    ck_assert_int_eq(run_on(1000), STOP_HALT);
    ck_assert_uint_eq(cpu->r[R_R8], 3);
    ck_assert_uint_eq(cpu->r[R_R11], TVM_CODE + sizeof nmi_self + 3);
    ck_assert_uint_eq(cpu->r[R_RIP], TVM_CODE + sizeof nmi_self + 4);
}
END_TEST

/* STI (with IF = 0) and MOV SS hold an NMI for one instruction (Vol.3C
 * Table 25-3; Vol.2B STI). The handler records RBX. */
START_TEST(nmi_waits_for_shadow)
{
    static const uint8_t prog[] = {
        0xfb,                              /* sti */
        0x48, 0xff, 0xc3,                  /* inc rbx */
        0x48, 0xff, 0xc3,                  /* inc rbx */
        0xf4,                              /* hlt */
        0x66, 0x8c, 0xd0,                  /* mov ax, ss */
        0x8e, 0xd0,                        /* mov ss, ax */
        0x48, 0xff, 0xc3,                  /* inc rbx */
        0xf4,                              /* hlt */
    };
    static const uint8_t handler[] = { 0x49, 0x89, 0xdd, 0x48, 0xcf };   /* mov r13, rbx; iretq */
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_code(TVM_HANDLERS, handler, sizeof handler);
    tvm_idt64(EXC_NMI, TVM_CS64, TVM_HANDLERS, 0xe, 0, 0);
    cpu->rflags &= ~(uint64_t)F_IF;
    cpu->r[R_RBX] = 0;
    cpu->r[R_R13] = 99;
    ck_assert_int_eq(cpu_run(cpu, 1), STOP_BUDGET);        /* STI retired */
    lapic_accept(cpu, 4, 0, false);
    ck_assert_int_eq(run_on(100), STOP_HALT);
    ck_assert_uint_eq(cpu->r[R_R13], 1);                   /* after one INC, not before */
    ck_assert_uint_eq(cpu->r[R_RBX], 2);
    cpu->halted = false;
    cpu->r[R_RIP] = TVM_CODE + 8;
    ck_assert_int_eq(cpu_run(cpu, 2), STOP_BUDGET);        /* MOV SS retired */
    lapic_accept(cpu, 4, 0, false);
    ck_assert_int_eq(run_on(100), STOP_HALT);
    ck_assert_uint_eq(cpu->r[R_R13], 3);
}
END_TEST

/* ---- lowest-priority IPIs (SDM Vol.3A §11.6.2.4) ---- */

static bool irr_has(const cpu_t *c, unsigned v)
{
    return (c->apic.irr[v >> 5] >> (v & 31)) & 1;
}

/* Which vCPUs got vector v, as a bit mask; clears their IRR bits. */
static unsigned got(machine_t *m, unsigned v)
{
    unsigned mask = 0;
    for (int i = 0; i < m->ncpu; i++)
        if (irr_has(m->cpu[i], v)) {
            mask |= 1u << i;
            m->cpu[i]->apic.irr[v >> 5] &= ~(1u << (v & 31));
        }
    return mask;
}

/* Four vCPUs, flat logical IDs 1 << n. One APIC takes the interrupt: the
 * lowest PPR, then the lowest APIC ID. */
START_TEST(lowest_priority_ipi)
{
    machine_t m4;
    ck_assert_int_eq(machine_init(&m4, 4), 0);
    cpu_t *src = m4.cpu[0];
    for (int i = 0; i < 4; i++) {
        lapic_mmio_write(m4.cpu[i], 0xf0, 0x1ff);
        lapic_mmio_write(m4.cpu[i], 0xd0, 1u << (24 + i));
    }
    static const uint32_t tpr[4] = { 0x00, 0x30, 0x10, 0x20 };
    for (int i = 0; i < 4; i++)
        lapic_mmio_write(m4.cpu[i], 0x80, tpr[i]);
    lapic_mmio_write(src, 0x310, 0x0eu << 24);             /* logical: vCPUs 1-3 */
    lapic_mmio_write(src, 0x300, 0x941);                   /* lowest priority, logical, 0x41 */
    ck_assert_uint_eq(got(&m4, 0x41), 1u << 2);            /* TPR 0x10 */
    /* Equal priorities: the lowest APIC ID. */
    for (int i = 1; i < 4; i++)
        lapic_mmio_write(m4.cpu[i], 0x80, 0x20);
    lapic_mmio_write(src, 0x300, 0x941);
    ck_assert_uint_eq(got(&m4, 0x41), 1u << 1);
    /* An interrupt in service raises PPR: vCPU 1 (0x60 in ISR) is passed over. */
    lapic_raise_irq(m4.cpu[1], 0x60);
    lapic_ack(m4.cpu[1], 0x60);
    lapic_mmio_write(src, 0x300, 0x941);
    ck_assert_uint_eq(got(&m4, 0x41), 1u << 2);
    /* All excluding self: one of the others, though the sender's TPR is 0. */
    lapic_mmio_write(src, 0x300, 0xc0941);
    ck_assert_uint_eq(got(&m4, 0x41), 1u << 2);
    /* Logical broadcast: the sender competes too, and wins at TPR 0. */
    lapic_mmio_write(src, 0x310, 0xffu << 24);
    lapic_mmio_write(src, 0x300, 0x941);
    ck_assert_uint_eq(got(&m4, 0x41), 1u << 0);
    /* Not supported: physical broadcast, self, all including self. */
    lapic_mmio_write(src, 0x300, 0x141);
    lapic_mmio_write(src, 0x300, 0x40141);
    lapic_mmio_write(src, 0x300, 0x80141);
    ck_assert_uint_eq(got(&m4, 0x41), 0);
    /* Physical, one APIC: that one. */
    lapic_mmio_write(src, 0x310, 3u << 24);
    lapic_mmio_write(src, 0x300, 0x141);
    ck_assert_uint_eq(got(&m4, 0x41), 1u << 3);
    machine_destroy(&m4);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lapic");
    TCase *tc = tcase_create("lapic");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, x2apic_msr_rules);
    tcase_add_test(tc, xapic_mmio);
    tcase_add_test(tc, timer_counts_in_instructions);
    tcase_add_test(tc, tsc_deadline_mode);
    tcase_add_test(tc, hlt_wakes_on_timer);
    tcase_add_test(tc, sti_shadow_and_tpr);
    tcase_add_test(tc, init_sipi);
    tcase_add_test(tc, nmi_blocked_until_iret);
    tcase_add_test(tc, nmi_waits_for_shadow);
    tcase_add_test(tc, lowest_priority_ipi);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
