/* memory_op hypercall (12) sub-ops and arguments (public/memory.h). */
#ifndef XEN_ABI_MEMORY_H
#define XEN_ABI_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#include "xen.h"

#define XENMEM_increase_reservation  0
#define XENMEM_decrease_reservation  1
#define XENMEM_maximum_ram_page      2
#define XENMEM_current_reservation   3
#define XENMEM_maximum_reservation   4
#define XENMEM_machphys_mfn_list     5
#define XENMEM_populate_physmap      6
#define XENMEM_add_to_physmap        7
#define XENMEM_memory_map            9
#define XENMEM_machine_memory_map    10
#define XENMEM_exchange              11
#define XENMEM_machphys_mapping      12
#define XENMEM_set_memory_map        13
#define XENMEM_maximum_gpfn          14
#define XENMEM_remove_from_physmap   15
#define XENMEM_add_to_physmap_batch  23
#define XENMEM_get_vnumainfo         26
#define XENMEM_acquire_resource      28
#define XENMEM_get_sharing_freed_pages 18
#define XENMEM_get_sharing_shared_pages 19

/* The cmd word: bits 0-5 the sub-op, bits 6+ a continuation start extent. */
#define XENMEMOP_CMD_MASK       0x3f
#define XENMEMOP_EXTENT_SHIFT   6

/* Memory flags carried in xen_memory_reservation.mem_flags. */
#define XENMEMF_populate_on_demand (1u << 16)

struct xen_memory_reservation {
    xen_guest_handle_t extent_start; /* GVA of xen_pfn_t[] */
    xen_ulong_t nr_extents;
    uint32_t extent_order;
    uint32_t mem_flags;              /* "address_bits" in older headers */
    domid_t domid;
    uint8_t pad[6];
};

/* XENMEM_add_to_physmap spaces. */
#define XENMAPSPACE_shared_info  0
#define XENMAPSPACE_grant_table  1
#define XENMAPSPACE_gmfn         2
#define XENMAPSPACE_gmfn_range   3
#define XENMAPSPACE_gmfn_foreign 4
#define XENMAPSPACE_dev_mmio     5
/* For XENMAPSPACE_grant_table: this bit in idx selects a status frame. */
#define XENMAPIDX_grant_table_status 0x80000000u

struct xen_add_to_physmap {
    domid_t domid;
    uint16_t size;     /* pages, gmfn_range only */
    uint32_t space;    /* XENMAPSPACE_* */
    xen_ulong_t idx;
    xen_pfn_t gpfn;
};

struct xen_remove_from_physmap {
    domid_t domid;
    uint8_t pad[6];
    xen_pfn_t gpfn;
};

/* XENMEM_memory_map: nr_entries IN capacity, OUT count; buffer holds
 * 20-byte packed e820 entries. */
struct xen_memory_map {
    uint32_t nr_entries;
    uint32_t pad;
    xen_guest_handle_t buffer;
};

struct xen_e820_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
} __attribute__((packed));

_Static_assert(sizeof(struct xen_memory_reservation) == 32, "memory_reservation");
_Static_assert(offsetof(struct xen_memory_reservation, nr_extents) == 8, "nr_extents");
_Static_assert(offsetof(struct xen_memory_reservation, extent_order) == 16, "extent_order");
_Static_assert(offsetof(struct xen_memory_reservation, mem_flags) == 20, "mem_flags");
_Static_assert(offsetof(struct xen_memory_reservation, domid) == 24, "domid");
_Static_assert(sizeof(struct xen_add_to_physmap) == 24, "add_to_physmap");
_Static_assert(offsetof(struct xen_add_to_physmap, size) == 2, "size");
_Static_assert(offsetof(struct xen_add_to_physmap, space) == 4, "space");
_Static_assert(offsetof(struct xen_add_to_physmap, idx) == 8, "idx");
_Static_assert(offsetof(struct xen_add_to_physmap, gpfn) == 16, "gpfn");
_Static_assert(sizeof(struct xen_remove_from_physmap) == 16, "remove_from_physmap");
_Static_assert(offsetof(struct xen_remove_from_physmap, gpfn) == 8, "rfp.gpfn");
_Static_assert(sizeof(struct xen_memory_map) == 16, "xen_memory_map");
_Static_assert(offsetof(struct xen_memory_map, buffer) == 8, "buffer");
_Static_assert(sizeof(struct xen_e820_entry) == 20, "e820 entry");
_Static_assert(offsetof(struct xen_e820_entry, type) == 16, "e820 type");

#endif
