/* The PV console backend driven as hvc_xen drives it (bytes into `out`,
 * out_prod bumped; `in` read up to in_prod, in_cons advanced), with
 * wrapping and hostile indices; and the terminal's Ctrl-a escapes. */
#define _GNU_SOURCE     /* posix_openpt, ptsname */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <termios.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xenemu/conout.h"
#include "xenemu/terminal.h"
#include "xenemu/xen_console.h"

static _Alignas(4096) uint8_t page[4096];
static struct xencons_interface *const R = (struct xencons_interface *)page;
static xen_console_t con;
static char outbuf[1 << 16];
static size_t outlen;
static unsigned out_calls;

static void sink(void *opaque, const void *buf, size_t n)
{
    ck_assert_ptr_eq(opaque, &con);
    ck_assert_uint_le(outlen + n, sizeof(outbuf));
    /* Every chunk lies inside the out ring. */
    ck_assert((const char *)buf >= R->out && (const char *)buf + n <= R->out + sizeof(R->out));
    memcpy(outbuf + outlen, buf, n);
    outlen += n;
    out_calls++;
}

static void setup(void)
{
    memset(page, 0, sizeof(page));
    outlen = 0;
    out_calls = 0;
    xen_console_init(&con, sink, &con);
    xen_console_attach(&con, page);
}

/* hvc_xen's __write_console: copy what fits, then publish out_prod. */
static size_t guest_write(const char *s, size_t n)
{
    XENCONS_RING_IDX cons = R->out_cons, prod = R->out_prod;
    size_t sent = 0;
    while (sent < n && prod - cons < sizeof(R->out))
        R->out[MASK_XENCONS_OUT(prod++)] = s[sent++];
    R->out_prod = prod;
    return sent;
}

/* hvc_xen's domU_read_console. */
static size_t guest_read(char *buf, size_t size)
{
    XENCONS_RING_IDX cons = R->in_cons, prod = R->in_prod;
    size_t n = 0;
    while (cons != prod && n < size)
        buf[n++] = R->in[MASK_XENCONS_IN(cons++)];
    R->in_cons = cons;
    return n;
}

START_TEST(output_drained)
{
    ck_assert(!xen_console_process(&con));          /* nothing to do: no event */
    ck_assert_uint_eq(guest_write("hello\r\n", 7), 7);
    ck_assert(xen_console_process(&con));
    ck_assert_uint_eq(outlen, 7);
    ck_assert_mem_eq(outbuf, "hello\r\n", 7);
    ck_assert_uint_eq(R->out_cons, R->out_prod);
    ck_assert(!xen_console_process(&con));
}
END_TEST

START_TEST(output_full_ring_and_wrap)
{
    /* Start near the 32-bit wrap and fill the ring completely, as a guest
     * spinning on SCHEDOP_yield would. */
    R->out_cons = R->out_prod = 0xffffff00u;
    char msg[5000];
    for (size_t i = 0; i < sizeof(msg); i++)
        msg[i] = (char)('A' + i % 23);
    size_t sent = 0;
    int rounds = 0;
    while (sent < sizeof(msg)) {
        size_t n = guest_write(msg + sent, sizeof(msg) - sent);
        ck_assert(n > 0);
        sent += n;
        ck_assert(xen_console_process(&con));
        rounds++;
    }
    ck_assert_int_eq(rounds, 3);                    /* 2048 + 2048 + 904 */
    ck_assert_uint_eq(outlen, sizeof(msg));
    ck_assert_mem_eq(outbuf, msg, sizeof(msg));
    ck_assert_uint_eq(R->out_cons, (uint32_t)(0xffffff00u + sizeof(msg)));
}
END_TEST

START_TEST(output_garbage_indices)
{
    R->out_cons = 0;
    R->out_prod = 0x7fffffffu;                      /* claims far more than the ring */
    ck_assert(xen_console_process(&con));
    ck_assert_uint_eq(outlen, 0);
    ck_assert_uint_eq(R->out_cons, R->out_prod);    /* resynchronised */
    ck_assert_uint_eq(con.bad_indices, 1);
    R->out_prod = R->out_cons - 1;                  /* "negative" amount */
    ck_assert(xen_console_process(&con));
    ck_assert_uint_eq(outlen, 0);
    /* And the ring works again afterwards. */
    guest_write("ok", 2);
    ck_assert(xen_console_process(&con));
    ck_assert_uint_eq(outlen, 2);
    /* No callback is fine too. */
    xen_console_init(&con, NULL, NULL);
    xen_console_attach(&con, page);
    guest_write("x", 1);
    ck_assert(xen_console_process(&con));
    ck_assert_uint_eq(R->out_cons, R->out_prod);
}
END_TEST

START_TEST(input_delivered)
{
    ck_assert_uint_eq(xen_console_input(&con, "ls\r", 3), 3);
    ck_assert(xen_console_process(&con));
    char buf[2048];
    ck_assert_uint_eq(guest_read(buf, sizeof(buf)), 3);
    ck_assert_mem_eq(buf, "ls\r", 3);
    ck_assert(!xen_console_process(&con));          /* nothing new: no event */

    /* More than the ring holds waits for the guest to consume. */
    R->in_cons = R->in_prod = 0xfffffffeu;
    static char big[3000];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (char)i;
    ck_assert_uint_eq(xen_console_input(&con, big, sizeof(big)), sizeof(big));
    ck_assert(xen_console_process(&con));
    ck_assert_uint_eq(R->in_prod - R->in_cons, XENCONS_IN_SIZE);
    ck_assert(!xen_console_process(&con));          /* ring full */
    size_t got = 0;
    while (got < sizeof(big)) {
        size_t n = guest_read(buf, 700);
        got += n;
        ck_assert_mem_eq(buf, big + got - n, n);
        xen_console_process(&con);
    }
    ck_assert_uint_eq(con.pending_len, 0);
    /* The pending buffer is bounded. */
    static char huge[XEN_CONSOLE_INBUF + 100];
    ck_assert_uint_eq(xen_console_input(&con, huge, sizeof(huge)), XEN_CONSOLE_INBUF);
}
END_TEST

START_TEST(input_garbage_indices)
{
    R->in_cons = 0x1000u;                           /* guest says it read beyond in_prod */
    R->in_prod = 0;
    xen_console_input(&con, "abc", 3);
    ck_assert(!xen_console_process(&con));
    ck_assert_uint_eq(R->in_prod, 0);
    ck_assert_uint_eq(con.pending_len, 3);
    R->in_cons = 0;
    ck_assert(xen_console_process(&con));
    ck_assert_uint_eq(R->in_prod, 3);
}
END_TEST

START_TEST(to_conout)
{
    conout_t co;
    char err[128];
    ck_assert_int_eq(conout_init(&co, NULL, NULL, "login:", NULL, true, err, sizeof(err)), 0);
    xen_console_init(&con, xen_console_to_conout, &co);
    xen_console_attach(&con, page);
    guest_write("debian login: ", 14);
    ck_assert(xen_console_process(&con));
    conout_finish(&co);
    ck_assert(co.expect_seen);
    char cap[64];
    conout_captured(&co, cap, sizeof(cap));
    ck_assert_str_eq(cap, "debian login: ");
    conout_close(&co);
}
END_TEST

START_TEST(detached)
{
    xen_console_attach(&con, NULL);
    ck_assert(!xen_console_process(&con));
}
END_TEST

START_TEST(escape_keys)
{
    terminal_t t;
    memset(&t, 0, sizeof(t));
    uint8_t out[16];
    ck_assert_uint_eq(terminal_filter(&t, (const uint8_t *)"ab", 2, out), 2);
    ck_assert_mem_eq(out, "ab", 2);
    /* C-a C-a sends one C-a; unknown commands vanish. */
    ck_assert_uint_eq(terminal_filter(&t, (const uint8_t *)"\x01\x01z\x01q", 5, out), 2);
    ck_assert_mem_eq(out, "\x01z", 2);
    /* The escape may arrive split over two reads. */
    ck_assert_uint_eq(terminal_filter(&t, (const uint8_t *)"c\x01", 2, out), 1);
    ck_assert(t.escape);
    ck_assert(!t.quit);
    ck_assert_uint_eq(terminal_filter(&t, (const uint8_t *)"xyz", 3, out), 0);
    ck_assert(t.quit);
}
END_TEST

START_TEST(terminal_on_a_pipe)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    terminal_t t;
    ck_assert_int_eq(terminal_open(&t, fds[0]), 0);
    ck_assert(!t.raw);                              /* not a terminal: left alone */
    uint8_t buf[64];
    ck_assert_uint_eq(terminal_read(&t, buf, sizeof(buf)), 0);      /* nothing yet, no block */
    ck_assert_int_eq(write(fds[1], "hi\x01x!", 5), 5);
    ck_assert_uint_eq(terminal_read(&t, buf, sizeof(buf)), 2);
    ck_assert_mem_eq(buf, "hi", 2);
    ck_assert(t.quit);
    ck_assert_uint_eq(terminal_read(&t, buf, sizeof(buf)), 0);      /* quit: no more input */
    terminal_t t2;
    ck_assert_int_eq(terminal_open(&t2, fds[0]), 0);
    ck_assert_int_eq(write(fds[1], "z", 1), 1);
    close(fds[1]);
    ck_assert_uint_eq(terminal_read(&t2, buf, sizeof(buf)), 1);
    ck_assert_uint_eq(terminal_read(&t2, buf, sizeof(buf)), 0);
    ck_assert(t2.eof);
    terminal_close(&t2);
    terminal_close(&t);
    close(fds[0]);
}
END_TEST

static int open_pty_slave(int *master)
{
    *master = posix_openpt(O_RDWR | O_NOCTTY);
    ck_assert_int_ge(*master, 0);
    ck_assert_int_eq(grantpt(*master), 0);
    ck_assert_int_eq(unlockpt(*master), 0);
    int s = open(ptsname(*master), O_RDWR | O_NOCTTY);
    ck_assert_int_ge(s, 0);
    return s;
}

START_TEST(raw_mode_restored)
{
    int master, slave = open_pty_slave(&master);
    struct termios before, during, after;
    ck_assert_int_eq(tcgetattr(slave, &before), 0);
    ck_assert(before.c_lflag & ICANON);
    terminal_t t;
    ck_assert_int_eq(terminal_open(&t, slave), 0);
    ck_assert(t.raw);
    ck_assert_int_eq(tcgetattr(slave, &during), 0);
    ck_assert(!(during.c_lflag & (ICANON | ECHO | ISIG)));
    ck_assert(during.c_oflag & OPOST);
    /* Keys reach the guest byte for byte, Ctrl-c included. */
    ck_assert_int_eq(write(master, "a\x03", 2), 2);
    uint8_t buf[8];
    size_t n = 0;
    for (int i = 0; i < 100 && n < 2; i++) {
        n += terminal_read(&t, buf + n, sizeof(buf) - n);
        if (n < 2)
            usleep(1000);
    }
    ck_assert_uint_eq(n, 2);
    ck_assert_mem_eq(buf, "a\x03", 2);
    terminal_close(&t);
    ck_assert_int_eq(tcgetattr(slave, &after), 0);
    ck_assert_uint_eq(after.c_lflag, before.c_lflag);
    ck_assert_uint_eq(after.c_iflag, before.c_iflag);

    /* A fatal signal restores the terminal before the process dies. */
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        signal(SIGTERM, SIG_DFL);       /* Check's own handler would kill the runner */
        terminal_t c;
        if (terminal_open(&c, slave) != 0 || !c.raw)
            _exit(1);
        raise(SIGTERM);
        _exit(2);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFSIGNALED(status));
    ck_assert_int_eq(WTERMSIG(status), SIGTERM);
    ck_assert_int_eq(tcgetattr(slave, &after), 0);
    ck_assert_uint_eq(after.c_lflag, before.c_lflag);
    close(slave);
    close(master);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("xen_console");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, output_drained);
    tcase_add_test(tc, output_full_ring_and_wrap);
    tcase_add_test(tc, output_garbage_indices);
    tcase_add_test(tc, input_delivered);
    tcase_add_test(tc, input_garbage_indices);
    tcase_add_test(tc, detached);
    tcase_add_test(tc, to_conout);
    tcase_add_test(tc, escape_keys);
    tcase_add_test(tc, terminal_on_a_pipe);
    tcase_add_test(tc, raw_mode_restored);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
