/* The built-in xenstore: the ring protocol (xen-abi/io/xs_wire.h) and the
 * requests a domU may send, answered as xenstored answers an unprivileged
 * domain (docs/misc/xenstore.txt). Transactions work on a private copy of
 * the tree, remember the generation of every node they touch and replay
 * their changes on commit; a touched node changed meanwhile gives EAGAIN,
 * as xenstored does.
 *
 * Limits (xenstored-like): payload XENSTORE_PAYLOAD_MAX (a longer header
 * is a protocol error: the page's error field is set and the connection
 * ignored until the guest reconnects); replies that would exceed it give
 * E2BIG; node, byte, watch and transaction quotas give ENOSPC / E2BIG (see
 * xenstore_impl.h). Unlike xenstored there is no per-node size quota. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xenstore_impl.h"

/* The guest runs on the same host thread (round-robin vCPUs), so plain
 * accesses are enough; this only keeps the compiler from reordering ring
 * data accesses across the index loads and stores. */
#define RING_BARRIER() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#define VLOAD(x) (*(volatile uint32_t *)&(x))
#define VSTORE(x, v) (*(volatile uint32_t *)&(x) = (v))

#define HDR sizeof(struct xsd_sockmsg)
#define PATHBUF (XENSTORE_ABS_PATH_MAX + 1)

typedef struct xs_op {              /* a change made inside a transaction */
    uint32_t type;                  /* XS_WRITE, XS_MKDIR, XS_RM, XS_SET_PERMS */
    char *path;
    void *data;
    uint32_t len;
    struct xs_op *next;
} xs_op_t;

typedef struct xs_acc {             /* a node a transaction has seen */
    char *path;
    uint64_t gen;                   /* 0: absent */
} xs_acc_t;

typedef struct xs_txn {
    uint32_t id;
    xs_tree_t tree;
    xs_acc_t *acc;
    size_t nacc, cacc;
    xs_op_t *ops, **ops_tail;
    size_t nops;
    bool failed;                    /* out of memory or over quota while recording */
    struct xs_txn *next;
} xs_txn_t;

struct xenstore {
    uint16_t domid;
    char dompath[32];
    uint64_t gen;
    xs_tree_t tree;
    xs_watches_t watches;
    xs_outq_t out;
    xs_txn_t *txns;
    unsigned ntxns;
    uint32_t next_txid;
    struct xenstore_domain_interface *ring;
    bool broken;
    size_t in_used;
    uint8_t in[HDR + XENSTORE_PAYLOAD_MAX + 1];
};

/* ---------- replies ---------- */

static const struct xsd_error_name error_names[] = { XSD_ERROR_NAMES };

static const char *error_name(int err)
{
    for (size_t i = 0; i < sizeof(error_names) / sizeof(error_names[0]); i++)
        if (error_names[i].errnum == err)
            return error_names[i].name;
    return "EINVAL";
}

static void reply_error(xenstore_t *xs, const struct xsd_sockmsg *h, int err)
{
    const char *s = error_name(err);
    xs_outq_push(&xs->out, XS_ERROR, h->req_id, h->tx_id, s, strlen(s) + 1, NULL, 0);
}

static int reply(xenstore_t *xs, const struct xsd_sockmsg *h, const void *p, size_t n)
{
    if (n > XENSTORE_PAYLOAD_MAX)
        return E2BIG;
    return xs_outq_push(&xs->out, h->type, h->req_id, h->tx_id, p, n, NULL, 0);
}

static int reply_ok(xenstore_t *xs, const struct xsd_sockmsg *h) { return reply(xs, h, "OK", 3); }

/* ---------- arguments ---------- */

/* Exactly one NUL-terminated string filling the payload. */
static const char *onearg(const char *p, uint32_t len)
{
    if (len == 0 || p[len - 1] != 0 || memchr(p, 0, len) != p + len - 1)
        return NULL;
    return p;
}

/* The first n NUL-terminated strings; false if there are fewer. */
static bool strings(const char *p, uint32_t len, const char **argv, unsigned n)
{
    uint32_t off = 0;
    for (unsigned i = 0; i < n; i++) {
        const char *z = off < len ? memchr(p + off, 0, len - off) : NULL;
        if (!z)
            return false;
        argv[i] = p + off;
        off = (uint32_t)(z - p) + 1;
    }
    return true;
}

/* ---------- transactions ---------- */

static xs_txn_t *txn_find(xenstore_t *xs, uint32_t id)
{
    for (xs_txn_t *t = xs->txns; t; t = t->next)
        if (t->id == id)
            return t;
    return NULL;
}

static void txn_free(xs_txn_t *t)
{
    xs_tree_destroy(&t->tree);
    for (size_t i = 0; i < t->nacc; i++)
        free(t->acc[i].path);
    free(t->acc);
    while (t->ops) {
        xs_op_t *o = t->ops;
        t->ops = o->next;
        free(o->path);
        free(o->data);
        free(o);
    }
    free(t);
}

static void txn_drop(xenstore_t *xs, xs_txn_t *t)
{
    for (xs_txn_t **pp = &xs->txns; *pp; pp = &(*pp)->next)
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    xs->ntxns--;
    txn_free(t);
}

static void txn_drop_all(xenstore_t *xs)
{
    while (xs->txns)
        txn_drop(xs, xs->txns);
}

/* Remember the generation a node had when the transaction first saw it. */
static void txn_access(xs_txn_t *t, const char *abs)
{
    for (size_t i = 0; i < t->nacc; i++)
        if (strcmp(t->acc[i].path, abs) == 0)
            return;
    if (t->nacc >= 2 * XS_TXN_MAX_NODES) {
        t->failed = true;                   /* a very deep path; the commit fails */
        return;
    }
    if (t->nacc == t->cacc) {
        size_t c = t->cacc ? t->cacc * 2 : 16;
        xs_acc_t *a = realloc(t->acc, c * sizeof(*a));
        if (!a) {
            t->failed = true;
            return;
        }
        t->acc = a;
        t->cacc = c;
    }
    char *p = strdup(abs);
    if (!p) {
        t->failed = true;
        return;
    }
    const xs_node_t *n = xs_tree_lookup(&t->tree, abs);
    t->acc[t->nacc].path = p;
    t->acc[t->nacc].gen = n ? n->gen : 0;
    t->nacc++;
}

/* A change touches the node and every ancestor it may create or relink. */
static void txn_access_change(xs_txn_t *t, const char *abs)
{
    char path[PATHBUF];
    snprintf(path, sizeof(path), "%s", abs);
    txn_access(t, path);
    for (;;) {
        bool exists = xs_tree_lookup(&t->tree, path) != NULL;
        char *slash = strrchr(path, '/');
        if (!slash)
            return;
        if (slash == path)
            slash[1] = 0;
        else
            *slash = 0;
        txn_access(t, path);
        if (exists || slash == path)
            return;
    }
}

static void txn_log(xs_txn_t *t, uint32_t type, const char *abs, const void *data, uint32_t len)
{
    xs_op_t *o = calloc(1, sizeof(*o));
    if (!o || !(o->path = strdup(abs)) || !(o->data = malloc(len ? len : 1))) {
        if (o)
            free(o->path);
        free(o);
        t->failed = true;
        return;
    }
    if (len)
        memcpy(o->data, data, len);
    o->type = type;
    o->len = len;
    t->nops++;
    *t->ops_tail = o;
    t->ops_tail = &o->next;
}

/* ---------- operations on the live tree (fire watches) or a transaction ---------- */

/* Events only reach a watcher allowed to read the node (xenstored). */
static bool guest_can_read(const xenstore_t *xs, const char *abs)
{
    const xs_node_t *n = xs_tree_lookup(&xs->tree, abs);
    return n && (xs_node_access(n, xs->domid) & XS_PERM_READ);
}

static int op_write(xenstore_t *xs, xs_txn_t *t, const char *abs, const void *v, uint32_t len, bool mkdir,
                    uint16_t who)
{
    xs_tree_t *tree = t ? &t->tree : &xs->tree;
    if (t)
        txn_access_change(t, abs);
    if (mkdir && xs_tree_lookup(tree, abs)) {
        int err = 0;
        return xs_tree_get(tree, abs, who, XS_PERM_WRITE, &err) ? 0 : err;
    }
    bool created;
    int err = xs_tree_write(tree, abs, mkdir ? NULL : v, len, who, &created);
    if (err)
        return err;
    if (t)
        txn_log(t, mkdir ? XS_MKDIR : XS_WRITE, abs, v, mkdir ? 0 : len);
    else
        xs_watch_fire(&xs->watches, abs, false, guest_can_read(xs, abs));
    return 0;
}

static int op_rm(xenstore_t *xs, xs_txn_t *t, const char *abs, uint16_t who)
{
    xs_tree_t *tree = t ? &t->tree : &xs->tree;
    if (t)
        txn_access_change(t, abs);
    bool visible = !t && guest_can_read(xs, abs);
    int err = xs_tree_rm(tree, abs, who);
    if (err == ENOENT) {
        /* Removing a missing node is fine when its parent exists. */
        char parent[PATHBUF];
        snprintf(parent, sizeof(parent), "%s", abs);
        char *slash = strrchr(parent, '/');
        if (slash && slash != parent)
            *slash = 0;
        else if (slash)
            slash[1] = 0;
        return xs_tree_lookup(tree, parent) ? 0 : ENOENT;
    }
    if (err)
        return err;
    if (t)
        txn_log(t, XS_RM, abs, NULL, 0);
    else
        xs_watch_fire(&xs->watches, abs, true, visible);
    return 0;
}

static int op_set_perms(xenstore_t *xs, xs_txn_t *t, const char *abs, const xs_perm_t *p, uint32_t n, uint16_t who)
{
    xs_tree_t *tree = t ? &t->tree : &xs->tree;
    if (t)
        txn_access(t, abs);
    int err = xs_tree_set_perms(tree, abs, p, n, who);
    if (err)
        return err;
    if (t)
        txn_log(t, XS_SET_PERMS, abs, p, n * (uint32_t)sizeof(*p));
    else
        xs_watch_fire(&xs->watches, abs, false, guest_can_read(xs, abs));
    return 0;
}

static int txn_commit(xenstore_t *xs, xs_txn_t *t)
{
    if (t->failed)
        return ENOSPC;
    for (size_t i = 0; i < t->nacc; i++) {
        const xs_node_t *n = xs_tree_lookup(&xs->tree, t->acc[i].path);
        if ((n ? n->gen : 0) != t->acc[i].gen)
            return EAGAIN;
    }
    /* Nothing the transaction saw has changed: its changes replay exactly. */
    for (const xs_op_t *o = t->ops; o; o = o->next) {
        switch (o->type) {
        case XS_WRITE: op_write(xs, NULL, o->path, o->data, o->len, false, xs->domid); break;
        case XS_MKDIR: op_write(xs, NULL, o->path, NULL, 0, true, xs->domid); break;
        case XS_RM: op_rm(xs, NULL, o->path, xs->domid); break;
        case XS_SET_PERMS:
            op_set_perms(xs, NULL, o->path, o->data, o->len / (uint32_t)sizeof(xs_perm_t), xs->domid);
            break;
        }
    }
    return 0;
}

/* ---------- requests ---------- */

static int do_directory(xenstore_t *xs, const struct xsd_sockmsg *h, const xs_tree_t *tree, const char *abs,
                        const char *offarg)
{
    int err = 0;
    const xs_node_t *n = xs_tree_get(tree, abs, xs->domid, XS_PERM_READ, &err);
    if (!n)
        return err;
    size_t total = 0;
    for (const xs_node_t *c = n->child; c; c = c->next)
        total += strlen(c->name) + 1;
    char *buf = malloc(total + 1);
    if (!buf)
        return ENOMEM;
    size_t o = 0;
    for (const xs_node_t *c = n->child; c; c = c->next) {
        size_t l = strlen(c->name) + 1;
        memcpy(buf + o, c->name, l);
        o += l;
    }
    if (!offarg) {
        err = reply(xs, h, buf, total);
        free(buf);
        return err;
    }
    /* DIRECTORY_PART: "<gen>\0" then names from the byte offset, ending
     * with an empty name once the list is complete. */
    char *end;
    unsigned long off = strtoul(offarg, &end, 10);
    if (!*offarg || *end || off > total) {
        free(buf);
        return EINVAL;
    }
    char genstr[24];
    size_t gl = (size_t)snprintf(genstr, sizeof(genstr), "%" PRIu64, n->gen) + 1;
    size_t room = XENSTORE_PAYLOAD_MAX - gl;
    size_t rest = total - off, n_out;
    bool complete = rest + 1 <= room;
    if (complete) {
        n_out = rest;
        buf[total] = 0;
    } else {
        n_out = 0;
        for (size_t i = 0; i < room; i++)
            if (buf[off + i] == 0)
                n_out = i + 1;
    }
    char *msg = malloc(gl + n_out + 1);
    if (!msg) {
        free(buf);
        return ENOMEM;
    }
    memcpy(msg, genstr, gl);
    memcpy(msg + gl, buf + off, n_out);
    msg[gl + n_out] = 0;
    err = reply(xs, h, msg, gl + n_out + (complete ? 1 : 0));
    free(msg);
    free(buf);
    return err;
}

static int do_get_perms(xenstore_t *xs, const struct xsd_sockmsg *h, const xs_tree_t *tree, const char *abs)
{
    int err = 0;
    const xs_node_t *n = xs_tree_get(tree, abs, xs->domid, XS_PERM_READ, &err);
    if (!n)
        return err;
    char buf[XS_MAX_PERMS * 8];
    size_t o = 0;
    for (uint32_t i = 0; i < n->nperms; i++)
        o += xs_perm_format(&n->perms[i], buf + o);
    return reply(xs, h, buf, o);
}

static int do_set_perms(xenstore_t *xs, xs_txn_t *t, const char *p, uint32_t len, char *abs)
{
    const char *path;
    if (!strings(p, len, &path, 1))
        return EINVAL;
    int err = xs_path_canon(path, xs->dompath, false, abs, PATHBUF);
    if (err)
        return err;
    xs_perm_t perms[XS_MAX_PERMS];
    uint32_t n = 0, off = (uint32_t)strlen(path) + 1;
    while (off < len) {
        const char *s = p + off;
        const char *z = memchr(s, 0, len - off);
        if (!z)
            return EINVAL;
        if (n == XS_MAX_PERMS)
            return ENOSPC;
        if (xs_perm_parse(s, &perms[n]))
            return EINVAL;
        n++;
        off = (uint32_t)(z - p) + 1;
    }
    if (n == 0)
        return EINVAL;
    return op_set_perms(xs, t, abs, perms, n, xs->domid);
}

static int do_txn_end(xenstore_t *xs, const struct xsd_sockmsg *h, xs_txn_t *t, const char *arg)
{
    if (!t)
        return ENOENT;
    if (!arg || (strcmp(arg, "T") != 0 && strcmp(arg, "F") != 0))
        return EINVAL;
    int err = arg[0] == 'T' ? txn_commit(xs, t) : 0;
    txn_drop(xs, t);
    return err ? err : reply_ok(xs, h);
}

static int do_txn_start(xenstore_t *xs, const struct xsd_sockmsg *h, xs_txn_t *t)
{
    if (t)
        return EBUSY;                       /* no nesting */
    if (xs->ntxns >= XS_MAX_TRANSACTIONS)
        return ENOSPC;
    xs_txn_t *nt = calloc(1, sizeof(*nt));
    if (!nt)
        return ENOMEM;
    if (xs_tree_clone(&nt->tree, &xs->tree)) {
        xs_tree_destroy(&nt->tree);
        free(nt);
        return ENOMEM;
    }
    do
        nt->id = ++xs->next_txid;
    while (nt->id == 0 || txn_find(xs, nt->id));
    nt->ops_tail = &nt->ops;
    nt->next = xs->txns;
    xs->txns = nt;
    xs->ntxns++;
    char buf[16];
    int n = snprintf(buf, sizeof(buf), "%u", nt->id);
    return reply(xs, h, buf, (size_t)n + 1);
}

static void reset_watches(xenstore_t *xs)
{
    xs_watch_clear(&xs->watches);
    txn_drop_all(xs);
}

/* One complete request: header h, payload p of h->len bytes (NUL at p[len]). */
static int handle(xenstore_t *xs, const struct xsd_sockmsg *h, char *p)
{
    char abs[PATHBUF];
    const char *argv[2];
    const char *path = NULL;
    int err = 0;

    switch (h->type) {
    case XS_CONTROL:
    case XS_INTRODUCE:
    case XS_RELEASE:
    case XS_IS_DOMAIN_INTRODUCED:
    case XS_RESUME:
    case XS_SET_TARGET:
        return EACCES;                      /* privileged only */
    case XS_WATCH:
    case XS_UNWATCH:
        /* Not part of any transaction (tx_id ignored); watches are matched
         * by canonical path and token. */
        if (!strings(p, h->len, argv, 2))
            return EINVAL;
        if ((err = xs_path_canon(argv[0], xs->dompath, true, abs, sizeof(abs))))
            return err;
        if (h->type == XS_UNWATCH)
            return (err = xs_watch_remove(&xs->watches, abs, argv[1])) ? err : reply_ok(xs, h);
        if ((err = xs_watch_check(&xs->watches, abs, argv[1])) || (err = reply_ok(xs, h)))
            return err;
        /* The initial event follows the reply, as with xenstored. */
        xs_watch_add(&xs->watches, argv[0], abs, argv[1]);
        return 0;
    case XS_DIRECTORY:
    case XS_READ:
    case XS_GET_PERMS:
    case XS_TRANSACTION_START:
    case XS_TRANSACTION_END:
    case XS_GET_DOMAIN_PATH:
    case XS_WRITE:
    case XS_MKDIR:
    case XS_RM:
    case XS_SET_PERMS:
    case XS_RESET_WATCHES:
    case XS_DIRECTORY_PART:
        break;
    default:
        return ENOSYS;                      /* unknown, or a server-only type */
    }

    xs_txn_t *t = NULL;
    if (h->tx_id && !(t = txn_find(xs, h->tx_id)))
        return ENOENT;
    const xs_tree_t *tree = t ? &t->tree : &xs->tree;
    if (t && (t->nacc >= XS_TXN_MAX_NODES || t->nops >= XS_TXN_MAX_OPS) && h->type != XS_TRANSACTION_END)
        return ENOSPC;                      /* xenstored's transaction-nodes quota */

    switch (h->type) {
    case XS_TRANSACTION_START:
        return do_txn_start(xs, h, t);
    case XS_TRANSACTION_END:
        return do_txn_end(xs, h, t, onearg(p, h->len));
    case XS_RESET_WATCHES:
        reset_watches(xs);
        return reply_ok(xs, h);
    case XS_GET_DOMAIN_PATH: {
        const char *d = onearg(p, h->len);
        char *end;
        if (!d || !*d)
            return EINVAL;
        unsigned long id = strtoul(d, &end, 10);
        if (*end || d[0] < '0' || d[0] > '9' || id > 0xffff)
            return EINVAL;
        char buf[32];
        int n = snprintf(buf, sizeof(buf), "/local/domain/%lu", id);
        return reply(xs, h, buf, (size_t)n + 1);
    }
    case XS_SET_PERMS:
        err = do_set_perms(xs, t, p, h->len, abs);
        return err ? err : reply_ok(xs, h);
    case XS_WRITE:
        if (!strings(p, h->len, &path, 1))
            return EINVAL;
        break;
    case XS_DIRECTORY_PART:
        if (!strings(p, h->len, argv, 2))
            return EINVAL;
        path = argv[0];
        break;
    default:
        if (!(path = onearg(p, h->len)))
            return EINVAL;
        break;
    }
    if ((err = xs_path_canon(path, xs->dompath, false, abs, sizeof(abs))))
        return err;
    if (t && h->type != XS_WRITE && h->type != XS_MKDIR && h->type != XS_RM)
        txn_access(t, abs);

    switch (h->type) {
    case XS_READ: {
        const xs_node_t *n = xs_tree_get(tree, abs, xs->domid, XS_PERM_READ, &err);
        return n ? reply(xs, h, n->value, n->vlen) : err;
    }
    case XS_DIRECTORY:
        return do_directory(xs, h, tree, abs, NULL);
    case XS_DIRECTORY_PART:
        return do_directory(xs, h, tree, abs, argv[1]);
    case XS_GET_PERMS:
        return do_get_perms(xs, h, tree, abs);
    case XS_WRITE: {
        uint32_t off = (uint32_t)strlen(path) + 1;
        err = op_write(xs, t, abs, p + off, h->len - off, false, xs->domid);
        break;
    }
    case XS_MKDIR:
        err = op_write(xs, t, abs, NULL, 0, true, xs->domid);
        break;
    case XS_RM:
        err = op_rm(xs, t, abs, xs->domid);     /* the root: EACCES, or EINVAL for dom0 */
        break;
    }
    return err ? err : reply_ok(xs, h);
}

/* ---------- the ring ---------- */

static void conn_reset(xenstore_t *xs)
{
    reset_watches(xs);
    xs_outq_clear(&xs->out);
    xs->in_used = 0;
}

/* xenstored's "ignore the connection": no more requests until a reconnect. */
static void conn_break(xenstore_t *xs, uint32_t error)
{
    xs->broken = true;
    conn_reset(xs);
    VSTORE(xs->ring->error, error);
}

/* Move queued output into rsp. Returns bytes written, or -1 on bad indices. */
static long flush_out(xenstore_t *xs)
{
    struct xenstore_domain_interface *r = xs->ring;
    uint32_t cons = VLOAD(r->rsp_cons), prod = VLOAD(r->rsp_prod);
    uint32_t used = prod - cons;
    if (used > XENSTORE_RING_SIZE)
        return -1;
    size_t n = XENSTORE_RING_SIZE - used;
    if (n > xs->out.len)
        n = xs->out.len;
    if (n == 0)
        return 0;
    const uint8_t *src = xs->out.buf + xs->out.head;
    for (size_t done = 0; done < n;) {
        uint32_t off = MASK_XENSTORE_IDX(prod + (uint32_t)done);
        size_t chunk = XENSTORE_RING_SIZE - off;
        if (chunk > n - done)
            chunk = n - done;
        memcpy(r->rsp + off, src + done, chunk);
        done += chunk;
    }
    RING_BARRIER();                         /* data before the index that publishes it */
    VSTORE(r->rsp_prod, prod + (uint32_t)n);
    xs_outq_consume(&xs->out, n);
    return (long)n;
}

/* Read requests and handle each complete one. Returns bytes consumed, or
 * -1 after breaking the connection. */
static long consume_in(xenstore_t *xs)
{
    struct xenstore_domain_interface *r = xs->ring;
    uint32_t cons = VLOAD(r->req_cons), prod = VLOAD(r->req_prod);
    RING_BARRIER();                         /* the index before the data it covers */
    uint32_t avail = prod - cons;
    if (avail > XENSTORE_RING_SIZE) {
        conn_break(xs, XENSTORE_ERROR_RINGIDX);
        return -1;
    }
    long total = 0;
    while (avail && xs->out.len < XS_OUTQ_INPUT_LIMIT) {
        struct xsd_sockmsg h;
        size_t want = HDR;
        if (xs->in_used >= HDR) {
            memcpy(&h, xs->in, HDR);
            want = HDR + h.len;             /* len was checked when the header completed */
        }
        size_t n = want - xs->in_used;
        if (n > avail)
            n = avail;
        for (size_t done = 0; done < n;) {
            uint32_t off = MASK_XENSTORE_IDX(cons);
            size_t chunk = XENSTORE_RING_SIZE - off;
            if (chunk > n - done)
                chunk = n - done;
            memcpy(xs->in + xs->in_used + done, r->req + off, chunk);
            done += chunk;
            cons += (uint32_t)chunk;
        }
        avail -= (uint32_t)n;
        total += (long)n;
        xs->in_used += n;
        if (xs->in_used < HDR)
            break;
        memcpy(&h, xs->in, HDR);
        if (h.len > XENSTORE_PAYLOAD_MAX) {
            /* xenstored treats this as a protocol error and stops talking. */
            RING_BARRIER();
            VSTORE(r->req_cons, cons);
            conn_break(xs, XENSTORE_ERROR_PROTO);
            return -1;
        }
        if (xs->in_used < HDR + h.len)
            continue;
        char *payload = (char *)xs->in + HDR;
        payload[h.len] = 0;
        xs->in_used = 0;
        int err = handle(xs, &h, payload);
        if (err)
            reply_error(xs, &h, err);
    }
    RING_BARRIER();                         /* finish reading before freeing the space */
    VSTORE(r->req_cons, cons);
    return total;
}

bool xenstore_process(xenstore_t *xs)
{
    struct xenstore_domain_interface *r = xs->ring;
    if (!r)
        return false;
    if (VLOAD(r->connection) == XENSTORE_RECONNECT) {
        /* Ring reconnection (xenstore.txt): drop all state, reset the
         * indices, then report the connection as up again. */
        conn_reset(xs);
        xs->broken = false;
        VSTORE(r->req_cons, 0);
        VSTORE(r->req_prod, 0);
        VSTORE(r->rsp_cons, 0);
        VSTORE(r->rsp_prod, 0);
        VSTORE(r->error, XENSTORE_ERROR_NONE);
        RING_BARRIER();
        VSTORE(r->connection, XENSTORE_CONNECTED);
        return true;
    }
    if (xs->broken)
        return false;
    bool notify = false;
    for (;;) {
        long o = flush_out(xs);
        if (o < 0) {
            conn_break(xs, XENSTORE_ERROR_RINGIDX);
            return true;
        }
        long i = xs->out.len < XS_OUTQ_INPUT_LIMIT ? consume_in(xs) : 0;
        if (i < 0)
            return true;
        if (o == 0 && i == 0)
            break;
        notify = true;
    }
    return notify;
}

/* ---------- setup and host access ---------- */

void xenstore_attach(xenstore_t *xs, void *page)
{
    xs->ring = page;
    xs->broken = false;
    if (page)
        VSTORE(xs->ring->server_features, XENSTORE_SERVER_FEATURE_RECONNECTION | XENSTORE_SERVER_FEATURE_ERROR);
}

int xenstore_host_write(xenstore_t *xs, const char *path, const char *value)
{
    char abs[PATHBUF];
    int err = xs_path_canon(path, xs->dompath, false, abs, sizeof(abs));
    return err ? err : op_write(xs, NULL, abs, value, (uint32_t)strlen(value), false, XS_PRIV_DOMID);
}

int xenstore_host_mkdir(xenstore_t *xs, const char *path)
{
    char abs[PATHBUF];
    int err = xs_path_canon(path, xs->dompath, false, abs, sizeof(abs));
    return err ? err : op_write(xs, NULL, abs, NULL, 0, true, XS_PRIV_DOMID);
}

int xenstore_host_rm(xenstore_t *xs, const char *path)
{
    char abs[PATHBUF];
    int err = xs_path_canon(path, xs->dompath, false, abs, sizeof(abs));
    return err ? err : op_rm(xs, NULL, abs, XS_PRIV_DOMID);
}

long xenstore_host_read(xenstore_t *xs, const char *path, char *buf, size_t size)
{
    char abs[PATHBUF];
    int err = xs_path_canon(path, xs->dompath, false, abs, sizeof(abs));
    if (err)
        return -err;
    const xs_node_t *n = xs_tree_lookup(&xs->tree, abs);
    if (!n)
        return -ENOENT;
    if (size) {
        size_t c = n->vlen < size - 1 ? n->vlen : size - 1;
        memcpy(buf, n->value, c);
        buf[c] = 0;
    }
    return (long)n->vlen;
}

unsigned xenstore_watch_count(const xenstore_t *xs) { return xs->watches.count; }

/* Seed a node as the toolstack would: value (NULL: a directory) and its
 * permissions, "ro" = dom0-owned and guest-readable, "rw" = guest-owned. */
static int seed(xenstore_t *xs, const char *rel, const char *value, const char *mode)
{
    char abs[PATHBUF];
    if (rel[0] == '/')
        snprintf(abs, sizeof(abs), "%s", rel);
    else
        snprintf(abs, sizeof(abs), "%s%s%s", xs->dompath, rel[0] ? "/" : "", rel);
    bool created;
    int err = xs_tree_write(&xs->tree, abs, value, value ? (uint32_t)strlen(value) : 0, XS_PRIV_DOMID, &created);
    if (err || !mode)
        return err;
    xs_perm_t p[2];
    uint32_t n = 1;
    if (!strcmp(mode, "rw")) {
        p[0] = (xs_perm_t){ xs->domid, 0 };
    } else if (!strcmp(mode, "ro")) {
        p[0] = (xs_perm_t){ XS_PRIV_DOMID, 0 };
        p[1] = (xs_perm_t){ xs->domid, XS_PERM_READ };
        n = 2;
    } else {
        p[0] = (xs_perm_t){ XS_PRIV_DOMID, 0 };     /* "n0": dom0 only */
    }
    return xs_tree_set_perms(&xs->tree, abs, p, n, XS_PRIV_DOMID);
}

/* The layout libxl writes for a new domU (libxl_create.c, libxl_dom.c,
 * libxl_console.c), reduced to what a PVH guest reads. */
static int seed_tree(xenstore_t *xs, const xenstore_config_t *c)
{
    char buf[64], uuid[40], vm[48], path[80];
    if (c->uuid)
        snprintf(uuid, sizeof(uuid), "%.36s", c->uuid);
    else
        snprintf(uuid, sizeof(uuid), "00000000-0000-0000-0000-%012x", (unsigned)c->domid);
    snprintf(vm, sizeof(vm), "/vm/%s", uuid);
    const char *name = c->name ? c->name : "xenemu";
    int err = 0;
#define S(p, v, m) do { if (!err) err = seed(xs, p, v, m); } while (0)
    S("/tool/xenstored", NULL, "n0");
    S("/local/domain/0", NULL, "n0");
    S("/local/domain/0/name", "Domain-0", NULL);
    S("/local/domain/0/domid", "0", NULL);
    S("", NULL, "ro");
    S(vm, NULL, "ro");
    snprintf(path, sizeof(path), "%s/uuid", vm);
    S(path, uuid, NULL);
    snprintf(path, sizeof(path), "%s/name", vm);
    S(path, name, NULL);
    S("vm", vm, NULL);
    S("name", name, NULL);
    snprintf(buf, sizeof(buf), "%u", (unsigned)c->domid);
    S("domid", buf, NULL);
    S("cpu", NULL, NULL);
    for (unsigned i = 0; i < c->nr_vcpus && i < 512; i++) {
        snprintf(path, sizeof(path), "cpu/%u/availability", i);
        S(path, "online", NULL);
    }
    S("memory", NULL, NULL);
    if (c->mem_kib) {
        snprintf(buf, sizeof(buf), "%" PRIu64, c->mem_kib);
        S("memory/static-max", buf, NULL);
        S("memory/target", buf, NULL);
    }
    S("control", NULL, NULL);
    S("control/platform-feature-multiprocessor-suspend", "1", NULL);
    S("control/platform-feature-xs_reset_watches", "1", NULL);
    static const char *const guest_control[] = { "shutdown", "sysrq", "feature-poweroff", "feature-reboot",
                                                 "feature-suspend", "feature-s3", "feature-s4",
                                                 "feature-vcpu-hotplug" };
    for (size_t i = 0; i < sizeof(guest_control) / sizeof(guest_control[0]); i++) {
        snprintf(path, sizeof(path), "control/%s", guest_control[i]);
        S(path, "", "rw");
    }
    static const char *const guest_dirs[] = { "device", "data", "drivers", "feature", "attr", "error" };
    for (size_t i = 0; i < sizeof(guest_dirs) / sizeof(guest_dirs[0]); i++)
        S(guest_dirs[i], NULL, "rw");
    S("console", NULL, NULL);
    snprintf(buf, sizeof(buf), "%" PRIu64, c->console_gfn);
    S("console/ring-ref", buf, NULL);
    snprintf(buf, sizeof(buf), "%u", c->console_port);
    S("console/port", buf, NULL);
    S("console/limit", "1048576", NULL);
    S("console/type", "xenconsoled", NULL);
    S("console/output", "pty", NULL);
    S("console/tty", "", NULL);
    S("store", NULL, NULL);
    snprintf(buf, sizeof(buf), "%" PRIu64, c->store_gfn);
    S("store/ring-ref", buf, NULL);
    snprintf(buf, sizeof(buf), "%u", c->store_port);
    S("store/port", buf, NULL);
#undef S
    return err;
}

xenstore_t *xenstore_new(const xenstore_config_t *cfg)
{
    if (!cfg || cfg->domid == XS_PRIV_DOMID || cfg->domid >= 0x7ff0)    /* DOMID_FIRST_RESERVED */
        return NULL;
    xenstore_t *xs = calloc(1, sizeof(*xs));
    if (!xs)
        return NULL;
    xs->domid = cfg->domid;
    snprintf(xs->dompath, sizeof(xs->dompath), "/local/domain/%u", (unsigned)cfg->domid);
    xs->watches.dompath = xs->dompath;
    xs->watches.out = &xs->out;
    if (xs_tree_init(&xs->tree, &xs->gen) || seed_tree(xs, cfg)) {
        xenstore_free(xs);
        return NULL;
    }
    return xs;
}

void xenstore_free(xenstore_t *xs)
{
    if (!xs)
        return;
    conn_reset(xs);
    xs_tree_destroy(&xs->tree);
    free(xs);
}
