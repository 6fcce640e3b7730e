/* Building and tearing down the machine: its memory, vCPUs and code cache. */
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "xenemu/machine.h"
#include "xenemu/vmx.h"

int machine_init(machine_t *m, int ncpu)
{
    memset(m, 0, sizeof *m);
    if (ncpu < 1 || ncpu > MACHINE_MAX_CPUS)
        return -1;
    phys_init(&m->mem);
    if (block_cache_init(m) < 0)
        return -1;
    for (int i = 0; i < ncpu; i++) {
        /* cpu_t holds jmp_bufs and xmm state that need 16-byte alignment. */
        cpu_t *c = aligned_alloc(64, (sizeof *c + 63) & ~(size_t)63);
        if (!c) {
            machine_destroy(m);
            return -1;
        }
        m->cpu[i] = c;
        m->ncpu = i + 1;
        cpu_init(c, m, i);
    }
    return 0;
}

void machine_destroy(machine_t *m)
{
    for (int i = 0; i < m->ncpu; i++) {
        vmx_free(m->cpu[i]);          /* VMX state, allocated on first use */
        free(m->cpu[i]);
    }
    m->ncpu = 0;
    block_cache_destroy(m);
    phys_destroy(&m->mem);
}

int machine_add_ram(machine_t *m, uint64_t bytes, uint64_t low_top)
{
    uint64_t low = bytes < low_top ? bytes : low_top;
    if (phys_add_ram(&m->mem, 0, low) < 0)
        return -1;
    if (bytes > low && phys_add_ram(&m->mem, 1ull << 32, bytes - low) < 0)
        return -1;
    return 0;
}
