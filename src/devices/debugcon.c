/* The debug console (port 0xE9, as Bochs and QEMU's isa-debugcon) and the
 * exit port (0xF4, as QEMU's isa-debug-exit but with the status as is). */
#include "xenemu/devices.h"

#define DEBUGCON_PORT 0xe9
#define EXIT_PORT 0xf4

static uint32_t debugcon_read(void *opaque, uint16_t port, unsigned size)
{
    (void)opaque;
    (void)size;
    return port == DEBUGCON_PORT ? 0xe9 : 0xff;    /* Bochs' presence check reads 0xE9 */
}

static void debugcon_write(void *opaque, uint16_t port, unsigned size, uint32_t value)
{
    debugcon_t *d = opaque;
    (void)size;
    if (port == DEBUGCON_PORT) {
        char c = (char)(value & 0xff);
        conout_write(d->out, &c, 1);
        return;
    }
    d->exit_requested = true;
    d->exit_status = (int)(value & 0xff);
    for (int i = 0; i < d->m->ncpu; i++)
        d->m->cpu[i]->pending_events = true;
}

static const io_port_ops_t debugcon_ops = { debugcon_read, debugcon_write };

int debugcon_init(debugcon_t *d, iobus_t *bus, machine_t *m, conout_t *out)
{
    d->out = out;
    d->m = m;
    d->exit_requested = false;
    d->exit_status = 0;
    if (iobus_add(bus, DEBUGCON_PORT, DEBUGCON_PORT, &debugcon_ops, d) < 0)
        return -1;
    return iobus_add(bus, EXIT_PORT, EXIT_PORT, &debugcon_ops, d);
}
