/* The CI harness of `xenemu run` (budgets, console expectations, JUnit):
 * machine-independent, so the bare and Xen machines share it. */
#ifndef XENEMU_HARNESS_H
#define XENEMU_HARNESS_H

#include "xenemu/cli.h"
#include "xenemu/conout.h"
#include "xenemu/machine.h"

typedef struct harness {
    conout_t con;
    const struct cli_options *opt;
    machine_t *m;
    double start_s;            /* host monotonic time at start */
    bool fail_hit;             /* --fail-on matched */
    const char *verdict;       /* why the run ended, for reports */
} harness_t;

/* Returns 0, or -1 with a one-line reason (bad regex, unwritable file). */
int harness_init(harness_t *h, const struct cli_options *opt, machine_t *m, char *err, size_t errlen);

/* Virtual time at which the run must stop (UINT64_MAX: no budget). */
uint64_t harness_insn_limit(const harness_t *h);

/* Between slices: an exit status when a budget ran out or --fail-on
 * matched, else -1. Prints the register dumps a budget stop owes. */
int harness_check(harness_t *h, uint64_t now);

/* The run ended with `status` (as the machine saw it): applies --expect,
 * writes --junit, closes the console. Returns the final exit status. */
int harness_finish(harness_t *h, int status, const char *why);

#endif
