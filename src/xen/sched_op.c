/* sched_op hypercall (29) for a PVH domU (public/sched.h): RDI = cmd,
 * RSI = arg. The machine reads the yield/block/poll/shutdown state. */
#include <string.h>

#include <xen-abi/sched.h>
#include <xenemu/xen.h>

#define POLL_MAX_PORTS 128u   /* Xen's limit for SCHEDOP_poll */
#define NR_WATCHDOGS 2u
#define NS_PER_SEC 1000000000ull

static bool port_pending(xen_domain_t *d, uint32_t port)
{
    return d->evtchn_is_pending && d->evtchn_is_pending(d, port);
}

/* Ports the domain's ABI can name (2-level: 4096; FIFO: 2^17). */
static uint32_t port_limit(const xen_domain_t *d)
{
    return d->evtchn.fifo ? (1u << 17) : XEN_EVTCHN_MAX_PORTS;
}

static bool upcall_pending(xen_vcpu_t *v)
{
    uint64_t gpa = xen_vcpu_info_gpa(v);
    uint8_t *p = gpa == XEN_GPA_NONE ? NULL : xen_gpa_ptr(v->dom, gpa, sizeof(struct vcpu_info));
    return p && __atomic_load_n(&p[offsetof(struct vcpu_info, evtchn_upcall_pending)],
                                __ATOMIC_ACQUIRE);
}

static void do_shutdown(xen_domain_t *d, uint8_t reason)
{
    if (d->shutdown)
        return;                      /* the first reason stands */
    d->shutdown = true;
    /* A code set by SCHEDOP_shutdown_code overrides the reason. */
    d->shutdown_reason = d->shutdown_code_set ? d->shutdown_code : reason;
}

static long sched_block(xen_vcpu_t *v)
{
    /* Xen enables event delivery, then blocks unless an event is due. */
    uint64_t gpa = xen_vcpu_info_gpa(v);
    uint8_t *p = gpa == XEN_GPA_NONE ? NULL : xen_gpa_ptr(v->dom, gpa, sizeof(struct vcpu_info));
    if (p)
        __atomic_store_n(&p[offsetof(struct vcpu_info, evtchn_upcall_mask)], 0,
                         __ATOMIC_RELEASE);
    v->poll_nr = 0;
    v->poll_timeout_ns = 0;
    v->blocked = !upcall_pending(v);
    if (v->blocked)
        xen_vcpu_set_runstate(v, RUNSTATE_blocked, xen_vcpu_tsc(v));
    return 0;
}

static long sched_poll(xen_vcpu_t *v, uint64_t arg)
{
    xen_domain_t *d = v->dom;
    struct sched_poll sp;
    if (xen_copy_from_guest(v, &sp, arg, sizeof(sp)))
        return -XEN_EFAULT;
    if (sp.ports + (uint64_t)sp.nr_ports * 4 < sp.ports)
        return -XEN_EFAULT;
    if (sp.nr_ports > POLL_MAX_PORTS)
        return -XEN_EINVAL;
    uint32_t ports[POLL_MAX_PORTS];
    for (uint32_t i = 0; i < sp.nr_ports; i++) {
        if (xen_copy_from_guest(v, &ports[i], sp.ports + (uint64_t)i * 4, 4))
            return -XEN_EFAULT;
        if (ports[i] >= port_limit(d))
            return -XEN_EINVAL;
        /* Already pending (masked or not): return without blocking. */
        if (port_pending(d, ports[i]))
            return 0;
    }
    memcpy(v->poll_ports, ports, sp.nr_ports * sizeof(ports[0]));
    v->poll_nr = sp.nr_ports;
    v->poll_timeout_ns = sp.timeout;
    /* No ports: any event (or the timeout) ends it, as in Xen. */
    v->blocked = true;
    xen_vcpu_set_runstate(v, RUNSTATE_blocked, xen_vcpu_tsc(v));
    return 0;
}

/* SCHEDOP_watchdog: id 0 allocates a timer and returns its id (1-based);
 * an id re-arms it, or frees it with timeout 0. Timeouts in seconds. */
static long sched_watchdog(xen_vcpu_t *v, uint64_t arg)
{
    xen_domain_t *d = v->dom;
    struct sched_watchdog w;
    if (xen_copy_from_guest(v, &w, arg, sizeof(w)))
        return -XEN_EFAULT;
    if (w.id > NR_WATCHDOGS)
        return -XEN_EINVAL;
    uint64_t when = xen_system_time_ns(d, xen_vcpu_tsc(v)) + (uint64_t)w.timeout * NS_PER_SEC;
    if (w.id == 0) {
        for (uint32_t i = 0; i < NR_WATCHDOGS; i++) {
            if (d->watchdog_inuse & (1u << i))
                continue;
            d->watchdog_inuse |= (uint8_t)(1u << i);
            d->watchdog_ns[i] = when;
            return (long)i + 1;
        }
        return -XEN_ENOSPC;
    }
    uint32_t i = w.id - 1;
    if (!(d->watchdog_inuse & (1u << i)))
        return -XEN_EINVAL;
    if (w.timeout == 0)
        d->watchdog_inuse &= (uint8_t)~(1u << i);
    else
        d->watchdog_ns[i] = when;
    return 0;
}

uint64_t xen_domain_watchdog_deadline_ns(const xen_domain_t *d)
{
    uint64_t dl = UINT64_MAX;
    for (uint32_t i = 0; i < NR_WATCHDOGS; i++)
        if ((d->watchdog_inuse & (1u << i)) && d->watchdog_ns[i] < dl)
            dl = d->watchdog_ns[i];
    return dl;
}

void xen_domain_watchdog_expire(xen_domain_t *d, uint64_t tsc)
{
    uint64_t now = xen_system_time_ns(d, tsc);
    for (uint32_t i = 0; i < NR_WATCHDOGS; i++) {
        if ((d->watchdog_inuse & (1u << i)) && d->watchdog_ns[i] <= now) {
            d->watchdog_inuse &= (uint8_t)~(1u << i);
            do_shutdown(d, SHUTDOWN_watchdog);
        }
    }
}

long xen_hc_sched_op(xen_vcpu_t *v, const uint64_t args[6])
{
    xen_domain_t *d = v->dom;
    int cmd = (int)(uint32_t)args[0];
    uint64_t arg = args[1];

    switch (cmd) {
    case SCHEDOP_yield:
        v->yielded = true;
        return 0;
    case SCHEDOP_block:
        return sched_block(v);
    case SCHEDOP_shutdown: {
        struct sched_shutdown s;
        if (xen_copy_from_guest(v, &s, arg, sizeof(s)))
            return -XEN_EFAULT;
        do_shutdown(d, (uint8_t)s.reason);   /* Xen keeps the low byte */
        return 0;
    }
    case SCHEDOP_poll:
        return sched_poll(v, arg);
    case SCHEDOP_remote_shutdown: {
        struct sched_remote_shutdown r;
        if (xen_copy_from_guest(v, &r, arg, sizeof(r)))
            return -XEN_EFAULT;
        /* Existing domains (itself, domain 0) need device-model privilege. */
        if (r.domain_id == d->domid || r.domain_id == DOMID_SELF || r.domain_id == 0)
            return r.domain_id == DOMID_SELF ? -XEN_ESRCH : -XEN_EPERM;
        return -XEN_ESRCH;
    }
    case SCHEDOP_shutdown_code: {
        struct sched_shutdown s;
        if (xen_copy_from_guest(v, &s, arg, sizeof(s)))
            return -XEN_EFAULT;
        if (!d->shutdown_code_set) {
            d->shutdown_code = (uint8_t)s.reason;
            d->shutdown_code_set = true;
        }
        return 0;
    }
    case SCHEDOP_watchdog:
        return sched_watchdog(v, arg);
    case SCHEDOP_pin_override:
        return -XEN_EPERM;           /* hardware domain only */
    default:
        return -XEN_ENOSYS;
    }
}

/* Ends a block or poll; the round-robin runs the vCPU next, so its
 * runstate goes straight back to running. */
static void unblock(xen_vcpu_t *v)
{
    bool was = v->blocked;
    v->poll_nr = 0;
    v->poll_timeout_ns = 0;
    v->blocked = false;
    if (was)
        xen_vcpu_set_runstate(v, RUNSTATE_running, xen_vcpu_tsc(v));
}

void xen_vcpu_event_wake(xen_vcpu_t *v, uint32_t port)
{
    if (!v->poll_nr) {
        unblock(v);
        return;
    }
    if (port == UINT32_MAX)
        return;                      /* a poll waits for its own ports */
    for (uint32_t i = 0; i < v->poll_nr && i < POLL_MAX_PORTS; i++) {
        if (v->poll_ports[i] == port) {
            unblock(v);
            return;
        }
    }
}

int xen_domain_exit_status(const xen_domain_t *d)
{
    switch (d->shutdown_reason) {
    case SHUTDOWN_poweroff:
    case SHUTDOWN_reboot:
    case SHUTDOWN_suspend:
    case SHUTDOWN_soft_reset:
        return 0;
    default:
        return 3;                    /* crash, watchdog, unknown reasons */
    }
}
