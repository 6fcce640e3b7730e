/* Host terminal input for the guest console: raw mode (as QEMU's stdio
 * chardev sets it, output post-processing kept), the Ctrl-a escape keys,
 * and the terminal restored on exit and on fatal signals. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "xenemu/terminal.h"

/* The one terminal in raw mode, for the exit and signal paths. */
static int saved_fd = -1;
static struct termios saved_tio;
static bool atexit_done;

static const int fatal_signals[] = { SIGHUP, SIGINT, SIGTERM, SIGQUIT, SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL };
#define NFATAL (sizeof(fatal_signals) / sizeof(fatal_signals[0]))
static struct sigaction old_actions[NFATAL];

static void restore_tio(void)
{
    if (saved_fd >= 0)
        tcsetattr(saved_fd, TCSANOW, &saved_tio);   /* async-signal-safe */
}

static void on_fatal(int sig)
{
    restore_tio();
    /* Put back whatever handled the signal before us and deliver it again. */
    for (size_t i = 0; i < NFATAL; i++)
        if (fatal_signals[i] == sig)
            sigaction(sig, &old_actions[i], NULL);
    raise(sig);
}

static void on_exit_restore(void) { restore_tio(); }

int terminal_open(terminal_t *t, int fd)
{
    memset(t, 0, sizeof(*t));
    t->fd = fd;
    if (!isatty(fd) || saved_fd >= 0)
        return 0;
    struct termios tio;
    if (tcgetattr(fd, &tio) != 0)
        return -1;
    saved_tio = tio;
    /* Raw input: no echo, no line editing, no signals from keys (Ctrl-c
     * goes to the guest), 8-bit bytes; keep OPOST so "\n" still returns
     * the carriage on the host side. */
    tio.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    tio.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    tio.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
    tio.c_cflag |= CS8;
    tio.c_oflag |= OPOST;
    tio.c_cc[VMIN] = 1;
    tio.c_cc[VTIME] = 0;
    saved_fd = fd;
    if (!atexit_done) {
        atexit(on_exit_restore);
        atexit_done = true;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_fatal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NFATAL; i++)
        sigaction(fatal_signals[i], &sa, &old_actions[i]);
    if (tcsetattr(fd, TCSANOW, &tio) != 0) {
        terminal_close(t);
        return -1;
    }
    t->raw = true;
    return 0;
}

void terminal_close(terminal_t *t)
{
    if (saved_fd >= 0 && saved_fd == t->fd) {
        restore_tio();
        for (size_t i = 0; i < NFATAL; i++)
            sigaction(fatal_signals[i], &old_actions[i], NULL);
        saved_fd = -1;
    }
    t->raw = false;
    t->fd = -1;
}

static void default_help(void)
{
    static const char msg[] = "\r\nC-a h    print this help\r\nC-a x    exit xenemu\r\n"
                              "C-a C-a  send C-a to the guest\r\n";
    fputs(msg, stderr);
}

size_t terminal_filter(terminal_t *t, const uint8_t *in, size_t n, uint8_t *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n && !t->quit; i++) {
        uint8_t ch = in[i];
        if (!t->escape) {
            if (ch == TERMINAL_ESCAPE)
                t->escape = true;
            else
                out[o++] = ch;
            continue;
        }
        t->escape = false;
        switch (ch) {
        case 'x':
        case 'X':
            t->quit = true;
            break;
        case TERMINAL_ESCAPE:
            out[o++] = ch;
            break;
        case 'h':
        case 'H':
        case '?':
            if (t->help)
                t->help(t->opaque);
            else
                default_help();
            break;
        default:
            break;                      /* unknown commands are ignored, as in QEMU */
        }
    }
    return o;
}

size_t terminal_read(terminal_t *t, uint8_t *buf, size_t size)
{
    if (t->fd < 0 || t->eof || t->quit || size == 0)
        return 0;
    struct pollfd p = { .fd = t->fd, .events = POLLIN };
    if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLIN | POLLHUP)))
        return 0;
    uint8_t raw[256];
    size_t want = size < sizeof(raw) ? size : sizeof(raw);
    ssize_t n = read(t->fd, raw, want);
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
        t->eof = true;
        return 0;
    }
    if (n < 0)
        return 0;
    return terminal_filter(t, raw, (size_t)n, buf);
}
