/* TEMPORARY: stands in for the machine until the real run loop replaces this file. */
#include "xenemu/run.h"

#include <stdio.h>

int xenemu_run(const struct cli_options *opt)
{
    (void)opt;
    fputs("xenemu: error: the machine is not built yet\n", stderr);
    return CLI_EXIT_USAGE;
}
