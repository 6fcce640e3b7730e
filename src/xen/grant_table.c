/* Grant tables: GNTTABOP_* (public/grant_table.h) for an auto-translated
 * (PVH) guest, v1 and v2 entry layouts, and the backends' access to
 * granted frames. The shared and status frames belong to the hypervisor
 * model; the guest sees them where XENMEM_add_to_physmap puts them. */
#include <string.h>

#include <xen-abi/memory.h>
#include <xenemu/grant.h>
#include <xenemu/xen.h>

#define V1_PER_FRAME (XEN_PAGE_SIZE / sizeof(struct grant_entry_v1))
#define V2_PER_FRAME (XEN_PAGE_SIZE / sizeof(union grant_entry_v2))
#define STATUS_PER_FRAME (XEN_PAGE_SIZE / sizeof(grant_status_t))
/* Xen's GNTTABOP_CMD_MASK: bits above it carry continuation state. */
#define CMD_MASK ((1u << 12) - 1)
#define INVALID_GFN (~(uint64_t)0)

_Static_assert(XEN_GNTTAB_MAX_STATUS_FRAMES * STATUS_PER_FRAME >=
               XEN_GNTTAB_MAX_FRAMES * V2_PER_FRAME, "status frames cover v2");

uint32_t xen_gnttab_version(const xen_domain_t *d)
{
    return d->gnttab.version == 2 ? 2 : 1;
}

/* Xen starts a table with one frame (INITIAL_NR_GRANT_FRAMES). */
static uint32_t nr_frames(const xen_domain_t *d)
{
    return d->gnttab.nr_frames ? d->gnttab.nr_frames : 1;
}

static uint32_t nr_status_frames(const xen_domain_t *d)
{
    if (xen_gnttab_version(d) != 2)
        return 0;
    return (nr_frames(d) * (uint32_t)V2_PER_FRAME + STATUS_PER_FRAME - 1) / STATUS_PER_FRAME;
}

static uint32_t nr_entries(const xen_domain_t *d)
{
    return nr_frames(d) * (uint32_t)(xen_gnttab_version(d) == 2 ? V2_PER_FRAME : V1_PER_FRAME);
}

static bool grow(xen_domain_t *d, uint32_t want)
{
    if (want > XEN_GNTTAB_MAX_FRAMES)
        return false;
    if (want > nr_frames(d))
        d->gnttab.nr_frames = want;
    return true;
}

/* Entry ref's bytes in the shared frames (v1: 8, v2: 16). */
static uint8_t *entry(xen_domain_t *d, grant_ref_t ref)
{
    size_t sz = xen_gnttab_version(d) == 2 ? sizeof(union grant_entry_v2)
                                            : sizeof(struct grant_entry_v1);
    size_t off = (size_t)ref * sz;
    return &d->gnttab.frames[off / XEN_PAGE_SIZE][off % XEN_PAGE_SIZE];
}

/* v2 keeps GTF_reading/GTF_writing in the status array. */
static void status_update(xen_domain_t *d, grant_ref_t ref, uint16_t set, uint16_t clear)
{
    size_t off = (size_t)ref * sizeof(grant_status_t);
    uint8_t *p = &d->gnttab.status[off / XEN_PAGE_SIZE][off % XEN_PAGE_SIZE];
    uint16_t s;
    memcpy(&s, p, 2);
    s = (uint16_t)((s | set) & ~clear);
    memcpy(p, &s, 2);
}

int xen_gnttab_physmap_frame(xen_domain_t *d, uint64_t idx, uint64_t gpfn, uint8_t **page)
{
    if (!d || !page || gpfn >= INVALID_GFN - 1)
        return -XEN_EINVAL;
    if (idx & XENMAPIDX_grant_table_status) {
        uint64_t i = idx & ~(uint64_t)XENMAPIDX_grant_table_status;
        if (xen_gnttab_version(d) != 2 || i >= XEN_GNTTAB_MAX_STATUS_FRAMES)
            return -XEN_EINVAL;
        /* Xen grows the table until status frame i exists
         * (gnttab_get_status_frame_mfn). */
        uint64_t want = i * (STATUS_PER_FRAME / V2_PER_FRAME) + 1;   /* shared frames for i + 1 */
        if (i >= nr_status_frames(d) && !grow(d, (uint32_t)(want < XEN_GNTTAB_MAX_FRAMES ? want
                                                                                : XEN_GNTTAB_MAX_FRAMES)))
            return -XEN_EINVAL;
        if (i >= nr_status_frames(d))
            return -XEN_EINVAL;
        d->gnttab.status_gfn[i] = gpfn + 1;
        *page = d->gnttab.status[i];
        return 0;
    }
    if (idx >= XEN_GNTTAB_MAX_FRAMES || !grow(d, (uint32_t)idx + 1))
        return -XEN_EINVAL;
    d->gnttab.frame_gfn[idx] = gpfn + 1;
    *page = d->gnttab.frames[idx];
    return 0;
}

uint64_t xen_gnttab_frame_gfn(const xen_domain_t *d, uint64_t idx)
{
    uint64_t g = 0;
    if (idx & XENMAPIDX_grant_table_status) {
        uint64_t i = idx & ~(uint64_t)XENMAPIDX_grant_table_status;
        if (i < XEN_GNTTAB_MAX_STATUS_FRAMES)
            g = d->gnttab.status_gfn[i];
    } else if (idx < XEN_GNTTAB_MAX_FRAMES) {
        g = d->gnttab.frame_gfn[idx];
    }
    return g ? g - 1 : INVALID_GFN;
}

/* The domain a GNTTABOP names: 0 for us, else a GNTST_* status. */
static int16_t dom_status(const xen_domain_t *d, domid_t dom)
{
    if (dom == DOMID_SELF || dom == d->domid)
        return GNTST_okay;
    /* Domain 0 exists, but XSM refuses a domU acting on it. */
    return dom == 0 ? GNTST_permission_denied : GNTST_bad_domain;
}

static long op_query_size(xen_vcpu_t *v, uint64_t arg)
{
    xen_domain_t *d = v->dom;
    struct gnttab_query_size op;
    if (xen_copy_from_guest(v, &op, arg, sizeof(op)))
        return -XEN_EFAULT;
    op.status = dom_status(d, op.dom);
    if (op.status == GNTST_okay) {
        op.nr_frames = nr_frames(d);
        op.max_nr_frames = XEN_GNTTAB_MAX_FRAMES;
    }
    return xen_copy_to_guest(v, arg, &op, sizeof(op)) ? -XEN_EFAULT : 0;
}

static long op_setup_table(xen_vcpu_t *v, uint64_t arg)
{
    xen_domain_t *d = v->dom;
    struct gnttab_setup_table op;
    if (xen_copy_from_guest(v, &op, arg, sizeof(op)))
        return -XEN_EFAULT;
    if (op.nr_frames > XEN_GNTTAB_MAX_FRAMES) {
        op.status = GNTST_general_error;
    } else if ((op.status = dom_status(d, op.dom)) != GNTST_okay) {
        /* status set */
    } else if (!grow(d, op.nr_frames)) {
        op.status = GNTST_general_error;
    } else {
        /* Translated guest: the gfn where each frame is mapped, or
         * INVALID_GFN until XENMEM_add_to_physmap places it. */
        for (uint32_t i = 0; i < op.nr_frames; i++) {
            uint64_t g = d->gnttab.frame_gfn[i] ? d->gnttab.frame_gfn[i] - 1 : INVALID_GFN;
            uint64_t at = op.frame_list + (uint64_t)i * sizeof(uint64_t);
            if (at < op.frame_list || xen_copy_to_guest(v, at, &g, sizeof(g))) {
                op.status = GNTST_bad_virt_addr;
                break;
            }
        }
    }
    return xen_copy_to_guest(v, arg, &op, sizeof(op)) ? -XEN_EFAULT : 0;
}

static bool any_active(const xen_domain_t *d)
{
    for (uint32_t i = 0; i < XEN_GNTTAB_MAX_ACTIVE; i++)
        if (d->gnttab.active[i].readers || d->gnttab.active[i].writers)
            return true;
    return false;
}

/* Converts the reserved entries (0..7: console, xenstore) between layouts,
 * as Xen does on GNTTABOP_set_version. -EINVAL if v2 -> v1 cannot. */
static long convert_reserved(xen_domain_t *d, uint32_t to)
{
    struct grant_entry_v1 e1[GNTTAB_NR_RESERVED_ENTRIES];
    union grant_entry_v2 e2[GNTTAB_NR_RESERVED_ENTRIES];
    uint8_t *f = d->gnttab.frames[0];
    if (to == 2) {
        memcpy(e1, f, sizeof(e1));
        memset(e2, 0, sizeof(e2));
        for (int i = 0; i < GNTTAB_NR_RESERVED_ENTRIES; i++) {
            e2[i].full_page.hdr.flags = e1[i].flags;
            e2[i].full_page.hdr.domid = e1[i].domid;
            e2[i].full_page.frame = e1[i].frame;
        }
        memcpy(f, e2, sizeof(e2));
        memset(d->gnttab.status, 0, sizeof(d->gnttab.status));
        return 0;
    }
    memcpy(e2, f, sizeof(e2));
    for (int i = 0; i < GNTTAB_NR_RESERVED_ENTRIES; i++) {
        uint16_t fl = e2[i].hdr.flags;
        if ((fl & GTF_type_mask) == GTF_transitive || (fl & GTF_sub_page) ||
            e2[i].full_page.frame > UINT32_MAX)
            return -XEN_EINVAL;
    }
    memset(e1, 0, sizeof(e1));
    for (int i = 0; i < GNTTAB_NR_RESERVED_ENTRIES; i++) {
        e1[i].flags = e2[i].hdr.flags;
        e1[i].domid = e2[i].hdr.domid;
        e1[i].frame = (uint32_t)e2[i].full_page.frame;
    }
    memset(f, 0, sizeof(e2));
    memcpy(f, e1, sizeof(e1));
    /* Status frames go away with v2. */
    memset(d->gnttab.status_gfn, 0, sizeof(d->gnttab.status_gfn));
    return 0;
}

static long op_set_version(xen_vcpu_t *v, uint64_t arg)
{
    xen_domain_t *d = v->dom;
    struct gnttab_set_version op;
    if (xen_copy_from_guest(v, &op, arg, sizeof(op)))
        return -XEN_EFAULT;
    long rc = 0;
    if (op.version != 1 && op.version != 2)
        rc = -XEN_EINVAL;
    else if (op.version != xen_gnttab_version(d)) {
        if (any_active(d))
            rc = -XEN_EBUSY;       /* grants in use */
        else if (!(rc = convert_reserved(d, op.version)))
            d->gnttab.version = op.version;
    } else {
        d->gnttab.version = op.version;
    }
    /* Xen reports the version in force, on success and failure. */
    op.version = xen_gnttab_version(d);
    if (xen_copy_to_guest(v, arg, &op, sizeof(op)))
        return -XEN_EFAULT;
    return rc;
}

static long op_get_version(xen_vcpu_t *v, uint64_t arg)
{
    xen_domain_t *d = v->dom;
    struct gnttab_get_version op;
    if (xen_copy_from_guest(v, &op, arg, sizeof(op)))
        return -XEN_EFAULT;
    int16_t st = dom_status(d, op.dom);
    if (st == GNTST_permission_denied)
        return -XEN_EPERM;
    if (st != GNTST_okay)
        return -XEN_ESRCH;
    op.version = xen_gnttab_version(d);
    return xen_copy_to_guest(v, arg, &op, sizeof(op)) ? -XEN_EFAULT : 0;
}

static long op_get_status_frames(xen_vcpu_t *v, uint64_t arg)
{
    xen_domain_t *d = v->dom;
    struct gnttab_get_status_frames op;
    if (xen_copy_from_guest(v, &op, arg, sizeof(op)))
        return -XEN_EFAULT;
    if ((op.status = dom_status(d, op.dom)) != GNTST_okay) {
        /* status set */
    } else if (op.nr_frames > nr_status_frames(d)) {
        op.status = GNTST_general_error;   /* includes any v1 request */
    } else {
        for (uint32_t i = 0; i < op.nr_frames; i++) {
            uint64_t g = d->gnttab.status_gfn[i] ? d->gnttab.status_gfn[i] - 1 : INVALID_GFN;
            uint64_t at = op.frame_list + (uint64_t)i * sizeof(uint64_t);
            if (at < op.frame_list || xen_copy_to_guest(v, at, &g, sizeof(g))) {
                op.status = GNTST_bad_virt_addr;
                break;
            }
        }
    }
    return xen_copy_to_guest(v, arg, &op, sizeof(op)) ? -XEN_EFAULT : 0;
}

long xen_hc_grant_table_op(xen_vcpu_t *v, const uint64_t args[6])
{
    uint32_t cmd = (uint32_t)args[0];
    uint32_t count = (uint32_t)args[2];
    if (cmd & ~CMD_MASK)
        return -XEN_EINVAL;        /* continuation bits the op does not take */
    switch (cmd) {
    case GNTTABOP_query_size:
    case GNTTABOP_setup_table:
    case GNTTABOP_set_version:
    case GNTTABOP_get_status_frames:
    case GNTTABOP_get_version:
        if (count != 1)
            return -XEN_EINVAL;
        break;
    default:
        /* map/unmap/copy/transfer/dump/swap/cache_flush: not modelled. */
        return -XEN_ENOSYS;
    }
    switch (cmd) {
    case GNTTABOP_query_size:        return op_query_size(v, args[1]);
    case GNTTABOP_setup_table:       return op_setup_table(v, args[1]);
    case GNTTABOP_set_version:       return op_set_version(v, args[1]);
    case GNTTABOP_get_status_frames: return op_get_status_frames(v, args[1]);
    default:                         return op_get_version(v, args[1]);
    }
}

/* ---- backend side ---- */

static xen_gnttab_active_t *find_active(xen_domain_t *d, grant_ref_t ref, bool make)
{
    xen_gnttab_active_t *free_slot = NULL;
    for (uint32_t i = 0; i < XEN_GNTTAB_MAX_ACTIVE; i++) {
        xen_gnttab_active_t *a = &d->gnttab.active[i];
        bool used = a->readers || a->writers;
        if (used && a->ref == ref)
            return a;
        if (!used && !free_slot)
            free_slot = a;
    }
    if (!make || !free_slot)
        return NULL;
    memset(free_slot, 0, sizeof(*free_slot));
    free_slot->ref = ref;
    return free_slot;
}

/* Checks entry ref for mapper and sets GTF_reading (and GTF_writing);
 * *frame = the granted gfn. GNTST_okay or an error. */
static int pin_entry(xen_domain_t *d, grant_ref_t ref, uint16_t mapper, bool write,
                     uint64_t *frame)
{
    uint8_t *e = entry(d, ref);
    uint32_t set = GTF_reading | (write ? GTF_writing : 0);
    uint32_t combo;                /* flags | domid << 16, changed at once */
    memcpy(&combo, e, 4);
    uint16_t flags = (uint16_t)combo, domid = (uint16_t)(combo >> 16);
    if ((flags & GTF_type_mask) != GTF_permit_access || domid != mapper)
        return GNTST_general_error;
    if (write && (flags & GTF_readonly))
        return GNTST_general_error;
    if (xen_gnttab_version(d) == 2) {
        if (flags & GTF_sub_page)
            return GNTST_general_error;   /* sub-page grants cannot be mapped */
        memcpy(frame, e + offsetof(union grant_entry_v2, full_page.frame), 8);
        status_update(d, ref, (uint16_t)set, 0);
    } else {
        uint32_t f32;
        memcpy(&f32, e + offsetof(struct grant_entry_v1, frame), 4);
        *frame = f32;
        uint32_t old = combo;
        if (((uintptr_t)e & 3) == 0)
            __atomic_compare_exchange_n((uint32_t *)(void *)e, &old, combo | set, false,
                                        __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
        else {
            combo |= set;
            memcpy(e, &combo, 4);
        }
    }
    return GNTST_okay;
}

static void unpin_flags(xen_domain_t *d, grant_ref_t ref, uint16_t clear)
{
    if (xen_gnttab_version(d) == 2) {
        status_update(d, ref, 0, clear);
    } else {
        uint16_t fl;
        uint8_t *e = entry(d, ref);
        memcpy(&fl, e, 2);
        fl = (uint16_t)(fl & ~clear);
        memcpy(e, &fl, 2);
    }
}

int xen_gnttab_map(xen_domain_t *d, grant_ref_t ref, uint16_t mapper, bool write,
                   uint8_t **page)
{
    if (!d || !page)
        return GNTST_general_error;
    if (ref >= nr_entries(d))
        return GNTST_bad_gntref;
    xen_gnttab_active_t *a = find_active(d, ref, true);
    if (!a)
        return GNTST_no_space;
    uint64_t frame = a->frame;
    bool pinned = a->readers || a->writers;
    if (!pinned || (write && !a->writers)) {
        int st = pin_entry(d, ref, mapper, write, &frame);
        if (st != GNTST_okay)
            return st;
    }
    uint8_t *p = frame < (XEN_GPA_NONE >> 12) ? xen_gpa_ptr(d, frame << 12, XEN_PAGE_SIZE)
                                               : NULL;
    if (!p) {
        if (!pinned)
            unpin_flags(d, ref, GTF_reading | GTF_writing);
        else if (write && !a->writers)
            unpin_flags(d, ref, GTF_writing);
        return GNTST_bad_page;
    }
    a->frame = frame;
    if (write)
        a->writers++;
    else
        a->readers++;
    *page = p;
    return GNTST_okay;
}

int xen_gnttab_unmap(xen_domain_t *d, grant_ref_t ref, bool write)
{
    xen_gnttab_active_t *a = d ? find_active(d, ref, false) : NULL;
    if (!a || (write ? !a->writers : !a->readers))
        return GNTST_bad_handle;
    if (write) {
        if (--a->writers == 0)
            unpin_flags(d, ref, GTF_writing);
    } else {
        a->readers--;
    }
    if (!a->readers && !a->writers)
        unpin_flags(d, ref, GTF_reading | GTF_writing);
    return GNTST_okay;
}

/* Copies between buf and the granted frame: to the frame when write. */
static int copy_grant(xen_domain_t *d, grant_ref_t ref, uint16_t mapper, uint32_t offset,
                      uint8_t *buf, size_t len, bool write)
{
    if (offset > XEN_PAGE_SIZE || len > XEN_PAGE_SIZE - offset || (len && !buf))
        return GNTST_bad_copy_arg;
    uint8_t *p;
    int st = xen_gnttab_map(d, ref, mapper, write, &p);
    if (st != GNTST_okay)
        return st;
    if (len)
        memmove(write ? p + offset : buf, write ? buf : p + offset, len);
    return xen_gnttab_unmap(d, ref, write);
}

int xen_gnttab_copy_from(xen_domain_t *d, grant_ref_t ref, uint16_t mapper,
                         uint32_t offset, void *buf, size_t len)
{
    return copy_grant(d, ref, mapper, offset, buf, len, false);
}

int xen_gnttab_copy_to(xen_domain_t *d, grant_ref_t ref, uint16_t mapper,
                       uint32_t offset, const void *buf, size_t len)
{
    /* Only read through buf when copying to the frame. */
    return copy_grant(d, ref, mapper, offset, (uint8_t *)(uintptr_t)buf, len, true);
}
