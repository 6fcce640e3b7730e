/* The built-in xenstore: one domU's connection over the xenstore ring page
 * (xen-abi/io/xs_wire.h), answering as xenstored answers an unprivileged
 * domain (docs/misc/xenstore.txt), with a tree preloaded the way xl/libxl
 * lays out /local/domain/<domid>. The host side reads and writes nodes
 * (firing the guest's watches) through the xenstore_host_* calls. */
#ifndef XENEMU_XENSTORE_H
#define XENEMU_XENSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct xenstore xenstore_t;

typedef struct xenstore_config {
    uint16_t domid;             /* the guest, >= 1 (dom0 is the privileged host) */
    const char *name;           /* guest name; NULL: "xenemu" */
    const char *uuid;           /* vm uuid; NULL: derived from domid */
    uint64_t mem_kib;           /* memory/target and memory/static-max; 0: left out */
    unsigned nr_vcpus;          /* cpu/<n>/availability = "online" */
    uint64_t console_gfn;       /* console/ring-ref */
    uint32_t console_port;      /* console/port */
    uint64_t store_gfn;         /* store/ring-ref */
    uint32_t store_port;        /* store/port */
} xenstore_config_t;

/* NULL on bad config (domid 0) or out of memory. */
xenstore_t *xenstore_new(const xenstore_config_t *cfg);
void xenstore_free(xenstore_t *xs);

/* The ring page (a host pointer to the guest's 4 KiB page, already
 * validated) or NULL to detach. Advertises the server features; does not
 * reset the guest's indices. */
void xenstore_attach(xenstore_t *xs, void *page);

/* Consume every complete request in `req`, answer into `rsp`, flush queued
 * replies and watch events as space allows. Returns true when the guest
 * should be notified on the store event channel (something was consumed or
 * produced). Guest-controlled indices are validated; a broken ring sets the
 * page's error field and the connection is ignored until it reconnects. */
bool xenstore_process(xenstore_t *xs);

/* Host (privileged) access. Paths are absolute or relative to the guest's
 * /local/domain/<domid>. Writes and removals fire the guest's watches; call
 * xenstore_process afterwards to deliver them. Return 0 or an errno. */
int xenstore_host_write(xenstore_t *xs, const char *path, const char *value);
int xenstore_host_mkdir(xenstore_t *xs, const char *path);
int xenstore_host_rm(xenstore_t *xs, const char *path);
/* Copies the value NUL-terminated (truncated to size - 1); returns its full
 * length, or -errno. */
long xenstore_host_read(xenstore_t *xs, const char *path, char *buf, size_t size);

/* Number of watches the guest has registered (for tests and tracing). */
unsigned xenstore_watch_count(const xenstore_t *xs);

#endif
