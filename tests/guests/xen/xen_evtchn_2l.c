/* xen_evtchn_2l: the 2-level event channel ABI (public/xen.h shared_info
 * evtchn_pending/evtchn_mask, vcpu_info evtchn_pending_sel and
 * evtchn_upcall_pending) with the upcall on a callback vector, and the
 * EVTCHNOP_* results Xen 4.17 gives a domU. */
#include "xenlib.h"

static volatile uint64_t got[XEN_EVTCHN_2L_WORDS];   /* ports the handler saw */
static volatile uint64_t got_sel;

/* Linux's xen_evtchn_do_upcall, reduced: take the selector, then every
 * pending unmasked port of each selected word. */
static void handle_events(void)
{
    volatile struct vcpu_info *vi = vcpu0();
    uint64_t sel = __atomic_exchange_n(&vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
    got_sel |= sel;
    while (sel) {
        int w = __builtin_ctzll(sel);
        sel &= sel - 1;
        uint64_t p = shinfo->evtchn_pending[w] & ~shinfo->evtchn_mask[w];
        __atomic_fetch_and(&shinfo->evtchn_pending[w], ~p, __ATOMIC_SEQ_CST);
        got[w] |= p;
    }
}

static void reset_got(void)
{
    for (int i = 0; i < XEN_EVTCHN_2L_WORDS; i++)
        got[i] = 0;
    got_sel = 0;
}

static int got_port(evtchn_port_t p) { return (got[p / 64] >> (p % 64)) & 1; }
static int pending(evtchn_port_t p) { return (shinfo->evtchn_pending[p / 64] >> (p % 64)) & 1; }

static long status(evtchn_port_t port, struct evtchn_status *st)
{
    st->dom = DOMID_SELF;
    st->port = port;
    return evtchn_op(EVTCHNOP_status, st);
}

static void test_ipi(void)
{
    struct evtchn_bind_ipi ipi = { .vcpu = 0 };
    check_rc("bind_ipi vcpu 0", evtchn_op(EVTCHNOP_bind_ipi, &ipi), 0);
    evtchn_port_t p = ipi.port;
    check("bind_ipi gives a port > 0", p > 0 && p < 1024);
    struct evtchn_status st;
    check_rc("status of the IPI port", status(p, &st), 0);
    check_rc("IPI port status is ipi", st.status, EVTCHNSTAT_ipi);
    check_rc("IPI port is on vcpu 0", st.vcpu, 0);

    /* With interrupts off the event stays visible in shared_info. */
    reset_got();
    uint64_t before = upcall_count;
    check_rc("send on the IPI port", evtchn_send_port(p), 0);
    check("port pending in evtchn_pending", pending(p));
    check("word selected in evtchn_pending_sel", (vcpu0()->evtchn_pending_sel >> (p / 64)) & 1);
    check_rc("evtchn_upcall_pending set", vcpu0()->evtchn_upcall_pending, 1);
    check_rc("no upcall while IF=0", (long)(upcall_count - before), 0);
    sti_nop_cli();
    check_rc("one upcall once IF=1", (long)(upcall_count - before), 1);
    check("handler saw the IPI port", got_port(p));
    check("handler saw its selector bit", (got_sel >> (p / 64)) & 1);
    check("port no longer pending", !pending(p));

    /* Masked: pending is set but no selector bit and no upcall. */
    reset_got();
    __atomic_fetch_or(&shinfo->evtchn_mask[p / 64], 1ull << (p % 64), __ATOMIC_SEQ_CST);
    before = upcall_count;
    check_rc("send on the masked port", evtchn_send_port(p), 0);
    check("masked port pending", pending(p));
    check("masked port: no selector bit", !((vcpu0()->evtchn_pending_sel >> (p / 64)) & 1));
    check_rc("masked port: no upcall_pending", vcpu0()->evtchn_upcall_pending, 0);
    sti_nop_cli();
    check_rc("masked port: no upcall", (long)(upcall_count - before), 0);
    check_rc("EVTCHNOP_unmask", evtchn_unmask_port(p), 0);
    check("unmask cleared the mask bit", !((shinfo->evtchn_mask[p / 64] >> (p % 64)) & 1));
    check_rc("unmask raised upcall_pending", vcpu0()->evtchn_upcall_pending, 1);
    sti_nop_cli();
    check_rc("unmask delivered one upcall", (long)(upcall_count - before), 1);
    check("handler saw the unmasked port", got_port(p));

    /* Send while an event is already pending: still one upcall. */
    reset_got();
    before = upcall_count;
    evtchn_send_port(p);
    evtchn_send_port(p);
    sti_nop_cli();
    check_rc("two sends before delivery: one upcall", (long)(upcall_count - before), 1);

    check_rc("close the IPI port", evtchn_close_port(p), 0);
    check_rc("status after close", status(p, &st), 0);
    check_rc("closed port status is closed", st.status, EVTCHNSTAT_closed);
    check_rc("send on a closed port -EINVAL", evtchn_send_port(p), -XEN_EINVAL);
    check_rc("close of a closed port -EINVAL", evtchn_close_port(p), -XEN_EINVAL);
}

static void test_virq_timer(void)
{
    struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = 0 };
    check_rc("bind_virq VIRQ_TIMER", evtchn_op(EVTCHNOP_bind_virq, &bv), 0);
    evtchn_port_t tp = bv.port;
    struct evtchn_bind_virq bv2 = { .virq = VIRQ_TIMER, .vcpu = 0 };
    check_rc("bind_virq VIRQ_TIMER twice -EEXIST", evtchn_op(EVTCHNOP_bind_virq, &bv2), -XEN_EEXIST);
    struct evtchn_bind_virq bv3 = { .virq = NR_VIRQS, .vcpu = 0 };
    check_rc("bind_virq out-of-range virq -EINVAL", evtchn_op(EVTCHNOP_bind_virq, &bv3), -XEN_EINVAL);
    struct evtchn_bind_virq bv4 = { .virq = VIRQ_DOM_EXC, .vcpu = 1 };
    check_rc("bind_virq global virq on vcpu 1 -EINVAL", evtchn_op(EVTCHNOP_bind_virq, &bv4), -XEN_EINVAL);
    struct evtchn_bind_virq bv5 = { .virq = VIRQ_TIMER, .vcpu = 4096 };
    check_rc("bind_virq on a missing vcpu -ENOENT", evtchn_op(EVTCHNOP_bind_virq, &bv5), -XEN_ENOENT);
    struct evtchn_status st;
    check_rc("status of the VIRQ port", status(tp, &st), 0);
    check_rc("VIRQ port status is virq", st.status, EVTCHNSTAT_virq);
    check_rc("VIRQ port carries VIRQ_TIMER", st.u.virq, VIRQ_TIMER);

    reset_got();
    uint64_t now = pvclock_read(&vcpu0()->time);
    struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = now + 2000000, .flags = 0 };
    check_rc("set_singleshot_timer +2 ms", vcpu_op(VCPUOP_set_singleshot_timer, 0, &t), 0);
    uint64_t before = upcall_count;
    for (int i = 0; i < 100 && !got_port(tp); i++)
        sti_hlt_cli();
    check("VIRQ_TIMER upcall arrived", upcall_count > before && got_port(tp));
    uint64_t after = pvclock_read(&vcpu0()->time);
    check("timer fired no earlier than its deadline", after >= now + 2000000);

    check_rc("close the VIRQ port", evtchn_close_port(tp), 0);
    struct evtchn_bind_virq again = { .virq = VIRQ_TIMER, .vcpu = 0 };
    check_rc("bind_virq VIRQ_TIMER after close", evtchn_op(EVTCHNOP_bind_virq, &again), 0);
    check_rc("close it again", evtchn_close_port(again.port), 0);
}

static void test_unbound(void)
{
    struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
    check_rc("alloc_unbound (loopback)", evtchn_op(EVTCHNOP_alloc_unbound, &au), 0);
    evtchn_port_t r = au.port;
    struct evtchn_status st;
    check_rc("status of the unbound port", status(r, &st), 0);
    check_rc("unbound port status is unbound", st.status, EVTCHNSTAT_unbound);
    check_rc("unbound port waits for domain 1", st.u.unbound.dom, 1);
    check_rc("send on an unbound port is dropped (0)", evtchn_send_port(r), 0);
    check("unbound send sets nothing pending", !pending(r));

    struct evtchn_bind_interdomain bi = { .remote_dom = DOMID_SELF, .remote_port = r };
    check_rc("bind_interdomain to it", evtchn_op(EVTCHNOP_bind_interdomain, &bi), 0);
    evtchn_port_t l = bi.local_port;
    check("bind_interdomain gives a new port", l != r && l > 0);
    check_rc("status of the local end", status(l, &st), 0);
    check_rc("local end is interdomain", st.status, EVTCHNSTAT_interdomain);
    check_rc("local end names domain 1", st.u.interdomain.dom, 1);
    check_rc("local end names the remote port", st.u.interdomain.port, r);
    check_rc("status of the remote end", status(r, &st), 0);
    check_rc("remote end is interdomain", st.status, EVTCHNSTAT_interdomain);
    check_rc("remote end names the local port", st.u.interdomain.port, l);
    struct evtchn_bind_interdomain bi2 = { .remote_dom = DOMID_SELF, .remote_port = r };
    check_rc("bind_interdomain to a bound port -EINVAL", evtchn_op(EVTCHNOP_bind_interdomain, &bi2), -XEN_EINVAL);

    sti_nop_cli();                       /* Xen notified the new local end */
    reset_got();
    check_rc("send on the local end", evtchn_send_port(l), 0);
    sti_nop_cli();
    check("the remote end got the event", got_port(r) && !got_port(l));
    reset_got();
    check_rc("send on the remote end", evtchn_send_port(r), 0);
    sti_nop_cli();
    check("the local end got the event", got_port(l) && !got_port(r));

    check_rc("close the local end", evtchn_close_port(l), 0);
    check_rc("status of the remote end after close", status(r, &st), 0);
    check_rc("remote end back to unbound", st.status, EVTCHNSTAT_unbound);
    check_rc("close the remote end", evtchn_close_port(r), 0);

    struct evtchn_alloc_unbound bad = { .dom = 0x1234, .remote_dom = 0 };
    check_rc("alloc_unbound for a missing domain -ESRCH", evtchn_op(EVTCHNOP_alloc_unbound, &bad), -XEN_ESRCH);
    struct evtchn_alloc_unbound d0 = { .dom = 0, .remote_dom = DOMID_SELF };
    check_rc("alloc_unbound for domain 0 -EPERM", evtchn_op(EVTCHNOP_alloc_unbound, &d0), -XEN_EPERM);
    struct evtchn_bind_interdomain bm = { .remote_dom = 0x1234, .remote_port = 1 };
    check_rc("bind_interdomain to a missing domain -ESRCH", evtchn_op(EVTCHNOP_bind_interdomain, &bm), -XEN_ESRCH);
}

static void test_errors(void)
{
    check_rc("send on port 5000 -EINVAL", evtchn_send_port(5000), -XEN_EINVAL);
    check_rc("send on port 1024 (past max_evtchns) -EINVAL", evtchn_send_port(1024), -XEN_EINVAL);
    check_rc("close port 0 (reserved) -EINVAL", evtchn_close_port(0), -XEN_EINVAL);
    check_rc("close port 5000 -EINVAL", evtchn_close_port(5000), -XEN_EINVAL);
    check_rc("unmask port 5000 -EINVAL", evtchn_unmask_port(5000), -XEN_EINVAL);
    struct evtchn_status st;
    check_rc("status of port 5000 -EINVAL", status(5000, &st), -XEN_EINVAL);
    struct evtchn_status s2 = { .dom = 0x1234, .port = 1 };
    check_rc("status in a missing domain -ESRCH", evtchn_op(EVTCHNOP_status, &s2), -XEN_ESRCH);
    struct evtchn_bind_ipi ipi = { .vcpu = 4096 };
    check_rc("bind_ipi on a missing vcpu -ENOENT", evtchn_op(EVTCHNOP_bind_ipi, &ipi), -XEN_ENOENT);
    struct evtchn_set_priority sp = { .port = 1, .priority = 1 };
    check_rc("set_priority under the 2-level ABI -ENOSYS", evtchn_op(EVTCHNOP_set_priority, &sp), -XEN_ENOSYS);
    struct evtchn_expand_array ea = { .array_gfn = 0x200 };
    check_rc("expand_array under the 2-level ABI -EOPNOTSUPP",
             evtchn_op(EVTCHNOP_expand_array, &ea), -XEN_EOPNOTSUPP);
    check_rc("unknown event_channel_op -ENOSYS", evtchn_op(0x77, &st), -XEN_ENOSYS);
    check_rc("event_channel_op bad pointer -EFAULT",
             evtchn_op(EVTCHNOP_bind_ipi, (void *)0x0000700000000000ull), -XEN_EFAULT);
}

int guest_main(const void *start_info)
{
    (void)start_info;
    xen_init();
    check_rc("map shared_info", map_shared_info(), 0);
    check_rc("install the callback vector", install_upcall(handle_events), 0);
    sti_nop_cli();                       /* take whatever was pending at boot */
    test_ipi();
    test_virq_timer();
    test_unbound();
    test_errors();
    xen_finish("xen_evtchn_2l");
}
