/* The PVH domain builder: guest RAM under an EPT P2M, the start of day a
 * PVH kernel expects (Xen's docs/misc/pvh.pandoc: 32-bit protected mode,
 * paging off, flat CS/DS/ES/SS, a 32-bit TSS, EBX = hvm_start_info), the
 * ACPI tables and special pages Xen's toolstack provides, and the VMCS of
 * each vCPU (SDM Vol.3C ch.25). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xenemu/acpi.h"
#include "xenemu/boot.h"
#include "xenemu/mmu.h"
#include <xen-abi/hvm_start_info.h>
#include "xenemu/xen_pvh.h"

/* Capability MSRs (SDM Vol.3C Appendix A). */
enum {
    MSR_VMX_PROCBASED2 = 0x48b, MSR_VMX_TRUE_PIN = 0x48d, MSR_VMX_TRUE_PROC = 0x48e,
    MSR_VMX_TRUE_EXIT = 0x48f, MSR_VMX_TRUE_ENTRY = 0x490,
};
#define PAT_DEFAULT 0x0007040600070406ull

/* Segment access rights (SDM Vol.3C §25.4.1). */
#define AR_CODE32 0xc09bu      /* execute/read, accessed, present, 32-bit, 4 KiB granularity */
#define AR_DATA32 0xc093u      /* read/write, accessed */
#define AR_TSS32_BUSY 0x008bu

uint64_t xen_pvh_vmread(cpu_t *cpu, uint32_t field)
{
    uint64_t v = 0;
    if (vmx_api_vmread(cpu, field, &v))
        return 0;
    return v;
}

void xen_pvh_vmwrite(cpu_t *cpu, uint32_t field, uint64_t val)
{
    vmx_api_vmwrite(cpu, field, val);
}

/* ---- guest memory as the hypercalls see it (struct xen_guest_mem_ops) ---- */

static int mem_read(void *ctx, uint64_t gva, void *buf, size_t len)
{
    return mmu_read_linear(ctx, gva, buf, len) ? -XEN_EFAULT : 0;
}

static int mem_write(void *ctx, uint64_t gva, const void *buf, size_t len)
{
    return mmu_write_linear(ctx, gva, buf, len) ? -XEN_EFAULT : 0;
}

static uint8_t *mem_gpa_ptr(void *ctx, uint64_t gpa, size_t len)
{
    xen_pvh_t *h = ctx;
    return xen_p2m_ptr(&h->p2m, gpa, len);
}

static const struct xen_guest_mem_ops guest_mem = { mem_read, mem_write, mem_gpa_ptr };

static uint64_t vcpu_tsc(void *ctx)
{
    return cpu_tsc(ctx);
}

/* ---- P2M hooks of memory_op (XENMEM_*) ---- */

/* The P2M changed: translations cached by every vCPU may be stale (what
 * INVEPT does on hardware). */
static void p2m_changed(xen_pvh_t *h)
{
    for (int i = 0; i < h->m->ncpu; i++)
        mmu_flush_all(h->m->cpu[i]);
}

/* Host-physical address of a hypervisor page given by host pointer. */
#define GNTTAB_HPA (P2M_PRIVATE_BASE + P2M_PRIVATE_SIZE)
#define GNTTAB_STATUS_HPA (GNTTAB_HPA + sizeof(((xen_gnttab_state_t *)0)->frames))

static uint64_t page_hpa(xen_pvh_t *h, const uint8_t *page)
{
    xen_gnttab_state_t *g = &h->dom->gnttab;
    const uint8_t *f = &g->frames[0][0], *s = &g->status[0][0];
    if (page >= f && page < f + sizeof g->frames)
        return GNTTAB_HPA + (uint64_t)(page - f);
    if (page >= s && page < s + sizeof g->status)
        return GNTTAB_STATUS_HPA + (uint64_t)(page - s);
    return 0;
}

static int hook_map_page(xen_domain_t *d, uint64_t gfn, uint8_t *page)
{
    xen_pvh_t *h = d->mem_ctx;
    uint64_t hpa = page ? page_hpa(h, page) : h->shared_info_hpa;
    if (!hpa || xen_p2m_map(&h->p2m, gfn, hpa))
        return -XEN_EINVAL;
    p2m_changed(h);
    return 0;
}

static int hook_remove(xen_domain_t *d, uint64_t gfn, uint32_t order)
{
    xen_pvh_t *h = d->mem_ctx;
    for (uint64_t i = 0; i < (1ull << order); i++)
        if (xen_p2m_remove(&h->p2m, gfn + i))
            return -XEN_EINVAL;
    p2m_changed(h);
    return 0;
}

/* Frames come back only where the machine has RAM behind them (the
 * identity frames a balloon gave up). */
static int hook_populate(xen_domain_t *d, uint64_t gfn, uint32_t order)
{
    xen_pvh_t *h = d->mem_ctx;
    uint64_t n = 1ull << order;
    if (((gfn + n) << 12) > P2M_IDENTITY_SPAN || !phys_ram_ptr(&h->m->mem, gfn << 12, n << 12))
        return -XEN_ENOMEM;
    for (uint64_t i = 0; i < n; i++)
        if (xen_p2m_reset(&h->p2m, gfn + i))
            return -XEN_ENOMEM;
    p2m_changed(h);
    return 0;
}

static int hook_send_virq(xen_domain_t *d, uint32_t vcpu, uint32_t virq)
{
    return xen_evtchn_raise_virq(d, vcpu, virq);
}

static bool hook_port_pending(xen_domain_t *d, uint32_t port)
{
    return xen_evtchn_port_pending(d, port);
}

/* An upcall became due on v: the per-vCPU vector goes to its local APIC
 * (Xen's vlapic_set_irq); the global callback vector is injected at the
 * next VM entry (pvh_vcpu.c). Either wakes a blocked vCPU. */
static void on_upcall(void *ctx, xen_vcpu_t *v)
{
    xen_pvh_t *h = ctx;
    if (v->upcall_vector)
        lapic_raise_irq(h->vcpu[v->id].cpu, v->upcall_vector);
    xen_vcpu_event_wake(v, UINT32_MAX);
}

/* Any port set pending ends a SCHEDOP_poll waiting on it, masked or not. */
static void on_pending(void *ctx, xen_vcpu_t *v, evtchn_port_t port)
{
    (void)ctx;
    xen_vcpu_event_wake(v, port);
}

/* ---- memory ---- */

int xen_pvh_setup_memory(xen_pvh_t *h, machine_t *m, uint64_t mem_bytes, char *err, size_t errlen)
{
    memset(h, 0, sizeof *h);
    h->m = m;
    h->status = -1;
    h->mem_bytes = mem_bytes;
    if (mem_bytes > XEN_PVH_MAX_MEMORY) {
        snprintf(err, errlen, "--memory: at most %llu GiB for the Xen machine",
                 (unsigned long long)(XEN_PVH_MAX_MEMORY >> 30));
        return -1;
    }
    h->dom = calloc(1, sizeof *h->dom);
    if (!h->dom || machine_add_ram(m, mem_bytes, XEN_PVH_LOW_RAM_TOP) < 0 ||
        phys_add_ram(&m->mem, XEN_PVH_ACPI_BASE, XEN_PVH_ACPI_SIZE) < 0 ||
        phys_add_ram(&m->mem, XEN_PVH_SPECIAL_BASE, XEN_PVH_SPECIAL_SIZE) < 0 ||
        xen_p2m_init(&h->p2m, &m->mem) < 0 ||
        phys_add_ram_host(&m->mem, GNTTAB_HPA, sizeof h->dom->gnttab.frames, h->dom->gnttab.frames) < 0 ||
        phys_add_ram_host(&m->mem, GNTTAB_STATUS_HPA, sizeof h->dom->gnttab.status, h->dom->gnttab.status) < 0) {
        snprintf(err, errlen, "cannot allocate %llu bytes of guest memory", (unsigned long long)mem_bytes);
        return -1;
    }
    m->tsc_hz = XEN_PVH_TSC_HZ;
    return 0;
}

void xen_pvh_destroy(xen_pvh_t *h)
{
    free(h->dom);
    h->dom = NULL;
}

void *xen_pvh_console_ring(xen_pvh_t *h)
{
    return phys_ram_ptr(&h->m->mem, XEN_PVH_CONSOLE_GFN << 12, 4096);
}

void *xen_pvh_store_ring(xen_pvh_t *h)
{
    return phys_ram_ptr(&h->m->mem, XEN_PVH_STORE_GFN << 12, 4096);
}

/* The guest's memory map: low RAM, the legacy hole, RAM from 1 MiB (and
 * above 4 GiB), the ACPI tables and the special pages. */
static void memory_map(const xen_pvh_t *h, boot_memmap_t *map)
{
    uint64_t low = h->mem_bytes < XEN_PVH_LOW_RAM_TOP ? h->mem_bytes : XEN_PVH_LOW_RAM_TOP;
    boot_memmap_default(map, low);
    map->e[map->n++] = (typeof(map->e[0])){ XEN_PVH_ACPI_BASE, XEN_PVH_ACPI_SIZE, XEN_HVM_MEMMAP_TYPE_ACPI };
    map->e[map->n++] = (typeof(map->e[0])){ XEN_PVH_SPECIAL_BASE, XEN_PVH_SPECIAL_SIZE,
                                           XEN_HVM_MEMMAP_TYPE_RESERVED };
    if (h->mem_bytes > low)
        map->e[map->n++] = (typeof(map->e[0])){ 1ull << 32, h->mem_bytes - low, XEN_HVM_MEMMAP_TYPE_RAM };
}

static int build_domain(xen_pvh_t *h, const xen_pvh_config_t *cfg, const boot_memmap_t *map)
{
    xen_domain_t *d = h->dom;
    xen_domain_config_t dc = {
        .domid = XEN_PVH_DOMID, .nr_vcpus = (uint32_t)h->m->ncpu, .tsc_hz = XEN_PVH_TSC_HZ,
        .wallclock_base_ns = cfg->wallclock_ns, .mem = &guest_mem, .mem_ctx = h,
    };
    if (xen_domain_init(d, &dc))
        return -1;
    for (int i = 0; i < map->n; i++)
        d->e820[i] = (struct xen_e820_entry){ map->e[i].addr, map->e[i].size, map->e[i].type };
    d->nr_e820 = (uint32_t)map->n;
    d->tot_pages = d->max_pages = h->mem_bytes >> 12;
    d->p2m_populate = hook_populate;
    d->p2m_remove = hook_remove;
    d->p2m_map_page = hook_map_page;
    d->gnttab_physmap = xen_gnttab_physmap_frame;
    d->send_virq = hook_send_virq;
    d->evtchn_is_pending = hook_port_pending;
    d->evtchn.upcall = on_upcall;
    d->evtchn.upcall_ctx = h;
    d->evtchn.pending = on_pending;
    d->evtchn.pending_ctx = h;
    /* Xen 4.17 offers the per-vCPU upcall vector (CPUID base+4 bit 6). */
    d->cpuid_upcall_vector = true;
    d->cpuid_rdtscp = true;
    /* Each vCPU's TSC counts its own retired instructions, so TSCs of
     * several vCPUs drift apart: PVCLOCK_TSC_STABLE_BIT only with one. */
    d->tsc_stable = h->m->ncpu == 1;
    for (int i = 0; i < h->m->ncpu; i++) {
        xen_pvh_vcpu_t *hv = &h->vcpu[i];
        hv->cpu = h->m->cpu[i];
        hv->v = &d->vcpu[i];
        hv->v->mem_ctx = hv->cpu;
        hv->v->read_tsc = vcpu_tsc;
        hv->v->tsc_ctx = hv->cpu;
        hv->cpu->deliver_exceptions = true;
        hv->state = i == 0 ? PVH_VCPU_RUNNING : PVH_VCPU_WAIT_SIPI;
    }
    h->shared_info_hpa = xen_p2m_alloc_page(&h->p2m);
    /* The console and xenstore rings with their channels, as the toolstack
     * sets them up (libxl: HVM params CONSOLE_* and STORE_*). */
    evtchn_port_t cport, sport;
    if (!h->shared_info_hpa || xen_evtchn_backend_bind_pair(d, &h->console_bport, &cport) ||
        xen_evtchn_backend_bind_pair(d, &h->store_bport, &sport))
        return -1;
    xen_hvm_param_set_toolstack(d, HVM_PARAM_CONSOLE_PFN, XEN_PVH_CONSOLE_GFN);
    xen_hvm_param_set_toolstack(d, HVM_PARAM_CONSOLE_EVTCHN, cport);
    xen_hvm_param_set_toolstack(d, HVM_PARAM_STORE_PFN, XEN_PVH_STORE_GFN);
    xen_hvm_param_set_toolstack(d, HVM_PARAM_STORE_EVTCHN, sport);
    return 0;
}

/* ---- VMCS ---- */

/* A control value: the bits wanted, the must-be-one bits, within the
 * allowed-one bits of the capability MSR (SDM Vol.3C Appendix A.3). */
static uint32_t ctl(uint32_t msr, uint32_t want)
{
    uint64_t cap = 0;
    vmx_cap_msr(msr, &cap);
    return (want | (uint32_t)cap) & (uint32_t)(cap >> 32);
}

static void seg(cpu_t *cpu, int s, uint16_t sel, uint64_t base, uint32_t limit, uint32_t ar)
{
    xen_pvh_vmwrite(cpu, VMCS_GUEST_ES_SEL + 2u * (uint32_t)s, sel);
    xen_pvh_vmwrite(cpu, VMCS_GUEST_ES_BASE + 2u * (uint32_t)s, base);
    xen_pvh_vmwrite(cpu, VMCS_GUEST_ES_LIMIT + 2u * (uint32_t)s, limit);
    xen_pvh_vmwrite(cpu, VMCS_GUEST_ES_AR + 2u * (uint32_t)s, ar);
}

/* Controls as Xen's VMX code sets them for a PVH guest: EPT with
 * unrestricted guest, a VPID per vCPU (so VM exits keep the guest's TLB),
 * INVPCID, HLT and every port access exit, MSRs outside the bitmap exit,
 * CR0.NE and CR4.VMXE owned by the hypervisor (the guest sees its own
 * values through the read shadows). */
static void write_controls(xen_pvh_t *h, cpu_t *cpu)
{
    xen_pvh_vmwrite(cpu, VMCS_PIN_CTLS, ctl(MSR_VMX_TRUE_PIN, 0));
    xen_pvh_vmwrite(cpu, VMCS_PROC_CTLS,
                    ctl(MSR_VMX_TRUE_PROC, PROC_HLT | PROC_UNCOND_IO | PROC_MSR_BITMAPS | PROC_MWAIT |
                                               PROC_MONITOR | PROC_SECONDARY) &
                        ~(uint32_t)(PROC_CR3_LOAD | PROC_CR3_STORE | PROC_INVLPG | PROC_RDTSC));
    xen_pvh_vmwrite(cpu, VMCS_PROC_CTLS2,
                    ctl(MSR_VMX_PROCBASED2,
                        PROC2_EPT | PROC2_UNRESTRICTED | PROC2_RDTSCP | PROC2_VPID | PROC2_INVPCID));
    xen_pvh_vmwrite(cpu, VMCS_VPID, 1u + (unsigned)cpu->id);
    xen_pvh_vmwrite(cpu, VMCS_EXIT_CTLS,
                    ctl(MSR_VMX_TRUE_EXIT, EXIT_HOST_64 | EXIT_SAVE_EFER | EXIT_LOAD_EFER | EXIT_SAVE_PAT |
                                               EXIT_LOAD_PAT | EXIT_SAVE_DEBUG));
    xen_pvh_vmwrite(cpu, VMCS_ENTRY_CTLS,
                    ctl(MSR_VMX_TRUE_ENTRY, ENTRY_LOAD_EFER | ENTRY_LOAD_PAT | ENTRY_LOAD_DEBUG));
    xen_pvh_vmwrite(cpu, VMCS_EXC_BITMAP, 0);
    xen_pvh_vmwrite(cpu, VMCS_MSR_BITMAP, h->msr_bitmap);
    xen_pvh_vmwrite(cpu, VMCS_EPTP, xen_p2m_eptp(&h->p2m));
    xen_pvh_vmwrite(cpu, VMCS_LINK_PTR, ~0ull);
    xen_pvh_vmwrite(cpu, VMCS_CR0_MASK, CR0_NE);
    xen_pvh_vmwrite(cpu, VMCS_CR4_MASK, CR4_VMXE);
    /* The host state is never loaded (the root side is C code), but VM
     * entry still checks it (SDM Vol.3C §26.2.2-26.2.4). */
    xen_pvh_vmwrite(cpu, VMCS_HOST_CR0, CR0_PE | CR0_NE | CR0_PG | CR0_ET);
    xen_pvh_vmwrite(cpu, VMCS_HOST_CR4, CR4_PAE | CR4_VMXE);
    xen_pvh_vmwrite(cpu, VMCS_HOST_CS_SEL, 0x08);
    xen_pvh_vmwrite(cpu, VMCS_HOST_SS_SEL, 0x10);
    xen_pvh_vmwrite(cpu, VMCS_HOST_TR_SEL, 0x18);
    xen_pvh_vmwrite(cpu, VMCS_HOST_EFER, EFER_LME | EFER_LMA);
    xen_pvh_vmwrite(cpu, VMCS_HOST_PAT, PAT_DEFAULT);
}

/* Guest state common to the entry states: no pending events, no
 * interruptibility blocking, active, power-on PAT and DR7. */
static void write_common_guest(cpu_t *cpu)
{
    xen_pvh_vmwrite(cpu, VMCS_GUEST_DR7, 0x400);
    xen_pvh_vmwrite(cpu, VMCS_GUEST_DEBUGCTL, 0);
    xen_pvh_vmwrite(cpu, VMCS_GUEST_PAT, PAT_DEFAULT);
    xen_pvh_vmwrite(cpu, VMCS_GUEST_INTERRUPTIBILITY, 0);
    xen_pvh_vmwrite(cpu, VMCS_GUEST_ACTIVITY, 0);
    xen_pvh_vmwrite(cpu, VMCS_GUEST_PENDING_DBG, 0);
    xen_pvh_vmwrite(cpu, VMCS_ENTRY_INTR_INFO, 0);
    xen_pvh_vmwrite(cpu, VMCS_GUEST_SYSENTER_CS, 0);
    xen_pvh_vmwrite(cpu, VMCS_GUEST_SYSENTER_ESP, 0);
    xen_pvh_vmwrite(cpu, VMCS_GUEST_SYSENTER_EIP, 0);
}

/* A vCPU's state at its first entry, paging off, 32-bit or real mode by
 * cr0 (as the guest sees it; CR0.NE and CR4.VMXE stay set underneath),
 * with descriptor tables at 0 of dt_limit; the caller sets the segments. */
static void write_start_state(cpu_t *cpu, uint64_t cr0, uint64_t rip, uint32_t dt_limit)
{
    xen_pvh_vmwrite(cpu, VMCS_GUEST_CR0, cr0 | CR0_NE);
    xen_pvh_vmwrite(cpu, VMCS_CR0_SHADOW, cr0);
    xen_pvh_vmwrite(cpu, VMCS_GUEST_CR4, CR4_VMXE);
    xen_pvh_vmwrite(cpu, VMCS_CR4_SHADOW, 0);
    xen_pvh_vmwrite(cpu, VMCS_GUEST_CR3, 0);
    xen_pvh_vmwrite(cpu, VMCS_GUEST_EFER, 0);
    uint32_t entry = (uint32_t)xen_pvh_vmread(cpu, VMCS_ENTRY_CTLS) & ~(uint32_t)ENTRY_IA32E;
    xen_pvh_vmwrite(cpu, VMCS_ENTRY_CTLS, entry);
    seg(cpu, SEG_LDTR, 0, 0, 0, SEGA_UNUSABLE);
    xen_pvh_vmwrite(cpu, VMCS_GUEST_GDTR_BASE, 0);
    xen_pvh_vmwrite(cpu, VMCS_GUEST_GDTR_LIMIT, dt_limit);
    xen_pvh_vmwrite(cpu, VMCS_GUEST_IDTR_BASE, 0);
    xen_pvh_vmwrite(cpu, VMCS_GUEST_IDTR_LIMIT, dt_limit);
    xen_pvh_vmwrite(cpu, VMCS_GUEST_RFLAGS, 2);
    xen_pvh_vmwrite(cpu, VMCS_GUEST_RIP, rip);
    xen_pvh_vmwrite(cpu, VMCS_GUEST_RSP, 0);
    write_common_guest(cpu);
}

/* The PVH entry state (docs/misc/pvh.pandoc). */
static void write_pvh_entry(cpu_t *cpu, uint32_t entry, uint32_t start_info)
{
    write_start_state(cpu, CR0_PE | CR0_ET, entry, 0);
    seg(cpu, SEG_CS, 0x08, 0, 0xffffffff, AR_CODE32);
    for (int s = SEG_ES; s <= SEG_GS; s++)
        if (s != SEG_CS)
            seg(cpu, s, 0x10, 0, 0xffffffff, AR_DATA32);
    seg(cpu, SEG_TR, 0x18, 0, 0x67, AR_TSS32_BUSY);
    for (int r = 0; r < 16; r++)
        cpu->r[r] = 0;
    cpu->r[R_RBX] = start_info;
}

/* VMXON, then a clear and current VMCS with the domain's controls. */
static int vmx_setup(xen_pvh_t *h, xen_pvh_vcpu_t *hv)
{
    uint64_t on = xen_p2m_alloc_page(&h->p2m), vmcs = xen_p2m_alloc_page(&h->p2m);
    if (!on || !vmcs)
        return -1;
    uint32_t rev = VMX_REVISION;
    phys_copy_to(&h->m->mem, on, &rev, 4);
    phys_copy_to(&h->m->mem, vmcs, &rev, 4);
    hv->vmcs = vmcs;
    if (vmx_api_vmxon(hv->cpu, on) || vmx_api_vmclear(hv->cpu, vmcs) || vmx_api_vmptrld(hv->cpu, vmcs))
        return -1;
    write_controls(h, hv->cpu);
    return 0;
}

int xen_pvh_start_ap(xen_pvh_t *h, xen_pvh_vcpu_t *hv)
{
    cpu_t *cpu = hv->cpu;
    if (!cpu->vmx && vmx_setup(h, hv) < 0)
        return -1;
    /* Real mode at the STARTUP vector, with unrestricted guest; INIT
     * leaves the GPRs 0 but EDX, the signature (SDM Vol.3A Table 9-1), also
     * when the AP ran before (Xen's hvm_vcpu_reset_state clears them). */
    for (int r = 0; r < 16; r++)
        cpu->r[r] = r == R_RDX ? CPU_SIGNATURE : 0;
    write_start_state(cpu, CR0_ET, cpu->r[R_RIP], 0xffff);
    for (int s = SEG_ES; s <= SEG_GS; s++) {
        const seg_t *sg = &cpu->seg[s];
        /* Real-mode segments: 64 KiB, read/write (code: execute/read), accessed. */
        seg(cpu, s, sg->sel, sg->base, 0xffff, s == SEG_CS ? 0x9b : 0x93);
    }
    seg(cpu, SEG_TR, 0, 0, 0xffff, AR_TSS32_BUSY);
    cpu->deliver_exceptions = true;
    hv->state = PVH_VCPU_RUNNING;
    hv->v->online = true;
    return 0;
}

int xen_pvh_build(xen_pvh_t *h, const xen_pvh_config_t *cfg, char *err, size_t errlen)
{
    machine_t *m = h->m;
    if (cfg->entry > 0xffffffffull) {
        snprintf(err, errlen, "PVH entry 0x%llx is above 4 GiB", (unsigned long long)cfg->entry);
        return -1;
    }
    boot_memmap_t map;
    memory_map(h, &map);
    uint64_t rsdp = 0;
    if (acpi_build(&m->mem, XEN_PVH_ACPI_BASE, XEN_PVH_ACPI_SIZE, m->ncpu, ACPI_PM_PORT, &rsdp) < 0) {
        snprintf(err, errlen, "cannot build the ACPI tables for %d vCPUs", m->ncpu);
        return -1;
    }
    boot_module_t mod = { cfg->initrd_paddr, cfg->initrd_size };
    if (boot_write_pvh_info(&m->mem, XEN_PVH_START_INFO, &map, cfg->cmdline, &mod, cfg->initrd_size ? 1 : 0,
                            rsdp) < 0) {
        snprintf(err, errlen, "guest memory too small for the start info");
        return -1;
    }
    h->msr_bitmap = xen_p2m_alloc_page(&h->p2m);
    if (!h->msr_bitmap || build_domain(h, cfg, &map) < 0) {
        snprintf(err, errlen, "cannot build the domain");
        return -1;
    }
    xen_pvh_vcpu_t *bsp = &h->vcpu[0];
    if (vmx_setup(h, bsp) < 0) {
        snprintf(err, errlen, "cannot set up VMX for the boot vCPU");
        return -1;
    }
    write_pvh_entry(bsp->cpu, (uint32_t)cfg->entry, XEN_PVH_START_INFO);
    return 0;
}
