/* The PV console backend: the xencons_interface ring protocol of
 * xen/include/public/io/console.h. The guest produces into `out`
 * (out_prod) and we consume (out_cons); we produce into `in` (in_prod) and
 * the guest consumes (in_cons). Indices run freely and are guest-written,
 * so every difference is checked against the ring size before use. */
#include <string.h>

#include "xenemu/conout.h"
#include "xenemu/xen_console.h"

/* vCPUs run round-robin on this host thread, so plain loads and stores are
 * enough; the barrier only keeps the compiler from moving ring data
 * accesses across the index accesses that guard them. */
#define RING_BARRIER() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#define VLOAD(x) (*(volatile uint32_t *)&(x))
#define VSTORE(x, v) (*(volatile uint32_t *)&(x) = (v))

void xen_console_init(xen_console_t *c, xen_console_out_fn out, void *opaque)
{
    memset(c, 0, sizeof(*c));
    c->out = out;
    c->opaque = opaque;
}

void xen_console_to_conout(void *conout, const void *buf, size_t n) { conout_write(conout, buf, n); }

void xen_console_attach(xen_console_t *c, void *page) { c->ring = page; }

size_t xen_console_input(xen_console_t *c, const void *buf, size_t n)
{
    size_t room = sizeof(c->pending) - c->pending_len;
    if (n > room)
        n = room;
    memcpy(c->pending + c->pending_len, buf, n);
    c->pending_len += n;
    return n;
}

static bool drain_out(xen_console_t *c)
{
    struct xencons_interface *r = c->ring;
    XENCONS_RING_IDX cons = VLOAD(r->out_cons), prod = VLOAD(r->out_prod);
    RING_BARRIER();                     /* read out_prod before the bytes it covers */
    XENCONS_RING_IDX n = prod - cons;
    if (n == 0)
        return false;
    if (n > XENCONS_OUT_SIZE) {
        /* Nonsense indices: drop what they claim rather than read past
         * the ring, and let the guest continue. */
        c->bad_indices++;
        VSTORE(r->out_cons, prod);
        return true;
    }
    while (n) {
        uint32_t off = MASK_XENCONS_OUT(cons);
        uint32_t chunk = XENCONS_OUT_SIZE - off;
        if (chunk > n)
            chunk = n;
        if (c->out)
            c->out(c->opaque, r->out + off, chunk);
        cons += chunk;
        n -= chunk;
    }
    RING_BARRIER();                     /* finish reading before handing the space back */
    VSTORE(r->out_cons, cons);
    return true;
}

static bool fill_in(xen_console_t *c)
{
    if (!c->pending_len)
        return false;
    struct xencons_interface *r = c->ring;
    XENCONS_RING_IDX cons = VLOAD(r->in_cons), prod = VLOAD(r->in_prod);
    RING_BARRIER();
    XENCONS_RING_IDX used = prod - cons;
    if (used > XENCONS_IN_SIZE) {
        c->bad_indices++;               /* keep the input until the guest is sane */
        return false;
    }
    size_t n = XENCONS_IN_SIZE - used;
    if (n > c->pending_len)
        n = c->pending_len;
    if (n == 0)
        return false;
    for (size_t done = 0; done < n;) {
        uint32_t off = MASK_XENCONS_IN(prod);
        size_t chunk = XENCONS_IN_SIZE - off;
        if (chunk > n - done)
            chunk = n - done;
        memcpy(r->in + off, c->pending + done, chunk);
        prod += (uint32_t)chunk;
        done += chunk;
    }
    RING_BARRIER();                     /* bytes before the index that publishes them */
    VSTORE(r->in_prod, prod);
    memmove(c->pending, c->pending + n, c->pending_len - n);
    c->pending_len -= n;
    return true;
}

bool xen_console_process(xen_console_t *c)
{
    if (!c->ring)
        return false;
    bool moved = drain_out(c);
    moved |= fill_in(c);
    return moved;
}
