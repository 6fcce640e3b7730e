/* The console sink: tee to terminal and log, match --expect/--fail-on line
 * by line, and keep the tail of the output for a JUnit report. */
#include <stdlib.h>
#include <string.h>

#include "xenemu/conout.h"
#include "xenemu/trace.h"

static int compile(regex_t *re, const char *pattern, const char *what, char *err, size_t errlen)
{
    int rc = regcomp(re, pattern, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char msg[128];
        regerror(rc, re, msg, sizeof msg);
        snprintf(err, errlen, "bad %s regex '%.64s': %s", what, pattern, msg);
        return -1;
    }
    return 0;
}

int conout_init(conout_t *c, FILE *tty, const char *log_path, const char *expect, const char *fail_on,
                bool capture, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->tty = tty;
    if (expect) {
        if (compile(&c->expect, expect, "--expect", err, errlen) < 0)
            return -1;
        c->has_expect = true;
    }
    if (fail_on) {
        if (compile(&c->fail_on, fail_on, "--fail-on", err, errlen) < 0) {
            conout_close(c);
            return -1;
        }
        c->has_fail_on = true;
    }
    if (log_path && !(c->log = fopen(log_path, "w"))) {
        snprintf(err, errlen, "cannot write the console log '%.200s'", log_path);
        conout_close(c);
        return -1;
    }
    if (capture && !(c->capture = malloc(CONOUT_CAPTURE_MAX))) {
        snprintf(err, errlen, "out of memory for the console capture");
        conout_close(c);
        return -1;
    }
    c->capturing = capture;
    return 0;
}

static void match_line(conout_t *c)
{
    c->line[c->line_len] = 0;
    if (c->has_expect && !c->expect_seen && regexec(&c->expect, c->line, 0, NULL, 0) == 0)
        c->expect_seen = true;
    if (c->has_fail_on && !c->fail_seen && regexec(&c->fail_on, c->line, 0, NULL, 0) == 0) {
        c->fail_seen = true;
        if (c->on_fail)
            c->on_fail(c->opaque);
    }
    c->line_len = 0;
}

static void capture_bytes(conout_t *c, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        c->capture[c->capture_head] = p[i];
        c->capture_head = (c->capture_head + 1) % CONOUT_CAPTURE_MAX;
        if (c->capture_len < CONOUT_CAPTURE_MAX)
            c->capture_len++;
    }
}

void conout_write(conout_t *c, const void *buf, size_t n)
{
    const char *p = buf;
    trace_console(NULL, buf, n);      /* trace: console class (the current vCPU) */
    if (c->tty)
        fwrite(p, 1, n, c->tty);
    if (c->log)
        fwrite(p, 1, n, c->log);
    if (c->capturing)
        capture_bytes(c, p, n);
    if (!c->has_expect && !c->has_fail_on)
        return;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n' || c->line_len == CONOUT_LINE_MAX - 1) {
            match_line(c);
            if (p[i] == '\n')
                continue;
        }
        if (p[i] != '\r' && p[i] != 0)
            c->line[c->line_len++] = p[i];
    }
}

void conout_finish(conout_t *c)
{
    if (c->line_len)
        match_line(c);
    if (c->tty)
        fflush(c->tty);
    if (c->log)
        fflush(c->log);
}

size_t conout_captured(const conout_t *c, char *buf, size_t size)
{
    if (!size)
        return 0;
    size_t n = c->capture_len < size - 1 ? c->capture_len : size - 1;
    size_t start = (c->capture_head + CONOUT_CAPTURE_MAX - n) % CONOUT_CAPTURE_MAX;
    for (size_t i = 0; i < n; i++)
        buf[i] = c->capture[(start + i) % CONOUT_CAPTURE_MAX];
    buf[n] = 0;
    return n;
}

void conout_close(conout_t *c)
{
    if (c->has_expect)
        regfree(&c->expect);
    if (c->has_fail_on)
        regfree(&c->fail_on);
    if (c->log)
        fclose(c->log);
    free(c->capture);
    c->has_expect = c->has_fail_on = false;
    c->log = NULL;
    c->capture = NULL;
}
