/* Hypercall dispatch: one handler per hypercall number (public/xen.h). */
#include <xenemu/xen.h>

/* Hooks for subsystems not written yet. Each answers -ENOSYS, as Xen does
 * for an operation it lacks; whoever implements one points the table entry
 * at the real handler and deletes the hook. */
static long xen_hc_physdev_op(xen_vcpu_t *v, const uint64_t a[6])
{ (void)v; (void)a; return -XEN_ENOSYS; }         /* hook: physdev_op */

struct hypercall_entry {
    const char *name;
    xen_hypercall_fn fn;
};

/* Numbers with no entry (PV-only calls among them: an HVM/PVH guest gets
 * -ENOSYS for those from Xen too) are unknown. */
/* platform_op belongs to the hardware domain: Xen's do_platform_op
 * refuses every other domain before reading its argument. */
static long hc_platform_op(xen_vcpu_t *v, const uint64_t args[6])
{
    (void)v, (void)args;
    return -XEN_EPERM;
}

static const struct hypercall_entry table[XEN_NR_HYPERCALLS] = {
    [__HYPERVISOR_platform_op]      = { "platform_op", hc_platform_op },
    [__HYPERVISOR_memory_op]        = { "memory_op", xen_hc_memory_op },
    [__HYPERVISOR_set_timer_op]     = { "set_timer_op", xen_hc_set_timer_op },
    [__HYPERVISOR_xen_version]      = { "xen_version", xen_hc_xen_version },
    [__HYPERVISOR_console_io]       = { "console_io", xen_hc_console_io },
    [__HYPERVISOR_grant_table_op]   = { "grant_table_op", xen_hc_grant_table_op },
    [__HYPERVISOR_vm_assist]        = { "vm_assist", xen_hc_vm_assist },
    [__HYPERVISOR_vcpu_op]          = { "vcpu_op", xen_hc_vcpu_op },
    [__HYPERVISOR_sched_op]         = { "sched_op", xen_hc_sched_op },
    [__HYPERVISOR_event_channel_op] = { "event_channel_op", xen_hc_event_channel_op },
    [__HYPERVISOR_physdev_op]       = { "physdev_op", xen_hc_physdev_op },
    [__HYPERVISOR_hvm_op]           = { "hvm_op", xen_hc_hvm_op },
};

xen_hypercall_fn xen_hypercall_handler(uint64_t nr)
{
    return nr < XEN_NR_HYPERCALLS ? table[nr].fn : NULL;
}

const char *xen_hypercall_name(uint64_t nr)
{
    return nr < XEN_NR_HYPERCALLS ? table[nr].name : NULL;
}

long xen_hypercall(xen_vcpu_t *v, uint64_t nr, const uint64_t args[6])
{
    xen_hypercall_fn fn = xen_hypercall_handler(nr);
    if (!v || !v->dom || !args || !fn)
        return -XEN_ENOSYS;
    return fn(v, args);
}
