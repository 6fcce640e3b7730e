/* Watches and the reply queue of the built-in xenstore. A watch fires for
 * changes at or below its path, and for removal of an ancestor; the event
 * is XS_WATCH_EVENT "path\0token\0" with req_id 0, its path in the
 * relative form when the watch was registered relative (xenstore.txt). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xenstore_impl.h"

static int outq_reserve(xs_outq_t *q, size_t n)
{
    if (q->head && q->head + q->len + n > q->cap) {
        memmove(q->buf, q->buf + q->head, q->len);
        q->head = 0;
    }
    if (q->head + q->len + n <= q->cap)
        return 0;
    size_t cap = q->cap ? q->cap : 4096;
    while (cap < q->len + n)
        cap *= 2;
    uint8_t *b = realloc(q->buf, cap);
    if (!b)
        return ENOMEM;
    q->buf = b;
    q->cap = cap;
    return 0;
}

int xs_outq_push(xs_outq_t *q, uint32_t type, uint32_t req_id, uint32_t tx_id, const void *p1, size_t n1,
                 const void *p2, size_t n2)
{
    struct xsd_sockmsg h = { type, req_id, tx_id, (uint32_t)(n1 + n2) };
    if (outq_reserve(q, sizeof(h) + n1 + n2))
        return ENOMEM;
    uint8_t *d = q->buf + q->head + q->len;
    memcpy(d, &h, sizeof(h));
    if (n1)
        memcpy(d + sizeof(h), p1, n1);
    if (n2)
        memcpy(d + sizeof(h) + n1, p2, n2);
    q->len += sizeof(h) + n1 + n2;
    return 0;
}

void xs_outq_consume(xs_outq_t *q, size_t n)
{
    q->head += n;
    q->len -= n;
    if (!q->len)
        q->head = 0;
}

void xs_outq_clear(xs_outq_t *q)
{
    free(q->buf);
    q->buf = NULL;
    q->head = q->len = q->cap = 0;
}

static void watch_free(xs_watch_t *w)
{
    free(w->path);
    free(w->abs);
    free(w->token);
    free(w);
}

static void send_event(xs_watches_t *ws, const xs_watch_t *w, const char *path)
{
    /* A guest that stops reading its ring loses events, not memory. */
    if (ws->out->len > XS_OUTQ_EVENT_LIMIT)
        return;
    size_t pl = strlen(path) + 1, tl = strlen(w->token) + 1;
    if (pl + tl > XENSTORE_PAYLOAD_MAX)
        return;                             /* a guest would reject it; xenstored drops it too */
    xs_outq_push(ws->out, XS_WATCH_EVENT, 0, 0, path, pl, w->token, tl);
}

int xs_watch_check(const xs_watches_t *ws, const char *abs, const char *token)
{
    for (const xs_watch_t *w = ws->head; w; w = w->next)
        if (strcmp(w->abs, abs) == 0 && strcmp(w->token, token) == 0)
            return EEXIST;
    return ws->count >= XS_MAX_WATCHES ? E2BIG : 0;     /* xenstored's watch quota */
}

int xs_watch_add(xs_watches_t *ws, const char *path, const char *abs, const char *token)
{
    int err = xs_watch_check(ws, abs, token);
    if (err)
        return err;
    xs_watch_t *w = calloc(1, sizeof(*w));
    if (!w)
        return ENOMEM;
    w->path = strdup(path);
    w->abs = strdup(abs);
    w->token = strdup(token);
    if (!w->path || !w->abs || !w->token) {
        watch_free(w);
        return ENOMEM;
    }
    w->relative = path[0] != '/' && path[0] != '@';
    xs_watch_t **tail = &ws->head;
    while (*tail)
        tail = &(*tail)->next;
    *tail = w;
    ws->count++;
    /* xenstored fires every new watch once, with the path as registered. */
    send_event(ws, w, w->path);
    return 0;
}

int xs_watch_remove(xs_watches_t *ws, const char *abs, const char *token)
{
    for (xs_watch_t **pp = &ws->head; *pp; pp = &(*pp)->next) {
        xs_watch_t *w = *pp;
        if (strcmp(w->abs, abs) == 0 && strcmp(w->token, token) == 0) {
            *pp = w->next;
            watch_free(w);
            ws->count--;
            return 0;
        }
    }
    return ENOENT;
}

void xs_watch_clear(xs_watches_t *ws)
{
    while (ws->head) {
        xs_watch_t *w = ws->head;
        ws->head = w->next;
        watch_free(w);
    }
    ws->count = 0;
}

/* The event path for a change at abs seen by watch w. */
static const char *event_path(const xs_watches_t *ws, const xs_watch_t *w, const char *abs)
{
    if (w->relative && xs_path_under(abs, ws->dompath)) {
        size_t dl = strlen(ws->dompath);
        if (abs[dl] == '/')
            return abs + dl + 1;
    }
    return abs;
}

void xs_watch_fire(xs_watches_t *ws, const char *abs, bool removed, bool visible)
{
    if (!visible)
        return;
    for (xs_watch_t *w = ws->head; w; w = w->next) {
        if (w->abs[0] == '@')
            continue;                       /* domain events never happen here */
        if (xs_path_under(abs, w->abs))
            send_event(ws, w, event_path(ws, w, abs));
        else if (removed && xs_path_under(w->abs, abs))
            send_event(ws, w, w->path);
    }
}
