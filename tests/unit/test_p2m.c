/* The P2M as EPT (src/xen/p2m.c), checked against the emulated CPU's own
 * EPT walker (src/vmx/ept.c, SDM Vol.3C §29.3): identity for RAM, the hole
 * for everything else, 4 KiB remaps that split 1 GiB and 2 MiB pages
 * without disturbing their neighbours, and host pointers for the
 * hypervisor's copies. */
#include <check.h>
#include <string.h>

#include "../../src/vmx/vmx_int.h"
#include "xenemu/p2m.h"

static phys_mem_t pm;
static xen_p2m_t p2m;

static void setup(void)
{
    phys_init(&pm);
    ck_assert_int_eq(phys_add_ram(&pm, 0, 64 << 20), 0);
    ck_assert_int_eq(xen_p2m_init(&p2m, &pm), 0);
}

static void teardown(void)
{
    phys_destroy(&pm);
}

/* The hardware walk of gpa for a write: the host-physical address, or
 * UINT64_MAX on a violation or misconfiguration. */
static uint64_t walk(uint64_t gpa)
{
    ept_access_t a = { .acc = ACC_WRITE, .final = true };
    ept_result_t r;
    uint64_t qual = 0;
    if (ept_walk(&pm, xen_p2m_eptp(&p2m), gpa, &a, &r, &qual))
        return UINT64_MAX;
    ck_assert(r.r && r.w && r.x);
    return r.hpa;
}

START_TEST(identity_and_hole)
{
    ck_assert(ept_eptp_valid(xen_p2m_eptp(&p2m)));
    static const uint64_t gpas[] = { 0, 0x1234, 0x3fffffff, 0x40000000, 0xfee00000, 0x123456789ull,
                                     P2M_IDENTITY_SPAN - 1 };
    for (size_t i = 0; i < sizeof gpas / sizeof gpas[0]; i++) {
        ck_assert_uint_eq(walk(gpas[i]), gpas[i]);
        ck_assert_uint_eq(xen_p2m_lookup(&p2m, gpas[i]), gpas[i]);
    }
    /* Beyond the identity span: the never-backed hole, offset kept within 1 GiB. */
    ck_assert_uint_eq(walk(P2M_IDENTITY_SPAN + 0x5678), P2M_HOLE_HPA + 0x5678);
    ck_assert_uint_eq(xen_p2m_lookup(&p2m, (1ull << 40) - 1), P2M_HOLE_HPA + 0x3fffffff);
    ck_assert(!phys_ram_ptr(&pm, P2M_HOLE_HPA, 1));
    /* Nor can the guest reach the private area through the map. */
    ck_assert_uint_ne(walk(P2M_PRIVATE_BASE), P2M_PRIVATE_BASE);
}
END_TEST

START_TEST(remap_splits_large_pages)
{
    uint64_t page = xen_p2m_alloc_page(&p2m);
    ck_assert_uint_ge(page, P2M_PRIVATE_BASE);
    ck_assert_int_eq(xen_p2m_map(&p2m, 0x10, page), 0);
    ck_assert_uint_eq(walk(0x10123), page + 0x123);
    /* Neighbours in the same 4 KiB table, 2 MiB and 1 GiB ranges keep the identity. */
    ck_assert_uint_eq(walk(0xf000), 0xf000);
    ck_assert_uint_eq(walk(0x11000), 0x11000);
    ck_assert_uint_eq(walk(0x200000), 0x200000);
    ck_assert_uint_eq(walk(0x3ffff000), 0x3ffff000);
    ck_assert_uint_eq(walk(0x40000000), 0x40000000);
    /* Host pointers follow the map: a write through gpa lands in the page. */
    uint8_t *p = xen_p2m_ptr(&p2m, 0x10008, 8);
    ck_assert_ptr_eq(p, phys_ram_ptr(&pm, page + 8, 8));
    memset(p, 0xab, 8);
    ck_assert_uint_eq(phys_read(&pm, page + 8, 1), 0xab);
    ck_assert_uint_eq(phys_read(&pm, 0x10008, 1), 0);
    /* A range whose pages are not contiguous on the host has no pointer. */
    ck_assert_ptr_null(xen_p2m_ptr(&p2m, 0xfff8, 16));
    ck_assert_ptr_nonnull(xen_p2m_ptr(&p2m, 0x11ff8, 16));
}
END_TEST

START_TEST(remove_and_reset)
{
    ck_assert_int_eq(xen_p2m_remove(&p2m, 0x2000), 0);        /* gpa 0x2000000 */
    ck_assert_uint_eq(walk(0x2000010), P2M_HOLE_HPA + 0x10);
    ck_assert_ptr_null(xen_p2m_ptr(&p2m, 0x2000000, 1));
    ck_assert_int_eq(xen_p2m_reset(&p2m, 0x2000), 0);          /* RAM behind it: identity again */
    ck_assert_uint_eq(walk(0x2000010), 0x2000010);
    ck_assert_int_eq(xen_p2m_reset(&p2m, 0x100000), 0);        /* 4 GiB: no RAM, the hole */
    ck_assert_uint_eq(walk(0x100000000ull), P2M_HOLE_HPA);
    /* Frames past the identity span cannot be remapped. */
    ck_assert_int_eq(xen_p2m_map(&p2m, P2M_IDENTITY_SPAN >> 12, P2M_PRIVATE_BASE), -1);
}
END_TEST

START_TEST(table_pages_run_out_cleanly)
{
    /* Every remap in a fresh 2 MiB range costs a table; the pool is finite
     * and exhaustion fails the remap without corrupting the map. */
    int rc = 0;
    uint64_t gfn = 0;
    for (gfn = 0; gfn < (1ull << 27) && rc == 0; gfn += 512)
        rc = xen_p2m_map(&p2m, gfn, P2M_PRIVATE_BASE);
    ck_assert_int_eq(rc, -1);
    ck_assert_uint_eq(xen_p2m_alloc_page(&p2m), 0);
    ck_assert_uint_eq(walk(0x1000), 0x1000);                    /* untouched neighbour */
    ck_assert_uint_eq(walk(0), P2M_PRIVATE_BASE);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("p2m");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, identity_and_hole);
    tcase_add_test(tc, remap_splits_large_pages);
    tcase_add_test(tc, remove_and_reset);
    tcase_add_test(tc, table_pages_run_out_cleanly);
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
