/* Building and running a machine from parsed command-line options. */
#ifndef XENEMU_RUN_H
#define XENEMU_RUN_H

#include "xenemu/cli.h"

/* Runs the machine opt describes; returns the process exit status. */
int xenemu_run(const struct cli_options *opt);

/* `xenemu info`: describe a kernel image; returns the exit status. */
int xenemu_info(const struct cli_options *opt);

/* The bare machine: a kernel in root mode with debug ports, no Xen. */
int bare_run(const struct cli_options *opt);

/* The Xen host: a PVH kernel as a domU (src/cli/xen_run.c). */
int xen_machine_run(const struct cli_options *opt);

/* `xenemu trace VERB ...` (src/cli/trace_cmd.c); returns the exit status. */
int xenemu_trace_cmd(const struct cli_options *opt);

struct machine;
/* Start the trace --trace asked for (nothing when it did not); model is
 * an enum trace_model. Returns 0, or -1 with a one-line reason. */
int cli_trace_start(const struct cli_options *opt, struct machine *m, int model, char *err, size_t errlen);
/* Flush and close the trace. */
void cli_trace_finish(void);

#endif
