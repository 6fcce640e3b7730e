/* The bench/mips workloads. Each is one freestanding C file: its run
 * function is built both into a guest ELF (with WL_GUEST defined) and into
 * the runner, so the interpreter and the host CPU execute the same code. */
#ifndef BENCH_WORKLOAD_H
#define BENCH_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

/* run(mem, size) returns a checksum; 0 means the workload's own check
 * failed. init(mem, size) writes the input (native, untimed). */
uint64_t wl_sha256_run(void *mem, uint64_t size);
uint64_t wl_qsort_run(void *mem, uint64_t size);
uint64_t wl_search_run(void *mem, uint64_t size);

#ifndef WL_GUEST
void wl_sha256_init(void *mem, uint64_t size);
void wl_qsort_init(void *mem, uint64_t size);
void wl_search_init(void *mem, uint64_t size);

/* splitmix64: the fixed PRNG behind every input. */
static inline uint64_t wl_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
#endif

#endif
