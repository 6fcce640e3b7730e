/* Physical memory of the emulated machine: sparse mmap-backed RAM regions and
 * MMIO regions with handlers (DESIGN.md, src/mmu/). */
#ifndef XENEMU_PHYS_H
#define XENEMU_PHYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mmio_ops {
    uint64_t (*read)(void *opaque, uint64_t offset, unsigned size);
    void (*write)(void *opaque, uint64_t offset, uint64_t value, unsigned size);
} mmio_ops_t;

typedef struct phys_region {
    uint64_t start, size;
    uint8_t *host;               /* RAM: host mapping; NULL for MMIO */
    const mmio_ops_t *ops;
    void *opaque;
    bool external;               /* RAM whose host memory belongs to someone else */
} phys_region_t;

#define PHYS_MAX_REGIONS 64

typedef struct phys_mem {
    phys_region_t region[PHYS_MAX_REGIONS];   /* sorted by start, disjoint */
    int nregion;
    uint64_t ram_top;            /* end of the highest RAM region */
    uint8_t *code_pages;         /* per RAM page below ram_top: PHYS_WATCH_* bits */
} phys_mem_t;

/* Why stores to a RAM page are watched (phys_mem.code_pages). A page with
 * any bit set is never writable through the software TLB, so every store
 * reaches the slow path and machine_phys_written (machine.h). */
enum {
    PHYS_WATCH_CODE = 1,      /* it holds predecoded code (self-modifying code) */
    PHYS_WATCH_MONITOR = 2,   /* a vCPU's MONITOR line lies in it (src/cpu/monitor.c) */
};

void phys_init(phys_mem_t *pm);
void phys_destroy(phys_mem_t *pm);

/* Returns 0, or -1 (overlap, no space, mmap failure). RAM reads as zero. */
int phys_add_ram(phys_mem_t *pm, uint64_t start, uint64_t size);
/* RAM backed by the caller's memory (`host`, `size` bytes, kept alive by
 * the caller): hypervisor-owned frames the guest sees through EPT. */
int phys_add_ram_host(phys_mem_t *pm, uint64_t start, uint64_t size, void *host);
int phys_add_mmio(phys_mem_t *pm, uint64_t start, uint64_t size, const mmio_ops_t *ops, void *opaque);

const phys_region_t *phys_find(const phys_mem_t *pm, uint64_t addr);

/* Host pointer for `len` bytes of RAM at addr, or NULL if any byte is not RAM. */
uint8_t *phys_ram_ptr(const phys_mem_t *pm, uint64_t addr, uint64_t len);

/* Byte-wise access through RAM or MMIO (sizes 1, 2, 4, 8 for MMIO);
 * unbacked addresses read as all ones and ignore writes, as on a PC bus. */
uint64_t phys_read(phys_mem_t *pm, uint64_t addr, unsigned size);
void phys_write(phys_mem_t *pm, uint64_t addr, uint64_t value, unsigned size);

/* Copy to/from guest physical memory; false if any byte is not RAM. */
bool phys_copy_to(phys_mem_t *pm, uint64_t addr, const void *src, size_t len);
bool phys_copy_from(phys_mem_t *pm, void *dst, uint64_t addr, size_t len);

#endif
