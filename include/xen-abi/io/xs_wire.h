/* The xenstore wire protocol, as xen/include/public/io/xs_wire.h and
 * docs/misc/xenstore.txt define it: message types, the error names sent in
 * XS_ERROR replies, the message header and the shared ring page. */
#ifndef XEN_ABI_IO_XS_WIRE_H
#define XEN_ABI_IO_XS_WIRE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

enum xsd_sockmsg_type {
    XS_CONTROL = 0,             /* was XS_DEBUG */
    XS_DIRECTORY = 1,
    XS_READ = 2,
    XS_GET_PERMS = 3,
    XS_WATCH = 4,
    XS_UNWATCH = 5,
    XS_TRANSACTION_START = 6,
    XS_TRANSACTION_END = 7,
    XS_INTRODUCE = 8,
    XS_RELEASE = 9,
    XS_GET_DOMAIN_PATH = 10,
    XS_WRITE = 11,
    XS_MKDIR = 12,
    XS_RM = 13,
    XS_SET_PERMS = 14,
    XS_WATCH_EVENT = 15,
    XS_ERROR = 16,
    XS_IS_DOMAIN_INTRODUCED = 17,
    XS_RESUME = 18,
    XS_SET_TARGET = 19,
    /* 20 was XS_RESTRICT, removed */
    XS_RESET_WATCHES = 21,
    XS_DIRECTORY_PART = 22,
    XS_TYPE_COUNT,
    XS_INVALID = 0xffff
};

/* Error replies carry one of these names, NUL-terminated (the header's
 * table; new names are only ever appended). */
struct xsd_error_name {
    int errnum;
    const char *name;
};
#define XSD_ERROR_NAMES \
    { EINVAL, "EINVAL" }, { EACCES, "EACCES" }, { EEXIST, "EEXIST" }, \
    { EISDIR, "EISDIR" }, { ENOENT, "ENOENT" }, { ENOMEM, "ENOMEM" }, \
    { ENOSPC, "ENOSPC" }, { EIO, "EIO" }, { ENOTEMPTY, "ENOTEMPTY" }, \
    { ENOSYS, "ENOSYS" }, { EROFS, "EROFS" }, { EBUSY, "EBUSY" }, \
    { EAGAIN, "EAGAIN" }, { EISCONN, "EISCONN" }, { E2BIG, "E2BIG" }, \
    { EPERM, "EPERM" }

struct xsd_sockmsg {
    uint32_t type;              /* enum xsd_sockmsg_type */
    uint32_t req_id;            /* echoed in the reply */
    uint32_t tx_id;             /* transaction, 0 for none */
    uint32_t len;               /* payload bytes that follow */
};

enum xs_watch_type { XS_WATCH_PATH = 0, XS_WATCH_TOKEN = 1 };

typedef uint32_t XENSTORE_RING_IDX;
#define XENSTORE_RING_SIZE 1024u
#define MASK_XENSTORE_IDX(idx) ((idx) & (XENSTORE_RING_SIZE - 1u))

struct xenstore_domain_interface {
    char req[XENSTORE_RING_SIZE];   /* guest -> store */
    char rsp[XENSTORE_RING_SIZE];   /* replies and watch events */
    XENSTORE_RING_IDX req_cons, req_prod;
    XENSTORE_RING_IDX rsp_cons, rsp_prod;
    uint32_t server_features;       /* XENSTORE_SERVER_FEATURE_* */
    uint32_t connection;            /* XENSTORE_CONNECTED / _RECONNECT */
    uint32_t error;                 /* XENSTORE_ERROR_* */
};

#define XENSTORE_PAYLOAD_MAX 4096u
#define XENSTORE_ABS_PATH_MAX 3072u
#define XENSTORE_REL_PATH_MAX 2048u

#define XENSTORE_SERVER_FEATURE_RECONNECTION 1u
#define XENSTORE_SERVER_FEATURE_ERROR 2u

#define XENSTORE_CONNECTED 0u
#define XENSTORE_RECONNECT 1u

#define XENSTORE_ERROR_NONE 0u
#define XENSTORE_ERROR_COMM 1u      /* generic communication error */
#define XENSTORE_ERROR_RINGIDX 2u   /* indices out of range */
#define XENSTORE_ERROR_PROTO 3u     /* protocol violation (e.g. payload too long) */

_Static_assert(sizeof(struct xsd_sockmsg) == 16, "xsd_sockmsg size");
_Static_assert(offsetof(struct xsd_sockmsg, req_id) == 4, "req_id");
_Static_assert(offsetof(struct xsd_sockmsg, tx_id) == 8, "tx_id");
_Static_assert(offsetof(struct xsd_sockmsg, len) == 12, "len");
_Static_assert((XENSTORE_RING_SIZE & (XENSTORE_RING_SIZE - 1)) == 0, "ring size is a power of 2");
_Static_assert(offsetof(struct xenstore_domain_interface, rsp) == 1024, "rsp");
_Static_assert(offsetof(struct xenstore_domain_interface, req_cons) == 2048, "req_cons");
_Static_assert(offsetof(struct xenstore_domain_interface, req_prod) == 2052, "req_prod");
_Static_assert(offsetof(struct xenstore_domain_interface, rsp_cons) == 2056, "rsp_cons");
_Static_assert(offsetof(struct xenstore_domain_interface, rsp_prod) == 2060, "rsp_prod");
_Static_assert(offsetof(struct xenstore_domain_interface, server_features) == 2064, "server_features");
_Static_assert(offsetof(struct xenstore_domain_interface, connection) == 2068, "connection");
_Static_assert(offsetof(struct xenstore_domain_interface, error) == 2072, "error");
_Static_assert(sizeof(struct xenstore_domain_interface) == 2076, "xenstore_domain_interface size");

#endif
