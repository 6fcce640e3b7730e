/* The EPT walker (SDM Vol.3C §29.3): permissions, 4 KiB / 2 MiB / 1 GiB
 * pages, accessed and dirty flags, misconfigurations and the violation
 * qualifications of Table 28-7. */
#include <check.h>

#include "../../src/vmx/vmx_int.h"

#define RAM (8u << 20)
#define PML4 0x10000u
#define PDPT 0x11000u
#define PD 0x12000u
#define PT 0x13000u
#define EPTP_WB_AD (PML4 | 6u | 3u << 3 | 1u << 6)
#define EPTP_WB (PML4 | 6u | 3u << 3)

enum { R = 1, W = 2, X = 4, WB = 6 << 3, LARGE = 1 << 7, ACC = 1 << 8, DIRTY = 1 << 9 };

static machine_t m;

static void put64(uint64_t pa, uint64_t v)
{
    ck_assert(phys_copy_to(&m.mem, pa, &v, 8));
}

static uint64_t get64(uint64_t pa)
{
    return phys_read(&m.mem, pa, 8);
}

/* gpa 0-2 MiB: 4 KiB pages (page i -> host page i + 0x200), 2-4 MiB: one
 * 2 MiB page to host 4 MiB, 1 GiB-2 GiB: one 1 GiB page to host 0. */
static void setup(void)
{
    ck_assert_int_eq(machine_init(&m, 1), 0);
    ck_assert_int_eq(phys_add_ram(&m.mem, 0, RAM), 0);
    put64(PML4, PDPT | R | W | X);
    put64(PDPT, PD | R | W | X);
    put64(PDPT + 8, 0 | R | W | X | WB | LARGE);
    put64(PD, PT | R | W | X);
    put64(PD + 8, (4u << 20) | R | W | X | WB | LARGE);
    for (uint64_t i = 0; i < 512; i++)
        put64(PT + 8 * i, ((i + 0x200) << 12) | R | W | X | WB);
}

static void teardown(void)
{
    machine_destroy(&m);
}

static int walk(uint64_t eptp, uint64_t gpa, enum mmu_access acc, bool final, ept_result_t *r, uint64_t *q)
{
    ept_access_t a = { .acc = acc, .gla_valid = true, .final = final, .gla = 0x1234 };
    return ept_walk(&m.mem, eptp, gpa, &a, r, q);
}

START_TEST(four_k_translation_and_rights)
{
    ept_result_t r;
    uint64_t q = 0;
    ck_assert_int_eq(walk(EPTP_WB, 0x3abc, ACC_READ, true, &r, &q), 0);
    ck_assert_uint_eq(r.hpa, 0x203abc);
    ck_assert(r.r && r.w && r.x && r.dirty);
    ck_assert_int_eq(walk(EPTP_WB, 0x3abc, ACC_WRITE, true, &r, &q), 0);
    ck_assert_int_eq(walk(EPTP_WB, 0x3abc, ACC_EXEC, true, &r, &q), 0);
}
END_TEST

START_TEST(large_pages)
{
    ept_result_t r;
    uint64_t q;
    ck_assert_int_eq(walk(EPTP_WB, 0x212345, ACC_READ, true, &r, &q), 0);
    ck_assert_uint_eq(r.hpa, (4u << 20) + 0x12345);
    ck_assert_int_eq(walk(EPTP_WB, (1ull << 30) + 0x654321, ACC_WRITE, true, &r, &q), 0);
    ck_assert_uint_eq(r.hpa, 0x654321);
}
END_TEST

/* Table 28-7: bits 2:0 the access, 5:3 the rights, 7 linear address
 * valid, 8 the final translation (not a paging-structure entry). */
START_TEST(violation_read_only_write)
{
    ept_result_t r;
    uint64_t q;
    put64(PT + 8 * 5, (0x205ull << 12) | R | WB);
    ck_assert_int_eq(walk(EPTP_WB, 0x5008, ACC_WRITE, true, &r, &q), EXIT_EPT_VIOLATION);
    ck_assert_uint_eq(q, 0x2 | (R << 3) | 0x180);
    ck_assert_int_eq(walk(EPTP_WB, 0x5008, ACC_EXEC, false, &r, &q), EXIT_EPT_VIOLATION);
    ck_assert_uint_eq(q, 0x4 | (R << 3) | 0x80);
    ck_assert_int_eq(walk(EPTP_WB, 0x5008, ACC_READ, true, &r, &q), 0);
    ck_assert(!r.w);
}
END_TEST

START_TEST(violation_not_present_and_execute_only)
{
    ept_result_t r;
    uint64_t q;
    put64(PT + 8 * 6, 0);
    ck_assert_int_eq(walk(EPTP_WB, 0x6000, ACC_READ, true, &r, &q), EXIT_EPT_VIOLATION);
    ck_assert_uint_eq(q, 0x1 | 0x180);
    put64(PDPT + 8 * 3, 0);      /* not present at the PDPTE */
    ck_assert_int_eq(walk(EPTP_WB, 3ull << 30, ACC_EXEC, true, &r, &q), EXIT_EPT_VIOLATION);
    ck_assert_uint_eq(q, 0x4 | 0x180);
    put64(PT + 8 * 7, (0x207ull << 12) | X | WB);     /* execute-only is supported */
    ck_assert_int_eq(walk(EPTP_WB, 0x7000, ACC_EXEC, true, &r, &q), 0);
    ck_assert_int_eq(walk(EPTP_WB, 0x7000, ACC_READ, true, &r, &q), EXIT_EPT_VIOLATION);
    ck_assert_uint_eq(q, 0x1 | (X << 3) | 0x180);
}
END_TEST

/* Rights are the AND over all levels. */
START_TEST(rights_combine_across_levels)
{
    ept_result_t r;
    uint64_t q;
    put64(PD, PT | R | X);       /* the PDE drops write for the whole 2 MiB */
    ck_assert_int_eq(walk(EPTP_WB, 0x9000, ACC_WRITE, true, &r, &q), EXIT_EPT_VIOLATION);
    ck_assert_uint_eq(q, 0x2 | ((R | X) << 3) | 0x180);
}
END_TEST

START_TEST(misconfigurations)
{
    ept_result_t r;
    uint64_t q = 99;
    put64(PT + 8 * 8, (0x208ull << 12) | W | WB);               /* write without read */
    ck_assert_int_eq(walk(EPTP_WB, 0x8000, ACC_READ, true, &r, &q), EXIT_EPT_MISCONFIG);
    ck_assert_uint_eq(q, 0);
    put64(PT + 8 * 9, (0x209ull << 12) | R | (2 << 3));          /* memory type 2 is reserved */
    ck_assert_int_eq(walk(EPTP_WB, 0x9000, ACC_READ, true, &r, &q), EXIT_EPT_MISCONFIG);
    put64(PT + 8 * 10, (0x20aull << 12) | R | (7 << 3));         /* and 7 */
    ck_assert_int_eq(walk(EPTP_WB, 0xa000, ACC_READ, true, &r, &q), EXIT_EPT_MISCONFIG);
    put64(PT + 8 * 11, (1ull << 45) | R | WB);                    /* beyond MAXPHYADDR */
    ck_assert_int_eq(walk(EPTP_WB, 0xb000, ACC_READ, true, &r, &q), EXIT_EPT_MISCONFIG);
    put64(PD + 8 * 2, (6u << 20) | (1u << 12) | R | WB | LARGE);  /* 2 MiB page, bit 12 reserved */
    ck_assert_int_eq(walk(EPTP_WB, 0x400000, ACC_READ, true, &r, &q), EXIT_EPT_MISCONFIG);
    put64(PDPT + 8 * 2, (1ull << 29) | R | WB | LARGE);          /* 1 GiB page, bit 29 reserved */
    ck_assert_int_eq(walk(EPTP_WB, 2ull << 30, ACC_READ, true, &r, &q), EXIT_EPT_MISCONFIG);
    put64(PML4 + 8, PDPT | R | LARGE);                           /* PML4E bit 7 reserved */
    ck_assert_int_eq(walk(EPTP_WB, 1ull << 39, ACC_READ, true, &r, &q), EXIT_EPT_MISCONFIG);
    put64(PD + 8 * 3, PT | R | (1 << 3));                         /* non-leaf bits 7:3 reserved */
    ck_assert_int_eq(walk(EPTP_WB, 0x600000, ACC_READ, true, &r, &q), EXIT_EPT_MISCONFIG);
}
END_TEST

/* §29.3.5: accessed on every level used, dirty on the leaf for writes;
 * guest paging-structure accesses count as writes. */
START_TEST(accessed_and_dirty)
{
    ept_result_t r;
    uint64_t q;
    ck_assert_int_eq(walk(EPTP_WB_AD, 0x1000, ACC_READ, true, &r, &q), 0);
    ck_assert(get64(PML4) & ACC);
    ck_assert(get64(PDPT) & ACC);
    ck_assert(get64(PD) & ACC);
    ck_assert(get64(PT + 8) & ACC);
    ck_assert(!(get64(PT + 8) & DIRTY));
    ck_assert(!r.dirty);
    ck_assert_int_eq(walk(EPTP_WB_AD, 0x1000, ACC_WRITE, true, &r, &q), 0);
    ck_assert(get64(PT + 8) & DIRTY);
    ck_assert(r.dirty);
    /* A guest page-table read on a read-only page: a write for EPT. */
    put64(PT + 8 * 2, (0x202ull << 12) | R | WB);
    ck_assert_int_eq(walk(EPTP_WB_AD, 0x2000, ACC_READ, false, &r, &q), EXIT_EPT_VIOLATION);
    ck_assert_uint_eq(q, 0x2 | (R << 3) | 0x80);
    ck_assert_int_eq(walk(EPTP_WB, 0x2000, ACC_READ, false, &r, &q), 0);   /* A/D off: a read */
    ck_assert(!(get64(PT + 16) & ACC));
}
END_TEST

START_TEST(eptp_checks)
{
    ck_assert(ept_eptp_valid(EPTP_WB_AD));
    ck_assert(ept_eptp_valid(PML4 | 0 | 3 << 3));            /* UC */
    ck_assert(!ept_eptp_valid(PML4 | 1 | 3 << 3));           /* WC not allowed */
    ck_assert(!ept_eptp_valid(PML4 | 6 | 2 << 3));           /* 3-level walk */
    ck_assert(!ept_eptp_valid(PML4 | 6 | 3 << 3 | 1 << 7));  /* reserved bit 7 */
    ck_assert(!ept_eptp_valid((1ull << 41) | 6 | 3 << 3));   /* beyond MAXPHYADDR */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ept");
    TCase *tc = tcase_create("walk");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, four_k_translation_and_rights);
    tcase_add_test(tc, large_pages);
    tcase_add_test(tc, violation_read_only_write);
    tcase_add_test(tc, violation_not_present_and_execute_only);
    tcase_add_test(tc, rights_combine_across_levels);
    tcase_add_test(tc, misconfigurations);
    tcase_add_test(tc, accessed_and_dirty);
    tcase_add_test(tc, eptp_checks);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
