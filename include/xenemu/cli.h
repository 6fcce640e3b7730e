/* Command-line interface: what the user asked xenemu to do. */
#ifndef XENEMU_CLI_H
#define XENEMU_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XENEMU_VERSION_STRING "0.1.0"

/* Exit status for bad user input (see the exit status table in DESIGN.md). */
#define CLI_EXIT_USAGE 2

#define CLI_MEMORY_DEFAULT (512ULL << 20)
#define CLI_MEMORY_MIN (1ULL << 20)
#define CLI_MEMORY_MAX (1ULL << 40)
#define CLI_MEMORY_ALIGN 4096ULL
#define CLI_VCPUS_MAX 128U
/* Linux's COMMAND_LINE_SIZE is 2048 including the terminating NUL. */
#define CLI_CMDLINE_MAX 2047U

enum cli_command {
    CLI_CMD_HELP,
    CLI_CMD_VERSION,
    CLI_CMD_RUN,
    CLI_CMD_INFO,
    CLI_CMD_TRACE,      /* `xenemu trace VERB ...` (src/cli/trace_cmd.c) */
};

enum cli_machine {
    CLI_MACHINE_XEN,
    CLI_MACHINE_BARE,
};

/* Strings point into argv (or at a static ""), so they live as long as argv. */
struct cli_options {
    enum cli_command command;
    /* The fields below are meaningful only for CLI_CMD_RUN. */
    uint64_t memory_bytes;
    unsigned vcpus;
    enum cli_machine machine;
    const char *kernel;
    const char *initrd;  /* NULL when not given */
    const char *cmdline; /* "" when not given */
    /* The CI harness (0 / NULL when not given). */
    uint64_t max_insns;      /* retired-instruction budget, all vCPUs */
    double timeout_s;        /* host seconds */
    const char *expect;      /* POSIX extended regexes */
    const char *fail_on;
    const char *console_log;
    const char *junit;
    int gdb_port;            /* 0: no gdb stub */
    bool gdb_wait;           /* hold the guest until gdb connects */
    bool stats;              /* --stats: print run statistics at the end */
    /* Tracing (src/trace): trace_classes 0 when --trace is not given. */
    uint32_t trace_classes;  /* bit per enum trace_class */
    const char *trace_file;  /* NULL: stderr; *.xtr: binary */
    uint64_t trace_from, trace_until;   /* virtual-time window, inclusive */
    uint64_t trace_lo, trace_hi;        /* guest address range, inclusive */
    /* CLI_CMD_TRACE: the arguments after "trace". */
    int trace_argc;
    char **trace_argv;
};

/* Exit statuses of DESIGN.md beyond 0 and 2. */
#define CLI_EXIT_EXPECT 1
#define CLI_EXIT_CRASH 3
#define CLI_EXIT_STUCK 4
#define CLI_EXIT_BUDGET 124

/*
 * Parses argv (argv[0] is the program name) into *out. Checks every value,
 * including that KERNEL and --initrd are readable regular files.
 * Returns 0, or -1 with a one-line message (no prefix, no newline) in err.
 */
int cli_parse(int argc, char **argv, struct cli_options *out, char *err,
              size_t errlen);

/* The text printed by `xenemu --help`, ending in a newline. */
const char *cli_help_text(void);

#endif
