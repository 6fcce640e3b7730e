/* The local APIC timer (SDM Vol.3A §11.5.4): one-shot, periodic and
 * TSC-deadline modes. Time is retired instructions (DESIGN.md,
 * "Determinism"): a count lasts CPU_VIRT_IPS / LAPIC_TIMER_HZ instructions
 * times the divisor, and the deadline is an icount the run loop stops at. */
#include "lapic_impl.h"
#include "system.h"
#include "xenemu/trace.h"

#define INSNS_PER_TICK (CPU_VIRT_IPS / LAPIC_TIMER_HZ)
#define NO_DEADLINE UINT64_MAX

/* Divide configuration register bits 0, 1, 3 (SDM Vol.3A Figure 11-10). */
static uint64_t divisor(uint32_t dcr)
{
    unsigned v = ((dcr & 8) >> 1) | (dcr & 3);
    return v == 7 ? 1 : 2u << v;
}

static uint64_t insns_per_count(const cpu_t *cpu)
{
    return INSNS_PER_TICK * divisor(cpu->apic.timer_dcr);
}

static unsigned timer_mode(const cpu_t *cpu)
{
    return LVT_TIMER_MODE(cpu->apic.lvt[LVT_TIMER]);
}

void lapic_deadline_changed(cpu_t *cpu)
{
    trace_timer(cpu, false, cpu->apic.deadline, cpu->apic.lvt[LVT_TIMER]);   /* trace: timer programmed */
    if (cpu->apic.deadline < cpu->stop_at)
        cpu->stop_at = cpu->apic.deadline;
}

uint32_t lapic_timer_current(const cpu_t *cpu)
{
    const lapic_t *a = &cpu->apic;
    if (timer_mode(cpu) == TIMER_TSC_DEADLINE || !a->timer_initial)
        return 0;
    uint64_t elapsed = (cpu_retired(cpu) - a->timer_start) / insns_per_count(cpu);
    if (timer_mode(cpu) == TIMER_PERIODIC)
        return a->timer_initial - (uint32_t)(elapsed % a->timer_initial);
    return elapsed >= a->timer_initial ? 0 : a->timer_initial - (uint32_t)elapsed;
}

/* Deadline of the count started at timer_start (one-shot and periodic). */
static void arm_count(cpu_t *cpu)
{
    lapic_t *a = &cpu->apic;
    a->deadline = NO_DEADLINE;
    if (a->timer_initial && timer_mode(cpu) != TIMER_TSC_DEADLINE) {
        uint64_t end = a->timer_start + a->timer_initial * insns_per_count(cpu);
        if (timer_mode(cpu) == TIMER_PERIODIC || end > cpu_retired(cpu))
            a->deadline = end;
    }
    lapic_deadline_changed(cpu);
}

/* The first icount whose TSC reaches tsc: TSC = n * hz / IPS + offset. */
static uint64_t tsc_to_icount(const cpu_t *cpu, uint64_t tsc)
{
    uint64_t now = cpu_retired(cpu);
    if (tsc <= cpu_tsc(cpu))
        return now;
    unsigned __int128 d = (unsigned __int128)(tsc - cpu->tsc_offset) * CPU_VIRT_IPS;
    uint64_t hz = cpu_tsc_hz(cpu);
    unsigned __int128 n = (d + hz - 1) / hz;
    return n >= NO_DEADLINE ? NO_DEADLINE - 1 : (uint64_t)n;
}

static void arm_tsc(cpu_t *cpu)
{
    lapic_t *a = &cpu->apic;
    a->deadline = a->tsc_deadline && timer_mode(cpu) == TIMER_TSC_DEADLINE
                      ? tsc_to_icount(cpu, a->tsc_deadline) : NO_DEADLINE;
    lapic_deadline_changed(cpu);
}

void lapic_timer_write_initial(cpu_t *cpu, uint32_t v)
{
    if (timer_mode(cpu) == TIMER_TSC_DEADLINE)
        return;                       /* ignored in TSC-deadline mode (§11.5.4.1) */
    cpu->apic.timer_initial = v;
    cpu->apic.timer_start = cpu_retired(cpu);
    arm_count(cpu);
}

/* The count goes on at the new rate from where it is. */
void lapic_timer_write_dcr(cpu_t *cpu, uint32_t v)
{
    lapic_t *a = &cpu->apic;
    uint32_t cur = lapic_timer_current(cpu);
    a->timer_dcr = v & 0xb;
    if (timer_mode(cpu) == TIMER_TSC_DEADLINE || !a->timer_initial || !cur)
        return;
    a->timer_start = cpu_retired(cpu) - (uint64_t)(a->timer_initial - cur) * insns_per_count(cpu);
    arm_count(cpu);
}

/* Switching into or out of TSC-deadline mode disarms the timer (§11.5.4.1). */
void lapic_timer_write_lvt(cpu_t *cpu, uint32_t v)
{
    lapic_t *a = &cpu->apic;
    unsigned old = timer_mode(cpu), mode = LVT_TIMER_MODE(v);
    if (mode == 3)
        v &= ~(3u << 17);             /* reserved mode: treat as one-shot */
    a->lvt[LVT_TIMER] = v;
    if ((old == TIMER_TSC_DEADLINE) != (mode == TIMER_TSC_DEADLINE)) {
        a->timer_initial = 0;
        a->tsc_deadline = 0;
        a->deadline = NO_DEADLINE;
        return;
    }
    if (mode != TIMER_TSC_DEADLINE && a->timer_initial && lapic_timer_current(cpu))
        arm_count(cpu);
}

uint64_t lapic_tsc_deadline_read(const cpu_t *cpu)
{
    return timer_mode(cpu) == TIMER_TSC_DEADLINE ? cpu->apic.tsc_deadline : 0;
}

/* Writes outside TSC-deadline mode are ignored; 0 disarms (§11.5.4.1). */
void lapic_tsc_deadline_write(cpu_t *cpu, uint64_t v)
{
    if (timer_mode(cpu) != TIMER_TSC_DEADLINE)
        return;
    cpu->apic.tsc_deadline = v;
    arm_tsc(cpu);
}

void lapic_tsc_changed(cpu_t *cpu)
{
    if (timer_mode(cpu) == TIMER_TSC_DEADLINE)
        arm_tsc(cpu);
}

/* Missed periods of a periodic timer coalesce into one interrupt. */
void lapic_timer_update(cpu_t *cpu)
{
    lapic_t *a = &cpu->apic;
    uint64_t now = cpu_retired(cpu);
    if (a->deadline > now)
        return;
    trace_timer(cpu, true, a->deadline, a->lvt[LVT_TIMER]);   /* trace: timer expired */
    lapic_lvt_fire(cpu, LVT_TIMER);
    switch (timer_mode(cpu)) {
    case TIMER_PERIODIC: {
        uint64_t period = a->timer_initial * insns_per_count(cpu);
        uint64_t k = (now - a->deadline) / period + 1;
        a->timer_start = a->deadline + (k - 1) * period;
        a->deadline = a->timer_start + period;
        break;
    }
    case TIMER_TSC_DEADLINE:
        a->tsc_deadline = 0;
        a->deadline = NO_DEADLINE;
        break;
    default:
        a->deadline = NO_DEADLINE;
        break;
    }
}
