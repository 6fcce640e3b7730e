/* Local APIC interrupt acceptance, EOI, LVT and error interrupts, and IPIs
 * through the ICR (SDM Vol.3A §11.5, §11.6, §11.8); INIT and SIPI start
 * application processors (SDM Vol.3A §9.4). */
#include "lapic_impl.h"
#include "xenemu/vmx.h"

/* ICR fields (SDM Vol.3A Figure 11-12). */
enum { DM_FIXED = 0, DM_LOWEST = 1, DM_SMI = 2, DM_NMI = 4, DM_INIT = 5, DM_SIPI = 6 };
#define ICR_LOGICAL (1u << 11)
#define ICR_LEVEL_ASSERT (1u << 14)
#define ICR_TRIGGER_LEVEL (1u << 15)
enum { SH_NONE, SH_SELF, SH_ALL, SH_OTHERS };

void lapic_error(cpu_t *cpu, uint32_t bits)
{
    cpu->apic.esr_pending |= bits;
    lapic_lvt_fire(cpu, LVT_ERROR);
}

static void set_irr(cpu_t *cpu, unsigned vector, bool level)
{
    lapic_t *a = &cpu->apic;
    if (vector < 16) {
        a->esr_pending |= ESR_RECV_ILLEGAL;   /* vectors 0-15 are illegal (§11.5.2) */
        return;
    }
    vec_set(a->irr, vector);
    if (level)
        vec_set(a->tmr, vector);
    else
        vec_clear(a->tmr, vector);
    lapic_kick(cpu);
}

void lapic_lvt_fire(cpu_t *cpu, int lvt)
{
    uint32_t v = cpu->apic.lvt[lvt];
    if (v & LVT_MASKED)
        return;
    unsigned mode = (v >> 8) & 7;
    if (lvt != LVT_TIMER && lvt != LVT_ERROR && mode == DM_NMI) {
        cpu->apic.nmi_pending = true;
        cpu->pending_events = true;
        return;
    }
    bool level = lvt == LVT_LINT0 || lvt == LVT_LINT1 ? (v >> 15) & 1 : false;
    set_irr(cpu, v & 0xff, level);
}

/* Will the pending INIT reset this APIC to wait for SIPI? Outside VMX
 * operation, yes; for a guest of the C root side (the Xen model, whose
 * vLAPIC takes INIT) unless it is in the wait-for-SIPI activity state;
 * under a hypervisor of guest code INIT is blocked or a VM exit (Vol.3C
 * §26.2). */
static bool init_resets(const cpu_t *cpu)
{
    if (cpu->vmx && cpu->vmx->api)
        return !(cpu->vmx->nonroot && cpu->apic.wait_sipi);
    return !(cpu->vmx && cpu->vmx->on);
}

/* STARTUP: real mode at vector << 12 (§9.4.4), ignored unless waiting. */
static void start_at_sipi(cpu_t *cpu, unsigned vector)
{
    if (!cpu->apic.wait_sipi)
        return;
    cpu->apic.wait_sipi = false;
    cpu->halted = false;
    cpu->seg[SEG_CS].sel = (uint16_t)(vector << 8);
    cpu->seg[SEG_CS].base = (uint64_t)vector << 12;
    cpu->r[R_RIP] = 0;
    cpu_update_mode(cpu);
    cpu->pending_events = true;
}

void lapic_accept(cpu_t *cpu, unsigned mode, unsigned vector, bool level)
{
    if (!lapic_hw_enabled(cpu))
        return;
    switch (mode) {
    case DM_FIXED: case DM_LOWEST:
        set_irr(cpu, vector & 0xff, level);
        break;
    case DM_NMI:
        cpu->apic.nmi_pending = true;
        cpu->pending_events = true;
        break;
    case DM_INIT:
        cpu->apic.init_pending = true;
        cpu->pending_events = true;
        break;
    case DM_SIPI:
        /* INIT is taken at the target's next instruction boundary; a SIPI
         * sent right after it must not be lost meanwhile. */
        if (cpu->apic.init_pending && init_resets(cpu)) {
            cpu->apic.sipi_after_init = (uint16_t)(0x100 | (vector & 0xff));
            break;
        }
        if (vmx_nonroot(cpu)) {
            vmx_sipi(cpu, vector);
            break;
        }
        start_at_sipi(cpu, vector);
        break;
    default:
        break;                            /* SMI, ExtINT: no SMM, no 8259 */
    }
}

void lapic_raise_irq(cpu_t *cpu, unsigned vector)
{
    lapic_accept(cpu, DM_FIXED, vector, false);
}

void lapic_wait_sipi(cpu_t *cpu)
{
    uint16_t sipi = cpu->apic.sipi_after_init;
    cpu->apic.init_pending = false;
    cpu->apic.wait_sipi = true;
    cpu->apic.sipi_after_init = 0;
    if (sipi)
        start_at_sipi(cpu, sipi & 0xff);
}

void lapic_take_init(cpu_t *cpu)
{
    uint64_t base = cpu->apic.base;
    uint16_t sipi = cpu->apic.sipi_after_init;
    cpu_reset(cpu);
    cpu->apic.base = base;
    lapic_reset(cpu, true);
    cpu->apic.sipi_after_init = sipi;
    lapic_wait_sipi(cpu);
}

void lapic_ack(cpu_t *cpu, int vector)
{
    vec_clear(cpu->apic.irr, (unsigned)vector);
    vec_set(cpu->apic.isr, (unsigned)vector);
}

/* EOI retires the highest in-service vector (§11.8.5). */
void lapic_eoi(cpu_t *cpu)
{
    int v = lapic_highest(cpu->apic.isr);
    if (v < 0)
        return;
    vec_clear(cpu->apic.isr, (unsigned)v);
    lapic_kick(cpu);
}

/* ---- IPIs ---- */

/* Logical destination match (§11.6.2.2; x2APIC §11.12.10.2). */
static bool logical_match(const cpu_t *t, uint32_t dest, bool x2)
{
    if (x2) {
        uint32_t ldr = (uint32_t)(t->id >> 4) << 16 | 1u << (t->id & 15);
        if (dest == 0xffffffffu)
            return true;
        return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
    }
    uint32_t ldr = t->apic.ldr >> 24;
    if (dest == 0xff)
        return true;
    if ((t->apic.dfr >> 28) == 0xf)
        return (dest & ldr) != 0;                          /* flat model */
    return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xf); /* cluster model */
}

static bool dest_match(const cpu_t *src, const cpu_t *t, uint64_t icr)
{
    bool x2 = lapic_x2(src);
    uint32_t dest = x2 ? (uint32_t)(icr >> 32) : (uint32_t)(icr >> 56);
    switch ((icr >> 18) & 3) {
    case SH_SELF: return t == src;
    case SH_ALL: return true;
    case SH_OTHERS: return t != src;
    default: break;
    }
    if (icr & ICR_LOGICAL)
        return logical_match(t, dest, x2);
    if (dest == (x2 ? 0xffffffffu : 0xffu))
        return true;
    return dest == (uint32_t)t->id;
}

/* Lowest priority (SDM Vol.3A §11.6.2.4): exactly one APIC of the
 * destination set accepts, the one at the lowest processor priority (PPR,
 * §11.8.3.1). Xeon chipsets arbitrate on the task priority the processors
 * report, P6 on the APR; PPR is TPR raised by the in-service class, so a
 * vCPU inside a handler is passed over. Ties go to
 * the lowest APIC ID (DESIGN.md, "Determinism"). No focus processor: Xeon
 * processors do not support one (§11.6.2.4). NULL: nobody matches. */
static cpu_t *lowest_priority(const cpu_t *src, uint64_t icr)
{
    machine_t *m = src->m;
    cpu_t *best = NULL;
    uint32_t best_ppr = 0;
    for (int i = 0; m && i < m->ncpu; i++) {
        cpu_t *t = m->cpu[i];
        if (!lapic_hw_enabled(t) || !dest_match(src, t, icr))
            continue;
        uint32_t p = lapic_ppr(t);
        if (!best || p < best_ppr || (p == best_ppr && t->id < best->id)) {
            best = t;
            best_ppr = p;
        }
    }
    return best;
}

/* Lowest priority with no shorthand and the physical broadcast ID is not
 * supported (§11.6.2.1), nor with the self or all-including-self
 * shorthands (§11.6.1, valid ICR combinations): such IPIs are dropped.
 * All-excluding-self arbitrates among the others (the SDM lets it come
 * back to the sender; we never do). */
static bool lowest_valid(const cpu_t *src, uint64_t icr)
{
    unsigned sh = (icr >> 18) & 3;
    if (sh == SH_SELF || sh == SH_ALL)
        return false;
    if (sh == SH_NONE && !(icr & ICR_LOGICAL)) {
        bool x2 = lapic_x2(src);
        uint32_t dest = x2 ? (uint32_t)(icr >> 32) : (uint32_t)(icr >> 56);
        return dest != (x2 ? 0xffffffffu : 0xffu);
    }
    return true;
}

/* Delivery is instant, so the delivery-status bit always reads idle. */
void lapic_send_ipi(cpu_t *cpu, uint64_t icr)
{
    unsigned vector = icr & 0xff, mode = (icr >> 8) & 7;
    bool level_trigger = icr & ICR_TRIGGER_LEVEL;
    if (mode == DM_INIT && level_trigger && !(icr & ICR_LEVEL_ASSERT))
        return;                                  /* INIT level de-assert */
    if ((mode == DM_FIXED || mode == DM_LOWEST) && vector < 16) {
        lapic_error(cpu, ESR_SEND_ILLEGAL);
        return;
    }
    if (((icr >> 18) & 3) == SH_SELF && mode != DM_FIXED)
        return;                                  /* self: fixed only (§11.6.1) */
    if (mode == DM_LOWEST) {
        cpu_t *t = lowest_valid(cpu, icr) ? lowest_priority(cpu, icr) : NULL;
        if (t)
            lapic_accept(t, mode, vector, false);
        return;
    }
    machine_t *m = cpu->m;
    for (int i = 0; m && i < m->ncpu; i++) {
        cpu_t *t = m->cpu[i];
        if (dest_match(cpu, t, icr))
            lapic_accept(t, mode, vector, level_trigger && mode == DM_FIXED);
    }
}
