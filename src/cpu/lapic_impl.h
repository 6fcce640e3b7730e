/* Private interface of the local APIC files: lapic.c (registers, modes),
 * lapic_irq.c (acceptance, EOI, IPIs), lapic_timer.c (timer). */
#ifndef XENEMU_CPU_LAPIC_IMPL_H
#define XENEMU_CPU_LAPIC_IMPL_H

#include "xenemu/lapic.h"
#include "xenemu/machine.h"

/* Register indices: xAPIC offset >> 4 = x2APIC MSR - 0x800 (SDM Vol.3A
 * Table 11-1 and Table 11-6). */
enum {
    AR_ID = 0x02, AR_VERSION = 0x03, AR_TPR = 0x08, AR_APR = 0x09, AR_PPR = 0x0a, AR_EOI = 0x0b,
    AR_RRD = 0x0c, AR_LDR = 0x0d, AR_DFR = 0x0e, AR_SVR = 0x0f, AR_ISR = 0x10, AR_TMR = 0x18,
    AR_IRR = 0x20, AR_ESR = 0x28, AR_LVT_CMCI = 0x2f, AR_ICR = 0x30, AR_ICR_HI = 0x31,
    AR_LVT_TIMER = 0x32, AR_LVT_ERROR = 0x37, AR_TIMER_INIT = 0x38, AR_TIMER_CUR = 0x39,
    AR_TIMER_DCR = 0x3e, AR_SELF_IPI = 0x3f,
};

/* LVT bits (SDM Vol.3A Figure 11-8). */
#define LVT_MASKED (1u << 16)
#define LVT_PENDING (1u << 12)
#define LVT_TIMER_MODE(v) (((v) >> 17) & 3)
enum { TIMER_ONESHOT, TIMER_PERIODIC, TIMER_TSC_DEADLINE };

/* SVR bits (SDM Vol.3A Figure 11-23). */
#define SVR_ENABLE (1u << 8)

/* ESR bits (SDM Vol.3A Figure 11-9). */
enum { ESR_SEND_ILLEGAL = 1u << 5, ESR_RECV_ILLEGAL = 1u << 6, ESR_ILLEGAL_REG = 1u << 7 };

static inline bool lapic_hw_enabled(const cpu_t *cpu) { return (cpu->apic.base & APIC_BASE_EN) != 0; }
static inline bool lapic_x2(const cpu_t *cpu) { return (cpu->apic.base & APIC_BASE_EXTD) != 0; }
static inline bool lapic_sw_enabled(const cpu_t *cpu) { return (cpu->apic.svr & SVR_ENABLE) != 0; }

static inline bool vec_test(const uint32_t *r, unsigned v) { return (r[v >> 5] >> (v & 31)) & 1; }
static inline void vec_set(uint32_t *r, unsigned v) { r[v >> 5] |= 1u << (v & 31); }
static inline void vec_clear(uint32_t *r, unsigned v) { r[v >> 5] &= ~(1u << (v & 31)); }
/* Highest set vector of a 256-bit register, or -1. */
int lapic_highest(const uint32_t *r);

/* TPR (bits 7:4 are CR8, SDM Vol.3A §11.8.6.1) and PPR (§11.8.3.1). */
uint32_t lapic_tpr(const cpu_t *cpu);
uint32_t lapic_ppr(const cpu_t *cpu);

/* Record an error in the ESR and raise the error LVT (§11.5.3). */
void lapic_error(cpu_t *cpu, uint32_t bits);
/* Raise the interrupt of an LVT entry unless it is masked (§11.5.1). */
void lapic_lvt_fire(cpu_t *cpu, int lvt);

/* lapic_irq.c */
void lapic_eoi(cpu_t *cpu);
void lapic_send_ipi(cpu_t *cpu, uint64_t icr);
/* lapic_timer.c */
uint32_t lapic_timer_current(const cpu_t *cpu);
void lapic_timer_write_initial(cpu_t *cpu, uint32_t v);
void lapic_timer_write_lvt(cpu_t *cpu, uint32_t v);
void lapic_timer_write_dcr(cpu_t *cpu, uint32_t v);
uint64_t lapic_tsc_deadline_read(const cpu_t *cpu);
void lapic_tsc_deadline_write(cpu_t *cpu, uint64_t v);

#endif
