/* The local APIC of one vCPU (SDM Vol.3A ch.11): xAPIC registers through
 * MMIO at IA32_APIC_BASE, x2APIC registers through MSRs 0x800-0x8FF, the
 * timer (one-shot, periodic, TSC-deadline) counted in retired instructions,
 * interrupt acceptance (IRR/ISR/TMR, TPR/PPR) and IPIs (INIT, SIPI, NMI,
 * fixed, lowest priority). State lives in cpu_t; functions take the vCPU. */
#ifndef XENEMU_LAPIC_H
#define XENEMU_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

struct cpu;
struct machine;

/* The APIC timer input clock: the core crystal reported by CPUID.15H
 * (SDM Vol.3A §11.5.4); 40 retired instructions per tick. */
#define LAPIC_TIMER_HZ 25000000ull

/* IA32_APIC_BASE bits (SDM Vol.3A §11.4.4, Figure 11-5). */
enum { APIC_BASE_BSP = 1u << 8, APIC_BASE_EXTD = 1u << 10, APIC_BASE_EN = 1u << 11 };
#define APIC_DEFAULT_BASE 0xfee00000ull

/* LVT entries in register order (SDM Vol.3A §11.5.1, Figure 11-8). */
enum { LVT_CMCI, LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR, LVT_COUNT };

typedef struct lapic {
    uint64_t base;            /* IA32_APIC_BASE */
    uint32_t tpr_low;         /* TPR bits 3:0 (bits 7:4 live in cpu->cr8) */
    uint32_t ldr, dfr, svr;
    uint32_t esr, esr_pending; /* ESR as last latched, errors since */
    uint64_t icr;             /* xAPIC: high half is ICR[63:32] */
    uint32_t lvt[LVT_COUNT];
    uint32_t timer_initial, timer_dcr;
    uint64_t timer_start;     /* icount when the current count was last loaded */
    uint64_t deadline;        /* icount at which the timer fires; UINT64_MAX: unarmed */
    uint64_t tsc_deadline;    /* IA32_TSC_DEADLINE */
    uint32_t irr[8], isr[8], tmr[8];
    bool nmi_pending;
    bool init_pending;        /* INIT received: taken between blocks */
    bool wait_sipi;           /* after INIT (or power-on of an AP): SIPI wakes it (SDM Vol.3A §9.4) */
    uint16_t sipi_after_init; /* 0x100 | vector: a SIPI that came before the pending INIT was taken */
} lapic_t;

/* A 4-KiB MMIO window at an APIC base used by some vCPU; the vCPU that
 * accesses it is machine.current (one host thread runs every vCPU). */
typedef struct lapic_window {
    struct machine *m;
    uint64_t base;
} lapic_window_t;
#define LAPIC_MAX_WINDOWS 4

/* Power-on (init = false) or INIT (init = true: keep base and ID) state;
 * maps the xAPIC window at the default base. */
void lapic_reset(struct cpu *cpu, bool init);

/* IA32_APIC_BASE read and write (SDM Vol.3A §11.12.5 mode transitions);
 * a write returns false for #GP. */
uint64_t lapic_base_read(const struct cpu *cpu);
bool lapic_base_write(struct cpu *cpu, uint64_t v);
/* x2APIC MSRs 0x800-0x8FF and IA32_TSC_DEADLINE; false means #GP(0). */
bool lapic_msr_read(struct cpu *cpu, uint32_t index, uint64_t *v);
bool lapic_msr_write(struct cpu *cpu, uint32_t index, uint64_t v);
/* xAPIC MMIO register access by offset within the 4-KiB page. */
uint32_t lapic_mmio_read(struct cpu *cpu, uint32_t offset);
void lapic_mmio_write(struct cpu *cpu, uint32_t offset, uint32_t v);

/* Deliver an interrupt message to this APIC (SDM Vol.3A §11.6): mode is
 * the ICR delivery mode (0 fixed, 1 lowest priority, 4 NMI, 5 INIT, 6 SIPI). */
void lapic_accept(struct cpu *cpu, unsigned mode, unsigned vector, bool level);
/* A device raises a fixed interrupt at this vCPU (LINT/MSI path). */
void lapic_raise_irq(struct cpu *cpu, unsigned vector);

/* Take a pending INIT (SDM Vol.3A §9.4.1): reset the vCPU, keep the APIC
 * base, wait for SIPI. */
void lapic_take_init(struct cpu *cpu);
/* INIT taken: wait for SIPI, starting at once at a SIPI that already
 * came (lapic_take_init does this after the reset). */
void lapic_wait_sipi(struct cpu *cpu);

/* The vector to deliver now if IRR's highest class beats PPR, else -1. */
int lapic_pending_vector(const struct cpu *cpu);
/* Something may have become deliverable (IRR, TPR, ISR changed): raise
 * pending_events when it is and an instruction of this vCPU is running. */
void lapic_kick(struct cpu *cpu);
/* INTA: move the vector from IRR to ISR (PPR follows). */
void lapic_ack(struct cpu *cpu, int vector);

/* Fire the timer when cpu->icount reached its deadline (re-arm periodic). */
void lapic_timer_update(struct cpu *cpu);
/* The deadline moved: lower cpu->stop_at so the run loop stops on it. */
void lapic_deadline_changed(struct cpu *cpu);
/* IA32_TSC moved: recompute a TSC-deadline in instructions. */
void lapic_tsc_changed(struct cpu *cpu);

#endif
