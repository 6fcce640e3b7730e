/* xen_xenstore: the xenstore ring (io/xs_wire.h) at HVM_PARAM_STORE_PFN,
 * notified through HVM_PARAM_STORE_EVTCHN: XS_READ, XS_WRITE, XS_DIRECTORY,
 * XS_WATCH with its initial event, transactions and XS_ERROR replies, as
 * xenstored answers domain 1. */
#include "xenlib.h"
#include <xen-abi/io/xs_wire.h>

static volatile struct xenstore_domain_interface *ring;
static evtchn_port_t store_port;
static uint32_t next_req = 1;

static struct xsd_sockmsg rsp;
static char payload[XENSTORE_PAYLOAD_MAX + 1];
static struct { uint32_t len; char data[256]; } events[8];
static int nevents;

static void ring_write(const void *src, uint32_t n)
{
    const char *s = src;
    for (uint32_t i = 0; i < n; i++) {
        while (ring->req_prod - ring->req_cons >= XENSTORE_RING_SIZE)
            sched_op(SCHEDOP_yield, 0);
        ring->req[MASK_XENSTORE_IDX(ring->req_prod)] = s[i];
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        ring->req_prod++;
    }
}

static int ring_read(void *dst, uint32_t n)
{
    char *d = dst;
    for (uint32_t i = 0; i < n; i++) {
        int spins = 0;
        while (ring->rsp_prod == ring->rsp_cons) {
            if (++spins > 10000)
                return -1;
            evtchn_send_port(store_port);
            sched_op(SCHEDOP_yield, 0);
        }
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        d[i] = ring->rsp[MASK_XENSTORE_IDX(ring->rsp_cons)];
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        ring->rsp_cons++;
    }
    return 0;
}

static int read_msg(void)
{
    if (ring_read(&rsp, sizeof(rsp)) || rsp.len > XENSTORE_PAYLOAD_MAX || ring_read(payload, rsp.len))
        return -1;
    payload[rsp.len] = 0;
    return 0;
}

/* Sends a request of n strings (each with its NUL unless the last is raw
 * data of rawlen bytes) and waits for its reply, keeping watch events. */
static uint32_t request(uint32_t type, uint32_t tx, const char *a, const char *b, int b_raw)
{
    uint32_t la = (uint32_t)xstrlen(a) + 1, lb = 0;
    if (b)
        lb = (uint32_t)xstrlen(b) + (b_raw ? 0 : 1);
    struct xsd_sockmsg h = { .type = type, .req_id = next_req++, .tx_id = tx, .len = la + lb };
    ring_write(&h, sizeof(h));
    ring_write(a, la);
    if (b)
        ring_write(b, lb);
    evtchn_send_port(store_port);
    for (;;) {
        if (read_msg()) {
            puts_e9("FAIL no reply from xenstore\n");
            failures++;
            rsp.type = XS_INVALID;
            payload[0] = 0;
            return XS_INVALID;
        }
        if (rsp.type == XS_WATCH_EVENT) {
            if (nevents < 8) {
                events[nevents].len = rsp.len < 256 ? rsp.len : 255;
                for (uint32_t i = 0; i < events[nevents].len; i++)
                    events[nevents].data[i] = payload[i];
                nevents++;
            }
            continue;
        }
        check_rc("reply echoes req_id", rsp.req_id, h.req_id);
        return rsp.type;
    }
}

static int event_is(int i, const char *path, const char *token)
{
    if (i >= nevents)
        return 0;
    const char *p = events[i].data;
    uint32_t lp = (uint32_t)xstrlen(p);
    return xstrcmp(p, path) == 0 && lp + 1 < events[i].len && xstrcmp(p + lp + 1, token) == 0;
}

/* The directory listing (NUL-separated names) contains name. */
static int listing_has(const char *name)
{
    uint32_t i = 0;
    while (i < rsp.len) {
        if (xstrcmp(payload + i, name) == 0)
            return 1;
        i += (uint32_t)xstrlen(payload + i) + 1;
    }
    return 0;
}

static void check_reply(const char *what, uint32_t type, const char *want)
{
    check_rc(what, rsp.type, type);
    check_str(what, payload, want);
}

int guest_main(const void *start_info)
{
    (void)start_info;
    xen_init();
    uint64_t pfn = 0, port = 0;
    check_rc("get HVM_PARAM_STORE_PFN", hvm_get_param(HVM_PARAM_STORE_PFN, &pfn), 0);
    check_rc("get HVM_PARAM_STORE_EVTCHN", hvm_get_param(HVM_PARAM_STORE_EVTCHN, &port), 0);
    ring = map_phys(pfn << 12);
    store_port = (evtchn_port_t)port;
    check_rc("ring connected", ring->connection, XENSTORE_CONNECTED);

    request(XS_READ, 0, "domid", 0, 0);
    check_reply("XS_READ domid", XS_READ, "1");
    request(XS_READ, 0, "name", 0, 0);
    check_rc("XS_READ name", rsp.type, XS_READ);
    check("name is not empty", rsp.len > 0 && payload[0]);
    request(XS_READ, 0, "/local/domain/1/domid", 0, 0);
    check_reply("XS_READ absolute domid", XS_READ, "1");
    request(XS_GET_DOMAIN_PATH, 0, "1", 0, 0);
    check_reply("XS_GET_DOMAIN_PATH 1", XS_GET_DOMAIN_PATH, "/local/domain/1");

    request(XS_WRITE, 0, "data/test", "hello", 1);
    check_reply("XS_WRITE data/test", XS_WRITE, "OK");
    request(XS_READ, 0, "data/test", 0, 0);
    check_reply("XS_READ data/test back", XS_READ, "hello");
    check_rc("value has no NUL", rsp.len, 5);
    request(XS_DIRECTORY, 0, "data", 0, 0);
    check_rc("XS_DIRECTORY data", rsp.type, XS_DIRECTORY);
    check("directory lists test", listing_has("test"));
    request(XS_DIRECTORY, 0, "", 0, 0);
    check_reply("XS_DIRECTORY of \"\" (\"/local/domain/1/\"): XS_ERROR EINVAL", XS_ERROR, "EINVAL");
    request(XS_DIRECTORY, 0, "/local/domain/1", 0, 0);
    check_rc("XS_DIRECTORY of the home path", rsp.type, XS_DIRECTORY);
    check("home lists domid, name and data", listing_has("domid") && listing_has("name") && listing_has("data"));

    request(XS_READ, 0, "data/nonexistent", 0, 0);
    check_reply("XS_READ missing node: XS_ERROR ENOENT", XS_ERROR, "ENOENT");
    request(XS_WRITE, 0, "name", "evil", 1);
    check_reply("XS_WRITE to a dom0-owned node: XS_ERROR EACCES", XS_ERROR, "EACCES");
    request(XS_READ, 0, "/local/domain/0/name", 0, 0);
    check_reply("XS_READ of dom0's node: XS_ERROR EACCES", XS_ERROR, "EACCES");
    request(XS_INTRODUCE, 0, "5", 0, 0);
    check_reply("XS_INTRODUCE from a domU: XS_ERROR EACCES", XS_ERROR, "EACCES");

    /* Watches: the reply, then the initial event, then one per change. */
    nevents = 0;
    request(XS_WATCH, 0, "data/w", "tok", 0);
    check_reply("XS_WATCH data/w", XS_WATCH, "OK");
    request(XS_READ, 0, "domid", 0, 0);     /* let the event arrive */
    check("initial watch event (data/w, tok)", event_is(0, "data/w", "tok"));
    request(XS_WRITE, 0, "data/w", "1", 1);
    check_reply("XS_WRITE data/w", XS_WRITE, "OK");
    request(XS_READ, 0, "domid", 0, 0);
    check("watch event after the write", event_is(1, "data/w", "tok"));
    request(XS_WRITE, 0, "data/w/child", "2", 1);
    request(XS_READ, 0, "domid", 0, 0);
    check("watch event for a child node", event_is(2, "data/w/child", "tok"));
    request(XS_WATCH, 0, "data/w", "tok", 0);
    check_reply("XS_WATCH twice: XS_ERROR EEXIST", XS_ERROR, "EEXIST");
    request(XS_UNWATCH, 0, "data/w", "tok", 0);
    check_reply("XS_UNWATCH", XS_UNWATCH, "OK");
    int n = nevents;
    request(XS_WRITE, 0, "data/w", "3", 1);
    request(XS_READ, 0, "domid", 0, 0);
    check_rc("no event after unwatch", nevents, n);
    request(XS_UNWATCH, 0, "data/w", "tok", 0);
    check_reply("XS_UNWATCH of a missing watch: XS_ERROR ENOENT", XS_ERROR, "ENOENT");

    /* Transactions. */
    request(XS_TRANSACTION_START, 0, "", 0, 0);
    check_rc("XS_TRANSACTION_START", rsp.type, XS_TRANSACTION_START);
    uint32_t tx = 0;
    for (const char *p = payload; *p >= '0' && *p <= '9'; p++)
        tx = tx * 10 + (uint32_t)(*p - '0');
    check("transaction id is non-zero", tx != 0);
    request(XS_WRITE, tx, "data/tx", "inside", 1);
    check_reply("XS_WRITE inside the transaction", XS_WRITE, "OK");
    request(XS_READ, tx, "data/tx", 0, 0);
    check_reply("read inside the transaction sees it", XS_READ, "inside");
    request(XS_READ, 0, "data/tx", 0, 0);
    check_reply("read outside does not (ENOENT)", XS_ERROR, "ENOENT");
    request(XS_TRANSACTION_END, tx, "T", 0, 0);
    check_reply("XS_TRANSACTION_END commit", XS_TRANSACTION_END, "OK");
    request(XS_READ, 0, "data/tx", 0, 0);
    check_reply("committed value visible", XS_READ, "inside");

    request(XS_TRANSACTION_START, 0, "", 0, 0);
    tx = 0;
    for (const char *p = payload; *p >= '0' && *p <= '9'; p++)
        tx = tx * 10 + (uint32_t)(*p - '0');
    request(XS_WRITE, tx, "data/tx", "aborted", 1);
    request(XS_TRANSACTION_END, tx, "F", 0, 0);
    check_reply("XS_TRANSACTION_END abort", XS_TRANSACTION_END, "OK");
    request(XS_READ, 0, "data/tx", 0, 0);
    check_reply("aborted write not visible", XS_READ, "inside");
    request(XS_TRANSACTION_END, tx, "T", 0, 0);
    check_reply("ending a finished transaction: XS_ERROR ENOENT", XS_ERROR, "ENOENT");
    request(XS_READ, 0x7777, "domid", 0, 0);
    check_reply("request in an unknown transaction: XS_ERROR ENOENT", XS_ERROR, "ENOENT");

    request(XS_RM, 0, "data/test", 0, 0);
    check_reply("XS_RM data/test", XS_RM, "OK");
    request(XS_READ, 0, "data/test", 0, 0);
    check_reply("removed node: XS_ERROR ENOENT", XS_ERROR, "ENOENT");
    xen_finish("xen_xenstore");
}
