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
#include <xen-abi/memory.h>
#include <xen-abi/vcpu.h>
#include <xenemu/evtchn.h>
#include <xenemu/grant.h>

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

    /* vcpu_op / sched_op state (src/xen/vcpu_op.c, sched_op.c). */
    uint64_t runstate_gva;           /* registered runstate area, 0 = none */
    struct vcpu_runstate_info runstate;
    uint64_t time_area_gva;          /* register_vcpu_time_memory_area, 0 = none */
    bool sshot_active;               /* single-shot timer armed */
    uint64_t sshot_deadline_ns;      /* its expiry, system time ns */
    uint64_t periodic_ns;            /* periodic timer period, 0 = stopped */
    uint64_t periodic_next_ns;
    bool initialised;                /* VCPUOP_initialise done (online counts too) */
    bool ctx_requested;              /* VCPUOP_initialise recorded ctx below */
    uint8_t init_ctx[128];           /* raw vcpu_hvm_context from VCPUOP_initialise */
    bool yielded;                    /* SCHEDOP_yield since the machine last looked */
    bool blocked;                    /* until an event (or timer / poll timeout) */
    uint32_t poll_nr;                /* SCHEDOP_poll ports waited on, 0 = not polling */
    uint32_t poll_ports[128];
    uint64_t poll_timeout_ns;        /* 0 = none */
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

    /* Event channels (src/xen/evtchn.c) and grant table
     * (src/xen/grant_table.c); all-zero is their initial state. */
    xen_evtchn_state_t evtchn;
    xen_gnttab_state_t gnttab;

    /* memory_op (src/xen/memory_op.c). The builder fills the E820 and the
     * page counts; P2M changes go to these callbacks, which the machine
     * connects to EPT (NULL = only recorded here). 0 or -errno. */
    struct xen_e820_entry e820[128];
    uint32_t nr_e820;
    uint64_t tot_pages, max_pages;
    int (*p2m_populate)(struct xen_domain *d, uint64_t gfn, uint32_t order);
    int (*p2m_remove)(struct xen_domain *d, uint64_t gfn, uint32_t order);
    /* Maps host page at gfn; page NULL = the shared_info page. NULL hook:
     * the gfn must already be RAM the model can reach. */
    int (*p2m_map_page)(struct xen_domain *d, uint64_t gfn, uint8_t *page);
    /* Grant frame idx at gpfn (connect to xen_gnttab_physmap_frame). */
    int (*gnttab_physmap)(struct xen_domain *d, uint64_t idx, uint64_t gpfn,
                          uint8_t **page);
    /* Extents populated by populate_physmap (tests, debugging). */
    struct { uint64_t gfn; uint32_t order; } populated[512];
    uint32_t nr_populated;

    /* Event hooks (connect to xen_evtchn_raise_virq and a pending test). */
    int (*send_virq)(struct xen_domain *d, uint32_t vcpu, uint32_t virq);
    bool (*evtchn_is_pending)(struct xen_domain *d, uint32_t port);

    /* sched_op: shutdown state the machine turns into an exit status. */
    bool shutdown;
    uint8_t shutdown_reason;         /* SHUTDOWN_* in force */
    bool shutdown_code_set;          /* SCHEDOP_shutdown_code given */
    uint8_t shutdown_code;
    /* SCHEDOP_watchdog timers (Xen has 2 per domain): expiry ns, in-use bits. */
    uint64_t watchdog_ns[2];
    uint8_t watchdog_inuse;

    uint64_t vm_assist;              /* VMASST_TYPE_* bits enabled */

    /* console_io: write sink (NULL = dropped). Reads need the privilege
     * (Xen's default XSM answers a domU -EPERM) and drain console_in. */
    void (*console_write)(struct xen_domain *d, const char *buf, size_t len);
    bool console_io_read_allowed;
    uint8_t console_in[1024];
    uint32_t console_in_prod, console_in_cons;
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
long xen_hc_memory_op(xen_vcpu_t *v, const uint64_t args[6]);     /* memory_op.c */
long xen_hc_vcpu_op(xen_vcpu_t *v, const uint64_t args[6]);       /* vcpu_op.c */
long xen_hc_set_timer_op(xen_vcpu_t *v, const uint64_t args[6]);  /* vcpu_op.c */
long xen_hc_sched_op(xen_vcpu_t *v, const uint64_t args[6]);      /* sched_op.c */
long xen_hc_console_io(xen_vcpu_t *v, const uint64_t args[6]);    /* console_io.c */
long xen_hc_vm_assist(xen_vcpu_t *v, const uint64_t args[6]);     /* vm_assist.c */

/* Timers (vcpu_op.c). No deadline = UINT64_MAX. */
uint64_t xen_vcpu_timer_deadline_ns(const xen_vcpu_t *v);
/* The same deadline as a guest TSC value (tsc_hz ticks per second, which
 * is retired instructions when the TSC counts one per instruction). */
uint64_t xen_vcpu_timer_deadline_tsc(const xen_vcpu_t *v);
/* The machine calls this at or after the deadline: fires what expired
 * (VIRQ_TIMER through send_virq, poll timeouts) and wakes the vCPU. */
void xen_vcpu_timer_expire(xen_vcpu_t *v, uint64_t tsc);
/* Runstate change (RUNSTATE_*) at guest TSC tsc; updates the guest area. */
void xen_vcpu_set_runstate(xen_vcpu_t *v, int state, uint64_t tsc);
/* Refreshes v's pvclock copies (vcpu_info, time area) and runstate area. */
void xen_vcpu_refresh_time(xen_vcpu_t *v, uint64_t tsc);

/* sched_op (sched_op.c). An event arrived for v (port, or UINT32_MAX for
 * "any upcall"): ends a block, or a poll on that port. */
void xen_vcpu_event_wake(xen_vcpu_t *v, uint32_t port);
/* Exit status for a shut-down domain (DESIGN.md): 0 clean, 3 crash. */
int xen_domain_exit_status(const xen_domain_t *d);
/* Earliest armed watchdog (system time ns) or UINT64_MAX; the machine
 * calls xen_domain_watchdog_expire at or after it (shuts down, watchdog). */
uint64_t xen_domain_watchdog_deadline_ns(const xen_domain_t *d);
void xen_domain_watchdog_expire(xen_domain_t *d, uint64_t tsc);

/* console_io (console_io.c): bytes for CONSOLEIO_read; returns bytes taken. */
size_t xen_console_io_input(xen_domain_t *d, const void *buf, size_t len);
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
