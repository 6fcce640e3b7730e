/* sched_op (29), console_io (18) and vm_assist (21) through xen_hypercall
 * with a fake flat guest memory: GVA = GPA inside 1 MiB, else faults. */
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

static uint32_t pending_port = UINT32_MAX;
static char sink[1024];
static size_t sink_len;
static int sink_calls;
static size_t sink_max_chunk;

static bool hook_pending(xen_domain_t *d, uint32_t port)
{
    (void)d;
    return port == pending_port;
}

static void hook_console(xen_domain_t *d, const char *buf, size_t len)
{
    (void)d;
    sink_calls++;
    if (len > sink_max_chunk)
        sink_max_chunk = len;
    if (len <= sizeof(sink) - sink_len) {
        memcpy(sink + sink_len, buf, len);
        sink_len += len;
    }
}

static void setup_sched(void)
{
    setup();
    pending_port = UINT32_MAX;
    sink_len = 0;
    sink_calls = 0;
    sink_max_chunk = 0;
    dom->evtchn_is_pending = hook_pending;
    dom->console_write = hook_console;
}

static long sop(uint64_t cmd, uint64_t arg) { return hc3(v0, __HYPERVISOR_sched_op, cmd, arg, 0); }

/* ---- yield, block ---- */

START_TEST(yield_and_block)
{
    ck_assert_int_eq(sop(SCHEDOP_yield, 0), 0);
    ck_assert(v0->yielded);
    /* block with no event due: blocked, and delivery re-enabled. */
    ck_assert_int_eq(xen_domain_set_shared_info(dom, 0x10000, 0), 0);
    struct shared_info *s = (struct shared_info *)(void *)(mem + 0x10000);
    s->vcpu_info[0].evtchn_upcall_mask = 1;
    put64(0x1000, 0x5000);
    ck_assert_int_eq(hc3(v0, __HYPERVISOR_vcpu_op, VCPUOP_register_runstate_memory_area, 0,
                         0x1000), 0);
    v0->tsc = 2 * HZ;
    ck_assert_int_eq(sop(SCHEDOP_block, 0), 0);
    ck_assert(v0->blocked);
    ck_assert_uint_eq(s->vcpu_info[0].evtchn_upcall_mask, 0);
    struct vcpu_runstate_info r;
    memcpy(&r, mem + 0x5000, sizeof(r));
    ck_assert_int_eq(r.state, RUNSTATE_blocked);
    ck_assert_uint_eq(r.time[RUNSTATE_running], 2000000000ull);
    v0->tsc = 3 * HZ;
    ck_assert_uint_eq(xen_vcpu_timer_deadline_ns(v0), UINT64_MAX);
    xen_vcpu_event_wake(v0, UINT32_MAX);
    ck_assert(!v0->blocked);
    memcpy(&r, mem + 0x5000, sizeof(r));
    ck_assert_int_eq(r.state, RUNSTATE_running);
    ck_assert_uint_eq(r.time[RUNSTATE_blocked], 1000000000ull);
    /* An event already pending: no block. */
    s->vcpu_info[0].evtchn_upcall_pending = 1;
    ck_assert_int_eq(sop(SCHEDOP_block, 0), 0);
    ck_assert(!v0->blocked);
    ck_assert_int_eq(sop(99, 0), -XEN_ENOSYS);
    ck_assert_int_eq(sop(SCHEDOP_pin_override, 0x1000), -XEN_EPERM);
}
END_TEST

/* ---- shutdown ---- */

START_TEST(shutdown_reasons_and_exit_status)
{
    static const struct { uint32_t reason; int status; } cases[] = {
        { SHUTDOWN_poweroff, 0 }, { SHUTDOWN_reboot, 0 }, { SHUTDOWN_suspend, 0 },
        { SHUTDOWN_crash, 3 }, { SHUTDOWN_watchdog, 3 }, { SHUTDOWN_soft_reset, 0 },
        { 0x103, 3 }, { 77, 3 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        dom->shutdown = false;
        put32(0x1000, cases[i].reason);
        ck_assert_int_eq(sop(SCHEDOP_shutdown, 0x1000), 0);
        ck_assert(dom->shutdown);
        ck_assert_uint_eq(dom->shutdown_reason, cases[i].reason & 0xff);
        ck_assert_int_eq(xen_domain_exit_status(dom), cases[i].status);
    }
    /* Once shut down, a later reason does not replace the first. */
    put32(0x1000, SHUTDOWN_poweroff);
    ck_assert_int_eq(sop(SCHEDOP_shutdown, 0x1000), 0);
    ck_assert_uint_eq(dom->shutdown_reason, 77);
    ck_assert_int_eq(sop(SCHEDOP_shutdown, BAD_GVA), -XEN_EFAULT);
}
END_TEST

START_TEST(shutdown_code_overrides)
{
    put32(0x1000, SHUTDOWN_crash);
    ck_assert_int_eq(sop(SCHEDOP_shutdown_code, 0x1000), 0);
    put32(0x1000, SHUTDOWN_reboot);
    ck_assert_int_eq(sop(SCHEDOP_shutdown_code, 0x1000), 0);   /* first stays */
    ck_assert(!dom->shutdown);
    put32(0x1000, SHUTDOWN_poweroff);
    ck_assert_int_eq(sop(SCHEDOP_shutdown, 0x1000), 0);
    ck_assert_uint_eq(dom->shutdown_reason, SHUTDOWN_crash);
    ck_assert_int_eq(xen_domain_exit_status(dom), 3);
    ck_assert_int_eq(sop(SCHEDOP_shutdown_code, BAD_GVA), -XEN_EFAULT);
}
END_TEST

START_TEST(remote_shutdown_denied)
{
    struct sched_remote_shutdown r = { .domain_id = 1, .reason = SHUTDOWN_poweroff };
    memcpy(mem + 0x1000, &r, sizeof(r));
    ck_assert_int_eq(sop(SCHEDOP_remote_shutdown, 0x1000), -XEN_EPERM);
    r.domain_id = 0;
    memcpy(mem + 0x1000, &r, sizeof(r));
    ck_assert_int_eq(sop(SCHEDOP_remote_shutdown, 0x1000), -XEN_EPERM);
    r.domain_id = 42;
    memcpy(mem + 0x1000, &r, sizeof(r));
    ck_assert_int_eq(sop(SCHEDOP_remote_shutdown, 0x1000), -XEN_ESRCH);
    ck_assert_int_eq(sop(SCHEDOP_remote_shutdown, BAD_GVA), -XEN_EFAULT);
    ck_assert(!dom->shutdown);
}
END_TEST

START_TEST(watchdog_shuts_down)
{
    struct sched_watchdog w = { .id = 0, .timeout = 10 };
    memcpy(mem + 0x1000, &w, sizeof(w));
    v0->tsc = HZ;
    ck_assert_uint_eq(xen_domain_watchdog_deadline_ns(dom), UINT64_MAX);
    ck_assert_int_eq(sop(SCHEDOP_watchdog, 0x1000), 1);
    ck_assert_int_eq(sop(SCHEDOP_watchdog, 0x1000), 2);
    ck_assert_int_eq(sop(SCHEDOP_watchdog, 0x1000), -XEN_ENOSPC);
    ck_assert_uint_eq(xen_domain_watchdog_deadline_ns(dom), 11000000000ull);
    /* Free timer 2; re-arm timer 1 further out. */
    w = (struct sched_watchdog){ .id = 2, .timeout = 0 };
    memcpy(mem + 0x1000, &w, sizeof(w));
    ck_assert_int_eq(sop(SCHEDOP_watchdog, 0x1000), 0);
    ck_assert_int_eq(sop(SCHEDOP_watchdog, 0x1000), -XEN_EINVAL);   /* not in use */
    w = (struct sched_watchdog){ .id = 1, .timeout = 30 };
    memcpy(mem + 0x1000, &w, sizeof(w));
    ck_assert_int_eq(sop(SCHEDOP_watchdog, 0x1000), 0);
    ck_assert_uint_eq(xen_domain_watchdog_deadline_ns(dom), 31000000000ull);
    w = (struct sched_watchdog){ .id = 3, .timeout = 1 };
    memcpy(mem + 0x1000, &w, sizeof(w));
    ck_assert_int_eq(sop(SCHEDOP_watchdog, 0x1000), -XEN_EINVAL);
    ck_assert_int_eq(sop(SCHEDOP_watchdog, BAD_GVA), -XEN_EFAULT);
    xen_domain_watchdog_expire(dom, 30 * HZ);
    ck_assert(!dom->shutdown);
    xen_domain_watchdog_expire(dom, 31 * HZ);
    ck_assert(dom->shutdown);
    ck_assert_uint_eq(dom->shutdown_reason, SHUTDOWN_watchdog);
    ck_assert_int_eq(xen_domain_exit_status(dom), 3);
    ck_assert_uint_eq(xen_domain_watchdog_deadline_ns(dom), UINT64_MAX);
}
END_TEST

/* ---- poll ---- */

static void poll_arg(uint64_t gva, uint64_t ports, uint32_t n, uint64_t timeout)
{
    struct sched_poll p = { .ports = ports, .nr_ports = n, .timeout = timeout };
    memcpy(mem + gva, &p, sizeof(p));
}

START_TEST(poll_blocks_until_port_or_timeout)
{
    put32(0x2000, 5);
    put32(0x2004, 9);
    poll_arg(0x1000, 0x2000, 2, 3000000000ull);
    ck_assert_int_eq(sop(SCHEDOP_poll, 0x1000), 0);
    ck_assert(v0->blocked);
    ck_assert_uint_eq(v0->poll_nr, 2);
    ck_assert_uint_eq(xen_vcpu_timer_deadline_ns(v0), 3000000000ull);
    xen_vcpu_event_wake(v0, 6);                         /* another port */
    xen_vcpu_event_wake(v0, UINT32_MAX);                /* a bare upcall */
    ck_assert(v0->blocked);
    xen_vcpu_event_wake(v0, 9);
    ck_assert(!v0->blocked);
    ck_assert_uint_eq(v0->poll_nr, 0);
    ck_assert_uint_eq(xen_vcpu_timer_deadline_ns(v0), UINT64_MAX);
    /* Timeout ends it. */
    ck_assert_int_eq(sop(SCHEDOP_poll, 0x1000), 0);
    xen_vcpu_timer_expire(v0, 3 * HZ - 10);
    ck_assert(v0->blocked);
    xen_vcpu_timer_expire(v0, 3 * HZ);
    ck_assert(!v0->blocked);
    /* A pending port (masked or not): returns 0 at once, no block. */
    pending_port = 9;
    ck_assert_int_eq(sop(SCHEDOP_poll, 0x1000), 0);
    ck_assert(!v0->blocked);
    /* No timeout and one port: only the port ends it. */
    pending_port = UINT32_MAX;
    poll_arg(0x1000, 0x2000, 1, 0);
    ck_assert_int_eq(sop(SCHEDOP_poll, 0x1000), 0);
    ck_assert_uint_eq(xen_vcpu_timer_deadline_ns(v0), UINT64_MAX);
    xen_vcpu_event_wake(v0, 5);
    ck_assert(!v0->blocked);
}
END_TEST

START_TEST(poll_errors)
{
    ck_assert_int_eq(sop(SCHEDOP_poll, BAD_GVA), -XEN_EFAULT);
    poll_arg(0x1000, 0x2000, 129, 0);
    ck_assert_int_eq(sop(SCHEDOP_poll, 0x1000), -XEN_EINVAL);
    poll_arg(0x1000, BAD_GVA, 1, 0);
    ck_assert_int_eq(sop(SCHEDOP_poll, 0x1000), -XEN_EFAULT);
    poll_arg(0x1000, ~0ull - 2, 2, 0);                  /* wraps */
    ck_assert_int_eq(sop(SCHEDOP_poll, 0x1000), -XEN_EFAULT);
    put32(MEM_SIZE - 4, 3);                             /* 2nd port unmapped */
    poll_arg(0x1000, MEM_SIZE - 4, 2, 0);
    ck_assert_int_eq(sop(SCHEDOP_poll, 0x1000), -XEN_EFAULT);
    put32(0x2000, 4096);                                /* beyond 2-level */
    poll_arg(0x1000, 0x2000, 1, 0);
    ck_assert_int_eq(sop(SCHEDOP_poll, 0x1000), -XEN_EINVAL);
    ck_assert(!v0->blocked);
    ck_assert_uint_eq(v0->poll_nr, 0);
}
END_TEST

/* ---- console_io ---- */

START_TEST(console_write_chunks)
{
    for (int i = 0; i < 300; i++)
        mem[0x3000 + i] = (uint8_t)('a' + i % 26);
    ck_assert_int_eq(hc3(v0, __HYPERVISOR_console_io, CONSOLEIO_write, 300, 0x3000), 0);
    ck_assert_uint_eq(sink_len, 300);
    ck_assert_int_eq(memcmp(sink, mem + 0x3000, 300), 0);
    ck_assert_uint_le(sink_max_chunk, 128);
    ck_assert_int_ge(sink_calls, 3);
    ck_assert_int_eq(hc3(v0, __HYPERVISOR_console_io, CONSOLEIO_write, 0, BAD_GVA), 0);
    ck_assert_int_eq(hc3(v0, __HYPERVISOR_console_io, CONSOLEIO_write, 5, BAD_GVA), -XEN_EFAULT);
    /* The count is an unsigned int: 2^32 + 2 writes 2 bytes. */
    sink_len = 0;
    ck_assert_int_eq(hc3(v0, __HYPERVISOR_console_io, CONSOLEIO_write, (1ull << 32) + 2,
                         0x3000), 0);
    ck_assert_uint_eq(sink_len, 2);
    /* Runs off guest memory: -EFAULT after the part that could be read. */
    ck_assert_int_eq(hc3(v0, __HYPERVISOR_console_io, CONSOLEIO_write, 300, MEM_SIZE - 200),
                     -XEN_EFAULT);
    dom->console_write = NULL;
    ck_assert_int_eq(hc3(v0, __HYPERVISOR_console_io, CONSOLEIO_write, 3, 0x3000), 0);
    ck_assert_int_eq(hc3(v0, __HYPERVISOR_console_io, 2, 3, 0x3000), -XEN_ENOSYS);
}
END_TEST

START_TEST(console_read_needs_privilege)
{
    ck_assert_uint_eq(xen_console_io_input(dom, "hello", 5), 5);
    ck_assert_int_eq(hc3(v0, __HYPERVISOR_console_io, CONSOLEIO_read, 10, 0x4000), -XEN_EPERM);
    dom->console_io_read_allowed = true;
    ck_assert_int_eq(hc3(v0, __HYPERVISOR_console_io, CONSOLEIO_read, 3, 0x4000), 3);
    ck_assert_int_eq(memcmp(mem + 0x4000, "hel", 3), 0);
    ck_assert_int_eq(hc3(v0, __HYPERVISOR_console_io, CONSOLEIO_read, 0x80000000u, 0x4000),
                     -XEN_E2BIG);
    ck_assert_int_eq(hc3(v0, __HYPERVISOR_console_io, CONSOLEIO_read, 10, BAD_GVA), -XEN_EFAULT);
    ck_assert_int_eq(hc3(v0, __HYPERVISOR_console_io, CONSOLEIO_read, 10, 0x4000), 2);
    ck_assert_int_eq(memcmp(mem + 0x4000, "lo", 2), 0);
    ck_assert_int_eq(hc3(v0, __HYPERVISOR_console_io, CONSOLEIO_read, 10, 0x4000), 0);
    /* The input buffer wraps and refuses what does not fit. */
    static uint8_t big[1500];
    memset(big, 'x', sizeof(big));
    ck_assert_uint_eq(xen_console_io_input(dom, big, sizeof(big)), 1024);
    ck_assert_int_eq(hc3(v0, __HYPERVISOR_console_io, CONSOLEIO_read, 2000, 0x4000), 1024);
}
END_TEST

/* ---- vm_assist ---- */

START_TEST(vm_assist_runstate_flag_only)
{
    ck_assert_int_eq(hc3(v0, __HYPERVISOR_vm_assist, VMASST_CMD_enable,
                         VMASST_TYPE_runstate_update_flag, 0), 0);
    ck_assert_uint_eq(dom->vm_assist, 1u << VMASST_TYPE_runstate_update_flag);
    ck_assert_int_eq(hc3(v0, __HYPERVISOR_vm_assist, VMASST_CMD_disable,
                         VMASST_TYPE_runstate_update_flag, 0), 0);
    ck_assert_uint_eq(dom->vm_assist, 0);
    /* PV-only types are invalid for PVH; a bad command on a valid type
     * is -ENOSYS. */
    ck_assert_int_eq(hc3(v0, __HYPERVISOR_vm_assist, VMASST_CMD_enable,
                         VMASST_TYPE_writable_pagetables, 0), -XEN_EINVAL);
    ck_assert_int_eq(hc3(v0, __HYPERVISOR_vm_assist, VMASST_CMD_enable,
                         VMASST_TYPE_m2p_strict, 0), -XEN_EINVAL);
    ck_assert_int_eq(hc3(v0, __HYPERVISOR_vm_assist, VMASST_CMD_enable, 64, 0), -XEN_EINVAL);
    ck_assert_int_eq(hc3(v0, __HYPERVISOR_vm_assist, VMASST_CMD_enable, 1ull << 32, 0),
                     -XEN_EINVAL);                      /* type 0 after truncation */
    ck_assert_int_eq(hc3(v0, __HYPERVISOR_vm_assist, 7, VMASST_TYPE_runstate_update_flag, 0),
                     -XEN_ENOSYS);
    ck_assert_uint_eq(dom->vm_assist, 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sched_op");
    TCase *tc = tcase_create("sched_op");
    tcase_add_checked_fixture(tc, setup_sched, teardown);
    tcase_add_test(tc, yield_and_block);
    tcase_add_test(tc, shutdown_reasons_and_exit_status);
    tcase_add_test(tc, shutdown_code_overrides);
    tcase_add_test(tc, remote_shutdown_denied);
    tcase_add_test(tc, watchdog_shuts_down);
    tcase_add_test(tc, poll_blocks_until_port_or_timeout);
    tcase_add_test(tc, poll_errors);
    tcase_add_test(tc, console_write_chunks);
    tcase_add_test(tc, console_read_needs_privilege);
    tcase_add_test(tc, vm_assist_runstate_flag_only);
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
