/* vm_assist hypercall (21) (public/xen.h): RDI = cmd, RSI = type, both
 * unsigned int. An HVM/PVH domain may only toggle
 * VMASST_TYPE_runstate_update_flag; any other type is -EINVAL. */
#include <xenemu/xen.h>

#define HVM_VMASST_VALID (1ull << VMASST_TYPE_runstate_update_flag)

long xen_hc_vm_assist(xen_vcpu_t *v, const uint64_t args[6])
{
    xen_domain_t *d = v->dom;
    uint32_t cmd = (uint32_t)args[0];
    uint32_t type = (uint32_t)args[1];
    if (type >= 64 || !(HVM_VMASST_VALID & (1ull << type)))
        return -XEN_EINVAL;
    switch (cmd) {
    case VMASST_CMD_enable:
        d->vm_assist |= 1ull << type;
        return 0;
    case VMASST_CMD_disable:
        d->vm_assist &= ~(1ull << type);
        return 0;
    default:
        return -XEN_ENOSYS;
    }
}
