/* Port-I/O dispatch. Unclaimed ports read as all ones and ignore writes, as
 * on a PC's ISA bus. */
#include "xenemu/iobus.h"

static bool dispatch(void *opaque, uint16_t port, unsigned size, bool write, uint32_t *val)
{
    iobus_t *bus = opaque;
    for (int i = 0; i < bus->n; i++) {
        if (port < bus->range[i].first || port > bus->range[i].last)
            continue;
        if (write)
            bus->range[i].ops->write(bus->range[i].opaque, port, size, *val);
        else
            *val = bus->range[i].ops->read(bus->range[i].opaque, port, size);
        return true;
    }
    if (!write)
        *val = size == 4 ? 0xffffffffu : size == 2 ? 0xffffu : 0xffu;
    return false;
}

void iobus_attach(iobus_t *bus, machine_t *m)
{
    m->pio = dispatch;
    m->pio_opaque = bus;
}

int iobus_add(iobus_t *bus, uint16_t first, uint16_t last, const io_port_ops_t *ops, void *opaque)
{
    if (bus->n == IOBUS_MAX_RANGES || first > last)
        return -1;
    for (int i = 0; i < bus->n; i++)
        if (first <= bus->range[i].last && bus->range[i].first <= last)
            return -1;
    bus->range[bus->n].first = first;
    bus->range[bus->n].last = last;
    bus->range[bus->n].ops = ops;
    bus->range[bus->n].opaque = opaque;
    bus->n++;
    return 0;
}
