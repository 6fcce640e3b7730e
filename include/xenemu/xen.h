/* The Xen hypervisor model: domain, vCPU, hypercall dispatch, and the
 * pieces of it that other layers call (CPUID leaves, pvclock). */
#ifndef XENEMU_XEN_H
#define XENEMU_XEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen-abi/errno.h>
#include <xen-abi/hvm/params.h>
#include <xen-abi/xen.h>

/* Guest memory as the hypervisor sees it. read/write take guest VIRTUAL
 * addresses (translated through the calling vCPU's page tables, then the
 * P2M) and return 0 or -XEN_EFAULT; a partial access counts as a failure.
 * gpa_ptr maps [gpa, gpa+len) of guest-PHYSICAL memory to a host pointer
 * when the whole range is plain RAM in one contiguous host block, else NULL. */
struct xen_guest_mem_ops {
    int (*read)(void *ctx, uint64_t gva, void *buf, size_t len);
    int (*write)(void *ctx, uint64_t gva, const void *buf, size_t len);
    uint8_t *(*gpa_ptr)(void *ctx, uint64_t gpa, size_t len);
};

#define XEN_MAX_VCPUS 128
#define XEN_GPA_NONE UINT64_MAX
#define XEN_PAGE_SIZE 4096u

/* Xen's version as this model reports it (CPUID base+1, XENVER_version). */
#define XENEMU_XEN_MAJOR 4
#define XENEMU_XEN_MINOR 17

/* How event-channel upcalls reach a vCPU (HVM_PARAM_CALLBACK_IRQ). */
typedef enum {
    XEN_CALLBACK_NONE = 0,
    XEN_CALLBACK_GSI,
    XEN_CALLBACK_PCI_INTX,
    XEN_CALLBACK_VECTOR,
} xen_callback_type_t;

struct xen_domain;

typedef struct xen_vcpu {
    struct xen_domain *dom;
    uint32_t id;
    bool online;
    /* Context handed to the domain's mem ops for this vCPU's accesses
     * (its page tables); NULL = the domain's mem_ctx. */
    void *mem_ctx;
    /* Guest TSC now. If NULL, the field tsc is used: the run loop keeps it
     * current before calling into the Xen model. */
    uint64_t (*read_tsc)(void *ctx);
    void *tsc_ctx;
    uint64_t tsc;
    /* Registered vcpu_info (VCPUOP_register_vcpu_info), or XEN_GPA_NONE:
     * then shared_info.vcpu_info[id] when id < 32. */
    uint64_t vcpu_info_gpa;
    /* Per-vCPU upcall vector (HVMOP_set_evtchn_upcall_vector); 0 = none. */
    uint8_t upcall_vector;
} xen_vcpu_t;

typedef struct xen_domain {
    domid_t domid;
    uint8_t handle[16];              /* XENVER_guest_handle (a UUID) */
    uint32_t nr_vcpus;
    xen_vcpu_t vcpu[XEN_MAX_VCPUS];

    const struct xen_guest_mem_ops *mem;
    void *mem_ctx;

    uint64_t hvm_param[HVM_NR_PARAMS];
    xen_callback_type_t callback_type;  /* decoded CALLBACK_IRQ */
    uint8_t callback_vector;
    uint32_t callback_gsi;

    /* Guest-physical address of the shared_info page, or XEN_GPA_NONE. */
    uint64_t shared_info_gpa;

    /* XENVER_get_features submap 0. */
    uint32_t features;

    /* Time: virtual TSC frequency and the pvclock scale derived from it. */
    uint64_t tsc_hz;
    uint32_t tsc_to_system_mul;
    int8_t tsc_shift;
    bool tsc_stable;                 /* PVCLOCK_TSC_STABLE_BIT in flags */
    uint64_t wallclock_base_ns;      /* wall time at system time 0 */

    /* CPUID base+4 options. */
    bool cpuid_upcall_vector;        /* advertise XEN_HVM_CPUID_UPCALL_VECTOR */
    bool cpuid_ext_dest_id;          /* advertise XEN_HVM_CPUID_EXT_DEST_ID */
    bool cpuid_rdtscp;               /* base+3 EAX bit 2 */
} xen_domain_t;

typedef xen_domain_t domain_t;

/* Domain setup (src/xen/domain.c). */
typedef struct xen_domain_config {
    domid_t domid;                   /* 0 is taken by the control domain; use >= 1 */
    uint32_t nr_vcpus;               /* 1..XEN_MAX_VCPUS */
    uint64_t tsc_hz;                 /* virtual TSC frequency, > 0 */
    uint64_t wallclock_base_ns;      /* wall time (ns since 1970) at system time 0 */
    const struct xen_guest_mem_ops *mem;
    void *mem_ctx;
} xen_domain_config_t;

/* Fills *d from cfg. Returns 0, or -XEN_EINVAL for a bad configuration. */
int xen_domain_init(xen_domain_t *d, const xen_domain_config_t *cfg);
/* The vCPU with that id, or NULL. */
xen_vcpu_t *xen_domain_vcpu(xen_domain_t *d, uint32_t id);
/* Places shared_info at gpa (page aligned); fills every vCPU's time and
 * the wall clock at once (the guest reads them straight after). tsc is the
 * guest TSC now. Returns 0 or -XEN_EINVAL / -XEN_EFAULT. */
int xen_domain_set_shared_info(xen_domain_t *d, uint64_t gpa, uint64_t tsc);

/* Guest memory helpers: 0 or -XEN_EFAULT. */
int xen_copy_from_guest(xen_vcpu_t *v, void *dst, uint64_t gva, size_t len);
int xen_copy_to_guest(xen_vcpu_t *v, uint64_t gva, const void *src, size_t len);
uint8_t *xen_gpa_ptr(xen_domain_t *d, uint64_t gpa, size_t len);
uint64_t xen_vcpu_tsc(xen_vcpu_t *v);

/* Hypercalls (src/xen/hypercall.c). x86-64 HVM/PVH convention: RAX =
 * number, RDI RSI RDX R10 R8 R9 = args[0..5]; the result goes to RAX. */
typedef long (*xen_hypercall_fn)(xen_vcpu_t *v, const uint64_t args[6]);
long xen_hypercall(xen_vcpu_t *v, uint64_t nr, const uint64_t args[6]);
/* The handler for nr, or NULL when the number is unknown. */
xen_hypercall_fn xen_hypercall_handler(uint64_t nr);
/* Name for traces ("memory_op"), or NULL. */
const char *xen_hypercall_name(uint64_t nr);

/* Implemented handlers. */
long xen_hc_xen_version(xen_vcpu_t *v, const uint64_t args[6]);   /* xen_version.c */
long xen_hc_hvm_op(xen_vcpu_t *v, const uint64_t args[6]);        /* hvm_params.c */

/* HVM params for the domain builder (src/xen/hvm_params.c): set without
 * the guest's permission checks, e.g. CONSOLE_PFN. 0 or -XEN_EINVAL. */
int xen_hvm_param_set_toolstack(xen_domain_t *d, uint32_t index, uint64_t value);
uint64_t xen_hvm_param_get(const xen_domain_t *d, uint32_t index);

/* Xen's CPUID leaves (src/xen/cpuid_xen.c). Returns true and fills out[]
 * (EAX EBX ECX EDX) when leaf is in Xen's range 0x40000000-0x400001ff. */
bool xen_cpuid(const xen_vcpu_t *v, uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

/* pvclock (src/xen/time.c). */
/* The pvclock scale for a frequency: ns = ((ticks << shift) * mul) >> 32
 * (right shift for a negative shift), mul rounded down. hz must be > 0. */
void xen_time_scale(uint64_t hz, uint32_t *mul, int8_t *shift);
/* Exact system time (ns) at guest TSC tsc, with 128-bit arithmetic. */
uint64_t xen_system_time_ns(const xen_domain_t *d, uint64_t tsc);
/* What a guest computes from a pvclock record at TSC tsc. */
uint64_t xen_pvclock_read(const struct vcpu_time_info *t, uint64_t tsc);
/* Fills *t for guest TSC tsc (version untouched). tsc_timestamp is tsc
 * rounded down to a point of whole-ns system time; reads stay within 1 ns
 * of exact for one second of TSC after it, so refresh at least that often. */
void xen_pvclock_fill(const xen_domain_t *d, uint64_t tsc, struct vcpu_time_info *t);
/* Writes t into a guest vcpu_time_info with the odd/even version protocol. */
void xen_pvclock_publish(volatile struct vcpu_time_info *dst, const struct vcpu_time_info *t);
/* Refreshes the time record in v's current vcpu_info (if mapped). 0 or -XEN_EFAULT. */
int xen_time_update_vcpu(xen_vcpu_t *v, uint64_t tsc);
/* Writes shared_info.wc (and wc_sec_hi). 0 or -XEN_EFAULT. */
int xen_time_update_wallclock(xen_domain_t *d);
/* Guest-physical address of v's vcpu_info, or XEN_GPA_NONE. */
uint64_t xen_vcpu_info_gpa(const xen_vcpu_t *v);

#endif
