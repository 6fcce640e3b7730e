/* The host terminal as console input: raw mode when stdin is a terminal
 * (restored at exit and on fatal signals) and QEMU's escape keys:
 * Ctrl-a x quits, Ctrl-a Ctrl-a sends one Ctrl-a, Ctrl-a h prints help. */
#ifndef XENEMU_TERMINAL_H
#define XENEMU_TERMINAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TERMINAL_ESCAPE 0x01        /* Ctrl-a */

typedef struct terminal {
    int fd;                         /* input, -1 when closed */
    bool raw;                       /* we changed the terminal's mode */
    bool escape;                    /* Ctrl-a seen, waiting for the command key */
    bool quit;                      /* Ctrl-a x seen */
    bool eof;                       /* input ended */
    void (*help)(void *opaque);     /* Ctrl-a h; NULL: print to stderr */
    void *opaque;
} terminal_t;

/* Use fd for input; when it is a terminal, switch it to raw mode. Only one
 * terminal can be in raw mode at a time. Returns 0 or -1 (errno set). */
int terminal_open(terminal_t *t, int fd);
/* Read what is available without blocking, after escape processing.
 * Returns the bytes for the guest (0 when none). Sets t->quit / t->eof. */
size_t terminal_read(terminal_t *t, uint8_t *buf, size_t size);
/* Escape processing alone: in -> out (out holds at least n bytes). */
size_t terminal_filter(terminal_t *t, const uint8_t *in, size_t n, uint8_t *out);
/* Restore the terminal's mode. */
void terminal_close(terminal_t *t);

#endif
