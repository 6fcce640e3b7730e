/* FIFO event channel ABI (public/event_channel.h: EVTCHNOP_init_control,
 * EVTCHNOP_expand_array, event words, evtchn_fifo_control_block; design in
 * Xen's docs/misc "FIFO-based event channel ABI"). Per vCPU, 16 priority
 * queues; the guest holds heads and links, the hypervisor keeps tails. */
#include <stddef.h>
#include <string.h>

#include <xenemu/evtchn.h>
#include <xenemu/xen.h>

#define W_PENDING (1u << EVTCHN_FIFO_PENDING)
#define W_MASKED  (1u << EVTCHN_FIFO_MASKED)
#define W_LINKED  (1u << EVTCHN_FIFO_LINKED)

_Static_assert(XEN_EVTCHN_MAX_PORTS <= EVTCHN_FIFO_NR_CHANNELS, "ports fit LINK");

uint32_t *xen_evtchn_fifo_word(xen_domain_t *d, evtchn_port_t port)
{
    uint32_t page = port / EVTCHN_FIFO_EVENT_WORDS_PER_PAGE;
    if (!d->evtchn.fifo || page >= d->evtchn.fifo_pages)
        return NULL;
    uint64_t gpa = d->evtchn.fifo_array_gpa[page] +
                   (uint64_t)(port % EVTCHN_FIFO_EVENT_WORDS_PER_PAGE) * sizeof(event_word_t);
    return (uint32_t *)(void *)xen_gpa_ptr(d, gpa, sizeof(event_word_t));
}

static struct evtchn_fifo_control_block *control_block(xen_domain_t *d, uint32_t vcpu)
{
    if (vcpu >= d->nr_vcpus || !d->evtchn.fifo_vcpu[vcpu].control_gpa1)
        return NULL;
    return (struct evtchn_fifo_control_block *)(void *)
        xen_gpa_ptr(d, d->evtchn.fifo_vcpu[vcpu].control_gpa1 - 1,
                    sizeof(struct evtchn_fifo_control_block));
}

/* Sets LINK of the tail word to port iff the tail is still LINKED (else
 * the guest has consumed it and the queue is empty). */
static bool set_link(uint32_t *tail_word, evtchn_port_t port)
{
    uint32_t old = __atomic_load_n(tail_word, __ATOMIC_RELAXED);
    for (;;) {
        if (!(old & W_LINKED))
            return false;
        uint32_t n = (old & ~EVTCHN_FIFO_LINK_MASK) | port;
        if (__atomic_compare_exchange_n(tail_word, &old, n, false,
                                        __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
            return true;
    }
}

bool xen_evtchn_fifo_set_pending(xen_domain_t *d, evtchn_port_t port, uint32_t *vcpu)
{
    xen_evtchn_port_t *c = &d->evtchn.port[port];
    uint32_t *w = xen_evtchn_fifo_word(d, port);
    if (!w) {
        /* No event word yet: remember it; expand_array replays it. */
        c->fifo_pending = 1;
        return false;
    }
    uint32_t old = xen_evtchn_rmw32(w, W_PENDING, 0);
    if (old & (W_MASKED | W_LINKED))
        return false;
    uint32_t vid = c->vcpu;
    uint32_t prio = c->priority > EVTCHN_FIFO_PRIORITY_MIN ? EVTCHN_FIFO_PRIORITY_DEFAULT
                                                            : c->priority;
    struct evtchn_fifo_control_block *cb = control_block(d, vid);
    if (!cb)
        return false;             /* that vCPU never called init_control */
    if (xen_evtchn_rmw32(w, W_LINKED, 0) & W_LINKED)
        return false;
    uint32_t *tail = &d->evtchn.fifo_vcpu[vid].tail[prio];
    bool linked = false;
    if (*tail && *tail != port) {
        uint32_t *tw = xen_evtchn_fifo_word(d, *tail);
        linked = tw && set_link(tw, port);
    }
    if (!linked)
        __atomic_store_n(&cb->head[prio], port, __ATOMIC_SEQ_CST);
    *tail = port;
    c->linked_vcpu = (uint16_t)vid;
    c->linked_prio = (uint8_t)prio;
    if (xen_evtchn_rmw32(&cb->ready, 1u << prio, 0) & (1u << prio))
        return false;
    *vcpu = vid;
    return xen_evtchn_mark_upcall(xen_domain_vcpu(d, vid));
}

void xen_evtchn_fifo_clear(xen_domain_t *d, evtchn_port_t port)
{
    d->evtchn.port[port].fifo_pending = 0;
    uint32_t *w = xen_evtchn_fifo_word(d, port);
    if (w)
        xen_evtchn_rmw32(w, 0, W_PENDING);
}

bool xen_evtchn_fifo_unmask(xen_domain_t *d, evtchn_port_t port, uint32_t *vcpu)
{
    uint32_t *w = xen_evtchn_fifo_word(d, port);
    if (!w)
        return false;
    uint32_t old = xen_evtchn_rmw32(w, 0, W_MASKED);
    if (!(old & W_PENDING))
        return false;
    switch (d->evtchn.port[port].state) {
    case EVTCHNSTAT_closed: case EVTCHNSTAT_unbound:
        return false;
    default:
        return xen_evtchn_fifo_set_pending(d, port, vcpu);
    }
}

int xen_evtchn_fifo_init_control(xen_vcpu_t *v, struct evtchn_init_control *op)
{
    xen_domain_t *d = v->dom;
    if (op->vcpu >= d->nr_vcpus)
        return -XEN_ENOENT;
    if ((op->offset & 7) ||
        op->offset > XEN_PAGE_SIZE - sizeof(struct evtchn_fifo_control_block))
        return -XEN_EINVAL;
    if (op->control_gfn > (XEN_GPA_NONE >> 12) - 1)
        return -XEN_EINVAL;
    xen_evtchn_fifo_vcpu_t *fv = &d->evtchn.fifo_vcpu[op->vcpu];
    if (fv->control_gpa1)
        return -XEN_EINVAL;       /* already initialised */
    uint64_t gpa = (op->control_gfn << 12) + op->offset;
    if (!xen_gpa_ptr(d, gpa, sizeof(struct evtchn_fifo_control_block)))
        return -XEN_EINVAL;
    if (!d->evtchn.fifo) {
        /* Switch ABI: 2-level pending bits carry over (Xen's setup_ports);
         * they are linked once expand_array gives them event words. */
        uint8_t *si = d->shared_info_gpa == XEN_GPA_NONE ? NULL
                    : xen_gpa_ptr(d, d->shared_info_gpa, sizeof(struct shared_info));
        for (uint32_t p = 1; p < XEN_EVTCHN_MAX_PORTS; p++) {
            xen_evtchn_port_t *c = &d->evtchn.port[p];
            c->fifo_pending = 0;
            if (c->state == EVTCHNSTAT_closed || !si)
                continue;
            uint64_t word;
            memcpy(&word, si + offsetof(struct shared_info, evtchn_pending) + (p / 64) * 8, 8);
            c->fifo_pending = (word >> (p % 64)) & 1;
        }
        d->evtchn.fifo = true;
        d->evtchn.fifo_pages = 0;
    }
    memset(fv, 0, sizeof(*fv));
    fv->control_gpa1 = gpa + 1;
    op->link_bits = EVTCHN_FIFO_LINK_BITS;
    return 0;
}

int xen_evtchn_fifo_expand_array(xen_domain_t *d, uint64_t array_gfn)
{
    if (!d->evtchn.fifo)
        return -XEN_EOPNOTSUPP;
    uint32_t slot = d->evtchn.fifo_pages;
    if (slot >= XEN_EVTCHN_FIFO_MAX_PAGES)
        return -XEN_ENOSPC;
    if (array_gfn > (XEN_GPA_NONE >> 12) - 1 ||
        !xen_gpa_ptr(d, array_gfn << 12, XEN_PAGE_SIZE))
        return -XEN_EINVAL;
    d->evtchn.fifo_array_gpa[slot] = array_gfn << 12;
    d->evtchn.fifo_pages = slot + 1;
    /* Replay events raised before their word existed. */
    uint32_t first = slot * EVTCHN_FIFO_EVENT_WORDS_PER_PAGE;
    for (uint32_t i = 0; i < EVTCHN_FIFO_EVENT_WORDS_PER_PAGE; i++) {
        uint32_t p = first + i;
        if (p >= XEN_EVTCHN_MAX_PORTS)
            break;
        xen_evtchn_port_t *c = &d->evtchn.port[p];
        if (c->fifo_pending && c->state != EVTCHNSTAT_closed) {
            uint32_t vcpu;
            c->fifo_pending = 0;
            xen_evtchn_fifo_set_pending(d, p, &vcpu);
        }
    }
    return 0;
}
