/* Where guest console output goes (DESIGN.md, the CI harness): the
 * terminal, a --console-log file, the --expect / --fail-on matchers and a
 * capture for --junit. Every console-like device writes here. */
#ifndef XENEMU_CONOUT_H
#define XENEMU_CONOUT_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CONOUT_LINE_MAX 4096
#define CONOUT_CAPTURE_MAX (1u << 20)   /* --junit keeps the last MiB */

typedef struct conout {
    FILE *tty;                  /* the terminal, or NULL */
    FILE *log;                  /* --console-log, or NULL */
    regex_t expect, fail_on;
    bool has_expect, has_fail_on;
    bool expect_seen, fail_seen;
    char line[CONOUT_LINE_MAX]; /* the line being assembled, for matching */
    size_t line_len;
    char *capture;              /* ring of the last CONOUT_CAPTURE_MAX bytes */
    size_t capture_len, capture_head;
    bool capturing;
    void (*on_fail)(void *opaque);   /* called once when --fail-on matches */
    void *opaque;
} conout_t;

/* Regexes are POSIX extended; NULL ones are not used. Returns 0, or -1 with
 * a one-line reason (a bad regex, an unwritable log). */
int conout_init(conout_t *c, FILE *tty, const char *log_path, const char *expect, const char *fail_on,
                bool capture, char *err, size_t errlen);
void conout_write(conout_t *c, const void *buf, size_t n);
/* Match the unterminated last line too; flush the outputs. */
void conout_finish(conout_t *c);
/* The captured output, oldest first, into buf (NUL-terminated). */
size_t conout_captured(const conout_t *c, char *buf, size_t size);
void conout_close(conout_t *c);

#endif
