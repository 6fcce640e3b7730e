/* xen_evtchn_fifo: the FIFO event channel ABI (public/event_channel.h,
 * Xen's "FIFO-based event channel ABI" design): init_control,
 * expand_array, set_priority, queueing through LINKED/LINK and the
 * control block heads and READY bits, masking and EVTCHNOP_unmask. */
#include "xenlib.h"

#define W_PENDING (1u << EVTCHN_FIFO_PENDING)
#define W_MASKED  (1u << EVTCHN_FIFO_MASKED)
#define W_LINKED  (1u << EVTCHN_FIFO_LINKED)

static uint8_t control_page[4096] __attribute__((aligned(4096)));
static volatile uint32_t event_array[1024] __attribute__((aligned(4096)));
static volatile struct evtchn_fifo_control_block *cb;

static uint64_t gfn(const volatile void *p) { return (uint64_t)p >> 12; }

static long init_control(uint64_t control_gfn, uint32_t offset, uint32_t vcpu, uint8_t *link_bits)
{
    struct evtchn_init_control ic = { .control_gfn = control_gfn, .offset = offset, .vcpu = vcpu };
    long rc = evtchn_op(EVTCHNOP_init_control, &ic);
    if (link_bits)
        *link_bits = ic.link_bits;
    return rc;
}

static long set_priority(evtchn_port_t port, uint32_t prio)
{
    struct evtchn_set_priority sp = { .port = port, .priority = prio };
    return evtchn_op(EVTCHNOP_set_priority, &sp);
}

static evtchn_port_t bind_ipi(void)
{
    struct evtchn_bind_ipi ipi = { .vcpu = 0 };
    long rc = evtchn_op(EVTCHNOP_bind_ipi, &ipi);
    return rc ? 0 : ipi.port;
}

/* Linux's consume_one_event: take the head, clear LINKED and LINK from its
 * word (which gives the next port), clear READY when the queue empties,
 * and clear PENDING. Returns the port, or 0 for an empty queue. */
static evtchn_port_t consume(uint32_t prio)
{
    uint32_t port = cb->head[prio];
    if (!port)
        return 0;
    volatile uint32_t *w = &event_array[port];
    uint32_t old = *w, n;
    do
        n = old & ~(W_LINKED | EVTCHN_FIFO_LINK_MASK);
    while (!__atomic_compare_exchange_n(w, &old, n, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
    uint32_t next = old & EVTCHN_FIFO_LINK_MASK;
    cb->head[prio] = next;
    if (!next)
        __atomic_fetch_and(&cb->ready, ~(1u << prio), __ATOMIC_SEQ_CST);
    __atomic_fetch_and(w, ~W_PENDING, __ATOMIC_SEQ_CST);
    return port;
}

int guest_main(const void *start_info)
{
    (void)start_info;
    xen_init();
    check_rc("map shared_info", map_shared_info(), 0);
    check_rc("install the callback vector", install_upcall(0), 0);
    sti_nop_cli();

    struct evtchn_expand_array ea = { .array_gfn = gfn(event_array) };
    check_rc("expand_array before init_control -EOPNOTSUPP",
             evtchn_op(EVTCHNOP_expand_array, &ea), -XEN_EOPNOTSUPP);
    check_rc("init_control on a missing vcpu -ENOENT",
             init_control(gfn(control_page), 0, 4096, 0), -XEN_ENOENT);
    check_rc("init_control unaligned offset -EINVAL",
             init_control(gfn(control_page), 4, 0, 0), -XEN_EINVAL);
    check_rc("init_control block crossing the page -EINVAL",
             init_control(gfn(control_page), 4096 - 64, 0, 0), -XEN_EINVAL);

    uint8_t link_bits = 0;
    check_rc("init_control", init_control(gfn(control_page), 0, 0, &link_bits), 0);
    check_rc("link_bits is 17", link_bits, EVTCHN_FIFO_LINK_BITS);
    cb = (volatile struct evtchn_fifo_control_block *)control_page;
    check_rc("init_control twice -EINVAL", init_control(gfn(control_page), 0, 0, 0), -XEN_EINVAL);
    check_rc("expand_array", evtchn_op(EVTCHNOP_expand_array, &ea), 0);

    /* The console and store ports may have had events queued: drain. */
    for (int q = 0; q < EVTCHN_FIFO_MAX_QUEUES; q++)
        while (consume((uint32_t)q))
            ;
    sti_nop_cli();

    evtchn_port_t p1 = bind_ipi(), p2 = bind_ipi();
    check("bind two IPI ports", p1 && p2 && p1 != p2 && p1 < 1024 && p2 < 1024);
    check_rc("fresh port word is clear", event_array[p1], 0);

    uint64_t before = upcall_count;
    check_rc("send p1", evtchn_send_port(p1), 0);
    check("p1 word PENDING and LINKED", (event_array[p1] & (W_PENDING | W_LINKED)) == (W_PENDING | W_LINKED));
    check_rc("default queue (7) head is p1", cb->head[EVTCHN_FIFO_PRIORITY_DEFAULT], p1);
    check("READY bit 7 set", (cb->ready >> EVTCHN_FIFO_PRIORITY_DEFAULT) & 1);
    check_rc("upcall pending", vcpu0()->evtchn_upcall_pending, 1);
    check_rc("send p2", evtchn_send_port(p2), 0);
    check_rc("p1 LINK points at p2", event_array[p1] & EVTCHN_FIFO_LINK_MASK, p2);
    check("p2 word PENDING and LINKED", (event_array[p2] & (W_PENDING | W_LINKED)) == (W_PENDING | W_LINKED));
    check_rc("head still p1", cb->head[EVTCHN_FIFO_PRIORITY_DEFAULT], p1);
    check_rc("send p1 again while linked", evtchn_send_port(p1), 0);
    check_rc("re-send does not relink (LINK still p2)", event_array[p1] & EVTCHN_FIFO_LINK_MASK, p2);
    sti_nop_cli();
    check_rc("one upcall for the queue", (long)(upcall_count - before), 1);
    check_rc("consume gives p1", consume(EVTCHN_FIFO_PRIORITY_DEFAULT), p1);
    check_rc("consume gives p2", consume(EVTCHN_FIFO_PRIORITY_DEFAULT), p2);
    check_rc("queue empty", consume(EVTCHN_FIFO_PRIORITY_DEFAULT), 0);
    check("READY bit 7 cleared", !((cb->ready >> EVTCHN_FIFO_PRIORITY_DEFAULT) & 1));
    check_rc("p1 word clear after consume", event_array[p1], 0);

    /* Priorities. */
    check_rc("set_priority p2 -> 3", set_priority(p2, 3), 0);
    check_rc("set_priority 16 -EINVAL", set_priority(p2, EVTCHN_FIFO_PRIORITY_MIN + 1), -XEN_EINVAL);
    check_rc("set_priority on port 5000 -EINVAL", set_priority(5000, 3), -XEN_EINVAL);
    before = upcall_count;
    evtchn_send_port(p1);
    evtchn_send_port(p2);
    check_rc("queue 3 head is p2", cb->head[3], p2);
    check_rc("queue 7 head is p1", cb->head[EVTCHN_FIFO_PRIORITY_DEFAULT], p1);
    check_rc("READY has bits 3 and 7", cb->ready & ((1u << 3) | (1u << 7)), (1u << 3) | (1u << 7));
    check_rc("p1 not linked to p2 across queues", event_array[p1] & EVTCHN_FIFO_LINK_MASK, 0);
    sti_nop_cli();
    check("upcall for the priority queues", upcall_count > before);
    check_rc("consume queue 3 gives p2", consume(3), p2);
    check_rc("consume queue 7 gives p1", consume(EVTCHN_FIFO_PRIORITY_DEFAULT), p1);
    check_rc("READY empty", cb->ready & ((1u << 3) | (1u << 7)), 0);

    /* Masking: PENDING without LINKED; EVTCHNOP_unmask links it. */
    __atomic_fetch_or(&event_array[p1], W_MASKED, __ATOMIC_SEQ_CST);
    before = upcall_count;
    evtchn_send_port(p1);
    check("masked p1: PENDING, not LINKED",
          (event_array[p1] & (W_PENDING | W_LINKED | W_MASKED)) == (W_PENDING | W_MASKED));
    check_rc("masked p1: queue 7 empty", cb->head[EVTCHN_FIFO_PRIORITY_DEFAULT], 0);
    check_rc("masked p1: no upcall pending", vcpu0()->evtchn_upcall_pending, 0);
    check_rc("EVTCHNOP_unmask p1", evtchn_unmask_port(p1), 0);
    check("unmask cleared MASKED and linked p1",
          (event_array[p1] & (W_PENDING | W_LINKED | W_MASKED)) == (W_PENDING | W_LINKED));
    check_rc("queue 7 head is p1 after unmask", cb->head[EVTCHN_FIFO_PRIORITY_DEFAULT], p1);
    sti_nop_cli();
    check_rc("unmask delivered one upcall", (long)(upcall_count - before), 1);
    check_rc("consume gives p1", consume(EVTCHN_FIFO_PRIORITY_DEFAULT), p1);
    check_rc("unmask port 5000 -EINVAL", evtchn_unmask_port(5000), -XEN_EINVAL);

    /* Closing clears PENDING in the event word. */
    __atomic_fetch_or(&event_array[p2], W_MASKED, __ATOMIC_SEQ_CST);
    evtchn_send_port(p2);
    check_rc("close p2", evtchn_close_port(p2), 0);
    check("closed p2 no longer PENDING", !(event_array[p2] & W_PENDING));
    __atomic_fetch_and(&event_array[p2], ~W_MASKED, __ATOMIC_SEQ_CST);
    check_rc("close p1", evtchn_close_port(p1), 0);
    check_rc("close a closed port -EINVAL", evtchn_close_port(p1), -XEN_EINVAL);
    xen_finish("xen_evtchn_fifo");
}
