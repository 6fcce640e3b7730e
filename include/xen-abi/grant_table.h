/* grant_table_op hypercall (20): RDI = cmd, RSI = arg array, RDX = count
 * (public/grant_table.h). */
#ifndef XEN_ABI_GRANT_TABLE_H
#define XEN_ABI_GRANT_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "xen.h"

typedef uint32_t grant_ref_t;
typedef uint32_t grant_handle_t;
typedef uint16_t grant_status_t;

#define GNTTABOP_map_grant_ref      0
#define GNTTABOP_unmap_grant_ref    1
#define GNTTABOP_setup_table        2
#define GNTTABOP_dump_table         3
#define GNTTABOP_transfer           4
#define GNTTABOP_copy               5
#define GNTTABOP_query_size         6
#define GNTTABOP_unmap_and_replace  7
#define GNTTABOP_set_version        8
#define GNTTABOP_get_status_frames  9
#define GNTTABOP_get_version        10
#define GNTTABOP_swap_grant_ref     11
#define GNTTABOP_cache_flush        12

#define GNTTAB_NR_RESERVED_ENTRIES 8
#define GNTTAB_RESERVED_CONSOLE    0
#define GNTTAB_RESERVED_XENSTORE   1

/* grant_entry flags. */
#define GTF_invalid         0u
#define GTF_permit_access   1u
#define GTF_accept_transfer 2u
#define GTF_transitive      3u
#define GTF_type_mask       3u
#define GTF_readonly        (1u << 2)
#define GTF_reading         (1u << 3)
#define GTF_writing         (1u << 4)
#define GTF_PWT             (1u << 5)
#define GTF_PCD             (1u << 6)
#define GTF_PAT             (1u << 7)
#define GTF_sub_page        (1u << 8)
#define GTF_transfer_committed (1u << 2)
#define GTF_transfer_completed (1u << 3)

/* Status codes carried in the status fields. */
#define GNTST_okay               0
#define GNTST_general_error      (-1)
#define GNTST_bad_domain         (-2)
#define GNTST_bad_gntref         (-3)
#define GNTST_bad_handle         (-4)
#define GNTST_bad_virt_addr      (-5)
#define GNTST_bad_dev_addr       (-6)
#define GNTST_no_device_space    (-7)
#define GNTST_permission_denied  (-8)
#define GNTST_bad_page           (-9)
#define GNTST_bad_copy_arg       (-10)
#define GNTST_address_too_big    (-11)
#define GNTST_eagain             (-12)
#define GNTST_no_space           (-13)

/* GNTMAP_* flags for map_grant_ref. */
#define GNTMAP_device_map      (1u << 0)
#define GNTMAP_host_map        (1u << 1)
#define GNTMAP_readonly        (1u << 2)
#define GNTMAP_application_map (1u << 3)
#define GNTMAP_contains_pte    (1u << 4)

struct grant_entry_v1 {
    uint16_t flags;
    domid_t domid;
    uint32_t frame;
};

struct grant_entry_header {
    uint16_t flags;
    domid_t domid;
};

union grant_entry_v2 {
    struct grant_entry_header hdr;
    struct {
        struct grant_entry_header hdr;
        uint32_t pad0;
        uint64_t frame;
    } full_page;
    struct {
        struct grant_entry_header hdr;
        uint16_t page_off;
        uint16_t length;
        uint64_t frame;
    } sub_page;
    struct {
        struct grant_entry_header hdr;
        domid_t trans_domid;
        uint16_t pad0;
        grant_ref_t gref;
    } transitive;
    uint32_t spacer[4];
};

struct gnttab_map_grant_ref {
    uint64_t host_addr;
    uint32_t flags;
    grant_ref_t ref;
    domid_t dom;
    int16_t status;
    grant_handle_t handle;
    uint64_t dev_bus_addr;
};

struct gnttab_unmap_grant_ref {
    uint64_t host_addr;
    uint64_t dev_bus_addr;
    grant_handle_t handle;
    int16_t status;
    uint16_t pad;
};

struct gnttab_setup_table {
    domid_t dom;
    uint8_t pad0[2];
    uint32_t nr_frames;
    int16_t status;
    uint8_t pad1[6];
    xen_guest_handle_t frame_list;  /* GVA of xen_pfn_t[] */
};

struct gnttab_dump_table {
    domid_t dom;
    int16_t status;
};

struct gnttab_copy_ptr {
    union {
        grant_ref_t ref;
        xen_pfn_t gmfn;
    } u;
    domid_t domid;
    uint16_t offset;
    uint8_t pad[4];
};
#define GNTCOPY_source_gref (1u << 0)
#define GNTCOPY_dest_gref   (1u << 1)

struct gnttab_copy {
    struct gnttab_copy_ptr source, dest;
    uint16_t len;
    uint16_t flags;
    int16_t status;
    uint8_t pad[2];
};

struct gnttab_query_size {
    domid_t dom;
    uint8_t pad[2];
    uint32_t nr_frames;      /* OUT */
    uint32_t max_nr_frames;  /* OUT */
    int16_t status;          /* OUT */
    uint8_t pad1[2];
};

struct gnttab_set_version {
    uint32_t version;        /* IN/OUT */
};

struct gnttab_get_status_frames {
    uint32_t nr_frames;
    domid_t dom;
    int16_t status;
    xen_guest_handle_t frame_list;  /* GVA of uint64_t[] */
};

struct gnttab_get_version {
    domid_t dom;
    uint16_t pad;
    uint32_t version;        /* OUT */
};

_Static_assert(sizeof(struct grant_entry_v1) == 8, "grant_entry_v1");
_Static_assert(offsetof(struct grant_entry_v1, domid) == 2, "v1.domid");
_Static_assert(offsetof(struct grant_entry_v1, frame) == 4, "v1.frame");
_Static_assert(sizeof(union grant_entry_v2) == 16, "grant_entry_v2");
_Static_assert(offsetof(union grant_entry_v2, full_page.frame) == 8, "v2.frame");
_Static_assert(offsetof(union grant_entry_v2, sub_page.length) == 6, "v2.length");
_Static_assert(offsetof(union grant_entry_v2, transitive.gref) == 8, "v2.gref");
_Static_assert(sizeof(struct gnttab_map_grant_ref) == 32, "map_grant_ref");
_Static_assert(offsetof(struct gnttab_map_grant_ref, ref) == 12, "map.ref");
_Static_assert(offsetof(struct gnttab_map_grant_ref, status) == 18, "map.status");
_Static_assert(offsetof(struct gnttab_map_grant_ref, handle) == 20, "map.handle");
_Static_assert(offsetof(struct gnttab_map_grant_ref, dev_bus_addr) == 24, "map.dev");
_Static_assert(sizeof(struct gnttab_unmap_grant_ref) == 24, "unmap_grant_ref");
_Static_assert(offsetof(struct gnttab_unmap_grant_ref, status) == 20, "unmap.status");
_Static_assert(sizeof(struct gnttab_setup_table) == 24, "setup_table");
_Static_assert(offsetof(struct gnttab_setup_table, nr_frames) == 4, "st.nr_frames");
_Static_assert(offsetof(struct gnttab_setup_table, status) == 8, "st.status");
_Static_assert(offsetof(struct gnttab_setup_table, frame_list) == 16, "st.frame_list");
_Static_assert(sizeof(struct gnttab_copy_ptr) == 16, "copy_ptr");
_Static_assert(offsetof(struct gnttab_copy_ptr, domid) == 8, "cp.domid");
_Static_assert(sizeof(struct gnttab_copy) == 40, "gnttab_copy");
_Static_assert(offsetof(struct gnttab_copy, len) == 32, "copy.len");
_Static_assert(offsetof(struct gnttab_copy, status) == 36, "copy.status");
_Static_assert(sizeof(struct gnttab_query_size) == 16, "query_size");
_Static_assert(offsetof(struct gnttab_query_size, nr_frames) == 4, "qs.nr_frames");
_Static_assert(offsetof(struct gnttab_query_size, max_nr_frames) == 8, "qs.max");
_Static_assert(offsetof(struct gnttab_query_size, status) == 12, "qs.status");
_Static_assert(sizeof(struct gnttab_set_version) == 4, "set_version");
_Static_assert(sizeof(struct gnttab_get_status_frames) == 16, "get_status_frames");
_Static_assert(offsetof(struct gnttab_get_status_frames, dom) == 4, "gsf.dom");
_Static_assert(offsetof(struct gnttab_get_status_frames, status) == 6, "gsf.status");
_Static_assert(offsetof(struct gnttab_get_status_frames, frame_list) == 8, "gsf.list");
_Static_assert(sizeof(struct gnttab_get_version) == 8, "get_version");
_Static_assert(offsetof(struct gnttab_get_version, version) == 4, "gv.version");

#endif
