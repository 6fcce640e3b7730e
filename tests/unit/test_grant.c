/* Grant tables through xen_hypercall on a fake flat guest memory (GVA =
 * GPA inside 1 MiB): every implemented GNTTABOP, v1/v2 layouts, the
 * add_to_physmap hook, the backend map/copy API, and the error paths. */
#include <check.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <xen-abi/memory.h>
#include <xenemu/grant.h>
#include <xenemu/xen.h>

#include "xen_fake.h"

#define ARG 0x2000ull                   /* hypercall argument buffer */
#define SHINFO 0x10000ull               /* shared_info page */

static void setup(void)
{
    fake_domain_setup();
    ck_assert_int_eq(xen_domain_set_shared_info(dom, SHINFO, 0), 0);
}

static void teardown(void)
{
    fake_domain_teardown();
}

/* Copies *op to ARG, issues the hypercall, copies the result back. */
static long hc_op(uint64_t nr, uint64_t cmd, void *op, size_t len, uint64_t count)
{
    if (op)
        memcpy(mem + ARG, op, len);
    const uint64_t args[6] = { cmd, op ? ARG : BAD_GVA, count, 0, 0, 0 };
    long rc = xen_hypercall(v0, nr, args);
    if (op)
        memcpy(op, mem + ARG, len);
    return rc;
}

#define LIST 0x3000ull                  /* frame_list buffer */

static long gt(uint64_t cmd, void *op, size_t len)
{
    return hc_op(__HYPERVISOR_grant_table_op, cmd, op, len, 1);
}

static void put_v1(grant_ref_t ref, uint16_t flags, uint16_t domid, uint32_t frame)
{
    struct grant_entry_v1 e = { flags, domid, frame };
    memcpy(&dom->gnttab.frames[0][ref * sizeof(e)], &e, sizeof(e));
}

static uint16_t v1_flags(grant_ref_t ref)
{
    uint16_t f;
    memcpy(&f, &dom->gnttab.frames[0][ref * 8], 2);
    return f;
}

static uint32_t set_version(uint32_t ver, long want_rc)
{
    struct gnttab_set_version sv = { .version = ver };
    ck_assert_int_eq(gt(GNTTABOP_set_version, &sv, sizeof(sv)), want_rc);
    return sv.version;
}

START_TEST(wired_unknown_and_count)
{
    ck_assert_str_eq(xen_hypercall_name(__HYPERVISOR_grant_table_op), "grant_table_op");
    struct gnttab_query_size qs = { .dom = DOMID_SELF };
    ck_assert_int_eq(hc_op(__HYPERVISOR_grant_table_op, GNTTABOP_query_size, &qs,
                           sizeof(qs), 2), -XEN_EINVAL);
    ck_assert_int_eq(hc_op(__HYPERVISOR_grant_table_op, GNTTABOP_query_size, &qs,
                           sizeof(qs), 0), -XEN_EINVAL);
    ck_assert_int_eq(gt(GNTTABOP_map_grant_ref, &qs, sizeof(qs)), -XEN_ENOSYS);
    ck_assert_int_eq(gt(99, &qs, sizeof(qs)), -XEN_ENOSYS);
    ck_assert_int_eq(gt(GNTTABOP_query_size | (1u << 12), &qs, sizeof(qs)), -XEN_EINVAL);
    ck_assert_int_eq(gt(GNTTABOP_query_size | (1ull << 32), &qs, sizeof(qs)), 0);
    for (uint64_t cmd = GNTTABOP_query_size; cmd <= GNTTABOP_get_version; cmd++)
        if (cmd != GNTTABOP_unmap_and_replace)
            ck_assert_int_eq(hc_op(__HYPERVISOR_grant_table_op, cmd, NULL, 0, 1), -XEN_EFAULT);
    ck_assert_int_eq(hc_op(__HYPERVISOR_grant_table_op, GNTTABOP_setup_table, NULL, 0, 1),
                     -XEN_EFAULT);
}
END_TEST

START_TEST(query_size)
{
    struct gnttab_query_size qs = { .dom = DOMID_SELF, .status = 99 };
    ck_assert_int_eq(gt(GNTTABOP_query_size, &qs, sizeof(qs)), 0);
    ck_assert_int_eq(qs.status, GNTST_okay);
    ck_assert_uint_eq(qs.nr_frames, 1);
    ck_assert_uint_eq(qs.max_nr_frames, XEN_GNTTAB_MAX_FRAMES);
    qs = (struct gnttab_query_size){ .dom = 1 };
    ck_assert_int_eq(gt(GNTTABOP_query_size, &qs, sizeof(qs)), 0);
    ck_assert_int_eq(qs.status, GNTST_okay);
    qs = (struct gnttab_query_size){ .dom = 0 };
    ck_assert_int_eq(gt(GNTTABOP_query_size, &qs, sizeof(qs)), 0);
    ck_assert_int_eq(qs.status, GNTST_permission_denied);
    qs = (struct gnttab_query_size){ .dom = 77 };
    ck_assert_int_eq(gt(GNTTABOP_query_size, &qs, sizeof(qs)), 0);
    ck_assert_int_eq(qs.status, GNTST_bad_domain);
}
END_TEST

START_TEST(versions)
{
    struct gnttab_get_version gv = { .dom = DOMID_SELF };
    ck_assert_int_eq(gt(GNTTABOP_get_version, &gv, sizeof(gv)), 0);
    ck_assert_uint_eq(gv.version, 1);
    ck_assert_uint_eq(set_version(2, 0), 2);
    ck_assert_int_eq(gt(GNTTABOP_get_version, &gv, sizeof(gv)), 0);
    ck_assert_uint_eq(gv.version, 2);
    ck_assert_uint_eq(set_version(3, -XEN_EINVAL), 2);    /* reports the version in force */
    ck_assert_uint_eq(set_version(0, -XEN_EINVAL), 2);
    ck_assert_uint_eq(set_version(2, 0), 2);
    ck_assert_uint_eq(set_version(1, 0), 1);
    gv.dom = 0;
    ck_assert_int_eq(gt(GNTTABOP_get_version, &gv, sizeof(gv)), -XEN_EPERM);
    gv.dom = 55;
    ck_assert_int_eq(gt(GNTTABOP_get_version, &gv, sizeof(gv)), -XEN_ESRCH);
}
END_TEST

START_TEST(reserved_entries_convert)
{
    put_v1(GNTTAB_RESERVED_CONSOLE, GTF_permit_access, 0, 0x55);
    put_v1(GNTTAB_RESERVED_XENSTORE, GTF_permit_access | GTF_readonly, 0, 0x56);
    ck_assert_uint_eq(set_version(2, 0), 2);
    union grant_entry_v2 e;
    memcpy(&e, &dom->gnttab.frames[0][16], sizeof(e));
    ck_assert_uint_eq(e.hdr.flags, GTF_permit_access | GTF_readonly);
    ck_assert_uint_eq(e.hdr.domid, 0);
    ck_assert_uint_eq(e.full_page.frame, 0x56);
    /* A reserved v2 entry that v1 cannot express blocks the switch. */
    e.full_page.frame = 1ull << 40;
    memcpy(&dom->gnttab.frames[0][16], &e, sizeof(e));
    ck_assert_uint_eq(set_version(1, -XEN_EINVAL), 2);
    e.full_page.frame = 0x57;
    memcpy(&dom->gnttab.frames[0][16], &e, sizeof(e));
    ck_assert_uint_eq(set_version(1, 0), 1);
    struct grant_entry_v1 e1;
    memcpy(&e1, &dom->gnttab.frames[0][8], sizeof(e1));
    ck_assert_uint_eq(e1.frame, 0x57);
    ck_assert_uint_eq(v1_flags(0), GTF_permit_access);
}
END_TEST

START_TEST(setup_table_and_physmap)
{
    uint8_t *page;
    ck_assert_uint_eq(xen_gnttab_frame_gfn(dom, 0), ~0ull);
    ck_assert_int_eq(xen_gnttab_physmap_frame(dom, 0, 0x80, &page), 0);
    ck_assert_ptr_eq(page, dom->gnttab.frames[0]);
    ck_assert_uint_eq(xen_gnttab_frame_gfn(dom, 0), 0x80);
    ck_assert_uint_eq(xen_gnttab_frame_gfn(dom, 999), ~0ull);
    struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = 2, .frame_list = LIST };
    ck_assert_int_eq(gt(GNTTABOP_setup_table, &st, sizeof(st)), 0);
    ck_assert_int_eq(st.status, GNTST_okay);
    uint64_t list[2];
    memcpy(list, mem + LIST, sizeof(list));
    ck_assert_uint_eq(list[0], 0x80);
    ck_assert_uint_eq(list[1], ~0ull);                    /* not mapped yet */
    struct gnttab_query_size qs = { .dom = DOMID_SELF };
    ck_assert_int_eq(gt(GNTTABOP_query_size, &qs, sizeof(qs)), 0);
    ck_assert_uint_eq(qs.nr_frames, 2);
    /* add_to_physmap grows the table to idx + 1. */
    ck_assert_int_eq(xen_gnttab_physmap_frame(dom, 5, 0x90, &page), 0);
    ck_assert_ptr_eq(page, dom->gnttab.frames[5]);
    ck_assert_int_eq(gt(GNTTABOP_query_size, &qs, sizeof(qs)), 0);
    ck_assert_uint_eq(qs.nr_frames, 6);
    ck_assert_int_eq(xen_gnttab_physmap_frame(dom, XEN_GNTTAB_MAX_FRAMES, 0x90, &page),
                     -XEN_EINVAL);
    ck_assert_int_eq(xen_gnttab_physmap_frame(dom, 1ull << 40, 0x90, &page), -XEN_EINVAL);
    ck_assert_int_eq(xen_gnttab_physmap_frame(dom, XENMAPIDX_grant_table_status, 0x91, &page),
                     -XEN_EINVAL);                          /* v1 has no status frames */
    ck_assert_int_eq(xen_gnttab_physmap_frame(dom, 0, ~0ull, &page), -XEN_EINVAL);
    /* Errors reported in status. */
    st = (struct gnttab_setup_table){ .dom = DOMID_SELF, .nr_frames = 33, .frame_list = LIST };
    ck_assert_int_eq(gt(GNTTABOP_setup_table, &st, sizeof(st)), 0);
    ck_assert_int_eq(st.status, GNTST_general_error);
    st = (struct gnttab_setup_table){ .dom = 0, .nr_frames = 1, .frame_list = LIST };
    ck_assert_int_eq(gt(GNTTABOP_setup_table, &st, sizeof(st)), 0);
    ck_assert_int_eq(st.status, GNTST_permission_denied);
    st = (struct gnttab_setup_table){ .dom = 9, .nr_frames = 1, .frame_list = LIST };
    ck_assert_int_eq(gt(GNTTABOP_setup_table, &st, sizeof(st)), 0);
    ck_assert_int_eq(st.status, GNTST_bad_domain);
    st = (struct gnttab_setup_table){ .dom = DOMID_SELF, .nr_frames = 1, .frame_list = BAD_GVA };
    ck_assert_int_eq(gt(GNTTABOP_setup_table, &st, sizeof(st)), 0);
    ck_assert_int_eq(st.status, GNTST_bad_virt_addr);
    st = (struct gnttab_setup_table){ .dom = DOMID_SELF, .nr_frames = 2, .frame_list = ~0ull - 8 };
    ck_assert_int_eq(gt(GNTTABOP_setup_table, &st, sizeof(st)), 0);
    ck_assert_int_eq(st.status, GNTST_bad_virt_addr);
}
END_TEST

START_TEST(status_frames_v2)
{
    struct gnttab_get_status_frames gs = { .nr_frames = 1, .dom = DOMID_SELF, .frame_list = LIST };
    ck_assert_int_eq(gt(GNTTABOP_get_status_frames, &gs, sizeof(gs)), 0);
    ck_assert_int_eq(gs.status, GNTST_general_error);      /* v1 */
    ck_assert_uint_eq(set_version(2, 0), 2);
    uint8_t *page;
    ck_assert_int_eq(xen_gnttab_physmap_frame(dom, XENMAPIDX_grant_table_status | 0, 0xA0, &page), 0);
    ck_assert_ptr_eq(page, dom->gnttab.status[0]);
    ck_assert_uint_eq(xen_gnttab_frame_gfn(dom, XENMAPIDX_grant_table_status), 0xA0);
    /* Status frame 1 grows the table as Xen does, to the 9 shared frames
     * whose v2 entries need 2 status frames; beyond the limit it fails. */
    ck_assert_int_eq(xen_gnttab_physmap_frame(dom, XENMAPIDX_grant_table_status | 1, 0xA1, &page), 0);
    ck_assert_ptr_eq(page, dom->gnttab.status[1]);
    ck_assert_uint_eq(dom->gnttab.nr_frames, 9);
    ck_assert_int_eq(xen_gnttab_physmap_frame(dom, XENMAPIDX_grant_table_status | XEN_GNTTAB_MAX_STATUS_FRAMES,
                                              0xA2, &page), -XEN_EINVAL);
    ck_assert_int_eq(gt(GNTTABOP_get_status_frames, &gs, sizeof(gs)), 0);
    ck_assert_int_eq(gs.status, GNTST_okay);
    uint64_t g;
    memcpy(&g, mem + LIST, 8);
    ck_assert_uint_eq(g, 0xA0);
    gs.nr_frames = 3;                                       /* 2 status frames exist */
    ck_assert_int_eq(gt(GNTTABOP_get_status_frames, &gs, sizeof(gs)), 0);
    ck_assert_int_eq(gs.status, GNTST_general_error);
    gs = (struct gnttab_get_status_frames){ .nr_frames = 1, .dom = DOMID_SELF, .frame_list = BAD_GVA };
    ck_assert_int_eq(gt(GNTTABOP_get_status_frames, &gs, sizeof(gs)), 0);
    ck_assert_int_eq(gs.status, GNTST_bad_virt_addr);
    gs = (struct gnttab_get_status_frames){ .nr_frames = 1, .dom = 0, .frame_list = LIST };
    ck_assert_int_eq(gt(GNTTABOP_get_status_frames, &gs, sizeof(gs)), 0);
    ck_assert_int_eq(gs.status, GNTST_permission_denied);
    /* 9 frames need 2 status frames (256 v2 entries per frame). */
    ck_assert_int_eq(xen_gnttab_physmap_frame(dom, 8, 0xB0, &page), 0);
    ck_assert_int_eq(xen_gnttab_physmap_frame(dom, XENMAPIDX_grant_table_status | 1, 0xA1, &page), 0);
}
END_TEST

START_TEST(backend_map_v1)
{
    uint8_t *p;
    put_v1(8, GTF_permit_access, 0, 0x50);
    put_v1(9, GTF_permit_access | GTF_readonly, 0, 0x51);
    put_v1(10, GTF_permit_access, 5, 0x52);              /* granted to domain 5 */
    put_v1(11, GTF_permit_access, 0, 0x7FFFF);           /* outside guest RAM */
    put_v1(12, GTF_accept_transfer, 0, 0x53);
    ck_assert_int_eq(xen_gnttab_map(dom, 8, 0, true, &p), GNTST_okay);
    ck_assert_ptr_eq(p, mem + 0x50000);
    ck_assert_uint_eq(v1_flags(8), GTF_permit_access | GTF_reading | GTF_writing);
    ck_assert_int_eq(xen_gnttab_map(dom, 8, 0, false, &p), GNTST_okay);
    ck_assert_int_eq(xen_gnttab_unmap(dom, 8, true), GNTST_okay);
    ck_assert_uint_eq(v1_flags(8), GTF_permit_access | GTF_reading);
    ck_assert_int_eq(xen_gnttab_unmap(dom, 8, true), GNTST_bad_handle);
    /* Grants in use block a version change. */
    ck_assert_uint_eq(set_version(2, -XEN_EBUSY), 1);
    ck_assert_int_eq(xen_gnttab_unmap(dom, 8, false), GNTST_okay);
    ck_assert_uint_eq(v1_flags(8), GTF_permit_access);
    ck_assert_int_eq(xen_gnttab_unmap(dom, 8, false), GNTST_bad_handle);
    ck_assert_int_eq(xen_gnttab_map(dom, 9, 0, true, &p), GNTST_general_error);
    ck_assert_int_eq(xen_gnttab_map(dom, 9, 0, false, &p), GNTST_okay);
    ck_assert_int_eq(xen_gnttab_unmap(dom, 9, false), GNTST_okay);
    ck_assert_int_eq(xen_gnttab_map(dom, 10, 0, false, &p), GNTST_general_error);
    ck_assert_int_eq(xen_gnttab_map(dom, 11, 0, false, &p), GNTST_bad_page);
    ck_assert_uint_eq(v1_flags(11), GTF_permit_access);  /* pin undone */
    ck_assert_int_eq(xen_gnttab_map(dom, 12, 0, false, &p), GNTST_general_error);
    ck_assert_int_eq(xen_gnttab_map(dom, 512, 0, false, &p), GNTST_bad_gntref);
    ck_assert_int_eq(xen_gnttab_map(dom, ~0u, 0, false, &p), GNTST_bad_gntref);
    /* Copies. */
    memcpy(mem + 0x50000 + 100, "hello", 5);
    char buf[8] = { 0 };
    ck_assert_int_eq(xen_gnttab_copy_from(dom, 8, 0, 100, buf, 5), GNTST_okay);
    ck_assert_str_eq(buf, "hello");
    ck_assert_int_eq(xen_gnttab_copy_to(dom, 8, 0, 4090, "abcdef", 6), GNTST_okay);
    ck_assert_int_eq(memcmp(mem + 0x50000 + 4090, "abcdef", 6), 0);
    ck_assert_int_eq(xen_gnttab_copy_to(dom, 8, 0, 4091, "abcdef", 6), GNTST_bad_copy_arg);
    ck_assert_int_eq(xen_gnttab_copy_to(dom, 9, 0, 0, "x", 1), GNTST_general_error);
    ck_assert_int_eq(xen_gnttab_copy_from(dom, 8, 0, ~0u, buf, 1), GNTST_bad_copy_arg);
    ck_assert_uint_eq(v1_flags(8), GTF_permit_access);
}
END_TEST

START_TEST(backend_map_v2)
{
    ck_assert_uint_eq(set_version(2, 0), 2);
    union grant_entry_v2 e = { 0 };
    e.full_page.hdr.flags = GTF_permit_access;
    e.full_page.hdr.domid = 0;
    e.full_page.frame = 0x60;
    memcpy(&dom->gnttab.frames[0][20 * 16], &e, sizeof(e));
    e.sub_page.hdr.flags = GTF_permit_access | GTF_sub_page;
    memcpy(&dom->gnttab.frames[0][21 * 16], &e, sizeof(e));
    uint8_t *p;
    ck_assert_int_eq(xen_gnttab_map(dom, 20, 0, true, &p), GNTST_okay);
    ck_assert_ptr_eq(p, mem + 0x60000);
    uint16_t s;
    memcpy(&s, &dom->gnttab.status[0][20 * 2], 2);
    ck_assert_uint_eq(s, GTF_reading | GTF_writing);
    ck_assert_int_eq(xen_gnttab_unmap(dom, 20, true), GNTST_okay);
    memcpy(&s, &dom->gnttab.status[0][20 * 2], 2);
    ck_assert_uint_eq(s, 0);
    ck_assert_int_eq(xen_gnttab_map(dom, 21, 0, false, &p), GNTST_general_error);
    ck_assert_int_eq(xen_gnttab_map(dom, 256, 0, false, &p), GNTST_bad_gntref);
}
END_TEST

static Suite *grant_suite(void)
{
    Suite *s = suite_create("grant");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, wired_unknown_and_count);
    tcase_add_test(tc, query_size);
    tcase_add_test(tc, versions);
    tcase_add_test(tc, reserved_entries_convert);
    tcase_add_test(tc, setup_table_and_physmap);
    tcase_add_test(tc, status_frames_v2);
    tcase_add_test(tc, backend_map_v1);
    tcase_add_test(tc, backend_map_v2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(grant_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
