/* Core Xen ABI for x86-64 guests: hypercall numbers, domain ids, VIRQs,
 * vm_assist, console_io, and the shared_info page with its vcpu_info
 * (xen/include/public/xen.h, arch-x86/xen.h, arch-x86/xen-x86_64.h). */
#ifndef XEN_ABI_XEN_H
#define XEN_ABI_XEN_H

#include <stddef.h>
#include <stdint.h>

typedef uint16_t domid_t;
typedef uint64_t xen_pfn_t;
typedef uint64_t xen_ulong_t;
typedef int64_t xen_long_t;
/* A guest handle is a guest virtual address on x86-64 HVM/PVH. */
typedef uint64_t xen_guest_handle_t;

/* Hypercall numbers (public/xen.h). */
enum {
    __HYPERVISOR_set_trap_table = 0,
    __HYPERVISOR_mmu_update = 1,
    __HYPERVISOR_set_gdt = 2,
    __HYPERVISOR_stack_switch = 3,
    __HYPERVISOR_set_callbacks = 4,
    __HYPERVISOR_fpu_taskswitch = 5,
    __HYPERVISOR_sched_op_compat = 6,
    __HYPERVISOR_platform_op = 7,
    __HYPERVISOR_set_debugreg = 8,
    __HYPERVISOR_get_debugreg = 9,
    __HYPERVISOR_update_descriptor = 10,
    __HYPERVISOR_memory_op = 12,
    __HYPERVISOR_multicall = 13,
    __HYPERVISOR_update_va_mapping = 14,
    __HYPERVISOR_set_timer_op = 15,
    __HYPERVISOR_event_channel_op_compat = 16,
    __HYPERVISOR_xen_version = 17,
    __HYPERVISOR_console_io = 18,
    __HYPERVISOR_physdev_op_compat = 19,
    __HYPERVISOR_grant_table_op = 20,
    __HYPERVISOR_vm_assist = 21,
    __HYPERVISOR_update_va_mapping_otherdomain = 22,
    __HYPERVISOR_iret = 23,
    __HYPERVISOR_vcpu_op = 24,
    __HYPERVISOR_set_segment_base = 25,
    __HYPERVISOR_mmuext_op = 26,
    __HYPERVISOR_xsm_op = 27,
    __HYPERVISOR_nmi_op = 28,
    __HYPERVISOR_sched_op = 29,
    __HYPERVISOR_callback_op = 30,
    __HYPERVISOR_xenoprof_op = 31,
    __HYPERVISOR_event_channel_op = 32,
    __HYPERVISOR_physdev_op = 33,
    __HYPERVISOR_hvm_op = 34,
    __HYPERVISOR_sysctl = 35,
    __HYPERVISOR_domctl = 36,
    __HYPERVISOR_kexec_op = 37,
    __HYPERVISOR_tmem_op = 38,
    __HYPERVISOR_argo_op = 39,
    __HYPERVISOR_xenpmu_op = 40,
    __HYPERVISOR_dm_op = 41,
    __HYPERVISOR_hypfs_op = 42,
    __HYPERVISOR_arch_0 = 48,
    __HYPERVISOR_arch_7 = 55,
};
/* Size of xenemu's dispatch table: every number below it is looked up. */
#define XEN_NR_HYPERCALLS 64

/* Reserved domain ids (public/xen.h). */
#define DOMID_FIRST_RESERVED 0x7FF0u
#define DOMID_SELF           0x7FF0u
#define DOMID_IO             0x7FF1u
#define DOMID_XEN            0x7FF2u
#define DOMID_COW            0x7FF3u
#define DOMID_INVALID        0x7FF4u
#define DOMID_IDLE           0x7FFFu

/* Virtual interrupts (public/xen.h). */
enum {
    VIRQ_TIMER = 0, VIRQ_DEBUG = 1, VIRQ_CONSOLE = 2, VIRQ_DOM_EXC = 3,
    VIRQ_TBUF = 4, VIRQ_DEBUGGER = 6, VIRQ_XENOPROF = 7, VIRQ_CON_RING = 8,
    VIRQ_PCPU_STATE = 9, VIRQ_MEM_EVENT = 10, VIRQ_ARGO = 11, VIRQ_ENOMEM = 12,
    VIRQ_XENPMU = 13, VIRQ_ARCH_0 = 16, VIRQ_ARCH_7 = 23, NR_VIRQS = 24,
};

/* vm_assist commands and types (public/xen.h). */
#define VMASST_CMD_enable                0
#define VMASST_CMD_disable               1
#define VMASST_TYPE_4gb_segments         0
#define VMASST_TYPE_4gb_segments_notify  1
#define VMASST_TYPE_writable_pagetables  2
#define VMASST_TYPE_pae_extended_cr3     3
#define VMASST_TYPE_architectural_iopl   4
#define VMASST_TYPE_runstate_update_flag 5
#define VMASST_TYPE_m2p_strict           32

/* console_io sub-ops (public/xen.h): RDI = cmd, RSI = count, RDX = buffer. */
#define CONSOLEIO_write 0
#define CONSOLEIO_read  1

/* multicall entry (public/xen.h), 64 bytes. */
struct multicall_entry {
    xen_ulong_t op;
    xen_long_t result;
    xen_ulong_t args[6];
};

/* Per-vCPU time record, "pvclock" (public/xen.h), 32 bytes. */
struct vcpu_time_info {
    uint32_t version;       /* odd while Xen updates the record */
    uint32_t pad0;
    uint64_t tsc_timestamp; /* guest TSC at the last update */
    uint64_t system_time;   /* ns at tsc_timestamp */
    uint32_t tsc_to_system_mul;
    int8_t tsc_shift;
    uint8_t flags;          /* XEN_PVCLOCK_* */
    uint8_t pad1[2];
};
#define XEN_PVCLOCK_TSC_STABLE_BIT (1u << 0)
#define XEN_PVCLOCK_GUEST_STOPPED  (1u << 1)

/* x86-64 arch part of vcpu_info (arch-x86/xen-x86_64.h), 16 bytes. */
struct arch_vcpu_info {
    uint64_t cr2;
    uint64_t pad;
};

/* vcpu_info (public/xen.h), 64 bytes. */
struct vcpu_info {
    uint8_t evtchn_upcall_pending;
    uint8_t evtchn_upcall_mask;
    uint8_t pad0[6];
    xen_ulong_t evtchn_pending_sel;
    struct arch_vcpu_info arch;
    struct vcpu_time_info time;
};

/* Wall clock at system time 0 (public/xen.h), 12 bytes. */
struct xen_wall_clock {
    uint32_t version;
    uint32_t sec;
    uint32_t nsec;
};

/* x86-64 arch part of shared_info (arch-x86/xen.h), 48 bytes. */
struct arch_shared_info {
    uint64_t max_pfn;
    xen_pfn_t pfn_to_mfn_frame_list_list;
    uint64_t nmi_reason;
    uint64_t p2m_cr3;
    uint64_t p2m_vaddr;
    uint64_t p2m_generation;
};

#define XEN_LEGACY_MAX_VCPUS 32
/* 2-level event channels: 64 words of 64 bits = 4096 ports. */
#define XEN_EVTCHN_2L_WORDS 64
#define EVTCHN_2L_NR_CHANNELS (XEN_EVTCHN_2L_WORDS * 64)

/* shared_info (public/xen.h), 3136 bytes on x86-64. */
struct shared_info {
    struct vcpu_info vcpu_info[XEN_LEGACY_MAX_VCPUS];
    xen_ulong_t evtchn_pending[XEN_EVTCHN_2L_WORDS];
    xen_ulong_t evtchn_mask[XEN_EVTCHN_2L_WORDS];
    struct xen_wall_clock wc;
    uint32_t wc_sec_hi;
    struct arch_shared_info arch;
};

_Static_assert(sizeof(struct multicall_entry) == 64, "multicall_entry");
_Static_assert(sizeof(struct vcpu_time_info) == 32, "vcpu_time_info size");
_Static_assert(offsetof(struct vcpu_time_info, version) == 0, "version");
_Static_assert(offsetof(struct vcpu_time_info, tsc_timestamp) == 8, "tsc_timestamp");
_Static_assert(offsetof(struct vcpu_time_info, system_time) == 16, "system_time");
_Static_assert(offsetof(struct vcpu_time_info, tsc_to_system_mul) == 24, "mul");
_Static_assert(offsetof(struct vcpu_time_info, tsc_shift) == 28, "tsc_shift");
_Static_assert(offsetof(struct vcpu_time_info, flags) == 29, "flags");
_Static_assert(sizeof(struct arch_vcpu_info) == 16, "arch_vcpu_info");
_Static_assert(sizeof(struct vcpu_info) == 64, "vcpu_info size");
_Static_assert(offsetof(struct vcpu_info, evtchn_upcall_pending) == 0, "upcall_pending");
_Static_assert(offsetof(struct vcpu_info, evtchn_upcall_mask) == 1, "upcall_mask");
_Static_assert(offsetof(struct vcpu_info, evtchn_pending_sel) == 8, "pending_sel");
_Static_assert(offsetof(struct vcpu_info, arch) == 16, "vcpu_info.arch");
_Static_assert(offsetof(struct vcpu_info, time) == 32, "vcpu_info.time");
_Static_assert(sizeof(struct xen_wall_clock) == 12, "wall_clock size");
_Static_assert(sizeof(struct arch_shared_info) == 48, "arch_shared_info");
_Static_assert(sizeof(struct shared_info) == 3136, "shared_info size");
_Static_assert(offsetof(struct shared_info, evtchn_pending) == 2048, "evtchn_pending");
_Static_assert(offsetof(struct shared_info, evtchn_mask) == 2560, "evtchn_mask");
_Static_assert(offsetof(struct shared_info, wc) == 3072, "wc");
_Static_assert(offsetof(struct shared_info, wc.sec) == 3076, "wc.sec");
_Static_assert(offsetof(struct shared_info, wc.nsec) == 3080, "wc.nsec");
_Static_assert(offsetof(struct shared_info, wc_sec_hi) == 3084, "wc_sec_hi");
_Static_assert(offsetof(struct shared_info, arch) == 3088, "shared_info.arch");

#endif
