/* Xen system time and the pvclock records (public/xen.h vcpu_time_info,
 * shared_info.wc). The guest TSC is virtual, a fixed frequency per domain. */
#include <string.h>

#include <xenemu/xen.h>

#define NS_PER_SEC 1000000000ull

/* Scale so that ((ticks << shift) * mul) >> 32 <= ticks * 1e9 / hz, with
 * mul rounded down (the guest's reading never runs ahead of exact time).
 * Between 1 GHz and 2^32 Hz shift 0 keeps every TSC bit (mul > 1e9, error
 * < 1 ns per second); otherwise, as Xen's set_time_scale, hz is brought
 * into (1e9, 2e9] by powers of two. */
void xen_time_scale(uint64_t hz, uint32_t *mul, int8_t *shift)
{
    int s = 0;
    uint64_t f = hz ? hz : 1;
    if (f <= NS_PER_SEC || f > UINT32_MAX) {
        while (f > 2 * NS_PER_SEC) {
            f >>= 1;
            s--;
        }
        while (f <= NS_PER_SEC) {
            f <<= 1;
            s++;
        }
    }
    *mul = (uint32_t)(((unsigned __int128)NS_PER_SEC << 32) / f);
    *shift = (int8_t)s;
}

static uint64_t gcd64(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* TSC values whose system time is a whole number of ns (and, with a
 * negative shift, whose low shifted-out bits are 0) are multiples of this.
 * Records taken only at such points read within 1 ns of exact time for a
 * second after, and never go backwards from one record to the next. */
static uint64_t tsc_align(const xen_domain_t *d)
{
    uint64_t p = d->tsc_hz / gcd64(d->tsc_hz, NS_PER_SEC);
    if (d->tsc_shift < 0) {
        uint64_t q = 1ull << -d->tsc_shift;
        uint64_t g = gcd64(p, q);
        if (p / g <= UINT64_MAX / q)
            p = p / g * q;
    }
    return p;
}

uint64_t xen_system_time_ns(const xen_domain_t *d, uint64_t tsc)
{
    return (uint64_t)((unsigned __int128)tsc * NS_PER_SEC / d->tsc_hz);
}

uint64_t xen_pvclock_read(const struct vcpu_time_info *t, uint64_t tsc)
{
    uint64_t delta = tsc - t->tsc_timestamp;
    if (t->tsc_shift < 0)
        delta >>= -t->tsc_shift;
    else
        delta <<= t->tsc_shift;
    return t->system_time +
           (uint64_t)(((unsigned __int128)delta * t->tsc_to_system_mul) >> 32);
}

void xen_pvclock_fill(const xen_domain_t *d, uint64_t tsc, struct vcpu_time_info *t)
{
    uint64_t base = tsc - tsc % tsc_align(d);
    t->pad0 = 0;
    t->tsc_timestamp = base;
    t->system_time = xen_system_time_ns(d, base);
    t->tsc_to_system_mul = d->tsc_to_system_mul;
    t->tsc_shift = d->tsc_shift;
    t->flags = d->tsc_stable ? XEN_PVCLOCK_TSC_STABLE_BIT : 0;
    t->pad1[0] = t->pad1[1] = 0;
}

void xen_pvclock_publish(volatile struct vcpu_time_info *dst, const struct vcpu_time_info *t)
{
    /* Odd while updating; a reader retries until it sees the same even value. */
    uint32_t ver = dst->version;
    ver = (ver | 1u) + 1u;  /* next even value after an odd one */
    __atomic_store_n(&dst->version, ver - 1u, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    dst->tsc_timestamp = t->tsc_timestamp;
    dst->system_time = t->system_time;
    dst->tsc_to_system_mul = t->tsc_to_system_mul;
    dst->tsc_shift = t->tsc_shift;
    dst->flags = t->flags;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    __atomic_store_n(&dst->version, ver, __ATOMIC_RELEASE);
}

uint64_t xen_vcpu_info_gpa(const xen_vcpu_t *v)
{
    if (v->vcpu_info_gpa != XEN_GPA_NONE)
        return v->vcpu_info_gpa;
    const xen_domain_t *d = v->dom;
    if (d->shared_info_gpa == XEN_GPA_NONE || v->id >= XEN_LEGACY_MAX_VCPUS)
        return XEN_GPA_NONE;
    return d->shared_info_gpa + (uint64_t)v->id * sizeof(struct vcpu_info);
}

static int publish_at(xen_domain_t *d, uint64_t info_gpa, const struct vcpu_time_info *t)
{
    uint8_t *p = xen_gpa_ptr(d, info_gpa, sizeof(struct vcpu_info));
    if (!p)
        return -XEN_EFAULT;
    xen_pvclock_publish((volatile struct vcpu_time_info *)(void *)
                            (p + offsetof(struct vcpu_info, time)), t);
    return 0;
}

int xen_time_update_vcpu(xen_vcpu_t *v, uint64_t tsc)
{
    xen_domain_t *d = v->dom;
    struct vcpu_time_info t;
    xen_pvclock_fill(d, tsc, &t);
    uint64_t gpa = xen_vcpu_info_gpa(v);
    if (gpa == XEN_GPA_NONE)
        return 0;
    int rc = publish_at(d, gpa, &t);
    /* Linux's xen_tsc_khz reads shared_info.vcpu_info[0] whatever vCPU it
     * runs on: keep slot 0 valid after vCPU 0 moves its vcpu_info. */
    if (v->id == 0 && v->vcpu_info_gpa != XEN_GPA_NONE &&
        d->shared_info_gpa != XEN_GPA_NONE)
        publish_at(d, d->shared_info_gpa, &t);
    return rc;
}

int xen_time_update_wallclock(xen_domain_t *d)
{
    uint8_t *p = xen_gpa_ptr(d, d->shared_info_gpa, sizeof(struct shared_info));
    if (!p)
        return -XEN_EFAULT;
    volatile struct shared_info *s = (volatile struct shared_info *)(void *)p;
    uint64_t sec = d->wallclock_base_ns / NS_PER_SEC;
    uint32_t ver = s->wc.version;
    ver = (ver | 1u) + 1u;
    __atomic_store_n(&s->wc.version, ver - 1u, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    s->wc.sec = (uint32_t)sec;
    s->wc.nsec = (uint32_t)(d->wallclock_base_ns % NS_PER_SEC);
    s->wc_sec_hi = (uint32_t)(sec >> 32);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    __atomic_store_n(&s->wc.version, ver, __ATOMIC_RELEASE);
    return 0;
}
