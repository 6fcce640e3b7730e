/* memory_op hypercall (12) for a PVH domU (public/memory.h). RDI = cmd
 * (sub-op in bits 0-5, continuation extent above), RSI = arg (a GVA). */
#include <string.h>

#include <xenemu/xen.h>

/* A domU may name only itself; domain 0 exists but is not its to touch. */
#define GFN_LIMIT (1ull << 40)      /* 52-bit guest-physical space */
#define DOMU_MAX_ORDER 9            /* largest extent a domU may ask for */

static int resolve_domid(const xen_domain_t *d, domid_t id)
{
    if (id == DOMID_SELF || id == d->domid)
        return 0;
    return id == 0 ? -XEN_EPERM : -XEN_ESRCH;
}

/* Remembers a populated extent for tests and inspection. */
static void record_extent(xen_domain_t *d, uint64_t gfn, uint32_t order)
{
    for (uint32_t i = 0; i < d->nr_populated; i++)
        if (d->populated[i].gfn == gfn && d->populated[i].order == order)
            return;
    if (d->nr_populated < sizeof(d->populated) / sizeof(d->populated[0])) {
        d->populated[d->nr_populated].gfn = gfn;
        d->populated[d->nr_populated].order = order;
        d->nr_populated++;
    }
}

/* Forgets recorded extents inside [gfn, gfn + 2^order). */
static void forget_extents(xen_domain_t *d, uint64_t gfn, uint32_t order)
{
    uint64_t end = gfn + (1ull << order);
    uint32_t j = 0;
    for (uint32_t i = 0; i < d->nr_populated; i++) {
        uint64_t g = d->populated[i].gfn;
        uint64_t e = g + (1ull << d->populated[i].order);
        if (g >= gfn && e <= end)
            continue;
        d->populated[j++] = d->populated[i];
    }
    d->nr_populated = j;
}

static bool gfn_recorded(const xen_domain_t *d, uint64_t gfn)
{
    for (uint32_t i = 0; i < d->nr_populated; i++) {
        uint64_t g = d->populated[i].gfn;
        if (gfn >= g && gfn < g + (1ull << d->populated[i].order))
            return true;
    }
    return false;
}

static bool pages_available(const xen_domain_t *d, uint64_t n)
{
    /* max_pages 0: the builder set no limit. */
    return d->max_pages == 0 || (d->tot_pages <= d->max_pages &&
                                 n <= d->max_pages - d->tot_pages);
}

/* increase/decrease_reservation and populate_physmap. Returns the number
 * of extents done (counting from 0, as Xen's nr_done), or -errno. */
static long reservation_op(xen_vcpu_t *v, unsigned op, uint64_t start, uint64_t arg)
{
    xen_domain_t *d = v->dom;
    struct xen_memory_reservation r;
    if (xen_copy_from_guest(v, &r, arg, sizeof(r)))
        return -XEN_EFAULT;
    /* Xen returns the start extent (nothing done) for these. */
    if (r.nr_extents > (UINT64_MAX >> XENMEMOP_EXTENT_SHIFT) || start >= r.nr_extents)
        return (long)start;
    int rc = resolve_domid(d, r.domid);
    if (rc)
        return rc;
    if (r.extent_order > DOMU_MAX_ORDER)
        return (long)start;
    uint64_t pages = 1ull << r.extent_order;
    uint64_t i;
    for (i = start; i < r.nr_extents; i++) {
        if (op == XENMEM_increase_reservation) {
            /* Translated guest: pages join the domain, unmapped, and no
             * frame number is written back (public/memory.h). */
            if (!pages_available(d, pages))
                break;
            d->tot_pages += pages;
            continue;
        }
        uint64_t gfn;
        if (r.extent_start + i * 8 < r.extent_start ||
            xen_copy_from_guest(v, &gfn, r.extent_start + i * 8, 8))
            break;
        if (gfn >= GFN_LIMIT || (gfn & (pages - 1)))
            break;
        if (op == XENMEM_populate_physmap) {
            if (!pages_available(d, pages))
                break;
            if (d->p2m_populate && d->p2m_populate(d, gfn, r.extent_order))
                break;
            record_extent(d, gfn, r.extent_order);
            d->tot_pages += pages;
        } else {
            /* decrease: every page must be there. */
            if (d->p2m_remove) {
                if (d->p2m_remove(d, gfn, r.extent_order))
                    break;
            } else if (!gfn_recorded(d, gfn) &&
                       !xen_gpa_ptr(d, gfn * XEN_PAGE_SIZE, pages * XEN_PAGE_SIZE)) {
                break;
            }
            forget_extents(d, gfn, r.extent_order);
            d->tot_pages -= pages < d->tot_pages ? pages : d->tot_pages;
        }
    }
    return (long)i;
}

static long memory_map(xen_vcpu_t *v, uint64_t arg)
{
    xen_domain_t *d = v->dom;
    struct xen_memory_map m;
    if (xen_copy_from_guest(v, &m, arg, sizeof(m)))
        return -XEN_EFAULT;
    if (d->nr_e820 == 0)
        return -XEN_ENOSYS;          /* Xen: no map for this domain */
    uint32_t n = d->nr_e820 < 128 ? d->nr_e820 : 128;
    if (m.nr_entries < n)
        n = m.nr_entries;
    if (xen_copy_to_guest(v, m.buffer, d->e820, (size_t)n * sizeof(d->e820[0])))
        return -XEN_EFAULT;
    m.nr_entries = n;
    if (xen_copy_to_guest(v, arg, &m, sizeof(m)))
        return -XEN_EFAULT;
    return 0;
}

static long add_to_physmap(xen_vcpu_t *v, uint64_t start, uint64_t arg)
{
    xen_domain_t *d = v->dom;
    struct xen_add_to_physmap x;
    if (xen_copy_from_guest(v, &x, arg, sizeof(x)))
        return -XEN_EFAULT;
    if (x.space == XENMAPSPACE_gmfn_foreign)
        return -XEN_EINVAL;
    int rc = resolve_domid(d, x.domid);
    if (rc)
        return rc;
    if (start)
        return -XEN_EINVAL;          /* only gmfn_range continues */
    if (x.gpfn >= GFN_LIMIT)
        return -XEN_EINVAL;
    switch (x.space) {
    case XENMAPSPACE_shared_info:
        if (x.idx != 0)
            return -XEN_EINVAL;
        if (d->p2m_map_page && (rc = d->p2m_map_page(d, x.gpfn, NULL)))
            return rc;
        /* Fills every vcpu_info time record at once (contract R7). */
        return xen_domain_set_shared_info(d, x.gpfn * XEN_PAGE_SIZE, xen_vcpu_tsc(v));
    case XENMAPSPACE_grant_table: {
        uint8_t *page = NULL;
        if (!d->gnttab_physmap)
            return -XEN_EINVAL;
        if ((rc = d->gnttab_physmap(d, x.idx, x.gpfn, &page)))
            return rc;
        if (d->p2m_map_page && page)
            return d->p2m_map_page(d, x.gpfn, page);
        return 0;
    }
    default:
        /* gmfn / gmfn_range moves and dev_mmio are not modelled. */
        return -XEN_ENOSYS;
    }
}

static long remove_from_physmap(xen_vcpu_t *v, uint64_t arg)
{
    xen_domain_t *d = v->dom;
    struct xen_remove_from_physmap x;
    if (xen_copy_from_guest(v, &x, arg, sizeof(x)))
        return -XEN_EFAULT;
    int rc = resolve_domid(d, x.domid);
    if (rc)
        return rc;
    if (x.gpfn >= GFN_LIMIT)
        return -XEN_EINVAL;
    if (d->p2m_remove && (rc = d->p2m_remove(d, x.gpfn, 0)))
        return rc;
    forget_extents(d, x.gpfn, 0);
    if (d->shared_info_gpa == x.gpfn * XEN_PAGE_SIZE)
        d->shared_info_gpa = XEN_GPA_NONE;
    return 0;
}

/* Frames after the highest RAM byte in the E820 (Xen's max_page). */
static uint64_t ram_end_frame(const xen_domain_t *d)
{
    uint64_t end = 0;
    for (uint32_t i = 0; i < d->nr_e820 && i < 128; i++) {
        const struct xen_e820_entry *e = &d->e820[i];
        if (e->type == 1 && e->addr + e->size > end && e->addr + e->size >= e->addr)
            end = e->addr + e->size;
    }
    return (end + XEN_PAGE_SIZE - 1) / XEN_PAGE_SIZE;
}

static long domid_query(xen_vcpu_t *v, unsigned op, uint64_t arg)
{
    xen_domain_t *d = v->dom;
    domid_t id;
    if (xen_copy_from_guest(v, &id, arg, sizeof(id)))
        return -XEN_EFAULT;
    int rc = resolve_domid(d, id);
    if (rc)
        return rc;
    if (op == XENMEM_current_reservation)
        return (long)d->tot_pages;
    if (op == XENMEM_maximum_reservation)
        return (long)d->max_pages;
    /* maximum_gpfn: the highest frame the domain has. */
    uint64_t top = ram_end_frame(d);
    for (uint32_t i = 0; i < d->nr_populated; i++) {
        uint64_t e = d->populated[i].gfn + (1ull << d->populated[i].order);
        if (e > top)
            top = e;
    }
    if (d->shared_info_gpa != XEN_GPA_NONE && d->shared_info_gpa / XEN_PAGE_SIZE + 1 > top)
        top = d->shared_info_gpa / XEN_PAGE_SIZE + 1;
    return top ? (long)(top - 1) : 0;
}

long xen_hc_memory_op(xen_vcpu_t *v, const uint64_t args[6])
{
    unsigned op = (unsigned)(args[0] & XENMEMOP_CMD_MASK);
    uint64_t start = args[0] >> XENMEMOP_EXTENT_SHIFT;
    uint64_t arg = args[1];

    switch (op) {
    case XENMEM_increase_reservation:
    case XENMEM_decrease_reservation:
    case XENMEM_populate_physmap:
        return reservation_op(v, op, start, arg);
    case XENMEM_maximum_ram_page:
        if (start)
            return -XEN_EINVAL;
        return (long)ram_end_frame(v->dom);
    case XENMEM_current_reservation:
    case XENMEM_maximum_reservation:
    case XENMEM_maximum_gpfn:
        if (start)
            return -XEN_EINVAL;
        return domid_query(v, op, arg);
    case XENMEM_add_to_physmap:
        return add_to_physmap(v, start, arg);
    case XENMEM_remove_from_physmap:
        if (start)
            return -XEN_EINVAL;
        return remove_from_physmap(v, arg);
    case XENMEM_memory_map:
        if (start)
            return -XEN_EINVAL;
        return memory_map(v, arg);
    case XENMEM_machine_memory_map:
    case XENMEM_set_memory_map:
        return -XEN_EPERM;           /* control-domain only */
    case XENMEM_get_sharing_freed_pages:
    case XENMEM_get_sharing_shared_pages:
        if (start)
            return -XEN_EINVAL;
        return 0;                    /* no memory sharing */
    case XENMEM_get_vnumainfo:
        return -XEN_EOPNOTSUPP;      /* the domain has no vNUMA layout */
    default:
        return -XEN_ENOSYS;
    }
}
