/* vcpu_op (24) and set_timer_op (15) through xen_hypercall with a fake
 * flat guest memory: GVA = GPA inside 1 MiB, everything else faults. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <xen-abi/memory.h>
#include <xen-abi/sched.h>
#include <xen-abi/vcpu.h>
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

#define HZ 2500000000ull

static int virq_calls;
static uint32_t virq_vcpu, virq_num;

static int hook_virq(xen_domain_t *d, uint32_t vcpu, uint32_t virq)
{
    (void)d;
    virq_calls++;
    virq_vcpu = vcpu;
    virq_num = virq;
    return 0;
}

static void setup_vcpu(void)
{
    setup();
    virq_calls = 0;
    dom->send_virq = hook_virq;
}

static long vop(xen_vcpu_t *v, uint64_t cmd, uint64_t id, uint64_t arg)
{
    return hc3(v, __HYPERVISOR_vcpu_op, cmd, id, arg);
}

static void reg_info(uint64_t gva, uint64_t gfn, uint32_t offset)
{
    struct vcpu_register_vcpu_info r = { .mfn = gfn, .offset = offset };
    memcpy(mem + gva, &r, sizeof(r));
}

static const struct vcpu_info *info_at(uint64_t gpa)
{
    return (const struct vcpu_info *)(const void *)(mem + gpa);
}

/* ---- register_vcpu_info ---- */

START_TEST(vcpu_info_copies_old_area_and_time)
{
    v0->tsc = 2 * HZ;
    ck_assert_int_eq(xen_domain_set_shared_info(dom, 0x10000, v0->tsc), 0);
    struct shared_info *s = (struct shared_info *)(void *)(mem + 0x10000);
    s->vcpu_info[0].arch.cr2 = 0x1234;
    s->vcpu_info[0].evtchn_upcall_mask = 0;
    memset(mem + 0x20000, 0xAA, 4096);
    v0->tsc = 5 * HZ;
    reg_info(0x1000, 0x20, 0x40);
    ck_assert_int_eq(vop(v0, VCPUOP_register_vcpu_info, 0, 0x1000), 0);
    ck_assert_uint_eq(v0->vcpu_info_gpa, 0x20040);
    const struct vcpu_info *n = info_at(0x20040);
    ck_assert_uint_eq(n->arch.cr2, 0x1234);
    ck_assert_uint_eq(n->evtchn_upcall_mask, 0);
    ck_assert_uint_eq(n->evtchn_upcall_pending, 1);
    ck_assert_uint_eq(n->evtchn_pending_sel, ~0ull);
    /* Contract R8: valid, current time in the new area at once. */
    ck_assert_uint_eq(n->time.version % 2, 0);
    ck_assert_uint_ne(n->time.tsc_to_system_mul, 0);
    ck_assert_uint_eq(xen_pvclock_read(&n->time, v0->tsc), 5000000000ull);
    /* Refreshed for now, not just copied from the 2 s record. */
    ck_assert_uint_gt(n->time.tsc_timestamp, 4 * HZ);
    ck_assert_uint_eq(n->time.version, s->vcpu_info[0].time.version);
    /* Bytes around the area are untouched. */
    ck_assert_uint_eq(mem[0x2003f], 0xAA);
    ck_assert_uint_eq(mem[0x20080], 0xAA);
    ck_assert_uint_eq(dom->evtchn.upcall_due[0] & 1, 1);
    /* Registered once only. */
    ck_assert_int_eq(vop(v0, VCPUOP_register_vcpu_info, 0, 0x1000), -XEN_EINVAL);
}
END_TEST

START_TEST(vcpu_info_without_shared_info)
{
    v0->tsc = HZ;
    memset(mem + 0x30000, 0xAA, 64);
    reg_info(0x1000, 0x30, 0);
    ck_assert_int_eq(vop(v0, VCPUOP_register_vcpu_info, 0, 0x1000), 0);
    const struct vcpu_info *n = info_at(0x30000);
    ck_assert_uint_eq(n->evtchn_upcall_mask, 1);
    ck_assert_uint_eq(n->arch.cr2, 0);
    ck_assert_uint_eq(n->evtchn_upcall_pending, 1);
    ck_assert_uint_eq(xen_pvclock_read(&n->time, HZ), 1000000000ull);
    /* Another vCPU may register for an offline one, not an online one. */
    reg_info(0x1000, 0x30, 0x40);
    ck_assert_int_eq(vop(v0, VCPUOP_register_vcpu_info, 1, 0x1000), 0);
    ck_assert_uint_eq(v1->vcpu_info_gpa, 0x30040);
}
END_TEST

START_TEST(vcpu_info_errors)
{
    ck_assert_int_eq(vop(v0, VCPUOP_register_vcpu_info, 0, BAD_GVA), -XEN_EFAULT);
    ck_assert_int_eq(vop(v0, VCPUOP_register_vcpu_info, 2, 0x1000), -XEN_ENOENT);
    /* The vCPU id is an unsigned int: bit 32 up is dropped, id 0. */
    ck_assert_int_eq(vop(v0, VCPUOP_register_vcpu_info, 1ull << 32, BAD_GVA), -XEN_EFAULT);
    reg_info(0x1000, 0x30, 4096 - 63);
    ck_assert_int_eq(vop(v0, VCPUOP_register_vcpu_info, 0, 0x1000), -XEN_EINVAL);
    reg_info(0x1000, 0x100000, 0);                    /* not RAM */
    ck_assert_int_eq(vop(v0, VCPUOP_register_vcpu_info, 0, 0x1000), -XEN_EINVAL);
    reg_info(0x1000, 1ull << 52, 0);                  /* gfn * 4096 wraps */
    ck_assert_int_eq(vop(v0, VCPUOP_register_vcpu_info, 0, 0x1000), -XEN_EINVAL);
    v1->online = true;
    reg_info(0x1000, 0x30, 0);
    ck_assert_int_eq(vop(v0, VCPUOP_register_vcpu_info, 1, 0x1000), -XEN_EINVAL);
    ck_assert_uint_eq(v0->vcpu_info_gpa, XEN_GPA_NONE);
    ck_assert_uint_eq(v1->vcpu_info_gpa, XEN_GPA_NONE);
}
END_TEST

/* ---- runstate ---- */

START_TEST(runstate_area_filled_and_updated)
{
    put64(0x1000, 0x5000);
    memset(mem + 0x5000, 0xCC, 48);
    ck_assert_int_eq(vop(v0, VCPUOP_register_runstate_memory_area, 0, 0x1000), 0);
    struct vcpu_runstate_info r;
    memcpy(&r, mem + 0x5000, sizeof(r));
    ck_assert_int_eq(r.state, RUNSTATE_running);
    ck_assert_uint_eq(r.state_entry_time, 0);
    /* v1 has never run: offline. */
    put64(0x1000, 0x5100);
    ck_assert_int_eq(vop(v0, VCPUOP_register_runstate_memory_area, 1, 0x1000), 0);
    memcpy(&r, mem + 0x5100, sizeof(r));
    ck_assert_int_eq(r.state, RUNSTATE_offline);
    /* State changes: ns in each state accumulate; with the update flag
     * on, XEN_RUNSTATE_UPDATE is never left set. */
    ck_assert_int_eq(hc3(v0, __HYPERVISOR_vm_assist, VMASST_CMD_enable,
                         VMASST_TYPE_runstate_update_flag, 0), 0);
    xen_vcpu_set_runstate(v0, RUNSTATE_blocked, 2 * HZ);
    xen_vcpu_set_runstate(v0, RUNSTATE_running, 3 * HZ);
    memcpy(&r, mem + 0x5000, sizeof(r));
    ck_assert_int_eq(r.state, RUNSTATE_running);
    ck_assert_uint_eq(r.state_entry_time, 3000000000ull);
    ck_assert_uint_eq(r.time[RUNSTATE_running], 2000000000ull);
    ck_assert_uint_eq(r.time[RUNSTATE_blocked], 1000000000ull);
    xen_vcpu_set_runstate(v0, 9, 4 * HZ);              /* ignored */
    memcpy(&r, mem + 0x5000, sizeof(r));
    ck_assert_int_eq(r.state, RUNSTATE_running);
    /* get_runstate_info adds the running time so far. */
    v0->tsc = 4 * HZ;
    ck_assert_int_eq(vop(v0, VCPUOP_get_runstate_info, 0, 0x6000), 0);
    memcpy(&r, mem + 0x6000, sizeof(r));
    ck_assert_uint_eq(r.time[RUNSTATE_running], 3000000000ull);
    ck_assert_int_eq(vop(v0, VCPUOP_get_runstate_info, 0, BAD_GVA), -XEN_EFAULT);
}
END_TEST

START_TEST(runstate_errors)
{
    ck_assert_int_eq(vop(v0, VCPUOP_register_runstate_memory_area, 0, BAD_GVA), -XEN_EFAULT);
    /* An area the guest has not mapped yet is accepted, as Xen does. */
    put64(0x1000, BAD_GVA);
    ck_assert_int_eq(vop(v0, VCPUOP_register_runstate_memory_area, 0, 0x1000), 0);
    xen_vcpu_set_runstate(v0, RUNSTATE_blocked, HZ);   /* no crash */
    put64(0x1000, ~0ull - 8);                          /* wraps */
    ck_assert_int_eq(vop(v0, VCPUOP_register_runstate_memory_area, 0, 0x1000), -XEN_EFAULT);
    ck_assert_int_eq(vop(v0, VCPUOP_register_runstate_memory_area, 5, 0x1000), -XEN_ENOENT);
}
END_TEST

/* ---- timers ---- */

static void sshot(uint64_t gva, uint64_t abs_ns, uint32_t flags)
{
    struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = abs_ns, .flags = flags };
    memcpy(mem + gva, &t, sizeof(t));
}

START_TEST(singleshot_timer)
{
    v0->tsc = HZ;                                      /* 1 s */
    ck_assert_uint_eq(xen_vcpu_timer_deadline_ns(v0), UINT64_MAX);
    ck_assert_uint_eq(xen_vcpu_timer_deadline_tsc(v0), UINT64_MAX);
    sshot(0x1000, 2000000000ull, 0);
    ck_assert_int_eq(vop(v0, VCPUOP_set_singleshot_timer, 0, 0x1000), 0);
    ck_assert_uint_eq(xen_vcpu_timer_deadline_ns(v0), 2000000000ull);
    ck_assert_uint_eq(xen_vcpu_timer_deadline_tsc(v0), 2 * HZ);
    /* Not yet: nothing fires. */
    xen_vcpu_timer_expire(v0, 2 * HZ - 3);
    ck_assert_int_eq(virq_calls, 0);
    v0->blocked = true;
    xen_vcpu_timer_expire(v0, 2 * HZ);
    ck_assert_int_eq(virq_calls, 1);
    ck_assert_uint_eq(virq_vcpu, 0);
    ck_assert_uint_eq(virq_num, VIRQ_TIMER);
    ck_assert(v0->blocked);                            /* only the event it raises unblocks (the fake raises none) */
    v0->blocked = false;
    ck_assert_uint_eq(xen_vcpu_timer_deadline_ns(v0), UINT64_MAX);
    xen_vcpu_timer_expire(v0, 3 * HZ);                 /* single shot */
    ck_assert_int_eq(virq_calls, 1);
    /* In the past: flags 0 arms it (fires at once), _future refuses. */
    v0->tsc = 3 * HZ;
    sshot(0x1000, 2500000000ull, VCPU_SSHOTTMR_future);
    ck_assert_int_eq(vop(v0, VCPUOP_set_singleshot_timer, 0, 0x1000), -XEN_ETIME);
    ck_assert_uint_eq(xen_vcpu_timer_deadline_ns(v0), UINT64_MAX);
    sshot(0x1000, 2500000000ull, 0);
    ck_assert_int_eq(vop(v0, VCPUOP_set_singleshot_timer, 0, 0x1000), 0);
    ck_assert_uint_eq(xen_vcpu_timer_deadline_ns(v0), 2500000000ull);
    ck_assert_int_eq(vop(v0, VCPUOP_stop_singleshot_timer, 0, 0), 0);
    ck_assert_uint_eq(xen_vcpu_timer_deadline_ns(v0), UINT64_MAX);
}
END_TEST

START_TEST(singleshot_errors)
{
    sshot(0x1000, 2000000000ull, 0);
    ck_assert_int_eq(vop(v0, VCPUOP_set_singleshot_timer, 1, 0x1000), -XEN_EINVAL);
    ck_assert_int_eq(vop(v0, VCPUOP_stop_singleshot_timer, 1, 0), -XEN_EINVAL);
    ck_assert_int_eq(vop(v0, VCPUOP_set_singleshot_timer, 0, BAD_GVA), -XEN_EFAULT);
    ck_assert_int_eq(vop(v0, VCPUOP_set_singleshot_timer, 0, MEM_SIZE - 8), -XEN_EFAULT);
    ck_assert_int_eq(vop(v0, VCPUOP_set_singleshot_timer, 128, 0x1000), -XEN_ENOENT);
    /* Without a connected VIRQ hook expiry still disarms. */
    dom->send_virq = NULL;
    ck_assert_int_eq(vop(v1, VCPUOP_set_singleshot_timer, 1, 0x1000), 0);
    xen_vcpu_timer_expire(v1, 10 * HZ);
    ck_assert_uint_eq(xen_vcpu_timer_deadline_ns(v1), UINT64_MAX);
}
END_TEST

START_TEST(periodic_timer)
{
    v0->tsc = HZ;
    put64(0x1000, 999999);                             /* under 1 ms */
    ck_assert_int_eq(vop(v0, VCPUOP_set_periodic_timer, 0, 0x1000), -XEN_EINVAL);
    put64(0x1000, 1ull << 63);
    ck_assert_int_eq(vop(v0, VCPUOP_set_periodic_timer, 0, 0x1000), -XEN_EINVAL);
    ck_assert_int_eq(vop(v0, VCPUOP_set_periodic_timer, 0, BAD_GVA), -XEN_EFAULT);
    put64(0x1000, 10000000);                           /* 10 ms */
    ck_assert_int_eq(vop(v0, VCPUOP_set_periodic_timer, 0, 0x1000), 0);
    ck_assert_uint_eq(xen_vcpu_timer_deadline_ns(v0), 1010000000ull);
    /* 25 ms late: fires once, next period lined up after now. */
    xen_vcpu_timer_expire(v0, HZ + HZ / 40 + HZ / 100);
    ck_assert_int_eq(virq_calls, 1);
    ck_assert_uint_eq(xen_vcpu_timer_deadline_ns(v0), 1040000000ull);
    /* The earlier of the two timers is the deadline. */
    sshot(0x2000, 1020000000ull, 0);
    ck_assert_int_eq(vop(v0, VCPUOP_set_singleshot_timer, 0, 0x2000), 0);
    ck_assert_uint_eq(xen_vcpu_timer_deadline_ns(v0), 1020000000ull);
    ck_assert_int_eq(vop(v0, VCPUOP_stop_singleshot_timer, 0, 0), 0);
    ck_assert_int_eq(vop(v0, VCPUOP_stop_periodic_timer, 0, 0), 0);
    ck_assert_uint_eq(xen_vcpu_timer_deadline_ns(v0), UINT64_MAX);
    /* Another vCPU's periodic timer may be stopped (D1b for any id). */
    ck_assert_int_eq(vop(v0, VCPUOP_stop_periodic_timer, 1, 0), 0);
}
END_TEST

START_TEST(set_timer_op_legacy)
{
    v0->tsc = HZ;
    ck_assert_int_eq(hc3(v0, __HYPERVISOR_set_timer_op, 3000000000ull, 0, 0), 0);
    ck_assert_uint_eq(xen_vcpu_timer_deadline_ns(v0), 3000000000ull);
    ck_assert_int_eq(hc3(v0, __HYPERVISOR_set_timer_op, 0, 0, 0), 0);
    ck_assert_uint_eq(xen_vcpu_timer_deadline_ns(v0), UINT64_MAX);
    /* Negative or absurdly far (> 2^50 ns ahead): fires now. */
    ck_assert_int_eq(hc3(v0, __HYPERVISOR_set_timer_op, (uint64_t)-5, 0, 0), 0);
    ck_assert_uint_eq(xen_vcpu_timer_deadline_ns(v0), 1000000000ull);
    ck_assert_int_eq(hc3(v0, __HYPERVISOR_set_timer_op, 1000000000ull + (1ull << 51), 0, 0), 0);
    ck_assert_uint_eq(xen_vcpu_timer_deadline_ns(v0), 1000000000ull);
    xen_vcpu_timer_expire(v0, HZ);
    ck_assert_int_eq(virq_calls, 1);
}
END_TEST

/* ---- bring-up, is_up, physid, time area ---- */

START_TEST(smp_up_down_initialise)
{
    ck_assert_int_eq(vop(v0, VCPUOP_is_up, 0, 0), 1);
    ck_assert_int_eq(vop(v0, VCPUOP_is_up, 1, 0), 0);
    ck_assert_int_eq(vop(v0, VCPUOP_up, 1, 0), -XEN_EINVAL);    /* no context */
    ck_assert_int_eq(vop(v0, VCPUOP_initialise, 1, BAD_GVA), -XEN_EFAULT);
    for (int i = 0; i < 128; i++)
        mem[0x7000 + i] = (uint8_t)i;
    ck_assert_int_eq(vop(v0, VCPUOP_initialise, 1, 0x7000), 0);
    ck_assert(v1->ctx_requested);
    ck_assert_uint_eq(v1->init_ctx[127], 127);
    ck_assert_int_eq(vop(v0, VCPUOP_initialise, 1, 0x7000), -XEN_EEXIST);
    ck_assert_int_eq(vop(v0, VCPUOP_initialise, 0, 0x7000), -XEN_EEXIST);
    ck_assert_int_eq(vop(v0, VCPUOP_up, 1, 0), 0);
    ck_assert_int_eq(vop(v0, VCPUOP_is_up, 1, 0), 1);
    ck_assert_int_eq(vop(v0, VCPUOP_down, 1, 0), 0);
    ck_assert_int_eq(vop(v0, VCPUOP_is_up, 1, 0), 0);
    ck_assert(!dom->shutdown);
    /* The last vCPU going down powers the domain off. */
    ck_assert_int_eq(vop(v0, VCPUOP_down, 0, 0), 0);
    ck_assert(dom->shutdown);
    ck_assert_uint_eq(dom->shutdown_reason, SHUTDOWN_poweroff);
    ck_assert_int_eq(xen_domain_exit_status(dom), 0);
}
END_TEST

START_TEST(physid_time_area_unknown)
{
    ck_assert_int_eq(vop(v0, VCPUOP_get_physid, 0, 0x1000), -XEN_EINVAL);
    v0->tsc = 7 * HZ;
    put64(0x1000, 0x8000);
    ck_assert_int_eq(vop(v0, VCPUOP_register_vcpu_time_memory_area, 0, 0x1000), 0);
    struct vcpu_time_info t;
    memcpy(&t, mem + 0x8000, sizeof(t));
    ck_assert_uint_eq(t.version % 2, 0);
    ck_assert_uint_ne(t.version, 0);
    ck_assert_uint_eq(t.flags & XEN_PVCLOCK_TSC_STABLE_BIT, XEN_PVCLOCK_TSC_STABLE_BIT);
    ck_assert_uint_eq(xen_pvclock_read(&t, 7 * HZ), 7000000000ull);
    uint32_t ver = t.version;
    xen_vcpu_refresh_time(v0, 8 * HZ);
    memcpy(&t, mem + 0x8000, sizeof(t));
    ck_assert_uint_eq(t.version, ver + 2);
    ck_assert_uint_eq(xen_pvclock_read(&t, 8 * HZ), 8000000000ull);
    ck_assert_int_eq(vop(v0, VCPUOP_register_vcpu_time_memory_area, 0, BAD_GVA), -XEN_EFAULT);
    ck_assert_int_eq(vop(v0, VCPUOP_send_nmi, 0, 0), -XEN_ENOSYS);
    ck_assert_int_eq(vop(v0, 99, 0, 0), -XEN_ENOSYS);
    ck_assert_int_eq(vop(v0, (uint64_t)-1, 0, 0), -XEN_ENOSYS);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("vcpu_op");
    TCase *tc = tcase_create("vcpu_op");
    tcase_add_checked_fixture(tc, setup_vcpu, teardown);
    tcase_add_test(tc, vcpu_info_copies_old_area_and_time);
    tcase_add_test(tc, vcpu_info_without_shared_info);
    tcase_add_test(tc, vcpu_info_errors);
    tcase_add_test(tc, runstate_area_filled_and_updated);
    tcase_add_test(tc, runstate_errors);
    tcase_add_test(tc, singleshot_timer);
    tcase_add_test(tc, singleshot_errors);
    tcase_add_test(tc, periodic_timer);
    tcase_add_test(tc, set_timer_op_legacy);
    tcase_add_test(tc, smp_up_down_initialise);
    tcase_add_test(tc, physid_time_area_unknown);
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
