/* vcpu_op hypercall (24): RDI = cmd, RSI = vcpu id, RDX = arg
 * (public/vcpu.h). */
#ifndef XEN_ABI_VCPU_H
#define XEN_ABI_VCPU_H

#include <stddef.h>
#include <stdint.h>

#include "xen.h"

#define VCPUOP_initialise                     0
#define VCPUOP_up                             1
#define VCPUOP_down                           2
#define VCPUOP_is_up                          3
#define VCPUOP_get_runstate_info              4
#define VCPUOP_register_runstate_memory_area  5
#define VCPUOP_set_periodic_timer             6
#define VCPUOP_stop_periodic_timer            7
#define VCPUOP_set_singleshot_timer           8
#define VCPUOP_stop_singleshot_timer          9
#define VCPUOP_register_vcpu_info             10
#define VCPUOP_send_nmi                       11
#define VCPUOP_get_physid                     12
#define VCPUOP_register_vcpu_time_memory_area 13

#define RUNSTATE_running  0
#define RUNSTATE_runnable 1
#define RUNSTATE_blocked  2
#define RUNSTATE_offline  3
/* Set in state_entry_time while Xen updates a guest copy. */
#define XEN_RUNSTATE_UPDATE (1ull << 63)

struct vcpu_runstate_info {
    int32_t state;
    uint32_t pad;
    uint64_t state_entry_time;
    uint64_t time[4];
};

/* Argument of register_runstate_memory_area and
 * register_vcpu_time_memory_area: one guest virtual address. */
struct vcpu_register_runstate_memory_area {
    uint64_t addr;
};
struct vcpu_register_time_memory_area {
    uint64_t addr;
};

struct vcpu_set_periodic_timer {
    uint64_t period_ns;
};

struct vcpu_set_singleshot_timer {
    uint64_t timeout_abs_ns;
    uint32_t flags;
    uint32_t pad;
};
#define VCPU_SSHOTTMR_future (1u << 0) /* -ETIME if already past */

struct vcpu_register_vcpu_info {
    uint64_t mfn;     /* gfn of the page */
    uint32_t offset;  /* the 64-byte area must not cross the page */
    uint32_t rsvd;
};

struct vcpu_get_physid {
    uint64_t phys_id; /* APIC id in 31:0, ACPI id in 63:32 */
};

_Static_assert(sizeof(struct vcpu_runstate_info) == 48, "runstate_info");
_Static_assert(offsetof(struct vcpu_runstate_info, state_entry_time) == 8, "entry_time");
_Static_assert(offsetof(struct vcpu_runstate_info, time) == 16, "time");
_Static_assert(sizeof(struct vcpu_register_runstate_memory_area) == 8, "runstate area");
_Static_assert(sizeof(struct vcpu_register_time_memory_area) == 8, "time area");
_Static_assert(sizeof(struct vcpu_set_periodic_timer) == 8, "periodic");
_Static_assert(sizeof(struct vcpu_set_singleshot_timer) == 16, "singleshot");
_Static_assert(offsetof(struct vcpu_set_singleshot_timer, flags) == 8, "sshot flags");
_Static_assert(sizeof(struct vcpu_register_vcpu_info) == 16, "register_vcpu_info");
_Static_assert(offsetof(struct vcpu_register_vcpu_info, offset) == 8, "offset");
_Static_assert(offsetof(struct vcpu_register_vcpu_info, rsvd) == 12, "rsvd");
_Static_assert(sizeof(struct vcpu_get_physid) == 8, "get_physid");

#endif
