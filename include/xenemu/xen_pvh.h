/* A PVH domain on the emulated Xen host: the domain builder
 * (src/xen/pvh_build.c), the VM-exit handler (src/xen/pvh_exit.c) and the
 * scheduling of its vCPUs in VMX non-root mode (src/xen/pvh_vcpu.c). The
 * machine around it (src/cli/xen_run.c) owns the terminal, files, devices
 * and the run loop. */
#ifndef XENEMU_XEN_PVH_H
#define XENEMU_XEN_PVH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xenemu/machine.h"
#include "xenemu/p2m.h"
#include "xenemu/vmx.h"
#include "xenemu/xen.h"

/* The domain's id as xl would give the first domU. */
#define XEN_PVH_DOMID 1
/* Where Xen's toolstack puts the special pages: just below 0xff000000
 * (special_pfn() in tools/libs/guest/xg_dom_x86.c: xenstore 4, console 7). */
#define XEN_PVH_SPECIAL_BASE 0xfeff0000ull
#define XEN_PVH_SPECIAL_SIZE 0x10000ull
#define XEN_PVH_STORE_GFN (0xff000ull - 1 - 4)
#define XEN_PVH_CONSOLE_GFN (0xff000ull - 1 - 7)
/* ACPI tables (reserved for the guest as ACPI data). */
#define XEN_PVH_ACPI_BASE 0xfc000000ull
#define XEN_PVH_ACPI_SIZE 0x10000ull
/* hvm_start_info, its memory map, module list and command line. */
#define XEN_PVH_START_INFO 0x6000ull
/* RAM above this moves past 4 GiB, leaving room for the pages above. */
#define XEN_PVH_LOW_RAM_TOP 0xe0000000ull
/* Largest guest: RAM must stay below the P2M hole (include/xenemu/p2m.h). */
#define XEN_PVH_MAX_MEMORY (256ull << 30)
/* Virtual TSC frequency (TSC = 2 x retired instructions). */
#define XEN_PVH_TSC_HZ 2000000000ull
/* Exit status of a run the machine cannot continue (DESIGN.md). */
#define XEN_PVH_EXIT_STUCK 4

/* Wall clock at system time 0 (2026-01-01T00:00:00Z): fixed, so that runs
 * are deterministic (DESIGN.md). */
#define XEN_PVH_WALLCLOCK_NS (1767225600ull * 1000000000ull)

typedef enum {
    PVH_VCPU_DOWN,        /* not started, or HLT with interrupts off */
    PVH_VCPU_RUNNING,     /* in VMX non-root operation or between exits */
    PVH_VCPU_WAIT_SIPI,   /* an AP waiting for its local APIC's STARTUP IPI */
} pvh_vcpu_state_t;

typedef struct xen_pvh_vcpu {
    cpu_t *cpu;
    xen_vcpu_t *v;
    uint64_t vmcs;              /* host-physical address of its VMCS */
    pvh_vcpu_state_t state;
    bool in_guest;              /* entered and not exited: a kick is needed to inject */
    uint64_t idle_insns;        /* virtual time spent idle, in instructions' worth */
} xen_pvh_vcpu_t;

/* What the builder needs beyond the loaded kernel. */
typedef struct xen_pvh_config {
    uint64_t entry;             /* XEN_ELFNOTE_PHYS32_ENTRY */
    const char *cmdline;
    uint64_t initrd_paddr, initrd_size;   /* size 0: none */
    uint64_t wallclock_ns;      /* wall time at system time 0 */
} xen_pvh_config_t;

typedef struct xen_pvh {
    machine_t *m;
    xen_domain_t *dom;          /* heap: the grant frames live inside it */
    xen_p2m_t p2m;
    uint64_t mem_bytes;
    xen_pvh_vcpu_t vcpu[MACHINE_MAX_CPUS];
    uint64_t vmxon_region, msr_bitmap, shared_info_hpa;
    evtchn_port_t console_bport, store_bport;   /* backend ends of the rings' channels */
    /* The machine's backends: drain the rings (the guest yielded or sent). */
    void (*poll_backends)(void *ctx);
    void *backend_ctx;
    /* Port I/O the guest's I/O exits reach (the machine's device bus). */
    bool (*pio)(void *ctx, uint16_t port, unsigned size, bool write, uint32_t *val);
    void *pio_ctx;
    /* How the run ended: an exit status (DESIGN.md) or -1 while it runs. */
    int status;
    const char *why;
    cpu_t *why_cpu;             /* for the register dump of status 4 */
} xen_pvh_t;

/* Adds the domain's RAM (below XEN_PVH_LOW_RAM_TOP, the rest above 4 GiB),
 * the ACPI and special-page areas and the P2M to the machine. 0, or -1 with
 * a one-line reason. */
int xen_pvh_setup_memory(xen_pvh_t *h, machine_t *m, uint64_t mem_bytes, char *err, size_t errlen);
/* With the kernel and initrd loaded: builds the domain (start info, ACPI,
 * special pages with their event channels and HVM params, P2M hooks) and
 * the boot vCPU's VMCS in the PVH entry state. 0, or -1 with a reason. */
int xen_pvh_build(xen_pvh_t *h, const xen_pvh_config_t *cfg, char *err, size_t errlen);
void xen_pvh_destroy(xen_pvh_t *h);

/* Host pointers to the console and xenstore rings. */
void *xen_pvh_console_ring(xen_pvh_t *h);
void *xen_pvh_store_ring(xen_pvh_t *h);

/* Runs vCPU i until virtual time `end` (retired instructions) or until the
 * run ends (h->status >= 0). A blocked or halted vCPU idles to its next
 * event or to `end`. */
void xen_pvh_run_vcpu(xen_pvh_t *h, int i, uint64_t end);
/* One instruction of vCPU i (or the VM exit it causes), or its idling up
 * to `end`: for a debugger stepping the guest. */
void xen_pvh_step_vcpu(xen_pvh_t *h, int i, uint64_t end);
/* When every vCPU idles: the earliest virtual time at which one can wake
 * (now if one can run), UINT64_MAX when none ever can. */
uint64_t xen_pvh_next_wakeup(xen_pvh_t *h, uint64_t now);

/* VM-exit handler (pvh_exit.c): handles one exit of vCPU hv. */
void xen_pvh_handle_exit(xen_pvh_t *h, xen_pvh_vcpu_t *hv, const vmx_exit_t *e);
/* Ends the run with status, the reason, and the vCPU to dump (or NULL). */
void xen_pvh_stop(xen_pvh_t *h, int status, const char *why, cpu_t *cpu);

/* The current VMCS of a vCPU (each vCPU has its own VMXON and VMCS). */
uint64_t xen_pvh_vmread(cpu_t *cpu, uint32_t field);
void xen_pvh_vmwrite(cpu_t *cpu, uint32_t field, uint64_t val);
/* INIT reached vCPU hv (a VM exit, or while it is down): it waits for
 * STARTUP, or starts at one that came with the INIT. */
void xen_pvh_vcpu_init_signal(xen_pvh_vcpu_t *hv);
/* Puts an AP that received INIT and SIPI into non-root operation at the
 * real-mode state its local APIC left (pvh_build.c). 0 or -1. */
int xen_pvh_start_ap(xen_pvh_t *h, xen_pvh_vcpu_t *hv);

#endif
