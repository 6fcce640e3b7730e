/* Event channels (public/event_channel.h): per-domain port table, the
 * 2-level and FIFO delivery ABIs, and the host API the built-in backends
 * use. The backends live in "domain 0", modelled inside the same domain_t
 * as a small table of backend-side ports. */
#ifndef XENEMU_EVTCHN_H
#define XENEMU_EVTCHN_H

#include <stdbool.h>
#include <stdint.h>

#include <xen-abi/event_channel.h>

struct xen_domain;
struct xen_vcpu;

/* Port limit of the 2-level ABI on x86-64 (64 words of 64 bits). */
#define XEN_EVTCHN_MAX_PORTS 4096u
/* Xen's default max_event_channels for a domU is 1023: ports 1..1023. */
#define XEN_EVTCHN_DEFAULT_PORTS 1024u
/* Backend-side (domain 0) ports: 1..XEN_EVTCHN_BACKEND_PORTS-1. */
#define XEN_EVTCHN_BACKEND_PORTS 32u
/* Event-array pages the FIFO ABI accepts (2^17 ports / 1024 per page). */
#define XEN_EVTCHN_FIFO_MAX_PAGES 128u

/* The domain id the built-in backends answer to. */
#define XEN_BACKEND_DOMID 0

typedef void (*xen_evtchn_backend_fn)(void *ctx, evtchn_port_t backend_port);

typedef struct xen_evtchn_port {
    uint8_t state;          /* EVTCHNSTAT_* */
    uint8_t priority;       /* FIFO priority, 0..15 (7 at allocation) */
    uint8_t fifo_pending;   /* FIFO: raised before its event word existed */
    uint8_t linked_prio;    /* FIFO: queue it was linked on */
    uint16_t remote_dom;    /* unbound/interdomain: the other domain */
    uint16_t linked_vcpu;   /* FIFO: vCPU whose queue holds it */
    uint32_t vcpu;          /* notify vCPU */
    uint32_t u;             /* virq, or the remote port */
} xen_evtchn_port_t;

typedef struct xen_evtchn_backend_port {
    uint8_t state;          /* EVTCHNSTAT_closed/unbound/interdomain */
    uint32_t guest_port;    /* interdomain: the guest's port */
    uint32_t notified;      /* count of guest sends not yet taken */
    xen_evtchn_backend_fn fn;
    void *ctx;
} xen_evtchn_backend_port_t;

typedef struct xen_evtchn_fifo_vcpu {
    uint64_t control_gpa1;  /* control block gpa + 1; 0 = not set up */
    uint32_t tail[EVTCHN_FIFO_MAX_QUEUES];
} xen_evtchn_fifo_vcpu_t;

/* Per-domain state, embedded in domain_t; all-zero is a valid start. */
typedef struct xen_evtchn_state {
    uint32_t max_ports;     /* 0 = XEN_EVTCHN_DEFAULT_PORTS */
    bool fifo;              /* EVTCHNOP_init_control succeeded */
    uint32_t fifo_pages;
    uint64_t fifo_array_gpa[XEN_EVTCHN_FIFO_MAX_PAGES];
    xen_evtchn_fifo_vcpu_t fifo_vcpu[128];
    uint16_t virq_port[128][NR_VIRQS];   /* per vCPU; 0 = unbound */
    uint64_t upcall_due[128 / 64];       /* vCPU bitmap, see take_upcall */
    void (*upcall)(void *ctx, struct xen_vcpu *v); /* optional kick */
    void *upcall_ctx;
    /* Optional: called on every set-pending of a port, masked or not, with
     * its notify vCPU (Xen wakes SCHEDOP_poll waiters there). */
    void (*pending)(void *ctx, struct xen_vcpu *v, evtchn_port_t port);
    void *pending_ctx;
    xen_evtchn_port_t port[XEN_EVTCHN_MAX_PORTS];
    xen_evtchn_backend_port_t backend[XEN_EVTCHN_BACKEND_PORTS];
} xen_evtchn_state_t;

/* event_channel_op hypercall: RDI = cmd, RSI = arg. */
long xen_hc_event_channel_op(struct xen_vcpu *v, const uint64_t args[6]);

/* Sets the port pending as Xen does (2-level or FIFO). Returns the id of
 * the vCPU for which an upcall became due (its evtchn_upcall_pending went
 * 0 -> 1), or -1. The vCPU is also marked in upcall_due and the optional
 * upcall hook is called. Invalid or closed ports return -1. */
int xen_evtchn_raise(struct xen_domain *d, evtchn_port_t port);
/* Raises virq on vCPU vcpu (VIRQ_TIMER, VIRQ_DEBUG...; global VIRQs are
 * bound on vCPU 0). Returns as xen_evtchn_raise, -1 when unbound. */
int xen_evtchn_raise_virq(struct xen_domain *d, uint32_t vcpu, uint32_t virq);
/* Whether port is pending in the ABI in force (for SCHEDOP_poll). */
bool xen_evtchn_port_pending(struct xen_domain *d, evtchn_port_t port);
/* True once if an upcall became due for v since the last call. */
bool xen_evtchn_take_upcall(struct xen_vcpu *v);
/* v's vcpu_info.evtchn_upcall_pending (level, as Xen re-checks it). */
bool xen_evtchn_upcall_pending(struct xen_vcpu *v);

/* Backend side. Allocates a backend port unbound for the guest (the
 * guest then binds with EVTCHNOP_bind_interdomain). 0 or -XEN_ENOSPC. */
int xen_evtchn_backend_alloc(struct xen_domain *d, evtchn_port_t *bport);
/* Allocates a connected pair (guest port unbound-to-0 bound at once, as the
 * toolstack does for the console and xenstore ports). 0, -ENOSPC. */
int xen_evtchn_backend_bind_pair(struct xen_domain *d, evtchn_port_t *bport,
                                 evtchn_port_t *guest_port);
/* Binds a backend port to a guest port the guest allocated unbound for
 * remote domain 0. 0, -XEN_EINVAL, -XEN_ENOSPC. */
int xen_evtchn_backend_connect(struct xen_domain *d, evtchn_port_t guest_port,
                               evtchn_port_t *bport);
/* Called on every guest EVTCHNOP_send to bport (may be NULL). */
void xen_evtchn_backend_set_handler(struct xen_domain *d, evtchn_port_t bport,
                                    xen_evtchn_backend_fn fn, void *ctx);
/* Notifies the guest end of bport; returns as xen_evtchn_raise. */
int xen_evtchn_backend_notify(struct xen_domain *d, evtchn_port_t bport);
/* Sends from the guest not yet taken, then reset to 0. */
uint32_t xen_evtchn_backend_take(struct xen_domain *d, evtchn_port_t bport);
/* The guest port bound to bport, or 0 when none. */
evtchn_port_t xen_evtchn_backend_guest_port(struct xen_domain *d, evtchn_port_t bport);

/* FIFO internals (src/xen/evtchn_fifo.c), used by evtchn.c. */
int xen_evtchn_fifo_init_control(struct xen_vcpu *v, struct evtchn_init_control *op);
int xen_evtchn_fifo_expand_array(struct xen_domain *d, uint64_t array_gfn);
/* Returns true when an upcall became due on the notify vCPU. */
bool xen_evtchn_fifo_set_pending(struct xen_domain *d, evtchn_port_t port, uint32_t *vcpu);
void xen_evtchn_fifo_clear(struct xen_domain *d, evtchn_port_t port);
bool xen_evtchn_fifo_unmask(struct xen_domain *d, evtchn_port_t port, uint32_t *vcpu);
/* Pointer to port's event word, or NULL if not covered by the array. */
uint32_t *xen_evtchn_fifo_word(struct xen_domain *d, evtchn_port_t port);
/* Marks upcall pending on v (test-and-set); true on 0 -> 1. */
bool xen_evtchn_mark_upcall(struct xen_vcpu *v);

/* Read-modify-write of a guest word through a host pointer, atomic when
 * aligned (the guest uses LOCK BTS/BTR/CMPXCHG on the same words).
 * Returns the old value. */
static inline uint64_t xen_evtchn_rmw64(void *p, uint64_t set, uint64_t clr)
{
    uint64_t old;
    if (((uintptr_t)p & 7) == 0) {
        uint64_t *w = p;
        old = __atomic_load_n(w, __ATOMIC_RELAXED);
        while (!__atomic_compare_exchange_n(w, &old, (old | set) & ~clr, false,
                                            __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
            ;
        return old;
    }
    __builtin_memcpy(&old, p, 8);
    uint64_t n = (old | set) & ~clr;
    __builtin_memcpy(p, &n, 8);
    return old;
}

static inline uint32_t xen_evtchn_rmw32(void *p, uint32_t set, uint32_t clr)
{
    uint32_t old;
    if (((uintptr_t)p & 3) == 0) {
        uint32_t *w = p;
        old = __atomic_load_n(w, __ATOMIC_RELAXED);
        while (!__atomic_compare_exchange_n(w, &old, (old | set) & ~clr, false,
                                            __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
            ;
        return old;
    }
    __builtin_memcpy(&old, p, 4);
    uint32_t n = (old | set) & ~clr;
    __builtin_memcpy(p, &n, 4);
    return old;
}

#endif
