/* The emulated machine: physical memory, vCPUs, the predecoded-code cache and
 * the port-I/O bus. */
#ifndef XENEMU_MACHINE_H
#define XENEMU_MACHINE_H

#include <stdint.h>

#include "xenemu/cpu.h"
#include "xenemu/phys.h"

#define MACHINE_MAX_CPUS 128

struct block_cache;

/* Port I/O handler; returns false when the port is unclaimed. */
typedef bool (*pio_fn)(void *opaque, uint16_t port, unsigned size, bool write, uint32_t *val);

typedef struct machine {
    phys_mem_t mem;
    cpu_t *cpu[MACHINE_MAX_CPUS];
    int ncpu;
    struct block_cache *blocks;
    pio_fn pio;
    void *pio_opaque;
    uint64_t tsc_hz;          /* virtual TSC frequency: TSC = icount * tsc_hz / ips */
    cpu_t *current;           /* the vCPU inside cpu_run (the local APIC MMIO window is per vCPU) */
    lapic_window_t apic_window[LAPIC_MAX_WINDOWS];
} machine_t;

int machine_init(machine_t *m, int ncpu);
void machine_destroy(machine_t *m);

/* `bytes` of RAM from 0; what lies above low_top moves to 4 GiB and up,
 * leaving a hole below 4 GiB for MMIO and firmware tables. 0 or -1. */
int machine_add_ram(machine_t *m, uint64_t bytes, uint64_t low_top);

/* A store hit a physical page holding predecoded code: drop its blocks. */
void machine_code_written(machine_t *m, uint64_t phys);

/* A store to [pa, pa+len) hit a line some vCPU monitors (MONITOR): it
 * triggers those monitors and wakes their MWAIT (src/cpu/monitor.c). */
void machine_monitor_written(machine_t *m, uint64_t pa, uint64_t len);

/* Every store that bypasses the TLB's fast path reports here: [pa, pa+len)
 * within one page. Costs one byte load for unwatched pages. */
static inline void machine_phys_written(machine_t *m, uint64_t pa, uint64_t len)
{
    uint64_t pfn = pa >> 12;
    if (pfn >= m->mem.ram_top >> 12 || !m->mem.code_pages[pfn])
        return;
    uint8_t w = m->mem.code_pages[pfn];
    if (w & PHYS_WATCH_CODE)
        machine_code_written(m, pa);
    if (w & PHYS_WATCH_MONITOR)
        machine_monitor_written(m, pa, len);
}

#endif
