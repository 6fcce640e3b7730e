/* The VM-exit handler of the Xen model for a PVH vCPU, one function per
 * basic exit reason (SDM Vol.3C Appendix C), answering as Xen's
 * vmx_vmexit_handler does: hypercalls on VMCALL, Xen's CPUID view, port
 * I/O to the machine's devices (Xen's null handler elsewhere), the CR0/CR4
 * bits the hypervisor owns, HLT as a block, the hypercall-page MSR. */
#include <stdio.h>
#include <string.h>

#include <xen-abi/arch-x86/cpuid.h>
#include <xen-abi/sched.h>
#include "xenemu/mmu.h"
#include "xenemu/trace.h"
#include "xenemu/xen_pvh.h"

#define RD(cpu, f) xen_pvh_vmread(cpu, f)
#define WR(cpu, f, v) xen_pvh_vmwrite(cpu, f, v)

/* CPUID.1:ECX bits Xen takes away from or adds to an HVM guest. */
enum { ECX_MONITOR = 1u << 3, ECX_VMX = 1u << 5, ECX_SMX = 1u << 6, ECX_HYPERVISOR = 1u << 31 };
/* Interruptibility state: blocking by STI and by MOV SS (SDM Vol.3C §25.4.2). */
#define BLOCKING_STI_MOVSS 3u

void xen_pvh_stop(xen_pvh_t *h, int status, const char *why, cpu_t *cpu)
{
    if (h->status >= 0)
        return;
    h->status = status;
    h->why = why;
    h->why_cpu = cpu;
}

/* RSP lives in the VMCS while the guest is out; the other GPRs stay in
 * the vCPU (the VMCS holds none). */
static uint64_t gpr(cpu_t *cpu, unsigned r)
{
    return r == R_RSP ? RD(cpu, VMCS_GUEST_RSP) : cpu->r[r];
}

/* Past the exiting instruction; its STI or MOV SS shadow ends with it. */
static void advance(cpu_t *cpu, const vmx_exit_t *e)
{
    WR(cpu, VMCS_GUEST_RIP, RD(cpu, VMCS_GUEST_RIP) + e->insn_len);
    uint64_t intr = RD(cpu, VMCS_GUEST_INTERRUPTIBILITY);
    if (intr & BLOCKING_STI_MOVSS)
        WR(cpu, VMCS_GUEST_INTERRUPTIBILITY, intr & ~(uint64_t)BLOCKING_STI_MOVSS);
}

/* A hardware exception for the guest at the next VM entry (§26.6). */
static void inject(cpu_t *cpu, int vector, bool has_err, uint32_t err)
{
    uint32_t info = (uint32_t)vector | (uint32_t)INTR_TYPE_HW_EXC << 8 | INTR_INFO_VALID;
    if (has_err) {
        info |= INTR_INFO_ERR_VALID;
        WR(cpu, VMCS_ENTRY_EXC_ERR, err);
    }
    WR(cpu, VMCS_ENTRY_INTR_INFO, info);
}

static void inject_ud(cpu_t *cpu)
{
    inject(cpu, EXC_UD, false, 0);
}

static void inject_gp0(cpu_t *cpu)
{
    inject(cpu, EXC_GP, true, 0);
}

/* ---- VMCALL: hypercalls (x86-64 HVM ABI, contract §3) ---- */

static void exit_vmcall(xen_pvh_t *h, xen_pvh_vcpu_t *hv, const vmx_exit_t *e)
{
    cpu_t *cpu = hv->cpu;
    uint64_t nr = cpu->r[R_RAX];
    uint64_t args[6] = { cpu->r[R_RDI], cpu->r[R_RSI], cpu->r[R_RDX], cpu->r[R_R10], cpu->r[R_R8], cpu->r[R_R9] };
    long rc;
    if (cpu->cpl != 0)
        rc = -XEN_EPERM;             /* Xen: hypercalls only from ring 0 */
    else if (cpu->code_mode != CM_64)
        rc = -XEN_ENOSYS;            /* the 32-bit (compat) ABI is not modelled */
    else
        rc = xen_hypercall(hv->v, nr, args);
    cpu->r[R_RAX] = (uint64_t)rc;
    trace_hypercall(cpu, (unsigned)nr, args, rc);
    advance(cpu, e);
    if (hv->v->yielded) {
        hv->v->yielded = false;
        if (h->poll_backends)
            h->poll_backends(h->backend_ctx);
    }
    if (h->dom->shutdown)
        xen_pvh_stop(h, xen_domain_exit_status(h->dom), h->dom->shutdown_reason == SHUTDOWN_crash
                                                         ? "the guest crashed (SCHEDOP_shutdown crash)"
                                                         : "the guest shut down (SCHEDOP_shutdown)", NULL);
}

/* ---- CPUID: the CPU model with Xen's changes, and Xen's own leaves ---- */

static void exit_cpuid(xen_pvh_vcpu_t *hv, const vmx_exit_t *e)
{
    cpu_t *cpu = hv->cpu;
    uint32_t leaf = (uint32_t)cpu->r[R_RAX], sub = (uint32_t)cpu->r[R_RCX], out[4];
    if (!xen_cpuid(hv->v, leaf, sub, out)) {
        cpuid_query(cpu, leaf, sub, out);
        if (leaf == 1) {
            out[2] &= ~(uint32_t)(ECX_MONITOR | ECX_VMX | ECX_SMX);
            out[2] |= ECX_HYPERVISOR;
        } else if (leaf == 5) {
            memset(out, 0, sizeof out);      /* no MONITOR/MWAIT for guests */
        }
    }
    cpu->r[R_RAX] = out[0];
    cpu->r[R_RBX] = out[1];
    cpu->r[R_RCX] = out[2];
    cpu->r[R_RDX] = out[3];
    advance(cpu, e);
}

/* ---- I/O (exit qualification: SDM Vol.3C Table 28-5) ---- */

static uint32_t port_read(xen_pvh_t *h, cpu_t *cpu, uint16_t port, unsigned size)
{
    uint32_t val = 0xffffffffu;      /* Xen's null handler: all ones */
    if (h->pio)
        h->pio(h->pio_ctx, port, size, false, &val);
    val &= size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
    trace_pio(cpu, port, size, false, val);
    return val;
}

static void port_write(xen_pvh_t *h, cpu_t *cpu, uint16_t port, unsigned size, uint32_t val)
{
    trace_pio(cpu, port, size, true, val);
    if (h->pio)
        h->pio(h->pio_ctx, port, size, true, &val);
}

/* INS/OUTS, REP or not; at most this many iterations per exit (the
 * instruction exits again for the rest, as real REP I/O can). */
#define STRING_IO_CHUNK 4096u

static void string_io(xen_pvh_t *h, cpu_t *cpu, const vmx_exit_t *e, uint16_t port, unsigned size, bool in,
                      bool rep)
{
    unsigned asz = (e->insn_info >> 7) & 7;
    uint64_t amask = asz == 0 ? 0xffff : asz == 1 ? 0xffffffffull : ~0ull;
    uint64_t count = rep ? cpu->r[R_RCX] & amask : 1;
    bool down = RD(cpu, VMCS_GUEST_RFLAGS) & F_DF;
    unsigned idx = in ? R_RDI : R_RSI;
    uint64_t n = count < STRING_IO_CHUNK ? count : STRING_IO_CHUNK;
    uint64_t lin = e->guest_linear;
    for (uint64_t i = 0; i < n; i++) {
        uint32_t val = 0;
        if (in) {
            val = port_read(h, cpu, port, size);
            if (mmu_write_linear(cpu, lin, &val, size)) {
                inject_gp0(cpu);
                return;
            }
        } else {
            if (mmu_read_linear(cpu, lin, &val, size)) {
                inject_gp0(cpu);
                return;
            }
            port_write(h, cpu, port, size, val);
        }
        lin += down ? -(uint64_t)size : size;
        uint64_t r = cpu->r[idx];
        r = (r & ~amask) | ((r + (down ? -(uint64_t)size : size)) & amask);
        cpu->r[idx] = asz == 1 ? (uint32_t)r : r;
        if (rep) {
            uint64_t c = (cpu->r[R_RCX] & ~amask) | ((cpu->r[R_RCX] - 1) & amask);
            cpu->r[R_RCX] = asz == 1 ? (uint32_t)c : c;
        }
    }
    if (n == count)
        advance(cpu, e);
}

static void exit_io(xen_pvh_t *h, xen_pvh_vcpu_t *hv, const vmx_exit_t *e)
{
    cpu_t *cpu = hv->cpu;
    unsigned size = (unsigned)(e->qual & 7) + 1;
    bool in = e->qual & 8, string = e->qual & 16, rep = e->qual & 32;
    uint16_t port = (uint16_t)(e->qual >> 16);
    if (string) {
        string_io(h, cpu, e, port, size, in, rep);
        return;
    }
    if (in) {
        uint32_t val = port_read(h, cpu, port, size);
        if (size == 4)
            cpu->r[R_RAX] = val;     /* a 32-bit destination zero-extends */
        else
            cpu->r[R_RAX] = (cpu->r[R_RAX] & ~(uint64_t)((1u << (8 * size)) - 1)) | val;
    } else {
        port_write(h, cpu, port, size, (uint32_t)cpu->r[R_RAX]);
    }
    advance(cpu, e);
}

/* ---- control registers (qualification: Table 28-3) ---- */

/* PAE paging outside long mode: VM entry loads the PDPTEs from the VMCS
 * (SDM Vol.3C §27.3.2.4), so the hypervisor reads them from guest CR3. */
static bool load_pdptes(xen_pvh_t *h, cpu_t *cpu)
{
    uint64_t pdpte[4];
    const uint8_t *p = xen_p2m_ptr(&h->p2m, RD(cpu, VMCS_GUEST_CR3) & 0xffffffe0u, sizeof pdpte);
    if (!p)
        return false;
    memcpy(pdpte, p, sizeof pdpte);
    for (int i = 0; i < 4; i++)
        WR(cpu, VMCS_GUEST_PDPTE0 + 2u * (uint32_t)i, pdpte[i]);
    return true;
}

/* MOV to CR0 that changed CR0.NE as the guest sees it (the only bit the
 * mask gives the hypervisor): the checks of MOV CR0 (SDM Vol.3A §2.5,
 * Vol.2 MOV CR) and the paging-mode switch it may cause. */
static void write_cr0(xen_pvh_t *h, cpu_t *cpu, uint64_t val)
{
    uint64_t old = RD(cpu, VMCS_GUEST_CR0), efer = RD(cpu, VMCS_GUEST_EFER);
    uint64_t cr4 = RD(cpu, VMCS_GUEST_CR4);
    if ((val >> 32) || ((val & CR0_PG) && !(val & CR0_PE)) || ((val & CR0_NW) && !(val & CR0_CD))) {
        inject_gp0(cpu);
        return;
    }
    bool pg_on = (val & CR0_PG) && !(old & CR0_PG), pg_off = !(val & CR0_PG) && (old & CR0_PG);
    uint32_t entry = (uint32_t)RD(cpu, VMCS_ENTRY_CTLS);
    if (pg_on && (efer & EFER_LME)) {
        if (!(cr4 & CR4_PAE)) {
            inject_gp0(cpu);
            return;
        }
        efer |= EFER_LMA;
        entry |= ENTRY_IA32E;
    } else if (pg_off && (efer & EFER_LMA)) {
        if (cpu->code_mode == CM_64) {
            inject_gp0(cpu);
            return;
        }
        efer &= ~(uint64_t)EFER_LMA;
        entry &= ~(uint32_t)ENTRY_IA32E;
    }
    if ((val & CR0_PG) && (cr4 & CR4_PAE) && !(efer & EFER_LMA) && !load_pdptes(h, cpu)) {
        inject_gp0(cpu);
        return;
    }
    WR(cpu, VMCS_GUEST_EFER, efer);
    WR(cpu, VMCS_ENTRY_CTLS, entry);
    WR(cpu, VMCS_GUEST_CR0, val | CR0_NE | CR0_ET);
    WR(cpu, VMCS_CR0_SHADOW, val | CR0_ET);
}

static void exit_cr(xen_pvh_t *h, xen_pvh_vcpu_t *hv, const vmx_exit_t *e)
{
    cpu_t *cpu = hv->cpu;
    unsigned cr = e->qual & 15, type = (e->qual >> 4) & 3, reg = (e->qual >> 8) & 15;
    if (type != 0 || (cr != 0 && cr != 4)) {
        xen_pvh_stop(h, XEN_PVH_EXIT_STUCK, "unexpected control-register exit", cpu);
        return;
    }
    uint64_t val = gpr(cpu, reg);
    if (cr == 4) {
        inject_gp0(cpu);              /* only CR4.VMXE exits: no nested VMX for guests */
        return;
    }
    uint64_t before = RD(cpu, VMCS_ENTRY_INTR_INFO);
    write_cr0(h, cpu, val);
    if (RD(cpu, VMCS_ENTRY_INTR_INFO) == before)
        advance(cpu, e);
}

/* ---- HLT: block until an event (Xen's hvm_hlt) ---- */

static void exit_hlt(xen_pvh_t *h, xen_pvh_vcpu_t *hv, const vmx_exit_t *e)
{
    cpu_t *cpu = hv->cpu;
    advance(cpu, e);
    if (!(RD(cpu, VMCS_GUEST_RFLAGS) & F_IF)) {
        /* HLT with interrupts off takes the vCPU down; with none left the
         * domain powers off (Xen's hvm_vcpu_down). */
        hv->state = PVH_VCPU_DOWN;
        hv->v->online = false;
        for (int i = 0; i < h->m->ncpu; i++)
            if (h->vcpu[i].state != PVH_VCPU_DOWN && h->vcpu[i].state != PVH_VCPU_WAIT_SIPI)
                return;
        xen_pvh_stop(h, 0, "every vCPU halted with interrupts off (Xen powers the domain off)", NULL);
        return;
    }
    hv->v->blocked = true;
    xen_vcpu_set_runstate(hv->v, RUNSTATE_blocked, cpu_tsc(cpu));
}

/* ---- MSRs outside the bitmap's ranges ---- */

/* WRMSR to the hypercall-page MSR (CPUID base+2 EBX): fill the page with
 * "mov $nr, %eax; vmcall; ret" every 32 bytes, as Xen fills it for an Intel
 * HVM guest (__HYPERVISOR_iret is ud2 there). */
static bool write_hypercall_page(xen_pvh_t *h, uint64_t val)
{
    if (val & 0xfff)
        return false;                 /* only page 0 exists */
    uint8_t *p = xen_p2m_ptr(&h->p2m, val, XEN_PAGE_SIZE);
    if (!p)
        return false;
    for (uint32_t i = 0; i < XEN_PAGE_SIZE / 32; i++) {
        uint8_t *s = p + i * 32;
        memset(s, 0xcc, 32);
        s[0] = 0xb8;
        memcpy(s + 1, &i, 4);
        s[5] = 0x0f, s[6] = 0x01, s[7] = 0xc1, s[8] = 0xc3;
    }
    p[__HYPERVISOR_iret * 32] = 0x0f;
    p[__HYPERVISOR_iret * 32 + 1] = 0x0b;
    uint64_t hpa = xen_p2m_lookup(&h->p2m, val);
    if (hpa >> 12 < h->m->mem.ram_top >> 12 && h->m->mem.code_pages[hpa >> 12])
        machine_code_written(h->m, hpa);
    return true;
}

static void exit_msr(xen_pvh_t *h, xen_pvh_vcpu_t *hv, const vmx_exit_t *e, bool write)
{
    cpu_t *cpu = hv->cpu;
    uint32_t index = (uint32_t)cpu->r[R_RCX];
    uint64_t val = (cpu->r[R_RDX] << 32) | (uint32_t)cpu->r[R_RAX];
    if (write && index == XEN_HYPERCALL_MSR && write_hypercall_page(h, val)) {
        advance(cpu, e);
        return;
    }
    inject_gp0(cpu);                  /* no other MSR outside the bitmap exists */
}

/* ---- XSETBV (SDM Vol.2 XSETBV) ---- */

static void exit_xsetbv(xen_pvh_vcpu_t *hv, const vmx_exit_t *e)
{
    cpu_t *cpu = hv->cpu;
    uint64_t val = (cpu->r[R_RDX] << 32) | (uint32_t)cpu->r[R_RAX];
    uint32_t leaf_d[4];
    cpuid_query(cpu, 0xd, 0, leaf_d);
    uint64_t supported = ((uint64_t)leaf_d[3] << 32) | leaf_d[0];
    if (cpu->cpl != 0 || (uint32_t)cpu->r[R_RCX] != 0 || !(val & 1) || (val & ~supported) ||
        ((val & 4) && !(val & 2))) {
        inject_gp0(cpu);
        return;
    }
    cpu->xcr0 = val;
    advance(cpu, e);
}

/* ---- the dispatcher ---- */

static void unhandled(xen_pvh_t *h, cpu_t *cpu, const char *what, uint64_t detail)
{
    static char why[128];
    snprintf(why, sizeof why, "%s (0x%llx)", what, (unsigned long long)detail);
    xen_pvh_stop(h, XEN_PVH_EXIT_STUCK, why, cpu);
}

void xen_pvh_handle_exit(xen_pvh_t *h, xen_pvh_vcpu_t *hv, const vmx_exit_t *e)
{
    cpu_t *cpu = hv->cpu;
    if (e->reason & EXIT_REASON_ENTRY_FAIL) {
        unhandled(h, cpu, "VM entry failed, exit reason", e->reason & 0xffff);
        return;
    }
    switch (e->reason & 0xffff) {
    case EXIT_VMCALL: exit_vmcall(h, hv, e); break;
    case EXIT_CPUID: exit_cpuid(hv, e); break;
    case EXIT_IO: exit_io(h, hv, e); break;
    case EXIT_CR_ACCESS: exit_cr(h, hv, e); break;
    case EXIT_HLT: exit_hlt(h, hv, e); break;
    case EXIT_RDMSR: exit_msr(h, hv, e, false); break;
    case EXIT_WRMSR: exit_msr(h, hv, e, true); break;
    case EXIT_XSETBV: exit_xsetbv(hv, e); break;
    case EXIT_INVD: advance(cpu, e); break;           /* as WBINVD: caches are not modelled */
    case EXIT_EXTINT: break;                          /* a kick: the caller injects what is due */
    case EXIT_INT_WINDOW:
        WR(cpu, VMCS_PROC_CTLS, RD(cpu, VMCS_PROC_CTLS) & ~(uint64_t)PROC_INT_WINDOW);
        break;
    case EXIT_INIT:
        xen_pvh_vcpu_init_signal(hv);                 /* from another vCPU's local APIC */
        break;
    case EXIT_VMCLEAR: case EXIT_VMLAUNCH: case EXIT_VMPTRLD: case EXIT_VMPTRST: case EXIT_VMREAD:
    case EXIT_VMRESUME: case EXIT_VMWRITE: case EXIT_VMXOFF: case EXIT_VMXON: case EXIT_INVEPT:
    case EXIT_INVVPID: case EXIT_MWAIT: case EXIT_MONITOR:
        inject_ud(cpu);                               /* not offered to guests (CPUID) */
        break;
    case EXIT_TRIPLE_FAULT:
        xen_pvh_stop(h, XEN_PVH_EXIT_STUCK, "triple fault", cpu);
        break;
    case EXIT_EPT_VIOLATION:
        unhandled(h, cpu, "EPT violation at guest-physical address", e->guest_phys);
        break;
    case EXIT_EPT_MISCONFIG:
        unhandled(h, cpu, "EPT misconfiguration at guest-physical address", e->guest_phys);
        break;
    default:
        unhandled(h, cpu, "unhandled VM exit, reason", e->reason);
        break;
    }
}
