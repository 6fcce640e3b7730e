/* The built-in xenstore driven as Linux's xenbus drives it: requests
 * written into a fake ring page, req_prod bumped, xenstore_process called,
 * replies and watch events parsed from rsp. Covers every message type, the
 * errors, watches, transactions and hostile ring contents. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen-abi/io/xs_wire.h"
#include "xenemu/xenstore.h"

#define DOMID 5

static _Alignas(4096) uint8_t page[4096];
static struct xenstore_domain_interface *const R = (struct xenstore_domain_interface *)page;
static xenstore_t *xs;
static uint32_t next_req = 1;

/* Bytes taken from rsp, not yet parsed into messages. */
static uint8_t rbuf[1 << 20];
static size_t rlen;

typedef struct msg {
    struct xsd_sockmsg h;
    char body[XENSTORE_PAYLOAD_MAX + 1];
} msg_t;

static msg_t events[1024];
static unsigned nevents;

static void setup(void)
{
    memset(page, 0, sizeof(page));
    rlen = 0;
    nevents = 0;
    xenstore_config_t cfg = { .domid = DOMID, .name = "guest", .mem_kib = 524288, .nr_vcpus = 2,
                              .console_gfn = 0xfeffc, .console_port = 3, .store_gfn = 0xfeffd, .store_port = 2 };
    xs = xenstore_new(&cfg);
    ck_assert_ptr_nonnull(xs);
    xenstore_attach(xs, page);
}

static void teardown(void) { xenstore_free(xs); }

/* The guest's side of rsp: take everything available. */
static void guest_take_rsp(void)
{
    uint32_t cons = R->rsp_cons, prod = R->rsp_prod;
    ck_assert_uint_le(prod - cons, XENSTORE_RING_SIZE);
    while (cons != prod) {
        ck_assert_uint_lt(rlen, sizeof(rbuf));
        rbuf[rlen++] = (uint8_t)R->rsp[MASK_XENSTORE_IDX(cons)];
        cons++;
    }
    R->rsp_cons = cons;
}

/* Guest writes n bytes into req, as much as fits per round, processing
 * in between. Returns whether the store asked for a notification. */
static bool guest_send_bytes(const void *data, size_t n)
{
    const uint8_t *d = data;
    bool notified = false;
    while (n) {
        uint32_t space = XENSTORE_RING_SIZE - (R->req_prod - R->req_cons);
        while (space && n) {
            R->req[MASK_XENSTORE_IDX(R->req_prod)] = (char)*d++;
            R->req_prod++;
            space--;
            n--;
        }
        notified |= xenstore_process(xs);
        guest_take_rsp();
    }
    return notified;
}

static uint32_t send_msg(uint32_t type, uint32_t tx, const void *payload, size_t len)
{
    struct xsd_sockmsg h = { type, next_req++, tx, (uint32_t)len };
    uint8_t *buf = malloc(sizeof(h) + len + 1);
    memcpy(buf, &h, sizeof(h));
    memcpy(buf + sizeof(h), payload, len);
    ck_assert(guest_send_bytes(buf, sizeof(h) + len));
    free(buf);
    /* Let the store push what did not fit in rsp. */
    for (int i = 0; i < 16 && xenstore_process(xs); i++)
        guest_take_rsp();
    return h.req_id;
}

/* Pop the next complete message from rbuf. */
static bool pop(msg_t *m)
{
    if (rlen < sizeof(m->h))
        return false;
    memcpy(&m->h, rbuf, sizeof(m->h));
    ck_assert_uint_le(m->h.len, XENSTORE_PAYLOAD_MAX);
    if (rlen < sizeof(m->h) + m->h.len)
        return false;
    memcpy(m->body, rbuf + sizeof(m->h), m->h.len);
    m->body[m->h.len] = 0;
    rlen -= sizeof(m->h) + m->h.len;
    memmove(rbuf, rbuf + sizeof(m->h) + m->h.len, rlen);
    return true;
}

/* Collect events; return the reply to req_id. */
static msg_t reply_for(uint32_t req_id)
{
    msg_t m;
    while (pop(&m)) {
        if (m.h.type == XS_WATCH_EVENT) {
            ck_assert_uint_eq(m.h.req_id, 0);
            ck_assert_uint_lt(nevents, 1024);
            events[nevents++] = m;
            continue;
        }
        ck_assert_uint_eq(m.h.req_id, req_id);
        return m;
    }
    ck_abort_msg("no reply to request %u", req_id);
    return m;
}

static void collect_events(void)
{
    for (int i = 0; i < 4; i++) {
        xenstore_process(xs);
        guest_take_rsp();
    }
    msg_t m;
    while (pop(&m)) {
        ck_assert_uint_eq(m.h.type, XS_WATCH_EVENT);
        ck_assert_uint_lt(nevents, 1024);
        events[nevents++] = m;
    }
}

static msg_t req(uint32_t type, uint32_t tx, const void *p, size_t n)
{
    return reply_for(send_msg(type, tx, p, n));
}

/* Requests whose payload is NUL-separated strings, given as one C string
 * with '|' for NUL (a trailing '|' included). */
static msg_t reqs(uint32_t type, uint32_t tx, const char *args)
{
    char buf[8192];
    size_t n = strlen(args);
    ck_assert_uint_lt(n, sizeof(buf));
    for (size_t i = 0; i < n; i++)
        buf[i] = args[i] == '|' ? 0 : args[i];
    return req(type, tx, buf, n);
}

static void expect_ok(msg_t m, uint32_t type)
{
    ck_assert_msg(m.h.type == type, "type %u body %s", m.h.type, m.body);
    ck_assert_uint_eq(m.h.len, 3);
    ck_assert_str_eq(m.body, "OK");
}

static void expect_err(msg_t m, const char *name)
{
    ck_assert_msg(m.h.type == XS_ERROR, "expected %s, got type %u", name, m.h.type);
    ck_assert_uint_eq(m.h.len, strlen(name) + 1);
    ck_assert_str_eq(m.body, name);
}

static void expect_value(msg_t m, const char *v)
{
    ck_assert_msg(m.h.type == XS_READ, "type %u body %s", m.h.type, m.body);
    ck_assert_uint_eq(m.h.len, strlen(v));
    ck_assert_str_eq(m.body, v);
}

static bool has_event(const char *path, const char *token)
{
    for (unsigned i = 0; i < nevents; i++) {
        const char *p = events[i].body;
        size_t pl = strlen(p);
        if (strcmp(p, path) == 0 && pl + 1 < events[i].h.len && strcmp(p + pl + 1, token) == 0 &&
            events[i].h.len == pl + strlen(token) + 2)
            return true;
    }
    return false;
}

/* The names of a DIRECTORY reply, joined with ','. */
static void dir_names(const msg_t *m, char *out, size_t size)
{
    size_t o = 0;
    out[0] = 0;
    for (size_t i = 0; i < m->h.len; i++) {
        ck_assert_uint_lt(o + 1, size);
        out[o++] = m->body[i] ? m->body[i] : ',';
    }
    out[o] = 0;
}

START_TEST(preloaded_tree)
{
    expect_value(reqs(XS_READ, 0, "name|"), "guest");
    expect_value(reqs(XS_READ, 0, "domid|"), "5");
    expect_value(reqs(XS_READ, 0, "/local/domain/5/memory/target|"), "524288");
    expect_value(reqs(XS_READ, 0, "memory/static-max|"), "524288");
    expect_value(reqs(XS_READ, 0, "console/port|"), "3");
    expect_value(reqs(XS_READ, 0, "console/ring-ref|"), "1044476");
    expect_value(reqs(XS_READ, 0, "console/limit|"), "1048576");
    expect_value(reqs(XS_READ, 0, "console/type|"), "xenconsoled");
    expect_value(reqs(XS_READ, 0, "console/output|"), "pty");
    expect_value(reqs(XS_READ, 0, "store/port|"), "2");
    expect_value(reqs(XS_READ, 0, "cpu/1/availability|"), "online");
    expect_value(reqs(XS_READ, 0, "control/platform-feature-xs_reset_watches|"), "1");
    expect_value(reqs(XS_READ, 0, "control/shutdown|"), "");
    msg_t vm = reqs(XS_READ, 0, "vm|");
    ck_assert_uint_eq(vm.h.type, XS_READ);
    char path[XENSTORE_PAYLOAD_MAX + 16];
    snprintf(path, sizeof(path), "%s/name|", vm.body);
    expect_value(reqs(XS_READ, 0, path), "guest");
    msg_t d = reqs(XS_DIRECTORY, 0, "device|");
    ck_assert_uint_eq(d.h.type, XS_DIRECTORY);
    ck_assert_uint_eq(d.h.len, 0);
    /* Linux writes these itself: they must be writable. */
    expect_ok(reqs(XS_WRITE, 0, "control/feature-poweroff|1"), XS_WRITE);
    expect_ok(reqs(XS_WRITE, 0, "control/feature-reboot|1"), XS_WRITE);
    expect_ok(reqs(XS_WRITE, 0, "control/feature-suspend|1"), XS_WRITE);
    msg_t g = reqs(XS_GET_DOMAIN_PATH, 0, "5|");
    ck_assert_uint_eq(g.h.type, XS_GET_DOMAIN_PATH);
    ck_assert_str_eq(g.body, "/local/domain/5");
    ck_assert_uint_eq(g.h.len, strlen("/local/domain/5") + 1);
    expect_err(reqs(XS_GET_DOMAIN_PATH, 0, "x5|"), "EINVAL");
    char v[64];
    ck_assert_int_eq(xenstore_host_read(xs, "domid", v, sizeof(v)), 1);
    ck_assert_str_eq(v, "5");
    ck_assert_int_eq(xenstore_host_read(xs, "nope", v, sizeof(v)), -ENOENT);
}
END_TEST

START_TEST(read_write_mkdir_rm)
{
    /* Replies echo req_id and tx_id. */
    uint32_t id = send_msg(XS_WRITE, 0, "data/a/b\0hello", 14);
    msg_t w = reply_for(id);
    expect_ok(w, XS_WRITE);
    expect_value(reqs(XS_READ, 0, "data/a/b|"), "hello");
    expect_value(reqs(XS_READ, 0, "data/a|"), "");
    /* Values are raw bytes: embedded NULs survive. */
    expect_ok(req(XS_WRITE, 0, "data/bin\0x\0y", 12), XS_WRITE);
    msg_t b = reqs(XS_READ, 0, "data/bin|");
    ck_assert_uint_eq(b.h.len, 3);
    ck_assert_mem_eq(b.body, "x\0y", 3);
    expect_err(reqs(XS_READ, 0, "data/missing|"), "ENOENT");
    expect_ok(reqs(XS_MKDIR, 0, "data/dir|"), XS_MKDIR);
    expect_ok(reqs(XS_MKDIR, 0, "data/dir|"), XS_MKDIR);          /* exists: fine */
    expect_ok(reqs(XS_WRITE, 0, "data/dir/c|1"), XS_WRITE);
    char names[256];
    msg_t d = reqs(XS_DIRECTORY, 0, "data|");
    dir_names(&d, names, sizeof(names));
    ck_assert_str_eq(names, "a,bin,dir,");
    expect_ok(reqs(XS_RM, 0, "data/dir|"), XS_RM);
    expect_err(reqs(XS_READ, 0, "data/dir/c|"), "ENOENT");
    expect_ok(reqs(XS_RM, 0, "data/dir|"), XS_RM);                 /* parent exists */
    expect_err(reqs(XS_RM, 0, "data/nodir/x|"), "ENOENT");
    expect_err(reqs(XS_RM, 0, "/|"), "EACCES");
    expect_err(reqs(XS_DIRECTORY, 0, "data/nothere|"), "ENOENT");
}
END_TEST

START_TEST(permissions)
{
    expect_err(reqs(XS_READ, 0, "/local/domain/0/name|"), "EACCES");
    expect_err(reqs(XS_READ, 0, "/local/domain/0/nothere|"), "EACCES");
    expect_err(reqs(XS_WRITE, 0, "/foo|x"), "EACCES");
    expect_err(reqs(XS_WRITE, 0, "name|evil"), "EACCES");
    expect_err(reqs(XS_WRITE, 0, "control/newkey|x"), "EACCES");
    expect_err(reqs(XS_RM, 0, "console|"), "EACCES");
    expect_err(reqs(XS_MKDIR, 0, "/local/domain/6|"), "EACCES");
    expect_err(reqs(XS_DIRECTORY, 0, "/local/domain/0|"), "EACCES");
    /* The domain owns what it creates under its writable directories. */
    expect_ok(reqs(XS_WRITE, 0, "data/mine|1"), XS_WRITE);
    msg_t p = reqs(XS_GET_PERMS, 0, "data/mine|");
    ck_assert_uint_eq(p.h.type, XS_GET_PERMS);
    ck_assert_uint_eq(p.h.len, 3);
    ck_assert_str_eq(p.body, "n5");
    msg_t q = reqs(XS_GET_PERMS, 0, "name|");
    ck_assert_uint_eq(q.h.len, 6);
    ck_assert_mem_eq(q.body, "n0\0r5\0", 6);
    expect_ok(reqs(XS_SET_PERMS, 0, "data/mine|n5|r7|"), XS_SET_PERMS);
    q = reqs(XS_GET_PERMS, 0, "data/mine|");
    ck_assert_uint_eq(q.h.len, 6);
    ck_assert_mem_eq(q.body, "n5\0r7\0", 6);
    expect_err(reqs(XS_SET_PERMS, 0, "data/mine|n0|"), "EPERM");    /* no giving away */
    expect_err(reqs(XS_SET_PERMS, 0, "name|n5|"), "EACCES");
    expect_err(reqs(XS_SET_PERMS, 0, "data/mine|q5|"), "EINVAL");
    expect_err(reqs(XS_SET_PERMS, 0, "data/mine|r|"), "EINVAL");
    expect_err(reqs(XS_SET_PERMS, 0, "data/mine|r99999|"), "EINVAL");
    expect_err(reqs(XS_SET_PERMS, 0, "data/mine|"), "EINVAL");
    expect_err(reqs(XS_GET_PERMS, 0, "data/none|"), "ENOENT");
    /* Read-only to the guest after dropping its own rights? Still owner. */
    expect_ok(reqs(XS_SET_PERMS, 0, "data/mine|r5|"), XS_SET_PERMS);
    expect_ok(reqs(XS_WRITE, 0, "data/mine|2"), XS_WRITE);
}
END_TEST

START_TEST(privileged_and_unknown)
{
    expect_err(reqs(XS_CONTROL, 0, "print|x|"), "EACCES");
    expect_err(reqs(XS_INTRODUCE, 0, "6|1234|7|"), "EACCES");
    expect_err(reqs(XS_RELEASE, 0, "6|"), "EACCES");
    expect_err(reqs(XS_IS_DOMAIN_INTRODUCED, 0, "5|"), "EACCES");
    expect_err(reqs(XS_RESUME, 0, "5|"), "EACCES");
    expect_err(reqs(XS_SET_TARGET, 0, "5|0|"), "EACCES");
    expect_err(reqs(XS_WATCH_EVENT, 0, "a|b|"), "ENOSYS");
    expect_err(reqs(XS_ERROR, 0, "EINVAL|"), "ENOSYS");
    expect_err(reqs(20, 0, "|"), "ENOSYS");
    expect_err(reqs(XS_TYPE_COUNT, 0, "|"), "ENOSYS");
    expect_err(reqs(0xdeadbeef, 0, ""), "ENOSYS");
}
END_TEST

START_TEST(malformed_arguments)
{
    expect_err(req(XS_READ, 0, "name", 4), "EINVAL");             /* no NUL */
    expect_err(req(XS_READ, 0, "", 0), "EINVAL");
    expect_err(req(XS_READ, 0, "name\0x\0", 7), "EINVAL");        /* two strings */
    expect_err(reqs(XS_READ, 0, "|"), "EINVAL");                  /* empty path */
    expect_err(reqs(XS_READ, 0, "data/a b|"), "EINVAL");
    expect_err(reqs(XS_READ, 0, "data//a|"), "EINVAL");
    expect_err(reqs(XS_READ, 0, "data/|"), "EINVAL");
    expect_err(reqs(XS_READ, 0, "@releaseDomain|"), "EINVAL");
    expect_err(req(XS_WRITE, 0, "data/x", 6), "EINVAL");
    expect_err(reqs(XS_WATCH, 0, "data|"), "EINVAL");             /* no token */
    expect_err(reqs(XS_DIRECTORY_PART, 0, "data|"), "EINVAL");
    expect_err(reqs(XS_DIRECTORY_PART, 0, "data|x|"), "EINVAL");
    expect_err(reqs(XS_DIRECTORY_PART, 0, "data|99999|"), "EINVAL");
    char longp[XENSTORE_PAYLOAD_MAX];
    memset(longp, 'a', sizeof(longp));
    memcpy(longp, "data/", 5);
    longp[XENSTORE_REL_PATH_MAX + 1] = 0;
    expect_err(req(XS_READ, 0, longp, XENSTORE_REL_PATH_MAX + 2), "EINVAL");
    longp[0] = '/';
    longp[XENSTORE_REL_PATH_MAX + 1] = 'a';
    longp[XENSTORE_ABS_PATH_MAX + 1] = 0;
    expect_err(req(XS_READ, 0, longp, XENSTORE_ABS_PATH_MAX + 2), "EINVAL");
    /* The store still answers afterwards. */
    expect_value(reqs(XS_READ, 0, "domid|"), "5");
}
END_TEST

START_TEST(watches)
{
    msg_t m;
    /* Reply first, then the initial event with the path as registered. */
    uint32_t id = send_msg(XS_WATCH, 0, "control/shutdown\0tok1\0", 22);
    ck_assert(pop(&m));
    expect_ok(m, XS_WATCH);
    ck_assert_uint_eq(m.h.req_id, id);
    ck_assert(pop(&m));
    ck_assert_uint_eq(m.h.type, XS_WATCH_EVENT);
    ck_assert_uint_eq(m.h.len, 22);
    ck_assert_mem_eq(m.body, "control/shutdown\0tok1\0", 22);
    ck_assert_uint_eq(xenstore_watch_count(xs), 1);

    /* The host asks for a poweroff. */
    ck_assert_int_eq(xenstore_host_write(xs, "control/shutdown", "poweroff"), 0);
    ck_assert(xenstore_process(xs));
    guest_take_rsp();
    collect_events();
    ck_assert(has_event("control/shutdown", "tok1"));
    expect_value(reqs(XS_READ, 0, "control/shutdown|"), "poweroff");

    nevents = 0;
    expect_ok(reqs(XS_WATCH, 0, "device|ffff8880deadbeef|"), XS_WATCH);
    expect_ok(reqs(XS_WATCH, 0, "/local/domain/5/device/vbd/768/state|abs|"), XS_WATCH);
    collect_events();
    ck_assert(has_event("device", "ffff8880deadbeef"));
    ck_assert(has_event("/local/domain/5/device/vbd/768/state", "abs"));
    expect_err(reqs(XS_WATCH, 0, "device|ffff8880deadbeef|"), "EEXIST");
    nevents = 0;
    expect_ok(reqs(XS_WRITE, 0, "device/vbd/768/state|1"), XS_WRITE);
    collect_events();
    ck_assert(has_event("device/vbd/768/state", "ffff8880deadbeef"));     /* relative form kept */
    ck_assert(has_event("/local/domain/5/device/vbd/768/state", "abs"));
    ck_assert_uint_eq(nevents, 2);
    /* Writes elsewhere fire nothing. */
    nevents = 0;
    expect_ok(reqs(XS_WRITE, 0, "data/x|1"), XS_WRITE);
    collect_events();
    ck_assert_uint_eq(nevents, 0);
    /* Removing an ancestor fires watches below it with their own path. */
    expect_ok(reqs(XS_RM, 0, "device/vbd|"), XS_RM);
    collect_events();
    ck_assert(has_event("device/vbd", "ffff8880deadbeef"));
    ck_assert(has_event("/local/domain/5/device/vbd/768/state", "abs"));
    /* Special watches are accepted and fire once. */
    nevents = 0;
    expect_ok(reqs(XS_WATCH, 0, "@releaseDomain|rel|"), XS_WATCH);
    collect_events();
    ck_assert(has_event("@releaseDomain", "rel"));
    /* UNWATCH. */
    expect_err(reqs(XS_WATCH, 0, "/local/domain/5/device|ffff8880deadbeef|"), "EEXIST");
    expect_ok(reqs(XS_UNWATCH, 0, "/local/domain/5/device|ffff8880deadbeef|"), XS_UNWATCH);
    expect_ok(reqs(XS_WATCH, 0, "device|ffff8880deadbeef|"), XS_WATCH);
    collect_events();
    expect_err(reqs(XS_UNWATCH, 0, "device|other|"), "ENOENT");
    expect_err(reqs(XS_UNWATCH, 0, "device|"), "EINVAL");
    expect_ok(reqs(XS_UNWATCH, 0, "device|ffff8880deadbeef|"), XS_UNWATCH);
    expect_err(reqs(XS_UNWATCH, 0, "device|ffff8880deadbeef|"), "ENOENT");
    nevents = 0;
    expect_ok(reqs(XS_WRITE, 0, "device/vif/0/state|1"), XS_WRITE);
    collect_events();
    ck_assert_uint_eq(nevents, 0);
    /* A watch on the root sees everything, a host rm included. */
    expect_ok(reqs(XS_WATCH, 0, "/|root|"), XS_WATCH);
    nevents = 0;
    ck_assert_int_eq(xenstore_host_rm(xs, "device/vif"), 0);
    collect_events();
    ck_assert(has_event("/local/domain/5/device/vif", "root"));
    /* Nodes the guest cannot read fire nothing for it. */
    nevents = 0;
    ck_assert_int_eq(xenstore_host_write(xs, "/local/domain/0/secret", "x"), 0);
    ck_assert_int_eq(xenstore_host_rm(xs, "/local/domain/0/secret"), 0);
    collect_events();
    ck_assert_uint_eq(nevents, 0);
    ck_assert_int_eq(xenstore_host_write(xs, "/local/domain/5/data/seen", "x"), 0);
    collect_events();
    ck_assert(has_event("/local/domain/5/data/seen", "root"));
    /* RESET_WATCHES drops them all. */
    expect_ok(reqs(XS_RESET_WATCHES, 0, "|"), XS_RESET_WATCHES);
    ck_assert_uint_eq(xenstore_watch_count(xs), 0);
    nevents = 0;
    ck_assert_int_eq(xenstore_host_write(xs, "control/shutdown", "reboot"), 0);
    collect_events();
    ck_assert_uint_eq(nevents, 0);
}
END_TEST

START_TEST(watch_quota)
{
    char buf[64];
    for (int i = 0; i < 128; i++) {
        snprintf(buf, sizeof(buf), "data|t%d|", i);
        expect_ok(reqs(XS_WATCH, 0, buf), XS_WATCH);
        collect_events();
        nevents = 0;
    }
    expect_err(reqs(XS_WATCH, 0, "data|one-more|"), "E2BIG");
    /* An event that would not fit in a payload is not sent. */
    expect_ok(reqs(XS_RESET_WATCHES, 0, "|"), XS_RESET_WATCHES);
    static char big[XENSTORE_PAYLOAD_MAX];
    memcpy(big, "data\0", 5);
    memset(big + 5, 'T', 4000);
    big[5 + 4000] = 0;
    expect_ok(req(XS_WATCH, 0, big, 5 + 4001), XS_WATCH);
    collect_events();
    ck_assert_uint_eq(nevents, 1);                  /* "data" + token fits */
    nevents = 0;
    char deep[200];
    snprintf(deep, sizeof(deep), "data/%0150d|x", 0);
    expect_ok(reqs(XS_WRITE, 0, deep), XS_WRITE);
    collect_events();
    ck_assert_uint_eq(nevents, 0);
    expect_ok(reqs(XS_WRITE, 0, "data/s|x"), XS_WRITE);
    collect_events();
    ck_assert_uint_eq(nevents, 1);
}
END_TEST

static uint32_t start_tx(void)
{
    msg_t m = reqs(XS_TRANSACTION_START, 0, "|");
    ck_assert_uint_eq(m.h.type, XS_TRANSACTION_START);
    ck_assert_uint_eq(m.h.len, strlen(m.body) + 1);
    uint32_t id = (uint32_t)strtoul(m.body, NULL, 10);
    ck_assert_uint_ne(id, 0);
    return id;
}

START_TEST(transactions)
{
    expect_ok(reqs(XS_WATCH, 0, "data|w|"), XS_WATCH);
    collect_events();
    nevents = 0;
    /* Changes stay private until commit; watches fire at commit. */
    uint32_t t = start_tx();
    msg_t r = reqs(XS_WRITE, t, "data/tx|1");
    expect_ok(r, XS_WRITE);
    ck_assert_uint_eq(r.h.tx_id, t);
    expect_value(reqs(XS_READ, t, "data/tx|"), "1");
    expect_err(reqs(XS_READ, 0, "data/tx|"), "ENOENT");
    collect_events();
    ck_assert_uint_eq(nevents, 0);
    expect_err(reqs(XS_TRANSACTION_START, t, "|"), "EBUSY");
    expect_ok(reqs(XS_TRANSACTION_END, t, "T|"), XS_TRANSACTION_END);
    expect_value(reqs(XS_READ, 0, "data/tx|"), "1");
    collect_events();
    ck_assert(has_event("data/tx", "w"));
    expect_err(reqs(XS_TRANSACTION_END, t, "T|"), "ENOENT");     /* gone */
    expect_err(reqs(XS_READ, 12345, "data/tx|"), "ENOENT");
    expect_err(reqs(XS_TRANSACTION_END, 0, "T|"), "ENOENT");

    /* Abort. */
    t = start_tx();
    expect_ok(reqs(XS_RM, t, "data/tx|"), XS_RM);
    expect_err(reqs(XS_TRANSACTION_END, t, "X|"), "EINVAL");
    expect_ok(reqs(XS_TRANSACTION_END, t, "F|"), XS_TRANSACTION_END);
    expect_value(reqs(XS_READ, 0, "data/tx|"), "1");

    /* Conflict: a node the transaction read changed meanwhile. */
    t = start_tx();
    expect_value(reqs(XS_READ, t, "control/shutdown|"), "");
    ck_assert_int_eq(xenstore_host_write(xs, "control/shutdown", "poweroff"), 0);
    expect_ok(reqs(XS_WRITE, t, "control/shutdown|"), XS_WRITE);
    expect_err(reqs(XS_TRANSACTION_END, t, "T|"), "EAGAIN");
    expect_value(reqs(XS_READ, 0, "control/shutdown|"), "poweroff");
    /* The retry (what Linux's shutdown handler does) succeeds. */
    t = start_tx();
    expect_value(reqs(XS_READ, t, "control/shutdown|"), "poweroff");
    expect_ok(reqs(XS_WRITE, t, "control/shutdown|"), XS_WRITE);
    expect_ok(reqs(XS_TRANSACTION_END, t, "T|"), XS_TRANSACTION_END);
    expect_value(reqs(XS_READ, 0, "control/shutdown|"), "");

    /* Unrelated changes do not conflict; creation under a new parent
     * conflicts with a concurrent creation of that parent. */
    uint32_t t1 = start_tx(), t2 = start_tx();
    ck_assert_uint_ne(t1, t2);
    expect_ok(reqs(XS_WRITE, t1, "data/p/q|1"), XS_WRITE);
    expect_ok(reqs(XS_WRITE, 0, "attr/z|1"), XS_WRITE);
    expect_ok(reqs(XS_WRITE, t2, "data/p/r|1"), XS_WRITE);
    expect_ok(reqs(XS_TRANSACTION_END, t1, "T|"), XS_TRANSACTION_END);
    expect_err(reqs(XS_TRANSACTION_END, t2, "T|"), "EAGAIN");
    expect_value(reqs(XS_READ, 0, "data/p/q|"), "1");
    expect_err(reqs(XS_READ, 0, "data/p/r|"), "ENOENT");

    /* Quota. */
    uint32_t ids[10];
    for (int i = 0; i < 10; i++)
        ids[i] = start_tx();
    expect_err(reqs(XS_TRANSACTION_START, 0, "|"), "ENOSPC");
    for (int i = 0; i < 10; i++)
        expect_ok(reqs(XS_TRANSACTION_END, ids[i], "F|"), XS_TRANSACTION_END);
    /* Watches ignore tx_id (xenstored's NOTID). */
    expect_ok(reqs(XS_WATCH, 777, "attr|a|"), XS_WATCH);
}
END_TEST

START_TEST(big_messages_and_directory_part)
{
    /* A 4000-byte value crosses the 1 KiB ring in pieces both ways. */
    char buf[XENSTORE_PAYLOAD_MAX + 64];
    memcpy(buf, "data/big", 9);
    for (int i = 0; i < 4000; i++)
        buf[9 + i] = (char)('a' + i % 26);
    expect_ok(req(XS_WRITE, 0, buf, 9 + 4000), XS_WRITE);
    msg_t r = reqs(XS_READ, 0, "data/big|");
    ck_assert_uint_eq(r.h.len, 4000);
    ck_assert_mem_eq(r.body, buf + 9, 4000);
    /* The largest payload is accepted, one more byte is not. */
    memset(buf + 9, 'z', XENSTORE_PAYLOAD_MAX - 9);
    expect_ok(req(XS_WRITE, 0, buf, XENSTORE_PAYLOAD_MAX), XS_WRITE);
    r = reqs(XS_READ, 0, "data/big|");
    ck_assert_uint_eq(r.h.len, XENSTORE_PAYLOAD_MAX - 9);

    /* A directory listing longer than a payload: E2BIG, then paging. */
    char path[128];
    for (int i = 0; i < 200; i++) {
        snprintf(path, sizeof(path), "data/many/node-with-a-long-name-%03d|", i);
        expect_ok(reqs(XS_MKDIR, 0, path), XS_MKDIR);
    }
    expect_err(reqs(XS_DIRECTORY, 0, "data/many|"), "E2BIG");
    char all[16384];
    size_t total = 0, off = 0;
    const char *gen0 = NULL;
    char gen[32] = "";
    for (int round = 0; round < 10; round++) {
        snprintf(path, sizeof(path), "data/many|%zu|", off);
        msg_t p = reqs(XS_DIRECTORY_PART, 0, path);
        ck_assert_uint_eq(p.h.type, XS_DIRECTORY_PART);
        size_t gl = strlen(p.body) + 1;
        ck_assert_uint_lt(gl, 21);      /* a decimal u64 */
        if (gen0)
            ck_assert_str_eq(gen, p.body);
        memcpy(gen, p.body, gl);
        gen0 = gen;
        size_t n = p.h.len - gl;
        bool done = n > 0 && p.body[p.h.len - 1] == 0 && (n == 1 || p.body[p.h.len - 2] == 0);
        if (done)
            n--;                        /* the terminating empty name */
        memcpy(all + total, p.body + gl, n);
        total += n;
        off += n;
        if (done)
            break;
    }
    int count = 0;
    for (size_t i = 0; i < total; i++)
        count += all[i] == 0;
    ck_assert_int_eq(count, 200);
    ck_assert_str_eq(all, "node-with-a-long-name-000");
}
END_TEST

START_TEST(oversized_header_breaks_connection)
{
    struct xsd_sockmsg h = { XS_WRITE, 99, 0, XENSTORE_PAYLOAD_MAX + 1 };
    guest_send_bytes(&h, sizeof(h));
    ck_assert_uint_eq(R->error, XENSTORE_ERROR_PROTO);
    ck_assert(R->server_features & XENSTORE_SERVER_FEATURE_ERROR);
    /* Ignored from now on: no reply, nothing consumed. */
    uint32_t prod = R->req_prod;
    struct xsd_sockmsg h2 = { XS_READ, 100, 0, 5 };
    memcpy(R->req + MASK_XENSTORE_IDX(prod), &h2, sizeof(h2));
    R->req_prod = prod + sizeof(h2);
    ck_assert(!xenstore_process(xs));
    ck_assert_uint_eq(R->rsp_prod, R->rsp_cons);
    /* The guest reconnects (xenstore.txt) and is answered again. */
    R->connection = XENSTORE_RECONNECT;
    ck_assert(xenstore_process(xs));
    ck_assert_uint_eq(R->connection, XENSTORE_CONNECTED);
    ck_assert_uint_eq(R->error, XENSTORE_ERROR_NONE);
    ck_assert_uint_eq(R->req_prod, 0);
    rlen = 0;
    expect_value(reqs(XS_READ, 0, "domid|"), "5");
}
END_TEST

START_TEST(garbage_indices)
{
    R->req_cons = 0;
    R->req_prod = 0x80000000u;
    xenstore_process(xs);
    ck_assert_uint_eq(R->error, XENSTORE_ERROR_RINGIDX);
    ck_assert_uint_eq(R->rsp_prod, 0);
    ck_assert(!xenstore_process(xs));

    /* Broken response indices too. */
    teardown();
    setup();
    expect_ok(reqs(XS_WATCH, 0, "data|w|"), XS_WATCH);
    R->rsp_cons = R->rsp_prod + 2000;
    xenstore_host_write(xs, "data/x", "1");
    xenstore_process(xs);
    ck_assert_uint_eq(R->error, XENSTORE_ERROR_RINGIDX);

    /* Indices near the wrap point work. */
    teardown();
    setup();
    R->req_cons = R->req_prod = 0xfffffff0u;
    R->rsp_cons = R->rsp_prod = 0xfffffffau;
    expect_value(reqs(XS_READ, 0, "name|"), "guest");
    ck_assert_uint_lt(R->req_prod, 0x100u);
}
END_TEST

/* What Linux 6.1's xenbus sends at boot (pvh-boot-contract.md 10.2), then
 * the host's poweroff request handled as manage.c handles it. */
START_TEST(linux_boot_sequence)
{
    expect_value(reqs(XS_READ, 0, "control/platform-feature-xs_reset_watches|"), "1");
    expect_ok(reqs(XS_RESET_WATCHES, 0, "|"), XS_RESET_WATCHES);
    msg_t d = reqs(XS_DIRECTORY, 0, "device|");
    ck_assert_uint_eq(d.h.type, XS_DIRECTORY);
    expect_ok(reqs(XS_WATCH, 0, "device|ffff888001000000|"), XS_WATCH);
    expect_err(reqs(XS_DIRECTORY, 0, "backend|"), "ENOENT");
    expect_ok(reqs(XS_WATCH, 0, "backend|ffff888001000040|"), XS_WATCH);
    expect_ok(reqs(XS_WATCH, 0, "memory/target|ffff888001000080|"), XS_WATCH);
    expect_ok(reqs(XS_WATCH, 0, "control/shutdown|ffff8880010000c0|"), XS_WATCH);
    expect_ok(reqs(XS_WATCH, 0, "control/sysrq|ffff888001000100|"), XS_WATCH);
    expect_ok(reqs(XS_WRITE, 0, "control/feature-poweroff|1"), XS_WRITE);
    expect_ok(reqs(XS_WRITE, 0, "control/feature-reboot|1"), XS_WRITE);
    expect_ok(reqs(XS_WRITE, 0, "control/feature-suspend|1"), XS_WRITE);
    expect_ok(reqs(XS_WATCH, 0, "cpu|ffff888001000140|"), XS_WATCH);
    expect_value(reqs(XS_READ, 0, "cpu/0/availability|"), "online");
    collect_events();
    ck_assert(has_event("device", "ffff888001000000"));
    ck_assert(has_event("backend", "ffff888001000040"));
    ck_assert(has_event("memory/target", "ffff888001000080"));
    ck_assert(has_event("control/shutdown", "ffff8880010000c0"));
    ck_assert(has_event("control/sysrq", "ffff888001000100"));
    ck_assert(has_event("cpu", "ffff888001000140"));
    /* Initial shutdown event: empty node, so the transaction is aborted. */
    uint32_t t = start_tx();
    expect_value(reqs(XS_READ, t, "control/shutdown|"), "");
    expect_ok(reqs(XS_TRANSACTION_END, t, "F|"), XS_TRANSACTION_END);

    /* Two requests in flight at once are answered in order. */
    struct xsd_sockmsg h1 = { XS_READ, 1000, 0, 5 }, h2 = { XS_READ, 1001, 0, 6 };
    uint8_t two[64];
    memcpy(two, &h1, 16);
    memcpy(two + 16, "name", 5);
    memcpy(two + 21, &h2, 16);
    memcpy(two + 37, "domid", 6);
    guest_send_bytes(two, 43);
    expect_value(reply_for(1000), "guest");
    expect_value(reply_for(1001), "5");

    /* The host requests a poweroff. */
    nevents = 0;
    ck_assert_int_eq(xenstore_host_write(xs, "control/shutdown", "poweroff"), 0);
    ck_assert(xenstore_process(xs));
    guest_take_rsp();
    collect_events();
    ck_assert_uint_eq(nevents, 1);
    ck_assert(has_event("control/shutdown", "ffff8880010000c0"));
    t = start_tx();
    expect_value(reqs(XS_READ, t, "control/shutdown|"), "poweroff");
    expect_ok(reqs(XS_WRITE, t, "control/shutdown|"), XS_WRITE);
    expect_ok(reqs(XS_TRANSACTION_END, t, "T|"), XS_TRANSACTION_END);
    char v[16];
    ck_assert_int_eq(xenstore_host_read(xs, "control/shutdown", v, sizeof(v)), 0);
    ck_assert_int_eq(xenstore_host_read(xs, "control/feature-poweroff", v, sizeof(v)), 1);
}
END_TEST

START_TEST(quotas)
{
    /* The store is bounded: node count, then freed again by RM. */
    char path[64];
    int i;
    msg_t m;
    for (i = 0; i < 4000; i++) {
        snprintf(path, sizeof(path), "data/q/n%d|v", i);
        m = reqs(XS_WRITE, 0, path);
        if (m.h.type == XS_ERROR)
            break;
    }
    expect_err(m, "ENOSPC");
    ck_assert_int_gt(i, 1900);
    ck_assert_int_lt(i, 2048);
    expect_ok(reqs(XS_RM, 0, "data/q|"), XS_RM);
    expect_ok(reqs(XS_WRITE, 0, "data/after|1"), XS_WRITE);
    /* Bytes: big values until ENOSPC. */
    static char big[32 + 4000];
    for (i = 0; i < 1000; i++) {
        int n = snprintf(big, sizeof(big), "data/b/%d", i);
        memset(big + n + 1, 'x', 4000);
        m = req(XS_WRITE, 0, big, (size_t)n + 1 + 4000);
        if (m.h.type == XS_ERROR)
            break;
    }
    expect_err(m, "ENOSPC");
    ck_assert_int_gt(i, 400);
    ck_assert_int_lt(i, 600);
    expect_ok(reqs(XS_RM, 0, "data/b|"), XS_RM);
    /* A transaction may touch only so many nodes. */
    uint32_t t = start_tx();
    for (i = 0; i < 2000; i++) {
        snprintf(path, sizeof(path), "data/none%d|", i);
        m = reqs(XS_READ, t, path);
        if (strcmp(m.body, "ENOSPC") == 0)
            break;
        expect_err(m, "ENOENT");
    }
    ck_assert_int_eq(i, 1024);
    expect_ok(reqs(XS_TRANSACTION_END, t, "F|"), XS_TRANSACTION_END);
}
END_TEST

static uint32_t rng = 12345;
static uint32_t rnd(void)
{
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
}

START_TEST(fuzz_requests)
{
    /* Random well-framed requests of every type with random payloads,
     * then random framing: nothing may crash or touch memory outside the
     * page (run under ASan), and the store keeps framing replies. */
    static const char *const words[] = { "data", "data/a", "device", "/", "control/shutdown", "@x", "name", "",
                                         "T", "F", "0", "5", "b5", "r0", "/local/domain/5/data/q" };
    uint8_t payload[XENSTORE_PAYLOAD_MAX];
    for (int iter = 0; iter < 3000; iter++) {
        uint32_t type = rnd() % 26;
        size_t len = 0;
        unsigned nwords = rnd() % 4;
        for (unsigned i = 0; i < nwords; i++) {
            const char *w = words[rnd() % (sizeof(words) / sizeof(words[0]))];
            size_t l = strlen(w);
            memcpy(payload + len, w, l);
            len += l;
            if (rnd() % 4)
                payload[len++] = 0;
        }
        if (rnd() % 8 == 0)
            for (size_t i = 0; i < rnd() % 64; i++)
                payload[len++] = (uint8_t)rnd();
        uint32_t tx = rnd() % 4 ? 0 : rnd() % 4;
        msg_t m = req(type, tx, payload, len);
        ck_assert_uint_ne(m.h.type, XS_WATCH_EVENT);
        if (rnd() % 50 == 0) {
            expect_ok(reqs(XS_RESET_WATCHES, 0, "|"), XS_RESET_WATCHES);
            nevents = 0;
        }
        nevents = 0;
    }
    ck_assert_uint_eq(R->error, XENSTORE_ERROR_NONE);
    /* Raw garbage, including headers with huge lengths and broken indices. */
    for (int iter = 0; iter < 2000; iter++) {
        if (rnd() % 3 == 0)
            R->req_prod = rnd() * 7u;
        if (rnd() % 5 == 0)
            R->rsp_cons = rnd() * 13u;
        uint32_t n = rnd() % 300;
        for (uint32_t i = 0; i < n; i++)
            R->req[rnd() % XENSTORE_RING_SIZE] = (char)rnd();
        R->req_prod += rnd() % 64;
        xenstore_process(xs);
        if (rnd() % 7 == 0)
            R->connection = XENSTORE_RECONNECT;
        ck_assert_uint_le(R->rsp_prod - R->rsp_cons + 0u, 0xffffffffu);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("xenstore");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, preloaded_tree);
    tcase_add_test(tc, read_write_mkdir_rm);
    tcase_add_test(tc, permissions);
    tcase_add_test(tc, privileged_and_unknown);
    tcase_add_test(tc, malformed_arguments);
    tcase_add_test(tc, watches);
    tcase_add_test(tc, watch_quota);
    tcase_add_test(tc, transactions);
    tcase_add_test(tc, big_messages_and_directory_part);
    tcase_add_test(tc, oversized_header_breaks_connection);
    tcase_add_test(tc, garbage_indices);
    tcase_add_test(tc, fuzz_requests);
    tcase_add_test(tc, quotas);
    tcase_add_test(tc, linux_boot_sequence);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
