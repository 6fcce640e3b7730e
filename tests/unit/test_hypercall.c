/* The hypercall layer without a CPU: a fake flat guest memory (GVA = GPA
 * inside 1 MiB, everything else faults) drives xen_hypercall, the Xen CPUID
 * leaves and the pvclock. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <xen-abi/arch-x86/cpuid.h>
#include <xen-abi/hvm/hvm_op.h>
#include <xen-abi/hvm/params.h>
#include <xen-abi/version.h>
#include <xenemu/xen.h>

#include "xen_fake.h"

static void setup(void)
{
    fake_domain_setup();
}

static void teardown(void)
{
    fake_domain_teardown();
}

static long hc(uint64_t nr, uint64_t a0, uint64_t a1)
{
    const uint64_t args[6] = { a0, a1, 0, 0, 0, 0 };
    return xen_hypercall(v0, nr, args);
}

/* ---- dispatcher ---- */

START_TEST(unknown_hypercalls_are_enosys)
{
    ck_assert_int_eq(hc(11, 0, 0), -XEN_ENOSYS);          /* hole */
    ck_assert_int_eq(hc(__HYPERVISOR_mmu_update, 0, 0), -XEN_ENOSYS);
    ck_assert_int_eq(hc(XEN_NR_HYPERCALLS, 0, 0), -XEN_ENOSYS);
    ck_assert_int_eq(hc(~0ull, 0, 0), -XEN_ENOSYS);
    ck_assert_ptr_null(xen_hypercall_handler(1ull << 40));
    ck_assert_str_eq(xen_hypercall_name(__HYPERVISOR_hvm_op), "hvm_op");
    /* Unknown sub-ops of implemented hypercalls answer -ENOSYS too. */
    ck_assert_int_eq(hc(__HYPERVISOR_memory_op, 999, 0x1000), -XEN_ENOSYS);
    ck_assert_int_eq(hc(__HYPERVISOR_event_channel_op, 99, 0x1000), -XEN_ENOSYS);
}
END_TEST

/* ---- xen_version ---- */

START_TEST(version_and_strings)
{
    ck_assert_int_eq(hc(__HYPERVISOR_xen_version, XENVER_version, 0), (4 << 16) | 17);
    memset(mem + 0x2000, 0xCC, 16);
    ck_assert_int_eq(hc(__HYPERVISOR_xen_version, XENVER_extraversion, 0x2000), 0);
    ck_assert_str_eq((char *)mem + 0x2000, ".0-xenemu");
    ck_assert_uint_eq(mem[0x2000 + 15], 0);
    ck_assert_int_eq(hc(__HYPERVISOR_xen_version, XENVER_capabilities, 0x3000), 0);
    ck_assert_str_eq((char *)mem + 0x3000, "hvm-3.0-x86_64");
    ck_assert_int_eq(hc(__HYPERVISOR_xen_version, XENVER_changeset, 0x4000), 0);
    ck_assert_uint_ne(mem[0x4000], 0);
    ck_assert_int_eq(hc(__HYPERVISOR_xen_version, XENVER_compile_info, 0x5000), 0);
    ck_assert_str_eq((char *)mem + 0x5000, "xenemu");
    ck_assert_int_eq(hc(__HYPERVISOR_xen_version, XENVER_pagesize, 0), 4096);
    memset(mem + 0x6000, 0xCC, 8);
    ck_assert_int_eq(hc(__HYPERVISOR_xen_version, XENVER_platform_parameters, 0x6000), 0);
    uint64_t vs;
    memcpy(&vs, mem + 0x6000, 8);
    ck_assert_uint_eq(vs, 0);
    dom->handle[0] = 0xAB;
    ck_assert_int_eq(hc(__HYPERVISOR_xen_version, XENVER_guest_handle, 0x7000), 0);
    ck_assert_uint_eq(mem[0x7000], 0xAB);
}
END_TEST

START_TEST(version_denied_bad_and_unknown)
{
    ck_assert_int_eq(hc(__HYPERVISOR_xen_version, XENVER_commandline, 0x2000), -XEN_EPERM);
    ck_assert_int_eq(hc(__HYPERVISOR_xen_version, XENVER_build_id, 0x2000), -XEN_EPERM);
    ck_assert_int_eq(hc(__HYPERVISOR_xen_version, 11, 0x2000), -XEN_ENOSYS);
    ck_assert_int_eq(hc(__HYPERVISOR_xen_version, 1ull << 33, 0), -XEN_ENOSYS);
    ck_assert_int_eq(hc(__HYPERVISOR_xen_version, XENVER_extraversion, BAD_GVA), -XEN_EFAULT);
    ck_assert_int_eq(hc(__HYPERVISOR_xen_version, XENVER_capabilities, MEM_SIZE - 100),
                     -XEN_EFAULT);
    ck_assert_int_eq(hc(__HYPERVISOR_xen_version, XENVER_compile_info, BAD_GVA), -XEN_EFAULT);
    ck_assert_int_eq(hc(__HYPERVISOR_xen_version, XENVER_get_features, BAD_GVA), -XEN_EFAULT);
    ck_assert_int_eq(hc(__HYPERVISOR_xen_version, XENVER_guest_handle, ~0ull - 4), -XEN_EFAULT);
}
END_TEST

START_TEST(get_features_pvh_bits)
{
    struct xen_feature_info fi = { .submap_idx = 0, .submap = 0 };
    memcpy(mem + 0x2000, &fi, sizeof(fi));
    ck_assert_int_eq(hc(__HYPERVISOR_xen_version, XENVER_get_features, 0x2000), 0);
    memcpy(&fi, mem + 0x2000, sizeof(fi));
    ck_assert_uint_eq(fi.submap_idx, 0);
    ck_assert(fi.submap & (1u << XENFEAT_auto_translated_physmap));
    ck_assert(fi.submap & (1u << XENFEAT_hvm_callback_vector));
    ck_assert(fi.submap & (1u << XENFEAT_hvm_safe_pvclock));
    ck_assert(!(fi.submap & (1u << XENFEAT_supervisor_mode_kernel)));
    ck_assert(!(fi.submap & (1u << XENFEAT_hvm_pirqs)));
    ck_assert(!(fi.submap & (1u << XENFEAT_dom0)));

    fi.submap_idx = 1;
    memcpy(mem + 0x2000, &fi, sizeof(fi));
    ck_assert_int_eq(hc(__HYPERVISOR_xen_version, XENVER_get_features, 0x2000), -XEN_EINVAL);
}
END_TEST

/* ---- hvm_op ---- */

static long set_param(domid_t dom_id, uint32_t idx, uint64_t val)
{
    struct xen_hvm_param p = { .domid = dom_id, .index = idx, .value = val };
    memcpy(mem + 0x8000, &p, sizeof(p));
    return hc(__HYPERVISOR_hvm_op, HVMOP_set_param, 0x8000);
}

static long get_param(domid_t dom_id, uint32_t idx, uint64_t *val)
{
    struct xen_hvm_param p = { .domid = dom_id, .index = idx, .value = 0xdeadbeef };
    memcpy(mem + 0x8000, &p, sizeof(p));
    long rc = hc(__HYPERVISOR_hvm_op, HVMOP_get_param, 0x8000);
    memcpy(&p, mem + 0x8000, sizeof(p));
    *val = p.value;
    return rc;
}

START_TEST(callback_irq_vector)
{
    uint64_t val;
    ck_assert_int_eq(set_param(DOMID_SELF, HVM_PARAM_CALLBACK_IRQ, HVM_CALLBACK_VECTOR(0xF3)), 0);
    ck_assert_int_eq(dom->callback_type, XEN_CALLBACK_VECTOR);
    ck_assert_uint_eq(dom->callback_vector, 0xF3);
    ck_assert_int_eq(get_param(DOMID_SELF, HVM_PARAM_CALLBACK_IRQ, &val), 0);
    ck_assert_uint_eq(val, 0x02000000000000F3ull);
    /* The own domid works like DOMID_SELF; GSI 1 (Linux's trick) is a GSI. */
    ck_assert_int_eq(set_param(1, HVM_PARAM_CALLBACK_IRQ, 1), 0);
    ck_assert_int_eq(dom->callback_type, XEN_CALLBACK_GSI);
    ck_assert_int_eq(set_param(DOMID_SELF, HVM_PARAM_CALLBACK_IRQ, 0), 0);
    ck_assert_int_eq(dom->callback_type, XEN_CALLBACK_NONE);
    ck_assert_int_eq(set_param(DOMID_SELF, HVM_PARAM_CALLBACK_IRQ, 7ull << 56), 0);
    ck_assert_int_eq(dom->callback_type, XEN_CALLBACK_NONE);
}
END_TEST

START_TEST(console_and_store_params)
{
    uint64_t val;
    ck_assert_int_eq(xen_hvm_param_set_toolstack(dom, HVM_PARAM_CONSOLE_PFN, 0xfeffc), 0);
    ck_assert_int_eq(xen_hvm_param_set_toolstack(dom, HVM_PARAM_CONSOLE_EVTCHN, 2), 0);
    ck_assert_int_eq(get_param(DOMID_SELF, HVM_PARAM_CONSOLE_EVTCHN, &val), 0);
    ck_assert_uint_eq(val, 2);
    ck_assert_int_eq(get_param(DOMID_SELF, HVM_PARAM_CONSOLE_PFN, &val), 0);
    ck_assert_uint_eq(val, 0xfeffc);
    ck_assert_int_eq(get_param(DOMID_SELF, HVM_PARAM_STORE_PFN, &val), 0);
    ck_assert_uint_eq(val, 0);
    /* The guest may move its event-channel params but not the pages. */
    ck_assert_int_eq(set_param(DOMID_SELF, HVM_PARAM_STORE_EVTCHN, 5), 0);
    ck_assert_int_eq(get_param(DOMID_SELF, HVM_PARAM_STORE_EVTCHN, &val), 0);
    ck_assert_uint_eq(val, 5);
    ck_assert_int_eq(set_param(DOMID_SELF, HVM_PARAM_CONSOLE_PFN, 0x1234), -XEN_EPERM);
    ck_assert_int_eq(set_param(DOMID_SELF, HVM_PARAM_STORE_PFN, 0x1234), -XEN_EPERM);
    ck_assert_uint_eq(xen_hvm_param_get(dom, HVM_PARAM_CONSOLE_PFN), 0xfeffc);
}
END_TEST

START_TEST(param_errors)
{
    uint64_t val;
    ck_assert_int_eq(set_param(DOMID_SELF, HVM_NR_PARAMS, 0), -XEN_EINVAL);
    ck_assert_int_eq(get_param(DOMID_SELF, 0xffffffffu, &val), -XEN_EINVAL);
    ck_assert_int_eq(set_param(7, HVM_PARAM_CALLBACK_IRQ, 0), -XEN_ESRCH);
    ck_assert_int_eq(get_param(0, HVM_PARAM_CALLBACK_IRQ, &val), -XEN_ESRCH);
    ck_assert_int_eq(get_param(DOMID_SELF, HVM_PARAM_IOREQ_PFN, &val), -XEN_EPERM);
    ck_assert_int_eq(get_param(DOMID_SELF, HVM_PARAM_IDENT_PT, &val), -XEN_EPERM);
    ck_assert_int_eq(set_param(DOMID_SELF, HVM_PARAM_IDENT_PT, 0x1000), -XEN_EPERM);
    ck_assert_int_eq(set_param(DOMID_SELF, HVM_PARAM_X87_FIP_WIDTH, 8), -XEN_EPERM);
    ck_assert_int_eq(set_param(DOMID_SELF, HVM_PARAM_VM86_TSS, 1ull << 32), -XEN_EINVAL);
    ck_assert_int_eq(set_param(DOMID_SELF, HVM_PARAM_VM86_TSS_SIZED, 50ull << 32), -XEN_EINVAL);
    ck_assert_int_eq(hc(__HYPERVISOR_hvm_op, HVMOP_set_param, BAD_GVA), -XEN_EFAULT);
    ck_assert_int_eq(hc(__HYPERVISOR_hvm_op, HVMOP_get_param, MEM_SIZE - 8), -XEN_EFAULT);
    ck_assert_int_eq(hc(__HYPERVISOR_hvm_op, 200, 0x8000), -XEN_ENOSYS);
    ck_assert_int_eq(hc(__HYPERVISOR_hvm_op, HVMOP_flush_tlbs, 0), -XEN_ENOSYS);
}
END_TEST

START_TEST(vm86_tss_roundtrip)
{
    uint64_t val;
    ck_assert_int_eq(set_param(DOMID_SELF, HVM_PARAM_VM86_TSS, 0xfeff0000), 0);
    ck_assert_int_eq(get_param(DOMID_SELF, HVM_PARAM_VM86_TSS, &val), 0);
    ck_assert_uint_eq(val, 0xfeff0000);
    ck_assert_int_eq(get_param(DOMID_SELF, HVM_PARAM_VM86_TSS_SIZED, &val), 0);
    ck_assert_uint_eq(val, (128ull << 32) | 0xfeff0000);
}
END_TEST

START_TEST(upcall_vector)
{
    struct xen_hvm_evtchn_upcall_vector u = { .vcpu = 1, .vector = 0xF3 };
    memcpy(mem + 0x9000, &u, sizeof(u));
    ck_assert_int_eq(hc(__HYPERVISOR_hvm_op, HVMOP_set_evtchn_upcall_vector, 0x9000), 0);
    ck_assert_uint_eq(xen_domain_vcpu(dom, 1)->upcall_vector, 0xF3);
    ck_assert_uint_eq(v0->upcall_vector, 0);

    u.vector = 0x0F;
    memcpy(mem + 0x9000, &u, sizeof(u));
    ck_assert_int_eq(hc(__HYPERVISOR_hvm_op, HVMOP_set_evtchn_upcall_vector, 0x9000),
                     -XEN_EINVAL);
    u.vector = 0x10;
    u.vcpu = 2;
    memcpy(mem + 0x9000, &u, sizeof(u));
    ck_assert_int_eq(hc(__HYPERVISOR_hvm_op, HVMOP_set_evtchn_upcall_vector, 0x9000),
                     -XEN_ENOENT);
    ck_assert_int_eq(hc(__HYPERVISOR_hvm_op, HVMOP_set_evtchn_upcall_vector, BAD_GVA),
                     -XEN_EFAULT);
}
END_TEST

START_TEST(pagetable_dying_under_hap)
{
    struct xen_hvm_pagetable_dying a = { .domid = DOMID_SELF, .gpa = 0 };
    memcpy(mem + 0x9000, &a, sizeof(a));
    ck_assert_int_eq(hc(__HYPERVISOR_hvm_op, HVMOP_pagetable_dying, 0x9000), -XEN_EINVAL);
    a.domid = 3;
    memcpy(mem + 0x9000, &a, sizeof(a));
    ck_assert_int_eq(hc(__HYPERVISOR_hvm_op, HVMOP_pagetable_dying, 0x9000), -XEN_ESRCH);
    ck_assert_int_eq(hc(__HYPERVISOR_hvm_op, HVMOP_pagetable_dying, BAD_GVA), -XEN_EFAULT);
}
END_TEST

START_TEST(get_time)
{
    v0->tsc = 2500000000ull * 3;   /* 3 s at 2.5 GHz */
    ck_assert_int_eq(hc(__HYPERVISOR_hvm_op, HVMOP_get_time, 0x9000), 0);
    uint64_t now;
    memcpy(&now, mem + 0x9000, 8);
    ck_assert_uint_eq(now, 3000000000ull);
}
END_TEST

/* ---- CPUID ---- */

START_TEST(cpuid_leaves)
{
    uint32_t r[4];
    xen_vcpu_t *v1 = xen_domain_vcpu(dom, 1);
    ck_assert(!xen_cpuid(v0, 0x3fffffff, 0, r));
    ck_assert(!xen_cpuid(v0, 0x40000200, 0, r));
    ck_assert(xen_cpuid(v0, 0x40000000, 0, r));
    ck_assert_uint_eq(r[0], 0x40000005);
    ck_assert_uint_eq(r[1], XEN_CPUID_SIGNATURE_EBX);
    ck_assert_uint_eq(r[2], XEN_CPUID_SIGNATURE_ECX);
    ck_assert_uint_eq(r[3], XEN_CPUID_SIGNATURE_EDX);
    ck_assert(xen_cpuid(v0, 0x40000001, 0, r));
    ck_assert_uint_eq(r[0], 0x00040011);
    ck_assert(xen_cpuid(v0, 0x40000002, 0, r));
    ck_assert_uint_eq(r[0], 1);
    ck_assert_uint_eq(r[1], 0x40000000);
    ck_assert(xen_cpuid(v0, 0x40000003, 0, r));
    ck_assert_uint_eq(r[2], 2500000);
    ck_assert(xen_cpuid(v0, 0x40000003, 1, r));
    ck_assert_uint_eq(r[2], dom->tsc_to_system_mul);
    ck_assert_uint_eq(r[3], (uint32_t)(int32_t)dom->tsc_shift);
    ck_assert(xen_cpuid(v1, 0x40000004, 0, r));
    ck_assert(r[0] & XEN_HVM_CPUID_VCPU_ID_PRESENT);
    ck_assert(r[0] & XEN_HVM_CPUID_DOMID_PRESENT);
    ck_assert(!(r[0] & XEN_HVM_CPUID_UPCALL_VECTOR));
    ck_assert_uint_eq(r[1], 1);
    ck_assert_uint_eq(r[2], 1);
    dom->cpuid_upcall_vector = true;
    ck_assert(xen_cpuid(v0, 0x40000004, 0, r));
    ck_assert(r[0] & XEN_HVM_CPUID_UPCALL_VECTOR);
    ck_assert_uint_eq(r[1], 0);
    ck_assert(xen_cpuid(v0, 0x40000004, 1, r));
    ck_assert_uint_eq(r[0] | r[1] | r[2] | r[3], 0);
    ck_assert(xen_cpuid(v0, 0x40000005, 0, r));
    ck_assert_uint_eq(r[0] | r[1] | r[2] | r[3], 0);
    ck_assert(xen_cpuid(v0, 0x40000100, 0, r));
    ck_assert_uint_eq(r[0] | r[1] | r[2] | r[3], 0);
}
END_TEST

/* ---- pvclock ---- */

static uint64_t ref_ns(uint64_t tsc, uint64_t hz)
{
    return (uint64_t)((unsigned __int128)tsc * 1000000000u / hz);
}

START_TEST(time_scale_examples)
{
    uint32_t mul;
    int8_t shift;
    xen_time_scale(1000000000ull, &mul, &shift);
    ck_assert_uint_eq(mul, 0x80000000u);
    ck_assert_int_eq(shift, 1);
    xen_time_scale(100000000ull, &mul, &shift);
    ck_assert_uint_eq(mul, 2684354560u);
    ck_assert_int_eq(shift, 4);
    xen_time_scale(2500000000ull, &mul, &shift);   /* contract §8.1 */
    ck_assert_int_eq(shift, 0);
    ck_assert_uint_eq(mul, 1717986918u);
    xen_time_scale(8000000000ull, &mul, &shift);
    ck_assert_int_eq(shift, -2);
    ck_assert_uint_eq(mul, 2147483648u);
}
END_TEST

/* A record taken at any TSC, read up to 1 s of TSC later, stays within
 * 1 ns of the exact 128-bit value and never above it. */
START_TEST(pvclock_within_1ns)
{
    static const uint64_t freqs[] = { 1000000000ull, 2500000000ull, 3000000007ull,
                                      4000000000ull, 100000000ull, 1193182ull,
                                      2100000000ull, 8000000000ull };
    static const uint64_t bases[] = { 0, 12345, 1ull << 40, 987654321987654ull };
    for (size_t i = 0; i < sizeof(freqs) / sizeof(freqs[0]); i++) {
        uint64_t hz = freqs[i];
        dom->tsc_hz = hz;
        xen_time_scale(hz, &dom->tsc_to_system_mul, &dom->tsc_shift);
        for (size_t b = 0; b < 4; b++) {
            struct vcpu_time_info t;
            xen_pvclock_fill(dom, bases[b], &t);
            ck_assert_uint_le(t.tsc_timestamp, bases[b]);
            ck_assert_uint_eq(t.system_time, ref_ns(t.tsc_timestamp, hz));
            uint64_t step = hz / 9973 + 1;
            for (uint64_t d = 0; d <= hz; d += step) {
                for (uint64_t j = 0; j < 3; j++) {
                    uint64_t tsc = t.tsc_timestamp + d + j;
                    uint64_t got = xen_pvclock_read(&t, tsc);
                    uint64_t want = ref_ns(tsc, hz);
                    ck_assert_msg(got <= want && want - got <= 1,
                                  "hz %llu base %llu tsc %llu: %llu vs %llu",
                                  (unsigned long long)hz, (unsigned long long)bases[b],
                                  (unsigned long long)tsc, (unsigned long long)got,
                                  (unsigned long long)want);
                }
            }
        }
    }
}
END_TEST

/* A newer record never reads below an older one at the same TSC. */
START_TEST(pvclock_monotonic_across_updates)
{
    static const uint64_t freqs[] = { 2500000000ull, 3000000007ull, 1193182ull,
                                      8000000000ull };
    for (size_t i = 0; i < sizeof(freqs) / sizeof(freqs[0]); i++) {
        uint64_t hz = freqs[i];
        dom->tsc_hz = hz;
        xen_time_scale(hz, &dom->tsc_to_system_mul, &dom->tsc_shift);
        struct vcpu_time_info old, cur;
        xen_pvclock_fill(dom, 1000, &old);
        uint64_t x = 88172645463325252ull;
        for (int k = 0; k < 20000; k++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            uint64_t upd = old.tsc_timestamp + x % hz;
            xen_pvclock_fill(dom, upd, &cur);
            for (uint64_t tsc = upd; tsc < upd + 64; tsc += 7)
                ck_assert_uint_ge(xen_pvclock_read(&cur, tsc), xen_pvclock_read(&old, tsc));
            old = cur;
        }
    }
}
END_TEST

START_TEST(pvclock_kHz_as_linux_computes_it)
{
    /* pvclock_tsc_khz: (1e6 << 32) / mul, then shifted back. */
    uint64_t khz = (1000000ull << 32) / dom->tsc_to_system_mul;
    if (dom->tsc_shift < 0)
        khz <<= -dom->tsc_shift;
    else
        khz >>= dom->tsc_shift;
    ck_assert_uint_ge(khz, 2499998);
    ck_assert_uint_le(khz, 2500001);
}
END_TEST

START_TEST(shared_info_time_and_wallclock)
{
    ck_assert_int_eq(xen_domain_set_shared_info(dom, 0x10001, 0), -XEN_EINVAL);
    ck_assert_int_eq(xen_domain_set_shared_info(dom, MEM_SIZE, 0), -XEN_EFAULT);
    ck_assert_int_eq(xen_domain_set_shared_info(dom, 0x10000, 5000000000ull), 0);
    const struct shared_info *s = (const struct shared_info *)(void *)(mem + 0x10000);
    for (int i = 0; i < 2; i++) {
        const struct vcpu_time_info *t = &s->vcpu_info[i].time;
        ck_assert_uint_eq(t->version & 1, 0);
        ck_assert_uint_ne(t->version, 0);
        ck_assert_uint_ne(t->tsc_to_system_mul, 0);
        ck_assert_uint_eq(t->tsc_timestamp, 5000000000ull);
        ck_assert_uint_eq(t->system_time, 2000000000ull);
        ck_assert_uint_eq(t->flags & XEN_PVCLOCK_TSC_STABLE_BIT, 1);
    }
    ck_assert_uint_eq(s->vcpu_info[2].time.version, 0);   /* no vCPU 2 */
    ck_assert_uint_eq(s->wc.version & 1, 0);
    ck_assert_uint_ne(s->wc.version, 0);
    ck_assert_uint_eq(s->wc.sec, 1700000000u);
    ck_assert_uint_eq(s->wc.nsec, 123456789u);
    ck_assert_uint_eq(s->wc_sec_hi, 0);

    /* Each update bumps the version by 2 and stays even. */
    uint32_t before = s->vcpu_info[0].time.version;
    ck_assert_int_eq(xen_time_update_vcpu(v0, 7500000000ull), 0);
    ck_assert_uint_eq(s->vcpu_info[0].time.version, before + 2);
    ck_assert_uint_eq(s->vcpu_info[0].time.system_time, 3000000000ull);

    /* A registered vcpu_info gets the record; slot 0 stays valid too. */
    v0->vcpu_info_gpa = 0x20040;
    ck_assert_int_eq(xen_time_update_vcpu(v0, 10000000000ull), 0);
    const struct vcpu_info *reg = (const struct vcpu_info *)(void *)(mem + 0x20040);
    ck_assert_uint_eq(reg->time.system_time, 4000000000ull);
    ck_assert_uint_eq(s->vcpu_info[0].time.system_time, 4000000000ull);
    /* A registered area outside RAM: -EFAULT, nothing written elsewhere. */
    v0->vcpu_info_gpa = MEM_SIZE - 32;
    ck_assert_int_eq(xen_time_update_vcpu(v0, 1), -XEN_EFAULT);
}
END_TEST

START_TEST(domain_config_validation)
{
    xen_domain_t *d = calloc(1, sizeof(*d));
    xen_domain_config_t cfg = { .domid = 1, .nr_vcpus = 0, .tsc_hz = 1, .mem = &fake_ops };
    ck_assert_int_eq(xen_domain_init(d, &cfg), -XEN_EINVAL);
    cfg.nr_vcpus = XEN_MAX_VCPUS + 1;
    ck_assert_int_eq(xen_domain_init(d, &cfg), -XEN_EINVAL);
    cfg.nr_vcpus = 1;
    cfg.tsc_hz = 0;
    ck_assert_int_eq(xen_domain_init(d, &cfg), -XEN_EINVAL);
    cfg.tsc_hz = 1000;
    cfg.domid = DOMID_SELF;
    ck_assert_int_eq(xen_domain_init(d, &cfg), -XEN_EINVAL);
    cfg.domid = 1;
    ck_assert_int_eq(xen_domain_init(d, &cfg), 0);
    ck_assert_ptr_null(xen_domain_vcpu(d, 1));
    ck_assert_uint_eq(xen_vcpu_info_gpa(&d->vcpu[0]), XEN_GPA_NONE);
    free(d);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hypercall");
    TCase *tc = tcase_create("hypercall");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, unknown_hypercalls_are_enosys);
    tcase_add_test(tc, version_and_strings);
    tcase_add_test(tc, version_denied_bad_and_unknown);
    tcase_add_test(tc, get_features_pvh_bits);
    tcase_add_test(tc, callback_irq_vector);
    tcase_add_test(tc, console_and_store_params);
    tcase_add_test(tc, param_errors);
    tcase_add_test(tc, vm86_tss_roundtrip);
    tcase_add_test(tc, upcall_vector);
    tcase_add_test(tc, pagetable_dying_under_hap);
    tcase_add_test(tc, get_time);
    tcase_add_test(tc, cpuid_leaves);
    tcase_add_test(tc, time_scale_examples);
    tcase_add_test(tc, pvclock_within_1ns);
    tcase_add_test(tc, pvclock_monotonic_across_updates);
    tcase_add_test(tc, pvclock_kHz_as_linux_computes_it);
    tcase_add_test(tc, shared_info_time_and_wallclock);
    tcase_add_test(tc, domain_config_validation);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
