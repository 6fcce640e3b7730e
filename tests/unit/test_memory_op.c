/* memory_op (hypercall 12) through xen_hypercall with a fake flat guest
 * memory: GVA = GPA inside 1 MiB, everything else faults. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <xen-abi/memory.h>
#include <xen-abi/sched.h>
#include <xen-abi/vcpu.h>
#include <xenemu/xen.h>

#include "xen_fake.h"

static void setup(void)
{
    fake_domain_setup();
}

static void teardown(void)
{
    fake_domain_teardown();
}

/* ---- P2M and grant hooks that record their calls ---- */

static int populate_calls, remove_calls, map_calls, fail_p2m;
static uint64_t last_gfn;
static uint8_t *last_page;
static uint8_t grant_page[4096];

static int hook_populate(xen_domain_t *d, uint64_t gfn, uint32_t order)
{
    (void)d; (void)order;
    populate_calls++;
    last_gfn = gfn;
    return fail_p2m ? -XEN_ENOMEM : 0;
}

static int hook_remove(xen_domain_t *d, uint64_t gfn, uint32_t order)
{
    (void)d; (void)order;
    remove_calls++;
    last_gfn = gfn;
    return fail_p2m ? -XEN_EINVAL : 0;
}

static int hook_map(xen_domain_t *d, uint64_t gfn, uint8_t *page)
{
    (void)d;
    map_calls++;
    last_gfn = gfn;
    last_page = page;
    return 0;
}

static int hook_gnttab(xen_domain_t *d, uint64_t idx, uint64_t gpfn, uint8_t **page)
{
    (void)d; (void)gpfn;
    if (idx >= 4)
        return -XEN_EINVAL;
    *page = grant_page;
    return 0;
}

static void setup_mem(void)
{
    setup();
    populate_calls = remove_calls = map_calls = fail_p2m = 0;
    last_gfn = 0;
    last_page = NULL;
}

static long mop(uint64_t cmd, uint64_t arg) { return hc3(v0, __HYPERVISOR_memory_op, cmd, arg, 0); }

static void set_e820(void)
{
    dom->e820[0] = (struct xen_e820_entry){ 0, 0x9f000, 1 };
    dom->e820[1] = (struct xen_e820_entry){ 0xa0000, 0x60000, 2 };
    dom->e820[2] = (struct xen_e820_entry){ 0x100000, 0x3ff00000, 1 };
    dom->nr_e820 = 3;
}

/* ---- XENMEM_memory_map ---- */

START_TEST(memory_map_copies_and_truncates)
{
    struct xen_memory_map m = { .nr_entries = 128, .buffer = 0x2000 };
    memcpy(mem + 0x1000, &m, sizeof(m));
    ck_assert_int_eq(mop(XENMEM_memory_map, 0x1000), -XEN_ENOSYS);   /* no map */
    set_e820();
    ck_assert_int_eq(mop(XENMEM_memory_map, 0x1000), 0);
    ck_assert_uint_eq(get32(0x1000), 3);
    struct xen_e820_entry e[3];
    memcpy(e, mem + 0x2000, sizeof(e));
    ck_assert_uint_eq(e[1].addr, 0xa0000);
    ck_assert_uint_eq(e[2].size, 0x3ff00000);
    ck_assert_uint_eq(e[2].type, 1);
    /* Capacity 2: two entries, count 2; nothing past them written. */
    memset(mem + 0x2000, 0xEE, 80);
    put32(0x1000, 2);
    ck_assert_int_eq(mop(XENMEM_memory_map, 0x1000), 0);
    ck_assert_uint_eq(get32(0x1000), 2);
    ck_assert_uint_eq(mem[0x2000 + 40], 0xEE);
}
END_TEST

START_TEST(memory_map_errors)
{
    set_e820();
    ck_assert_int_eq(mop(XENMEM_memory_map, BAD_GVA), -XEN_EFAULT);
    ck_assert_int_eq(mop(XENMEM_memory_map, MEM_SIZE - 8), -XEN_EFAULT);
    struct xen_memory_map m = { .nr_entries = 128, .buffer = MEM_SIZE - 30 };
    memcpy(mem + 0x1000, &m, sizeof(m));
    ck_assert_int_eq(mop(XENMEM_memory_map, 0x1000), -XEN_EFAULT);
    ck_assert_int_eq(mop(XENMEM_memory_map | (1u << XENMEMOP_EXTENT_SHIFT), 0x1000), -XEN_EINVAL);
}
END_TEST

/* ---- XENMEM_add_to_physmap ---- */

static void atp(uint64_t gva, domid_t domid, uint32_t space, uint64_t idx, uint64_t gpfn)
{
    struct xen_add_to_physmap x = { .domid = domid, .size = 0xdead, .space = space,
                                    .idx = idx, .gpfn = gpfn };
    memcpy(mem + gva, &x, sizeof(x));
}

START_TEST(shared_info_mapped_with_time)
{
    v0->tsc = 2500000000ull * 3;           /* 3 s */
    atp(0x1000, DOMID_SELF, XENMAPSPACE_shared_info, 0, 0x10);
    ck_assert_int_eq(mop(XENMEM_add_to_physmap, 0x1000), 0);
    ck_assert_uint_eq(dom->shared_info_gpa, 0x10000);
    struct shared_info *s = (struct shared_info *)(void *)(mem + 0x10000);
    /* Contract R7: vcpu_info[0].time is valid at once. */
    ck_assert_uint_ne(s->vcpu_info[0].time.tsc_to_system_mul, 0);
    ck_assert_uint_eq(s->vcpu_info[0].time.version % 2, 0);
    ck_assert_uint_ne(s->vcpu_info[0].time.version, 0);
    ck_assert_uint_eq(xen_pvclock_read(&s->vcpu_info[0].time, v0->tsc), 3000000000ull);
    ck_assert_uint_ne(s->vcpu_info[1].time.tsc_to_system_mul, 0);
    ck_assert_uint_eq(s->wc.sec, 1700000000u);
    /* The domain's own id works like DOMID_SELF; a P2M hook is told. */
    dom->p2m_map_page = hook_map;
    atp(0x1000, 1, XENMAPSPACE_shared_info, 0, 0x20);
    ck_assert_int_eq(mop(XENMEM_add_to_physmap, 0x1000), 0);
    ck_assert_int_eq(map_calls, 1);
    ck_assert_uint_eq(last_gfn, 0x20);
    ck_assert_ptr_null(last_page);
    ck_assert_uint_eq(dom->shared_info_gpa, 0x20000);
}
END_TEST

START_TEST(add_to_physmap_errors)
{
    ck_assert_int_eq(mop(XENMEM_add_to_physmap, BAD_GVA), -XEN_EFAULT);
    atp(0x1000, DOMID_SELF, XENMAPSPACE_shared_info, 1, 0x10);
    ck_assert_int_eq(mop(XENMEM_add_to_physmap, 0x1000), -XEN_EINVAL);
    atp(0x1000, 0, XENMAPSPACE_shared_info, 0, 0x10);
    ck_assert_int_eq(mop(XENMEM_add_to_physmap, 0x1000), -XEN_EPERM);
    atp(0x1000, 9, XENMAPSPACE_shared_info, 0, 0x10);
    ck_assert_int_eq(mop(XENMEM_add_to_physmap, 0x1000), -XEN_ESRCH);
    atp(0x1000, DOMID_SELF, XENMAPSPACE_gmfn_foreign, 0, 0x10);
    ck_assert_int_eq(mop(XENMEM_add_to_physmap, 0x1000), -XEN_EINVAL);
    atp(0x1000, DOMID_SELF, XENMAPSPACE_gmfn, 0x30, 0x10);
    ck_assert_int_eq(mop(XENMEM_add_to_physmap, 0x1000), -XEN_ENOSYS);
    /* A gfn the model cannot reach (no P2M hook): -EFAULT, nothing set. */
    atp(0x1000, DOMID_SELF, XENMAPSPACE_shared_info, 0, 0x100000);
    ck_assert_int_eq(mop(XENMEM_add_to_physmap, 0x1000), -XEN_EFAULT);
    atp(0x1000, DOMID_SELF, XENMAPSPACE_shared_info, 0, 1ull << 40);
    ck_assert_int_eq(mop(XENMEM_add_to_physmap, 0x1000), -XEN_EINVAL);
    ck_assert_uint_eq(dom->shared_info_gpa, XEN_GPA_NONE);
    atp(0x1000, DOMID_SELF, XENMAPSPACE_shared_info, 0, 0x10);
    ck_assert_int_eq(mop(XENMEM_add_to_physmap | (1u << XENMEMOP_EXTENT_SHIFT), 0x1000),
                     -XEN_EINVAL);
}
END_TEST

START_TEST(grant_table_through_hook)
{
    atp(0x1000, DOMID_SELF, XENMAPSPACE_grant_table, 0, 0xf0000);
    ck_assert_int_eq(mop(XENMEM_add_to_physmap, 0x1000), -XEN_EINVAL);  /* unconnected */
    dom->gnttab_physmap = hook_gnttab;
    dom->p2m_map_page = hook_map;
    ck_assert_int_eq(mop(XENMEM_add_to_physmap, 0x1000), 0);
    ck_assert_int_eq(map_calls, 1);
    ck_assert_uint_eq(last_gfn, 0xf0000);
    ck_assert_ptr_eq(last_page, grant_page);
    atp(0x1000, DOMID_SELF, XENMAPSPACE_grant_table, 7, 0xf0001);
    ck_assert_int_eq(mop(XENMEM_add_to_physmap, 0x1000), -XEN_EINVAL);
    ck_assert_int_eq(map_calls, 1);
}
END_TEST

/* ---- reservations ---- */

static void resv(uint64_t gva, uint64_t list, uint64_t n, uint32_t order, domid_t domid)
{
    struct xen_memory_reservation r = { .extent_start = list, .nr_extents = n,
                                        .extent_order = order, .domid = domid };
    memcpy(mem + gva, &r, sizeof(r));
}

START_TEST(populate_physmap_records_frames)
{
    dom->tot_pages = 100;
    dom->max_pages = 110;
    dom->p2m_populate = hook_populate;
    put64(0x2000, 0x200);
    put64(0x2008, 0x201);
    put64(0x2010, 0x400);
    resv(0x1000, 0x2000, 3, 0, DOMID_SELF);
    ck_assert_int_eq(mop(XENMEM_populate_physmap, 0x1000), 3);
    ck_assert_int_eq(populate_calls, 3);
    ck_assert_uint_eq(dom->nr_populated, 3);
    ck_assert_uint_eq(dom->populated[2].gfn, 0x400);
    ck_assert_uint_eq(dom->tot_pages, 103);
    /* Order 2 at 0x404: four pages; a misaligned one stops the batch. */
    put64(0x2000, 0x404);
    put64(0x2008, 0x409);
    resv(0x1000, 0x2000, 2, 2, DOMID_SELF);
    ck_assert_int_eq(mop(XENMEM_populate_physmap, 0x1000), 1);
    ck_assert_uint_eq(dom->tot_pages, 107);
    ck_assert_uint_eq(dom->populated[3].order, 2);
    /* Continuation: start at extent 1 of the first list. */
    put64(0x2000, 0x500);
    put64(0x2008, 0x501);
    resv(0x1000, 0x2000, 2, 0, DOMID_SELF);
    ck_assert_int_eq(mop(XENMEM_populate_physmap | (1u << XENMEMOP_EXTENT_SHIFT), 0x1000), 2);
    ck_assert_uint_eq(last_gfn, 0x501);
    ck_assert_uint_eq(dom->tot_pages, 108);
    /* Start beyond the end: nothing done, the start returned. */
    ck_assert_int_eq(mop(XENMEM_populate_physmap | (5u << XENMEMOP_EXTENT_SHIFT), 0x1000), 5);
    /* The domain maximum: 2 pages left. */
    put64(0x2000, 0x600);
    put64(0x2008, 0x601);
    put64(0x2010, 0x602);
    resv(0x1000, 0x2000, 3, 0, DOMID_SELF);
    ck_assert_int_eq(mop(XENMEM_populate_physmap, 0x1000), 2);
    ck_assert_uint_eq(dom->tot_pages, 110);
}
END_TEST

START_TEST(populate_physmap_errors)
{
    dom->p2m_populate = hook_populate;
    ck_assert_int_eq(mop(XENMEM_populate_physmap, BAD_GVA), -XEN_EFAULT);
    put64(0x2000, 0x200);
    resv(0x1000, 0x2000, 1, 0, 0);
    ck_assert_int_eq(mop(XENMEM_populate_physmap, 0x1000), -XEN_EPERM);
    resv(0x1000, 0x2000, 1, 0, 33);
    ck_assert_int_eq(mop(XENMEM_populate_physmap, 0x1000), -XEN_ESRCH);
    resv(0x1000, 0x2000, 1, 10, DOMID_SELF);         /* order above a domU's */
    ck_assert_int_eq(mop(XENMEM_populate_physmap, 0x1000), 0);
    resv(0x1000, 0x2000, 1ull << 60, 0, DOMID_SELF); /* cannot be continued */
    ck_assert_int_eq(mop(XENMEM_populate_physmap, 0x1000), 0);
    /* The list runs off guest memory after two entries. */
    put64(MEM_SIZE - 16, 0x700);
    put64(MEM_SIZE - 8, 0x701);
    resv(0x1000, MEM_SIZE - 16, 5, 0, DOMID_SELF);
    ck_assert_int_eq(mop(XENMEM_populate_physmap, 0x1000), 2);
    resv(0x1000, BAD_GVA, 1, 0, DOMID_SELF);
    ck_assert_int_eq(mop(XENMEM_populate_physmap, 0x1000), 0);
    resv(0x1000, ~0ull - 8, 3, 0, DOMID_SELF);       /* wraps */
    ck_assert_int_eq(mop(XENMEM_populate_physmap, 0x1000), 0);
    put64(0x2000, 1ull << 40);                       /* gfn out of range */
    resv(0x1000, 0x2000, 1, 0, DOMID_SELF);
    ck_assert_int_eq(mop(XENMEM_populate_physmap, 0x1000), 0);
    fail_p2m = 1;                                    /* EPT refuses */
    put64(0x2000, 0x200);
    ck_assert_int_eq(mop(XENMEM_populate_physmap, 0x1000), 0);
    fail_p2m = 0;
    ck_assert_uint_eq(dom->nr_populated, 2);
}
END_TEST

START_TEST(decrease_and_increase_reservation)
{
    dom->tot_pages = 50;
    put64(0x2000, 0x200);
    put64(0x2008, 0x201);
    resv(0x1000, 0x2000, 2, 0, DOMID_SELF);
    ck_assert_int_eq(mop(XENMEM_populate_physmap, 0x1000), 2);
    ck_assert_uint_eq(dom->tot_pages, 52);
    /* Give back 0x201 (recorded) and 0x30 (RAM in the fake memory). */
    put64(0x2000, 0x201);
    put64(0x2008, 0x30);
    put64(0x2010, 0x100000);                         /* not there: stops */
    resv(0x1000, 0x2000, 3, 0, DOMID_SELF);
    ck_assert_int_eq(mop(XENMEM_decrease_reservation, 0x1000), 2);
    ck_assert_uint_eq(dom->nr_populated, 1);
    ck_assert_uint_eq(dom->populated[0].gfn, 0x200);
    ck_assert_uint_eq(dom->tot_pages, 50);
    /* Through the P2M hook, which may refuse. */
    dom->p2m_remove = hook_remove;
    resv(0x1000, 0x2000, 1, 0, DOMID_SELF);
    put64(0x2000, 0x200);
    fail_p2m = 1;
    ck_assert_int_eq(mop(XENMEM_decrease_reservation, 0x1000), 0);
    fail_p2m = 0;
    ck_assert_int_eq(mop(XENMEM_decrease_reservation, 0x1000), 1);
    ck_assert_int_eq(remove_calls, 2);
    ck_assert_uint_eq(dom->nr_populated, 0);
    ck_assert_int_eq(mop(XENMEM_decrease_reservation, BAD_GVA), -XEN_EFAULT);
    resv(0x1000, 0x2000, 1, 0, 0);
    ck_assert_int_eq(mop(XENMEM_decrease_reservation, 0x1000), -XEN_EPERM);
    /* increase: counted against the maximum, no list needed. */
    dom->tot_pages = 60;
    dom->max_pages = 64;
    resv(0x1000, 0, 3, 1, DOMID_SELF);
    ck_assert_int_eq(mop(XENMEM_increase_reservation, 0x1000), 2);
    ck_assert_uint_eq(dom->tot_pages, 64);
}
END_TEST

START_TEST(reservation_queries)
{
    dom->tot_pages = 1234;
    dom->max_pages = 2000;
    set_e820();
    put16(0x1000, DOMID_SELF);
    ck_assert_int_eq(mop(XENMEM_current_reservation, 0x1000), 1234);
    ck_assert_int_eq(mop(XENMEM_maximum_reservation, 0x1000), 2000);
    put16(0x1000, 1);
    ck_assert_int_eq(mop(XENMEM_current_reservation, 0x1000), 1234);
    ck_assert_int_eq(mop(XENMEM_maximum_gpfn, 0x1000), 0x3ffff);
    put16(0x1000, 0);
    ck_assert_int_eq(mop(XENMEM_maximum_reservation, 0x1000), -XEN_EPERM);
    put16(0x1000, 77);
    ck_assert_int_eq(mop(XENMEM_current_reservation, 0x1000), -XEN_ESRCH);
    ck_assert_int_eq(mop(XENMEM_current_reservation, BAD_GVA), -XEN_EFAULT);
    ck_assert_int_eq(mop(XENMEM_current_reservation | (1u << XENMEMOP_EXTENT_SHIFT), 0x1000),
                     -XEN_EINVAL);
    ck_assert_int_eq(mop(XENMEM_maximum_ram_page, 0), 0x40000);
    ck_assert_int_eq(mop(XENMEM_maximum_ram_page | (2u << XENMEMOP_EXTENT_SHIFT), 0), -XEN_EINVAL);
}
END_TEST

START_TEST(probes_answer_as_for_a_domu)
{
    ck_assert_int_eq(mop(XENMEM_get_sharing_freed_pages, 0), 0);
    ck_assert_int_eq(mop(XENMEM_get_sharing_shared_pages, 0), 0);
    ck_assert_int_eq(mop(XENMEM_machine_memory_map, 0x1000), -XEN_EPERM);
    ck_assert_int_eq(mop(XENMEM_set_memory_map, 0x1000), -XEN_EPERM);
    ck_assert_int_eq(mop(XENMEM_get_vnumainfo, 0x1000), -XEN_EOPNOTSUPP);
    ck_assert_int_eq(mop(XENMEM_exchange, 0x1000), -XEN_ENOSYS);
    ck_assert_int_eq(mop(63, 0x1000), -XEN_ENOSYS);
    /* remove_from_physmap drops the shared_info page too. */
    atp(0x1000, DOMID_SELF, XENMAPSPACE_shared_info, 0, 0x10);
    ck_assert_int_eq(mop(XENMEM_add_to_physmap, 0x1000), 0);
    struct xen_remove_from_physmap r = { .domid = DOMID_SELF, .gpfn = 0x10 };
    memcpy(mem + 0x1100, &r, sizeof(r));
    ck_assert_int_eq(mop(XENMEM_remove_from_physmap, 0x1100), 0);
    ck_assert_uint_eq(dom->shared_info_gpa, XEN_GPA_NONE);
    ck_assert_int_eq(mop(XENMEM_remove_from_physmap, BAD_GVA), -XEN_EFAULT);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("memory_op");
    TCase *tc = tcase_create("memory_op");
    tcase_add_checked_fixture(tc, setup_mem, teardown);
    tcase_add_test(tc, memory_map_copies_and_truncates);
    tcase_add_test(tc, memory_map_errors);
    tcase_add_test(tc, shared_info_mapped_with_time);
    tcase_add_test(tc, add_to_physmap_errors);
    tcase_add_test(tc, grant_table_through_hook);
    tcase_add_test(tc, populate_physmap_records_frames);
    tcase_add_test(tc, populate_physmap_errors);
    tcase_add_test(tc, decrease_and_increase_reservation);
    tcase_add_test(tc, reservation_queries);
    tcase_add_test(tc, probes_answer_as_for_a_domu);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
