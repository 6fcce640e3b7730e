/* HVM parameter indices for HVMOP_{set,get}_param (public/hvm/params.h). */
#ifndef XEN_ABI_HVM_PARAMS_H
#define XEN_ABI_HVM_PARAMS_H

#include "hvm_op.h"

/* CALLBACK_IRQ: bits 63:56 the type, the rest depends on it; 0 = none. */
#define HVM_PARAM_CALLBACK_IRQ 0
#define HVM_PARAM_CALLBACK_IRQ_TYPE_SHIFT 56
#define HVM_PARAM_CALLBACK_IRQ_TYPE_MASK  0xFF00000000000000ull
#define HVM_PARAM_CALLBACK_TYPE_GSI      0  /* val[55:0] = GSI */
#define HVM_PARAM_CALLBACK_TYPE_PCI_INTX 1  /* dom[47:32] bus[31:16] devfn[15:8] intx[1:0] */
#define HVM_PARAM_CALLBACK_TYPE_VECTOR   2  /* val[7:0] = vector */
#define HVM_CALLBACK_VECTOR(v) \
    (((uint64_t)HVM_PARAM_CALLBACK_TYPE_VECTOR << HVM_PARAM_CALLBACK_IRQ_TYPE_SHIFT) | (v))

#define HVM_PARAM_STORE_PFN              1
#define HVM_PARAM_STORE_EVTCHN           2
#define HVM_PARAM_PAE_ENABLED            4
#define HVM_PARAM_IOREQ_PFN              5
#define HVM_PARAM_BUFIOREQ_PFN           6
#define HVM_PARAM_VIRIDIAN               9
#define HVM_PARAM_TIMER_MODE             10
#define HVM_PARAM_HPET_ENABLED           11
#define HVM_PARAM_IDENT_PT               12
#define HVM_PARAM_DM_DOMAIN              13
#define HVM_PARAM_ACPI_S_STATE           14
#define HVM_PARAM_VM86_TSS               15
#define HVM_PARAM_VPT_ALIGN              16
#define HVM_PARAM_CONSOLE_PFN            17
#define HVM_PARAM_CONSOLE_EVTCHN         18
#define HVM_PARAM_ACPI_IOPORTS_LOCATION  19
#define HVM_PARAM_MEMORY_EVENT_CR0       20  /* deprecated */
#define HVM_PARAM_MEMORY_EVENT_CR3       21  /* deprecated */
#define HVM_PARAM_MEMORY_EVENT_CR4       22  /* deprecated */
#define HVM_PARAM_MEMORY_EVENT_INT3      23  /* deprecated */
#define HVM_PARAM_NESTEDHVM              24
#define HVM_PARAM_MEMORY_EVENT_SINGLE_STEP 25 /* deprecated */
#define HVM_PARAM_BUFIOREQ_EVTCHN        26
#define HVM_PARAM_PAGING_RING_PFN        27
#define HVM_PARAM_MONITOR_RING_PFN       28
#define HVM_PARAM_SHARING_RING_PFN       29
#define HVM_PARAM_MEMORY_EVENT_MSR       30  /* deprecated */
#define HVM_PARAM_TRIPLE_FAULT_REASON    31
#define HVM_PARAM_IOREQ_SERVER_PFN       32
#define HVM_PARAM_NR_IOREQ_SERVER_PAGES  33
#define HVM_PARAM_VM_GENERATION_ID_ADDR  34
#define HVM_PARAM_ALTP2M                 35
#define HVM_PARAM_X87_FIP_WIDTH          36
#define HVM_PARAM_VM86_TSS_SIZED         37
#define HVM_PARAM_MCA_CAP                38
#define HVM_NR_PARAMS                    39

/* TIMER_MODE values. */
#define HVMPTM_delay_for_missed_ticks    0
#define HVMPTM_no_delay_for_missed_ticks 1
#define HVMPTM_no_missed_ticks_pending   2
#define HVMPTM_one_missed_tick_pending   3

#endif
