/* The Xen host machine (`run`, the default): a PVH kernel as a Xen domU in
 * emulated VMX non-root mode (src/xen/), its PV console on the terminal,
 * the built-in xenstore, ACPI poweroff and the CI harness. Every vCPU runs
 * on this thread, round-robin in fixed slices of virtual time (DESIGN.md,
 * "The run loop"); when all of them idle, time jumps to the next event, or
 * waits for the keyboard when the console is a terminal. */
#include <poll.h>
#include <time.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "xenemu/acpi.h"
#include "xenemu/gdbstub.h"
#include "xenemu/harness.h"
#include "xenemu/loader.h"
#include "xenemu/run.h"
#include "xenemu/terminal.h"
#include "xenemu/trace.h"
#include "xenemu/xen_console.h"
#include "xenemu/xen_pvh.h"
#include "xenemu/xenstore.h"

#define SLICE 1000000u
#define HVM_DEBUG_PORT 0xe9          /* Xen's HVM debug console port */

typedef struct xen_machine {
    machine_t m;
    kernel_image_t kernel;
    xen_pvh_t pvh;
    iobus_t bus;
    acpi_pm_t acpi;
    harness_t harness;
    xen_console_t console;
    xenstore_t *xs;
    terminal_t term;
    bool term_open;
    gdb_t gdb;
    bool gdb_on;
    uint64_t eof_sent_at;        /* virtual time of the last Ctrl-D for an ended stdin */
    uint64_t output_at;          /* virtual time of the last console output */
} xen_machine_t;

static int usage_error(const char *msg)
{
    fprintf(stderr, "xenemu: error: %s\n", msg);
    return CLI_EXIT_USAGE;
}

/* ---- devices ---- */

static void acpi_poweroff(void *opaque)
{
    xen_machine_t *x = opaque;
    xen_pvh_stop(&x->pvh, 0, "the guest powered off (ACPI S5)", NULL);
}

/* Port 0xE9: the guest's bytes go to the console (Xen prints them on its
 * own console); reads return 0xE9 as Bochs and QEMU do, so guests can
 * detect the port. */
static uint32_t debug_read(void *opaque, uint16_t port, unsigned size)
{
    (void)opaque, (void)port, (void)size;
    return HVM_DEBUG_PORT;
}

/* Guest output from any console: traced, timed and shown. */
static void console_out(void *opaque, const void *buf, size_t n)
{
    xen_machine_t *x = opaque;
    x->output_at = x->m.cpu[0]->icount;
    trace_console(x->m.cpu[0], buf, n);
    conout_write(&x->harness.con, buf, n);
}

static void debug_write(void *opaque, uint16_t port, unsigned size, uint32_t value)
{
    (void)port, (void)size;
    char c = (char)value;
    console_out(opaque, &c, 1);
}

static const io_port_ops_t debug_ops = { debug_read, debug_write };

/* CONSOLEIO_write: Xen prints a domU's bytes on its own console; here
 * they join the guest's console output. */
static void console_io_write(xen_domain_t *d, const char *buf, size_t n)
{
    xen_pvh_t *h = d->mem_ctx;
    console_out(h->backend_ctx, buf, n);
}

/* Drain both rings; raise the guest's end of a channel when its ring moved. */
static void poll_backends(void *ctx)
{
    xen_machine_t *x = ctx;
    xen_domain_t *d = x->pvh.dom;
    if (xen_console_process(&x->console))
        xen_evtchn_backend_notify(d, x->pvh.console_bport);
    if (xenstore_process(x->xs))
        xen_evtchn_backend_notify(d, x->pvh.store_bport);
}

/* The guest sent on the console or xenstore channel. */
static void on_backend_send(void *ctx, evtchn_port_t bport)
{
    (void)bport;
    poll_backends(ctx);
}

static int setup_backends(xen_machine_t *x, const struct cli_options *opt, char *err, size_t errlen)
{
    xen_domain_t *d = x->pvh.dom;
    xen_console_init(&x->console, console_out, x);
    xen_console_attach(&x->console, xen_pvh_console_ring(&x->pvh));
    xenstore_config_t cfg = {
        .domid = XEN_PVH_DOMID,
        .mem_kib = opt->memory_bytes >> 10,
        .nr_vcpus = opt->vcpus,
        .console_gfn = XEN_PVH_CONSOLE_GFN,
        .console_port = xen_evtchn_backend_guest_port(d, x->pvh.console_bport),
        .store_gfn = XEN_PVH_STORE_GFN,
        .store_port = xen_evtchn_backend_guest_port(d, x->pvh.store_bport),
    };
    x->xs = xenstore_new(&cfg);
    if (!x->xs) {
        snprintf(err, errlen, "cannot create the xenstore");
        return -1;
    }
    xenstore_attach(x->xs, xen_pvh_store_ring(&x->pvh));
    xen_evtchn_backend_set_handler(d, x->pvh.console_bport, on_backend_send, x);
    xen_evtchn_backend_set_handler(d, x->pvh.store_bport, on_backend_send, x);
    d->console_write = console_io_write;
    x->pvh.poll_backends = poll_backends;
    x->pvh.backend_ctx = x;
    iobus_attach(&x->bus, &x->m);
    x->pvh.pio = x->m.pio;
    x->pvh.pio_ctx = x->m.pio_opaque;
    if (acpi_pm_init(&x->acpi, &x->bus, ACPI_PM_PORT, acpi_poweroff, x) < 0 ||
        iobus_add(&x->bus, HVM_DEBUG_PORT, HVM_DEBUG_PORT, &debug_ops, x) < 0) {
        snprintf(err, errlen, "cannot attach the platform devices");
        return -1;
    }
    return 0;
}

/* ---- building ---- */

static int prepare(xen_machine_t *x, const struct cli_options *opt, char *err, size_t errlen)
{
    if (kernel_open(opt->kernel, &x->kernel, err, errlen) < 0)
        return -1;
    const xen_note_t *pvh = &x->kernel.note[XEN_ELFNOTE_PHYS32_ENTRY];
    if (!pvh->present) {
        snprintf(err, errlen, "kernel '%s' has no PVH entry (XEN_ELFNOTE_PHYS32_ENTRY)", opt->kernel);
        return -1;
    }
    if (machine_init(&x->m, (int)opt->vcpus) < 0) {
        snprintf(err, errlen, "cannot create %u vCPUs", opt->vcpus);
        return -1;
    }
    if (xen_pvh_setup_memory(&x->pvh, &x->m, opt->memory_bytes, err, errlen) < 0 ||
        kernel_load(&x->kernel, &x->m.mem, err, errlen) < 0)
        return -1;
    xen_pvh_config_t cfg = { .entry = pvh->value, .cmdline = opt->cmdline,
                             .wallclock_ns = XEN_PVH_WALLCLOCK_NS };
    /* Below 4 GiB: Linux takes the initrd's address from 32-bit fields. */
    boot_module_t mod = { 0, 0 };
    if (opt->initrd &&
        initrd_load(&x->m.mem, opt->initrd, x->kernel.highest, XEN_PVH_LOW_RAM_TOP, &mod, err, errlen) < 0)
        return -1;
    cfg.initrd_paddr = mod.paddr;
    cfg.initrd_size = mod.size;
    if (xen_pvh_build(&x->pvh, &cfg, err, errlen) < 0)
        return -1;
    if (harness_init(&x->harness, opt, &x->m, err, errlen) < 0)
        return -1;
    if (cli_trace_start(opt, &x->m, TM_PVH, err, errlen) < 0)
        return -1;
    if (setup_backends(x, opt, err, errlen) < 0)
        return -1;
    if (opt->gdb_port) {
        if (gdb_listen(&x->gdb, &x->m, opt->gdb_port, err, errlen) < 0)
            return -1;
        x->gdb_on = true;
        if (gdb_start(&x->gdb, opt->gdb_wait) < 0) {
            snprintf(err, errlen, "gdb did not connect");
            return -1;
        }
    }
    x->term_open = terminal_open(&x->term, STDIN_FILENO) == 0;
    return 0;
}

/* ---- running ---- */

/* Keyboard bytes into the console ring. Returns true on Ctrl-a x. */
static bool poll_terminal(xen_machine_t *x)
{
    if (!x->term_open)
        return false;
    uint8_t buf[256];
    size_t n = terminal_read(&x->term, buf, sizeof buf);
    if (n) {
        xen_console_input(&x->console, buf, n);
        poll_backends(x);
    }
    return x->term.quit;
}

/* Once stdin has ended (a pipe, /dev/null), a guest that idles, has taken
 * all its input and has printed nothing for a second of virtual time gets
 * Ctrl-D, its terminal's end-of-file character (again each second): a
 * shell waiting on the console then exits instead of waiting forever,
 * while guests that do not read the console are left alone. */
#define EOF_QUIET_NS 1000000000ull

static void send_eof_when_idle(xen_machine_t *x, uint64_t now)
{
    const struct xencons_interface *r = x->console.ring;
    if (!x->term_open || !x->term.eof || x->console.pending_len || !r ||
        __atomic_load_n(&r->in_cons, __ATOMIC_ACQUIRE) != r->in_prod ||
        now - x->output_at < EOF_QUIET_NS || (x->eof_sent_at && now - x->eof_sent_at < EOF_QUIET_NS))
        return;
    x->eof_sent_at = now;
    xen_console_input(&x->console, "\x04", 1);
    poll_backends(x);
}

/* Every vCPU idles until virtual time `wake` (UINT64_MAX: no event will
 * come). With a terminal, wait for the keyboard meanwhile, at the pace of
 * virtual time (one instruction is one nanosecond). */
static void wait_for_input(xen_machine_t *x, uint64_t now, uint64_t wake)
{
    if (!x->term_open || x->term.eof || !x->term.raw)
        return;
    uint64_t ms = wake == UINT64_MAX ? 1000 : (wake - now) / 1000000u;
    if (ms == 0)
        return;
    struct pollfd p = { .fd = x->term.fd, .events = POLLIN };
    poll(&p, 1, ms > 1000 ? 1000 : (int)ms);
}

/* A vCPU's share of the slice; one instruction at a time while gdb has
 * breakpoints or steps. */
static void run_vcpu(xen_machine_t *x, int i, uint64_t end)
{
    cpu_t *cpu = x->m.cpu[i];
    while (x->gdb_on && gdb_active(&x->gdb) && cpu->icount < end && x->pvh.status < 0) {
        if (gdb_before_insn(&x->gdb, cpu) == GDB_DETACHED) {
            gdb_close(&x->gdb);
            x->gdb_on = false;
            break;
        }
        xen_pvh_step_vcpu(&x->pvh, i, end);
    }
    xen_pvh_run_vcpu(&x->pvh, i, end);
}

static int run_loop(xen_machine_t *x)
{
    machine_t *m = &x->m;
    xen_pvh_t *h = &x->pvh;
    uint64_t now = m->cpu[0]->icount;
    uint64_t limit = harness_insn_limit(&x->harness);
    for (;;) {
        uint64_t end = now + SLICE < limit ? now + SLICE : limit;
        for (int i = 0; i < m->ncpu && h->status < 0; i++)
            run_vcpu(x, i, end);
        if (h->status >= 0)
            return h->status;
        now = end;
        if (x->gdb_on)
            gdb_poll(&x->gdb);
        if (poll_terminal(x)) {
            xen_pvh_stop(h, 0, "quit from the terminal (Ctrl-a x)", NULL);
            return 0;
        }
        poll_backends(x);
        int status = harness_check(&x->harness, now);
        if (status >= 0)
            return status;
        uint64_t wake = xen_pvh_next_wakeup(h, now);
        if (wake > now) {
            send_eof_when_idle(x, now);
            wait_for_input(x, now, wake);
            if (wake == UINT64_MAX && !(x->term_open && x->term.raw && !x->term.eof)) {
                xen_pvh_stop(h, XEN_PVH_EXIT_STUCK, "every vCPU is blocked and no event can wake it", m->cpu[0]);
                return h->status;
            }
            if (wake != UINT64_MAX)
                now = wake < limit ? wake : limit;
        }
    }
}

static double host_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* --stats: what the guest retired, in how much virtual and host time. */
static void print_stats(xen_machine_t *x, double host_s)
{
    uint64_t retired = 0, virt = 0;
    for (int i = 0; i < x->m.ncpu; i++) {
        const cpu_t *c = x->m.cpu[i];
        retired += c->icount - x->pvh.vcpu[i].idle_insns;
        if (c->icount > virt)
            virt = c->icount;
    }
    fflush(stdout);
    if (x->harness.con.line_len)
        fputc('\n', stderr);             /* the console stopped mid-line */
    fprintf(stderr, "xenemu: %llu instructions retired on %d vCPU(s) in %.3f s of virtual time and %.2f s of host time (%.0f MIPS)\n",
            (unsigned long long)retired, x->m.ncpu, (double)virt / CPU_VIRT_IPS, host_s,
            host_s > 0 ? (double)retired / host_s / 1e6 : 0.0);
}

int xen_machine_run(const struct cli_options *opt)
{
    double start = host_seconds();
    static xen_machine_t x;
    char err[512];
    memset(&x, 0, sizeof x);
    if (prepare(&x, opt, err, sizeof err) < 0) {
        if (x.term_open)
            terminal_close(&x.term);
        xenstore_free(x.xs);
        xen_pvh_destroy(&x.pvh);
        kernel_free(&x.kernel);
        machine_destroy(&x.m);
        return usage_error(err);
    }
    int status = run_loop(&x);
    if (x.term_open)
        terminal_close(&x.term);
    cli_trace_finish();
    if (x.gdb_on) {
        gdb_exited(&x.gdb, status);
        gdb_close(&x.gdb);
    }
    if (status == XEN_PVH_EXIT_STUCK && x.pvh.why) {
        conout_finish(&x.harness.con);
        fprintf(stderr, "xenemu: %s\n", x.pvh.why);
        if (x.pvh.why_cpu)
            cpu_dump(x.pvh.why_cpu, stderr);
    }
    if (opt->stats)
        print_stats(&x, host_seconds() - start);
    status = harness_finish(&x.harness, status, x.pvh.why);
    xenstore_free(x.xs);
    xen_pvh_destroy(&x.pvh);
    kernel_free(&x.kernel);
    machine_destroy(&x.m);
    return status;
}
