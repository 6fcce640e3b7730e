/* Shared helpers of the Xen-machine test guests (see xenlib.h). */
#include "xenlib.h"

volatile struct shared_info *shinfo;
volatile uint64_t upcall_count;
static upcall_hook_t hook_fn;

static uint8_t shinfo_page[4096] __attribute__((aligned(4096)));
static uint64_t high_pd[4][512] __attribute__((aligned(4096)));
static int high_pd_used;

void put_udec(uint64_t v)
{
    char buf[24];
    int i = 0;
    do {
        buf[i++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (i)
        putc_e9(buf[--i]);
}

void put_dec(int64_t v)
{
    if (v < 0) {
        putc_e9('-');
        put_udec((uint64_t)0 - (uint64_t)v);
    } else {
        put_udec((uint64_t)v);
    }
}

void check_rc(const char *what, long got, long want)
{
    puts_e9(got == want ? "ok   " : "FAIL ");
    puts_e9(what);
    if (got != want) {
        puts_e9(": expected ");
        put_dec(want);
        puts_e9(" got ");
        put_dec(got);
        failures++;
    }
    puts_e9("\n");
}

int xstrcmp(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

unsigned long xstrlen(const char *s)
{
    unsigned long n = 0;
    while (s[n])
        n++;
    return n;
}

int xcontains(const char *hay, const char *needle)
{
    unsigned long n = xstrlen(needle);
    for (; *hay; hay++) {
        unsigned long i = 0;
        while (i < n && hay[i] == needle[i])
            i++;
        if (i == n)
            return 1;
    }
    return n == 0;
}

void check_str(const char *what, const char *got, const char *want)
{
    int ok = xstrcmp(got, want) == 0;
    puts_e9(ok ? "ok   " : "FAIL ");
    puts_e9(what);
    if (!ok) {
        puts_e9(": expected \"");
        puts_e9(want);
        puts_e9("\" got \"");
        puts_e9(got);
        puts_e9("\"");
        failures++;
    }
    puts_e9("\n");
}

void xen_shutdown(unsigned reason)
{
    struct sched_shutdown s = { .reason = reason };
    sched_op(SCHEDOP_shutdown, &s);
    /* Not reached on the Xen machine. */
    puts_e9("FATAL: SCHEDOP_shutdown returned\n");
    for (;;)
        __asm__ volatile("ud2");
}

void xen_finish(const char *name)
{
    cli();
    xen_shutdown(finish(name) ? SHUTDOWN_crash : SHUTDOWN_poweroff);
}

static void crash_handler(struct trap_frame *f)
{
    puts_e9("FAIL unexpected exception ");
    put_hex(f->vector);
    puts_e9(" error ");
    put_hex(f->error);
    puts_e9(" at ");
    put_hex(f->rip);
    puts_e9(" cr2 ");
    put_hex(read_cr2());
    puts_e9("\n");
    xen_shutdown(SHUTDOWN_crash);
}

void xen_init(void)
{
    desc_init();
    for (int v = 0; v < 32; v++)
        trap_set_handler(v, crash_handler);
}

void *map_phys(uint64_t gpa)
{
    uint64_t gib = gpa >> 30;
    if (gib == 0)
        return (void *)gpa;
    uint64_t *pml4 = (uint64_t *)(read_cr3() & ~0xfffull);
    uint64_t *pdpt = (uint64_t *)(pml4[0] & 0x000ffffffffff000ull);
    if (gib >= 512)
        return 0;
    if (!(pdpt[gib] & 1)) {
        if (high_pd_used >= 4)
            return 0;
        uint64_t *pd = high_pd[high_pd_used++];
        for (int i = 0; i < 512; i++)
            pd[i] = ((gib << 30) + ((uint64_t)i << 21)) | 0x83;
        pdpt[gib] = (uint64_t)pd | 3;
        write_cr3(read_cr3());
    }
    return (void *)gpa;
}

long map_shared_info(void)
{
    struct xen_add_to_physmap x = {
        .domid = DOMID_SELF,
        .space = XENMAPSPACE_shared_info,
        .idx = 0,
        .gpfn = (uint64_t)shinfo_page >> 12,
    };
    long rc = memory_op(XENMEM_add_to_physmap, &x);
    if (rc == 0)
        shinfo = (volatile struct shared_info *)shinfo_page;
    return rc;
}

static void upcall_handler(struct trap_frame *f)
{
    (void)f;
    upcall_count++;
    vcpu0()->evtchn_upcall_pending = 0;
    barrier();
    if (hook_fn)
        hook_fn();
}

long hvm_get_param(uint32_t index, uint64_t *value)
{
    struct xen_hvm_param p = { .domid = DOMID_SELF, .index = index };
    long rc = hvm_op(HVMOP_get_param, &p);
    *value = p.value;
    return rc;
}

long install_upcall(upcall_hook_t hook)
{
    hook_fn = hook;
    trap_set_handler(XEN_UPCALL_VECTOR, upcall_handler);
    struct xen_hvm_param p = {
        .domid = DOMID_SELF,
        .index = HVM_PARAM_CALLBACK_IRQ,
        .value = ((uint64_t)HVM_PARAM_CALLBACK_TYPE_VECTOR << HVM_PARAM_CALLBACK_IRQ_TYPE_SHIFT) |
                 XEN_UPCALL_VECTOR,
    };
    return hvm_op(HVMOP_set_param, &p);
}

uint64_t pvclock_read(volatile struct vcpu_time_info *t)
{
    uint32_t v;
    uint64_t ns;
    do {
        v = t->version;
        barrier();
        uint64_t delta = rdtsc() - t->tsc_timestamp;
        int8_t shift = t->tsc_shift;
        if (shift < 0)
            delta >>= -shift;
        else
            delta <<= shift;
        ns = t->system_time + (uint64_t)(((unsigned __int128)delta * t->tsc_to_system_mul) >> 32);
        barrier();
    } while ((v & 1) || v != t->version);
    return ns;
}

long evtchn_send_port(evtchn_port_t port)
{
    struct evtchn_send s = { .port = port };
    return evtchn_op(EVTCHNOP_send, &s);
}

long evtchn_close_port(evtchn_port_t port)
{
    struct evtchn_close c = { .port = port };
    return evtchn_op(EVTCHNOP_close, &c);
}

long evtchn_unmask_port(evtchn_port_t port)
{
    struct evtchn_unmask u = { .port = port };
    return evtchn_op(EVTCHNOP_unmask, &u);
}
