/* The hypercall layer without a CPU, shared by the Xen unit tests: a fake
 * flat guest memory (GVA = GPA inside 1 MiB, everything else faults) and a
 * two-vCPU domain on it. Each test_*.c is its own program, so these static
 * definitions exist once per test. */
#ifndef XENEMU_TEST_XEN_FAKE_H
#define XENEMU_TEST_XEN_FAKE_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <xenemu/xen.h>

#define MEM_SIZE (1u << 20)
#define BAD_GVA 0xffff800000000000ull   /* never mapped */

static uint8_t *mem;

static int fake_read(void *ctx, uint64_t gva, void *buf, size_t len)
{
    (void)ctx;
    if (gva >= MEM_SIZE || len > MEM_SIZE - gva)
        return -XEN_EFAULT;
    memcpy(buf, mem + gva, len);
    return 0;
}

static int fake_write(void *ctx, uint64_t gva, const void *buf, size_t len)
{
    (void)ctx;
    if (gva >= MEM_SIZE || len > MEM_SIZE - gva)
        return -XEN_EFAULT;
    memcpy(mem + gva, buf, len);
    return 0;
}

static uint8_t *fake_gpa(void *ctx, uint64_t gpa, size_t len)
{
    (void)ctx;
    if (gpa >= MEM_SIZE || len > MEM_SIZE - gpa)
        return NULL;
    return mem + gpa;
}

static const struct xen_guest_mem_ops fake_ops = { fake_read, fake_write, fake_gpa };

static xen_domain_t *dom;
__attribute__((unused)) static xen_vcpu_t *v0, *v1;

/* Domain 1 with two vCPUs at 2.5 GHz on a zeroed fake memory. */
static void fake_domain_setup(void)
{
    mem = calloc(1, MEM_SIZE);
    dom = calloc(1, sizeof(*dom));
    xen_domain_config_t cfg = {
        .domid = 1, .nr_vcpus = 2, .tsc_hz = 2500000000ull,
        .wallclock_base_ns = 1700000000123456789ull, .mem = &fake_ops,
    };
    ck_assert_int_eq(xen_domain_init(dom, &cfg), 0);
    v0 = xen_domain_vcpu(dom, 0);
    v1 = xen_domain_vcpu(dom, 1);
}

static void fake_domain_teardown(void)
{
    free(dom);
    free(mem);
}

__attribute__((unused)) static long hc3(xen_vcpu_t *v, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
    const uint64_t args[6] = { a0, a1, a2, 0, 0, 0 };
    return xen_hypercall(v, nr, args);
}

__attribute__((unused)) static void put64(uint64_t gva, uint64_t x) { memcpy(mem + gva, &x, 8); }
__attribute__((unused)) static void put32(uint64_t gva, uint32_t x) { memcpy(mem + gva, &x, 4); }
__attribute__((unused)) static void put16(uint64_t gva, uint16_t x) { memcpy(mem + gva, &x, 2); }
__attribute__((unused)) static uint64_t get64(uint64_t gva) { uint64_t x; memcpy(&x, mem + gva, 8); return x; }
__attribute__((unused)) static uint32_t get32(uint64_t gva) { uint32_t x; memcpy(&x, mem + gva, 4); return x; }

#endif
