/* event_channel_op hypercall (32): RDI = cmd, RSI = arg
 * (public/event_channel.h), with the FIFO ABI. */
#ifndef XEN_ABI_EVENT_CHANNEL_H
#define XEN_ABI_EVENT_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include "xen.h"

typedef uint32_t evtchn_port_t;

#define EVTCHNOP_bind_interdomain 0
#define EVTCHNOP_bind_virq        1
#define EVTCHNOP_bind_pirq        2
#define EVTCHNOP_close            3
#define EVTCHNOP_send             4
#define EVTCHNOP_status           5
#define EVTCHNOP_alloc_unbound    6
#define EVTCHNOP_bind_ipi         7
#define EVTCHNOP_bind_vcpu        8
#define EVTCHNOP_unmask           9
#define EVTCHNOP_reset            10
#define EVTCHNOP_init_control     11
#define EVTCHNOP_expand_array     12
#define EVTCHNOP_set_priority     13
#define EVTCHNOP_reset_cont       14

struct evtchn_alloc_unbound {
    domid_t dom, remote_dom;  /* IN */
    evtchn_port_t port;       /* OUT */
};

struct evtchn_bind_interdomain {
    domid_t remote_dom;       /* IN */
    uint8_t pad[2];
    evtchn_port_t remote_port;/* IN */
    evtchn_port_t local_port; /* OUT */
};

struct evtchn_bind_virq {
    uint32_t virq;            /* IN */
    uint32_t vcpu;            /* IN */
    evtchn_port_t port;       /* OUT */
};

struct evtchn_bind_pirq {
    uint32_t pirq;            /* IN */
    uint32_t flags;           /* IN: BIND_PIRQ__WILL_SHARE */
    evtchn_port_t port;       /* OUT */
};
#define BIND_PIRQ__WILL_SHARE 1

struct evtchn_bind_ipi {
    uint32_t vcpu;            /* IN */
    evtchn_port_t port;       /* OUT */
};

struct evtchn_close { evtchn_port_t port; };
struct evtchn_send { evtchn_port_t port; };
struct evtchn_unmask { evtchn_port_t port; };

#define EVTCHNSTAT_closed       0
#define EVTCHNSTAT_unbound      1
#define EVTCHNSTAT_interdomain  2
#define EVTCHNSTAT_pirq         3
#define EVTCHNSTAT_virq         4
#define EVTCHNSTAT_ipi          5

struct evtchn_status {
    domid_t dom;              /* IN */
    uint8_t pad[2];
    evtchn_port_t port;       /* IN */
    uint32_t status;          /* OUT: EVTCHNSTAT_* */
    uint32_t vcpu;            /* OUT */
    union {
        struct { domid_t dom; } unbound;
        struct { domid_t dom; evtchn_port_t port; } interdomain;
        uint32_t pirq;
        uint32_t virq;
    } u;
};

struct evtchn_bind_vcpu {
    evtchn_port_t port;
    uint32_t vcpu;
};

struct evtchn_reset {
    domid_t dom;
};

struct evtchn_init_control {
    uint64_t control_gfn;     /* IN */
    uint32_t offset;          /* IN */
    uint32_t vcpu;            /* IN */
    uint8_t link_bits;        /* OUT */
    uint8_t pad[7];
};

struct evtchn_expand_array {
    uint64_t array_gfn;
};

struct evtchn_set_priority {
    evtchn_port_t port;
    uint32_t priority;
};

/* FIFO ABI. */
#define EVTCHN_FIFO_PRIORITY_MAX     0
#define EVTCHN_FIFO_PRIORITY_DEFAULT 7
#define EVTCHN_FIFO_PRIORITY_MIN     15
#define EVTCHN_FIFO_MAX_QUEUES       (EVTCHN_FIFO_PRIORITY_MIN + 1)

typedef uint32_t event_word_t;
#define EVTCHN_FIFO_PENDING   31
#define EVTCHN_FIFO_MASKED    30
#define EVTCHN_FIFO_LINKED    29
#define EVTCHN_FIFO_BUSY      28
#define EVTCHN_FIFO_LINK_BITS 17
#define EVTCHN_FIFO_LINK_MASK ((1u << EVTCHN_FIFO_LINK_BITS) - 1)
#define EVTCHN_FIFO_NR_CHANNELS (1u << EVTCHN_FIFO_LINK_BITS)
/* Event words per event-array page. */
#define EVTCHN_FIFO_EVENT_WORDS_PER_PAGE (4096 / sizeof(event_word_t))

struct evtchn_fifo_control_block {
    uint32_t ready;                              /* bit q: queue q non-empty */
    uint32_t rsvd;
    event_word_t head[EVTCHN_FIFO_MAX_QUEUES];
};

_Static_assert(sizeof(evtchn_port_t) == 4, "evtchn_port_t");
_Static_assert(sizeof(struct evtchn_alloc_unbound) == 8, "alloc_unbound");
_Static_assert(offsetof(struct evtchn_alloc_unbound, remote_dom) == 2, "remote_dom");
_Static_assert(offsetof(struct evtchn_alloc_unbound, port) == 4, "au.port");
_Static_assert(sizeof(struct evtchn_bind_interdomain) == 12, "bind_interdomain");
_Static_assert(offsetof(struct evtchn_bind_interdomain, remote_port) == 4, "remote_port");
_Static_assert(offsetof(struct evtchn_bind_interdomain, local_port) == 8, "local_port");
_Static_assert(sizeof(struct evtchn_bind_virq) == 12, "bind_virq");
_Static_assert(offsetof(struct evtchn_bind_virq, vcpu) == 4, "bv.vcpu");
_Static_assert(offsetof(struct evtchn_bind_virq, port) == 8, "bv.port");
_Static_assert(sizeof(struct evtchn_bind_pirq) == 12, "bind_pirq");
_Static_assert(offsetof(struct evtchn_bind_pirq, port) == 8, "bp.port");
_Static_assert(sizeof(struct evtchn_bind_ipi) == 8, "bind_ipi");
_Static_assert(offsetof(struct evtchn_bind_ipi, port) == 4, "bi.port");
_Static_assert(sizeof(struct evtchn_close) == 4, "close");
_Static_assert(sizeof(struct evtchn_send) == 4, "send");
_Static_assert(sizeof(struct evtchn_unmask) == 4, "unmask");
_Static_assert(sizeof(struct evtchn_status) == 24, "status");
_Static_assert(offsetof(struct evtchn_status, port) == 4, "st.port");
_Static_assert(offsetof(struct evtchn_status, status) == 8, "st.status");
_Static_assert(offsetof(struct evtchn_status, vcpu) == 12, "st.vcpu");
_Static_assert(offsetof(struct evtchn_status, u) == 16, "st.u");
_Static_assert(offsetof(struct evtchn_status, u.interdomain.port) == 20, "st.u.port");
_Static_assert(sizeof(struct evtchn_bind_vcpu) == 8, "bind_vcpu");
_Static_assert(offsetof(struct evtchn_bind_vcpu, vcpu) == 4, "bvc.vcpu");
_Static_assert(sizeof(struct evtchn_reset) == 2, "reset");
_Static_assert(sizeof(struct evtchn_init_control) == 24, "init_control");
_Static_assert(offsetof(struct evtchn_init_control, offset) == 8, "ic.offset");
_Static_assert(offsetof(struct evtchn_init_control, vcpu) == 12, "ic.vcpu");
_Static_assert(offsetof(struct evtchn_init_control, link_bits) == 16, "link_bits");
_Static_assert(sizeof(struct evtchn_expand_array) == 8, "expand_array");
_Static_assert(sizeof(struct evtchn_set_priority) == 8, "set_priority");
_Static_assert(offsetof(struct evtchn_set_priority, priority) == 4, "priority");
_Static_assert(sizeof(struct evtchn_fifo_control_block) == 72, "fifo control block");
_Static_assert(offsetof(struct evtchn_fifo_control_block, head) == 8, "head");

#endif
