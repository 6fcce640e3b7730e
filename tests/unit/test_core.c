/* The run loop, predecoded blocks, lazy flags and the software TLB, on small
 * programs in 64-bit mode: results, retired-instruction counts, fault
 * restart state and self-modifying code. */
#include <check.h>
#include <string.h>

#include "xenemu/flags.h"
#include "xenemu/machine.h"
#include "xenemu/mmu.h"

#define RAM (8u << 20)
#define PML4 0x1000u
#define CODE 0x100000u

static machine_t m;
static cpu_t *cpu;

static void put64(uint64_t pa, uint64_t v)
{
    ck_assert(phys_copy_to(&m.mem, pa, &v, 8));
}

/* Identity map the first 1 GiB with 2 MiB pages, supervisor, writable. */
static void setup(void)
{
    ck_assert_int_eq(machine_init(&m, 1), 0);
    ck_assert_int_eq(phys_add_ram(&m.mem, 0, RAM), 0);
    put64(PML4, (PML4 + 0x1000) | 3);
    put64(PML4 + 0x1000, (PML4 + 0x2000) | 3);
    for (uint64_t i = 0; i < 512; i++)
        put64(PML4 + 0x2000 + i * 8, (i << 21) | 0x83);
    cpu = m.cpu[0];
    cpu->cr0 = CR0_PE | CR0_PG | CR0_ET | CR0_NE;
    cpu->cr4 = CR4_PAE | CR4_OSFXSR;
    cpu->efer = EFER_LME | EFER_LMA;
    cpu->cr3 = PML4;
    cpu->seg[SEG_CS].attr = SEGA_P | SEGA_S | SEGA_L | 0xb;
    cpu->seg[SEG_SS].attr = SEGA_P | SEGA_S | 3 | SEGA_DB;
    cpu->r[R_RSP] = 0x80000;
    cpu->r[R_RIP] = CODE;
    cpu_update_mode(cpu);
}

static void teardown(void)
{
    machine_destroy(&m);
}

static void load(const uint8_t *code, size_t n)
{
    ck_assert(phys_copy_to(&m.mem, CODE, code, n));
}

/* Sum 1..100 with a loop, call a function, use the stack and memory. */
START_TEST(loop_call_stack)
{
    static const uint8_t prog[] = {
        0x31, 0xc0,                         /* xor eax, eax */
        0xb9, 0x64, 0x00, 0x00, 0x00,       /* mov ecx, 100 */
        0x01, 0xc8,                         /* L: add eax, ecx */
        0xff, 0xc9,                         /* dec ecx */
        0x75, 0xfa,                         /* jnz L */
        0xe8, 0x01, 0x00, 0x00, 0x00,       /* call F */
        0xf4,                               /* hlt */
        0x50,                               /* F: push rax */
        0x48, 0x8b, 0x1c, 0x24,             /* mov rbx, [rsp] */
        0x48, 0x83, 0xc3, 0x07,             /* add rbx, 7 */
        0x58,                               /* pop rax */
        0xc3,                               /* ret */
    };
    load(prog, sizeof prog);
    ck_assert_int_eq(cpu_run(cpu, 100000), STOP_HALT);
    ck_assert_uint_eq(cpu->r[R_RAX], 5050);
    ck_assert_uint_eq(cpu->r[R_RBX], 5057);
    ck_assert_uint_eq(cpu->r[R_RSP], 0x80000);
    /* 2 + 3*100 + call + 5 in F + hlt */
    ck_assert_uint_eq(cpu->icount, 2 + 300 + 1 + 5 + 1);
}
END_TEST

/* The budget stops the vCPU exactly, even inside a block. */
START_TEST(budget_is_exact)
{
    static const uint8_t prog[] = { 0x48, 0xff, 0xc0, 0x48, 0xff, 0xc0, 0x48, 0xff, 0xc0, 0xeb, 0xf5 };
    load(prog, sizeof prog);
    ck_assert_int_eq(cpu_run(cpu, 7), STOP_BUDGET);
    ck_assert_uint_eq(cpu->icount, 7);
    ck_assert_uint_eq(cpu->r[R_RAX], 6);     /* 3 incs, jmp, 3 incs */
}
END_TEST

/* A #PF leaves RIP on the faulting instruction and the earlier
 * instructions of its block retired. */
START_TEST(fault_restart_state)
{
    static const uint8_t prog[] = {
        0xb8, 0x05, 0x00, 0x00, 0x00,                   /* mov eax, 5 */
        0x48, 0xbb, 0, 0, 0, 0, 0x80, 0, 0, 0,          /* mov rbx, 0x80_0000_0000 (unmapped) */
        0x48, 0x01, 0x03,                               /* add [rbx], rax */
        0xf4,
    };
    load(prog, sizeof prog);
    cpu->cc_op = CC_EFLAGS;
    cpu->rflags = 2 | F_CF;
    ck_assert_int_eq(cpu_run(cpu, 100), STOP_EXCEPTION);
    ck_assert_int_eq(cpu->exc.vector, EXC_PF);
    ck_assert_uint_eq(cpu->exc.cr2, 0x8000000000ull);
    ck_assert_uint_eq(cpu->exc.error_code, PFE_W);   /* not present, write, supervisor */
    ck_assert_uint_eq(cpu->r[R_RIP], CODE + 15);
    ck_assert_uint_eq(cpu->icount, 2);
    ck_assert(cpu_get_rflags(cpu) & F_CF);           /* flags untouched by the faulting ADD */
}
END_TEST

/* A store into the running block's own page drops the block: the patched
 * instruction runs in its new form. */
START_TEST(self_modifying_code)
{
    static const uint8_t prog[] = {
        0xc6, 0x05, 0x01, 0x00, 0x00, 0x00, 0x2a,       /* mov byte [rip+1], 42  -> patches imm below */
        0xb0, 0x07,                                     /* mov al, 7 (becomes mov al, 42) */
        0xf4,
    };
    load(prog, sizeof prog);
    cpu->r[R_RAX] = 0;
    ck_assert_int_eq(cpu_run(cpu, 100), STOP_HALT);
    ck_assert_uint_eq(cpu->r[R_RAX], 42);
    ck_assert_uint_eq(cpu->icount, 3);
}
END_TEST

/* Lazy flags after SUB answer every condition as the full flags would. */
START_TEST(lazy_conditions)
{
    static const uint64_t vals[] = { 0, 1, 0x7f, 0x80, 0xff, 0x7fffffffffffffffull, 0x8000000000000000ull, ~0ull };
    for (unsigned sz = 0; sz < 4; sz++)
        for (unsigned i = 0; i < 8; i++)
            for (unsigned j = 0; j < 8; j++) {
                cpu->cc_op = CC_SUB + sz;
                cpu->cc_src = vals[j];
                cpu->cc_dst = vals[i] - vals[j];
                uint32_t f = cc_compute(cpu);
                static cpu_t full;
                full.cc_op = CC_EFLAGS;
                full.rflags = f | 2;
                for (unsigned c = 0; c < 16; c++)
                    if (cc_cond(cpu, c) != cc_cond(&full, c))
                        ck_abort_msg("condition %u after SUB differs from the full flags", c);
            }
}
END_TEST

/* Probing translations never faults the guest: the pending exception and
 * RIP stay as they were; copies work across pages and see code writes. */
START_TEST(probe_does_not_fault)
{
    uint64_t pa;
    cpu->exc.vector = -1;
    uint64_t rip = cpu->r[R_RIP];
    ck_assert(!mmu_probe(cpu, 0x8000000000ull, ACC_READ, &pa));
    ck_assert_int_eq(cpu->exc.vector, -1);
    ck_assert_uint_eq(cpu->r[R_RIP], rip);
    ck_assert(mmu_probe(cpu, 0x123456, ACC_WRITE, &pa));
    ck_assert_uint_eq(pa, 0x123456);
    uint8_t buf[8192];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(i * 7);
    ck_assert_int_eq(mmu_write_linear(cpu, 0x200ffc, buf, sizeof buf), 0);
    uint8_t back[8192];
    ck_assert_int_eq(mmu_read_linear(cpu, 0x200ffc, back, sizeof back), 0);
    ck_assert_int_eq(memcmp(buf, back, sizeof buf), 0);
    ck_assert_int_eq(mmu_read_linear(cpu, RAM - 4, back, 16), -1);   /* runs off RAM */
    /* A linear write into code that already ran changes what runs next. */
    static const uint8_t prog[] = { 0xb0, 0x07, 0xf4 };              /* mov al, 7; hlt */
    load(prog, sizeof prog);
    ck_assert_int_eq(cpu_run(cpu, 100), STOP_HALT);
    ck_assert_uint_eq(cpu->r[R_RAX] & 0xff, 7);
    uint8_t imm = 9;
    ck_assert_int_eq(mmu_write_linear(cpu, CODE + 1, &imm, 1), 0);
    cpu->r[R_RIP] = CODE;
    cpu->halted = false;
    ck_assert_int_eq(cpu_run(cpu, 100), STOP_HALT);
    ck_assert_uint_eq(cpu->r[R_RAX] & 0xff, 9);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("core");
    TCase *t = tcase_create("run");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, loop_call_stack);
    tcase_add_test(t, budget_is_exact);
    tcase_add_test(t, fault_restart_state);
    tcase_add_test(t, self_modifying_code);
    tcase_add_test(t, lazy_conditions);
    tcase_add_test(t, probe_does_not_fault);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
