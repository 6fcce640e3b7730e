/* MONITOR and MWAIT (SDM Vol.2B MONITOR, MWAIT; Vol.3A §9.10.4): faults,
 * the no-op cases, and the break events that end the wait: a store to the
 * monitored line by another vCPU or by the emulator, an interrupt with
 * IF = 1 (the timer in virtual time), with ECX[0] a masked interrupt that
 * stays pending, an NMI. Two vCPUs: cpu (vCPU 0) waits, other stores. */
#include "testvm.h"

#include "xenemu/lapic.h"

#define LINE (TVM_DATA + 0x100)      /* the monitored line: 0x30100-0x3013f */

static cpu_t *other;

static void setup(void)
{
    ck_assert_int_eq(machine_init(&tvm, 2), 0);
    ck_assert_int_eq(phys_add_ram(&tvm.mem, 0, TVM_RAM), 0);
    other = cpu = tvm.cpu[1];
    tvm_long(false, false);
    other->apic.wait_sipi = false;   /* the AP runs without INIT/SIPI */
    cpu = tvm.cpu[0];
    tvm_long(false, false);
    cpu->deliver_exceptions = true;
    other->deliver_exceptions = true;
}

static void teardown(void)
{
    tvm_teardown();
}

/* monitor [LINE] (ECX = EDX = 0). */
#define ARM 0xb8, 0x00, 0x01, 0x03, 0x00, 0x31, 0xc9, 0x31, 0xd2, 0x0f, 0x01, 0xc8
#define MWAIT 0x0f, 0x01, 0xc9
#define ARM_LEN 12

static void start(const uint8_t *prog, size_t n)
{
    tvm_code(TVM_CODE, prog, n);
    cpu->r[R_RIP] = TVM_CODE;
    cpu->halted = false;
    cpu_monitor_clear(cpu);              /* a wait left by the previous run */
}

/* The other vCPU runs `mov [rax], ecx; hlt`. */
static void other_store(uint64_t addr)
{
    static const uint8_t prog[] = { 0x89, 0x08, 0xf4 };
    tvm_code(TVM_CODE + 0x1000, prog, sizeof prog);
    other->r[R_RIP] = TVM_CODE + 0x1000;
    other->r[R_RAX] = addr;
    other->r[R_RCX] = 0x5a5a;
    other->halted = false;
    ck_assert_int_eq(cpu_run(other, 100), STOP_HALT);
    ck_assert_uint_eq(tvm_get(addr, 4), 0x5a5a);
}

/* Run on through STOP_EVENT (an IPI arrived), as a vCPU loop does. */
static enum cpu_stop run_on(uint64_t budget)
{
    enum cpu_stop s;
    for (int i = 0; (s = cpu_run(cpu, budget)) == STOP_EVENT && i < 10; i++)
        ;
    return s;
}

/* ---- faults ---- */

START_TEST(faults_at_cpl3_ud)
{
    static const uint8_t monitor[] = { 0x0f, 0x01, 0xc8 }, mwait[] = { MWAIT };
    tvm_long(true, false);
    cpu->r[R_RAX] = LINE;
    cpu->r[R_RCX] = 0;
    start(monitor, sizeof monitor);
    tvm_expect_exc(EXC_UD, 0, TVM_CODE);
    start(mwait, sizeof mwait);
    tvm_expect_exc(EXC_UD, 0, TVM_CODE);
}
END_TEST

/* ECX (RCX in 64-bit mode) must be 0 for MONITOR; MWAIT takes bit 0 only. */
START_TEST(faults_ecx_gp)
{
    static const uint8_t monitor[] = { 0x0f, 0x01, 0xc8, 0xf4 }, mwait[] = { MWAIT, 0xf4 };
    cpu->r[R_RAX] = LINE;
    cpu->r[R_RCX] = 1;
    start(monitor, sizeof monitor);
    tvm_expect_exc(EXC_GP, 0, TVM_CODE);
    cpu->r[R_RCX] = 1ull << 32;
    start(monitor, sizeof monitor);
    tvm_expect_exc(EXC_GP, 0, TVM_CODE);
    ck_assert(!cpu->monitor_armed);
    cpu->r[R_RCX] = 2;
    start(mwait, sizeof mwait);
    tvm_expect_exc(EXC_GP, 0, TVM_CODE);
    cpu->r[R_RCX] = 1ull << 32;
    start(mwait, sizeof mwait);
    tvm_expect_exc(EXC_GP, 0, TVM_CODE);
    cpu->r[R_RCX] = 1;                   /* break on masked interrupts: allowed */
    start(mwait, sizeof mwait);
    tvm_expect_halt(10);
    ck_assert_uint_eq(cpu->r[R_RIP], TVM_CODE + 4);
}
END_TEST

/* The address is checked like a 1-byte read: #PF past the 1 GiB map,
 * error code "not present, read, supervisor", CR2 the address. */
START_TEST(faults_page_fault)
{
    static const uint8_t prog[] = { 0x0f, 0x01, 0xc8, 0xf4 };
    cpu->r[R_RAX] = 0x40000123;
    cpu->r[R_RCX] = 0;
    start(prog, sizeof prog);
    tvm_expect_exc(EXC_PF, 0, TVM_CODE);
    ck_assert_uint_eq(cpu->exc.cr2, 0x40000123);
    ck_assert(!cpu->monitor_armed);
    cpu->r[R_RAX] = 0x0000800000000000ull;   /* non-canonical: #GP(0) */
    start(prog, sizeof prog);
    tvm_expect_exc(EXC_GP, 0, TVM_CODE);
}
END_TEST

/* IA32_MISC_ENABLE[18] = 0: CPUID hides MONITOR and both instructions #UD. */
START_TEST(misc_enable_disables)
{
    static const uint8_t prog[] = {
        0xb9, 0xa0, 0x01, 0x00, 0x00,        /* mov ecx, 0x1a0 */
        0x0f, 0x32,                          /* rdmsr */
        0x0f, 0xba, 0xf0, 0x12,              /* btr eax, 18 */
        0x0f, 0x30,                          /* wrmsr */
        0xb8, 0x01, 0x00, 0x00, 0x00,        /* mov eax, 1 */
        0x0f, 0xa2,                          /* cpuid */
        0x89, 0xcb,                          /* mov ebx, ecx */
        0x31, 0xc9,                          /* xor ecx, ecx */
        0x0f, 0x01, 0xc8,                    /* monitor */
    };
    cpu->r[R_RBX] = 0;
    start(prog, sizeof prog);
    tvm_expect_exc(EXC_UD, 0, TVM_CODE + sizeof prog - 3);
    ck_assert_uint_eq(cpu->r[R_RBX] & 8, 0);
}
END_TEST

/* DS:rAX with a segment override and the address size from 67. */
START_TEST(address_segment_and_size)
{
    static const uint8_t prog[] = {
        0x67, 0x0f, 0x01, 0xc8,              /* monitor (eax) */
        0x64, 0x0f, 0x01, 0xc8,              /* monitor fs:[rax] */
    };
    cpu->r[R_RAX] = 0xffffffff00000000ull | LINE | 0x3f;
    cpu->r[R_RCX] = 0;
    start(prog, sizeof prog);
    ck_assert_int_eq(cpu_run(cpu, 1), STOP_BUDGET);
    ck_assert(cpu->monitor_armed);
    ck_assert_uint_eq(cpu->monitor_line, LINE);
    cpu->seg[SEG_FS].base = 0x1000;
    cpu_update_mode(cpu);
    cpu->r[R_RAX] = LINE;
    ck_assert_int_eq(cpu_run(cpu, 1), STOP_BUDGET);
    ck_assert_uint_eq(cpu->monitor_line, LINE + 0x1000);
}
END_TEST

/* ---- no-op cases ---- */

/* MWAIT without MONITOR, and after a store (here its own) hit the line,
 * runs on at once. */
START_TEST(mwait_without_monitor_is_nop)
{
    static const uint8_t prog1[] = { MWAIT, 0xf4 };
    static const uint8_t prog2[] = { ARM, 0x89, 0x48, 0x08, MWAIT, 0xf4 };   /* ...; mov [rax+8], ecx */
    cpu->r[R_RCX] = 0;
    start(prog1, sizeof prog1);
    tvm_expect_halt(10);
    ck_assert(!cpu->mwait && cpu->halted);
    ck_assert_uint_eq(cpu->r[R_RIP], TVM_CODE + 4);
    start(prog2, sizeof prog2);
    tvm_expect_halt(10);
    ck_assert(!cpu->mwait && !cpu->monitor_armed);
    ck_assert_uint_eq(cpu->r[R_RIP], TVM_CODE + sizeof prog2);
}
END_TEST

/* ---- break events ---- */

/* Another vCPU's store to the line ends the wait, one to the next line of
 * the page does not. Its TLB maps the page writable before MONITOR, so
 * MONITOR must take that away. A store by the emulator ends it too. */
START_TEST(store_by_other_vcpu_wakes)
{
    static const uint8_t prog[] = { ARM, MWAIT, 0xf4 };
    other_store(LINE + 0x80);            /* fills its TLB with a writable entry */
    start(prog, sizeof prog);
    tvm_expect_halt(100);
    ck_assert(cpu->mwait && cpu->monitor_armed);
    ck_assert_uint_eq(cpu->r[R_RIP], TVM_CODE + ARM_LEN + 3);
    other_store(LINE + 0x40);
    other_store(LINE - 4);
    ck_assert(cpu->mwait);
    tvm_expect_halt(100);                /* still waiting */
    ck_assert_uint_eq(cpu->r[R_RIP], TVM_CODE + ARM_LEN + 3);
    other_store(LINE + 0x3e);            /* crosses into the next line: still hits */
    ck_assert(!cpu->mwait && !cpu->monitor_armed);
    tvm_expect_halt(100);
    ck_assert_uint_eq(cpu->r[R_RIP], TVM_CODE + sizeof prog);
    /* Again, woken by a write from outside the vCPUs (hypercall copies, gdb). */
    start(prog, sizeof prog);
    tvm_expect_halt(100);
    ck_assert(cpu->mwait);
    uint32_t v = 7;
    ck_assert_int_eq(mmu_write_linear(other, LINE + 0x10, &v, sizeof v), 0);
    ck_assert(!cpu->mwait);
    /* No monitor left in the page: the next store there stops watching it. */
    other_store(LINE);
    ck_assert_uint_eq(tvm.mem.code_pages[LINE >> 12] & PHYS_WATCH_MONITOR, 0);
}
END_TEST

/* IF = 1: time jumps to the timer deadline and the interrupt is taken
 * right after MWAIT; the handler halts. */
START_TEST(interrupt_with_if_wakes)
{
    static const uint8_t prog[] = { ARM, 0xfb, MWAIT, 0xf4 };   /* ...; sti; mwait; hlt */
    static const uint8_t handler[] = { 0xf4 };
    tvm_code(TVM_HANDLERS, handler, sizeof handler);
    tvm_idt64(0x40, TVM_CS64, TVM_HANDLERS, 0xe, 0, 0);
    lapic_mmio_write(cpu, 0xf0, 0x1ff);
    lapic_mmio_write(cpu, 0x3e0, 0xb);
    lapic_mmio_write(cpu, 0x320, 0x40);
    lapic_mmio_write(cpu, 0x380, 1000);
    uint64_t deadline = cpu->apic.deadline;
    start(prog, sizeof prog);
    ck_assert_int_eq(cpu_run(cpu, 1000000), STOP_HALT);
    ck_assert_uint_eq(cpu->r[R_RIP], TVM_HANDLERS + 1);
    ck_assert_uint_eq(cpu->icount, deadline + 1);
    ck_assert_uint_eq(tvm_get(TVM_STACK0 - 40, 8), TVM_CODE + ARM_LEN + 4);   /* after MWAIT */
    ck_assert(!cpu->mwait && !cpu->monitor_armed);
    ck_assert_uint_eq(cpu->apic.isr[2], 1);
}
END_TEST

/* ECX[0] = 1 with IF = 0: a pending interrupt ends the wait and stays
 * pending. Without ECX[0] it does not end it. */
START_TEST(masked_interrupt_with_ecx0)
{
    /* ...; cli; mov ecx, ebx; mwait; hlt */
    static const uint8_t prog[] = { ARM, 0xfa, 0x89, 0xd9, MWAIT, 0xf4 };
    lapic_mmio_write(cpu, 0xf0, 0x1ff);
    cpu->r[R_RBX] = 0;
    start(prog, sizeof prog);
    tvm_expect_halt(100);
    ck_assert(cpu->mwait);
    lapic_raise_irq(cpu, 0x51);
    tvm_expect_halt(100);
    ck_assert(cpu->mwait);               /* masked, no ECX[0]: still waiting */
    ck_assert_uint_eq(cpu->r[R_RIP], TVM_CODE + ARM_LEN + 6);
    cpu->apic.irr[0x51 >> 5] = 0;

    cpu->r[R_RBX] = 1;
    start(prog, sizeof prog);
    tvm_expect_halt(100);
    ck_assert(cpu->mwait && cpu->mwait_irq);
    lapic_raise_irq(cpu, 0x51);
    tvm_expect_halt(100);
    ck_assert(!cpu->mwait);
    ck_assert_uint_eq(cpu->r[R_RIP], TVM_CODE + sizeof prog);   /* woke, then HLT */
    ck_assert_uint_eq(cpu->apic.irr[0x51 >> 5], 1u << (0x51 & 31));   /* not delivered */
    ck_assert_uint_eq(cpu->apic.isr[0x51 >> 5], 0);
}
END_TEST

/* With ECX[0] and IF = 0 the timer's interrupt ends the wait in virtual
 * time without being delivered. */
START_TEST(masked_timer_with_ecx0)
{
    static const uint8_t prog[] = { ARM, 0xfa, 0xb9, 0x01, 0x00, 0x00, 0x00, MWAIT, 0xf4 };
    lapic_mmio_write(cpu, 0xf0, 0x1ff);
    lapic_mmio_write(cpu, 0x3e0, 0xb);
    lapic_mmio_write(cpu, 0x320, 0x40);
    lapic_mmio_write(cpu, 0x380, 1000);
    uint64_t deadline = cpu->apic.deadline;
    start(prog, sizeof prog);
    ck_assert_int_eq(cpu_run(cpu, 1000000), STOP_HALT);
    ck_assert_uint_eq(cpu->r[R_RIP], TVM_CODE + sizeof prog);
    ck_assert_uint_eq(cpu->icount, deadline + 1);
    ck_assert_uint_eq(cpu->apic.irr[2], 1);
}
END_TEST

/* An NMI ends the wait (IF = 0) and is delivered after MWAIT. */
START_TEST(nmi_wakes)
{
    static const uint8_t prog[] = { ARM, 0xfa, MWAIT, 0xf4 };
    static const uint8_t handler[] = { 0xf4 };
    tvm_code(TVM_HANDLERS, handler, sizeof handler);
    tvm_idt64(EXC_NMI, TVM_CS64, TVM_HANDLERS, 0xe, 0, 0);
    start(prog, sizeof prog);
    tvm_expect_halt(100);
    ck_assert(cpu->mwait);
    lapic_accept(cpu, 4, 0, false);
    ck_assert_int_eq(run_on(100), STOP_HALT);
    ck_assert_uint_eq(cpu->r[R_RIP], TVM_HANDLERS + 1);
    ck_assert_uint_eq(tvm_get(TVM_STACK0 - 40, 8), TVM_CODE + ARM_LEN + 4);
    ck_assert(!cpu->mwait);
}
END_TEST

/* INIT ends the wait and clears the monitor. */
START_TEST(init_wakes)
{
    static const uint8_t prog[] = { ARM, 0xfa, MWAIT, 0xf4 };
    start(prog, sizeof prog);
    tvm_expect_halt(100);
    ck_assert(cpu->mwait);
    lapic_accept(cpu, 5, 0, false);
    ck_assert_int_eq(run_on(100), STOP_HALT);
    ck_assert(cpu->apic.wait_sipi);
    ck_assert(!cpu->mwait && !cpu->monitor_armed);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("monitor");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, faults_at_cpl3_ud);
    tcase_add_test(tc, faults_ecx_gp);
    tcase_add_test(tc, faults_page_fault);
    tcase_add_test(tc, misc_enable_disables);
    tcase_add_test(tc, address_segment_and_size);
    tcase_add_test(tc, mwait_without_monitor_is_nop);
    tcase_add_test(tc, store_by_other_vcpu_wakes);
    tcase_add_test(tc, interrupt_with_if_wakes);
    tcase_add_test(tc, masked_interrupt_with_ecx0);
    tcase_add_test(tc, masked_timer_with_ecx0);
    tcase_add_test(tc, nmi_wakes);
    tcase_add_test(tc, init_wakes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
