/* Tracing on the command line: starting the trace `run --trace` asks for,
 * and the `xenemu trace VERB ...` subcommand over binary traces. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xenemu/machine.h"
#include "xenemu/run.h"
#include "xenemu/trace.h"
#include "xenemu/trace_reader.h"

#define DEFAULT_TSC_HZ 2000000000ull   /* cpu_tsc_hz() when the machine sets none */
#define VIRT_IPS 1000000000ull         /* CPU_VIRT_IPS (src/cpu/system.h) */

int cli_trace_start(const struct cli_options *opt, struct machine *m, int model, char *err, size_t errlen)
{
    if (!opt->trace_classes)
        return 0;
    trace_config_t cfg;
    trace_config_default(&cfg);
    cfg.classes = opt->trace_classes;
    cfg.path = opt->trace_file;
    cfg.from = opt->trace_from;
    cfg.until = opt->trace_until;
    cfg.lo = opt->trace_lo;
    cfg.hi = opt->trace_hi;
    cfg.model = (enum trace_model)model;
    cfg.vcpus = (unsigned)m->ncpu;
    cfg.tsc_hz = m->tsc_hz ? m->tsc_hz : DEFAULT_TSC_HZ;
    cfg.ips = VIRT_IPS;
    cfg.machine = m;
    return trace_start(&cfg, err, errlen);
}

void cli_trace_finish(void)
{
    trace_stop();
}

static const char trace_help[] =
    "Usage: xenemu trace summary FILE\n"
    "       xenemu trace diff [--context N] A B\n"
    "       xenemu trace compare A B...\n"
    "       xenemu trace export --perfetto FILE [-o OUT]\n"
    "\n"
    "FILE, A, B are binary traces written by `xenemu run --trace CLASS,...\n"
    "--trace-file NAME.xtr`.\n"
    "  summary  events per class and kind, exceptions by vector, VM exits by\n"
    "           reason (with the virtual time until the next VM entry),\n"
    "           hypercalls by name and sub-op, port I/O by port\n"
    "  diff     the first event where two traces diverge, with N (default 3)\n"
    "           events of context; status 0 identical, 1 they diverge\n"
    "  compare  summaries side by side, one column per trace\n"
    "  export   Chrome trace-event JSON for Perfetto or chrome://tracing\n"
    "           (to OUT, default stdout)\n";

static int usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "xenemu: error: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (try 'xenemu trace --help')\n");
    return CLI_EXIT_USAGE;
}

static int failed(int rc, const char *err)
{
    if (rc >= 0)
        return rc;
    fprintf(stderr, "xenemu: error: %s\n", err);
    return CLI_EXIT_USAGE;
}

static int verb_diff(int argc, char **argv, char *err, size_t errlen)
{
    unsigned context = 3;
    int i = 0;
    if (argc >= 1 && strncmp(argv[0], "--context", 9) == 0) {
        const char *v = argv[0][9] == '=' ? argv[0] + 10 : argc >= 2 ? argv[1] : "";
        char *end;
        unsigned long n = strtoul(v, &end, 10);
        if (!*v || *end || n > 16)
            return usage("--context '%.32s' is not a number from 0 to 16", v);
        context = (unsigned)n;
        i = argv[0][9] == '=' ? 1 : 2;
    }
    if (argc - i != 2)
        return usage("%sdiff needs two traces", "");
    return failed(trace_diff(argv[i], argv[i + 1], context, stdout, err, errlen), err);
}

static int verb_export(int argc, char **argv, char *err, size_t errlen)
{
    const char *in = NULL, *outp = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--perfetto") == 0 && i + 1 < argc)
            in = argv[++i];
        else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            outp = argv[++i];
        else
            return usage("unexpected export argument '%.64s'", argv[i]);
    }
    if (!in)
        return usage("%sexport needs --perfetto FILE", "");
    FILE *out = stdout;
    if (outp && !(out = fopen(outp, "w")))
        return usage("cannot write '%.200s'", outp);
    int rc = trace_export_perfetto(in, out, err, errlen);
    if (outp && fclose(out) != 0 && rc == 0) {
        snprintf(err, errlen, "cannot write '%.200s'", outp);
        rc = -1;
    }
    return failed(rc, err);
}

int xenemu_trace_cmd(const struct cli_options *opt)
{
    int argc = opt->trace_argc;
    char **argv = opt->trace_argv;
    char err[512];
    if (argc < 1)
        return usage("%strace needs a verb: summary, diff, compare or export", "");
    const char *verb = argv[0];
    argc--;
    argv++;
    if (!strcmp(verb, "--help") || !strcmp(verb, "-h") || !strcmp(verb, "help")) {
        fputs(trace_help, stdout);
        return 0;
    }
    if (!strcmp(verb, "summary")) {
        if (argc != 1)
            return usage("%ssummary needs one trace", "");
        return failed(trace_summary(argv[0], stdout, err, sizeof err), err);
    }
    if (!strcmp(verb, "diff"))
        return verb_diff(argc, argv, err, sizeof err);
    if (!strcmp(verb, "compare")) {
        if (argc < 1)
            return usage("%scompare needs at least one trace", "");
        return failed(trace_compare(argc, argv, stdout, err, sizeof err), err);
    }
    if (!strcmp(verb, "export"))
        return verb_export(argc, argv, err, sizeof err);
    return usage("unknown trace verb '%.64s'", verb);
}
