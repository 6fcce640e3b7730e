/* The port-I/O bus: devices claim port ranges (DESIGN.md, src/devices/). */
#ifndef XENEMU_IOBUS_H
#define XENEMU_IOBUS_H

#include <stdbool.h>
#include <stdint.h>

#include "xenemu/machine.h"

typedef struct io_port_ops {
    uint32_t (*read)(void *opaque, uint16_t port, unsigned size);
    void (*write)(void *opaque, uint16_t port, unsigned size, uint32_t value);
} io_port_ops_t;

#define IOBUS_MAX_RANGES 32

typedef struct iobus {
    struct {
        uint16_t first, last;
        const io_port_ops_t *ops;
        void *opaque;
    } range[IOBUS_MAX_RANGES];
    int n;
} iobus_t;

/* Attach the bus to the machine's port-I/O hook. */
void iobus_attach(iobus_t *bus, machine_t *m);
/* Claim [first, last]; returns -1 when full or overlapping. */
int iobus_add(iobus_t *bus, uint16_t first, uint16_t last, const io_port_ops_t *ops, void *opaque);

#endif
