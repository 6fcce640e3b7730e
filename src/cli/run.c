/* `xenemu run`: build the machine the options ask for and run it. */
#include "xenemu/run.h"

int xenemu_run(const struct cli_options *opt)
{
    if (opt->machine == CLI_MACHINE_BARE)
        return bare_run(opt);
    return xen_machine_run(opt);
}
