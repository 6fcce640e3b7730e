/* Event channels: EVTCHNOP_* (public/event_channel.h) and the 2-level
 * delivery ABI on shared_info (public/xen.h: evtchn_pending, evtchn_mask,
 * vcpu_info.evtchn_pending_sel / evtchn_upcall_pending). FIFO delivery is
 * in evtchn_fifo.c. Domain 0 is the built-in backends' side. */
#include <stddef.h>
#include <string.h>

#include <xenemu/evtchn.h>
#include <xenemu/xen.h>

_Static_assert(XEN_MAX_VCPUS == 128, "virq_port / upcall_due sized for 128 vCPUs");
_Static_assert(XEN_EVTCHN_MAX_PORTS <= EVTCHN_2L_NR_CHANNELS, "2-level port limit");
_Static_assert(XEN_EVTCHN_MAX_PORTS <= 65536, "virq_port holds 16-bit ports");

static uint32_t max_ports(const xen_domain_t *d)
{
    uint32_t m = d->evtchn.max_ports;
    return (m == 0 || m > XEN_EVTCHN_MAX_PORTS) ? XEN_EVTCHN_DEFAULT_PORTS : m;
}

/* Xen's port_is_valid: inside the domain's port space (any state). */
static bool port_valid(const xen_domain_t *d, evtchn_port_t port)
{
    return port < max_ports(d);
}

static uint8_t *shared_info(xen_domain_t *d)
{
    if (d->shared_info_gpa == XEN_GPA_NONE)
        return NULL;
    return xen_gpa_ptr(d, d->shared_info_gpa, sizeof(struct shared_info));
}

static uint8_t *vcpu_info(xen_vcpu_t *v)
{
    uint64_t gpa = xen_vcpu_info_gpa(v);
    return gpa == XEN_GPA_NONE ? NULL : xen_gpa_ptr(v->dom, gpa, sizeof(struct vcpu_info));
}

/* Global VIRQs are bound on vCPU 0 only (public/xen.h: the "G" VIRQs;
 * per-vCPU are TIMER, DEBUG, XENOPROF, XENPMU). */
static bool virq_is_global(uint32_t virq)
{
    switch (virq) {
    case VIRQ_TIMER: case VIRQ_DEBUG: case VIRQ_XENOPROF: case VIRQ_XENPMU:
        return false;
    default:
        return true;
    }
}

bool xen_evtchn_mark_upcall(xen_vcpu_t *v)
{
    uint8_t *vi = vcpu_info(v);
    if (!vi)
        return false;
    /* vcpu_mark_events_pending: test-and-set evtchn_upcall_pending. */
    if (__atomic_exchange_n(vi + offsetof(struct vcpu_info, evtchn_upcall_pending),
                            (uint8_t)1, __ATOMIC_SEQ_CST))
        return false;
    xen_domain_t *d = v->dom;
    d->evtchn.upcall_due[v->id / 64] |= 1ull << (v->id % 64);
    if (d->evtchn.upcall)
        d->evtchn.upcall(d->evtchn.upcall_ctx, v);
    return true;
}

bool xen_evtchn_take_upcall(xen_vcpu_t *v)
{
    uint64_t *w = &v->dom->evtchn.upcall_due[v->id / 64];
    uint64_t b = 1ull << (v->id % 64);
    bool due = *w & b;
    *w &= ~b;
    return due;
}

bool xen_evtchn_upcall_pending(xen_vcpu_t *v)
{
    uint8_t *vi = vcpu_info(v);
    return vi && __atomic_load_n(vi + offsetof(struct vcpu_info, evtchn_upcall_pending),
                                 __ATOMIC_SEQ_CST);
}

/* 2-level set_pending (Xen's order): pending bit, then mask, then the
 * selector bit on the notify vCPU, then upcall_pending. */
static bool l2_set_pending(xen_domain_t *d, evtchn_port_t port, uint32_t *vcpu)
{
    uint8_t *si = shared_info(d);
    xen_vcpu_t *v = xen_domain_vcpu(d, d->evtchn.port[port].vcpu);
    if (!si || !v)
        return false;
    uint32_t word = port / 64;
    uint64_t bit = 1ull << (port % 64);
    uint8_t *pend = si + offsetof(struct shared_info, evtchn_pending) + word * 8;
    uint8_t *mask = si + offsetof(struct shared_info, evtchn_mask) + word * 8;
    if (xen_evtchn_rmw64(pend, bit, 0) & bit)
        return false;
    if (xen_evtchn_rmw64(mask, 0, 0) & bit)
        return false;
    uint8_t *vi = vcpu_info(v);
    if (!vi)
        return false;
    uint64_t sel = 1ull << word;
    if (xen_evtchn_rmw64(vi + offsetof(struct vcpu_info, evtchn_pending_sel), sel, 0) & sel)
        return false;
    *vcpu = v->id;
    return xen_evtchn_mark_upcall(v);
}

static void l2_clear_pending(xen_domain_t *d, evtchn_port_t port)
{
    uint8_t *si = shared_info(d);
    if (si)
        xen_evtchn_rmw64(si + offsetof(struct shared_info, evtchn_pending) + (port / 64) * 8,
                         0, 1ull << (port % 64));
}

/* EVTCHNOP_unmask, 2-level: test-and-clear mask; if it was set and the port
 * is pending, test-and-set the selector and raise the upcall. */
static bool l2_unmask(xen_domain_t *d, evtchn_port_t port, uint32_t *vcpu)
{
    uint8_t *si = shared_info(d);
    xen_vcpu_t *v = xen_domain_vcpu(d, d->evtchn.port[port].vcpu);
    if (!si || !v)
        return false;
    uint32_t word = port / 64;
    uint64_t bit = 1ull << (port % 64);
    uint8_t *pend = si + offsetof(struct shared_info, evtchn_pending) + word * 8;
    uint8_t *mask = si + offsetof(struct shared_info, evtchn_mask) + word * 8;
    if (!(xen_evtchn_rmw64(mask, 0, bit) & bit))
        return false;
    if (!(xen_evtchn_rmw64(pend, 0, 0) & bit))
        return false;
    uint8_t *vi = vcpu_info(v);
    uint64_t sel = 1ull << word;
    if (!vi || (xen_evtchn_rmw64(vi + offsetof(struct vcpu_info, evtchn_pending_sel), sel, 0) & sel))
        return false;
    *vcpu = v->id;
    return xen_evtchn_mark_upcall(v);
}

/* Sets a bound port pending; vCPU id with a new upcall, or -1. */
static int set_pending(xen_domain_t *d, evtchn_port_t port)
{
    if (d->evtchn.pending) {
        xen_vcpu_t *pv = xen_domain_vcpu(d, d->evtchn.port[port].vcpu);
        if (pv)
            d->evtchn.pending(d->evtchn.pending_ctx, pv, port);
    }
    uint32_t vcpu = 0;
    bool due = d->evtchn.fifo ? xen_evtchn_fifo_set_pending(d, port, &vcpu)
                              : l2_set_pending(d, port, &vcpu);
    return due ? (int)vcpu : -1;
}

int xen_evtchn_raise(xen_domain_t *d, evtchn_port_t port)
{
    if (!d || !port_valid(d, port))
        return -1;
    switch (d->evtchn.port[port].state) {
    case EVTCHNSTAT_interdomain: case EVTCHNSTAT_virq:
    case EVTCHNSTAT_ipi: case EVTCHNSTAT_pirq:
        return set_pending(d, port);
    default:
        return -1;
    }
}

int xen_evtchn_raise_virq(xen_domain_t *d, uint32_t vcpu, uint32_t virq)
{
    if (!d || virq >= NR_VIRQS)
        return -1;
    if (virq_is_global(virq))
        vcpu = 0;
    if (vcpu >= d->nr_vcpus)
        return -1;
    evtchn_port_t port = d->evtchn.virq_port[vcpu][virq];
    return port ? xen_evtchn_raise(d, port) : -1;
}

bool xen_evtchn_port_pending(xen_domain_t *d, evtchn_port_t port)
{
    if (!d || !port_valid(d, port))
        return false;
    if (d->evtchn.fifo) {
        uint32_t *w = xen_evtchn_fifo_word(d, port);
        return w ? (xen_evtchn_rmw32(w, 0, 0) >> EVTCHN_FIFO_PENDING) & 1
                 : d->evtchn.port[port].fifo_pending;
    }
    uint8_t *si = shared_info(d);
    return si && ((xen_evtchn_rmw64(si + offsetof(struct shared_info, evtchn_pending) +
                                    (port / 64) * 8, 0, 0) >> (port % 64)) & 1);
}

/* Lowest free port >= 1 (port 0 is reserved), or -ENOSPC. */
static long get_free_port(xen_domain_t *d)
{
    uint32_t m = max_ports(d);
    for (uint32_t p = 1; p < m; p++) {
        if (d->evtchn.port[p].state == EVTCHNSTAT_closed) {
            xen_evtchn_port_t *c = &d->evtchn.port[p];
            memset(c, 0, sizeof(*c));
            c->priority = EVTCHN_FIFO_PRIORITY_DEFAULT;
            return p;
        }
    }
    return -XEN_ENOSPC;
}

static void free_port(xen_domain_t *d, evtchn_port_t port)
{
    if (d->evtchn.fifo)
        xen_evtchn_fifo_clear(d, port);
    else
        l2_clear_pending(d, port);
    memset(&d->evtchn.port[port], 0, sizeof(d->evtchn.port[port]));
}

/* DOMID_SELF or our own id is this domain; domain 0 exists but a domU may
 * not act on it (XSM: -EPERM); any other id does not exist (-ESRCH). */
static long check_self(const xen_domain_t *d, domid_t dom)
{
    if (dom == DOMID_SELF || dom == d->domid)
        return 0;
    return dom == XEN_BACKEND_DOMID ? -XEN_EPERM : -XEN_ESRCH;
}

static long evtchn_close(xen_domain_t *d, evtchn_port_t port)
{
    if (!port_valid(d, port))
        return -XEN_EINVAL;
    xen_evtchn_port_t *c = &d->evtchn.port[port];
    switch (c->state) {
    case EVTCHNSTAT_closed:
        return -XEN_EINVAL;        /* free or reserved (port 0) */
    case EVTCHNSTAT_virq:
        if (c->vcpu < XEN_MAX_VCPUS && c->u < NR_VIRQS &&
            d->evtchn.virq_port[c->vcpu][c->u] == port)
            d->evtchn.virq_port[c->vcpu][c->u] = 0;
        break;
    case EVTCHNSTAT_interdomain:
        /* The far end goes back to unbound, accepting us again. */
        if (c->remote_dom == XEN_BACKEND_DOMID) {
            if (c->u < XEN_EVTCHN_BACKEND_PORTS) {
                xen_evtchn_backend_port_t *b = &d->evtchn.backend[c->u];
                b->state = EVTCHNSTAT_unbound;
                b->guest_port = 0;
            }
        } else if (port_valid(d, c->u) && c->u != port) {
            xen_evtchn_port_t *r = &d->evtchn.port[c->u];
            r->state = EVTCHNSTAT_unbound;
            r->remote_dom = d->domid;
            r->u = 0;
        }
        break;
    default:
        break;
    }
    free_port(d, port);
    return 0;
}

static void evtchn_reset(xen_domain_t *d)
{
    uint32_t m = max_ports(d);
    for (uint32_t p = 1; p < m; p++)
        if (d->evtchn.port[p].state != EVTCHNSTAT_closed)
            evtchn_close(d, p);
    /* Back to the 2-level ABI (Xen's evtchn_fifo_destroy). */
    d->evtchn.fifo = false;
    d->evtchn.fifo_pages = 0;
    memset(d->evtchn.fifo_vcpu, 0, sizeof(d->evtchn.fifo_vcpu));
    memset(d->evtchn.fifo_array_gpa, 0, sizeof(d->evtchn.fifo_array_gpa));
}

static long op_alloc_unbound(xen_vcpu_t *v, uint64_t arg)
{
    xen_domain_t *d = v->dom;
    struct evtchn_alloc_unbound op;
    if (xen_copy_from_guest(v, &op, arg, sizeof(op)))
        return -XEN_EFAULT;
    long rc = check_self(d, op.dom);
    if (rc)
        return rc;
    long port = get_free_port(d);
    if (port < 0)
        return port;
    xen_evtchn_port_t *c = &d->evtchn.port[port];
    c->state = EVTCHNSTAT_unbound;
    c->remote_dom = op.remote_dom == DOMID_SELF ? d->domid : op.remote_dom;
    op.port = (evtchn_port_t)port;
    return xen_copy_to_guest(v, arg, &op, sizeof(op)) ? -XEN_EFAULT : 0;
}

static long op_bind_interdomain(xen_vcpu_t *v, uint64_t arg)
{
    xen_domain_t *d = v->dom;
    struct evtchn_bind_interdomain op;
    if (xen_copy_from_guest(v, &op, arg, sizeof(op)))
        return -XEN_EFAULT;
    domid_t rdom = op.remote_dom == DOMID_SELF ? d->domid : op.remote_dom;
    if (rdom != d->domid && rdom != XEN_BACKEND_DOMID)
        return -XEN_ESRCH;
    long lport = get_free_port(d);
    if (lport < 0)
        return lport;
    evtchn_port_t rport = op.remote_port;
    xen_evtchn_port_t *l = &d->evtchn.port[lport];
    if (rdom == XEN_BACKEND_DOMID) {
        xen_evtchn_backend_port_t *b = rport < XEN_EVTCHN_BACKEND_PORTS && rport != 0
                                     ? &d->evtchn.backend[rport] : NULL;
        if (!b || b->state != EVTCHNSTAT_unbound)
            return -XEN_EINVAL;   /* lport stays free: state never set */
        b->state = EVTCHNSTAT_interdomain;
        b->guest_port = (evtchn_port_t)lport;
    } else {
        xen_evtchn_port_t *r = port_valid(d, rport) ? &d->evtchn.port[rport] : NULL;
        if (!r || r->state != EVTCHNSTAT_unbound || r->remote_dom != d->domid)
            return -XEN_EINVAL;
        r->state = EVTCHNSTAT_interdomain;
        r->remote_dom = d->domid;
        r->u = (uint32_t)lport;
    }
    l->state = EVTCHNSTAT_interdomain;
    l->remote_dom = rdom;
    l->u = rport;
    /* Xen conservatively notifies the new local port: a send on the
     * unbound remote end may have been lost. */
    set_pending(d, (evtchn_port_t)lport);
    op.local_port = (evtchn_port_t)lport;
    return xen_copy_to_guest(v, arg, &op, sizeof(op)) ? -XEN_EFAULT : 0;
}

static long op_bind_virq(xen_vcpu_t *v, uint64_t arg)
{
    xen_domain_t *d = v->dom;
    struct evtchn_bind_virq op;
    if (xen_copy_from_guest(v, &op, arg, sizeof(op)))
        return -XEN_EFAULT;
    if (op.virq >= NR_VIRQS)
        return -XEN_EINVAL;
    if (virq_is_global(op.virq) && op.vcpu != 0)
        return -XEN_EINVAL;
    if (op.vcpu >= d->nr_vcpus)
        return -XEN_ENOENT;
    if (d->evtchn.virq_port[op.vcpu][op.virq])
        return -XEN_EEXIST;
    long port = get_free_port(d);
    if (port < 0)
        return port;
    xen_evtchn_port_t *c = &d->evtchn.port[port];
    c->state = EVTCHNSTAT_virq;
    c->vcpu = op.vcpu;
    c->u = op.virq;
    d->evtchn.virq_port[op.vcpu][op.virq] = (uint16_t)port;
    op.port = (evtchn_port_t)port;
    return xen_copy_to_guest(v, arg, &op, sizeof(op)) ? -XEN_EFAULT : 0;
}

static long op_bind_ipi(xen_vcpu_t *v, uint64_t arg)
{
    xen_domain_t *d = v->dom;
    struct evtchn_bind_ipi op;
    if (xen_copy_from_guest(v, &op, arg, sizeof(op)))
        return -XEN_EFAULT;
    if (op.vcpu >= d->nr_vcpus)
        return -XEN_ENOENT;
    long port = get_free_port(d);
    if (port < 0)
        return port;
    xen_evtchn_port_t *c = &d->evtchn.port[port];
    c->state = EVTCHNSTAT_ipi;
    c->vcpu = op.vcpu;
    op.port = (evtchn_port_t)port;
    return xen_copy_to_guest(v, arg, &op, sizeof(op)) ? -XEN_EFAULT : 0;
}

static long op_send(xen_vcpu_t *v, uint64_t arg)
{
    xen_domain_t *d = v->dom;
    struct evtchn_send op;
    if (xen_copy_from_guest(v, &op, arg, sizeof(op)))
        return -XEN_EFAULT;
    if (!port_valid(d, op.port))
        return -XEN_EINVAL;
    xen_evtchn_port_t *c = &d->evtchn.port[op.port];
    switch (c->state) {
    case EVTCHNSTAT_interdomain:
        if (c->remote_dom == XEN_BACKEND_DOMID) {
            if (c->u < XEN_EVTCHN_BACKEND_PORTS) {
                xen_evtchn_backend_port_t *b = &d->evtchn.backend[c->u];
                b->notified++;
                if (b->fn)
                    b->fn(b->ctx, c->u);
            }
        } else {
            set_pending(d, c->u);
        }
        return 0;
    case EVTCHNSTAT_ipi:
        set_pending(d, op.port);
        return 0;
    case EVTCHNSTAT_unbound:
        return 0;                  /* silently dropped, as Xen does */
    default:
        return -XEN_EINVAL;
    }
}

static long op_close(xen_vcpu_t *v, uint64_t arg)
{
    struct evtchn_close op;
    if (xen_copy_from_guest(v, &op, arg, sizeof(op)))
        return -XEN_EFAULT;
    return evtchn_close(v->dom, op.port);
}

static long op_status(xen_vcpu_t *v, uint64_t arg)
{
    xen_domain_t *d = v->dom;
    struct evtchn_status op;
    if (xen_copy_from_guest(v, &op, arg, sizeof(op)))
        return -XEN_EFAULT;
    long rc = check_self(d, op.dom);
    if (rc)
        return rc;
    if (!port_valid(d, op.port))
        return -XEN_EINVAL;
    xen_evtchn_port_t *c = &d->evtchn.port[op.port];
    memset(&op.u, 0, sizeof(op.u));
    op.status = c->state;
    op.vcpu = c->vcpu;
    switch (c->state) {
    case EVTCHNSTAT_unbound:
        op.u.unbound.dom = c->remote_dom;
        break;
    case EVTCHNSTAT_interdomain:
        op.u.interdomain.dom = c->remote_dom;
        op.u.interdomain.port = c->u;
        break;
    case EVTCHNSTAT_virq:
        op.u.virq = c->u;
        break;
    case EVTCHNSTAT_pirq:
        op.u.pirq = c->u;
        break;
    default:
        break;
    }
    return xen_copy_to_guest(v, arg, &op, sizeof(op)) ? -XEN_EFAULT : 0;
}

static long op_bind_vcpu(xen_vcpu_t *v, uint64_t arg)
{
    xen_domain_t *d = v->dom;
    struct evtchn_bind_vcpu op;
    if (xen_copy_from_guest(v, &op, arg, sizeof(op)))
        return -XEN_EFAULT;
    if (op.vcpu >= d->nr_vcpus)
        return -XEN_ENOENT;
    if (!port_valid(d, op.port))
        return -XEN_EINVAL;
    xen_evtchn_port_t *c = &d->evtchn.port[op.port];
    switch (c->state) {
    case EVTCHNSTAT_virq:
        if (!virq_is_global(c->u))
            return -XEN_EINVAL;   /* per-vCPU VIRQs stay where bound */
        c->vcpu = op.vcpu;
        return 0;
    case EVTCHNSTAT_unbound: case EVTCHNSTAT_interdomain: case EVTCHNSTAT_pirq:
        c->vcpu = op.vcpu;
        return 0;
    default:
        return -XEN_EINVAL;
    }
}

static long op_unmask(xen_vcpu_t *v, uint64_t arg)
{
    xen_domain_t *d = v->dom;
    struct evtchn_unmask op;
    if (xen_copy_from_guest(v, &op, arg, sizeof(op)))
        return -XEN_EFAULT;
    if (!port_valid(d, op.port))
        return -XEN_EINVAL;
    uint32_t vcpu = 0;
    if (d->evtchn.fifo)
        xen_evtchn_fifo_unmask(d, op.port, &vcpu);
    else
        l2_unmask(d, op.port, &vcpu);
    return 0;
}

static long op_reset(xen_vcpu_t *v, uint64_t arg)
{
    struct evtchn_reset op;
    if (xen_copy_from_guest(v, &op, arg, sizeof(op)))
        return -XEN_EFAULT;
    long rc = check_self(v->dom, op.dom);
    if (rc)
        return rc;
    evtchn_reset(v->dom);
    return 0;
}

static long op_init_control(xen_vcpu_t *v, uint64_t arg)
{
    struct evtchn_init_control op;
    if (xen_copy_from_guest(v, &op, arg, sizeof(op)))
        return -XEN_EFAULT;
    int rc = xen_evtchn_fifo_init_control(v, &op);
    if (rc)
        return rc;
    return xen_copy_to_guest(v, arg, &op, sizeof(op)) ? -XEN_EFAULT : 0;
}

static long op_expand_array(xen_vcpu_t *v, uint64_t arg)
{
    struct evtchn_expand_array op;
    if (xen_copy_from_guest(v, &op, arg, sizeof(op)))
        return -XEN_EFAULT;
    return xen_evtchn_fifo_expand_array(v->dom, op.array_gfn);
}

static long op_set_priority(xen_vcpu_t *v, uint64_t arg)
{
    xen_domain_t *d = v->dom;
    struct evtchn_set_priority op;
    if (xen_copy_from_guest(v, &op, arg, sizeof(op)))
        return -XEN_EFAULT;
    if (!port_valid(d, op.port))
        return -XEN_EINVAL;
    if (!d->evtchn.fifo)
        return -XEN_ENOSYS;       /* the 2-level ABI has no priorities */
    if (op.priority > EVTCHN_FIFO_PRIORITY_MIN)
        return -XEN_EINVAL;
    d->evtchn.port[op.port].priority = (uint8_t)op.priority;
    return 0;
}

long xen_hc_event_channel_op(xen_vcpu_t *v, const uint64_t args[6])
{
    uint64_t arg = args[1];
    switch ((uint32_t)args[0]) {
    case EVTCHNOP_alloc_unbound:    return op_alloc_unbound(v, arg);
    case EVTCHNOP_bind_interdomain: return op_bind_interdomain(v, arg);
    case EVTCHNOP_bind_virq:        return op_bind_virq(v, arg);
    case EVTCHNOP_bind_ipi:         return op_bind_ipi(v, arg);
    case EVTCHNOP_bind_vcpu:        return op_bind_vcpu(v, arg);
    case EVTCHNOP_send:             return op_send(v, arg);
    case EVTCHNOP_close:            return op_close(v, arg);
    case EVTCHNOP_status:           return op_status(v, arg);
    case EVTCHNOP_unmask:           return op_unmask(v, arg);
    case EVTCHNOP_reset:
    case EVTCHNOP_reset_cont:       return op_reset(v, arg);
    case EVTCHNOP_init_control:     return op_init_control(v, arg);
    case EVTCHNOP_expand_array:     return op_expand_array(v, arg);
    case EVTCHNOP_set_priority:     return op_set_priority(v, arg);
    case EVTCHNOP_bind_pirq: {
        /* A PVH domU has no physical IRQs: every pirq is out of range. */
        struct evtchn_bind_pirq op;
        if (xen_copy_from_guest(v, &op, arg, sizeof(op)))
            return -XEN_EFAULT;
        return -XEN_EINVAL;
    }
    default:
        return -XEN_ENOSYS;
    }
}

/* ---- backend side (domain 0) ---- */

static xen_evtchn_backend_port_t *backend_port(xen_domain_t *d, evtchn_port_t bport)
{
    return (d && bport != 0 && bport < XEN_EVTCHN_BACKEND_PORTS) ? &d->evtchn.backend[bport]
                                                                 : NULL;
}

int xen_evtchn_backend_alloc(xen_domain_t *d, evtchn_port_t *bport)
{
    for (uint32_t p = 1; p < XEN_EVTCHN_BACKEND_PORTS; p++) {
        xen_evtchn_backend_port_t *b = &d->evtchn.backend[p];
        if (b->state == EVTCHNSTAT_closed) {
            memset(b, 0, sizeof(*b));
            b->state = EVTCHNSTAT_unbound;
            *bport = p;
            return 0;
        }
    }
    return -XEN_ENOSPC;
}

int xen_evtchn_backend_connect(xen_domain_t *d, evtchn_port_t guest_port, evtchn_port_t *bport)
{
    if (!port_valid(d, guest_port))
        return -XEN_EINVAL;
    xen_evtchn_port_t *c = &d->evtchn.port[guest_port];
    if (c->state != EVTCHNSTAT_unbound || c->remote_dom != XEN_BACKEND_DOMID)
        return -XEN_EINVAL;
    evtchn_port_t p;
    int rc = xen_evtchn_backend_alloc(d, &p);
    if (rc)
        return rc;
    xen_evtchn_backend_port_t *b = &d->evtchn.backend[p];
    b->state = EVTCHNSTAT_interdomain;
    b->guest_port = guest_port;
    c->state = EVTCHNSTAT_interdomain;
    c->u = p;
    *bport = p;
    return 0;
}

int xen_evtchn_backend_bind_pair(xen_domain_t *d, evtchn_port_t *bport, evtchn_port_t *guest_port)
{
    long gp = get_free_port(d);
    if (gp < 0)
        return (int)gp;
    d->evtchn.port[gp].state = EVTCHNSTAT_unbound;
    d->evtchn.port[gp].remote_dom = XEN_BACKEND_DOMID;
    int rc = xen_evtchn_backend_connect(d, (evtchn_port_t)gp, bport);
    if (rc) {
        free_port(d, (evtchn_port_t)gp);
        return rc;
    }
    *guest_port = (evtchn_port_t)gp;
    return 0;
}

void xen_evtchn_backend_set_handler(xen_domain_t *d, evtchn_port_t bport,
                                    xen_evtchn_backend_fn fn, void *ctx)
{
    xen_evtchn_backend_port_t *b = backend_port(d, bport);
    if (b) {
        b->fn = fn;
        b->ctx = ctx;
    }
}

int xen_evtchn_backend_notify(xen_domain_t *d, evtchn_port_t bport)
{
    xen_evtchn_backend_port_t *b = backend_port(d, bport);
    if (!b || b->state != EVTCHNSTAT_interdomain)
        return -1;
    return xen_evtchn_raise(d, b->guest_port);
}

uint32_t xen_evtchn_backend_take(xen_domain_t *d, evtchn_port_t bport)
{
    xen_evtchn_backend_port_t *b = backend_port(d, bport);
    if (!b)
        return 0;
    uint32_t n = b->notified;
    b->notified = 0;
    return n;
}

evtchn_port_t xen_evtchn_backend_guest_port(xen_domain_t *d, evtchn_port_t bport)
{
    xen_evtchn_backend_port_t *b = backend_port(d, bport);
    return (b && b->state == EVTCHNSTAT_interdomain) ? b->guest_port : 0;
}
