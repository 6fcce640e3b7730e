/* xenemu entry point: parse the command line, then do what it asks. */
#include "xenemu/cli.h"
#include "xenemu/run.h"

#include <stdio.h>

int main(int argc, char **argv)
{
    struct cli_options opt;
    char err[512];

    if (cli_parse(argc, argv, &opt, err, sizeof err) != 0) {
        fprintf(stderr, "xenemu: error: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    switch (opt.command) {
    case CLI_CMD_HELP:
        fputs(cli_help_text(), stdout);
        return 0;
    case CLI_CMD_VERSION:
        puts("xenemu " XENEMU_VERSION_STRING);
        return 0;
    case CLI_CMD_RUN:
        return xenemu_run(&opt);
    case CLI_CMD_INFO:
        return xenemu_info(&opt);
    case CLI_CMD_TRACE:
        return xenemu_trace_cmd(&opt);
    }
    fprintf(stderr, "xenemu: error: internal error: unknown command %d\n", (int)opt.command);
    return CLI_EXIT_USAGE;
}
