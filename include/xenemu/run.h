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

#endif
