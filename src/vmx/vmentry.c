/* VM entries (SDM Vol.3C ch.27): the checks on VMX controls and host state
 * (§27.2, failures are VMfailValid 7 and 8), the checks on guest state
 * (§27.3.1, failures are VM exits with reason 33 and bit 31), loading the
 * guest (§27.3.2), the MSR-load list (§27.4, reason 34) and event
 * injection (§27.6). */
#include "../cpu/system.h"
#include "vmx_int.h"
#include "xenemu/trace.h"

#define CANON(a) ((uint64_t)((int64_t)((a) << 16) >> 16) == (a))

static bool aligned_in_width(uint64_t a, uint64_t align)
{
    return !(a & (align - 1)) && !(a & VMX_PHYS_RSVD);
}

/* ---- VMX controls (§27.2.1) ---- */

static uint32_t proc2_of(const vmx_t *x)
{
    return (vmr(x, VMCS_PROC_CTLS) & PROC_SECONDARY) ? (uint32_t)vmr(x, VMCS_PROC_CTLS2) : 0;
}

static bool exec_controls_ok(const vmx_t *x)
{
    uint32_t pin = (uint32_t)vmr(x, VMCS_PIN_CTLS), proc = (uint32_t)vmr(x, VMCS_PROC_CTLS);
    uint32_t proc2 = proc2_of(x);
    if (!vmx_ctl_ok(MSR_VMX_TRUE_PINBASED, pin) || !vmx_ctl_ok(MSR_VMX_TRUE_PROCBASED, proc))
        return false;
    if ((proc & PROC_SECONDARY) && !vmx_ctl_ok(MSR_VMX_PROCBASED2, proc2))
        return false;
    if (vmr(x, VMCS_CR3_TARGET_COUNT) > 4)
        return false;
    if ((proc & PROC_IO_BITMAPS) && (!aligned_in_width(vmr(x, VMCS_IO_BITMAP_A), 4096) ||
                                     !aligned_in_width(vmr(x, VMCS_IO_BITMAP_B), 4096)))
        return false;
    if ((proc & PROC_MSR_BITMAPS) && !aligned_in_width(vmr(x, VMCS_MSR_BITMAP), 4096))
        return false;
    if (!(pin & PIN_NMI) && (pin & PIN_VIRT_NMI))
        return false;
    if (!(pin & PIN_VIRT_NMI) && (proc & PROC_NMI_WINDOW))
        return false;
    if ((proc2 & PROC2_EPT) && !ept_eptp_valid(vmr(x, VMCS_EPTP)))
        return false;
    if ((proc2 & PROC2_UNRESTRICTED) && !(proc2 & PROC2_EPT))
        return false;
    if ((proc2 & PROC2_VPID) && vmr(x, VMCS_VPID) == 0)
        return false;
    return true;
}

static bool exit_controls_ok(const vmx_t *x)
{
    uint32_t exit = (uint32_t)vmr(x, VMCS_EXIT_CTLS);
    if (!vmx_ctl_ok(MSR_VMX_TRUE_EXIT, exit))
        return false;
    if (!(vmr(x, VMCS_PIN_CTLS) & PIN_PREEMPT_TIMER) && (exit & EXIT_SAVE_TIMER))
        return false;
    if (vmr(x, VMCS_EXIT_MSR_STORE_COUNT) && !aligned_in_width(vmr(x, VMCS_EXIT_MSR_STORE_ADDR), 16))
        return false;
    if (vmr(x, VMCS_EXIT_MSR_LOAD_COUNT) && !aligned_in_width(vmr(x, VMCS_EXIT_MSR_LOAD_ADDR), 16))
        return false;
    return true;
}

/* Exceptions that deliver an error code in protected mode (§27.2.1.3). */
static bool vector_has_error(unsigned v)
{
    return v == EXC_DF || (v >= EXC_TS && v <= EXC_PF) || v == EXC_AC;
}

/* The VM-entry interruption-information field (§27.2.1.3). */
static bool injection_ok(const vmx_t *x)
{
    uint32_t info = (uint32_t)vmr(x, VMCS_ENTRY_INTR_INFO);
    if (!(info & INTR_INFO_VALID))
        return true;
    unsigned type = (info >> 8) & 7, vec = info & 0xff;
    if (type == 1 || type == INTR_TYPE_OTHER)
        return false;
    if (type == INTR_TYPE_NMI && vec != EXC_NMI)
        return false;
    if (type == INTR_TYPE_HW_EXC && vec > 31)
        return false;
    bool pe = vmr(x, VMCS_GUEST_CR0) & CR0_PE;
    bool want_err = type == INTR_TYPE_HW_EXC && vector_has_error(vec) && pe;
    if (!!(info & INTR_INFO_ERR_VALID) != want_err)
        return false;
    if (info & 0x7ffff000u)
        return false;
    if ((info & INTR_INFO_ERR_VALID) && (vmr(x, VMCS_ENTRY_EXC_ERR) >> 16))
        return false;
    if (type == INTR_TYPE_SW_INT || type == INTR_TYPE_PRIV_SW_EXC || type == INTR_TYPE_SW_EXC) {
        uint64_t len = vmr(x, VMCS_ENTRY_INSN_LEN);
        if (len < 1 || len > 15)
            return false;
    }
    return true;
}

static bool entry_controls_ok(const vmx_t *x)
{
    uint32_t entry = (uint32_t)vmr(x, VMCS_ENTRY_CTLS);
    if (!vmx_ctl_ok(MSR_VMX_TRUE_ENTRY, entry))
        return false;
    if (vmr(x, VMCS_ENTRY_MSR_LOAD_COUNT) && !aligned_in_width(vmr(x, VMCS_ENTRY_MSR_LOAD_ADDR), 16))
        return false;
    return injection_ok(x);
}

/* ---- host state (§27.2.2 - §27.2.4) ---- */

static bool host_crs_ok(const vmx_t *x, bool host64)
{
    uint64_t cr0 = vmr(x, VMCS_HOST_CR0), cr4 = vmr(x, VMCS_HOST_CR4);
    if ((cr0 & vmx_cr0_fixed0()) != vmx_cr0_fixed0() || (cr0 & ~vmx_cr0_fixed1()))
        return false;
    if ((cr4 & vmx_cr4_fixed0()) != vmx_cr4_fixed0() || (cr4 & ~vmx_cr4_fixed1()))
        return false;
    if (vmr(x, VMCS_HOST_CR3) & VMX_PHYS_RSVD)
        return false;
    if (!CANON(vmr(x, VMCS_HOST_SYSENTER_ESP)) || !CANON(vmr(x, VMCS_HOST_SYSENTER_EIP)))
        return false;
    if ((vmr(x, VMCS_EXIT_CTLS) & EXIT_LOAD_EFER)) {
        uint64_t efer = vmr(x, VMCS_HOST_EFER);
        if ((efer & ~(uint64_t)(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)) ||
            !!(efer & EFER_LMA) != host64 || !!(efer & EFER_LME) != host64)
            return false;
    }
    return true;
}

static bool host_segments_ok(const vmx_t *x, bool host64)
{
    static const uint16_t sels[] = { VMCS_HOST_ES_SEL, VMCS_HOST_CS_SEL, VMCS_HOST_SS_SEL, VMCS_HOST_DS_SEL,
                                     VMCS_HOST_FS_SEL, VMCS_HOST_GS_SEL, VMCS_HOST_TR_SEL };
    for (unsigned i = 0; i < sizeof sels / sizeof sels[0]; i++)
        if (vmr(x, sels[i]) & 7)
            return false;
    if (!vmr(x, VMCS_HOST_CS_SEL) || !vmr(x, VMCS_HOST_TR_SEL) || (!host64 && !vmr(x, VMCS_HOST_SS_SEL)))
        return false;
    static const uint16_t bases[] = { VMCS_HOST_FS_BASE, VMCS_HOST_GS_BASE, VMCS_HOST_GDTR_BASE,
                                      VMCS_HOST_IDTR_BASE, VMCS_HOST_TR_BASE };
    for (unsigned i = 0; i < sizeof bases / sizeof bases[0]; i++)
        if (!CANON(vmr(x, bases[i])))
            return false;
    return true;
}

/* Address-space size (§27.2.4): a 64-bit processor keeps a 64-bit host. */
static bool host_state_ok(const cpu_t *cpu, const vmx_t *x)
{
    bool host64 = vmr(x, VMCS_EXIT_CTLS) & EXIT_HOST_64;
    if ((cpu->efer & EFER_LMA) && !host64)
        return false;
    if (!host64) {
        if ((vmr(x, VMCS_ENTRY_CTLS) & ENTRY_IA32E) || (vmr(x, VMCS_HOST_CR4) & CR4_PCIDE) ||
            (vmr(x, VMCS_HOST_RIP) >> 32))
            return false;
    } else if (!(vmr(x, VMCS_HOST_CR4) & CR4_PAE) || !CANON(vmr(x, VMCS_HOST_RIP))) {
        return false;
    }
    return host_crs_ok(x, host64) && host_segments_ok(x, host64);
}

/* ---- guest state (§27.3.1) ---- */

typedef struct gseg {
    uint16_t sel;
    uint64_t base;
    uint32_t limit, ar;
} gseg_t;

static gseg_t guest_seg(const vmx_t *x, int s)
{
    gseg_t g;
    g.sel = (uint16_t)vmr(x, VMCS_GUEST_ES_SEL + 2u * (uint32_t)s);
    g.base = vmr(x, VMCS_GUEST_ES_BASE + 2u * (uint32_t)s);
    g.limit = (uint32_t)vmr(x, VMCS_GUEST_ES_LIMIT + 2u * (uint32_t)s);
    g.ar = (uint32_t)vmr(x, VMCS_GUEST_ES_AR + 2u * (uint32_t)s);
    return g;
}

static bool usable(const gseg_t *g) { return !(g->ar & SEGA_UNUSABLE); }
static unsigned ar_type(const gseg_t *g) { return g->ar & SEGA_TYPE; }
static unsigned ar_dpl(const gseg_t *g) { return (g->ar & SEGA_DPL) >> SEGA_DPL_SHIFT; }

/* Reserved AR bits 11:8 and 31:17 zero; G consistent with the limit. */
static bool ar_common_ok(const gseg_t *g)
{
    if (g->ar & 0xfffe0f00u)
        return false;
    if ((g->limit & 0xfff) != 0xfff && (g->ar & SEGA_G))
        return false;
    if ((g->limit & 0xfff00000u) && !(g->ar & SEGA_G))
        return false;
    return (g->ar & SEGA_P) != 0;
}

typedef struct gctx {
    bool ia32e, unrestricted, pe, v86;
} gctx_t;

static bool cs_ok(const gctx_t *c, const gseg_t *cs, const gseg_t *ss)
{
    unsigned t = ar_type(cs);
    bool t_ok = t == 9 || t == 11 || t == 13 || t == 15 || (c->unrestricted && t == 3);
    if (!t_ok || !(cs->ar & SEGA_S) || !ar_common_ok(cs))
        return false;
    if (t == 3 && ar_dpl(cs) != 0)
        return false;
    if ((t == 9 || t == 11) && ar_dpl(cs) != ar_dpl(ss))
        return false;
    if ((t == 13 || t == 15) && ar_dpl(cs) > ar_dpl(ss))
        return false;
    if (c->ia32e && (cs->ar & SEGA_L) && (cs->ar & SEGA_DB))
        return false;
    return !(cs->base >> 32);
}

static bool ss_ok(const gctx_t *c, const gseg_t *ss, const gseg_t *cs)
{
    if (!c->unrestricted && (ss->sel & 3) != (cs->sel & 3))
        return false;
    if (!usable(ss))
        return true;
    unsigned t = ar_type(ss);
    if ((t != 3 && t != 7) || !(ss->ar & SEGA_S) || !ar_common_ok(ss))
        return false;
    if ((ar_type(cs) == 3 || !c->pe) && ar_dpl(ss) != 0)
        return false;
    return !(ss->base >> 32);
}

static bool data_seg_ok(const gctx_t *c, const gseg_t *g, bool check_high_base)
{
    if (!usable(g))
        return true;
    unsigned t = ar_type(g);
    if (!(t & 1) || ((t & 8) && !(t & 2)) || !(g->ar & SEGA_S) || !ar_common_ok(g))
        return false;
    if (!c->unrestricted && t <= 11 && ar_dpl(g) < (g->sel & 3u))
        return false;
    return check_high_base ? !(g->base >> 32) : CANON(g->base);
}

static bool system_segs_ok(const gctx_t *c, const gseg_t *tr, const gseg_t *ldtr)
{
    unsigned t = ar_type(tr);
    if ((tr->sel & 4) || !usable(tr) || (tr->ar & SEGA_S) || !ar_common_ok(tr) || !CANON(tr->base))
        return false;
    if (c->ia32e ? t != ST_TSS_BUSY : (t != ST_TSS_BUSY && t != ST_TSS16_BUSY))
        return false;
    if (usable(ldtr) && ((ldtr->sel & 4) || ar_type(ldtr) != ST_LDT || (ldtr->ar & SEGA_S) ||
                         !ar_common_ok(ldtr) || !CANON(ldtr->base)))
        return false;
    return true;
}

/* Virtual-8086 guests: base = sel << 4, limit 0xffff, AR 0xf3 (§27.3.1.2). */
static bool v86_segs_ok(const vmx_t *x)
{
    for (int s = SEG_ES; s <= SEG_GS; s++) {
        gseg_t g = guest_seg(x, s);
        if (g.base != (uint64_t)g.sel << 4 || g.limit != 0xffff || g.ar != 0xf3)
            return false;
    }
    return true;
}

static bool segments_ok(const vmx_t *x, const gctx_t *c)
{
    gseg_t cs = guest_seg(x, SEG_CS), ss = guest_seg(x, SEG_SS);
    gseg_t tr = guest_seg(x, SEG_TR), ldtr = guest_seg(x, SEG_LDTR);
    if (c->v86)
        return v86_segs_ok(x) && system_segs_ok(c, &tr, &ldtr);
    if (!cs_ok(c, &cs, &ss) || !ss_ok(c, &ss, &cs))
        return false;
    for (int s = SEG_ES; s <= SEG_GS; s++) {
        if (s == SEG_CS || s == SEG_SS)
            continue;
        gseg_t g = guest_seg(x, s);
        if (!data_seg_ok(c, &g, s != SEG_FS && s != SEG_GS))
            return false;
    }
    return system_segs_ok(c, &tr, &ldtr);
}

static bool guest_crs_ok(const vmx_t *x, const gctx_t *c)
{
    uint64_t cr0 = vmr(x, VMCS_GUEST_CR0), cr4 = vmr(x, VMCS_GUEST_CR4);
    uint64_t fixed0 = vmx_cr0_fixed0();
    if (c->unrestricted)
        fixed0 &= ~(uint64_t)(CR0_PE | CR0_PG);
    if ((cr0 & fixed0) != fixed0 || (cr0 & ~vmx_cr0_fixed1()) || ((cr0 & CR0_PG) && !(cr0 & CR0_PE)))
        return false;
    if ((cr4 & vmx_cr4_fixed0()) != vmx_cr4_fixed0() || (cr4 & ~vmx_cr4_fixed1()))
        return false;
    if (c->ia32e && (!(cr0 & CR0_PG) || !(cr4 & CR4_PAE)))
        return false;
    if (!c->ia32e && (cr4 & CR4_PCIDE))
        return false;
    if (vmr(x, VMCS_GUEST_CR3) & VMX_PHYS_RSVD)
        return false;
    if ((vmr(x, VMCS_ENTRY_CTLS) & ENTRY_LOAD_DEBUG) && (vmr(x, VMCS_GUEST_DR7) >> 32))
        return false;
    if (!CANON(vmr(x, VMCS_GUEST_SYSENTER_ESP)) || !CANON(vmr(x, VMCS_GUEST_SYSENTER_EIP)))
        return false;
    return true;
}

static bool guest_msrs_ok(const vmx_t *x, const gctx_t *c)
{
    uint32_t entry = (uint32_t)vmr(x, VMCS_ENTRY_CTLS);
    if (entry & ENTRY_LOAD_PAT) {
        uint64_t pat = vmr(x, VMCS_GUEST_PAT);
        for (unsigned i = 0; i < 8; i++) {
            unsigned t = (pat >> (8 * i)) & 0xff;
            if (t == 2 || t == 3 || t > 7)
                return false;
        }
    }
    if (entry & ENTRY_LOAD_EFER) {
        uint64_t efer = vmr(x, VMCS_GUEST_EFER);
        if (efer & ~(uint64_t)(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE))
            return false;
        if (!!(efer & EFER_LMA) != c->ia32e)
            return false;
        if ((vmr(x, VMCS_GUEST_CR0) & CR0_PG) && !!(efer & EFER_LMA) != !!(efer & EFER_LME))
            return false;
    }
    return true;
}

static bool rip_rflags_ok(const vmx_t *x, const gctx_t *c)
{
    uint64_t rip = vmr(x, VMCS_GUEST_RIP), fl = vmr(x, VMCS_GUEST_RFLAGS);
    bool cs_l = vmr(x, VMCS_GUEST_CS_AR) & SEGA_L;
    if (!(c->ia32e && cs_l) ? (rip >> 32) != 0 : !CANON(rip))
        return false;
    if ((fl & ~0x3f7fd7ull) || !(fl & 2))
        return false;
    if ((c->ia32e || !c->pe) && (fl & F_VM))
        return false;
    uint32_t info = (uint32_t)vmr(x, VMCS_ENTRY_INTR_INFO);
    if ((info & INTR_INFO_VALID) && ((info >> 8) & 7) == INTR_TYPE_EXT && !(fl & F_IF))
        return false;
    return true;
}

/* Activity and interruptibility state (§27.3.1.5). */
static bool events_ok(const vmx_t *x)
{
    uint64_t act = vmr(x, VMCS_GUEST_ACTIVITY), intr = vmr(x, VMCS_GUEST_INTERRUPTIBILITY);
    if (act == 2 || act > 3)
        return false;                        /* active, HLT and wait-for-SIPI are supported */
    if (act == 1 && ((vmr(x, VMCS_GUEST_SS_AR) & SEGA_DPL) >> SEGA_DPL_SHIFT) != 0)
        return false;
    if (act == 3 && (vmr(x, VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID))
        return false;                        /* nothing can be injected into wait-for-SIPI */
    if ((intr & ~0x1full) || (intr & 3) == 3)
        return false;
    if (!(vmr(x, VMCS_GUEST_RFLAGS) & F_IF) && (intr & 1))
        return false;
    uint32_t info = (uint32_t)vmr(x, VMCS_ENTRY_INTR_INFO);
    if ((info & INTR_INFO_VALID) && ((info >> 8) & 7) == INTR_TYPE_EXT && (intr & 3))
        return false;
    if ((info & INTR_INFO_VALID) && ((info >> 8) & 7) == INTR_TYPE_NMI && (intr & 2))
        return false;
    uint64_t dbg = vmr(x, VMCS_GUEST_PENDING_DBG);
    return !(dbg & ~0x5000full) ;
}

/* Guest-state check; returns 0, or the exit qualification of a failure
 * plus one (§27.8: 0 default, 4 bad VMCS link pointer). */
static bool guest_pae(const vmx_t *x)
{
    return (vmr(x, VMCS_GUEST_CR0) & CR0_PG) && (vmr(x, VMCS_GUEST_CR4) & CR4_PAE) &&
           !(vmr(x, VMCS_ENTRY_CTLS) & ENTRY_IA32E);
}

/* The PDPTEs of a PAE guest: the VMCS fields with EPT, else the table at
 * guest CR3 (§26.3.1.6); they are loaded from the same place (§26.3.2.4). */
static void guest_pdptes(cpu_t *cpu, const vmx_t *x, uint64_t e[4])
{
    bool ept = proc2_of(x) & PROC2_EPT;
    uint64_t base = vmr(x, VMCS_GUEST_CR3) & 0xffffffe0ull;
    for (unsigned i = 0; i < 4; i++)
        e[i] = ept ? vmr(x, VMCS_GUEST_PDPTE0 + 2u * i) : phys_read(&cpu->m->mem, base + 8 * i, 8);
}

static bool guest_pdptes_ok(cpu_t *cpu, const vmx_t *x)
{
    uint64_t e[4];
    if (!guest_pae(x))
        return true;
    guest_pdptes(cpu, x, e);
    for (unsigned i = 0; i < 4; i++)
        if (!mmu_pdpte_ok(e[i]))
            return false;
    return true;
}

static int guest_state_check(cpu_t *cpu, const vmx_t *x)
{
    uint32_t entry = (uint32_t)vmr(x, VMCS_ENTRY_CTLS);
    gctx_t c = {
        .ia32e = entry & ENTRY_IA32E,
        .unrestricted = proc2_of(x) & PROC2_UNRESTRICTED,
        .pe = vmr(x, VMCS_GUEST_CR0) & CR0_PE,
        .v86 = vmr(x, VMCS_GUEST_RFLAGS) & F_VM,
    };
    if (!guest_crs_ok(x, &c) || !guest_msrs_ok(x, &c) || !segments_ok(x, &c))
        return 1;
    if (!CANON(vmr(x, VMCS_GUEST_GDTR_BASE)) || !CANON(vmr(x, VMCS_GUEST_IDTR_BASE)) ||
        (vmr(x, VMCS_GUEST_GDTR_LIMIT) >> 16) || (vmr(x, VMCS_GUEST_IDTR_LIMIT) >> 16))
        return 1;
    if (!rip_rflags_ok(x, &c) || !events_ok(x))
        return 1;
    if (!guest_pdptes_ok(cpu, x))
        return 3;                     /* qualification 2: loading the PDPTEs (§27.8) */
    uint64_t link = vmr(x, VMCS_LINK_PTR);
    if (link != ~0ull && (!aligned_in_width(link, 4096) || vmcs_region_revision(cpu, link) != VMX_REVISION))
        return 5;
    return 0;
}

/* ---- loading the guest (§27.3.2) ---- */

static void load_segments(cpu_t *cpu, const vmx_t *x)
{
    for (int s = 0; s < SEG_COUNT; s++) {
        gseg_t g = guest_seg(x, s);
        cpu->seg[s] = (seg_t){ .sel = g.sel, .base = g.base, .limit = g.limit, .attr = g.ar & (SEGA_UNUSABLE | 0xf0ff) };
    }
    cpu->gdtr = (dtr_t){ vmr(x, VMCS_GUEST_GDTR_BASE), (uint16_t)vmr(x, VMCS_GUEST_GDTR_LIMIT) };
    cpu->idtr = (dtr_t){ vmr(x, VMCS_GUEST_IDTR_BASE), (uint16_t)vmr(x, VMCS_GUEST_IDTR_LIMIT) };
}

static void load_guest(cpu_t *cpu, vmx_t *x)
{
    uint32_t entry = (uint32_t)vmr(x, VMCS_ENTRY_CTLS);
    cpu->cr0 = vmr(x, VMCS_GUEST_CR0) | CR0_ET;
    cpu->cr3 = vmr(x, VMCS_GUEST_CR3);
    cpu->cr4 = vmr(x, VMCS_GUEST_CR4);
    if (entry & ENTRY_LOAD_DEBUG)
        cpu->dr[7] = (vmr(x, VMCS_GUEST_DR7) & 0xffff23ffull) | 0x400;
    cpu->sysenter_cs = (uint32_t)vmr(x, VMCS_GUEST_SYSENTER_CS);
    cpu->sysenter_esp = vmr(x, VMCS_GUEST_SYSENTER_ESP);
    cpu->sysenter_eip = vmr(x, VMCS_GUEST_SYSENTER_EIP);
    if (entry & ENTRY_LOAD_PAT)
        cpu->pat = vmr(x, VMCS_GUEST_PAT);
    if (entry & ENTRY_LOAD_EFER)
        cpu->efer = vmr(x, VMCS_GUEST_EFER);
    else if (entry & ENTRY_IA32E)
        cpu->efer |= EFER_LMA | EFER_LME;
    else
        cpu->efer &= ~(uint64_t)(EFER_LMA | EFER_LME);
    load_segments(cpu, x);
    cpu->r[R_RSP] = vmr(x, VMCS_GUEST_RSP);
    cpu->r[R_RIP] = vmr(x, VMCS_GUEST_RIP);
    cpu_set_rflags(cpu, vmr(x, VMCS_GUEST_RFLAGS));
    uint64_t intr = vmr(x, VMCS_GUEST_INTERRUPTIBILITY);
    cpu->irq_shadow_end = (intr & 3) ? cpu_retired(cpu) + 1 : 0;
    x->nmi_blocked = intr & 8;
    cpu->halted = vmr(x, VMCS_GUEST_ACTIVITY) == 1;
    /* Wait-for-SIPI: only a SIPI ends it, as a VM exit (§26.7.3, §26.2). */
    cpu->apic.wait_sipi = vmr(x, VMCS_GUEST_ACTIVITY) == 3;
    x->sipi_exit = 0;
    if (guest_pae(x)) {
        uint64_t e[4];
        guest_pdptes(cpu, x, e);
        mmu_set_pdptes(cpu, e, cpu->cr3);
    }
}

/* Returns 0, or the 1-based index of the failing entry (§27.4). */
static uint32_t load_entry_msrs(cpu_t *cpu, const vmx_t *x)
{
    uint64_t at = vmr(x, VMCS_ENTRY_MSR_LOAD_ADDR);
    uint32_t n = (uint32_t)vmr(x, VMCS_ENTRY_MSR_LOAD_COUNT);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t idx = (uint32_t)phys_read(&cpu->m->mem, at + 16 * i, 4);
        uint32_t rsvd = (uint32_t)phys_read(&cpu->m->mem, at + 16 * i + 4, 4);
        uint64_t v = phys_read(&cpu->m->mem, at + 16 * i + 8, 8);
        if (i >= 512 || rsvd || (idx >> 8) == 0x8 || (idx >= 0x480 && idx <= 0x491) || !msr_write(cpu, idx, v))
            return i + 1;
    }
    return 0;
}

static void cache_controls(vmx_t *x)
{
    x->pin = (uint32_t)vmr(x, VMCS_PIN_CTLS);
    x->proc = (uint32_t)vmr(x, VMCS_PROC_CTLS);
    x->proc2 = proc2_of(x);
    x->exit_ctl = (uint32_t)vmr(x, VMCS_EXIT_CTLS);
    x->entry_ctl = (uint32_t)vmr(x, VMCS_ENTRY_CTLS);
    x->exc_bitmap = (uint32_t)vmr(x, VMCS_EXC_BITMAP);
    x->pf_mask = (uint32_t)vmr(x, VMCS_PF_ERR_MASK);
    x->pf_match = (uint32_t)vmr(x, VMCS_PF_ERR_MATCH);
    x->eptp = vmr(x, VMCS_EPTP);
    x->ept = x->proc2 & PROC2_EPT;
}

/* Entry failure after the guest-state checks: a VM exit with bit 31 set
 * that saves nothing of the guest (§27.8). */
static void entry_fail(cpu_t *cpu, vmx_t *x, uint32_t reason, uint64_t qual)
{
    exit_info_t e = { .reason = reason | EXIT_REASON_ENTRY_FAIL, .qual = qual };
    x->exit_ctl = (uint32_t)vmr(x, VMCS_EXIT_CTLS);
    vmx_record_exit(cpu, &e);
    vmw(x, VMCS_IDT_VEC_INFO, 0);
    vmx_exit_load_host(cpu);
    x->exited = true;
}

int vmx_enter(cpu_t *cpu)
{
    vmx_t *x = cpu->vmx;
    bool launch = !x->cur->launched;
    if (!exec_controls_ok(x) || !exit_controls_ok(x) || !entry_controls_ok(x))
        return VMERR_BAD_CONTROLS;
    if (!x->api && !host_state_ok(cpu, x))
        return VMERR_BAD_HOST_STATE;
    int bad = guest_state_check(cpu, x);
    if (bad) {
        entry_fail(cpu, x, EXIT_BAD_GUEST, (uint64_t)(bad - 1));
        return 0;
    }
    cache_controls(x);
    load_guest(cpu, x);
    x->nonroot = true;
    /* The guest's translations are tagged with its VPID and, under EPT,
     * its EP4TA (§29.1, §29.3.1). */
    cpu->tlb_vpid = (x->proc2 & PROC2_VPID) ? (uint16_t)vmr(x, VMCS_VPID) : 0;
    cpu->tlb_ep4ta = x->ept ? (x->eptp & VMX_EP4TA_MASK) : 0;
    cpu_update_mode(cpu);
    vmx_entry_exit_flush(cpu);
    cpu_monitor_clear(cpu);           /* address-range monitoring ends (§27.3.2.5) */
    uint32_t bad_msr = load_entry_msrs(cpu, x);
    if (bad_msr) {
        x->nonroot = false;
        entry_fail(cpu, x, EXIT_MSR_LOAD_FAIL, bad_msr);
        return 0;
    }
    x->cur->launched = true;
    x->exited = false;
    trace_vmentry(cpu, launch);
    return 0;
}

/* ---- after the guest is loaded: injection (§27.6), windows and the
 * preemption timer (§26.7) ---- */

static void inject(cpu_t *cpu, vmx_t *x, uint32_t info)
{
    unsigned type = (info >> 8) & 7;
    int vec = (int)(info & 0xff);
    uint32_t err = (uint32_t)vmr(x, VMCS_ENTRY_EXC_ERR);
    uint64_t len = vmr(x, VMCS_ENTRY_INSN_LEN);
    cpu->halted = false;
    x->injecting = true;
    switch (type) {
    case INTR_TYPE_EXT: cpu_deliver_event(cpu, vec, EV_EXTINT, 0); break;
    case INTR_TYPE_NMI:
        x->nmi_blocked = true;
        cpu_deliver_event(cpu, vec, EV_EXTINT, 0);
        break;
    case INTR_TYPE_HW_EXC: cpu_deliver_event(cpu, vec, EV_EXC, err); break;
    case INTR_TYPE_PRIV_SW_EXC:
        cpu->r[R_RIP] += len;
        cpu_deliver_event(cpu, vec, EV_ICEBP, 0);
        break;
    default:                                  /* software interrupt or exception */
        cpu->r[R_RIP] += len;
        cpu_deliver_event(cpu, vec, EV_SOFT, 0);
        break;
    }
}

static bool interrupts_open(const cpu_t *cpu)
{
    return (cpu->rflags & F_IF) && cpu->irq_shadow_end <= cpu_retired(cpu);
}

static _Noreturn void window_exit_qual(cpu_t *cpu, uint32_t reason, uint64_t qual)
{
    exit_info_t e = { .reason = reason, .qual = qual };
    vmx_exit(cpu, &e);
}

static _Noreturn void window_exit(cpu_t *cpu, uint32_t reason)
{
    window_exit_qual(cpu, reason, 0);
}

uint64_t vmx_stop_limit(const cpu_t *cpu, uint64_t stop)
{
    const vmx_t *x = cpu->vmx;
    if ((x->pin & PIN_PREEMPT_TIMER) && x->timer_deadline < stop)
        stop = x->timer_deadline;
    if ((x->window_watch || (x->proc & PROC_MTF)) && cpu->icount + 1 < stop)
        stop = cpu->icount + 1;
    return stop;
}

void vmx_between_blocks(cpu_t *cpu)
{
    vmx_t *x = cpu->vmx;
    if (x->sipi_exit)                         /* SIPI in wait-for-SIPI: reason 4, the vector */
        window_exit_qual(cpu, EXIT_SIPI, x->sipi_exit & 0xff);
    if (cpu->apic.init_pending && !cpu->apic.wait_sipi) {   /* INIT: exit reason 3 (§26.2) */
        cpu->apic.init_pending = false;
        window_exit(cpu, EXIT_INIT);
    }
    /* A halted guest idles to the timer unless the APIC timer comes first
     * (DESIGN.md, "Determinism": idle time costs no host time). */
    if ((x->pin & PIN_PREEMPT_TIMER) && cpu->halted && x->timer_deadline <= cpu->apic.deadline &&
        x->timer_deadline < cpu->budget_end && x->timer_deadline > cpu->icount)
        cpu->icount = x->timer_deadline;
    if ((x->pin & PIN_PREEMPT_TIMER) && cpu->icount >= x->timer_deadline)
        window_exit(cpu, EXIT_PREEMPT_TIMER);
    if ((x->proc & PROC_NMI_WINDOW) && !x->nmi_blocked)
        window_exit(cpu, EXIT_NMI_WINDOW);
    if ((x->proc & PROC_INT_WINDOW) && interrupts_open(cpu) && !cpu->halted)
        window_exit(cpu, EXIT_INT_WINDOW);
    /* Monitor trap flag: after the first instruction of the guest (§26.5.2). */
    if ((x->proc & PROC_MTF) && cpu->icount > x->entry_icount)
        window_exit(cpu, EXIT_MTF);
}

/* Timer ticks to retired instructions, rounding up (TSC = retired * hz / IPS). */
static uint64_t timer_insns(const cpu_t *cpu, uint64_t value)
{
    unsigned __int128 ticks = (unsigned __int128)value << VMX_TIMER_SHIFT;
    uint64_t hz = cpu_tsc_hz(cpu);
    return (uint64_t)((ticks * CPU_VIRT_IPS + hz - 1) / hz);
}

void vmx_after_entry(cpu_t *cpu)
{
    vmx_t *x = cpu->vmx;
    uint32_t info = (uint32_t)vmr(x, VMCS_ENTRY_INTR_INFO);
    if (cpu->cur) {
        cpu->icount = cpu_retired(cpu) + 1;   /* VMLAUNCH/VMRESUME retired */
        cpu->cur = NULL;                      /* faults from here on belong to the guest */
        cpu->cur_block = NULL;
    }
    x->window_watch = false;
    x->vec_info = 0;
    x->entry_icount = cpu->icount;
    if (x->pin & PIN_PREEMPT_TIMER)
        x->timer_deadline = cpu_retired(cpu) + timer_insns(cpu, (uint32_t)vmr(x, VMCS_PREEMPT_TIMER));
    if (info & INTR_INFO_VALID)
        inject(cpu, x, info);
    /* Windows open later (STI, POPF, IRET): look after every instruction. */
    x->window_watch = (x->proc & (PROC_INT_WINDOW | PROC_NMI_WINDOW)) != 0;
    if (!(info & INTR_INFO_VALID))
        vmx_between_blocks(cpu);              /* windows already open: exit before the first instruction */
}
