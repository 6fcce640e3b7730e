/* xen_version hypercall (17): RDI = cmd, RSI = arg (public/version.h).
 * Answers as Xen 4.17 answers an unprivileged HVM/PVH domain. */
#include <string.h>

#include <xen-abi/version.h>
#include <xenemu/xen.h>

#define XENEMU_EXTRAVERSION ".0-xenemu"
#define XENEMU_CHANGESET    "xenemu " "0.1.0"
#define XENEMU_CAPABILITIES "hvm-3.0-x86_64"

/* Copies a NUL-padded string buffer of size n to the guest. */
static long put_string(xen_vcpu_t *v, uint64_t gva, const char *s, size_t n)
{
    char buf[XEN_CAPABILITIES_INFO_LEN];
    if (n > sizeof(buf))
        return -XEN_EINVAL;
    memset(buf, 0, n);
    size_t l = strlen(s);
    memcpy(buf, s, l < n - 1 ? l : n - 1);
    return xen_copy_to_guest(v, gva, buf, n);
}

static long get_features(xen_vcpu_t *v, uint64_t gva)
{
    struct xen_feature_info fi;
    if (xen_copy_from_guest(v, &fi, gva, sizeof(fi)))
        return -XEN_EFAULT;
    if (fi.submap_idx >= XENFEAT_NR_SUBMAPS)
        return -XEN_EINVAL;
    fi.submap = v->dom->features;
    return xen_copy_to_guest(v, gva, &fi, sizeof(fi));
}

long xen_hc_xen_version(xen_vcpu_t *v, const uint64_t args[6])
{
    uint64_t cmd = args[0], arg = args[1];

    switch (cmd) {
    case XENVER_version:
        return ((long)XENEMU_XEN_MAJOR << 16) | XENEMU_XEN_MINOR;
    case XENVER_extraversion:
        return put_string(v, arg, XENEMU_EXTRAVERSION, XEN_EXTRAVERSION_LEN);
    case XENVER_compile_info: {
        struct xen_compile_info ci;
        memset(&ci, 0, sizeof(ci));
        strcpy(ci.compiler, "xenemu");
        strcpy(ci.compile_by, "xenemu");
        strcpy(ci.compile_domain, "xenemu");
        strcpy(ci.compile_date, "2026-01-01");  /* fixed: runs stay diffable */
        return xen_copy_to_guest(v, arg, &ci, sizeof(ci));
    }
    case XENVER_capabilities:
        return put_string(v, arg, XENEMU_CAPABILITIES, XEN_CAPABILITIES_INFO_LEN);
    case XENVER_changeset:
        return put_string(v, arg, XENEMU_CHANGESET, XEN_CHANGESET_INFO_LEN);
    case XENVER_platform_parameters: {
        /* Xen reports virt_start only to 64-bit PV guests; HVM gets 0. */
        struct xen_platform_parameters pp = { .virt_start = 0 };
        return xen_copy_to_guest(v, arg, &pp, sizeof(pp));
    }
    case XENVER_get_features:
        return get_features(v, arg);
    case XENVER_pagesize:
        return XEN_PAGE_SIZE;
    case XENVER_guest_handle:
        return xen_copy_to_guest(v, arg, v->dom->handle, XEN_DOMAIN_HANDLE_LEN);
    case XENVER_commandline:
    case XENVER_build_id:
        /* XSM's default policy reserves these to privileged domains. */
        return -XEN_EPERM;
    default:
        return -XEN_ENOSYS;
    }
}
