/* bench/mips: instructions per second of the interpreter on three
 * freestanding workloads, against the same C code run natively. Each
 * workload's checksum must agree between the two: exit status 1 if not. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest.h"
#include "workload.h"

#ifndef BENCH_GUEST_DIR
#define BENCH_GUEST_DIR "."
#endif
#ifndef BENCH_GUEST_CFLAGS
#define BENCH_GUEST_CFLAGS "?"
#endif

#define MiB (1024ull * 1024)

typedef struct workload {
    const char *name;
    const char *unit;                  /* what size counts */
    uint64_t size, quick_size;
    unsigned buf_per_unit;             /* buffer bytes per unit */
    unsigned max_insns_per_unit;       /* generous bound; more means a hang */
    void (*init)(void *, uint64_t);
    uint64_t (*run)(void *, uint64_t);
} workload_t;

static const workload_t workloads[] = {
    { "sha256", "bytes", 16 * MiB, 256 * 1024, 1, 256, wl_sha256_init, wl_sha256_run },
    { "qsort", "ints", 1000000, 65536, 4, 4096, wl_qsort_init, wl_qsort_run },
    { "search", "bytes", 16 * MiB, 1 * MiB, 1, 64, wl_search_init, wl_search_run },
};
#define NWORKLOADS (sizeof workloads / sizeof workloads[0])

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mips [options]\n"
            "  --runs N          runs per workload and side, median reported (default 5)\n"
            "  --workload NAME   sha256, qsort or search; repeat or comma-separate (default all)\n"
            "  --quick           small sizes (a sanity check, not a measurement)\n"
            "  --no-native       interpreter only, no checksum comparison (for profiling)\n"
            "  --wall            time with the wall clock (default: process CPU time)\n"
            "  --list-insns      list each workload's instructions, marking those the\n"
            "                    interpreter does not implement; run nothing\n"
            "  --guest-dir DIR   where the workload ELFs are (default %s)\n"
            "  -h, --help        this text\n"
            "Exit status: 0 all checksums agree, 1 a mismatch or a guest fault, 2 bad usage.\n",
            BENCH_GUEST_DIR);
}

bool bench_wall_clock;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static bool select_workloads(const char *arg, bool *sel)
{
    char *copy = strdup(arg);
    if (!copy)
        return false;
    bool ok = true;
    for (char *save, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        bool found = false;
        for (size_t i = 0; i < NWORKLOADS; i++)
            if (strcmp(tok, workloads[i].name) == 0 || strcmp(tok, "all") == 0)
                sel[i] = found = true;
        if (!found) {
            fprintf(stderr, "mips: unknown workload '%s'\n", tok);
            ok = false;
        }
    }
    free(copy);
    return ok;
}

static void size_text(const workload_t *w, uint64_t size, char *out, size_t len)
{
    if (strcmp(w->unit, "bytes") == 0 && size % MiB == 0)
        snprintf(out, len, "%llu MiB", (unsigned long long)(size / MiB));
    else if (strcmp(w->unit, "bytes") == 0 && size % 1024 == 0)
        snprintf(out, len, "%llu KiB", (unsigned long long)(size / 1024));
    else
        snprintf(out, len, "%llu %s", (unsigned long long)size, w->unit);
}

/* Runs one workload both ways; returns 0, 1 (mismatch, fault) or 2 (setup). */
static int bench_one(const workload_t *w, const char *dir, bool quick, bool native, int runs)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.elf", dir, w->name);
    guest_image_t img;
    if (!guest_image_load(&img, path))
        return 2;
    uint64_t size = quick ? w->quick_size : w->size;
    uint64_t buf_bytes = size * w->buf_per_unit;
    uint64_t max_insns = size * w->max_insns_per_unit + 1000000;
    void *native_buf = aligned_alloc(4096, (buf_bytes + 4095) & ~4095ull);
    double *t_int = calloc((size_t)runs, sizeof *t_int);
    double *t_nat = calloc((size_t)runs, sizeof *t_nat);
    int status = 0;
    if (!native_buf || !t_int || !t_nat) {
        fprintf(stderr, "mips: out of memory\n");
        status = 2;
        goto out;
    }
    char sz[32];
    size_text(w, size, sz, sizeof sz);
    uint64_t sum_nat = 0, sum_int = 0, icount = 0;
    for (int r = 0; native && r < runs; r++) {
        w->init(native_buf, size);
        double t0 = bench_seconds();
        uint64_t c = w->run(native_buf, size);
        t_nat[r] = bench_seconds() - t0;
        if (r > 0 && c != sum_nat) {
            fprintf(stderr, "mips: %s: native checksum changed between runs\n", w->name);
            status = 1;
        }
        sum_nat = c;
    }
    for (int r = 0; r < runs; r++) {
        guest_result_t res;
        fflush(stdout);
        if (!guest_run(&img, w->init, size, buf_bytes, max_insns, &res)) {
            printf("%-7s %-11s %13llu %9.3f %8.1f  stopped before HLT (see stderr)\n", w->name, sz,
                   (unsigned long long)res.icount, res.seconds,
                   res.seconds > 0 ? res.icount / res.seconds / 1e6 : 0.0);
            status = 1;
            goto out;
        }
        t_int[r] = res.seconds;
        if (r > 0 && (res.checksum != sum_int || res.icount != icount)) {
            fprintf(stderr, "mips: %s: the interpreter is not deterministic across runs\n", w->name);
            status = 1;
        }
        sum_int = res.checksum;
        icount = res.icount;
    }
    double ti = median(t_int, runs), tn = native ? median(t_nat, runs) : 0;
    if (!native) {
        printf("%-7s %-11s %13llu %9.3f %8.1f %9s %10s  %016llx %-16s %s\n", w->name, sz,
               (unsigned long long)icount, ti, ti > 0 ? icount / ti / 1e6 : 0.0, "-", "-",
               (unsigned long long)sum_int, "-", sum_int ? "not compared" : "SELF-CHECK FAILED");
        status = sum_int ? status : 1;
        goto out;
    }
    bool match = sum_int == sum_nat && sum_nat != 0;
    printf("%-7s %-11s %13llu %9.3f %8.1f %9.4f %9.1fx  %016llx %016llx %s\n", w->name, sz,
           (unsigned long long)icount, ti, ti > 0 ? icount / ti / 1e6 : 0.0, tn,
           tn > 0 ? ti / tn : 0.0, (unsigned long long)sum_int, (unsigned long long)sum_nat,
           match ? "ok" : sum_nat == 0 ? "SELF-CHECK FAILED" : "MISMATCH");
    fflush(stdout);
    if (!match)
        status = 1;
out:
    free(t_int);
    free(t_nat);
    free(native_buf);
    guest_image_free(&img);
    return status;
}

int main(int argc, char **argv)
{
    int runs = 5;
    bool quick = false, list = false, native = true, sel[NWORKLOADS] = { false }, any = false;
    const char *dir = BENCH_GUEST_DIR;
    for (int i = 1; i < argc; i++) {
        char a[64];
        const char *val = NULL;
        /* --opt VALUE or --opt=VALUE */
        const char *eq = strncmp(argv[i], "--", 2) == 0 ? strchr(argv[i], '=') : NULL;
        size_t alen = eq ? (size_t)(eq - argv[i]) : strlen(argv[i]);
        snprintf(a, sizeof a, "%.*s", (int)(alen < sizeof a ? alen : sizeof a - 1), argv[i]);
        if (eq)
            val = eq + 1;
        bool takes = strcmp(a, "--runs") == 0 || strcmp(a, "--workload") == 0 ||
                     strcmp(a, "--guest-dir") == 0;
        if (eq && !takes) {
            fprintf(stderr, "mips: %s takes no value\n", a);
            return 2;
        }
        if (takes && !eq) {
            if (i + 1 == argc) {
                fprintf(stderr, "mips: %s needs a value\n", a);
                return 2;
            }
            val = argv[++i];
        }
        if (strcmp(a, "--runs") == 0) {
            char *end;
            errno = 0;
            long n = strtol(val, &end, 10);
            if (errno || *end || end == val || n < 1 || n > 1000) {
                fprintf(stderr, "mips: --runs wants 1 to 1000\n");
                return 2;
            }
            runs = (int)n;
        } else if (strcmp(a, "--workload") == 0) {
            if (!select_workloads(val, sel))
                return 2;
            any = true;
        } else if (strcmp(a, "--guest-dir") == 0) {
            dir = val;
        } else if (strcmp(a, "--quick") == 0) {
            quick = true;
        } else if (strcmp(a, "--wall") == 0) {
            bench_wall_clock = true;
        } else if (strcmp(a, "--no-native") == 0) {
            native = false;
        } else if (strcmp(a, "--list-insns") == 0) {
            list = true;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "mips: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (!any)
        for (size_t i = 0; i < NWORKLOADS; i++)
            sel[i] = true;

    int status = 0;
    if (list) {
        for (size_t i = 0; i < NWORKLOADS; i++) {
            if (!sel[i])
                continue;
            char path[4096];
            snprintf(path, sizeof path, "%s/%s.elf", dir, workloads[i].name);
            guest_image_t img;
            if (!guest_image_load(&img, path))
                return 2;
            int n = guest_list_insns(&img);
            guest_image_free(&img);
            if (n < 0)
                return 2;
            if (n > 0)
                status = 1;
        }
        return status;
    }

    printf("xenemu bench/mips: median of %d run%s, %s time%s\n", runs, runs == 1 ? "" : "s",
           bench_wall_clock ? "wall" : "CPU", quick ? ", --quick sizes" : "");
    printf("guest code: gcc %s; native code: the same source, %s%s\n", BENCH_GUEST_CFLAGS,
#ifdef __clang__
           "",
#else
           "gcc ",
#endif
           __VERSION__);
    printf("%-7s %-11s %13s %9s %8s %9s %10s  %-16s %-16s\n", "name", "size", "guest insns",
           "interp s", "MIPS", "native s", "slowdown", "interp sum", "native sum");
    for (size_t i = 0; i < NWORKLOADS; i++) {
        if (!sel[i])
            continue;
        int s = bench_one(&workloads[i], dir, quick, native, runs);
        if (s > status)
            status = s;
    }
    return status;
}
