/* Grant tables (public/grant_table.h): the domain's shared and status
 * frames, owned by the hypervisor model and mapped into the guest with
 * XENMEM_add_to_physmap(XENMAPSPACE_grant_table), and a host API through
 * which the built-in backends (domain 0) use grants. */
#ifndef XENEMU_GRANT_H
#define XENEMU_GRANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen-abi/grant_table.h>

struct xen_domain;
struct xen_vcpu;

/* Frames this model gives a domain (Xen: max_grant_frames). */
#define XEN_GNTTAB_MAX_FRAMES 32u
/* Status frames for v2: 2 bytes per v2 entry, 256 entries per frame. */
#define XEN_GNTTAB_MAX_STATUS_FRAMES 4u
#define XEN_GNTTAB_MAX_ACTIVE 64u

typedef struct xen_gnttab_active {
    uint32_t ref;
    uint16_t readers, writers;       /* 0/0 = slot free */
    uint64_t frame;
} xen_gnttab_active_t;

/* Per-domain state, embedded in domain_t; all-zero is a valid start. */
typedef struct xen_gnttab_state {
    uint32_t version;                /* 0 = not chosen yet (acts as 1) */
    uint32_t nr_frames;              /* 0 = initial (1 frame) */
    /* gfn + 1 where each frame is mapped; 0 = unmapped. */
    uint64_t frame_gfn[XEN_GNTTAB_MAX_FRAMES];
    uint64_t status_gfn[XEN_GNTTAB_MAX_STATUS_FRAMES];
    xen_gnttab_active_t active[XEN_GNTTAB_MAX_ACTIVE];
    uint8_t frames[XEN_GNTTAB_MAX_FRAMES][4096];
    uint8_t status[XEN_GNTTAB_MAX_STATUS_FRAMES][4096];
} xen_gnttab_state_t;

/* grant_table_op hypercall: RDI = cmd, RSI = arg array, RDX = count. */
long xen_hc_grant_table_op(struct xen_vcpu *v, const uint64_t args[6]);

/* For XENMEM_add_to_physmap(XENMAPSPACE_grant_table): idx is a shared
 * frame index, or XENMAPIDX_grant_table_status | index of a status frame
 * (v2 only). Grows the table to idx+1 frames as Xen does, records gpfn,
 * and returns in *page the 4 KiB host page the P2M must map at gpfn.
 * 0 or -XEN_EINVAL. */
int xen_gnttab_physmap_frame(struct xen_domain *d, uint64_t idx, uint64_t gpfn,
                             uint8_t **page);
/* Where shared frame idx (or XENMAPIDX_grant_table_status | i) is mapped
 * now, or XEN_GPA_NONE-style ~0: memory_op removes that old mapping before
 * placing the frame elsewhere, as Xen does. */
uint64_t xen_gnttab_frame_gfn(const struct xen_domain *d, uint64_t idx);
/* The grant table version in force (1 or 2). */
uint32_t xen_gnttab_version(const struct xen_domain *d);

/* Backend side: map the frame granted by ref to domain `mapper`, checking
 * the entry's type, domid and read-only flag, and setting GTF_reading /
 * GTF_writing while mapped. *page = host pointer to the guest page.
 * 0, or a GNTST_* error (negative). */
int xen_gnttab_map(struct xen_domain *d, grant_ref_t ref, uint16_t mapper,
                   bool write, uint8_t **page);
/* Ends a mapping made by xen_gnttab_map. 0 or GNTST_bad_handle. */
int xen_gnttab_unmap(struct xen_domain *d, grant_ref_t ref, bool write);
/* Copies len bytes at offset within the granted frame (map + unmap).
 * 0 or a GNTST_* error. */
int xen_gnttab_copy_from(struct xen_domain *d, grant_ref_t ref, uint16_t mapper,
                         uint32_t offset, void *buf, size_t len);
int xen_gnttab_copy_to(struct xen_domain *d, grant_ref_t ref, uint16_t mapper,
                       uint32_t offset, const void *buf, size_t len);

#endif
