/* Predecoded basic blocks and their cache (DESIGN.md, "Decode once"). */
#ifndef XENEMU_CPU_BLOCK_H
#define XENEMU_CPU_BLOCK_H

#include "xenemu/insn.h"
#include "xenemu/machine.h"

#define BLOCK_MAX_INSNS 64

typedef struct block {
    uint64_t lin;              /* linear address of the first byte */
    uint64_t phys;             /* its physical address */
    uint64_t phys2;            /* page holding the tail of a page-straddling last instruction, or ~0 */
    struct block *hnext;       /* hash chain */
    struct block *pnext[2];    /* blocks on the page of phys [0] and of phys2 [1] */
    struct block *link[2];     /* successors found before, on the same linear page */
    uint32_t key;              /* cpu->decode_key at decode time */
    uint16_t n;
    bool valid;
    bool chainable;            /* ends in a direct branch or a plain instruction */
    insn_t insn[];
} block_t;

struct block_cache {
    uint8_t *arena;
    size_t arena_size, used;
    block_t **hash;            /* by (phys, key) */
    block_t **page_head;       /* by physical page number, below mem.ram_top */
    uint64_t npages;
    uint64_t generation;       /* bumped on every full flush */
};

int block_cache_init(machine_t *m);
void block_cache_destroy(machine_t *m);

/* The block starting at cpu's current RIP, decoded if needed. May raise a
 * fetch fault for its first instruction. */
block_t *block_lookup(cpu_t *cpu);

/* The block at RIP found by block_lookup, remembered as a chained
 * successor of `prev` (may be NULL) when that is safe. */
block_t *block_next(cpu_t *cpu, block_t *prev);

/* Handler that marks an invalidated instruction: it did not run. */
void insn_stale(cpu_t *cpu, const insn_t *in);

#endif
