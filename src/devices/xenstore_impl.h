/* Internals of the built-in xenstore, shared by xenstore.c (ring and
 * requests), xenstore_tree.c (nodes, paths, permissions) and
 * xenstore_watch.c (watches and the output queue). */
#ifndef XENEMU_XENSTORE_IMPL_H
#define XENEMU_XENSTORE_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xen-abi/io/xs_wire.h"
#include "xenemu/xenstore.h"

/* Permission bits (docs/misc/xenstore.txt: 'r', 'w', 'b' = both, 'n'). */
#define XS_PERM_READ 1u
#define XS_PERM_WRITE 2u
#define XS_PRIV_DOMID 0u            /* dom0: the host, never checked */

#define XS_MAX_NODES 2048u          /* whole store (xenstored: 1000 per domain) */
#define XS_MAX_BYTES (2u << 20)     /* names and values of the whole store */
#define XS_MAX_PERMS 16u            /* per node */
#define XS_MAX_WATCHES 128u         /* xenstored's default watch quota */
#define XS_MAX_TRANSACTIONS 10u     /* xenstored's default transaction quota */
#define XS_TXN_MAX_NODES 1024u      /* nodes one transaction may touch (xenstored) */
#define XS_TXN_MAX_OPS 1024u        /* changes one transaction may make */
#define XS_OUTQ_EVENT_LIMIT (256u * 1024u)  /* drop watch events beyond this */
#define XS_OUTQ_INPUT_LIMIT (64u * 1024u)   /* stop reading requests beyond this */

typedef struct xs_perm {
    uint16_t id;
    uint8_t perm;                   /* XS_PERM_* */
} xs_perm_t;

typedef struct xs_node {
    char *name;                     /* last path component ("" for the root) */
    char *value;
    uint32_t vlen;
    xs_perm_t *perms;               /* [0] = owner and everyone's default */
    uint32_t nperms;
    uint64_t gen;                   /* changes with value, perms or children */
    struct xs_node *parent, *child, *next;  /* children in creation order */
} xs_node_t;

typedef struct xs_tree {
    xs_node_t *root;
    uint64_t *gen_counter;          /* shared by a store and its transactions */
    unsigned nodes;
    size_t bytes;                   /* names and values, for the quota */
} xs_tree_t;

/* --- xenstore_tree.c --- */
int xs_tree_init(xs_tree_t *t, uint64_t *gen_counter);
void xs_tree_destroy(xs_tree_t *t);
int xs_tree_clone(xs_tree_t *dst, const xs_tree_t *src);
xs_node_t *xs_tree_lookup(const xs_tree_t *t, const char *abs);
/* The caller's rights on a node. */
unsigned xs_node_access(const xs_node_t *n, uint16_t who);
/* Look up abs needing `perm`; on failure returns NULL with *err = ENOENT,
 * or EACCES when the nearest existing ancestor denies `perm`. */
xs_node_t *xs_tree_get(const xs_tree_t *t, const char *abs, uint16_t who, unsigned perm, int *err);
/* Create missing nodes (parents too) and, unless value is NULL, set the
 * value. *created tells whether abs was new. Returns 0 or an errno. */
int xs_tree_write(xs_tree_t *t, const char *abs, const void *value, uint32_t len, uint16_t who, bool *created);
int xs_tree_rm(xs_tree_t *t, const char *abs, uint16_t who);
int xs_tree_set_perms(xs_tree_t *t, const char *abs, const xs_perm_t *p, uint32_t n, uint16_t who);
/* Canonicalise a request path into out (size > XENSTORE_ABS_PATH_MAX):
 * relative paths are under dompath. '@'-names only when allow_special.
 * Returns 0 or EINVAL. */
int xs_path_canon(const char *path, const char *dompath, bool allow_special, char *out, size_t size);
/* Is `path` equal to `base` or below it? */
bool xs_path_under(const char *path, const char *base);
/* "r5" etc. Returns 0 or EINVAL. */
int xs_perm_parse(const char *s, xs_perm_t *p);
size_t xs_perm_format(const xs_perm_t *p, char *buf);    /* buf >= 8 bytes, NUL included in count */

/* --- xenstore_watch.c: output queue and watches --- */
typedef struct xs_outq {
    uint8_t *buf;
    size_t head, len, cap;          /* pending bytes are buf[head .. head+len) */
} xs_outq_t;

int xs_outq_push(xs_outq_t *q, uint32_t type, uint32_t req_id, uint32_t tx_id, const void *p1, size_t n1,
                 const void *p2, size_t n2);
void xs_outq_consume(xs_outq_t *q, size_t n);
void xs_outq_clear(xs_outq_t *q);

typedef struct xs_watch {
    char *path;                     /* as registered */
    char *abs;                      /* canonical (or the '@' name) */
    char *token;
    bool relative;
    struct xs_watch *next;
} xs_watch_t;

typedef struct xs_watches {
    xs_watch_t *head;
    unsigned count;
    const char *dompath;            /* for relative event paths */
    xs_outq_t *out;
} xs_watches_t;

/* EEXIST for a duplicate (same canonical path and token), E2BIG over quota. */
int xs_watch_check(const xs_watches_t *w, const char *abs, const char *token);
/* Register and send the initial event. */
int xs_watch_add(xs_watches_t *w, const char *path, const char *abs, const char *token);
int xs_watch_remove(xs_watches_t *w, const char *abs, const char *token);
void xs_watch_clear(xs_watches_t *w);
/* A node at abs changed: fire watches on it and its ancestors; with
 * removed, also watches below it (reporting their own path). Nothing
 * fires unless the guest may read the node (visible). */
void xs_watch_fire(xs_watches_t *w, const char *abs, bool removed, bool visible);

#endif
