/* Local APIC registers and modes (SDM Vol.3A ch.11): power-on/INIT state,
 * IA32_APIC_BASE with the xAPIC/x2APIC transitions of §11.12.5, the xAPIC
 * MMIO window and the x2APIC MSR interface of §11.12.1. */
#include <string.h>

#include "lapic_impl.h"
#include "ops.h"

/* Version 0x15, seven LVT entries (max LVT index 6), no EOI-broadcast
 * suppression (SDM Vol.3A §11.4.8, Figure 11-7). */
#define APIC_VERSION 0x00060015u
#define PHYS_ADDR_BITS 40
#define BASE_RESERVED (~0ull << PHYS_ADDR_BITS | 0x2ffull)

/* Writable bits of each LVT entry (SDM Vol.3A Figure 11-8). */
static const uint32_t lvt_writable[LVT_COUNT] = {
    [LVT_CMCI] = 0x107ff, [LVT_TIMER] = 0x700ff, [LVT_THERMAL] = 0x107ff, [LVT_PERF] = 0x107ff,
    [LVT_LINT0] = 0x1a7ff, [LVT_LINT1] = 0x1a7ff, [LVT_ERROR] = 0x100ff,
};

/* ---- the MMIO window ---- */

static bool xapic_at(const cpu_t *cpu, uint64_t base)
{
    return cpu && lapic_hw_enabled(cpu) && !lapic_x2(cpu) && (cpu->apic.base & ~0xfffull) == base;
}

/* Another vCPU's APIC, or no APIC, at this address: the bus answers. */
static uint64_t window_read(void *opaque, uint64_t off, unsigned size)
{
    lapic_window_t *w = opaque;
    cpu_t *cpu = w->m->current;
    if (!xapic_at(cpu, w->base))
        return size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
    if ((off & 0xf) >= 4)
        return 0;
    uint64_t v = lapic_mmio_read(cpu, (uint32_t)off & 0xff0) >> (8 * (off & 3));
    return size >= 4 ? (uint32_t)v : v & ((1ull << (8 * size)) - 1);
}

/* Registers are written 32 bits at a time (SDM Vol.3A §11.4.1). */
static void window_write(void *opaque, uint64_t off, uint64_t v, unsigned size)
{
    lapic_window_t *w = opaque;
    cpu_t *cpu = w->m->current;
    if (!xapic_at(cpu, w->base) || (off & 0xf) || size < 4)
        return;
    lapic_mmio_write(cpu, (uint32_t)off, (uint32_t)v);
}

static const mmio_ops_t window_ops = { window_read, window_write };

/* Map a window at base once for the machine. A base over RAM or beyond
 * LAPIC_MAX_WINDOWS distinct bases stays unmapped (reads all ones). */
static void map_window(cpu_t *cpu, uint64_t base)
{
    machine_t *m = cpu->m;
    if (!m)
        return;
    for (int i = 0; i < LAPIC_MAX_WINDOWS; i++) {
        lapic_window_t *w = &m->apic_window[i];
        if (w->m && w->base == base)
            return;
        if (!w->m) {
            if (phys_add_mmio(&m->mem, base, 4096, &window_ops, w) == 0) {
                w->m = m;
                w->base = base;
            }
            return;
        }
    }
}

/* ---- state ---- */

static void reset_registers(cpu_t *cpu)
{
    lapic_t *a = &cpu->apic;
    a->tpr_low = 0;
    cpu->cr8 = 0;
    a->ldr = 0;
    a->dfr = 0xffffffffu;
    a->svr = 0xff;
    a->esr = a->esr_pending = 0;
    a->icr = 0;
    for (int i = 0; i < LVT_COUNT; i++)
        a->lvt[i] = LVT_MASKED;
    a->timer_initial = a->timer_dcr = 0;
    a->timer_start = 0;
    a->deadline = UINT64_MAX;
    a->tsc_deadline = 0;
    memset(a->irr, 0, sizeof a->irr);
    memset(a->isr, 0, sizeof a->isr);
    memset(a->tmr, 0, sizeof a->tmr);
    a->nmi_pending = false;
    a->init_pending = false;
}

/* SDM Vol.3A §11.4.7.1 (power-up) and §11.4.7.3 (INIT keeps the base). */
void lapic_reset(cpu_t *cpu, bool init)
{
    reset_registers(cpu);
    if (!init)
        cpu->apic.base = APIC_DEFAULT_BASE | APIC_BASE_EN | (cpu->id == 0 ? APIC_BASE_BSP : 0);
    cpu->apic.wait_sipi = init || cpu->id != 0;
    map_window(cpu, cpu->apic.base & ~0xfffull);
}

uint64_t lapic_base_read(const cpu_t *cpu)
{
    return cpu->apic.base;
}

/* Valid transitions (SDM Vol.3A §11.12.5, Figure 11-27): x2APIC needs EN;
 * x2APIC -> xAPIC and disabled -> x2APIC are invalid. Disabling resets
 * the APIC's registers. BSP is read-only. */
bool lapic_base_write(cpu_t *cpu, uint64_t v)
{
    uint64_t old = cpu->apic.base;
    if (v & BASE_RESERVED)
        return false;
    bool en = v & APIC_BASE_EN, x2 = v & APIC_BASE_EXTD;
    bool old_en = old & APIC_BASE_EN, old_x2 = old & APIC_BASE_EXTD;
    if (x2 && !en)
        return false;
    if (old_x2 && en && !x2)
        return false;
    if (!old_en && x2)
        return false;
    cpu->apic.base = (v & ~(uint64_t)APIC_BASE_BSP) | (old & APIC_BASE_BSP);
    if (old_en && !en) {
        reset_registers(cpu);
        lapic_deadline_changed(cpu);
    }
    if (en && !x2)
        map_window(cpu, v & ~0xfffull);
    return true;
}

/* ---- priorities ---- */

int lapic_highest(const uint32_t *r)
{
    for (int i = 7; i >= 0; i--)
        if (r[i])
            return i * 32 + 31 - __builtin_clz(r[i]);
    return -1;
}

uint32_t lapic_tpr(const cpu_t *cpu)
{
    return (uint32_t)(cpu->cr8 & 0xf) << 4 | cpu->apic.tpr_low;
}

uint32_t lapic_ppr(const cpu_t *cpu)
{
    uint32_t tpr = lapic_tpr(cpu);
    int isrv = lapic_highest(cpu->apic.isr);
    uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;
    return (tpr & 0xf0) >= isr_class ? tpr : isr_class;
}

int lapic_pending_vector(const cpu_t *cpu)
{
    if (!lapic_hw_enabled(cpu))
        return -1;
    int v = lapic_highest(cpu->apic.irr);
    if (v < 0 || ((uint32_t)v & 0xf0) <= (lapic_ppr(cpu) & 0xf0))
        return -1;
    return v;
}

/* Only an instruction running on this vCPU needs the flag to end its
 * block; otherwise the run loop looks at the APIC before running anyway. */
void lapic_kick(cpu_t *cpu)
{
    if (!cpu->cur)
        return;
    if (cpu->apic.nmi_pending || cpu->apic.init_pending || lapic_pending_vector(cpu) >= 0)
        cpu->pending_events = true;
}

/* ---- register file, shared by both interfaces ---- */

static uint32_t x2_ldr(const cpu_t *cpu)
{
    uint32_t id = (uint32_t)cpu->id;
    return (id >> 4) << 16 | 1u << (id & 15);      /* SDM Vol.3A §11.12.10.2 */
}

/* Read register r; false when it does not exist in the current mode. */
static bool reg_read(cpu_t *cpu, unsigned r, uint64_t *v)
{
    const lapic_t *a = &cpu->apic;
    bool x2 = lapic_x2(cpu);
    if (r >= AR_ISR && r < AR_ISR + 8) { *v = a->isr[r - AR_ISR]; return true; }
    if (r >= AR_TMR && r < AR_TMR + 8) { *v = a->tmr[r - AR_TMR]; return true; }
    if (r >= AR_IRR && r < AR_IRR + 8) { *v = a->irr[r - AR_IRR]; return true; }
    if (r >= AR_LVT_TIMER && r <= AR_LVT_ERROR) { *v = a->lvt[LVT_TIMER + (r - AR_LVT_TIMER)]; return true; }
    switch (r) {
    case AR_ID: *v = x2 ? (uint32_t)cpu->id : (uint32_t)cpu->id << 24; return true;
    case AR_VERSION: *v = APIC_VERSION; return true;
    case AR_TPR: *v = lapic_tpr(cpu); return true;
    case AR_PPR: *v = lapic_ppr(cpu); return true;
    case AR_LDR: *v = x2 ? x2_ldr(cpu) : a->ldr; return true;
    case AR_SVR: *v = a->svr; return true;
    case AR_ESR: *v = a->esr; return true;
    case AR_LVT_CMCI: *v = a->lvt[LVT_CMCI]; return true;
    case AR_ICR: *v = x2 ? a->icr : (uint32_t)a->icr; return true;
    case AR_TIMER_INIT: *v = a->timer_initial; return true;
    case AR_TIMER_CUR: *v = lapic_timer_current(cpu); return true;
    case AR_TIMER_DCR: *v = a->timer_dcr; return true;
    case AR_APR: case AR_EOI: case AR_RRD: *v = 0; return !x2;   /* xAPIC only; EOI is write-only */
    case AR_DFR: *v = a->dfr; return !x2;
    case AR_ICR_HI: *v = a->icr >> 32; return !x2;
    default: *v = 0; return false;
    }
}

static void write_lvt(cpu_t *cpu, int lvt, uint32_t v)
{
    uint32_t keep = cpu->apic.lvt[lvt] & LVT_PENDING;
    v &= lvt_writable[lvt];
    if (!lapic_sw_enabled(cpu))
        v |= LVT_MASKED;             /* SDM Vol.3A §11.4.7.2 */
    if (lvt == LVT_TIMER)
        lapic_timer_write_lvt(cpu, v | keep);
    else
        cpu->apic.lvt[lvt] = v | keep;
}

static void write_svr(cpu_t *cpu, uint32_t v)
{
    cpu->apic.svr = v & 0x1ff;
    if (!(v & SVR_ENABLE))
        for (int i = 0; i < LVT_COUNT; i++)
            cpu->apic.lvt[i] |= LVT_MASKED;
}

/* Write register r; false for #GP in x2APIC mode (read-only, reserved). */
static bool reg_write(cpu_t *cpu, unsigned r, uint64_t v)
{
    lapic_t *a = &cpu->apic;
    bool x2 = lapic_x2(cpu);
    if (r >= AR_LVT_TIMER && r <= AR_LVT_ERROR) {
        write_lvt(cpu, LVT_TIMER + (int)(r - AR_LVT_TIMER), (uint32_t)v);
        return true;
    }
    switch (r) {
    case AR_TPR:
        cpu->cr8 = (v >> 4) & 0xf;
        a->tpr_low = (uint32_t)v & 0xf;
        lapic_kick(cpu);
        return true;
    case AR_EOI:
        if (x2 && v)
            return false;
        lapic_eoi(cpu);
        return true;
    case AR_LDR:
        a->ldr = (uint32_t)v & 0xff000000u;
        return !x2;
    case AR_DFR:
        a->dfr = (uint32_t)v | 0x0fffffffu;
        return !x2;
    case AR_SVR: write_svr(cpu, (uint32_t)v); return true;
    case AR_ESR:
        if (x2 && v)
            return false;
        a->esr = a->esr_pending;      /* a write latches the errors (SDM Vol.3A §11.5.3) */
        a->esr_pending = 0;
        return true;
    case AR_LVT_CMCI: write_lvt(cpu, LVT_CMCI, (uint32_t)v); return true;
    case AR_ICR:
        if (x2) {
            a->icr = v & 0xffffffff000cdfffull;
        } else {
            a->icr = (a->icr & 0xffffffff00000000ull) | ((uint32_t)v & 0x000cdfffu);
        }
        lapic_send_ipi(cpu, a->icr);
        return true;
    case AR_ICR_HI:
        a->icr = ((v & 0xff000000ull) << 32) | (uint32_t)a->icr;
        return !x2;
    case AR_TIMER_INIT: lapic_timer_write_initial(cpu, (uint32_t)v); return true;
    case AR_TIMER_DCR: lapic_timer_write_dcr(cpu, (uint32_t)v); return true;
    case AR_SELF_IPI:
        if (!x2 || (v & ~0xffull))
            return false;
        lapic_accept(cpu, 0, (unsigned)v, false);
        return true;
    default:
        return false;                 /* read-only or reserved */
    }
}

/* ---- xAPIC MMIO ---- */

uint32_t lapic_mmio_read(cpu_t *cpu, uint32_t offset)
{
    uint64_t v;
    if (!reg_read(cpu, (offset >> 4) & 0xff, &v))
        return 0;
    return (uint32_t)v;
}

/* Writes to read-only registers are ignored; reserved ones set the
 * illegal-register-address error (SDM Vol.3A §11.5.3). */
void lapic_mmio_write(cpu_t *cpu, uint32_t offset, uint32_t v)
{
    unsigned r = (offset >> 4) & 0xff;
    uint64_t dummy;
    if (reg_write(cpu, r, v))
        return;
    if (!reg_read(cpu, r, &dummy))
        lapic_error(cpu, ESR_ILLEGAL_REG);
}

/* ---- x2APIC MSRs (SDM Vol.3A §11.12.1.2, Table 11-6) ---- */

#define MSR_X2APIC_FIRST 0x800u
#define MSR_X2APIC_LAST 0x8ffu
#define MSR_TSC_DEADLINE 0x6e0u

bool lapic_msr_read(cpu_t *cpu, uint32_t index, uint64_t *v)
{
    if (index == MSR_TSC_DEADLINE) {
        *v = lapic_tsc_deadline_read(cpu);
        return true;
    }
    if (index < MSR_X2APIC_FIRST || index > MSR_X2APIC_LAST || !lapic_hw_enabled(cpu) || !lapic_x2(cpu))
        return false;
    return reg_read(cpu, index - MSR_X2APIC_FIRST, v);
}

bool lapic_msr_write(cpu_t *cpu, uint32_t index, uint64_t v)
{
    if (index == MSR_TSC_DEADLINE) {
        lapic_tsc_deadline_write(cpu, v);
        return true;
    }
    if (index < MSR_X2APIC_FIRST || index > MSR_X2APIC_LAST || !lapic_hw_enabled(cpu) || !lapic_x2(cpu))
        return false;
    unsigned r = index - MSR_X2APIC_FIRST;
    if (r != AR_ICR && (v >> 32))
        return false;                 /* 32-bit registers: reserved upper half */
    return reg_write(cpu, r, v);
}
