/* The Xen public ABI headers at run time: the numbers the PVH contract
 * names, and structs laid into byte buffers read back at the documented
 * offsets (docs: pvh-boot-contract.md §5, §6, §20). */
#include <check.h>
#include <stddef.h>
#include <string.h>

#include <xen-abi/arch-x86/cpuid.h>
#include <xen-abi/errno.h>
#include <xen-abi/event_channel.h>
#include <xen-abi/grant_table.h>
#include <xen-abi/hvm/hvm_op.h>
#include <xen-abi/hvm/params.h>
#include <xen-abi/memory.h>
#include <xen-abi/sched.h>
#include <xen-abi/vcpu.h>
#include <xen-abi/version.h>
#include <xen-abi/xen.h>

static uint64_t rd(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    memcpy(&v, p, n);
    return v;
}

START_TEST(hypercall_numbers)
{
    ck_assert_int_eq(__HYPERVISOR_memory_op, 12);
    ck_assert_int_eq(__HYPERVISOR_set_timer_op, 15);
    ck_assert_int_eq(__HYPERVISOR_xen_version, 17);
    ck_assert_int_eq(__HYPERVISOR_console_io, 18);
    ck_assert_int_eq(__HYPERVISOR_grant_table_op, 20);
    ck_assert_int_eq(__HYPERVISOR_vm_assist, 21);
    ck_assert_int_eq(__HYPERVISOR_vcpu_op, 24);
    ck_assert_int_eq(__HYPERVISOR_sched_op, 29);
    ck_assert_int_eq(__HYPERVISOR_event_channel_op, 32);
    ck_assert_int_eq(__HYPERVISOR_hvm_op, 34);
    ck_assert_int_eq(XENMEM_add_to_physmap, 7);
    ck_assert_int_eq(XENMEM_memory_map, 9);
    ck_assert_int_eq(VCPUOP_register_vcpu_info, 10);
    ck_assert_int_eq(VCPUOP_register_vcpu_time_memory_area, 13);
    ck_assert_int_eq(EVTCHNOP_init_control, 11);
    ck_assert_int_eq(EVTCHNOP_set_priority, 13);
    ck_assert_int_eq(GNTTABOP_query_size, 6);
    ck_assert_int_eq(GNTTABOP_set_version, 8);
    ck_assert_int_eq(HVMOP_pagetable_dying, 9);
    ck_assert_int_eq(HVMOP_set_evtchn_upcall_vector, 23);
    ck_assert_int_eq(HVM_PARAM_CONSOLE_PFN, 17);
    ck_assert_int_eq(HVM_PARAM_CONSOLE_EVTCHN, 18);
    ck_assert_int_eq(SHUTDOWN_crash, 3);
    ck_assert_uint_eq(DOMID_SELF, 0x7FF0);
}
END_TEST

START_TEST(errno_values)
{
    ck_assert_int_eq(XEN_EPERM, 1);
    ck_assert_int_eq(XEN_ENOENT, 2);
    ck_assert_int_eq(XEN_ESRCH, 3);
    ck_assert_int_eq(XEN_EAGAIN, 11);
    ck_assert_int_eq(XEN_ENOMEM, 12);
    ck_assert_int_eq(XEN_EFAULT, 14);
    ck_assert_int_eq(XEN_EBUSY, 16);
    ck_assert_int_eq(XEN_EEXIST, 17);
    ck_assert_int_eq(XEN_EINVAL, 22);
    ck_assert_int_eq(XEN_ENOSYS, 38);
    ck_assert_int_eq(XEN_ETIME, 62);
    ck_assert_int_eq(XEN_EOPNOTSUPP, 95);
}
END_TEST

START_TEST(vcpu_info_in_buffer)
{
    uint8_t buf[64];
    memset(buf, 0, sizeof(buf));
    struct vcpu_info vi;
    memset(&vi, 0, sizeof(vi));
    vi.evtchn_upcall_pending = 1;
    vi.evtchn_upcall_mask = 0xAA;
    vi.evtchn_pending_sel = 0x8000000000000001ull;
    vi.arch.cr2 = 0x1122334455667788ull;
    vi.time.version = 6;
    vi.time.tsc_timestamp = 0x0102030405060708ull;
    vi.time.system_time = 123456789;
    vi.time.tsc_to_system_mul = 0x80000000u;
    vi.time.tsc_shift = -1;
    vi.time.flags = XEN_PVCLOCK_TSC_STABLE_BIT;
    memcpy(buf, &vi, sizeof(vi));
    ck_assert_uint_eq(buf[0], 1);
    ck_assert_uint_eq(buf[1], 0xAA);
    ck_assert_uint_eq(rd(buf + 8, 8), 0x8000000000000001ull);
    ck_assert_uint_eq(rd(buf + 16, 8), 0x1122334455667788ull);
    ck_assert_uint_eq(rd(buf + 32, 4), 6);
    ck_assert_uint_eq(rd(buf + 40, 8), 0x0102030405060708ull);
    ck_assert_uint_eq(rd(buf + 48, 8), 123456789);
    ck_assert_uint_eq(rd(buf + 56, 4), 0x80000000u);
    ck_assert_uint_eq(buf[60], 0xFF);    /* shift -1 as s8 */
    ck_assert_uint_eq(buf[61], 1);
}
END_TEST

START_TEST(shared_info_layout)
{
    static uint8_t page[4096];
    memset(page, 0, sizeof(page));
    struct shared_info *s = (struct shared_info *)(void *)page;
    s->vcpu_info[31].evtchn_upcall_pending = 1;
    s->evtchn_pending[0] = 1;
    s->evtchn_mask[63] = 1ull << 63;
    s->wc.version = 2;
    s->wc.sec = 1700000000u;
    s->wc.nsec = 999;
    s->wc_sec_hi = 7;
    s->arch.p2m_generation = 5;
    ck_assert_uint_eq(page[31 * 64], 1);
    ck_assert_uint_eq(rd(page + 2048, 8), 1);
    ck_assert_uint_eq(page[2560 + 511], 0x80);
    ck_assert_uint_eq(rd(page + 3072, 4), 2);
    ck_assert_uint_eq(rd(page + 3076, 4), 1700000000u);
    ck_assert_uint_eq(rd(page + 3080, 4), 999);
    ck_assert_uint_eq(rd(page + 3084, 4), 7);
    ck_assert_uint_eq(rd(page + 3088 + 40, 8), 5);
    ck_assert_uint_eq(EVTCHN_2L_NR_CHANNELS, 4096);
}
END_TEST

START_TEST(argument_structs_in_buffer)
{
    uint8_t b[32];
    struct xen_add_to_physmap x = { .domid = DOMID_SELF, .space = XENMAPSPACE_grant_table,
                                    .idx = 3, .gpfn = 0x12345 };
    memcpy(b, &x, sizeof(x));
    ck_assert_uint_eq(rd(b, 2), 0x7FF0);
    ck_assert_uint_eq(rd(b + 4, 4), 1);
    ck_assert_uint_eq(rd(b + 8, 8), 3);
    ck_assert_uint_eq(rd(b + 16, 8), 0x12345);

    struct xen_hvm_param p = { .domid = DOMID_SELF, .index = 0,
                               .value = HVM_CALLBACK_VECTOR(0xF3) };
    memcpy(b, &p, sizeof(p));
    ck_assert_uint_eq(rd(b + 8, 8), 0x02000000000000F3ull);

    struct evtchn_init_control ic = { .control_gfn = 9, .offset = 0, .vcpu = 2 };
    ic.link_bits = EVTCHN_FIFO_LINK_BITS;
    memcpy(b, &ic, sizeof(ic));
    ck_assert_uint_eq(rd(b + 12, 4), 2);
    ck_assert_uint_eq(b[16], 17);

    struct vcpu_register_vcpu_info rvi = { .mfn = 0x42, .offset = 0x40 };
    memcpy(b, &rvi, sizeof(rvi));
    ck_assert_uint_eq(rd(b + 8, 4), 0x40);

    struct gnttab_query_size qs = { .dom = DOMID_SELF, .nr_frames = 1,
                                    .max_nr_frames = 64, .status = GNTST_bad_domain };
    memcpy(b, &qs, sizeof(qs));
    ck_assert_uint_eq(rd(b + 8, 4), 64);
    ck_assert_uint_eq(rd(b + 12, 2), 0xFFFE);

    struct xen_e820_entry e[2] = { { 0x1000, 0x9e000, 1 }, { 0xa0000, 0x60000, 2 } };
    uint8_t m[40];
    memcpy(m, e, sizeof(e));
    ck_assert_uint_eq(rd(m + 20, 8), 0xa0000);
    ck_assert_uint_eq(rd(m + 36, 4), 2);
}
END_TEST

START_TEST(fifo_event_word_bits)
{
    event_word_t w = (1u << EVTCHN_FIFO_PENDING) | (1u << EVTCHN_FIFO_LINKED) | 1234;
    ck_assert_uint_eq(w & EVTCHN_FIFO_LINK_MASK, 1234);
    ck_assert_uint_eq(w >> 31, 1);
    ck_assert_uint_eq((w >> 29) & 1, 1);
    ck_assert_uint_eq(EVTCHN_FIFO_NR_CHANNELS, 131072);
    ck_assert_uint_eq(EVTCHN_FIFO_EVENT_WORDS_PER_PAGE, 1024);
    ck_assert_uint_eq(offsetof(struct evtchn_fifo_control_block, head[15]), 68);
}
END_TEST

START_TEST(cpuid_signature_spells_xen)
{
    uint32_t r[3] = { XEN_CPUID_SIGNATURE_EBX, XEN_CPUID_SIGNATURE_ECX,
                      XEN_CPUID_SIGNATURE_EDX };
    char s[13] = { 0 };
    memcpy(s, r, 12);
    ck_assert_str_eq(s, "XenVMMXenVMM");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("xen_abi");
    TCase *tc = tcase_create("abi");
    tcase_add_test(tc, hypercall_numbers);
    tcase_add_test(tc, errno_values);
    tcase_add_test(tc, vcpu_info_in_buffer);
    tcase_add_test(tc, shared_info_layout);
    tcase_add_test(tc, argument_structs_in_buffer);
    tcase_add_test(tc, fifo_event_word_bits);
    tcase_add_test(tc, cpuid_signature_spells_xen);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
