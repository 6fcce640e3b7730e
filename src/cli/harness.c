/* The CI harness (DESIGN.md, "Errors and exit status"): --max-insns and
 * --timeout end a run with 124 and a register dump of every vCPU;
 * --fail-on ends it with 1 as soon as a console line matches; --expect
 * turns a clean stop into 1 when its line never came; --junit reports the
 * run as one test case. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xenemu/harness.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* --fail-on matched: stop every vCPU at its next block boundary. */
static void on_fail(void *opaque)
{
    harness_t *h = opaque;
    h->fail_hit = true;
    for (int i = 0; i < h->m->ncpu; i++)
        h->m->cpu[i]->pending_events = true;
}

int harness_init(harness_t *h, const struct cli_options *opt, machine_t *m, char *err, size_t errlen)
{
    memset(h, 0, sizeof *h);
    h->opt = opt;
    h->m = m;
    h->start_s = now_s();
    if (conout_init(&h->con, stdout, opt->console_log, opt->expect, opt->fail_on, opt->junit != NULL, err,
                    errlen) < 0)
        return -1;
    h->con.on_fail = on_fail;
    h->con.opaque = h;
    if (opt->junit) {
        FILE *f = fopen(opt->junit, "w");    /* fail now, not after a long run */
        if (!f) {
            snprintf(err, errlen, "cannot write the JUnit report '%.200s'", opt->junit);
            conout_close(&h->con);
            return -1;
        }
        fclose(f);
    }
    return 0;
}

uint64_t harness_insn_limit(const harness_t *h)
{
    return h->opt->max_insns ? h->opt->max_insns : UINT64_MAX;
}

static int budget_stop(harness_t *h, const char *why)
{
    conout_finish(&h->con);
    fprintf(stderr, "xenemu: %s\n", why);
    for (int i = 0; i < h->m->ncpu; i++)
        cpu_dump(h->m->cpu[i], stderr);
    h->verdict = why;
    return CLI_EXIT_BUDGET;
}

int harness_check(harness_t *h, uint64_t now)
{
    if (h->fail_hit) {
        conout_finish(&h->con);
        fprintf(stderr, "xenemu: the console matched --fail-on '%s'\n", h->opt->fail_on);
        h->verdict = "the console matched --fail-on";
        return CLI_EXIT_EXPECT;
    }
    if (h->opt->max_insns && now >= h->opt->max_insns)
        return budget_stop(h, "the instruction budget (--max-insns) ran out");
    if (h->opt->timeout_s > 0 && now_s() - h->start_s >= h->opt->timeout_s)
        return budget_stop(h, "the time budget (--timeout) ran out");
    return -1;
}

/* XML text: escape markup, drop what XML 1.0 cannot carry. */
static void xml_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '<')
            fputs("&lt;", f);
        else if (c == '>')
            fputs("&gt;", f);
        else if (c == '&')
            fputs("&amp;", f);
        else if (c == '"')
            fputs("&quot;", f);
        else if (c >= 0x20 || c == '\n' || c == '\t')
            fputc(c, f);
    }
}

static void write_junit(harness_t *h, int status, const char *why)
{
    FILE *f = fopen(h->opt->junit, "w");
    if (!f) {
        fprintf(stderr, "xenemu: cannot write the JUnit report '%s'\n", h->opt->junit);
        return;
    }
    const char *name = strrchr(h->opt->kernel, '/');
    name = name ? name + 1 : h->opt->kernel;
    double secs = now_s() - h->start_s;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f, "<testsuite name=\"xenemu\" tests=\"1\" failures=\"%d\" time=\"%.3f\">\n", status != 0, secs);
    fprintf(f, "  <testcase classname=\"xenemu.run\" name=\"");
    xml_text(f, name);
    fprintf(f, "\" time=\"%.3f\">\n", secs);
    if (status != 0) {
        fprintf(f, "    <failure message=\"exit status %d: ", status);
        xml_text(f, why ? why : "");
        fprintf(f, "\"/>\n");
    }
    char *out = malloc(CONOUT_CAPTURE_MAX + 1);
    if (out) {
        conout_captured(&h->con, out, CONOUT_CAPTURE_MAX + 1);
        fprintf(f, "    <system-out>");
        xml_text(f, out);
        fprintf(f, "</system-out>\n");
        free(out);
    }
    fprintf(f, "  </testcase>\n</testsuite>\n");
    fclose(f);
}

int harness_finish(harness_t *h, int status, const char *why)
{
    conout_finish(&h->con);
    if (h->verdict)
        why = h->verdict;
    if (status == 0 && h->opt->expect && !h->con.expect_seen) {
        fprintf(stderr, "xenemu: the console never matched --expect '%s'\n", h->opt->expect);
        status = CLI_EXIT_EXPECT;
        why = "the console never matched --expect";
    }
    if (h->opt->junit)
        write_junit(h, status, why);
    conout_close(&h->con);
    return status;
}
