/* xen_timer: the pvclock in vcpu_info.time, VCPUOP singleshot timers with
 * SCHEDOP_block, set_timer_op, stop_singleshot_timer, HVMOP_get_time and
 * the runstate area (public/vcpu.h, public/xen.h). */
#include "xenlib.h"
#include <xen-abi/hvm/hvm_op.h>

#define MS 1000000ull

static evtchn_port_t timer_port;
static volatile uint64_t timer_events;
static struct vcpu_runstate_info runstate __attribute__((aligned(64)));

static void handle_events(void)
{
    volatile struct vcpu_info *vi = vcpu0();
    uint64_t sel = __atomic_exchange_n(&vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
    while (sel) {
        int w = __builtin_ctzll(sel);
        sel &= sel - 1;
        uint64_t p = shinfo->evtchn_pending[w] & ~shinfo->evtchn_mask[w];
        __atomic_fetch_and(&shinfo->evtchn_pending[w], ~p, __ATOMIC_SEQ_CST);
        if (w == (int)(timer_port / 64) && ((p >> (timer_port % 64)) & 1))
            timer_events++;
    }
}

static uint64_t now(void) { return pvclock_read(&vcpu0()->time); }

static long singleshot(uint64_t abs_ns, uint32_t flags)
{
    struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = abs_ns, .flags = flags };
    return vcpu_op(VCPUOP_set_singleshot_timer, 0, &t);
}

/* Blocks with interrupts off until the timer event is pending, then lets
 * the upcall run; returns the pvclock time at wake-up. */
static uint64_t block_for_timer(int *blocks)
{
    uint64_t before = timer_events, t = 0;
    *blocks = 0;
    while (timer_events == before && *blocks < 20) {
        sched_op(SCHEDOP_block, 0);
        (*blocks)++;
        if (!t && ((shinfo->evtchn_pending[timer_port / 64] >> (timer_port % 64)) & 1))
            t = now();
        sti_nop_cli();
    }
    return t ? t : now();
}

static void test_pvclock(void)
{
    volatile struct vcpu_time_info *t = &vcpu0()->time;
    check("pvclock version is even", (t->version & 1) == 0);
    check("pvclock version is not 0", t->version != 0);
    check("tsc_to_system_mul != 0", t->tsc_to_system_mul != 0);
    uint64_t a = now(), b = now(), c = now();
    check("pvclock monotonic", a <= b && b <= c);
    check("pvclock advances", c > a);
    struct xen_hvm_get_time gt;
    uint64_t t0 = now();
    check_rc("HVMOP_get_time", hvm_op(HVMOP_get_time, &gt), 0);
    uint64_t t1 = now();
    check("HVMOP_get_time within pvclock readings", gt.now + 1000 >= t0 && gt.now <= t1 + 1000);
    /* 1 instruction = 1 ns: a 1000-iteration loop takes microseconds, not seconds. */
    uint64_t s = now();
    for (volatile int i = 0; i < 1000; i++)
        ;
    uint64_t e = now();
    check("pvclock tracks execution (1 us .. 1 ms for 1000 loops)", e - s >= 1000 && e - s < MS);
}

static void test_singleshot(void)
{
    int blocks;
    uint64_t t0 = now();
    check_rc("set_singleshot_timer +5 ms", singleshot(t0 + 5 * MS, 0), 0);
    uint64_t t1 = block_for_timer(&blocks);
    check("singleshot timer event arrived", timer_events > 0);
    check_rc("SCHEDOP_block woke once, for the timer", blocks, 1);
    check("woke no earlier than the deadline", t1 >= t0 + 5 * MS);
    check("woke within 1 ms of the deadline", t1 < t0 + 6 * MS);

    /* set_timer_op (legacy): the same absolute deadline. */
    t0 = now();
    check_rc("set_timer_op +3 ms", HC1(__HYPERVISOR_set_timer_op, t0 + 3 * MS), 0);
    t1 = block_for_timer(&blocks);
    check_rc("set_timer_op: one block", blocks, 1);
    check("set_timer_op woke no earlier than the deadline", t1 >= t0 + 3 * MS);
    check("set_timer_op woke within 1 ms of the deadline", t1 < t0 + 4 * MS);

    /* stop_singleshot_timer: the 1 ms timer never fires; a 4 ms one does. */
    t0 = now();
    check_rc("set_singleshot_timer +1 ms", singleshot(t0 + 1 * MS, 0), 0);
    check_rc("stop_singleshot_timer", vcpu_op(VCPUOP_stop_singleshot_timer, 0, 0), 0);
    check_rc("set_timer_op +4 ms", HC1(__HYPERVISOR_set_timer_op, t0 + 4 * MS), 0);
    check_rc("set_timer_op 0 cancels", HC1(__HYPERVISOR_set_timer_op, 0), 0);
    check_rc("set_singleshot_timer +4 ms", singleshot(t0 + 4 * MS, VCPU_SSHOTTMR_future), 0);
    t1 = block_for_timer(&blocks);
    check("stopped timer did not fire: woke at +4 ms", t1 >= t0 + 4 * MS);

    /* A deadline already past fires at once, or -ETIME with _future. */
    t0 = now();
    check_rc("past deadline with VCPU_SSHOTTMR_future -ETIME",
             singleshot(t0 - 1 * MS, VCPU_SSHOTTMR_future), -XEN_ETIME);
    check_rc("past deadline without the flag", singleshot(t0 - 1 * MS, 0), 0);
    t1 = block_for_timer(&blocks);
    check("past deadline fired at once", t1 < t0 + 1 * MS);

    struct vcpu_set_singleshot_timer st = { .timeout_abs_ns = t0 + MS };
    check_rc("set_singleshot_timer on a missing vcpu -ENOENT",
             vcpu_op(VCPUOP_set_singleshot_timer, 4096, &st), -XEN_ENOENT);
    check_rc("set_singleshot_timer bad pointer -EFAULT",
             vcpu_op(VCPUOP_set_singleshot_timer, 0, (void *)0x0000700000000000ull), -XEN_EFAULT);
    check_rc("stop_singleshot_timer on a missing vcpu -ENOENT",
             vcpu_op(VCPUOP_stop_singleshot_timer, 4096, 0), -XEN_ENOENT);
}

static void test_runstate(void)
{
    runstate.state = -1;
    struct vcpu_register_runstate_memory_area a = { .addr = (uint64_t)&runstate };
    check_rc("register_runstate_memory_area", vcpu_op(VCPUOP_register_runstate_memory_area, 0, &a), 0);
    volatile struct vcpu_runstate_info *r = &runstate;
    check_rc("runstate area filled: running", r->state, RUNSTATE_running);
    uint64_t entry0 = r->state_entry_time & ~XEN_RUNSTATE_UPDATE;
    uint64_t blocked0 = r->time[RUNSTATE_blocked];
    check("runstate entry time not in the future", entry0 <= now());

    int blocks;
    uint64_t t0 = now();
    singleshot(t0 + 10 * MS, 0);
    block_for_timer(&blocks);
    check_rc("runstate after wake: running", r->state, RUNSTATE_running);
    uint64_t entry1 = r->state_entry_time & ~XEN_RUNSTATE_UPDATE;
    check("runstate entry time moved forward", entry1 > entry0);
    check("runstate entry time at least the deadline", entry1 >= t0 + 10 * MS);
    check("blocked time grew by about the 10 ms blocked",
          r->time[RUNSTATE_blocked] - blocked0 >= 9 * MS && r->time[RUNSTATE_blocked] - blocked0 <= 11 * MS);
    check("running time accounted", r->time[RUNSTATE_running] > 0);

    struct vcpu_runstate_info ri;
    check_rc("get_runstate_info", vcpu_op(VCPUOP_get_runstate_info, 0, &ri), 0);
    check("get_runstate_info agrees on blocked time", ri.time[RUNSTATE_blocked] == r->time[RUNSTATE_blocked]);
    check_rc("register_runstate_memory_area on a missing vcpu -ENOENT",
             vcpu_op(VCPUOP_register_runstate_memory_area, 4096, &a), -XEN_ENOENT);
}

int guest_main(const void *start_info)
{
    (void)start_info;
    xen_init();
    check_rc("map shared_info", map_shared_info(), 0);
    check_rc("install the callback vector", install_upcall(handle_events), 0);
    struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = 0 };
    check_rc("bind_virq VIRQ_TIMER", evtchn_op(EVTCHNOP_bind_virq, &bv), 0);
    timer_port = bv.port;
    sti_nop_cli();
    test_pvclock();
    test_singleshot();
    test_runstate();
    xen_finish("xen_timer");
}
