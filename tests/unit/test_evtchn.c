/* Event channels through xen_hypercall on a fake flat guest memory (GVA =
 * GPA inside 1 MiB, shared_info at 64 KiB): every EVTCHNOP, the 2-level
 * bitmaps and upcall decisions, FIFO queues, the backend API, errors. */
#include <check.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <xenemu/evtchn.h>
#include <xenemu/xen.h>

#include "xen_fake.h"

#define ARG 0x2000ull                   /* hypercall argument buffer */
#define SHINFO 0x10000ull               /* shared_info page */

static void setup(void)
{
    fake_domain_setup();
    ck_assert_int_eq(xen_domain_set_shared_info(dom, SHINFO, 0), 0);
}

static void teardown(void)
{
    fake_domain_teardown();
}

/* Copies *op to ARG, issues the hypercall, copies the result back. */
static long hc_op(uint64_t nr, uint64_t cmd, void *op, size_t len, uint64_t count)
{
    if (op)
        memcpy(mem + ARG, op, len);
    const uint64_t args[6] = { cmd, op ? ARG : BAD_GVA, count, 0, 0, 0 };
    long rc = xen_hypercall(v0, nr, args);
    if (op)
        memcpy(op, mem + ARG, len);
    return rc;
}

static long ev(uint64_t cmd, void *op, size_t len)
{
    return hc_op(__HYPERVISOR_event_channel_op, cmd, op, len, 0);
}

static long ev_bad(uint64_t cmd)
{
    return hc_op(__HYPERVISOR_event_channel_op, cmd, NULL, 0, 0);
}

static uint64_t pending_word(uint32_t w)
{
    uint64_t x;
    memcpy(&x, mem + SHINFO + offsetof(struct shared_info, evtchn_pending) + w * 8, 8);
    return x;
}

static bool port_pending(uint32_t p) { return (pending_word(p / 64) >> (p % 64)) & 1; }

static void set_mask(uint32_t p, bool on)
{
    uint8_t *m = mem + SHINFO + offsetof(struct shared_info, evtchn_mask) + (p / 64) * 8;
    uint64_t x;
    memcpy(&x, m, 8);
    x = on ? x | (1ull << (p % 64)) : x & ~(1ull << (p % 64));
    memcpy(m, &x, 8);
}

static struct vcpu_info *vi(uint32_t id)
{
    return (struct vcpu_info *)(void *)(mem + SHINFO + id * sizeof(struct vcpu_info));
}

static uint32_t bind_ipi(uint32_t vcpu)
{
    struct evtchn_bind_ipi op = { .vcpu = vcpu };
    ck_assert_int_eq(ev(EVTCHNOP_bind_ipi, &op, sizeof(op)), 0);
    return op.port;
}

static uint32_t bind_virq(uint32_t virq, uint32_t vcpu)
{
    struct evtchn_bind_virq op = { .virq = virq, .vcpu = vcpu };
    ck_assert_int_eq(ev(EVTCHNOP_bind_virq, &op, sizeof(op)), 0);
    return op.port;
}

static struct evtchn_status status(uint32_t port)
{
    struct evtchn_status st = { .dom = DOMID_SELF, .port = port };
    ck_assert_int_eq(ev(EVTCHNOP_status, &st, sizeof(st)), 0);
    return st;
}

static long send(uint32_t port)
{
    struct evtchn_send op = { .port = port };
    return ev(EVTCHNOP_send, &op, sizeof(op));
}

static long close_port(uint32_t port)
{
    struct evtchn_close op = { .port = port };
    return ev(EVTCHNOP_close, &op, sizeof(op));
}

static long unmask(uint32_t port)
{
    struct evtchn_unmask op = { .port = port };
    return ev(EVTCHNOP_unmask, &op, sizeof(op));
}

/* ---- 2-level ---- */

START_TEST(wired_and_unknown)
{
    ck_assert_str_eq(xen_hypercall_name(__HYPERVISOR_event_channel_op), "event_channel_op");
    uint32_t dummy[4] = { 0 };
    ck_assert_int_eq(ev(99, dummy, sizeof(dummy)), -XEN_ENOSYS);
    ck_assert_int_eq(ev(EVTCHNOP_bind_pirq, dummy, sizeof(dummy)), -XEN_EINVAL);
    struct evtchn_set_priority sp = { .port = 1, .priority = 0 };
    ck_assert_int_eq(ev(EVTCHNOP_set_priority, &sp, sizeof(sp)), -XEN_ENOSYS);
    struct evtchn_expand_array ea = { .array_gfn = 0x20 };
    ck_assert_int_eq(ev(EVTCHNOP_expand_array, &ea, sizeof(ea)), -XEN_EOPNOTSUPP);
}
END_TEST

START_TEST(bad_pointers_efault)
{
    for (uint64_t cmd = 0; cmd <= EVTCHNOP_reset_cont; cmd++)
        ck_assert_int_eq(ev_bad(cmd), -XEN_EFAULT);
    /* Out-parameter write fails: the straddling struct cannot be read. */
    const uint64_t args[6] = { EVTCHNOP_bind_ipi, MEM_SIZE - 4, 0, 0, 0, 0 };
    ck_assert_int_eq(xen_hypercall(v0, __HYPERVISOR_event_channel_op, args), -XEN_EFAULT);
}
END_TEST

START_TEST(alloc_unbound_and_status)
{
    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = 0 };
    ck_assert_int_eq(ev(EVTCHNOP_alloc_unbound, &au, sizeof(au)), 0);
    ck_assert_uint_eq(au.port, 1);          /* port 0 is reserved */
    struct evtchn_status st = status(1);
    ck_assert_uint_eq(st.status, EVTCHNSTAT_unbound);
    ck_assert_uint_eq(st.u.unbound.dom, 0);
    ck_assert_uint_eq(status(0).status, EVTCHNSTAT_closed);
    ck_assert_uint_eq(status(2).status, EVTCHNSTAT_closed);
    au = (struct evtchn_alloc_unbound){ .dom = 1, .remote_dom = DOMID_SELF };
    ck_assert_int_eq(ev(EVTCHNOP_alloc_unbound, &au, sizeof(au)), 0);
    ck_assert_uint_eq(au.port, 2);
    ck_assert_uint_eq(status(2).u.unbound.dom, 1);
    /* Another domain: 0 exists but is not ours (EPERM), 9 does not exist. */
    au = (struct evtchn_alloc_unbound){ .dom = 0, .remote_dom = 0 };
    ck_assert_int_eq(ev(EVTCHNOP_alloc_unbound, &au, sizeof(au)), -XEN_EPERM);
    au.dom = 9;
    ck_assert_int_eq(ev(EVTCHNOP_alloc_unbound, &au, sizeof(au)), -XEN_ESRCH);
    st = (struct evtchn_status){ .dom = 0, .port = 1 };
    ck_assert_int_eq(ev(EVTCHNOP_status, &st, sizeof(st)), -XEN_EPERM);
    st = (struct evtchn_status){ .dom = DOMID_SELF, .port = 1024 };
    ck_assert_int_eq(ev(EVTCHNOP_status, &st, sizeof(st)), -XEN_EINVAL);
    st.port = ~0u;
    ck_assert_int_eq(ev(EVTCHNOP_status, &st, sizeof(st)), -XEN_EINVAL);
}
END_TEST

START_TEST(bind_virq_rules)
{
    uint32_t t0 = bind_virq(VIRQ_TIMER, 0);
    uint32_t t1 = bind_virq(VIRQ_TIMER, 1);
    ck_assert_uint_ne(t0, t1);
    struct evtchn_bind_virq op = { .virq = VIRQ_TIMER, .vcpu = 0 };
    ck_assert_int_eq(ev(EVTCHNOP_bind_virq, &op, sizeof(op)), -XEN_EEXIST);
    op = (struct evtchn_bind_virq){ .virq = NR_VIRQS, .vcpu = 0 };
    ck_assert_int_eq(ev(EVTCHNOP_bind_virq, &op, sizeof(op)), -XEN_EINVAL);
    op = (struct evtchn_bind_virq){ .virq = ~0u, .vcpu = 0 };
    ck_assert_int_eq(ev(EVTCHNOP_bind_virq, &op, sizeof(op)), -XEN_EINVAL);
    /* Global VIRQs only on vCPU 0. */
    op = (struct evtchn_bind_virq){ .virq = VIRQ_CONSOLE, .vcpu = 1 };
    ck_assert_int_eq(ev(EVTCHNOP_bind_virq, &op, sizeof(op)), -XEN_EINVAL);
    op = (struct evtchn_bind_virq){ .virq = VIRQ_DEBUG, .vcpu = 2 };
    ck_assert_int_eq(ev(EVTCHNOP_bind_virq, &op, sizeof(op)), -XEN_ENOENT);
    op = (struct evtchn_bind_virq){ .virq = VIRQ_DEBUG, .vcpu = ~0u };
    ck_assert_int_eq(ev(EVTCHNOP_bind_virq, &op, sizeof(op)), -XEN_ENOENT);
    uint32_t dbg = bind_virq(VIRQ_DEBUG, 0);
    uint32_t con = bind_virq(VIRQ_CONSOLE, 0);
    struct evtchn_status st = status(t1);
    ck_assert_uint_eq(st.status, EVTCHNSTAT_virq);
    ck_assert_uint_eq(st.vcpu, 1);
    ck_assert_uint_eq(st.u.virq, VIRQ_TIMER);
    ck_assert_uint_eq(status(dbg).u.virq, VIRQ_DEBUG);
    /* Closing frees the VIRQ for a new binding. */
    ck_assert_int_eq(close_port(t0), 0);
    ck_assert_uint_eq(bind_virq(VIRQ_TIMER, 0), t0);
    ck_assert_uint_eq(status(con).u.virq, VIRQ_CONSOLE);
}
END_TEST

START_TEST(raise_sets_bits_in_xen_order)
{
    uint32_t t0 = bind_virq(VIRQ_TIMER, 0);
    uint32_t t1 = bind_virq(VIRQ_TIMER, 1);
    ck_assert_int_eq(xen_evtchn_raise_virq(dom, 0, VIRQ_TIMER), 0);
    ck_assert(port_pending(t0));
    ck_assert_uint_eq(vi(0)->evtchn_pending_sel, 1ull << (t0 / 64));
    ck_assert_uint_eq(vi(0)->evtchn_upcall_pending, 1);
    ck_assert(xen_evtchn_take_upcall(v0));
    ck_assert(!xen_evtchn_take_upcall(v0));
    ck_assert(xen_evtchn_upcall_pending(v0));
    /* Already pending: nothing new. */
    ck_assert_int_eq(xen_evtchn_raise_virq(dom, 0, VIRQ_TIMER), -1);
    /* The other vCPU's selector and flag. */
    ck_assert_int_eq(xen_evtchn_raise_virq(dom, 1, VIRQ_TIMER), 1);
    ck_assert_uint_eq(vi(1)->evtchn_upcall_pending, 1);
    ck_assert(port_pending(t1));
    /* Guest consumed the upcall but not the selector: a second port in
     * the same word sets pending only. */
    vi(0)->evtchn_upcall_pending = 0;
    uint32_t ipi = bind_ipi(0);
    ck_assert_uint_eq(ipi / 64, t0 / 64);
    ck_assert_int_eq(send(ipi), 0);
    ck_assert(port_pending(ipi));
    ck_assert_uint_eq(vi(0)->evtchn_upcall_pending, 0);
    /* Selector clear, upcall clear: a new event upcalls again. */
    vi(0)->evtchn_pending_sel = 0;
    memset(mem + SHINFO + offsetof(struct shared_info, evtchn_pending), 0, 512);
    ck_assert_int_eq(xen_evtchn_raise(dom, ipi), 0);
    ck_assert_uint_eq(vi(0)->evtchn_upcall_pending, 1);
    /* Unbound VIRQs and bad vCPUs raise nothing. */
    ck_assert_int_eq(xen_evtchn_raise_virq(dom, 0, VIRQ_DEBUG), -1);
    ck_assert_int_eq(xen_evtchn_raise_virq(dom, 7, VIRQ_TIMER), -1);
    ck_assert_int_eq(xen_evtchn_raise_virq(dom, 0, 999), -1);
    ck_assert_int_eq(xen_evtchn_raise(dom, 5000), -1);
    ck_assert_int_eq(xen_evtchn_raise(dom, 900), -1);   /* closed */
}
END_TEST

static int pend_calls;
static evtchn_port_t pend_port;
static void on_pending(void *ctx, xen_vcpu_t *v, evtchn_port_t port)
{
    ck_assert_ptr_eq(ctx, &pend_calls);
    ck_assert_uint_eq(v->id, 0);
    pend_calls++;
    pend_port = port;
}

START_TEST(mask_and_unmask)
{
    uint32_t p = bind_ipi(0);
    dom->evtchn.pending = on_pending;
    dom->evtchn.pending_ctx = &pend_calls;
    set_mask(p, true);
    ck_assert(!xen_evtchn_port_pending(dom, p));
    ck_assert_int_eq(send(p), 0);
    ck_assert(port_pending(p));
    ck_assert(xen_evtchn_port_pending(dom, p));
    ck_assert(!xen_evtchn_port_pending(dom, 5000));
    ck_assert_int_eq(pend_calls, 1);          /* pollers see masked events */
    ck_assert_uint_eq(pend_port, p);
    ck_assert_uint_eq(vi(0)->evtchn_pending_sel, 0);
    ck_assert_uint_eq(vi(0)->evtchn_upcall_pending, 0);
    /* EVTCHNOP_unmask clears the mask and delivers the pending event. */
    ck_assert_int_eq(unmask(p), 0);
    uint64_t m;
    memcpy(&m, mem + SHINFO + offsetof(struct shared_info, evtchn_mask), 8);
    ck_assert_uint_eq(m & (1ull << p), 0);
    ck_assert_uint_eq(vi(0)->evtchn_pending_sel, 1);
    ck_assert_uint_eq(vi(0)->evtchn_upcall_pending, 1);
    ck_assert(xen_evtchn_take_upcall(v0));
    /* Unmask of an unmasked or not-pending port does nothing. */
    vi(0)->evtchn_upcall_pending = 0;
    vi(0)->evtchn_pending_sel = 0;
    ck_assert_int_eq(unmask(p), 0);
    ck_assert_uint_eq(vi(0)->evtchn_upcall_pending, 0);
    ck_assert_int_eq(unmask(1024), -XEN_EINVAL);
    ck_assert_int_eq(unmask(~0u), -XEN_EINVAL);
}
END_TEST

START_TEST(ipi_send_close_errors)
{
    uint32_t p = bind_ipi(1);
    struct evtchn_status st = status(p);
    ck_assert_uint_eq(st.status, EVTCHNSTAT_ipi);
    ck_assert_uint_eq(st.vcpu, 1);
    ck_assert_int_eq(send(p), 0);
    ck_assert_uint_eq(vi(1)->evtchn_upcall_pending, 1);
    ck_assert_uint_eq(vi(0)->evtchn_upcall_pending, 0);
    struct evtchn_bind_ipi bi = { .vcpu = 2 };
    ck_assert_int_eq(ev(EVTCHNOP_bind_ipi, &bi, sizeof(bi)), -XEN_ENOENT);
    ck_assert_int_eq(send(1024), -XEN_EINVAL);
    ck_assert_int_eq(send(0), -XEN_EINVAL);
    ck_assert_int_eq(send(p + 1), -XEN_EINVAL);         /* closed */
    uint32_t t = bind_virq(VIRQ_TIMER, 0);
    ck_assert_int_eq(send(t), -XEN_EINVAL);             /* VIRQs are not sent */
    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = 0 };
    ck_assert_int_eq(ev(EVTCHNOP_alloc_unbound, &au, sizeof(au)), 0);
    ck_assert_int_eq(send(au.port), 0);                 /* unbound: dropped */
    /* Close clears the pending bit and frees the port. */
    ck_assert(port_pending(p));
    ck_assert_int_eq(close_port(p), 0);
    ck_assert(!port_pending(p));
    ck_assert_uint_eq(status(p).status, EVTCHNSTAT_closed);
    ck_assert_int_eq(close_port(p), -XEN_EINVAL);
    ck_assert_int_eq(close_port(0), -XEN_EINVAL);
    ck_assert_int_eq(close_port(4096), -XEN_EINVAL);
    ck_assert_uint_eq(bind_ipi(0), p);                  /* lowest free port */
}
END_TEST

START_TEST(loopback_interdomain)
{
    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    ck_assert_int_eq(ev(EVTCHNOP_alloc_unbound, &au, sizeof(au)), 0);
    struct evtchn_bind_interdomain bi = { .remote_dom = DOMID_SELF, .remote_port = au.port };
    ck_assert_int_eq(ev(EVTCHNOP_bind_interdomain, &bi, sizeof(bi)), 0);
    uint32_t a = au.port, b = bi.local_port;
    ck_assert_uint_ne(a, b);
    /* Xen sets the new local port pending at bind. */
    ck_assert(port_pending(b));
    struct evtchn_status st = status(a);
    ck_assert_uint_eq(st.status, EVTCHNSTAT_interdomain);
    ck_assert_uint_eq(st.u.interdomain.dom, 1);
    ck_assert_uint_eq(st.u.interdomain.port, b);
    ck_assert_uint_eq(status(b).u.interdomain.port, a);
    ck_assert_int_eq(send(b), 0);
    ck_assert(port_pending(a));
    /* Binding again to a port that is no longer unbound fails. */
    ck_assert_int_eq(ev(EVTCHNOP_bind_interdomain, &bi, sizeof(bi)), -XEN_EINVAL);
    bi = (struct evtchn_bind_interdomain){ .remote_dom = DOMID_SELF, .remote_port = 3000 };
    ck_assert_int_eq(ev(EVTCHNOP_bind_interdomain, &bi, sizeof(bi)), -XEN_EINVAL);
    bi = (struct evtchn_bind_interdomain){ .remote_dom = 9, .remote_port = a };
    ck_assert_int_eq(ev(EVTCHNOP_bind_interdomain, &bi, sizeof(bi)), -XEN_ESRCH);
    /* Closing one end leaves the other unbound, accepting us again. */
    ck_assert_int_eq(close_port(b), 0);
    st = status(a);
    ck_assert_uint_eq(st.status, EVTCHNSTAT_unbound);
    ck_assert_uint_eq(st.u.unbound.dom, 1);
    bi = (struct evtchn_bind_interdomain){ .remote_dom = 1, .remote_port = a };
    ck_assert_int_eq(ev(EVTCHNOP_bind_interdomain, &bi, sizeof(bi)), 0);
    /* A port unbound for another domain cannot be bound by us. */
    au = (struct evtchn_alloc_unbound){ .dom = DOMID_SELF, .remote_dom = 0 };
    ck_assert_int_eq(ev(EVTCHNOP_alloc_unbound, &au, sizeof(au)), 0);
    bi = (struct evtchn_bind_interdomain){ .remote_dom = DOMID_SELF, .remote_port = au.port };
    ck_assert_int_eq(ev(EVTCHNOP_bind_interdomain, &bi, sizeof(bi)), -XEN_EINVAL);
}
END_TEST

static int handler_calls;
static evtchn_port_t handler_port;
static void on_send(void *ctx, evtchn_port_t bport)
{
    ck_assert_ptr_eq(ctx, &handler_calls);
    handler_calls++;
    handler_port = bport;
}

START_TEST(backend_ports)
{
    evtchn_port_t bport, gport;
    ck_assert_int_eq(xen_evtchn_backend_alloc(dom, &bport), 0);
    xen_evtchn_backend_set_handler(dom, bport, on_send, &handler_calls);
    struct evtchn_bind_interdomain bi = { .remote_dom = 0, .remote_port = bport };
    ck_assert_int_eq(ev(EVTCHNOP_bind_interdomain, &bi, sizeof(bi)), 0);
    ck_assert_uint_eq(xen_evtchn_backend_guest_port(dom, bport), bi.local_port);
    struct evtchn_status st = status(bi.local_port);
    ck_assert_uint_eq(st.status, EVTCHNSTAT_interdomain);
    ck_assert_uint_eq(st.u.interdomain.dom, 0);
    ck_assert_uint_eq(st.u.interdomain.port, bport);
    ck_assert_int_eq(send(bi.local_port), 0);
    ck_assert_int_eq(send(bi.local_port), 0);
    ck_assert_int_eq(handler_calls, 2);
    ck_assert_uint_eq(handler_port, bport);
    ck_assert_uint_eq(xen_evtchn_backend_take(dom, bport), 2);
    ck_assert_uint_eq(xen_evtchn_backend_take(dom, bport), 0);
    /* Backend -> guest. */
    vi(0)->evtchn_upcall_pending = 0;
    vi(0)->evtchn_pending_sel = 0;
    memset(mem + SHINFO + offsetof(struct shared_info, evtchn_pending), 0, 512);
    ck_assert_int_eq(xen_evtchn_backend_notify(dom, bport), 0);
    ck_assert(port_pending(bi.local_port));
    /* Second bind to the same backend port fails; bad backend ports too. */
    ck_assert_int_eq(ev(EVTCHNOP_bind_interdomain, &bi, sizeof(bi)), -XEN_EINVAL);
    bi.remote_port = XEN_EVTCHN_BACKEND_PORTS;
    ck_assert_int_eq(ev(EVTCHNOP_bind_interdomain, &bi, sizeof(bi)), -XEN_EINVAL);
    bi.remote_port = 0;
    ck_assert_int_eq(ev(EVTCHNOP_bind_interdomain, &bi, sizeof(bi)), -XEN_EINVAL);
    ck_assert_int_eq(xen_evtchn_backend_notify(dom, 0), -1);
    ck_assert_int_eq(xen_evtchn_backend_notify(dom, 999), -1);
    ck_assert_uint_eq(xen_evtchn_backend_guest_port(dom, 999), 0);
    /* Toolstack-style pair (console/xenstore ports). */
    evtchn_port_t b2;
    ck_assert_int_eq(xen_evtchn_backend_bind_pair(dom, &b2, &gport), 0);
    ck_assert_uint_eq(xen_evtchn_backend_guest_port(dom, b2), gport);
    ck_assert_uint_eq(status(gport).u.interdomain.port, b2);
    /* Guest-allocated port for domain 0, then connected by the backend. */
    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = 0 };
    ck_assert_int_eq(ev(EVTCHNOP_alloc_unbound, &au, sizeof(au)), 0);
    evtchn_port_t b3;
    ck_assert_int_eq(xen_evtchn_backend_connect(dom, au.port, &b3), 0);
    ck_assert_uint_eq(status(au.port).status, EVTCHNSTAT_interdomain);
    ck_assert_int_eq(xen_evtchn_backend_connect(dom, au.port, &b3), -XEN_EINVAL);
    ck_assert_int_eq(xen_evtchn_backend_connect(dom, 5000, &b3), -XEN_EINVAL);
    /* Guest closes: the backend port is unbound again and can be rebound. */
    ck_assert_int_eq(close_port(gport), 0);
    ck_assert_uint_eq(xen_evtchn_backend_guest_port(dom, b2), 0);
    bi = (struct evtchn_bind_interdomain){ .remote_dom = 0, .remote_port = b2 };
    ck_assert_int_eq(ev(EVTCHNOP_bind_interdomain, &bi, sizeof(bi)), 0);
}
END_TEST

START_TEST(ports_run_out)
{
    uint32_t n = 0;
    struct evtchn_bind_ipi op = { .vcpu = 0 };
    long rc;
    while ((rc = ev(EVTCHNOP_bind_ipi, &op, sizeof(op))) == 0)
        n++;
    ck_assert_int_eq(rc, -XEN_ENOSPC);
    ck_assert_uint_eq(n, XEN_EVTCHN_DEFAULT_PORTS - 1);
    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = 0 };
    ck_assert_int_eq(ev(EVTCHNOP_alloc_unbound, &au, sizeof(au)), -XEN_ENOSPC);
    struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = 0 };
    ck_assert_int_eq(ev(EVTCHNOP_bind_virq, &bv, sizeof(bv)), -XEN_ENOSPC);
    evtchn_port_t b, g;
    ck_assert_int_eq(xen_evtchn_backend_bind_pair(dom, &b, &g), -XEN_ENOSPC);
    /* The highest port works with the 2-level bitmaps. */
    ck_assert_int_eq(send(XEN_EVTCHN_DEFAULT_PORTS - 1), 0);
    ck_assert(port_pending(XEN_EVTCHN_DEFAULT_PORTS - 1));
}
END_TEST

START_TEST(bind_vcpu_rules)
{
    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = 0 };
    ck_assert_int_eq(ev(EVTCHNOP_alloc_unbound, &au, sizeof(au)), 0);
    struct evtchn_bind_vcpu bv = { .port = au.port, .vcpu = 1 };
    ck_assert_int_eq(ev(EVTCHNOP_bind_vcpu, &bv, sizeof(bv)), 0);
    ck_assert_uint_eq(status(au.port).vcpu, 1);
    bv.vcpu = 2;
    ck_assert_int_eq(ev(EVTCHNOP_bind_vcpu, &bv, sizeof(bv)), -XEN_ENOENT);
    bv = (struct evtchn_bind_vcpu){ .port = 2000, .vcpu = 0 };
    ck_assert_int_eq(ev(EVTCHNOP_bind_vcpu, &bv, sizeof(bv)), -XEN_EINVAL);
    uint32_t t = bind_virq(VIRQ_TIMER, 0);
    bv = (struct evtchn_bind_vcpu){ .port = t, .vcpu = 1 };
    ck_assert_int_eq(ev(EVTCHNOP_bind_vcpu, &bv, sizeof(bv)), -XEN_EINVAL);
    uint32_t ipi = bind_ipi(0);
    bv.port = ipi;
    ck_assert_int_eq(ev(EVTCHNOP_bind_vcpu, &bv, sizeof(bv)), -XEN_EINVAL);
    bv.port = 900;                                       /* closed */
    ck_assert_int_eq(ev(EVTCHNOP_bind_vcpu, &bv, sizeof(bv)), -XEN_EINVAL);
    /* A global VIRQ moves, and then fires on the new vCPU. */
    uint32_t con = bind_virq(VIRQ_CONSOLE, 0);
    bv.port = con;
    ck_assert_int_eq(ev(EVTCHNOP_bind_vcpu, &bv, sizeof(bv)), 0);
    ck_assert_int_eq(xen_evtchn_raise_virq(dom, 0, VIRQ_CONSOLE), 1);
    ck_assert_uint_eq(vi(1)->evtchn_upcall_pending, 1);
}
END_TEST

START_TEST(reset_closes_everything)
{
    uint32_t t = bind_virq(VIRQ_TIMER, 0);
    uint32_t i = bind_ipi(1);
    evtchn_port_t b, g;
    ck_assert_int_eq(xen_evtchn_backend_bind_pair(dom, &b, &g), 0);
    struct evtchn_reset r = { .dom = 0 };
    ck_assert_int_eq(ev(EVTCHNOP_reset, &r, sizeof(r)), -XEN_EPERM);
    r.dom = 42;
    ck_assert_int_eq(ev(EVTCHNOP_reset, &r, sizeof(r)), -XEN_ESRCH);
    r.dom = DOMID_SELF;
    ck_assert_int_eq(ev(EVTCHNOP_reset, &r, sizeof(r)), 0);
    ck_assert_uint_eq(status(t).status, EVTCHNSTAT_closed);
    ck_assert_uint_eq(status(i).status, EVTCHNSTAT_closed);
    ck_assert_uint_eq(status(g).status, EVTCHNSTAT_closed);
    ck_assert_uint_eq(xen_evtchn_backend_guest_port(dom, b), 0);
    ck_assert_uint_eq(bind_virq(VIRQ_TIMER, 0), 1);
}
END_TEST

/* ---- FIFO ---- */

#define CB_GFN 0x30ull
#define ARRAY_GFN 0x31ull

static struct evtchn_fifo_control_block *cb(void)
{
    return (struct evtchn_fifo_control_block *)(void *)(mem + (CB_GFN << 12));
}

static uint32_t word(uint32_t port)
{
    uint32_t w;
    memcpy(&w, mem + (ARRAY_GFN << 12) + port * 4, 4);
    return w;
}

static void set_word(uint32_t port, uint32_t w)
{
    memcpy(mem + (ARRAY_GFN << 12) + port * 4, &w, 4);
}

static void fifo_on(void)
{
    struct evtchn_init_control ic = { .control_gfn = CB_GFN, .offset = 0, .vcpu = 0 };
    ck_assert_int_eq(ev(EVTCHNOP_init_control, &ic, sizeof(ic)), 0);
    ck_assert_uint_eq(ic.link_bits, EVTCHN_FIFO_LINK_BITS);
    struct evtchn_expand_array ea = { .array_gfn = ARRAY_GFN };
    ck_assert_int_eq(ev(EVTCHNOP_expand_array, &ea, sizeof(ea)), 0);
}

static void set_prio(uint32_t port, uint32_t prio)
{
    struct evtchn_set_priority sp = { .port = port, .priority = prio };
    ck_assert_int_eq(ev(EVTCHNOP_set_priority, &sp, sizeof(sp)), 0);
}

#define PEND (1u << EVTCHN_FIFO_PENDING)
#define MASK (1u << EVTCHN_FIFO_MASKED)
#define LINK (1u << EVTCHN_FIFO_LINKED)

START_TEST(fifo_init_control_errors)
{
    struct evtchn_init_control ic = { .control_gfn = CB_GFN, .offset = 0, .vcpu = 2 };
    ck_assert_int_eq(ev(EVTCHNOP_init_control, &ic, sizeof(ic)), -XEN_ENOENT);
    ic = (struct evtchn_init_control){ .control_gfn = CB_GFN, .offset = 4, .vcpu = 0 };
    ck_assert_int_eq(ev(EVTCHNOP_init_control, &ic, sizeof(ic)), -XEN_EINVAL);
    ic.offset = 4096 - 64;                               /* block would cross the page */
    ck_assert_int_eq(ev(EVTCHNOP_init_control, &ic, sizeof(ic)), -XEN_EINVAL);
    ic = (struct evtchn_init_control){ .control_gfn = MEM_SIZE >> 12, .vcpu = 0 };
    ck_assert_int_eq(ev(EVTCHNOP_init_control, &ic, sizeof(ic)), -XEN_EINVAL);
    ic.control_gfn = ~0ull;
    ck_assert_int_eq(ev(EVTCHNOP_init_control, &ic, sizeof(ic)), -XEN_EINVAL);
    ic = (struct evtchn_init_control){ .control_gfn = CB_GFN, .offset = 8, .vcpu = 0 };
    ck_assert_int_eq(ev(EVTCHNOP_init_control, &ic, sizeof(ic)), 0);
    ck_assert_int_eq(ev(EVTCHNOP_init_control, &ic, sizeof(ic)), -XEN_EINVAL);
    struct evtchn_expand_array ea = { .array_gfn = MEM_SIZE >> 12 };
    ck_assert_int_eq(ev(EVTCHNOP_expand_array, &ea, sizeof(ea)), -XEN_EINVAL);
    ea.array_gfn = ~0ull;
    ck_assert_int_eq(ev(EVTCHNOP_expand_array, &ea, sizeof(ea)), -XEN_EINVAL);
    for (uint32_t i = 0; i < XEN_EVTCHN_FIFO_MAX_PAGES; i++) {
        ea.array_gfn = 0x40 + i;
        ck_assert_int_eq(ev(EVTCHNOP_expand_array, &ea, sizeof(ea)), 0);
    }
    ck_assert_int_eq(ev(EVTCHNOP_expand_array, &ea, sizeof(ea)), -XEN_ENOSPC);
    struct evtchn_set_priority sp = { .port = 1, .priority = 16 };
    ck_assert_int_eq(ev(EVTCHNOP_set_priority, &sp, sizeof(sp)), -XEN_EINVAL);
    sp = (struct evtchn_set_priority){ .port = 1024, .priority = 0 };
    ck_assert_int_eq(ev(EVTCHNOP_set_priority, &sp, sizeof(sp)), -XEN_EINVAL);
}
END_TEST

START_TEST(fifo_queue_order_by_priority)
{
    fifo_on();
    uint32_t a = bind_ipi(0), b = bind_ipi(0), c = bind_ipi(0);
    set_prio(b, EVTCHN_FIFO_PRIORITY_MAX);
    /* a and c default priority 7, b priority 0. */
    ck_assert_int_eq(xen_evtchn_raise(dom, a), 0);        /* first: upcall */
    ck_assert_uint_eq(vi(0)->evtchn_upcall_pending, 1);
    ck_assert_int_eq(xen_evtchn_raise(dom, c), -1);       /* queue 7 already ready */
    ck_assert_int_eq(xen_evtchn_raise(dom, b), -1);       /* upcall already pending */
    ck_assert_uint_eq(cb()->ready, (1u << 0) | (1u << 7));
    ck_assert_uint_eq(cb()->head[7], a);
    ck_assert_uint_eq(cb()->head[0], b);
    ck_assert_uint_eq(word(a), PEND | LINK | c);          /* a -> c */
    ck_assert_uint_eq(word(c), PEND | LINK);
    ck_assert_uint_eq(word(b), PEND | LINK);
    ck_assert(xen_evtchn_port_pending(dom, b));
    /* 2-level bitmaps untouched in FIFO mode. */
    ck_assert_uint_eq(pending_word(0), 0);
    /* The guest consumes queue 7 (unlinks a and c, clears ready 7). */
    set_word(a, 0);
    set_word(c, 0);
    cb()->head[7] = 0;
    cb()->ready = 1u << 0;
    vi(0)->evtchn_upcall_pending = 0;
    /* The stale tail (c) is unlinked: the next event becomes the head. */
    ck_assert_int_eq(xen_evtchn_raise(dom, a), 0);
    ck_assert_uint_eq(cb()->head[7], a);
    ck_assert_uint_eq(word(a), PEND | LINK);
}
END_TEST

START_TEST(fifo_mask_unmask_and_close)
{
    fifo_on();
    uint32_t a = bind_ipi(0);
    set_word(a, MASK);
    ck_assert_int_eq(send(a), 0);
    ck_assert_uint_eq(word(a), PEND | MASK);
    ck_assert_uint_eq(cb()->ready, 0);
    ck_assert_uint_eq(vi(0)->evtchn_upcall_pending, 0);
    ck_assert_int_eq(unmask(a), 0);
    ck_assert_uint_eq(word(a), PEND | LINK);
    ck_assert_uint_eq(cb()->head[EVTCHN_FIFO_PRIORITY_DEFAULT], a);
    ck_assert_uint_eq(vi(0)->evtchn_upcall_pending, 1);
    ck_assert_int_eq(close_port(a), 0);
    ck_assert_uint_eq(word(a) & PEND, 0);
    /* A vCPU without a control block gets no upcall. */
    uint32_t b = bind_ipi(1);
    ck_assert_uint_eq(b, a);      /* reused: LINKED stays until the guest unlinks */
    ck_assert_uint_eq(word(b), LINK);
    set_word(b, 0);
    ck_assert_int_eq(xen_evtchn_raise(dom, b), -1);
    ck_assert_uint_eq(word(b), PEND);
    /* Reset returns to the 2-level ABI. */
    struct evtchn_reset r = { .dom = DOMID_SELF };
    ck_assert_int_eq(ev(EVTCHNOP_reset, &r, sizeof(r)), 0);
    struct evtchn_set_priority sp = { .port = 1, .priority = 0 };
    ck_assert_int_eq(ev(EVTCHNOP_set_priority, &sp, sizeof(sp)), -XEN_ENOSYS);
}
END_TEST

START_TEST(fifo_pending_before_array_replayed)
{
    uint32_t t = bind_virq(VIRQ_TIMER, 0);
    ck_assert_int_eq(xen_evtchn_raise(dom, t), 0);        /* 2-level pending */
    vi(0)->evtchn_upcall_pending = 0;
    struct evtchn_init_control ic = { .control_gfn = CB_GFN, .vcpu = 0 };
    ck_assert_int_eq(ev(EVTCHNOP_init_control, &ic, sizeof(ic)), 0);
    uint32_t i = bind_ipi(0);
    ck_assert_int_eq(xen_evtchn_raise(dom, i), -1);       /* no event word yet */
    ck_assert(xen_evtchn_port_pending(dom, i));
    struct evtchn_expand_array ea = { .array_gfn = ARRAY_GFN };
    ck_assert_int_eq(ev(EVTCHNOP_expand_array, &ea, sizeof(ea)), 0);
    ck_assert_uint_eq(word(t), PEND | LINK | i);
    ck_assert_uint_eq(word(i), PEND | LINK);
    ck_assert_uint_eq(cb()->head[EVTCHN_FIFO_PRIORITY_DEFAULT], t);
    ck_assert_uint_eq(vi(0)->evtchn_upcall_pending, 1);
}
END_TEST

static Suite *evtchn_suite(void)
{
    Suite *s = suite_create("evtchn");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, wired_and_unknown);
    tcase_add_test(tc, bad_pointers_efault);
    tcase_add_test(tc, alloc_unbound_and_status);
    tcase_add_test(tc, bind_virq_rules);
    tcase_add_test(tc, raise_sets_bits_in_xen_order);
    tcase_add_test(tc, mask_and_unmask);
    tcase_add_test(tc, ipi_send_close_errors);
    tcase_add_test(tc, loopback_interdomain);
    tcase_add_test(tc, backend_ports);
    tcase_add_test(tc, ports_run_out);
    tcase_add_test(tc, bind_vcpu_rules);
    tcase_add_test(tc, reset_closes_everything);
    tcase_add_test(tc, fifo_init_control_errors);
    tcase_add_test(tc, fifo_queue_order_by_priority);
    tcase_add_test(tc, fifo_mask_unmask_and_close);
    tcase_add_test(tc, fifo_pending_before_array_replayed);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(evtchn_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
