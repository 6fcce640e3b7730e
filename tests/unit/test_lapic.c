/* The local APIC (SDM Vol.3A ch.11): x2APIC MSR rules, mode transitions,
 * the timer in virtual time, HLT waking on the timer, TPR/PPR, and
 * INIT/SIPI between two vCPUs. */
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
    machine_destroy(&m2);
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
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
