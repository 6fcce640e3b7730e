/* The P2M of a PVH domain as EPT (SDM Vol.3C §29.3): tables that live in
 * the emulated machine's host-physical memory, so the emulated CPU walks
 * them as hardware does. Guest-physical space maps to the same host-physical
 * addresses (RAM where the machine has RAM, nothing elsewhere) except the
 * frames the hypervisor places in it (shared_info, grant frames), which
 * point into a private host-physical area the guest cannot otherwise reach. */
#ifndef XENEMU_P2M_H
#define XENEMU_P2M_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xenemu/phys.h"

/* Guest-physical space mapped 1:1 (the first PML4 entry: 512 GiB). */
#define P2M_IDENTITY_SPAN (1ull << 39)
/* 1 GiB of host-physical space never backed: removed frames and all
 * guest-physical addresses above the identity span land here and read as
 * all ones, as Xen's null handler answers a PVH domU. Guest RAM must stay
 * below it. */
#define P2M_HOLE_HPA 0x7fc0000000ull
/* The hypervisor's private host-physical pages (VMCS, EPT tables, bitmaps,
 * shared_info, grant frames): above the identity span. */
#define P2M_PRIVATE_BASE 0x8000000000ull
#define P2M_PRIVATE_SIZE (64ull << 20)

typedef struct xen_p2m {
    phys_mem_t *pm;
    uint64_t pml4;               /* host-physical address of the PML4 */
    uint64_t next, end;          /* private page allocator */
} xen_p2m_t;

/* Adds the private area to pm and builds the identity map. 0 or -1. */
int xen_p2m_init(xen_p2m_t *p, phys_mem_t *pm);
/* A zeroed private page (its host-physical address), or 0 when none is left. */
uint64_t xen_p2m_alloc_page(xen_p2m_t *p);
/* EPTP for the VMCS: write-back walks of length 4 (SDM Vol.3C §25.6.11). */
uint64_t xen_p2m_eptp(const xen_p2m_t *p);
/* gfn -> host page hpa (4 KiB, read/write/execute), splitting large pages.
 * 0 or -1 (gfn beyond the identity span, no page left for a table). */
int xen_p2m_map(xen_p2m_t *p, uint64_t gfn, uint64_t hpa);
/* gfn back to its identity frame, or to the hole when it has no RAM. */
int xen_p2m_reset(xen_p2m_t *p, uint64_t gfn);
/* gfn to the hole: reads all ones, writes dropped. */
int xen_p2m_remove(xen_p2m_t *p, uint64_t gfn);
/* The host-physical address gpa maps to, or UINT64_MAX. */
uint64_t xen_p2m_lookup(const xen_p2m_t *p, uint64_t gpa);
/* Host pointer for [gpa, gpa+len) when every byte is RAM and contiguous
 * on the host, else NULL. */
uint8_t *xen_p2m_ptr(const xen_p2m_t *p, uint64_t gpa, size_t len);

#endif
