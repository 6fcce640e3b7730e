/* vcpu_op hypercall (24), set_timer_op (15) and the per-vCPU timers
 * (public/vcpu.h, public/xen.h). Timers are absolute system time in ns,
 * the pvclock timebase. */
#include <string.h>

#include <xen-abi/sched.h>
#include <xenemu/xen.h>

#define NS_PER_SEC 1000000000ull
#define GFN_LIMIT (1ull << 40)
#define NO_DEADLINE UINT64_MAX

static uint64_t now_ns(xen_vcpu_t *v)
{
    return xen_system_time_ns(v->dom, xen_vcpu_tsc(v));
}

static void runstate_settle(xen_vcpu_t *v)
{
    /* A vCPU never brought up starts offline (Xen's initial state). */
    if (!v->online && v->runstate.state == RUNSTATE_running &&
        v->runstate.state_entry_time == 0)
        v->runstate.state = RUNSTATE_offline;
}

/* Writes the runstate copy; with VMASST_TYPE_runstate_update_flag the
 * guest sees XEN_RUNSTATE_UPDATE in state_entry_time meanwhile (public/vcpu.h). */
static void runstate_publish(xen_vcpu_t *v)
{
    if (!v->runstate_gva)
        return;
    struct vcpu_runstate_info r = v->runstate;
    uint64_t hi = v->runstate_gva + offsetof(struct vcpu_runstate_info, state_entry_time) + 7;
    bool flag = v->dom->vm_assist & (1ull << VMASST_TYPE_runstate_update_flag);
    if (flag) {
        uint8_t b = (uint8_t)((r.state_entry_time | XEN_RUNSTATE_UPDATE) >> 56);
        xen_copy_to_guest(v, hi, &b, 1);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        r.state_entry_time |= XEN_RUNSTATE_UPDATE;
    }
    /* Faults are ignored, as Xen ignores them for this area. */
    xen_copy_to_guest(v, v->runstate_gva, &r, sizeof(r));
    if (flag) {
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        uint8_t b = (uint8_t)(v->runstate.state_entry_time >> 56);
        xen_copy_to_guest(v, hi, &b, 1);
    }
}

void xen_vcpu_set_runstate(xen_vcpu_t *v, int state, uint64_t tsc)
{
    if (state < RUNSTATE_running || state > RUNSTATE_offline)
        return;
    runstate_settle(v);
    uint64_t now = xen_system_time_ns(v->dom, tsc);
    struct vcpu_runstate_info *r = &v->runstate;
    if (now > r->state_entry_time) {
        r->time[r->state] += now - r->state_entry_time;
        r->state_entry_time = now;
    }
    r->state = state;
    runstate_publish(v);
}

/* Writes a pvclock record at a guest virtual address, odd/even version. */
static int time_area_publish(xen_vcpu_t *v, uint64_t gva, uint64_t tsc)
{
    struct vcpu_time_info t;
    uint32_t ver;
    if (xen_copy_from_guest(v, &ver, gva, sizeof(ver)))
        return -XEN_EFAULT;
    xen_pvclock_fill(v->dom, tsc, &t);
    ver = (ver | 1u) + 1u;
    t.version = ver - 1u;
    if (xen_copy_to_guest(v, gva, &t.version, sizeof(t.version)))
        return -XEN_EFAULT;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (xen_copy_to_guest(v, gva, &t, sizeof(t)))
        return -XEN_EFAULT;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return xen_copy_to_guest(v, gva, &ver, sizeof(ver));
}

void xen_vcpu_refresh_time(xen_vcpu_t *v, uint64_t tsc)
{
    xen_time_update_vcpu(v, tsc);
    if (v->time_area_gva)
        time_area_publish(v, v->time_area_gva, tsc);
    runstate_publish(v);
}

/* Xen's map_vcpu_info: copy the old area, mark everything pending, and
 * refresh time at once (contract R8: Linux reads it straight after). */
static long register_vcpu_info(xen_vcpu_t *cur, xen_vcpu_t *v, uint64_t arg)
{
    xen_domain_t *d = v->dom;
    struct vcpu_register_vcpu_info info;
    if (xen_copy_from_guest(cur, &info, arg, sizeof(info)))
        return -XEN_EFAULT;
    if (info.offset > XEN_PAGE_SIZE - sizeof(struct vcpu_info))
        return -XEN_EINVAL;
    if (v->vcpu_info_gpa != XEN_GPA_NONE)
        return -XEN_EINVAL;          /* registered once */
    if (v != cur && v->online)
        return -XEN_EINVAL;          /* self, or an offline vCPU */
    if (info.mfn >= GFN_LIMIT)
        return -XEN_EINVAL;
    uint64_t gpa = info.mfn * XEN_PAGE_SIZE + info.offset;
    uint8_t *dst = xen_gpa_ptr(d, gpa, sizeof(struct vcpu_info));
    if (!dst)
        return -XEN_EINVAL;
    uint64_t old = xen_vcpu_info_gpa(v);
    uint8_t *src = old == XEN_GPA_NONE ? NULL : xen_gpa_ptr(d, old, sizeof(struct vcpu_info));
    struct vcpu_info vi;
    if (src) {
        memcpy(&vi, src, sizeof(vi));
    } else {
        memset(&vi, 0, sizeof(vi));
        vi.evtchn_upcall_mask = 1;
    }
    vi.evtchn_upcall_pending = 1;
    vi.evtchn_pending_sel = ~(xen_ulong_t)0;
    memcpy(dst, &vi, sizeof(vi));
    v->vcpu_info_gpa = gpa;
    xen_time_update_vcpu(v, xen_vcpu_tsc(cur));
    /* The upcall is due (Xen: arch_evtchn_inject). */
    if (v->id < 128) {
        d->evtchn.upcall_due[v->id / 64] |= 1ull << (v->id % 64);
        if (d->evtchn.upcall)
            d->evtchn.upcall(d->evtchn.upcall_ctx, v);
    }
    return 0;
}

static long register_runstate(xen_vcpu_t *cur, xen_vcpu_t *v, uint64_t arg)
{
    struct vcpu_register_runstate_memory_area a;
    if (xen_copy_from_guest(cur, &a, arg, sizeof(a)))
        return -XEN_EFAULT;
    if (a.addr + sizeof(struct vcpu_runstate_info) < a.addr)
        return -XEN_EFAULT;
    runstate_settle(v);
    v->runstate_gva = a.addr;
    /* Xen fills it now and ignores a fault (the area may be mapped later). */
    runstate_publish(v);
    return 0;
}

static long register_time_area(xen_vcpu_t *cur, xen_vcpu_t *v, uint64_t arg)
{
    struct vcpu_register_time_memory_area a;
    if (xen_copy_from_guest(cur, &a, arg, sizeof(a)))
        return -XEN_EFAULT;
    if (a.addr + sizeof(struct vcpu_time_info) < a.addr)
        return -XEN_EFAULT;
    v->time_area_gva = a.addr;
    /* Linux checks the copy's TSC_STABLE flag straight after. */
    if (a.addr)
        time_area_publish(v, a.addr, xen_vcpu_tsc(cur));
    return 0;
}

static long vcpu_initialise(xen_vcpu_t *cur, xen_vcpu_t *v, uint64_t arg)
{
    /* A vCPU past the legacy slots needs its own vcpu_info first. */
    if (xen_vcpu_info_gpa(v) == XEN_GPA_NONE && v->id >= XEN_LEGACY_MAX_VCPUS)
        return -XEN_EINVAL;
    uint8_t ctx[sizeof(v->init_ctx)];
    if (xen_copy_from_guest(cur, ctx, arg, sizeof(ctx)))
        return -XEN_EFAULT;
    if (v->initialised || v->online)
        return -XEN_EEXIST;
    /* Recorded for the machine, which loads it when the vCPU goes up. */
    memcpy(v->init_ctx, ctx, sizeof(ctx));
    v->ctx_requested = true;
    v->initialised = true;
    return 0;
}

static long vcpu_down(xen_vcpu_t *v)
{
    xen_domain_t *d = v->dom;
    bool others = false;
    for (uint32_t i = 0; i < d->nr_vcpus; i++)
        if (i != v->id && d->vcpu[i].online)
            others = true;
    if (!others) {
        /* Xen: the last vCPU going down powers the domain off. */
        if (!d->shutdown) {
            d->shutdown = true;
            d->shutdown_reason = d->shutdown_code_set ? d->shutdown_code : SHUTDOWN_poweroff;
        }
        return 0;
    }
    if (v->online) {
        v->online = false;
        xen_vcpu_set_runstate(v, RUNSTATE_offline, xen_vcpu_tsc(v));
    }
    return 0;
}

long xen_hc_vcpu_op(xen_vcpu_t *cur, const uint64_t args[6])
{
    int cmd = (int)(uint32_t)args[0];
    uint32_t id = (uint32_t)args[1];
    uint64_t arg = args[2];
    xen_vcpu_t *v = xen_domain_vcpu(cur->dom, id);
    if (!v)
        return -XEN_ENOENT;

    switch (cmd) {
    case VCPUOP_initialise:
        return vcpu_initialise(cur, v, arg);
    case VCPUOP_up:
        if (!v->initialised && !v->online)
            return -XEN_EINVAL;
        if (!v->online) {
            v->online = true;
            xen_vcpu_set_runstate(v, RUNSTATE_runnable, xen_vcpu_tsc(cur));
        }
        return 0;
    case VCPUOP_down:
        return vcpu_down(v);
    case VCPUOP_is_up:
        return v->online ? 1 : 0;
    case VCPUOP_get_runstate_info: {
        runstate_settle(v);
        struct vcpu_runstate_info r = v->runstate;
        if (v == cur) {
            uint64_t now = now_ns(cur);
            if (now > r.state_entry_time)
                r.time[r.state] += now - r.state_entry_time;
        }
        return xen_copy_to_guest(cur, arg, &r, sizeof(r)) ? -XEN_EFAULT : 0;
    }
    case VCPUOP_register_runstate_memory_area:
        return register_runstate(cur, v, arg);
    case VCPUOP_set_periodic_timer: {
        struct vcpu_set_periodic_timer p;
        if (xen_copy_from_guest(cur, &p, arg, sizeof(p)))
            return -XEN_EFAULT;
        if (p.period_ns < 1000000ull || p.period_ns > (uint64_t)INT64_MAX)
            return -XEN_EINVAL;
        v->periodic_ns = p.period_ns;
        v->periodic_next_ns = now_ns(cur) + p.period_ns;
        return 0;
    }
    case VCPUOP_stop_periodic_timer:
        v->periodic_ns = 0;
        return 0;
    case VCPUOP_set_singleshot_timer: {
        struct vcpu_set_singleshot_timer s;
        if (v != cur)
            return -XEN_EINVAL;
        if (xen_copy_from_guest(cur, &s, arg, sizeof(s)))
            return -XEN_EFAULT;
        if ((s.flags & VCPU_SSHOTTMR_future) && s.timeout_abs_ns < now_ns(cur))
            return -XEN_ETIME;
        v->sshot_deadline_ns = s.timeout_abs_ns;
        v->sshot_active = true;
        return 0;
    }
    case VCPUOP_stop_singleshot_timer:
        if (v != cur)
            return -XEN_EINVAL;
        v->sshot_active = false;
        return 0;
    case VCPUOP_register_vcpu_info:
        return register_vcpu_info(cur, v, arg);
    case VCPUOP_get_physid:
        return -XEN_EINVAL;          /* only for a pinned hardware domain */
    case VCPUOP_register_vcpu_time_memory_area:
        return register_time_area(cur, v, arg);
    default:
        return -XEN_ENOSYS;
    }
}

/* Legacy single-shot timer: RDI = absolute ns (s_time_t), 0 stops it. */
long xen_hc_set_timer_op(xen_vcpu_t *v, const uint64_t args[6])
{
    int64_t t = (int64_t)args[0];
    if (t == 0) {
        v->sshot_active = false;
        return 0;
    }
    uint64_t now = now_ns(v);
    /* As Xen: a negative time, or one more than 2^50 ns ahead (a wrapped
     * Linux jiffy computation), fires at once. */
    if (t < 0 || ((uint64_t)t > now && (uint64_t)t - now > (1ull << 50)))
        v->sshot_deadline_ns = now;
    else
        v->sshot_deadline_ns = (uint64_t)t;
    v->sshot_active = true;
    return 0;
}

uint64_t xen_vcpu_timer_deadline_ns(const xen_vcpu_t *v)
{
    uint64_t dl = NO_DEADLINE;
    if (v->sshot_active && v->sshot_deadline_ns < dl)
        dl = v->sshot_deadline_ns;
    if (v->periodic_ns && v->periodic_next_ns < dl)
        dl = v->periodic_next_ns;
    if (v->blocked && v->poll_timeout_ns && v->poll_timeout_ns < dl)
        dl = v->poll_timeout_ns;
    return dl;
}

uint64_t xen_vcpu_timer_deadline_tsc(const xen_vcpu_t *v)
{
    uint64_t ns = xen_vcpu_timer_deadline_ns(v);
    if (ns == NO_DEADLINE)
        return NO_DEADLINE;
    /* The first TSC value whose system time reaches ns. */
    unsigned __int128 t = ((unsigned __int128)ns * v->dom->tsc_hz + NS_PER_SEC - 1) / NS_PER_SEC;
    return t > UINT64_MAX ? NO_DEADLINE : (uint64_t)t;
}

/* Xen's send_timer_event: VIRQ_TIMER if the guest bound it. Only the
 * event it makes pending ends SCHEDOP_block or a poll (the event-channel
 * side reports those); an unbound or masked VIRQ leaves the vCPU blocked. */
static void fire_virq_timer(xen_vcpu_t *v)
{
    xen_domain_t *d = v->dom;
    if (d->send_virq)
        d->send_virq(d, v->id, VIRQ_TIMER);
}

void xen_vcpu_timer_expire(xen_vcpu_t *v, uint64_t tsc)
{
    uint64_t now = xen_system_time_ns(v->dom, tsc);
    if (v->sshot_active && v->sshot_deadline_ns <= now) {
        v->sshot_active = false;
        fire_virq_timer(v);
    }
    if (v->periodic_ns && v->periodic_next_ns <= now) {
        uint64_t missed = (now - v->periodic_next_ns) / v->periodic_ns;
        v->periodic_next_ns += (missed + 1) * v->periodic_ns;
        fire_virq_timer(v);
    }
    if (v->blocked && v->poll_timeout_ns && v->poll_timeout_ns <= now) {
        v->poll_nr = 0;              /* timed out: any wake ends it now */
        xen_vcpu_event_wake(v, UINT32_MAX);
    }
}
