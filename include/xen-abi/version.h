/* xen_version hypercall (17) sub-ops and buffers (public/version.h). */
#ifndef XEN_ABI_VERSION_H
#define XEN_ABI_VERSION_H

#include <stddef.h>
#include <stdint.h>

#include "features.h"

#define XENVER_version             0  /* returns major << 16 | minor */
#define XENVER_extraversion        1
#define XENVER_compile_info        2
#define XENVER_capabilities        3
#define XENVER_changeset           4
#define XENVER_platform_parameters 5
#define XENVER_get_features        6
#define XENVER_pagesize            7  /* returns the page size */
#define XENVER_guest_handle        8
#define XENVER_commandline         9
#define XENVER_build_id            10

#define XEN_EXTRAVERSION_LEN      16
#define XEN_CAPABILITIES_INFO_LEN 1024
#define XEN_CHANGESET_INFO_LEN    64
#define XEN_COMMANDLINE_LEN       1024
#define XEN_DOMAIN_HANDLE_LEN     16

struct xen_compile_info {
    char compiler[64];
    char compile_by[16];
    char compile_domain[32];
    char compile_date[32];
};

struct xen_platform_parameters {
    uint64_t virt_start;
};

struct xen_feature_info {
    uint32_t submap_idx;  /* IN */
    uint32_t submap;      /* OUT */
};

/* Header of the XENVER_build_id buffer; len bytes of id follow. */
struct xen_build_id {
    uint32_t len;
};

_Static_assert(sizeof(struct xen_compile_info) == 144, "xen_compile_info");
_Static_assert(offsetof(struct xen_compile_info, compile_by) == 64, "compile_by");
_Static_assert(offsetof(struct xen_compile_info, compile_domain) == 80, "compile_domain");
_Static_assert(offsetof(struct xen_compile_info, compile_date) == 112, "compile_date");
_Static_assert(sizeof(struct xen_platform_parameters) == 8, "platform_parameters");
_Static_assert(sizeof(struct xen_feature_info) == 8, "xen_feature_info");
_Static_assert(offsetof(struct xen_feature_info, submap) == 4, "submap");
_Static_assert(sizeof(struct xen_build_id) == 4, "xen_build_id");

#endif
