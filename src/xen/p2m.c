/* The P2M as EPT tables in host-physical memory (include/xenemu/p2m.h).
 * Entry format: SDM Vol.3C §29.3.2, Tables 29-1 to 29-6. */
#include <string.h>

#include "xenemu/p2m.h"

enum { EPT_R = 1, EPT_W = 2, EPT_X = 4, EPT_RWX = 7, EPT_WB = 6 << 3, EPT_LARGE = 1 << 7 };
#define ADDR_MASK 0x000ffffffffff000ull
#define LEAF (EPT_RWX | EPT_WB)

static uint64_t *table(const xen_p2m_t *p, uint64_t hpa)
{
    return (uint64_t *)(void *)phys_ram_ptr(p->pm, hpa & ADDR_MASK, 4096);
}

uint64_t xen_p2m_alloc_page(xen_p2m_t *p)
{
    if (p->next >= p->end)
        return 0;
    uint64_t a = p->next;
    p->next += 4096;
    memset(phys_ram_ptr(p->pm, a, 4096), 0, 4096);
    return a;
}

int xen_p2m_init(xen_p2m_t *p, phys_mem_t *pm)
{
    memset(p, 0, sizeof *p);
    p->pm = pm;
    if (phys_add_ram(pm, P2M_PRIVATE_BASE, P2M_PRIVATE_SIZE) < 0)
        return -1;
    p->next = P2M_PRIVATE_BASE;
    p->end = P2M_PRIVATE_BASE + P2M_PRIVATE_SIZE;
    p->pml4 = xen_p2m_alloc_page(p);
    uint64_t ident = xen_p2m_alloc_page(p), hole = xen_p2m_alloc_page(p);
    uint64_t *pml4 = table(p, p->pml4), *id = table(p, ident), *ho = table(p, hole);
    /* 1 GiB pages: identity for the first 512 GiB, the hole for the rest. */
    for (uint64_t i = 0; i < 512; i++) {
        id[i] = (i << 30) | LEAF | EPT_LARGE;
        ho[i] = P2M_HOLE_HPA | LEAF | EPT_LARGE;
    }
    pml4[0] = ident | EPT_RWX;
    for (int i = 1; i < 512; i++)
        pml4[i] = hole | EPT_RWX;
    return 0;
}

uint64_t xen_p2m_eptp(const xen_p2m_t *p)
{
    return p->pml4 | 6 | 3 << 3;
}

/* Replace a large leaf at `e` (covering 2^shift bytes) by a table of 512
 * leaves of the next size down, keeping the mapping. */
static int split(xen_p2m_t *p, uint64_t *e, unsigned shift)
{
    uint64_t t = xen_p2m_alloc_page(p);
    if (!t)
        return -1;
    uint64_t *n = table(p, t);
    uint64_t base = *e & ADDR_MASK, flags = *e & ~ADDR_MASK & ~(uint64_t)EPT_LARGE;
    unsigned sub = shift - 9;
    for (uint64_t i = 0; i < 512; i++)
        n[i] = (base + (i << sub)) | flags | (sub > 12 ? EPT_LARGE : 0);
    *e = t | EPT_RWX;
    return 0;
}

/* The 4 KiB leaf entry for gfn, splitting on the way; NULL on failure. */
static uint64_t *leaf(xen_p2m_t *p, uint64_t gfn)
{
    uint64_t gpa = gfn << 12;
    if (gpa >= P2M_IDENTITY_SPAN)
        return NULL;
    uint64_t *t = table(p, p->pml4);
    for (unsigned shift = 39; shift > 12; shift -= 9) {
        uint64_t *e = &t[(gpa >> shift) & 511];
        if ((*e & EPT_LARGE) && split(p, e, shift) < 0)
            return NULL;
        t = table(p, *e);
    }
    return &t[(gpa >> 12) & 511];
}

int xen_p2m_map(xen_p2m_t *p, uint64_t gfn, uint64_t hpa)
{
    uint64_t *e = leaf(p, gfn);
    if (!e)
        return -1;
    *e = (hpa & ADDR_MASK) | LEAF;
    return 0;
}

int xen_p2m_reset(xen_p2m_t *p, uint64_t gfn)
{
    uint64_t gpa = gfn << 12;
    bool ram = gpa < P2M_IDENTITY_SPAN && phys_ram_ptr(p->pm, gpa, 4096);
    return xen_p2m_map(p, gfn, ram ? gpa : P2M_HOLE_HPA);
}

int xen_p2m_remove(xen_p2m_t *p, uint64_t gfn)
{
    return xen_p2m_map(p, gfn, P2M_HOLE_HPA);
}

uint64_t xen_p2m_lookup(const xen_p2m_t *p, uint64_t gpa)
{
    if (gpa >= (1ull << 48))
        return UINT64_MAX;
    uint64_t *t = table(p, p->pml4);
    for (unsigned shift = 39; shift >= 12; shift -= 9) {
        uint64_t e = t[(gpa >> shift) & 511];
        if (!(e & EPT_R))
            return UINT64_MAX;
        if (shift == 12 || (e & EPT_LARGE))
            return (e & ADDR_MASK & ~((1ull << shift) - 1)) | (gpa & ((1ull << shift) - 1));
        t = table(p, e);
    }
    return UINT64_MAX;
}

uint8_t *xen_p2m_ptr(const xen_p2m_t *p, uint64_t gpa, size_t len)
{
    if (len == 0 || gpa + len < gpa)
        return NULL;
    uint64_t hpa = xen_p2m_lookup(p, gpa);
    if (hpa == UINT64_MAX)
        return NULL;
    /* Every further page must follow on the host too. */
    for (uint64_t pg = (gpa & ~0xfffull) + 4096; pg < gpa + len; pg += 4096)
        if (xen_p2m_lookup(p, pg) != hpa + (pg - gpa))
            return NULL;
    return phys_ram_ptr(p->pm, hpa, len);
}
