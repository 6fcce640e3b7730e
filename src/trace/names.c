/* Names in traces: classes, kinds, guest models, exception vectors, VM-exit
 * reasons (SDM Vol.3C Appendix C, Table C-1) and hypercalls as Xen's
 * public headers name them (xen/include/public/xen.h and the op headers). */
#include <xen-abi/hvm/hvm_op.h>
#include <stdio.h>
#include <string.h>

#include "xenemu/trace.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const class_names[TC_COUNT] = {
    "insn", "exception", "mode", "pagefault", "vmexit", "hypercall", "evtchn",
    "grant", "p2m", "io", "timer", "console", "xenstore",
};

static const char *const kind_names[TK_COUNT] = {
    [TK_INSN] = "insn", [TK_EXCEPTION] = "exception", [TK_MODE] = "mode",
    [TK_PAGEFAULT] = "pagefault", [TK_VMEXIT] = "vmexit", [TK_VMENTRY] = "vmentry",
    [TK_HYPERCALL] = "hypercall", [TK_EVTCHN] = "evtchn", [TK_GRANT] = "grant",
    [TK_P2M] = "p2m", [TK_PIO] = "pio", [TK_MMIO] = "mmio", [TK_TIMER_SET] = "timer-set",
    [TK_TIMER_FIRE] = "timer-fire", [TK_CONSOLE] = "console", [TK_XENSTORE] = "xenstore",
};

static const uint8_t kind_class[TK_COUNT] = {
    [TK_INSN] = TC_INSN, [TK_EXCEPTION] = TC_EXCEPTION, [TK_MODE] = TC_MODE,
    [TK_PAGEFAULT] = TC_PAGEFAULT, [TK_VMEXIT] = TC_VMEXIT, [TK_VMENTRY] = TC_VMEXIT,
    [TK_HYPERCALL] = TC_HYPERCALL, [TK_EVTCHN] = TC_EVTCHN, [TK_GRANT] = TC_GRANT,
    [TK_P2M] = TC_P2M, [TK_PIO] = TC_IO, [TK_MMIO] = TC_IO, [TK_TIMER_SET] = TC_TIMER,
    [TK_TIMER_FIRE] = TC_TIMER, [TK_CONSOLE] = TC_CONSOLE, [TK_XENSTORE] = TC_XENSTORE,
};

static const char *const model_names[TM_COUNT] = { "PVH", "HVM", "PV", "bare" };

/* SDM Vol.3A Table 6-1 mnemonics. */
static const char *const vector_names[] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS",
    "#NP", "#SS", "#GP", "#PF", NULL, "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

/* SDM Vol.3C Table C-1, basic exit reasons. */
static const char *const exit_names[] = {
    [0] = "Exception or non-maskable interrupt (NMI)",
    [1] = "External interrupt",
    [2] = "Triple fault",
    [3] = "INIT signal",
    [4] = "Start-up IPI (SIPI)",
    [5] = "I/O system-management interrupt (SMI)",
    [6] = "Other SMI",
    [7] = "Interrupt window",
    [8] = "NMI window",
    [9] = "Task switch",
    [10] = "CPUID", [11] = "GETSEC", [12] = "HLT", [13] = "INVD", [14] = "INVLPG",
    [15] = "RDPMC", [16] = "RDTSC", [17] = "RSM", [18] = "VMCALL", [19] = "VMCLEAR",
    [20] = "VMLAUNCH", [21] = "VMPTRLD", [22] = "VMPTRST", [23] = "VMREAD",
    [24] = "VMRESUME", [25] = "VMWRITE", [26] = "VMXOFF", [27] = "VMXON",
    [28] = "Control-register accesses",
    [29] = "MOV DR",
    [30] = "I/O instruction",
    [31] = "RDMSR", [32] = "WRMSR",
    [33] = "VM-entry failure due to invalid guest state",
    [34] = "VM-entry failure due to MSR loading",
    [36] = "MWAIT",
    [37] = "Monitor trap flag",
    [39] = "MONITOR", [40] = "PAUSE",
    [41] = "VM-entry failure due to machine-check event",
    [43] = "TPR below threshold",
    [44] = "APIC access",
    [45] = "Virtualized EOI",
    [46] = "Access to GDTR or IDTR",
    [47] = "Access to LDTR or TR",
    [48] = "EPT violation",
    [49] = "EPT misconfiguration",
    [50] = "INVEPT", [51] = "RDTSCP",
    [52] = "VMX-preemption timer expired",
    [53] = "INVVPID",
    [54] = "WBINVD or WBNOINVD",
    [55] = "XSETBV",
    [56] = "APIC write",
    [57] = "RDRAND", [58] = "INVPCID", [59] = "VMFUNC", [60] = "ENCLS", [61] = "RDSEED",
    [62] = "Page-modification log full",
    [63] = "XSAVES", [64] = "XRSTORS", [65] = "PCONFIG",
    [66] = "SPP-related event",
    [67] = "UMWAIT", [68] = "TPAUSE", [69] = "LOADIWKEY", [70] = "ENCLV",
    [72] = "ENQCMD PASID translation failure",
    [73] = "ENQCMDS PASID translation failure",
    [74] = "Bus lock",
    [75] = "Instruction timeout",
};

/* xen/include/public/xen.h, __HYPERVISOR_*. */
static const char *const hypercall_names[] = {
    [0] = "set_trap_table", [1] = "mmu_update", [2] = "set_gdt", [3] = "stack_switch",
    [4] = "set_callbacks", [5] = "fpu_taskswitch", [6] = "sched_op_compat",
    [7] = "platform_op", [8] = "set_debugreg", [9] = "get_debugreg",
    [10] = "update_descriptor", [12] = "memory_op", [13] = "multicall",
    [14] = "update_va_mapping", [15] = "set_timer_op", [16] = "event_channel_op_compat",
    [17] = "xen_version", [18] = "console_io", [19] = "physdev_op_compat",
    [20] = "grant_table_op", [21] = "vm_assist", [22] = "update_va_mapping_otherdomain",
    [23] = "iret", [24] = "vcpu_op", [25] = "set_segment_base", [26] = "mmuext_op",
    [27] = "xsm_op", [28] = "nmi_op", [29] = "sched_op", [30] = "callback_op",
    [31] = "xenoprof_op", [32] = "event_channel_op", [33] = "physdev_op", [34] = "hvm_op",
    [35] = "sysctl", [36] = "domctl", [37] = "kexec_op", [38] = "tmem_op", [39] = "argo_op",
    [40] = "xenpmu_op", [41] = "dm_op", [42] = "hypfs_op",
    [48] = "arch_0", [49] = "mca", [50] = "arch_2", [51] = "arch_3", [52] = "arch_4",
    [53] = "arch_5", [54] = "arch_6", [55] = "arch_7",
};

/* Sub-operations: SCHEDOP_*, EVTCHNOP_*, XENMEM_*, GNTTABOP_*, VCPUOP_*,
 * HVMOP_*, PHYSDEVOP_*, XENVER_*, CONSOLEIO_*. */
static const char *const sched_ops[] = {
    "yield", "block", "shutdown", "poll", "remote_shutdown", "shutdown_code", "watchdog",
    "pin_override",
};
static const char *const evtchn_ops[] = {
    "bind_interdomain", "bind_virq", "bind_pirq", "close", "send", "status", "alloc_unbound",
    "bind_ipi", "bind_vcpu", "unmask", "reset", "init_control", "expand_array",
    "set_priority", "reset_cont",
};
static const char *const memory_ops[] = {
    [0] = "increase_reservation", [1] = "decrease_reservation", [2] = "maximum_ram_page",
    [3] = "current_reservation", [4] = "maximum_reservation", [5] = "machphys_mfn_list",
    [6] = "populate_physmap", [7] = "add_to_physmap", [8] = "machphys_mapping",
    [9] = "memory_map", [10] = "machine_memory_map", [11] = "exchange",
    [12] = "machphys_compat_mfn_list", [13] = "set_memory_map", [14] = "maximum_gpfn",
    [15] = "remove_from_physmap", [16] = "set_pod_target", [17] = "get_pod_target",
    [18] = "get_sharing_freed_pages", [19] = "get_sharing_shared_pages",
    [23] = "add_to_physmap_batch", [26] = "get_vnumainfo", [28] = "reserved_device_memory_map",
    [29] = "acquire_resource", [30] = "get_sharing_freed_pages",
};
static const char *const gnttab_ops[] = {
    "map_grant_ref", "unmap_grant_ref", "setup_table", "dump_table", "transfer", "copy",
    "query_size", "unmap_and_replace", "set_version", "get_status_frames", "get_version",
    "swap_grant_ref", "cache_flush",
};
static const char *const vcpu_ops[] = {
    "initialise", "up", "down", "is_up", "get_runstate_info", "register_runstate_memory_area",
    "set_periodic_timer", "stop_periodic_timer", "set_singleshot_timer",
    "stop_singleshot_timer", "register_vcpu_info", "send_nmi", "get_physid",
    "register_vcpu_time_memory_area",
};
static const char *const hvm_ops[] = {
    [HVMOP_set_param] = "set_param", [HVMOP_get_param] = "get_param",
    [HVMOP_set_pci_intx_level] = "set_pci_intx_level", [HVMOP_set_isa_irq_level] = "set_isa_irq_level",
    [HVMOP_set_pci_link_route] = "set_pci_link_route", [HVMOP_flush_tlbs] = "flush_tlbs",
    [HVMOP_pagetable_dying] = "pagetable_dying", [HVMOP_get_time] = "get_time",
    [HVMOP_xentrace] = "xentrace", [HVMOP_set_mem_access] = "set_mem_access",
    [HVMOP_get_mem_access] = "get_mem_access", [HVMOP_get_mem_type] = "get_mem_type",
    [HVMOP_inject_msi] = "inject_msi", [HVMOP_set_evtchn_upcall_vector] = "set_evtchn_upcall_vector",
    [HVMOP_guest_request_vm_event] = "guest_request_vm_event", [HVMOP_altp2m] = "altp2m",
};
static const char *const physdev_ops[] = {
    [0] = "eoi", [1] = "irq_status_query", [2] = "set_iopl", [3] = "set_iobitmap",
    [4] = "apic_read", [5] = "apic_write", [6] = "alloc_irq_vector", [7] = "free_irq_vector",
    [8] = "irq_unmask_notify", [12] = "unmap_pirq", [13] = "map_pirq",
    [14] = "manage_pci_add", [15] = "manage_pci_remove", [16] = "restore_msi",
    [17] = "pirq_eoi_gmfn_v1", [18] = "setup_gsi", [19] = "get_free_pirq",
    [20] = "manage_pci_add_ext", [21] = "pci_mmcfg_reserved", [22] = "pirq_eoi_gmfn_v2",
    [25] = "pci_device_add", [26] = "pci_device_remove", [27] = "restore_msi_ext",
    [29] = "dbgp_op", [30] = "pci_device_reset",
};
static const char *const xenver_ops[] = {
    [0] = "version", [1] = "extraversion", [2] = "compile_info", [3] = "capabilities",
    [4] = "changeset", [5] = "platform_parameters", [6] = "get_features",
    [7] = "pagesize", [8] = "guest_handle", [9] = "commandline", [10] = "build_id",
};
static const char *const console_ops[] = { "write", "read" };

#define NAME_AT(tab, i) ((i) < COUNT(tab) ? (tab)[i] : NULL)

const char *trace_class_name(unsigned c)
{
    return NAME_AT(class_names, c);
}

const char *trace_kind_name(unsigned kind)
{
    return NAME_AT(kind_names, kind);
}

unsigned trace_kind_class(unsigned kind)
{
    return kind < TK_COUNT ? kind_class[kind] : TC_COUNT;
}

const char *trace_model_name(unsigned model)
{
    return NAME_AT(model_names, model);
}

const char *trace_vector_name(unsigned vector)
{
    return NAME_AT(vector_names, vector);
}

const char *trace_exit_reason_name(unsigned reason)
{
    return NAME_AT(exit_names, reason & 0xffff);
}

const char *trace_hypercall_name(unsigned nr)
{
    return NAME_AT(hypercall_names, nr);
}

const char *trace_hypercall_subop_name(unsigned nr, unsigned op)
{
    switch (nr) {
    case 6: case 29: return NAME_AT(sched_ops, op);
    case 16: case 32: return NAME_AT(evtchn_ops, op);
    case 12: return NAME_AT(memory_ops, op & 0x3f);   /* XENMEMOP_CMD_MASK */
    case 20: return NAME_AT(gnttab_ops, op);
    case 24: return NAME_AT(vcpu_ops, op);
    case 34: return NAME_AT(hvm_ops, op);
    case 19: case 33: return NAME_AT(physdev_ops, op);
    case 17: return NAME_AT(xenver_ops, op);
    case 18: return NAME_AT(console_ops, op);
    default: return NULL;
    }
}

static int class_by_name(const char *s, size_t n, uint32_t *mask)
{
    if (n == 3 && strncmp(s, "all", 3) == 0) {
        *mask |= TRACE_ALL;
        return 0;
    }
    for (unsigned c = 0; c < TC_COUNT; c++)
        if (strlen(class_names[c]) == n && strncmp(class_names[c], s, n) == 0) {
            *mask |= 1u << c;
            return 0;
        }
    return -1;
}

int trace_parse_classes(const char *list, uint32_t *mask, char *err, size_t errlen)
{
    uint32_t m = 0;
    const char *s = list;
    for (;;) {
        const char *e = strchr(s, ',');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (class_by_name(s, n, &m) < 0) {
            snprintf(err, errlen, "--trace class '%.*s' is unknown (use insn, exception, mode, pagefault, "
                     "vmexit, hypercall, evtchn, grant, p2m, io, timer, console, xenstore or all)",
                     (int)(n > 32 ? 32 : n), s);
            return -1;
        }
        if (!e)
            break;
        s = e + 1;
    }
    *mask = m;
    return 0;
}
