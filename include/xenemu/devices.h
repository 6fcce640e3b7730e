/* Simple platform devices of the bare machine: the 0xE9 debug console, the
 * 0xF4 exit port and a 16550 UART. Output goes to the console sink. */
#ifndef XENEMU_DEVICES_H
#define XENEMU_DEVICES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "xenemu/conout.h"
#include "xenemu/iobus.h"

typedef struct debugcon {
    conout_t *out;
    machine_t *m;
    bool exit_requested;   /* the exit port was written */
    int exit_status;
} debugcon_t;

/* Port 0xE9 (byte output) and port 0xF4 (write v: end the run with status v). */
int debugcon_init(debugcon_t *d, iobus_t *bus, machine_t *m, conout_t *out);

typedef struct uart16550 {
    conout_t *out;
    uint8_t ier, lcr, mcr, scr, dll, dlm;
} uart16550_t;

/* A 16550A at base (0x3F8 for COM1) that transmits to `out` at once. */
int uart16550_init(uart16550_t *u, iobus_t *bus, uint16_t base, conout_t *out);

#endif
