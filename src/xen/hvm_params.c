/* hvm_op hypercall (34): RDI = op, RSI = arg (public/hvm/hvm_op.h,
 * public/hvm/params.h). The permission and validation rules are those Xen
 * 4.17 applies when a domain acts on itself (xen/arch/x86/hvm/hvm.c). */
#include <string.h>

#include <xenemu/xen.h>

/* Flag Xen keeps in the stored VM86_TSS_SIZED value; hidden from reads. */
#define VM86_TSS_UPDATED (1ull << 63)
#define TSS32_SIZE 104u
#define VM86_TSS_MAX (TSS32_SIZE + 0x100 / 8 + 0x10000 / 8 + 1)

static void decode_callback(xen_domain_t *d, uint64_t via)
{
    unsigned type = (unsigned)(via >> HVM_PARAM_CALLBACK_IRQ_TYPE_SHIFT);
    d->callback_type = XEN_CALLBACK_NONE;
    d->callback_vector = 0;
    d->callback_gsi = 0;
    switch (type) {
    case HVM_PARAM_CALLBACK_TYPE_GSI:
        /* 0 means "no callback"; Linux sets 1 after a per-vCPU vector. */
        if ((uint8_t)via != 0) {
            d->callback_type = XEN_CALLBACK_GSI;
            d->callback_gsi = (uint8_t)via;
        }
        break;
    case HVM_PARAM_CALLBACK_TYPE_PCI_INTX:
        d->callback_type = XEN_CALLBACK_PCI_INTX;
        break;
    case HVM_PARAM_CALLBACK_TYPE_VECTOR:
        d->callback_type = XEN_CALLBACK_VECTOR;
        d->callback_vector = (uint8_t)via;
        break;
    default:
        break;  /* unknown types leave the callback off, as Xen does */
    }
}

int xen_hvm_param_set_toolstack(xen_domain_t *d, uint32_t index, uint64_t value)
{
    if (index >= HVM_NR_PARAMS)
        return -XEN_EINVAL;
    if (index == HVM_PARAM_CALLBACK_IRQ)
        decode_callback(d, value);
    d->hvm_param[index] = value;
    return 0;
}

uint64_t xen_hvm_param_get(const xen_domain_t *d, uint32_t index)
{
    return index < HVM_NR_PARAMS ? d->hvm_param[index] : 0;
}

/* rcu_lock_domain_by_any_id for a model with one guest domain. */
static bool is_self(const xen_domain_t *d, domid_t domid)
{
    return domid == DOMID_SELF || domid == d->domid;
}

static bool guest_may_set(uint32_t index)
{
    switch (index) {
    case HVM_PARAM_CALLBACK_IRQ:
    case HVM_PARAM_VM86_TSS:
    case HVM_PARAM_VM86_TSS_SIZED:
    case HVM_PARAM_ACPI_IOPORTS_LOCATION:
    case HVM_PARAM_VM_GENERATION_ID_ADDR:
    case HVM_PARAM_STORE_EVTCHN:
    case HVM_PARAM_CONSOLE_EVTCHN:
    case HVM_PARAM_X87_FIP_WIDTH:
        return true;
    default:
        return false;
    }
}

static bool guest_may_get(uint32_t index)
{
    switch (index) {
    case HVM_PARAM_CALLBACK_IRQ:
    case HVM_PARAM_VM86_TSS:
    case HVM_PARAM_VM86_TSS_SIZED:
    case HVM_PARAM_ACPI_IOPORTS_LOCATION:
    case HVM_PARAM_VM_GENERATION_ID_ADDR:
    case HVM_PARAM_STORE_PFN:
    case HVM_PARAM_STORE_EVTCHN:
    case HVM_PARAM_CONSOLE_PFN:
    case HVM_PARAM_CONSOLE_EVTCHN:
    case HVM_PARAM_ALTP2M:
    case HVM_PARAM_X87_FIP_WIDTH:
        return true;
    default:
        return false;
    }
}

static long guest_set_param(xen_domain_t *d, uint32_t index, uint64_t value)
{
    if (!guest_may_set(index))
        return -XEN_EPERM;
    switch (index) {
    case HVM_PARAM_CALLBACK_IRQ:
        decode_callback(d, value);
        break;
    case HVM_PARAM_VM86_TSS:
        /* Real Xen also crashes a domain that passes high bits here. */
        if (value != (uint32_t)value)
            return -XEN_EINVAL;
        if (value)
            value |= ((uint64_t)128 << 32) | VM86_TSS_UPDATED;
        index = HVM_PARAM_VM86_TSS_SIZED;
        break;
    case HVM_PARAM_VM86_TSS_SIZED:
        if ((value >> 32) < TSS32_SIZE)
            return -XEN_EINVAL;
        if ((value >> 32) > VM86_TSS_MAX)
            value = (uint32_t)value | ((uint64_t)VM86_TSS_MAX << 32);
        value |= VM86_TSS_UPDATED;
        break;
    case HVM_PARAM_X87_FIP_WIDTH:
        return -XEN_EPERM;  /* toolstack only, even though listed above */
    case HVM_PARAM_ACPI_IOPORTS_LOCATION:
        return -XEN_ENODEV; /* PVH has no emulated ACPI PM timer */
    default:
        break;
    }
    d->hvm_param[index] = value;
    return 0;
}

static uint64_t guest_get_param(const xen_domain_t *d, uint32_t index)
{
    switch (index) {
    case HVM_PARAM_VM86_TSS:
        return (uint32_t)d->hvm_param[HVM_PARAM_VM86_TSS_SIZED];
    case HVM_PARAM_VM86_TSS_SIZED:
        return d->hvm_param[HVM_PARAM_VM86_TSS_SIZED] & ~VM86_TSS_UPDATED;
    default:
        return d->hvm_param[index];
    }
}

static long hvmop_param(xen_vcpu_t *v, uint64_t gva, bool set)
{
    struct xen_hvm_param a;
    if (xen_copy_from_guest(v, &a, gva, sizeof(a)))
        return -XEN_EFAULT;
    if (a.index >= HVM_NR_PARAMS)
        return -XEN_EINVAL;
    if (!is_self(v->dom, a.domid))
        return -XEN_ESRCH;
    if (set)
        return guest_set_param(v->dom, a.index, a.value);
    if (!guest_may_get(a.index))
        return -XEN_EPERM;
    a.value = guest_get_param(v->dom, a.index);
    return xen_copy_to_guest(v, gva, &a, sizeof(a));
}

static long hvmop_set_evtchn_upcall_vector(xen_vcpu_t *v, uint64_t gva)
{
    struct xen_hvm_evtchn_upcall_vector op;
    if (xen_copy_from_guest(v, &op, gva, sizeof(op)))
        return -XEN_EFAULT;
    if (op.vector < 0x10)
        return -XEN_EINVAL;
    xen_vcpu_t *t = xen_domain_vcpu(v->dom, op.vcpu);
    if (!t)
        return -XEN_ENOENT;
    t->upcall_vector = op.vector;
    /* Xen asserts the vector at once (hvm_assert_evtchn_irq), so an
     * upcall already pending, e.g. from register_vcpu_info, is delivered. */
    if (v->dom->evtchn.upcall)
        v->dom->evtchn.upcall(v->dom->evtchn.upcall_ctx, t);
    return 0;
}

static long hvmop_pagetable_dying(xen_vcpu_t *v, uint64_t gva)
{
    struct xen_hvm_pagetable_dying a;
    if (xen_copy_from_guest(v, &a, gva, sizeof(a)))
        return -XEN_EFAULT;
    if (!is_self(v->dom, a.domid))
        return -XEN_ESRCH;
    /* Only meaningful under shadow paging; with HAP (EPT) Xen says -EINVAL,
     * and Linux then stops sending it. */
    return -XEN_EINVAL;
}

static long hvmop_get_time(xen_vcpu_t *v, uint64_t gva)
{
    struct xen_hvm_get_time t = {
        .now = xen_system_time_ns(v->dom, xen_vcpu_tsc(v)),
    };
    return xen_copy_to_guest(v, gva, &t, sizeof(t));
}

long xen_hc_hvm_op(xen_vcpu_t *v, const uint64_t args[6])
{
    uint64_t op = args[0], arg = args[1];
    switch (op) {
    case HVMOP_set_param:
        return hvmop_param(v, arg, true);
    case HVMOP_get_param:
        return hvmop_param(v, arg, false);
    case HVMOP_set_evtchn_upcall_vector:
        return hvmop_set_evtchn_upcall_vector(v, arg);
    case HVMOP_pagetable_dying:
        return hvmop_pagetable_dying(v, arg);
    case HVMOP_get_time:
        return hvmop_get_time(v, arg);
    default:
        return -XEN_ENOSYS;
    }
}
