/* xen_grant: grant_table_op for a PVH domU (public/grant_table.h):
 * query_size, set_version/get_version 1 and 2, the shared and status
 * frames placed with XENMEM_add_to_physmap(XENMAPSPACE_grant_table) above
 * RAM, get_status_frames, and the error results. */
#include "xenlib.h"

#define GT_GFN 0x100000ull        /* 4 GiB: above the domain's RAM */
#define ST_GFN 0x100010ull
#define INVALID_GFN (~0ull)

static long map_grant_frame(uint64_t idx, uint64_t gpfn)
{
    struct xen_add_to_physmap x = { .domid = DOMID_SELF, .space = XENMAPSPACE_grant_table,
                                    .idx = idx, .gpfn = gpfn };
    return memory_op(XENMEM_add_to_physmap, &x);
}

static long set_version(uint32_t v, uint32_t *out)
{
    struct gnttab_set_version sv = { .version = v };
    long rc = gnttab_op(GNTTABOP_set_version, &sv, 1);
    *out = sv.version;
    return rc;
}

static long get_version(domid_t dom, uint32_t *out)
{
    struct gnttab_get_version gv = { .dom = dom, .version = 0xdead };
    long rc = gnttab_op(GNTTABOP_get_version, &gv, 1);
    *out = gv.version;
    return rc;
}

int guest_main(const void *start_info)
{
    (void)start_info;
    xen_init();

    struct gnttab_query_size qs = { .dom = DOMID_SELF };
    check_rc("query_size", gnttab_op(GNTTABOP_query_size, &qs, 1), 0);
    check_rc("query_size status okay", qs.status, GNTST_okay);
    check("query_size: at least one frame", qs.nr_frames >= 1);
    check("query_size: max_nr_frames >= nr_frames", qs.max_nr_frames >= qs.nr_frames);
    uint32_t max_frames = qs.max_nr_frames;
    struct gnttab_query_size qb = { .dom = 0x1234 };
    check_rc("query_size of a missing domain returns 0", gnttab_op(GNTTABOP_query_size, &qb, 1), 0);
    check_rc("query_size of a missing domain: GNTST_bad_domain", qb.status, GNTST_bad_domain);
    check_rc("query_size count 2 -EINVAL", gnttab_op(GNTTABOP_query_size, &qs, 2), -XEN_EINVAL);
    check_rc("query_size bad pointer -EFAULT",
             gnttab_op(GNTTABOP_query_size, (void *)0x0000700000000000ull, 1), -XEN_EFAULT);
    check_rc("unknown grant_table_op -ENOSYS", gnttab_op(0x99, &qs, 1), -XEN_ENOSYS);

    uint32_t v = 0;
    check_rc("get_version", get_version(DOMID_SELF, &v), 0);
    check_rc("initial version is 1", v, 1);
    check_rc("get_version of a missing domain -ESRCH", get_version(0x1234, &v), -XEN_ESRCH);
    check_rc("set_version 3 -EINVAL", set_version(3, &v), -XEN_EINVAL);
    check_rc("set_version 3 reports the version in force", v, 1);
    check_rc("set_version 1 (no change)", set_version(1, &v), 0);

    /* The first shared frame, at 4 GiB. */
    check_rc("add_to_physmap grant frame 0 at 4 GiB", map_grant_frame(0, GT_GFN), 0);
    volatile struct grant_entry_v1 *g1 = map_phys(GT_GFN << 12);
    check("4 GiB mapped in the guest page tables", g1 != 0);
    g1[0].flags = GTF_permit_access;
    g1[0].domid = 0;
    g1[0].frame = 0x12345;
    g1[9].flags = GTF_permit_access | GTF_readonly;
    g1[9].domid = 0;
    g1[9].frame = 0x777;
    barrier();
    check("grant frame reads back what was written", g1[0].frame == 0x12345 && g1[9].frame == 0x777);
    check_rc("add_to_physmap grant frame past max -EINVAL", map_grant_frame(max_frames, GT_GFN + 8), -XEN_EINVAL);
    check_rc("add_to_physmap status frame under v1 -EINVAL",
             map_grant_frame(XENMAPIDX_grant_table_status | 0, ST_GFN), -XEN_EINVAL);
    struct xen_add_to_physmap xo = { .domid = 0x1234, .space = XENMAPSPACE_grant_table, .idx = 0, .gpfn = GT_GFN };
    check_rc("add_to_physmap grant frame for a missing domain -ESRCH",
             memory_op(XENMEM_add_to_physmap, &xo), -XEN_ESRCH);

    uint64_t frames[4] = { 1, 1, 1, 1 };
    struct gnttab_get_status_frames gs = { .nr_frames = 1, .dom = DOMID_SELF, .frame_list = (uint64_t)frames };
    check_rc("get_status_frames under v1 returns 0", gnttab_op(GNTTABOP_get_status_frames, &gs, 1), 0);
    check_rc("get_status_frames under v1: GNTST_general_error", gs.status, GNTST_general_error);

    /* Version 2: the reserved entries are converted in place. */
    check_rc("set_version 2", set_version(2, &v), 0);
    check_rc("set_version 2 reports 2", v, 2);
    check_rc("get_version", get_version(DOMID_SELF, &v), 0);
    check_rc("version is 2", v, 2);
    volatile union grant_entry_v2 *g2 = (volatile union grant_entry_v2 *)g1;
    check_rc("v2 entry 0 keeps its flags", g2[0].hdr.flags, GTF_permit_access);
    check_rc("v2 entry 0 keeps its frame", (long)g2[0].full_page.frame, 0x12345);
    g2[100].full_page.frame = 0xabcdef123ull;
    barrier();
    check("v2 entry 100 reads back", g2[100].full_page.frame == 0xabcdef123ull);

    gs = (struct gnttab_get_status_frames){ .nr_frames = 1, .dom = DOMID_SELF, .frame_list = (uint64_t)frames };
    check_rc("get_status_frames", gnttab_op(GNTTABOP_get_status_frames, &gs, 1), 0);
    check_rc("get_status_frames status okay", gs.status, GNTST_okay);
    check("status frame not placed yet: INVALID_GFN", frames[0] == INVALID_GFN);
    check_rc("add_to_physmap status frame 0", map_grant_frame(XENMAPIDX_grant_table_status | 0, ST_GFN), 0);
    frames[0] = 0;
    gs = (struct gnttab_get_status_frames){ .nr_frames = 1, .dom = DOMID_SELF, .frame_list = (uint64_t)frames };
    check_rc("get_status_frames again", gnttab_op(GNTTABOP_get_status_frames, &gs, 1), 0);
    check_rc("status frame 0 is where it was placed", (long)frames[0], (long)ST_GFN);
    volatile uint16_t *st = map_phys(ST_GFN << 12);
    check_rc("status entry 0 starts clear", st[0], 0);
    gs = (struct gnttab_get_status_frames){ .nr_frames = 1000, .dom = DOMID_SELF, .frame_list = (uint64_t)frames };
    check_rc("get_status_frames too many returns 0", gnttab_op(GNTTABOP_get_status_frames, &gs, 1), 0);
    check_rc("get_status_frames too many: GNTST_general_error", gs.status, GNTST_general_error);
    gs = (struct gnttab_get_status_frames){ .nr_frames = 1, .dom = DOMID_SELF, .frame_list = 0x0000700000000000ull };
    check_rc("get_status_frames bad list returns 0", gnttab_op(GNTTABOP_get_status_frames, &gs, 1), 0);
    check_rc("get_status_frames bad list: GNTST_bad_virt_addr", gs.status, GNTST_bad_virt_addr);
    gs = (struct gnttab_get_status_frames){ .nr_frames = 1, .dom = 0x1234, .frame_list = (uint64_t)frames };
    check_rc("get_status_frames missing domain returns 0", gnttab_op(GNTTABOP_get_status_frames, &gs, 1), 0);
    check_rc("get_status_frames missing domain: GNTST_bad_domain", gs.status, GNTST_bad_domain);

    /* Back to version 1. */
    check_rc("set_version 1", set_version(1, &v), 0);
    check_rc("set_version 1 reports 1", v, 1);
    check_rc("v1 entry 0 keeps its frame", g1[0].frame, 0x12345);
    check_rc("v1 entry 0 keeps its flags", g1[0].flags, GTF_permit_access);
    check_rc("get_version", get_version(DOMID_SELF, &v), 0);
    check_rc("version is 1 again", v, 1);

    struct gnttab_setup_table stb = { .dom = DOMID_SELF, .nr_frames = 1, .frame_list = (uint64_t)frames };
    check_rc("setup_table 1 frame", gnttab_op(GNTTABOP_setup_table, &stb, 1), 0);
    check_rc("setup_table status okay", stb.status, GNTST_okay);
    check_rc("setup_table reports frame 0 at its gfn", (long)frames[0], (long)GT_GFN);
    stb = (struct gnttab_setup_table){ .dom = DOMID_SELF, .nr_frames = max_frames + 1, .frame_list = (uint64_t)frames };
    check_rc("setup_table past max returns 0", gnttab_op(GNTTABOP_setup_table, &stb, 1), 0);
    check_rc("setup_table past max: GNTST_general_error", stb.status, GNTST_general_error);
    xen_finish("xen_grant");
}
