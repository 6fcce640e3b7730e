/* ACPI tables for a PVH guest (src/xen/acpi.c) and the power-management
 * register that turns the guest's S5 request into a poweroff
 * (src/devices/acpi_pm.c). */
#ifndef XENEMU_ACPI_H
#define XENEMU_ACPI_H

#include <stdbool.h>
#include <stdint.h>

#include "xenemu/iobus.h"
#include "xenemu/phys.h"

#define ACPI_LAPIC_ADDR 0xfee00000u
#define ACPI_S5_SLP_TYP 5            /* the \_S5 value the DSDT announces */
#define ACPI_MAX_CPUS 128
#define ACPI_TABLES_SIZE 4096u       /* all tables fit in one page */
#define ACPI_PM_PORT 0xb000u         /* PM1a control / sleep control, sleep status at +2 */

/* Write RSDP, XSDT, FADT, DSDT and MADT into `room` bytes of RAM at base.
 * Returns 0 with the RSDP's address, or -1. */
int acpi_build(phys_mem_t *pm, uint64_t base, uint64_t room, int ncpu, uint16_t pm_port, uint64_t *rsdp);

typedef struct acpi_pm {
    bool poweroff;                   /* the guest entered S5 */
    void (*on_poweroff)(void *opaque);
    void *opaque;
} acpi_pm_t;

/* The PM1a control block (16-bit) and the hardware-reduced sleep control
 * register (8-bit) at `port`, the sleep status register at port + 2. */
int acpi_pm_init(acpi_pm_t *pm, iobus_t *bus, uint16_t port, void (*on_poweroff)(void *), void *opaque);

#endif
