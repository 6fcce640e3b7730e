/* The PV console backend (xen-abi/io/console.h): drains the guest's `out`
 * ring to an output callback and feeds keyboard bytes into `in`. */
#ifndef XENEMU_XEN_CONSOLE_H
#define XENEMU_XEN_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xen-abi/io/console.h"

/* Receives guest output (e.g. a wrapper around conout_write). */
typedef void (*xen_console_out_fn)(void *opaque, const void *buf, size_t n);

#define XEN_CONSOLE_INBUF 4096u     /* keyboard bytes waiting for ring space */

typedef struct xen_console {
    struct xencons_interface *ring; /* the guest page, validated by the caller */
    xen_console_out_fn out;
    void *opaque;
    uint8_t pending[XEN_CONSOLE_INBUF];
    size_t pending_len;
    uint64_t bad_indices;           /* times the guest's indices were out of range */
} xen_console_t;

void xen_console_init(xen_console_t *c, xen_console_out_fn out, void *opaque);
/* An output callback for the console sink: opaque is a conout_t *. */
void xen_console_to_conout(void *conout, const void *buf, size_t n);
/* The ring page, or NULL to detach. */
void xen_console_attach(xen_console_t *c, void *page);
/* Queue keyboard input; returns how many bytes were accepted (the rest
 * does not fit in the pending buffer). Delivered by xen_console_process. */
size_t xen_console_input(xen_console_t *c, const void *buf, size_t n);
/* Drain `out` and move pending input into `in`. Returns true when the
 * console event channel should be raised (output consumed or input
 * produced), false when nothing moved. */
bool xen_console_process(xen_console_t *c);

#endif
