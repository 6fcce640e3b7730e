/* Xen's errno values (xen/include/public/errno.h). They equal x86 Linux's.
 * Hypercalls return them negated. */
#ifndef XEN_ABI_ERRNO_H
#define XEN_ABI_ERRNO_H

enum xen_errno {
    XEN_EPERM = 1,
    XEN_ENOENT = 2,
    XEN_ESRCH = 3,
    XEN_EIO = 5,
    XEN_ENXIO = 6,
    XEN_E2BIG = 7,
    XEN_ENOEXEC = 8,
    XEN_EBADF = 9,
    XEN_ECHILD = 10,
    XEN_EAGAIN = 11,
    XEN_ENOMEM = 12,
    XEN_EACCES = 13,
    XEN_EFAULT = 14,
    XEN_EBUSY = 16,
    XEN_EEXIST = 17,
    XEN_EXDEV = 18,
    XEN_ENODEV = 19,
    XEN_EINVAL = 22,
    XEN_ENFILE = 23,
    XEN_EMFILE = 24,
    XEN_ENOSPC = 28,
    XEN_EMLINK = 31,
    XEN_EDOM = 33,
    XEN_ERANGE = 34,
    XEN_EDEADLK = 35,
    XEN_ENAMETOOLONG = 36,
    XEN_ENOLCK = 37,
    XEN_ENOSYS = 38,
    XEN_EBADRQC = 56,
    XEN_EBADSLT = 57,
    XEN_ENODATA = 61,
    XEN_ETIME = 62,
    XEN_EBADMSG = 74,
    XEN_EOVERFLOW = 75,
    XEN_EILSEQ = 84,
    XEN_EUSERS = 87,
    XEN_ENOTSOCK = 88,
    XEN_EOPNOTSUPP = 95,
    XEN_EADDRINUSE = 98,
    XEN_EADDRNOTAVAIL = 99,
    XEN_ENOBUFS = 105,
    XEN_EISCONN = 106,
    XEN_ENOTCONN = 107,
    XEN_ESHUTDOWN = 108,
    XEN_ETOOMANYREFS = 109,
    XEN_ETIMEDOUT = 110,
};

#define XEN_EWOULDBLOCK XEN_EAGAIN
#define XEN_EDEADLOCK   XEN_EDEADLK

#endif
