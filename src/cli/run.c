/* `xenemu run`: build the machine the options ask for and run it. */
#include <stdio.h>

#include "xenemu/run.h"

int xenemu_run(const struct cli_options *opt)
{
    if (opt->machine == CLI_MACHINE_BARE)
        return bare_run(opt);
    fputs("xenemu: error: the Xen host machine is not available yet; use --machine bare\n", stderr);
    return CLI_EXIT_USAGE;
}
