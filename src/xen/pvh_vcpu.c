/* Scheduling a PVH vCPU: VM entries with the event upcall injected when
 * the guest can take it, blocking (HLT, SCHEDOP_block, SCHEDOP_poll) with
 * virtual time jumping to the next event, and the Xen timers that end
 * blocks (DESIGN.md, "The run loop" and "Determinism"). */
#include <stdio.h>

#include "xenemu/xen_pvh.h"

#define RD(cpu, f) xen_pvh_vmread(cpu, f)
#define WR(cpu, f, v) xen_pvh_vmwrite(cpu, f, v)

static uint64_t min64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/* The first retired-instruction count at which the TSC reaches tsc. */
static uint64_t tsc_to_icount(uint64_t tsc)
{
    if (tsc == UINT64_MAX)
        return UINT64_MAX;
    unsigned __int128 n = ((unsigned __int128)tsc * CPU_VIRT_IPS + XEN_PVH_TSC_HZ - 1) / XEN_PVH_TSC_HZ;
    return n > UINT64_MAX ? UINT64_MAX : (uint64_t)n;
}

static uint64_t ns_to_icount(const xen_domain_t *d, uint64_t ns)
{
    if (ns == UINT64_MAX)
        return UINT64_MAX;
    unsigned __int128 tsc = ((unsigned __int128)ns * d->tsc_hz + 999999999u) / 1000000000u;
    return tsc > UINT64_MAX ? UINT64_MAX : tsc_to_icount((uint64_t)tsc);
}

/* When the vCPU's Xen timers (singleshot, periodic, poll timeout) and the
 * domain's watchdog next need it. */
static uint64_t timer_due(const xen_pvh_t *h, const xen_pvh_vcpu_t *hv)
{
    uint64_t t = tsc_to_icount(xen_vcpu_timer_deadline_tsc(hv->v));
    if (hv->v->id == 0)
        t = min64(t, ns_to_icount(h->dom, xen_domain_watchdog_deadline_ns(h->dom)));
    return t;
}

static void fire_timers(xen_pvh_t *h, xen_pvh_vcpu_t *hv)
{
    cpu_t *cpu = hv->cpu;
    if (timer_due(h, hv) > cpu->icount)
        return;
    uint64_t tsc = cpu_tsc(cpu);
    xen_vcpu_timer_expire(hv->v, tsc);
    if (hv->v->id == 0) {
        xen_domain_watchdog_expire(h->dom, tsc);
        if (h->dom->shutdown)
            xen_pvh_stop(h, xen_domain_exit_status(h->dom), "the domain's watchdog expired", NULL);
    }
}

/* The global callback vector (HVM_PARAM_CALLBACK_IRQ, vector type) is
 * level-triggered on evtchn_upcall_pending, as Xen's hvm_intr_assist
 * treats it; the per-vCPU vector goes through the local APIC instead. */
static bool upcall_wanted(const xen_pvh_t *h, xen_pvh_vcpu_t *hv)
{
    const xen_domain_t *d = h->dom;
    return d->callback_type == XEN_CALLBACK_VECTOR && d->callback_vector >= 0x10 && !hv->v->upcall_vector &&
           xen_evtchn_upcall_pending(hv->v);
}

/* Something that ends a block: an upcall, or an interrupt or NMI in the
 * guest's local APIC. */
static bool wake_due(const xen_pvh_t *h, xen_pvh_vcpu_t *hv)
{
    cpu_t *cpu = hv->cpu;
    return upcall_wanted(h, hv) || cpu->apic.nmi_pending || lapic_pending_vector(cpu) >= 0;
}

static void unblock(xen_pvh_vcpu_t *hv)
{
    hv->v->blocked = false;
    hv->v->poll_nr = 0;
    hv->v->poll_timeout_ns = 0;
    xen_vcpu_set_runstate(hv->v, RUNSTATE_running, cpu_tsc(hv->cpu));
}

/* Before VM entry: inject the callback vector when the guest is
 * interruptible, else ask for an interrupt-window exit (SDM Vol.3C §26.6,
 * §25.6.2). An exception already queued goes first. */
static void prepare_entry(xen_pvh_t *h, xen_pvh_vcpu_t *hv)
{
    cpu_t *cpu = hv->cpu;
    uint64_t proc = RD(cpu, VMCS_PROC_CTLS);
    if (!upcall_wanted(h, hv)) {
        if (proc & PROC_INT_WINDOW)
            WR(cpu, VMCS_PROC_CTLS, proc & ~(uint64_t)PROC_INT_WINDOW);
        return;
    }
    bool queued = RD(cpu, VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID;
    bool open = (RD(cpu, VMCS_GUEST_RFLAGS) & F_IF) && !(RD(cpu, VMCS_GUEST_INTERRUPTIBILITY) & 3);
    if (!queued && open) {
        WR(cpu, VMCS_ENTRY_INTR_INFO, h->dom->callback_vector | (uint32_t)INTR_TYPE_EXT << 8 | INTR_INFO_VALID);
        proc &= ~(uint64_t)PROC_INT_WINDOW;
    } else {
        proc |= PROC_INT_WINDOW;
    }
    WR(cpu, VMCS_PROC_CTLS, proc);
}

/* Virtual time passes without instructions (counted apart, so that
 * retired instructions can be told from virtual time). */
static void idle(xen_pvh_vcpu_t *hv, uint64_t until)
{
    uint64_t before = hv->cpu->icount;
    cpu_idle(hv->cpu, until > before ? until : before);
    hv->idle_insns += hv->cpu->icount - before;
}

/* A blocked vCPU: wake it, or let virtual time pass to its next event. */
static void idle_blocked(xen_pvh_t *h, xen_pvh_vcpu_t *hv, uint64_t end)
{
    cpu_t *cpu = hv->cpu;
    if (wake_due(h, hv)) {
        unblock(hv);
        return;
    }
    uint64_t until = min64(min64(end, timer_due(h, hv)), cpu->apic.deadline);
    idle(hv, until);
    fire_timers(h, hv);
    if (hv->v->blocked && wake_due(h, hv))
        unblock(hv);
}

static void enter_guest(xen_pvh_t *h, xen_pvh_vcpu_t *hv, uint64_t end)
{
    cpu_t *cpu = hv->cpu;
    vmx_exit_t e;
    if (hv->in_guest && upcall_wanted(h, hv) && vmx_api_kick(cpu, &e) == 1) {
        hv->in_guest = false;             /* out, so the upcall can be injected */
        xen_pvh_handle_exit(h, hv, &e);
    }
    prepare_entry(h, hv);
    uint64_t stop = min64(end, timer_due(h, hv));
    if (stop <= cpu->icount)
        stop = cpu->icount + 1;
    int rc = vmx_run(cpu, stop - cpu->icount, &e);
    if (rc == 1) {
        hv->in_guest = false;
        xen_pvh_handle_exit(h, hv, &e);
        cpu->r[R_RIP] = RD(cpu, VMCS_GUEST_RIP);   /* as the next entry will load it (debuggers look) */
    } else if (rc == 0) {
        hv->in_guest = true;
    } else {
        static char why[80];
        snprintf(why, sizeof why, "VM entry failed (VM-instruction error %d)", -rc);
        xen_pvh_stop(h, XEN_PVH_EXIT_STUCK, why, cpu);
    }
}

void xen_pvh_vcpu_init_signal(xen_pvh_vcpu_t *hv)
{
    hv->state = PVH_VCPU_WAIT_SIPI;
    hv->v->online = false;
    /* The registers stay: an upcall vector asserted for the AP before its
     * INIT (Linux sets it up from the BSP) must survive. */
    lapic_wait_sipi(hv->cpu);
}

/* One step of vCPU hv: an AP start, an idle stretch up to `end`, or a
 * guest run of at most `budget` instructions with the exit it ends in.
 * Returns false when the vCPU has nothing to do before `end`. */
static bool step(xen_pvh_t *h, xen_pvh_vcpu_t *hv, uint64_t budget, uint64_t end)
{
    cpu_t *cpu = hv->cpu;
    switch (hv->state) {
    case PVH_VCPU_DOWN:
        if (cpu->apic.init_pending) {             /* CPU hotplug brings it back */
            xen_pvh_vcpu_init_signal(hv);
            return true;
        }
        idle(hv, end);
        return false;
    case PVH_VCPU_WAIT_SIPI:
        if (cpu->apic.init_pending)
            xen_pvh_vcpu_init_signal(hv);         /* may start at a SIPI that came with it */
        if (cpu->apic.wait_sipi || xen_pvh_start_ap(h, hv) < 0) {
            idle(hv, end);
            return false;
        }
        return true;
    case PVH_VCPU_RUNNING:
        if (hv->v->blocked)
            idle_blocked(h, hv, end);
        else
            enter_guest(h, hv, budget < end - cpu->icount ? cpu->icount + budget : end);
        fire_timers(h, hv);
        return true;
    }
    return false;
}

void xen_pvh_run_vcpu(xen_pvh_t *h, int i, uint64_t end)
{
    xen_pvh_vcpu_t *hv = &h->vcpu[i];
    while (h->status < 0 && hv->cpu->icount < end && step(h, hv, UINT64_MAX, end))
        ;
}

void xen_pvh_step_vcpu(xen_pvh_t *h, int i, uint64_t end)
{
    xen_pvh_vcpu_t *hv = &h->vcpu[i];
    if (h->status < 0 && hv->cpu->icount < end)
        step(h, hv, 1, end);
}

uint64_t xen_pvh_next_wakeup(xen_pvh_t *h, uint64_t now)
{
    uint64_t t = UINT64_MAX;
    for (int i = 0; i < h->m->ncpu; i++) {
        xen_pvh_vcpu_t *hv = &h->vcpu[i];
        if (hv->state == PVH_VCPU_WAIT_SIPI && (!hv->cpu->apic.wait_sipi || hv->cpu->apic.init_pending))
            return now;
        if (hv->state == PVH_VCPU_DOWN && hv->cpu->apic.init_pending)
            return now;
        if (hv->state != PVH_VCPU_RUNNING)
            continue;
        if (!hv->v->blocked || wake_due(h, hv))
            return now;
        t = min64(t, min64(timer_due(h, hv), hv->cpu->apic.deadline));
    }
    return t;
}
