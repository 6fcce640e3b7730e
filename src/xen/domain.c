/* The domain and its vCPUs as the Xen model keeps them; guest memory
 * access through the abstract accessor. */
#include <string.h>

#include <xen-abi/features.h>
#include <xenemu/xen.h>

/* XENVER_get_features submap 0 for a PVH/HVM domU under HAP, as Xen's
 * do_xen_version builds it (common/kernel.c): translated paging,
 * HVM callback vector and safe pvclock, vNUMA memory_op, not direct-mapped.
 * No hvm_pirqs (a PVH domU has none), no dom0. */
static uint32_t pvh_domu_features(void)
{
    return (1u << XENFEAT_writable_page_tables) |
           (1u << XENFEAT_auto_translated_physmap) |
           (1u << XENFEAT_hvm_callback_vector) |
           (1u << XENFEAT_hvm_safe_pvclock) |
           (1u << XENFEAT_memory_op_vnode_supported) |
           (1u << XENFEAT_not_direct_mapped);
}

int xen_domain_init(xen_domain_t *d, const xen_domain_config_t *cfg)
{
    if (!d || !cfg || cfg->nr_vcpus == 0 || cfg->nr_vcpus > XEN_MAX_VCPUS ||
        cfg->tsc_hz == 0 || cfg->domid >= DOMID_FIRST_RESERVED || !cfg->mem)
        return -XEN_EINVAL;
    memset(d, 0, sizeof(*d));
    d->domid = cfg->domid;
    d->nr_vcpus = cfg->nr_vcpus;
    d->mem = cfg->mem;
    d->mem_ctx = cfg->mem_ctx;
    d->shared_info_gpa = XEN_GPA_NONE;
    d->features = pvh_domu_features();
    d->tsc_hz = cfg->tsc_hz;
    xen_time_scale(cfg->tsc_hz, &d->tsc_to_system_mul, &d->tsc_shift);
    /* One virtual TSC for every vCPU, derived from retired instructions. */
    d->tsc_stable = true;
    d->wallclock_base_ns = cfg->wallclock_base_ns;
    for (uint32_t i = 0; i < cfg->nr_vcpus; i++) {
        xen_vcpu_t *v = &d->vcpu[i];
        v->dom = d;
        v->id = i;
        v->online = (i == 0);
        v->vcpu_info_gpa = XEN_GPA_NONE;
    }
    return 0;
}

xen_vcpu_t *xen_domain_vcpu(xen_domain_t *d, uint32_t id)
{
    if (!d || id >= d->nr_vcpus)
        return NULL;
    return &d->vcpu[id];
}

static void *vcpu_mem_ctx(const xen_vcpu_t *v)
{
    return v->mem_ctx ? v->mem_ctx : v->dom->mem_ctx;
}

int xen_copy_from_guest(xen_vcpu_t *v, void *dst, uint64_t gva, size_t len)
{
    if (len == 0)
        return 0;
    const struct xen_guest_mem_ops *m = v->dom->mem;
    if (!m || !m->read || gva + len < gva)
        return -XEN_EFAULT;
    return m->read(vcpu_mem_ctx(v), gva, dst, len) ? -XEN_EFAULT : 0;
}

int xen_copy_to_guest(xen_vcpu_t *v, uint64_t gva, const void *src, size_t len)
{
    if (len == 0)
        return 0;
    const struct xen_guest_mem_ops *m = v->dom->mem;
    if (!m || !m->write || gva + len < gva)
        return -XEN_EFAULT;
    return m->write(vcpu_mem_ctx(v), gva, src, len) ? -XEN_EFAULT : 0;
}

uint8_t *xen_gpa_ptr(xen_domain_t *d, uint64_t gpa, size_t len)
{
    if (!d->mem || !d->mem->gpa_ptr || gpa == XEN_GPA_NONE || gpa + len < gpa)
        return NULL;
    return d->mem->gpa_ptr(d->mem_ctx, gpa, len);
}

uint64_t xen_vcpu_tsc(xen_vcpu_t *v)
{
    return v->read_tsc ? v->read_tsc(v->tsc_ctx) : v->tsc;
}

int xen_domain_set_shared_info(xen_domain_t *d, uint64_t gpa, uint64_t tsc)
{
    if (gpa & (XEN_PAGE_SIZE - 1))
        return -XEN_EINVAL;
    if (!xen_gpa_ptr(d, gpa, XEN_PAGE_SIZE))
        return -XEN_EFAULT;
    d->shared_info_gpa = gpa;
    /* Xen fills every vcpu_info time record when the page appears (R7). */
    for (uint32_t i = 0; i < d->nr_vcpus; i++)
        xen_time_update_vcpu(&d->vcpu[i], tsc);
    return xen_time_update_wallclock(d);
}
