/* Command-line parsing: turns argv into struct cli_options, or one error line. */
#include "xenemu/cli.h"
#include "xenemu/trace.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct parser {
    int argc;
    char **argv;
    int next; /* index of the next unread argument */
    char *err;
    size_t errlen;
};

enum run_opt {
    OPT_MEMORY,
    OPT_VCPUS,
    OPT_INITRD,
    OPT_CMDLINE,
    OPT_MACHINE,
    OPT_MAX_INSNS,
    OPT_TIMEOUT,
    OPT_EXPECT,
    OPT_FAIL_ON,
    OPT_CONSOLE_LOG,
    OPT_JUNIT,
    OPT_GDB,
    OPT_GDB_WAIT,
    OPT_TRACE,
    OPT_TRACE_FILE,
    OPT_TRACE_FROM,
    OPT_TRACE_UNTIL,
    OPT_TRACE_RANGE,
    OPT_STATS,
    OPT_HELP,
    OPT_COUNT,
};

struct run_opt_spec {
    const char *name;
    enum run_opt id;
    bool takes_value;
};

static const struct run_opt_spec run_opts[] = {
    {"--memory", OPT_MEMORY, true},   {"--vcpus", OPT_VCPUS, true},
    {"--initrd", OPT_INITRD, true},   {"--cmdline", OPT_CMDLINE, true},
    {"--machine", OPT_MACHINE, true}, {"--max-insns", OPT_MAX_INSNS, true},
    {"--timeout", OPT_TIMEOUT, true}, {"--expect", OPT_EXPECT, true},
    {"--fail-on", OPT_FAIL_ON, true}, {"--console-log", OPT_CONSOLE_LOG, true},
    {"--junit", OPT_JUNIT, true},     {"--gdb", OPT_GDB, true},
    {"--gdb-wait", OPT_GDB_WAIT, false}, {"--help", OPT_HELP, false},
    {"--trace", OPT_TRACE, true},     {"--trace-file", OPT_TRACE_FILE, true},
    {"--trace-from", OPT_TRACE_FROM, true}, {"--trace-until", OPT_TRACE_UNTIL, true},
    {"--trace-range", OPT_TRACE_RANGE, true}, {"--stats", OPT_STATS, false},
    {"-h", OPT_HELP, false},
};

static const char help_text[] =
    "Usage: xenemu run [options] KERNEL\n"
    "       xenemu info KERNEL\n"
    "       xenemu trace summary|diff|compare|export ... (xenemu trace --help)\n"
    "       xenemu --help | -h | help\n"
    "       xenemu --version\n"
    "\n"
    "Boots a PVH kernel (an ELF image with XEN_ELFNOTE_PHYS32_ENTRY) on an\n"
    "emulated x86-64 machine whose host is a model of the Xen hypervisor.\n"
    "\n"
    "info prints the kernel's entry point, load segments and Xen ELF notes\n"
    "(a bzImage is unpacked to the ELF inside).\n"
    "\n"
    "Options for run (\"--opt VALUE\" and \"--opt=VALUE\" are the same):\n"
    "  --memory SIZE     guest RAM in bytes, or with a K, M, G or T suffix\n"
    "                    (powers of 1024); a multiple of 4K from 1M to 1T\n"
    "                    (default 512M)\n"
    "  --vcpus N         number of virtual CPUs, 1 to 128 (default 1)\n"
    "  --initrd FILE     initial ramdisk to hand to the kernel\n"
    "  --cmdline STRING  kernel command line, at most 2047 bytes\n"
    "  --machine MODEL   xen: the guest runs under the Xen model (default)\n"
    "                    bare: the CPU alone, no hypervisor\n"
    "  --max-insns N     stop after N retired instructions (all vCPUs), status 124\n"
    "  --timeout SECONDS stop after SECONDS of host time, status 124\n"
    "  --expect REGEX    the console must print a line matching REGEX (POSIX\n"
    "                    extended) before the guest stops, else status 1\n"
    "  --fail-on REGEX   status 1 as soon as a console line matches REGEX\n"
    "  --console-log FILE  also write the console output to FILE\n"
    "  --junit FILE      write a JUnit XML report of the run to FILE\n"
    "  --stats           at the end, print the instructions the guest retired,\n"
    "                    virtual and host time (Xen machine)\n"
    "  --gdb PORT        serve the GDB remote protocol on localhost:PORT\n"
    "  --gdb-wait        with --gdb: hold the guest at its first instruction\n"
    "                    until gdb connects\n"
    "  --trace CLASS,... trace events: insn, exception, mode, pagefault, vmexit,\n"
    "                    hypercall, evtchn, grant, p2m, io, timer, console,\n"
    "                    xenstore, or all\n"
    "  --trace-file PATH write the trace to PATH (default stderr); a name\n"
    "                    ending in .xtr selects the compact binary format\n"
    "  --trace-from T    trace only from virtual time T (retired instructions)\n"
    "  --trace-until T   trace only up to virtual time T (inclusive)\n"
    "  --trace-range LO-HI  insn, exception and pagefault events only at guest\n"
    "                    addresses LO to HI (inclusive; hex with 0x)\n"
    "  -h, --help        print this text and exit\n"
    "  --                end of options: the next argument is KERNEL\n"
    "\n"
    "Exit status: 0 the guest powered off, 1 an --expect/--fail-on\n"
    "expectation failed, 2 bad options or images, 3 the guest crashed,\n"
    "4 the machine could not continue, 124 a budget ran out.\n";

const char *cli_help_text(void)
{
    return help_text;
}

/* A control character in a quoted argument must not split the error line. */
static void flatten_line(char *s)
{
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f)
            *s = '?';
    }
}

__attribute__((format(printf, 2, 3))) static int fail(struct parser *p,
                                                      const char *fmt, ...)
{
    if (p->err == NULL || p->errlen == 0)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err, p->errlen, fmt, ap);
    va_end(ap);
    flatten_line(p->err);
    return -1;
}

/* Reads decimal digits at *s; saturates at UINT64_MAX so overflow fails range checks. */
static bool read_decimal(const char **s, uint64_t *out)
{
    const char *c = *s;
    uint64_t v = 0;
    if (*c < '0' || *c > '9')
        return false;
    for (; *c >= '0' && *c <= '9'; c++) {
        unsigned d = (unsigned)(*c - '0');
        v = (v > (UINT64_MAX - d) / 10) ? UINT64_MAX : v * 10 + d;
    }
    *s = c;
    *out = v;
    return true;
}

static unsigned suffix_shift(char c)
{
    switch (c) {
    case 'K': case 'k': return 10;
    case 'M': case 'm': return 20;
    case 'G': case 'g': return 30;
    case 'T': case 't': return 40;
    default: return 0;
    }
}

/* "512M", "2G", "1048576K", "4096": bytes, saturating at UINT64_MAX. */
static bool read_size(const char *s, uint64_t *out)
{
    uint64_t v;
    if (!read_decimal(&s, &v))
        return false;
    if (*s != '\0') {
        unsigned shift = suffix_shift(*s);
        if (shift == 0 || s[1] != '\0')
            return false;
        v = (v > (UINT64_MAX >> shift)) ? UINT64_MAX : v << shift;
    }
    *out = v;
    return true;
}

static int set_memory(struct parser *p, const char *value, struct cli_options *out)
{
    uint64_t bytes;
    if (!read_size(value, &bytes))
        return fail(p, "--memory '%.64s' is not a size (examples: 512M, 2G, 1048576K)",
                    value);
    if (bytes < CLI_MEMORY_MIN || bytes > CLI_MEMORY_MAX)
        return fail(p, "--memory '%.64s' is out of range (1M to 1T)", value);
    if (bytes % CLI_MEMORY_ALIGN != 0)
        return fail(p, "--memory '%.64s' is not a multiple of 4K", value);
    out->memory_bytes = bytes;
    return 0;
}

static int set_vcpus(struct parser *p, const char *value, struct cli_options *out)
{
    const char *s = value;
    uint64_t n;
    if (!read_decimal(&s, &n) || *s != '\0')
        return fail(p, "--vcpus '%.64s' is not a number", value);
    if (n < 1 || n > CLI_VCPUS_MAX)
        return fail(p, "--vcpus '%.64s' is out of range (1 to %u)", value,
                    CLI_VCPUS_MAX);
    out->vcpus = (unsigned)n;
    return 0;
}

static int set_cmdline(struct parser *p, const char *value, struct cli_options *out)
{
    size_t len = strlen(value);
    if (len > CLI_CMDLINE_MAX)
        return fail(p, "--cmdline is %zu bytes long; the limit is %u", len,
                    CLI_CMDLINE_MAX);
    out->cmdline = value;
    return 0;
}

static int set_machine(struct parser *p, const char *value, struct cli_options *out)
{
    if (strcmp(value, "xen") == 0)
        out->machine = CLI_MACHINE_XEN;
    else if (strcmp(value, "bare") == 0)
        out->machine = CLI_MACHINE_BARE;
    else
        return fail(p, "--machine '%.64s' is unknown (use xen or bare)", value);
    return 0;
}

static int set_max_insns(struct parser *p, const char *value, struct cli_options *out)
{
    const char *s = value;
    uint64_t n;
    if (!read_decimal(&s, &n) || *s != '\0' || n == 0 || n == UINT64_MAX)
        return fail(p, "--max-insns '%.64s' is not a positive number", value);
    out->max_insns = n;
    return 0;
}

/* Whole or fractional seconds, up to a year. */
static int set_timeout(struct parser *p, const char *value, struct cli_options *out)
{
    char *end;
    errno = 0;
    double t = strtod(value, &end);
    if (errno || end == value || *end != '\0' || !(t > 0) || t > 366.0 * 86400)
        return fail(p, "--timeout '%.64s' is not a number of seconds (0 < t <= 1 year)", value);
    out->timeout_s = t;
    return 0;
}

static int set_gdb_port(struct parser *p, const char *value, struct cli_options *out)
{
    const char *s = value;
    uint64_t n;
    if (!read_decimal(&s, &n) || *s != '\0' || n < 1 || n > 65535)
        return fail(p, "--gdb '%.64s' is not a TCP port (1 to 65535)", value);
    out->gdb_port = (int)n;
    return 0;
}

/* A decimal or 0x-hex number that fills the whole string. */
static bool read_number(const char *s, uint64_t *out)
{
    if (*s < '0' || *s > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end != '\0')
        return false;
    *out = v;
    return true;
}

static int set_trace(struct parser *p, const char *value, struct cli_options *out)
{
    char why[256];
    if (trace_parse_classes(value, &out->trace_classes, why, sizeof why) < 0)
        return fail(p, "%s", why);
    return 0;
}

static int set_trace_time(struct parser *p, const char *name, const char *value, uint64_t *t)
{
    if (!read_number(value, t))
        return fail(p, "%s '%.64s' is not a virtual time (a number of instructions)", name, value);
    return 0;
}

static int set_trace_range(struct parser *p, const char *value, struct cli_options *out)
{
    char lo[64];
    const char *dash = strchr(value, '-');
    size_t n = dash ? (size_t)(dash - value) : 0;
    if (!dash || n == 0 || n >= sizeof lo)
        return fail(p, "--trace-range '%.64s' is not LO-HI (example: 0x100000-0x1fffff)", value);
    memcpy(lo, value, n);
    lo[n] = '\0';
    if (!read_number(lo, &out->trace_lo) || !read_number(dash + 1, &out->trace_hi))
        return fail(p, "--trace-range '%.64s' is not LO-HI (example: 0x100000-0x1fffff)", value);
    if (out->trace_lo > out->trace_hi)
        return fail(p, "--trace-range '%.64s' ends before it starts", value);
    return 0;
}

static int set_run_value(struct parser *p, enum run_opt id, const char *value,
                         struct cli_options *out)
{
    switch (id) {
    case OPT_MEMORY: return set_memory(p, value, out);
    case OPT_VCPUS: return set_vcpus(p, value, out);
    case OPT_INITRD: out->initrd = value; return 0;
    case OPT_CMDLINE: return set_cmdline(p, value, out);
    case OPT_MACHINE: return set_machine(p, value, out);
    case OPT_MAX_INSNS: return set_max_insns(p, value, out);
    case OPT_TIMEOUT: return set_timeout(p, value, out);
    case OPT_EXPECT: out->expect = value; return 0;
    case OPT_FAIL_ON: out->fail_on = value; return 0;
    case OPT_CONSOLE_LOG: out->console_log = value; return 0;
    case OPT_JUNIT: out->junit = value; return 0;
    case OPT_GDB: return set_gdb_port(p, value, out);
    case OPT_TRACE: return set_trace(p, value, out);
    case OPT_TRACE_FILE: out->trace_file = value; return 0;
    case OPT_TRACE_FROM: return set_trace_time(p, "--trace-from", value, &out->trace_from);
    case OPT_TRACE_UNTIL: return set_trace_time(p, "--trace-until", value, &out->trace_until);
    case OPT_TRACE_RANGE: return set_trace_range(p, value, out);
    case OPT_GDB_WAIT:
    case OPT_STATS:
    case OPT_HELP:
    case OPT_COUNT: break;
    }
    return fail(p, "internal error: option %d has no value", (int)id);
}

static const struct run_opt_spec *find_run_opt(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof run_opts / sizeof run_opts[0]; i++) {
        if (strlen(run_opts[i].name) == len && strncmp(run_opts[i].name, name, len) == 0)
            return &run_opts[i];
    }
    return NULL;
}

/* One option of `run`, in either "--opt VALUE" or "--opt=VALUE" form. */
static int parse_run_option(struct parser *p, const char *arg, bool seen[OPT_COUNT],
                            struct cli_options *out)
{
    const char *eq = strchr(arg, '=');
    size_t name_len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
    const struct run_opt_spec *spec = find_run_opt(arg, name_len);
    if (spec == NULL)
        return fail(p, "unknown option '%.*s' (try 'xenemu --help')",
                    (int)(name_len > 64 ? 64 : name_len), arg);
    if (!spec->takes_value) {
        if (eq != NULL)
            return fail(p, "option '%s' takes no value", spec->name);
        if (spec->id == OPT_GDB_WAIT)
            out->gdb_wait = true;
        else if (spec->id == OPT_STATS)
            out->stats = true;
        else
            out->command = CLI_CMD_HELP;
        return 0;
    }
    const char *value;
    if (eq != NULL)
        value = eq + 1;
    else if (p->next < p->argc)
        value = p->argv[p->next++];
    else
        return fail(p, "option '%s' needs a value", spec->name);
    if (seen[spec->id])
        return fail(p, "option '%s' is given more than once", spec->name);
    seen[spec->id] = true;
    return set_run_value(p, spec->id, value, out);
}

static int set_kernel(struct parser *p, const char *arg, struct cli_options *out)
{
    if (out->kernel != NULL)
        return fail(p, "more than one KERNEL given ('%.100s' and '%.100s')",
                    out->kernel, arg);
    out->kernel = arg;
    return 0;
}

/* The machine reads these files later; refusing them now gives a clear message. */
static int check_input_file(struct parser *p, const char *what, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        int e = errno;
        return fail(p, "%s '%.200s': %s", what, path, strerror(e));
    }
    if (!S_ISREG(st.st_mode))
        return fail(p, "%s '%.200s' is not a regular file", what, path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return fail(p, "%s '%.200s': %s", what, path, strerror(e));
    }
    close(fd);
    return 0;
}

static int check_run_files(struct parser *p, const struct cli_options *out)
{
    if (out->gdb_wait && out->gdb_port == 0)
        return fail(p, "--gdb-wait needs --gdb PORT");
    if (!out->trace_classes && (out->trace_file || out->trace_from || out->trace_until != UINT64_MAX ||
                                out->trace_lo || out->trace_hi != UINT64_MAX))
        return fail(p, "--trace-file, --trace-from, --trace-until and --trace-range need --trace CLASS");
    if (out->trace_from > out->trace_until)
        return fail(p, "--trace-from is after --trace-until");
    if (out->kernel == NULL)
        return fail(p, "no KERNEL given (usage: xenemu run [options] KERNEL)");
    if (check_input_file(p, "kernel", out->kernel) != 0)
        return -1;
    if (out->initrd != NULL && check_input_file(p, "initrd", out->initrd) != 0)
        return -1;
    return 0;
}

static int parse_run(struct parser *p, struct cli_options *out)
{
    bool seen[OPT_COUNT] = {false};
    bool options_ended = false;
    out->command = CLI_CMD_RUN;
    while (p->next < p->argc) {
        const char *arg = p->argv[p->next++];
        int rc;
        if (!options_ended && strcmp(arg, "--") == 0) {
            options_ended = true;
            continue;
        }
        if (!options_ended && arg[0] == '-' && arg[1] != '\0')
            rc = parse_run_option(p, arg, seen, out);
        else
            rc = set_kernel(p, arg, out);
        if (rc != 0)
            return -1;
        if (out->command == CLI_CMD_HELP)
            return 0;
    }
    return check_run_files(p, out);
}

/* xenemu info KERNEL */
static int parse_info(struct parser *p, struct cli_options *out)
{
    out->command = CLI_CMD_INFO;
    if (p->next >= p->argc)
        return fail(p, "no KERNEL given (usage: xenemu info KERNEL)");
    out->kernel = p->argv[p->next++];
    if (p->next < p->argc)
        return fail(p, "unexpected argument '%.64s' after the kernel", p->argv[p->next]);
    return check_input_file(p, "kernel", out->kernel);
}

static void set_defaults(struct cli_options *out)
{
    out->command = CLI_CMD_HELP;
    out->memory_bytes = CLI_MEMORY_DEFAULT;
    out->vcpus = 1;
    out->machine = CLI_MACHINE_XEN;
    out->kernel = NULL;
    out->initrd = NULL;
    out->cmdline = "";
    out->max_insns = 0;
    out->timeout_s = 0;
    out->expect = out->fail_on = out->console_log = out->junit = NULL;
    out->gdb_port = 0;
    out->gdb_wait = false;
    out->stats = false;
    out->trace_classes = 0;
    out->trace_file = NULL;
    out->trace_from = 0;
    out->trace_until = UINT64_MAX;
    out->trace_lo = 0;
    out->trace_hi = UINT64_MAX;
    out->trace_argc = 0;
    out->trace_argv = NULL;
}

static bool is_help_word(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0 ||
           strcmp(arg, "help") == 0;
}

int cli_parse(int argc, char **argv, struct cli_options *out, char *err,
              size_t errlen)
{
    struct parser p = {.argc = argc, .argv = argv, .next = 1, .err = err, .errlen = errlen};
    set_defaults(out);
    if (argc < 2)
        return fail(&p, "no command given (try 'xenemu --help')");
    const char *cmd = argv[p.next++];
    if (strcmp(cmd, "run") == 0)
        return parse_run(&p, out);
    if (strcmp(cmd, "info") == 0)
        return parse_info(&p, out);
    if (strcmp(cmd, "trace") == 0) {
        out->command = CLI_CMD_TRACE;   /* the verbs are parsed by trace_cmd.c */
        out->trace_argc = argc - p.next;
        out->trace_argv = argv + p.next;
        return 0;
    }
    if (is_help_word(cmd))
        out->command = CLI_CMD_HELP;
    else if (strcmp(cmd, "--version") == 0)
        out->command = CLI_CMD_VERSION;
    else if (cmd[0] == '-')
        return fail(&p, "unknown option '%.64s' (try 'xenemu --help')", cmd);
    else
        return fail(&p, "unknown command '%.64s' (try 'xenemu --help')", cmd);
    if (p.next < argc)
        return fail(&p, "unexpected argument '%.64s' after '%s'", argv[p.next], cmd);
    return 0;
}
