/* Running a freestanding workload ELF in the interpreter: loading it with
 * libelf, a flat 64-bit machine with identity paging, and reports of what
 * stopped it. */
#ifndef BENCH_GUEST_H
#define BENCH_GUEST_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define GUEST_MAX_SEGS 8

typedef struct guest_seg {
    uint64_t vaddr, filesz, memsz;
    uint32_t flags;            /* PF_X, PF_W, PF_R */
    uint8_t *data;             /* filesz bytes */
} guest_seg_t;

typedef struct guest_sym {
    uint64_t addr, size;
    char *name;
} guest_sym_t;

typedef struct guest_image {
    char *path;
    uint64_t entry;
    guest_seg_t seg[GUEST_MAX_SEGS];
    int nseg;
    guest_sym_t *sym;          /* function symbols */
    int nsym;
} guest_image_t;

/* The benchmark clock: CPU time of this process by default, so other
 * load on the host does not count; wall time with bench_wall_clock. */
extern bool bench_wall_clock;

static inline double bench_seconds(void)
{
    struct timespec ts;
    clock_gettime(bench_wall_clock ? CLOCK_MONOTONIC : CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct guest_result {
    uint64_t checksum;         /* RAX at HLT */
    uint64_t icount;           /* instructions retired, HLT included */
    double seconds;            /* bench_seconds() inside cpu_run */
} guest_result_t;

/* Read an ELF image; false (with a message on stderr) on any problem. */
bool guest_image_load(guest_image_t *img, const char *path);
void guest_image_free(guest_image_t *img);

/* On a fresh machine: load img, fill the buffer natively with
 * init(buf, size), then run the entry with (buf, size) until HLT. False
 * (with a report on stderr) if the guest faulted or ran past max_insns;
 * res->icount and res->seconds then tell how far it got. */
bool guest_run(const guest_image_t *img, void (*init)(void *, uint64_t), uint64_t size,
               uint64_t buf_bytes, uint64_t max_insns, guest_result_t *res);

/* Disassemble the image's code with Capstone and list its instructions,
 * marking those the interpreter's decoder turns into #UD. Returns how many
 * distinct unimplemented instruction forms were found. */
int guest_list_insns(const guest_image_t *img);

#endif
