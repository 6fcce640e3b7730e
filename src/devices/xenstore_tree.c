/* The xenstore node tree: paths, values, permissions and generation counts
 * (semantics from docs/misc/xenstore.txt). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xenstore_impl.h"

static uint64_t next_gen(xs_tree_t *t) { return ++*t->gen_counter; }

static xs_node_t *node_new(xs_tree_t *t, const char *name, size_t nlen, const xs_perm_t *perms, uint32_t nperms)
{
    xs_node_t *n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->name = malloc(nlen + 1);
    n->value = malloc(1);
    n->perms = malloc(nperms * sizeof(*perms));
    if (!n->name || !n->value || !n->perms) {
        free(n->name);
        free(n->value);
        free(n->perms);
        free(n);
        return NULL;
    }
    memcpy(n->name, name, nlen);
    n->name[nlen] = 0;
    n->value[0] = 0;
    memcpy(n->perms, perms, nperms * sizeof(*perms));
    n->nperms = nperms;
    n->gen = next_gen(t);
    return n;
}

static void node_free(xs_node_t *n)
{
    while (n) {
        xs_node_t *next = n->next;
        node_free(n->child);
        free(n->name);
        free(n->value);
        free(n->perms);
        free(n);
        n = next;
    }
}

static unsigned node_count(const xs_node_t *n, size_t *bytes)
{
    unsigned c = 0;
    for (; n; n = n->next) {
        c += 1 + node_count(n->child, bytes);
        *bytes += strlen(n->name) + n->vlen;
    }
    return c;
}

int xs_tree_init(xs_tree_t *t, uint64_t *gen_counter)
{
    static const xs_perm_t root_perm = { XS_PRIV_DOMID, 0 };
    t->gen_counter = gen_counter;
    t->root = node_new(t, "", 0, &root_perm, 1);
    t->nodes = 1;
    return t->root ? 0 : ENOMEM;
}

void xs_tree_destroy(xs_tree_t *t)
{
    node_free(t->root);
    t->root = NULL;
    t->nodes = 0;
}

static xs_node_t *node_clone(const xs_node_t *s, xs_node_t *parent)
{
    xs_node_t *n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->name = strdup(s->name);
    n->value = malloc(s->vlen + 1u);
    n->perms = malloc(s->nperms * sizeof(*s->perms));
    n->parent = parent;
    if (!n->name || !n->value || !n->perms)
        goto fail;
    memcpy(n->value, s->value, s->vlen + 1u);
    n->vlen = s->vlen;
    memcpy(n->perms, s->perms, s->nperms * sizeof(*s->perms));
    n->nperms = s->nperms;
    n->gen = s->gen;
    xs_node_t **tail = &n->child;
    for (const xs_node_t *c = s->child; c; c = c->next) {
        if (!(*tail = node_clone(c, n)))
            goto fail;
        tail = &(*tail)->next;
    }
    return n;
fail:
    node_free(n);
    return NULL;
}

int xs_tree_clone(xs_tree_t *dst, const xs_tree_t *src)
{
    dst->gen_counter = src->gen_counter;
    dst->root = node_clone(src->root, NULL);
    dst->nodes = src->nodes;
    dst->bytes = src->bytes;
    return dst->root ? 0 : ENOMEM;
}

static xs_node_t *find_child(const xs_node_t *n, const char *name, size_t len)
{
    for (xs_node_t *c = n->child; c; c = c->next)
        if (strlen(c->name) == len && memcmp(c->name, name, len) == 0)
            return c;
    return NULL;
}

/* Walks as far as the path exists; *rest is the first missing component. */
static xs_node_t *walk(const xs_tree_t *t, const char *abs, const char **rest)
{
    xs_node_t *n = t->root;
    const char *p = abs;
    while (*p == '/')
        p++;
    while (*p) {
        size_t len = strcspn(p, "/");
        xs_node_t *c = find_child(n, p, len);
        if (!c)
            break;
        n = c;
        p += len;
        while (*p == '/')
            p++;
    }
    *rest = p;
    return n;
}

xs_node_t *xs_tree_lookup(const xs_tree_t *t, const char *abs)
{
    const char *rest;
    xs_node_t *n = walk(t, abs, &rest);
    return *rest ? NULL : n;
}

unsigned xs_node_access(const xs_node_t *n, uint16_t who)
{
    if (who == XS_PRIV_DOMID || n->perms[0].id == who)
        return XS_PERM_READ | XS_PERM_WRITE;
    for (uint32_t i = 1; i < n->nperms; i++)
        if (n->perms[i].id == who)
            return n->perms[i].perm;
    return n->perms[0].perm;
}

xs_node_t *xs_tree_get(const xs_tree_t *t, const char *abs, uint16_t who, unsigned perm, int *err)
{
    const char *rest;
    xs_node_t *n = walk(t, abs, &rest);
    /* A missing node reports EACCES when its nearest ancestor would deny
     * the access, so names cannot be probed (as xenstored does). */
    if ((xs_node_access(n, who) & perm) != perm) {
        *err = EACCES;
        return NULL;
    }
    if (*rest) {
        *err = ENOENT;
        return NULL;
    }
    return n;
}

static void touch(xs_tree_t *t, xs_node_t *n) { n->gen = next_gen(t); }

int xs_tree_write(xs_tree_t *t, const char *abs, const void *value, uint32_t len, uint16_t who, bool *created)
{
    const char *rest;
    xs_node_t *n = walk(t, abs, &rest);
    if ((xs_node_access(n, who) & XS_PERM_WRITE) == 0)
        return EACCES;
    *created = *rest != 0;
    size_t grow = strlen(rest) + (value ? len : 0);
    if (t->bytes + grow > XS_MAX_BYTES)
        return ENOSPC;
    char *nv = NULL;
    if (value) {
        if (!(nv = malloc((size_t)len + 1)))
            return ENOMEM;
        memcpy(nv, value, len);
        nv[len] = 0;
    }
    /* New nodes inherit their parent's permissions; an unprivileged
     * creator becomes the owner (xenstored). */
    while (*rest) {
        size_t clen = strcspn(rest, "/");
        if (t->nodes >= XS_MAX_NODES) {
            free(nv);
            return ENOSPC;
        }
        xs_perm_t perms[XS_MAX_PERMS];
        uint32_t np = n->nperms;
        memcpy(perms, n->perms, np * sizeof(*perms));
        if (who != XS_PRIV_DOMID)
            perms[0].id = who;
        xs_node_t *c = node_new(t, rest, clen, perms, np);
        if (!c) {
            free(nv);
            return ENOMEM;
        }
        c->parent = n;
        xs_node_t **tail = &n->child;
        while (*tail)
            tail = &(*tail)->next;
        *tail = c;
        touch(t, n);
        t->nodes++;
        t->bytes += clen;
        n = c;
        rest += clen;
        while (*rest == '/')
            rest++;
    }
    if (nv) {
        t->bytes = t->bytes - n->vlen + len;
        free(n->value);
        n->value = nv;
        n->vlen = len;
        touch(t, n);
    }
    return 0;
}

int xs_tree_rm(xs_tree_t *t, const char *abs, uint16_t who)
{
    int err = 0;
    xs_node_t *n = xs_tree_get(t, abs, who, XS_PERM_WRITE, &err);
    if (!n)
        return err;
    if (!n->parent)
        return EINVAL;                       /* the root stays */
    xs_node_t **pp = &n->parent->child;
    while (*pp != n)
        pp = &(*pp)->next;
    *pp = n->next;
    n->next = NULL;
    touch(t, n->parent);
    size_t bytes = 0;
    t->nodes -= node_count(n, &bytes);
    t->bytes -= bytes;
    node_free(n);
    return 0;
}

int xs_tree_set_perms(xs_tree_t *t, const char *abs, const xs_perm_t *p, uint32_t np, uint16_t who)
{
    int err = 0;
    xs_node_t *n = xs_tree_get(t, abs, who, XS_PERM_WRITE, &err);
    if (!n)
        return err;
    /* Only the owner may change permissions, and a domU may not give a
     * node away. */
    if (who != XS_PRIV_DOMID && n->perms[0].id != who)
        return EACCES;
    if (who != XS_PRIV_DOMID && p[0].id != who)
        return EPERM;
    if (np == 0 || np > XS_MAX_PERMS)
        return np ? ENOSPC : EINVAL;
    xs_perm_t *copy = malloc(np * sizeof(*p));
    if (!copy)
        return ENOMEM;
    memcpy(copy, p, np * sizeof(*p));
    free(n->perms);
    n->perms = copy;
    n->nperms = np;
    touch(t, n);
    return 0;
}

static bool valid_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '/' ||
           c == '_' || c == '@';
}

int xs_path_canon(const char *path, const char *dompath, bool allow_special, char *out, size_t size)
{
    size_t len = strlen(path);
    if (len == 0)
        return EINVAL;
    if (path[0] == '@') {
        /* Special watch names (@introduceDomain, @releaseDomain). */
        if (!allow_special || len >= size)
            return EINVAL;
        memcpy(out, path, len + 1);
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        if (!valid_char(path[i]))
            return EINVAL;
        if (path[i] == '/' && path[i + 1] == '/')
            return EINVAL;
    }
    if (len > 1 && path[len - 1] == '/')
        return EINVAL;
    if (path[0] == '/') {
        if (len > XENSTORE_ABS_PATH_MAX || len >= size)
            return EINVAL;
        memcpy(out, path, len + 1);
        return 0;
    }
    if (len > XENSTORE_REL_PATH_MAX)
        return EINVAL;
    int n = snprintf(out, size, "%s/%s", dompath, path);
    if (n < 0 || (size_t)n >= size || (size_t)n > XENSTORE_ABS_PATH_MAX)
        return EINVAL;
    return 0;
}

bool xs_path_under(const char *path, const char *base)
{
    size_t bl = strlen(base);
    if (bl == 1 && base[0] == '/')
        return path[0] == '/';
    return strncmp(path, base, bl) == 0 && (path[bl] == 0 || path[bl] == '/');
}

int xs_perm_parse(const char *s, xs_perm_t *p)
{
    switch (s[0]) {
    case 'n': p->perm = 0; break;
    case 'r': p->perm = XS_PERM_READ; break;
    case 'w': p->perm = XS_PERM_WRITE; break;
    case 'b': p->perm = XS_PERM_READ | XS_PERM_WRITE; break;
    default: return EINVAL;
    }
    if (!s[1])
        return EINVAL;
    unsigned long v = 0;
    for (const char *c = s + 1; *c; c++) {
        if (*c < '0' || *c > '9')
            return EINVAL;
        v = v * 10 + (unsigned long)(*c - '0');
        if (v > 0xffff)
            return EINVAL;
    }
    p->id = (uint16_t)v;
    return 0;
}

size_t xs_perm_format(const xs_perm_t *p, char *buf)
{
    static const char letters[4] = { 'n', 'r', 'w', 'b' };
    int n = snprintf(buf, 8, "%c%u", letters[p->perm & 3u], (unsigned)p->id);
    return (size_t)n + 1;
}
