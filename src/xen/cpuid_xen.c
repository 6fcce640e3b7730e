/* Xen's CPUID leaves 0x40000000-0x40000005 as an HVM/PVH guest sees them
 * (public/arch-x86/cpuid.h; Xen's cpuid_hypervisor_leaves). No Viridian,
 * so the base is 0x40000000 and 0x40000100.. read as zero. */
#include <string.h>

#include <xen-abi/arch-x86/cpuid.h>
#include <xenemu/xen.h>

bool xen_cpuid(const xen_vcpu_t *v, uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
    if (leaf < XEN_CPUID_FIRST_LEAF || leaf > XEN_CPUID_FIRST_LEAF + 0x1ff)
        return false;
    memset(out, 0, 4 * sizeof(uint32_t));
    uint32_t idx = leaf - XEN_CPUID_FIRST_LEAF;
    if (idx > XEN_CPUID_MAX_NUM_LEAVES)
        return true;

    const xen_domain_t *d = v->dom;
    switch (idx) {
    case 0:
        out[0] = XEN_CPUID_FIRST_LEAF + XEN_CPUID_MAX_NUM_LEAVES;
        out[1] = XEN_CPUID_SIGNATURE_EBX;
        out[2] = XEN_CPUID_SIGNATURE_ECX;
        out[3] = XEN_CPUID_SIGNATURE_EDX;
        break;
    case 1:
        out[0] = ((uint32_t)XENEMU_XEN_MAJOR << 16) | XENEMU_XEN_MINOR;
        break;
    case 2:
        out[0] = 1;                  /* one hypercall page */
        out[1] = XEN_HYPERCALL_MSR;  /* MSR that installs it */
        break;                       /* ECX features: PV only */
    case 3:
        switch (subleaf) {
        case 0:
            /* EAX bit0 vtsc (RDTSC emulated by Xen: no), bit1 TSC safe
             * (invariant: yes), bit2 RDTSCP; EBX tsc_mode 0 (default);
             * ECX guest TSC kHz; EDX incarnation. */
            out[0] = (1u << 1) | (d->cpuid_rdtscp ? 1u << 2 : 0);
            out[2] = (uint32_t)(d->tsc_hz / 1000);
            break;
        case 1:
            /* TSC offset 0; the pvclock scale. */
            out[2] = d->tsc_to_system_mul;
            out[3] = (uint32_t)(int32_t)d->tsc_shift;
            break;
        case 2:
            out[0] = (uint32_t)(d->tsc_hz / 1000);  /* "physical" kHz */
            break;
        default:
            break;
        }
        break;
    case 4:
        if (subleaf != 0)
            break;
        out[0] = XEN_HVM_CPUID_VCPU_ID_PRESENT | XEN_HVM_CPUID_DOMID_PRESENT;
        if (d->cpuid_ext_dest_id)
            out[0] |= XEN_HVM_CPUID_EXT_DEST_ID;
        if (d->cpuid_upcall_vector)
            out[0] |= XEN_HVM_CPUID_UPCALL_VECTOR;
        out[1] = v->id;
        out[2] = d->domid;
        break;
    default:
        break;                       /* base+5: PV-only, zero for HVM */
    }
    return true;
}
