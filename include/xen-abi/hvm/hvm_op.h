/* hvm_op hypercall (34) sub-ops and arguments (public/hvm/hvm_op.h). */
#ifndef XEN_ABI_HVM_HVM_OP_H
#define XEN_ABI_HVM_HVM_OP_H

#include <stddef.h>
#include <stdint.h>

#include "../xen.h"

#define HVMOP_set_param                 0
#define HVMOP_get_param                 1
#define HVMOP_set_pci_intx_level        2
#define HVMOP_set_isa_irq_level         3
#define HVMOP_set_pci_link_route        4
#define HVMOP_flush_tlbs                5
#define HVMOP_pagetable_dying           9
#define HVMOP_get_time                  10
#define HVMOP_xentrace                  11
#define HVMOP_set_mem_access            12
#define HVMOP_get_mem_access            13
#define HVMOP_get_mem_type              15
#define HVMOP_inject_msi                16
#define HVMOP_set_evtchn_upcall_vector  23
#define HVMOP_guest_request_vm_event    24
#define HVMOP_altp2m                    25

struct xen_hvm_param {
    domid_t domid;
    uint8_t pad[2];
    uint32_t index;
    uint64_t value;
};

struct xen_hvm_pagetable_dying {
    domid_t domid;
    uint8_t pad[6];
    uint64_t gpa;      /* top-level page table that is going away */
};

struct xen_hvm_get_time {
    uint64_t now;      /* system time, ns */
};

struct xen_hvm_get_mem_type {
    domid_t domid;
    uint16_t mem_type; /* OUT: HVMMEM_* */
    uint16_t pad[2];
    uint64_t pfn;
};
#define HVMMEM_ram_rw  0
#define HVMMEM_ram_ro  1
#define HVMMEM_mmio_dm 2

struct xen_hvm_evtchn_upcall_vector {
    uint32_t vcpu;
    uint8_t vector;
    uint8_t pad[3];
};

_Static_assert(sizeof(struct xen_hvm_param) == 16, "xen_hvm_param");
_Static_assert(offsetof(struct xen_hvm_param, index) == 4, "index");
_Static_assert(offsetof(struct xen_hvm_param, value) == 8, "value");
_Static_assert(sizeof(struct xen_hvm_pagetable_dying) == 16, "pagetable_dying");
_Static_assert(offsetof(struct xen_hvm_pagetable_dying, gpa) == 8, "gpa");
_Static_assert(sizeof(struct xen_hvm_get_time) == 8, "get_time");
_Static_assert(sizeof(struct xen_hvm_get_mem_type) == 16, "get_mem_type");
_Static_assert(offsetof(struct xen_hvm_get_mem_type, pfn) == 8, "pfn");
_Static_assert(sizeof(struct xen_hvm_evtchn_upcall_vector) == 8, "upcall_vector");
_Static_assert(offsetof(struct xen_hvm_evtchn_upcall_vector, vector) == 4, "vector");

#endif
