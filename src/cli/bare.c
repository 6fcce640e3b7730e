/* The bare machine (`run --machine bare`): an ELF kernel in root mode with
 * no Xen, entered at its PVH entry (or its ELF entry with Multiboot 1
 * information), with the 0xE9 debug console, a 16550 UART at 0x3F8 and the
 * 0xF4 exit port. The test bench for the CPU and for VMX. Every vCPU runs
 * on this thread, round-robin in fixed slices of virtual time (DESIGN.md,
 * "The run loop"); APs wait for INIT/SIPI from the BSP's local APIC. */
#include <stdio.h>
#include <string.h>

#include "xenemu/acpi.h"
#include "xenemu/boot.h"
#include "xenemu/devices.h"
#include "xenemu/gdbstub.h"
#include "xenemu/harness.h"
#include "xenemu/loader.h"
#include "xenemu/machine.h"
#include "xenemu/run.h"
#include "xenemu/trace.h"

#define BOOT_INFO_ADDR 0x6000u
#define ACPI_ADDR 0xe0000u             /* in the reserved legacy hole, where a legacy RSDP scan looks too */
#define MULTIBOOT_EAX 0x2badb002u
#define SLICE 1000000u
#define LOW_RAM_TOP 0xe0000000ull      /* RAM above this moves past 4 GiB, leaving an MMIO hole */

enum { EXIT_STUCK = 4 };

typedef struct bare {
    machine_t m;
    kernel_image_t kernel;
    iobus_t bus;
    debugcon_t debugcon;
    uart16550_t uart;
    acpi_pm_t acpi;
    harness_t harness;
    gdb_t gdb;
    bool gdb_on;
    const char *why;             /* why the run ended, for reports */
} bare_t;

/* ACPI S5 ends the run with status 0, as a poweroff (DESIGN.md). */
static void acpi_poweroff(void *opaque)
{
    bare_t *b = opaque;
    b->debugcon.exit_requested = true;
    b->debugcon.exit_status = 0;
    for (int i = 0; i < b->m.ncpu; i++)
        b->m.cpu[i]->pending_events = true;
}

static int usage_error(const char *msg)
{
    fprintf(stderr, "xenemu: error: %s\n", msg);
    return CLI_EXIT_USAGE;
}

static int prepare(bare_t *b, const struct cli_options *opt, char *err, size_t errlen)
{
    if (kernel_open(opt->kernel, &b->kernel, err, errlen) < 0)
        return -1;
    if (machine_init(&b->m, (int)opt->vcpus) < 0 || machine_add_ram(&b->m, opt->memory_bytes, LOW_RAM_TOP) < 0) {
        snprintf(err, errlen, "cannot allocate %llu bytes of guest memory",
                 (unsigned long long)opt->memory_bytes);
        return -1;
    }
    if (kernel_load(&b->kernel, &b->m.mem, err, errlen) < 0)
        return -1;
    boot_module_t mod;
    int nmods = 0;
    if (opt->initrd) {
        if (initrd_load(&b->m.mem, opt->initrd, b->kernel.highest, UINT64_MAX, &mod, err, errlen) < 0)
            return -1;
        nmods = 1;
    }
    boot_memmap_t map;
    boot_memmap_default(&map, opt->memory_bytes < LOW_RAM_TOP ? opt->memory_bytes : LOW_RAM_TOP);
    uint64_t rsdp = 0;
    if (acpi_build(&b->m.mem, ACPI_ADDR, 0x100000 - ACPI_ADDR, b->m.ncpu, ACPI_PM_PORT, &rsdp) < 0) {
        snprintf(err, errlen, "guest memory too small for the ACPI tables");
        return -1;
    }
    cpu_t *cpu = b->m.cpu[0];
    const xen_note_t *pvh = &b->kernel.note[XEN_ELFNOTE_PHYS32_ENTRY];
    if (pvh->present) {
        if (pvh->value > 0xffffffffull) {
            snprintf(err, errlen, "PVH entry 0x%llx is above 4 GiB", (unsigned long long)pvh->value);
            return -1;
        }
        boot_write_pvh_info(&b->m.mem, BOOT_INFO_ADDR, &map, opt->cmdline, &mod, nmods, rsdp);
        boot_set_entry32(cpu, (uint32_t)pvh->value, BOOT_INFO_ADDR, 0);
    } else if (b->kernel.has_multiboot && b->kernel.entry <= 0xffffffffull) {
        boot_write_multiboot_info(&b->m.mem, BOOT_INFO_ADDR, &map, opt->cmdline);
        boot_set_entry32(cpu, (uint32_t)b->kernel.entry, BOOT_INFO_ADDR, MULTIBOOT_EAX);
    } else {
        snprintf(err, errlen, "kernel '%s' has neither a PVH entry note nor a Multiboot header", opt->kernel);
        return -1;
    }
    for (int i = 0; i < b->m.ncpu; i++)
        b->m.cpu[i]->deliver_exceptions = true;
    iobus_attach(&b->bus, &b->m);
    if (harness_init(&b->harness, opt, &b->m, err, errlen) < 0)
        return -1;
    if (cli_trace_start(opt, &b->m, TM_BARE, err, errlen) < 0)   /* --trace */
        return -1;
    debugcon_init(&b->debugcon, &b->bus, &b->m, &b->harness.con);
    uart16550_init(&b->uart, &b->bus, 0x3f8, &b->harness.con);
    acpi_pm_init(&b->acpi, &b->bus, ACPI_PM_PORT, acpi_poweroff, b);
    if (opt->gdb_port) {
        if (gdb_listen(&b->gdb, &b->m, opt->gdb_port, err, errlen) < 0)
            return -1;
        b->gdb_on = true;
        if (gdb_start(&b->gdb, opt->gdb_wait) < 0) {
            snprintf(err, errlen, "gdb did not connect");
            return -1;
        }
    }
    return 0;
}

static int stuck(bare_t *b, cpu_t *cpu, const char *why)
{
    conout_finish(&b->harness.con);
    fprintf(stderr, "xenemu: %s\n", why);
    cpu_dump(cpu, stderr);
    b->why = why;
    return EXIT_STUCK;
}

/* Run one vCPU until virtual time `end` (in instructions). Returns an exit
 * status, or -1 to go on with the next vCPU. A halted vCPU idles to `end`. */
static int run_cpu(bare_t *b, cpu_t *cpu, uint64_t end)
{
    while (cpu->icount < end) {
        uint64_t budget = end - cpu->icount;
        if (b->gdb_on && gdb_active(&b->gdb)) {
            /* One instruction at a time while gdb has breakpoints or steps. */
            if (gdb_before_insn(&b->gdb, cpu) == GDB_DETACHED) {
                gdb_close(&b->gdb);
                b->gdb_on = false;
            }
            budget = 1;
        }
        enum cpu_stop s = cpu_run(cpu, budget);
        if (b->debugcon.exit_requested) {
            b->why = b->acpi.poweroff ? "the guest powered off (ACPI S5)" : "the guest wrote the exit port";
            return b->debugcon.exit_status;
        }
        if (b->harness.fail_hit)
            return -1;
        switch (s) {
        case STOP_BUDGET:
        case STOP_EVENT:
            break;
        case STOP_HALT:
            cpu_idle(cpu, end);
            break;
        case STOP_SHUTDOWN:
            return stuck(b, cpu, "triple fault");
        case STOP_EXCEPTION:
            return stuck(b, cpu, "unhandled exception");
        }
    }
    return -1;
}

/* Can this vCPU run right away: not asleep (HLT, MWAIT), or an event
 * ends its sleep? (A store to an MWAIT's line ends it at once.) */
static bool wakeable(const cpu_t *cpu)
{
    if (cpu->apic.wait_sipi)
        return false;
    if ((!cpu->halted && !cpu->mwait) || cpu->apic.nmi_pending || cpu->apic.init_pending)
        return true;
    return cpu_irq_wakes(cpu) && lapic_pending_vector(cpu) >= 0;
}

/* When every vCPU sleeps, time jumps to the earliest timer that can wake
 * one (DESIGN.md, "Determinism"); UINT64_MAX when none can. */
static uint64_t next_wakeup(const machine_t *m)
{
    uint64_t t = UINT64_MAX;
    for (int i = 0; i < m->ncpu; i++) {
        const cpu_t *c = m->cpu[i];
        if (wakeable(c))
            return c->icount;
        if (!c->apic.wait_sipi && cpu_irq_wakes(c) && c->apic.deadline < t)
            t = c->apic.deadline;
    }
    return t;
}

static int run_loop(bare_t *b)
{
    machine_t *m = &b->m;
    uint64_t now = m->cpu[0]->icount;
    uint64_t limit = harness_insn_limit(&b->harness);
    for (;;) {
        uint64_t end = now + SLICE < limit ? now + SLICE : limit;
        for (int i = 0; i < m->ncpu; i++) {
            int status = run_cpu(b, m->cpu[i], end);
            if (status >= 0)
                return status;
        }
        now = end;
        if (b->gdb_on)
            gdb_poll(&b->gdb);
        int status = harness_check(&b->harness, now);
        if (status >= 0)
            return status;
        uint64_t wake = next_wakeup(m);
        if (wake == UINT64_MAX)
            return stuck(b, m->cpu[0], "every vCPU halted and no interrupt can wake it");
        if (wake > now)
            now = wake < limit ? wake : limit;
    }
}

int bare_run(const struct cli_options *opt)
{
    static bare_t b;
    char err[512];
    memset(&b, 0, sizeof b);
    if (prepare(&b, opt, err, sizeof err) < 0) {
        kernel_free(&b.kernel);
        machine_destroy(&b.m);
        return usage_error(err);
    }
    int status = run_loop(&b);
    cli_trace_finish();               /* --trace: flush and close */
    if (b.gdb_on) {
        gdb_exited(&b.gdb, status);
        gdb_close(&b.gdb);
    }
    status = harness_finish(&b.harness, status, b.why);
    kernel_free(&b.kernel);
    machine_destroy(&b.m);
    return status;
}
