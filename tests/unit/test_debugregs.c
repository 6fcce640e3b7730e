/* Debug registers (SDM Vol.3A ch.18) with delivery left to the caller:
 * instruction breakpoints (fault, RF suppresses), data breakpoints (trap
 * after the access), TF single-step, the MOV SS shadow, RF on faults, and
 * the fast path while nothing is enabled. */
#include "testvm.h"

static void setup(void)
{
    tvm_setup();
    tvm_long(false, false);
    cpu->deliver_exceptions = false;
}

static void teardown(void)
{
    tvm_teardown();
}

static void expect_db(uint64_t rip, uint64_t dr6_bits)
{
    ck_assert_int_eq(cpu_run(cpu, 100), STOP_EXCEPTION);
    ck_assert_int_eq(cpu->exc.vector, EXC_DB);
    ck_assert_uint_eq(cpu->r[R_RIP], rip);
    ck_assert_uint_eq(cpu->dr[6] & 0xe00f, dr6_bits);
    cpu->exc.vector = -1;
}

START_TEST(nothing_enabled_costs_nothing)
{
    static const uint8_t prog[] = { 0x90, 0x90, 0xf4 };
    tvm_code(TVM_CODE, prog, sizeof prog);
    cpu->dr[0] = TVM_CODE + 1;                  /* set but not enabled in DR7 */
    ck_assert_int_eq(cpu_run(cpu, 100), STOP_HALT);
    ck_assert_uint_eq(cpu->watch_flags & 2, 0);
    ck_assert(!cpu->db_data);
    ck_assert_ptr_eq(cpu->tlb, cpu->tlb_cur->sets[0]);
}
END_TEST

START_TEST(instruction_breakpoint)
{
    static const uint8_t prog[] = { 0x90, 0x90, 0xf4 };
    tvm_code(TVM_CODE, prog, sizeof prog);
    cpu->dr[0] = TVM_CODE + 1;
    cpu->dr[7] = 0x400 | 0x2;                   /* G0, execute, 1 byte */
    expect_db(TVM_CODE + 1, 0x1);
    ck_assert_uint_eq(cpu->icount, 1);
    /* RF lets the instruction run once, and clears after it. */
    cpu->rflags |= F_RF;
    ck_assert_int_eq(cpu_run(cpu, 100), STOP_HALT);
    ck_assert_uint_eq(cpu->rflags & F_RF, 0);
}
END_TEST

START_TEST(data_breakpoint_write)
{
    static const uint8_t prog[] = {
        0x8b, 0x03,                             /* mov eax, [rbx]: no trap for RW = 01 */
        0x89, 0x03,                             /* mov [rbx], eax */
        0x90, 0xf4,
    };
    tvm_code(TVM_CODE, prog, sizeof prog);
    cpu->r[R_RBX] = TVM_DATA;
    cpu->dr[1] = TVM_DATA + 2;
    cpu->dr[7] = 0x400 | 0x4 | 1u << 20;        /* L1, write, 1 byte */
    expect_db(TVM_CODE + 4, 0x2);
    ck_assert(cpu->db_data);
    ck_assert_ptr_eq(cpu->tlb, cpu->tlb_nofill);
    cpu->dr[7] = 0x400;
    ck_assert_int_eq(cpu_run(cpu, 100), STOP_HALT);
    ck_assert(!cpu->db_data);
}
END_TEST

START_TEST(data_breakpoint_read_8)
{
    static const uint8_t prog[] = { 0x48, 0x8b, 0x43, 0x08, 0xf4 };   /* mov rax, [rbx+8] */
    tvm_code(TVM_CODE, prog, sizeof prog);
    cpu->r[R_RBX] = TVM_DATA;
    cpu->dr[3] = TVM_DATA + 0xc;                /* 8-byte breakpoint aligns down to +8 */
    cpu->dr[7] = 0x400 | 0x40 | 3u << 28 | 2u << 30;   /* L3, read/write, 8 bytes */
    expect_db(TVM_CODE + 4, 0x8);
}
END_TEST

START_TEST(single_step)
{
    static const uint8_t prog[] = { 0x90, 0x90, 0xf4 };
    tvm_code(TVM_CODE, prog, sizeof prog);
    cpu->rflags |= F_TF;
    expect_db(TVM_CODE + 1, 0x4000);
    expect_db(TVM_CODE + 2, 0x4000);
    ck_assert_uint_eq(cpu->icount, 2);
}
END_TEST

/* MOV SS holds the single-step trap until after the next instruction. */
START_TEST(mov_ss_shadow)
{
    static const uint8_t prog[] = { 0x8e, 0xd0, 0x90, 0x90, 0xf4 };   /* mov ss, eax; nop; nop */
    tvm_code(TVM_CODE, prog, sizeof prog);
    cpu->r[R_RAX] = TVM_DS32;
    cpu->rflags |= F_TF;
    expect_db(TVM_CODE + 3, 0x4000);
}
END_TEST

/* A delivered fault pushes RF = 1 (SDM Vol.3A §18.3.1.1). */
START_TEST(fault_pushes_rf)
{
    static const uint8_t prog[] = { 0x0f, 0x0b };                      /* ud2 */
    static const uint8_t handler[] = { 0xf4 };
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_code(TVM_HANDLERS, handler, sizeof handler);
    tvm_idt64(EXC_UD, TVM_CS64, TVM_HANDLERS, 0xe, 0, 0);
    cpu->deliver_exceptions = true;
    ck_assert_int_eq(cpu_run(cpu, 100), STOP_HALT);
    ck_assert_uint_eq(tvm_get(TVM_STACK0 - 24, 8) & F_RF, F_RF);
    ck_assert_uint_eq(cpu->rflags & F_RF, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("debugregs");
    TCase *tc = tcase_create("debugregs");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, nothing_enabled_costs_nothing);
    tcase_add_test(tc, instruction_breakpoint);
    tcase_add_test(tc, data_breakpoint_write);
    tcase_add_test(tc, data_breakpoint_read_8);
    tcase_add_test(tc, single_step);
    tcase_add_test(tc, mov_ss_shadow);
    tcase_add_test(tc, fault_pushes_rf);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
