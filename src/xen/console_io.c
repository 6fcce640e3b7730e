/* console_io hypercall (18) (public/xen.h): RDI = cmd, RSI = count,
 * RDX = buffer GVA. Writes go to the machine's sink, as a Xen debug build
 * allows a domU (the contract's debug sink); reads need the console
 * privilege, which Xen's default XSM gives no domU (-EPERM). */
#include <xenemu/xen.h>

#define CHUNK 128u
#define IN_SIZE ((uint32_t)sizeof(((xen_domain_t *)0)->console_in))

static long console_write(xen_vcpu_t *v, uint32_t count, uint64_t buf)
{
    xen_domain_t *d = v->dom;
    char chunk[CHUNK];
    while (count) {
        uint32_t n = count < CHUNK ? count : CHUNK;
        if (xen_copy_from_guest(v, chunk, buf, n))
            return -XEN_EFAULT;
        if (d->console_write)
            d->console_write(d, chunk, n);
        buf += n;
        count -= n;
    }
    return 0;
}

static long console_read(xen_vcpu_t *v, uint32_t count, uint64_t buf)
{
    xen_domain_t *d = v->dom;
    if (!d->console_io_read_allowed)
        return -XEN_EPERM;
    /* The result is a count or an error: counts must stay positive ints. */
    if ((int32_t)count < 0)
        return -XEN_E2BIG;
    uint32_t done = 0;
    while (done < count && d->console_in_cons != d->console_in_prod) {
        uint32_t idx = d->console_in_cons % IN_SIZE;
        uint32_t avail = d->console_in_prod - d->console_in_cons;
        uint32_t n = IN_SIZE - idx;
        if (n > avail)
            n = avail;
        if (n > count - done)
            n = count - done;
        if (xen_copy_to_guest(v, buf + done, &d->console_in[idx], n))
            return -XEN_EFAULT;
        done += n;
        d->console_in_cons += n;
    }
    return (long)done;
}

long xen_hc_console_io(xen_vcpu_t *v, const uint64_t args[6])
{
    uint32_t cmd = (uint32_t)args[0];
    uint32_t count = (uint32_t)args[1];
    switch (cmd) {
    case CONSOLEIO_write:
        return console_write(v, count, args[2]);
    case CONSOLEIO_read:
        return console_read(v, count, args[2]);
    default:
        return -XEN_ENOSYS;
    }
}

size_t xen_console_io_input(xen_domain_t *d, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    size_t n = 0;
    while (n < len && d->console_in_prod - d->console_in_cons < IN_SIZE) {
        d->console_in[d->console_in_prod % IN_SIZE] = p[n++];
        d->console_in_prod++;
    }
    return n;
}
