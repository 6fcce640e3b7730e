/* xen_hypercalls: xen_version, memory_op, hvm_op params, vcpu_op and
 * sched_op errors, console_io, vm_assist, unknown hypercalls and bad
 * guest pointers, checked against Xen 4.17's semantics for a PVH domU. */
#include "xenlib.h"

#define BAD_PTR 0x0000700000000000ull   /* unmapped guest address */

static char buf[1024];
static struct xen_e820_entry e820[128];

static uint64_t user_hypercall(void)
{
    /* Runs at CPL 3: Xen refuses hypercalls from outside ring 0. */
    uint64_t rax = __HYPERVISOR_xen_version;
    __asm__ volatile("xor %%edi, %%edi; vmcall; int $0x81" : "+a"(rax) : : "rdi", "rsi", "rdx", "r10", "r8", "memory");
    return rax;
}

static void test_version(void)
{
    long v = xen_version(XENVER_version, 0);
    check_rc("XENVER_version is 4.17", v, (4 << 16) | 17);

    for (int i = 0; i < 16; i++)
        buf[i] = 'x';
    check_rc("XENVER_extraversion", xen_version(XENVER_extraversion, buf), 0);
    check("extraversion NUL-terminated within 16 bytes", xstrlen(buf) < XEN_EXTRAVERSION_LEN);
    check("extraversion starts with '.'", buf[0] == '.');

    for (int i = 0; i < 1024; i++)
        buf[i] = 'x';
    check_rc("XENVER_capabilities", xen_version(XENVER_capabilities, buf), 0);
    check("capabilities NUL-terminated", xstrlen(buf) < XEN_CAPABILITIES_INFO_LEN);
    check("capabilities list hvm-3.0-x86_64", xcontains(buf, "hvm-3.0-x86_64"));

    struct xen_feature_info fi = { .submap_idx = 0, .submap = 0 };
    check_rc("XENVER_get_features submap 0", xen_version(XENVER_get_features, &fi), 0);
    check("feature auto_translated_physmap", fi.submap & (1u << XENFEAT_auto_translated_physmap));
    check("feature hvm_callback_vector", fi.submap & (1u << XENFEAT_hvm_callback_vector));
    check("feature hvm_safe_pvclock", fi.submap & (1u << XENFEAT_hvm_safe_pvclock));
    check("feature writable_page_tables (translated)", fi.submap & (1u << XENFEAT_writable_page_tables));
    check("no dom0 feature for a domU", !(fi.submap & (1u << XENFEAT_dom0)));
    struct xen_feature_info fi1 = { .submap_idx = XENFEAT_NR_SUBMAPS, .submap = 0 };
    check_rc("XENVER_get_features bad submap -EINVAL", xen_version(XENVER_get_features, &fi1), -XEN_EINVAL);

    check_rc("XENVER_pagesize", xen_version(XENVER_pagesize, 0), 4096);
    struct xen_platform_parameters pp = { .virt_start = 1 };
    check_rc("XENVER_platform_parameters", xen_version(XENVER_platform_parameters, &pp), 0);
    check_rc("unknown xen_version cmd -ENOSYS", xen_version(0x4242, buf), -XEN_ENOSYS);
    check_rc("XENVER_capabilities to a bad pointer -EFAULT",
             xen_version(XENVER_capabilities, (void *)BAD_PTR), -XEN_EFAULT);
}

static void test_memory(void)
{
    struct xen_memory_map m = { .nr_entries = 128, .buffer = (uint64_t)e820 };
    check_rc("XENMEM_memory_map", memory_op(XENMEM_memory_map, &m), 0);
    check("memory map has entries", m.nr_entries > 0 && m.nr_entries <= 128);
    uint64_t ram = 0;
    int covers_guest = 0;
    for (uint32_t i = 0; i < m.nr_entries && i < 128; i++) {
        if (e820[i].type == 1) {
            ram += e820[i].size;
            if (e820[i].addr <= 0x100000 && e820[i].addr + e820[i].size > 0x200000)
                covers_guest = 1;
        }
    }
    check("memory map RAM covers the guest image at 1 MiB", covers_guest);
    check("memory map RAM <= 64 MiB", ram > 0 && ram <= (64ull << 20));
    struct xen_memory_map m1 = { .nr_entries = 1, .buffer = (uint64_t)e820 };
    check_rc("XENMEM_memory_map with room for 1", memory_op(XENMEM_memory_map, &m1), 0);
    check_rc("memory map truncated to 1 entry", m1.nr_entries, 1);
    struct xen_memory_map m2 = { .nr_entries = 128, .buffer = BAD_PTR };
    check_rc("XENMEM_memory_map bad buffer -EFAULT", memory_op(XENMEM_memory_map, &m2), -XEN_EFAULT);
    check_rc("XENMEM_memory_map bad arg -EFAULT", memory_op(XENMEM_memory_map, (void *)BAD_PTR), -XEN_EFAULT);

    domid_t self = DOMID_SELF;
    long cur = memory_op(XENMEM_current_reservation, &self);
    long max = memory_op(XENMEM_maximum_reservation, &self);
    check("current_reservation > 0 pages", cur > 0);
    check("current_reservation <= 64 MiB of pages", cur <= (64 << 20) / 4096);
    check("maximum_reservation >= current", max >= cur);
    domid_t none = 0x1234;
    check_rc("current_reservation of a missing domain -ESRCH",
             memory_op(XENMEM_current_reservation, &none), -XEN_ESRCH);
    domid_t dom0 = 0;
    check_rc("current_reservation of domain 0 -EPERM",
             memory_op(XENMEM_current_reservation, &dom0), -XEN_EPERM);

    static uint8_t page[4096] __attribute__((aligned(4096)));
    struct xen_add_to_physmap x = { .domid = DOMID_SELF, .space = XENMAPSPACE_shared_info,
                                    .idx = 1, .gpfn = (uint64_t)page >> 12 };
    check_rc("add_to_physmap shared_info idx 1 -EINVAL", memory_op(XENMEM_add_to_physmap, &x), -XEN_EINVAL);
    x.idx = 0;
    x.domid = 0x1234;
    check_rc("add_to_physmap for a missing domain -ESRCH", memory_op(XENMEM_add_to_physmap, &x), -XEN_ESRCH);
    x.domid = 0;
    check_rc("add_to_physmap for domain 0 -EPERM", memory_op(XENMEM_add_to_physmap, &x), -XEN_EPERM);
    check_rc("add_to_physmap bad arg -EFAULT", memory_op(XENMEM_add_to_physmap, (void *)BAD_PTR), -XEN_EFAULT);
    check_rc("add_to_physmap shared_info", map_shared_info(), 0);
    check("shared_info vcpu_info[0].time has a multiplier", shinfo->vcpu_info[0].time.tsc_to_system_mul != 0);
    check_rc("unknown memory_op -ENOSYS", memory_op(0x3e, buf), -XEN_ENOSYS);
}

static void test_hvm_params(void)
{
    uint64_t v = 0;
    check_rc("get HVM_PARAM_CONSOLE_PFN", hvm_get_param(HVM_PARAM_CONSOLE_PFN, &v), 0);
    check_rc("console pfn is 0xfeff8", (long)v, 0xfeff8);
    check_rc("get HVM_PARAM_STORE_PFN", hvm_get_param(HVM_PARAM_STORE_PFN, &v), 0);
    check_rc("store pfn is 0xfeffb", (long)v, 0xfeffb);
    check_rc("get HVM_PARAM_CONSOLE_EVTCHN", hvm_get_param(HVM_PARAM_CONSOLE_EVTCHN, &v), 0);
    check("console evtchn is a port", v > 0 && v < 1024);
    uint64_t cport = v;
    check_rc("get HVM_PARAM_STORE_EVTCHN", hvm_get_param(HVM_PARAM_STORE_EVTCHN, &v), 0);
    check("store evtchn is another port", v > 0 && v < 1024 && v != cport);
    check_rc("get param index HVM_NR_PARAMS -EINVAL", hvm_get_param(HVM_NR_PARAMS, &v), -XEN_EINVAL);
    check_rc("get param index 1000 -EINVAL", hvm_get_param(1000, &v), -XEN_EINVAL);

    struct xen_hvm_param p = { .domid = 0x1234, .index = HVM_PARAM_STORE_PFN };
    check_rc("get param of a missing domain -ESRCH", hvm_op(HVMOP_get_param, &p), -XEN_ESRCH);
    p = (struct xen_hvm_param){ .domid = DOMID_SELF, .index = HVM_NR_PARAMS, .value = 0 };
    check_rc("set param index HVM_NR_PARAMS -EINVAL", hvm_op(HVMOP_set_param, &p), -XEN_EINVAL);
    p = (struct xen_hvm_param){ .domid = DOMID_SELF, .index = HVM_PARAM_STORE_PFN, .value = 5 };
    check_rc("set HVM_PARAM_STORE_PFN from the guest -EPERM", hvm_op(HVMOP_set_param, &p), -XEN_EPERM);
    check_rc("get param bad arg -EFAULT", hvm_op(HVMOP_get_param, (void *)BAD_PTR), -XEN_EFAULT);
    check_rc("unknown hvm_op -ENOSYS", hvm_op(0x7777, buf), -XEN_ENOSYS);
}

static void test_vcpu_sched(void)
{
    check_rc("VCPUOP_is_up vcpu 0", vcpu_op(VCPUOP_is_up, 0, 0), 1);
    check_rc("VCPUOP_is_up bad vcpu -ENOENT", vcpu_op(VCPUOP_is_up, 4096, 0), -XEN_ENOENT);
    struct vcpu_runstate_info ri;
    check_rc("VCPUOP_get_runstate_info bad vcpu -ENOENT",
             vcpu_op(VCPUOP_get_runstate_info, 0x7fff, &ri), -XEN_ENOENT);
    check_rc("VCPUOP_get_runstate_info vcpu 0", vcpu_op(VCPUOP_get_runstate_info, 0, &ri), 0);
    check_rc("own runstate is running", ri.state, RUNSTATE_running);
    check_rc("VCPUOP_get_runstate_info bad pointer -EFAULT",
             vcpu_op(VCPUOP_get_runstate_info, 0, (void *)BAD_PTR), -XEN_EFAULT);
    check_rc("unknown vcpu_op -ENOSYS", vcpu_op(0x999, 0, buf), -XEN_ENOSYS);
    check_rc("VCPUOP_initialise of running vcpu 0 -EEXIST", vcpu_op(VCPUOP_initialise, 0, buf), -XEN_EEXIST);
    struct vcpu_set_periodic_timer per = { .period_ns = 1000 };
    check_rc("VCPUOP_set_periodic_timer under 1 ms -EINVAL",
             vcpu_op(VCPUOP_set_periodic_timer, 0, &per), -XEN_EINVAL);

    check_rc("SCHEDOP_yield returns 0", sched_op(SCHEDOP_yield, 0), 0);
    check_rc("unknown sched_op -ENOSYS", sched_op(0x55, buf), -XEN_ENOSYS);
    check_rc("SCHEDOP_shutdown bad pointer -EFAULT", sched_op(SCHEDOP_shutdown, (void *)BAD_PTR), -XEN_EFAULT);
    struct sched_remote_shutdown rs = { .domain_id = 0x1234, .reason = SHUTDOWN_poweroff };
    check_rc("SCHEDOP_remote_shutdown of a missing domain -ESRCH",
             sched_op(SCHEDOP_remote_shutdown, &rs), -XEN_ESRCH);
}

static void test_misc(void)
{
    static const char msg[] = "console_io: hello through CONSOLEIO_write\n";
    check_rc("CONSOLEIO_write", HC3(__HYPERVISOR_console_io, CONSOLEIO_write, sizeof(msg) - 1, msg), 0);
    check_rc("CONSOLEIO_write bad buffer -EFAULT",
             HC3(__HYPERVISOR_console_io, CONSOLEIO_write, 16, BAD_PTR), -XEN_EFAULT);
    check_rc("CONSOLEIO_read from a domU -EPERM",
             HC3(__HYPERVISOR_console_io, CONSOLEIO_read, 16, buf), -XEN_EPERM);
    check_rc("unknown console_io cmd -ENOSYS", HC3(__HYPERVISOR_console_io, 77, 1, buf), -XEN_ENOSYS);

    check_rc("vm_assist enable runstate_update_flag",
             HC2(__HYPERVISOR_vm_assist, VMASST_CMD_enable, VMASST_TYPE_runstate_update_flag), 0);
    check_rc("vm_assist disable runstate_update_flag",
             HC2(__HYPERVISOR_vm_assist, VMASST_CMD_disable, VMASST_TYPE_runstate_update_flag), 0);
    check_rc("vm_assist PV-only type -EINVAL",
             HC2(__HYPERVISOR_vm_assist, VMASST_CMD_enable, VMASST_TYPE_writable_pagetables), -XEN_EINVAL);
    check_rc("vm_assist bad cmd -ENOSYS",
             HC2(__HYPERVISOR_vm_assist, 7, VMASST_TYPE_runstate_update_flag), -XEN_ENOSYS);

    check_rc("unknown hypercall 63 -ENOSYS", HC1(63, 0), -XEN_ENOSYS);
    check_rc("hypercall 1000 -ENOSYS", HC1(1000, 0), -XEN_ENOSYS);
    check_rc("PV-only mmu_update -ENOSYS", HC1(__HYPERVISOR_mmu_update, 0), -XEN_ENOSYS);
    check_rc("platform_op from a domU -EPERM", HC1(__HYPERVISOR_platform_op, buf), -XEN_EPERM);

    paging_all_user();
    uint64_t r = enter_user((uint64_t)user_hypercall, USER_STACK_TOP, 0x2, SEL_UCODE | 3);
    check_rc("hypercall from CPL 3 -EPERM", (long)r, -XEN_EPERM);
}

int guest_main(const void *start_info)
{
    (void)start_info;
    xen_init();
    test_version();
    test_memory();
    test_hvm_params();
    test_vcpu_sched();
    test_misc();
    xen_finish("xen_hypercalls");
}
