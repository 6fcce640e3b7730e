/* ACPI sleep registers: a write of SLP_EN with the \_S5 sleep type is the
 * guest powering off (ACPI 6.4 §4.8.3.2.1 PM1 control: SLP_TYP bits 10-12,
 * SLP_EN bit 13; §4.8.3.7 sleep control: SLP_TYP bits 2-4, SLP_EN bit 5). */
#include "xenemu/acpi.h"

enum { PM1_SLP_EN = 1u << 13, SLEEP_SLP_EN = 1u << 5, WAK_STS = 0x80 };

static uint32_t pm_read(void *opaque, uint16_t port, unsigned size)
{
    (void)opaque;
    (void)size;
    (void)port;
    return 0;           /* not asleep, never woken */
}

static void enter_s5(acpi_pm_t *pm)
{
    pm->poweroff = true;
    if (pm->on_poweroff)
        pm->on_poweroff(pm->opaque);
}

static void pm_write(void *opaque, uint16_t port, unsigned size, uint32_t v)
{
    acpi_pm_t *pm = opaque;
    if ((port & 3) == 2)
        return;                                     /* sleep status: write-1-to-clear, nothing set */
    if (size >= 2 && (v & PM1_SLP_EN) && ((v >> 10) & 7) == ACPI_S5_SLP_TYP)
        enter_s5(pm);
    else if (size == 1 && (v & SLEEP_SLP_EN) && ((v >> 2) & 7) == ACPI_S5_SLP_TYP)
        enter_s5(pm);
}

static const io_port_ops_t pm_ops = { pm_read, pm_write };

int acpi_pm_init(acpi_pm_t *pm, iobus_t *bus, uint16_t port, void (*on_poweroff)(void *), void *opaque)
{
    pm->poweroff = false;
    pm->on_poweroff = on_poweroff;
    pm->opaque = opaque;
    return iobus_add(bus, port, (uint16_t)(port + 3), &pm_ops, pm);
}
