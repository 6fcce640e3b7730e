/* VM exits (SDM Vol.3C ch.28): recording the exit information (§28.2),
 * saving guest state (§28.3), loading host state (§28.5) and the MSR
 * lists (§28.4, §28.6). The exiting instruction does not retire. */
#include <setjmp.h>

#include "../cpu/system.h"
#include "vmx_int.h"
#include "xenemu/trace.h"

static const uint16_t seg_sel_field[SEG_COUNT] = {
    VMCS_GUEST_ES_SEL, VMCS_GUEST_CS_SEL, VMCS_GUEST_SS_SEL, VMCS_GUEST_DS_SEL,
    VMCS_GUEST_FS_SEL, VMCS_GUEST_GS_SEL, VMCS_GUEST_LDTR_SEL, VMCS_GUEST_TR_SEL,
};

/* Guest segment fields are laid out in the same order for selector, limit,
 * access rights and base (Appendix B), 2 apart. */
static uint32_t seg_field(uint32_t first, int seg)
{
    return first + 2u * (uint32_t)seg;
}

/* VM entries and exits drop VPID 0's translations unless "enable VPID"
 * tags the guest's apart (§27.3.2.5, §28.5.5). */
void vmx_entry_exit_flush(cpu_t *cpu)
{
    if (!(cpu->vmx->proc2 & PROC2_VPID))
        mmu_flush_vpid(cpu, 0, false);
}

/* ---- saving guest state (§28.3) ---- */

static void save_segments(cpu_t *cpu, vmx_t *x)
{
    for (int s = 0; s < SEG_COUNT; s++) {
        const seg_t *g = &cpu->seg[s];
        vmw(x, seg_sel_field[s], g->sel);
        vmw(x, seg_field(VMCS_GUEST_ES_BASE, s), g->base);
        vmw(x, seg_field(VMCS_GUEST_ES_LIMIT, s), g->limit);
        vmw(x, seg_field(VMCS_GUEST_ES_AR, s), g->attr & (SEGA_UNUSABLE | 0xf0ff));
    }
    vmw(x, VMCS_GUEST_GDTR_BASE, cpu->gdtr.base);
    vmw(x, VMCS_GUEST_GDTR_LIMIT, cpu->gdtr.limit);
    vmw(x, VMCS_GUEST_IDTR_BASE, cpu->idtr.base);
    vmw(x, VMCS_GUEST_IDTR_LIMIT, cpu->idtr.limit);
}

/* Interruptibility (Table 25-3): blocking by STI; activity: HLT or
 * wait-for-SIPI, which a SIPI exit still reports (§25.4.2). */
static void save_events(cpu_t *cpu, vmx_t *x)
{
    uint32_t intr = (uint32_t)vmr(x, VMCS_GUEST_INTERRUPTIBILITY) & ~0xbu;
    if (cpu->irq_shadow_end > cpu_retired(cpu))
        intr |= 1;
    if (x->nmi_blocked)
        intr |= 8;
    vmw(x, VMCS_GUEST_INTERRUPTIBILITY, intr);
    vmw(x, VMCS_GUEST_ACTIVITY, x->sipi_exit || cpu->apic.wait_sipi ? 3 : cpu->halted ? 1 : 0);
}

static void save_timer(cpu_t *cpu, vmx_t *x)
{
    if (!(x->pin & PIN_PREEMPT_TIMER) || !(x->exit_ctl & EXIT_SAVE_TIMER))
        return;
    uint64_t now = cpu_retired(cpu);
    uint64_t left = x->timer_deadline > now ? x->timer_deadline - now : 0;
    uint64_t ticks = (uint64_t)((unsigned __int128)left * cpu_tsc_hz(cpu) / CPU_VIRT_IPS);
    vmw(x, VMCS_PREEMPT_TIMER, ticks >> VMX_TIMER_SHIFT);
}

/* With EPT, a PAE guest's PDPTE registers go to the VMCS (§27.3.4). */
static void save_pdptes(cpu_t *cpu, vmx_t *x)
{
    bool pae = (cpu->cr0 & CR0_PG) && (cpu->cr4 & CR4_PAE) && !(cpu->efer & EFER_LMA);
    if (!x->ept || !pae || !cpu->pdpte_valid)
        return;
    for (unsigned i = 0; i < 4; i++)
        vmw(x, VMCS_GUEST_PDPTE0 + 2u * i, cpu->pdpte[i]);
}

void vmx_save_guest(cpu_t *cpu)
{
    vmx_t *x = cpu->vmx;
    vmw(x, VMCS_GUEST_CR0, cpu->cr0);
    vmw(x, VMCS_GUEST_CR3, cpu->cr3);
    vmw(x, VMCS_GUEST_CR4, cpu->cr4);
    if (x->exit_ctl & EXIT_SAVE_DEBUG) {
        vmw(x, VMCS_GUEST_DR7, cpu->dr[7]);
        vmw(x, VMCS_GUEST_DEBUGCTL, 0);
    }
    vmw(x, VMCS_GUEST_RSP, cpu->r[R_RSP]);
    vmw(x, VMCS_GUEST_RIP, cpu->r[R_RIP]);
    vmw(x, VMCS_GUEST_RFLAGS, cpu_get_rflags(cpu));
    save_segments(cpu, x);
    vmw(x, VMCS_GUEST_SYSENTER_CS, cpu->sysenter_cs);
    vmw(x, VMCS_GUEST_SYSENTER_ESP, cpu->sysenter_esp);
    vmw(x, VMCS_GUEST_SYSENTER_EIP, cpu->sysenter_eip);
    if (x->exit_ctl & EXIT_SAVE_PAT)
        vmw(x, VMCS_GUEST_PAT, cpu->pat);
    if (x->exit_ctl & EXIT_SAVE_EFER)
        vmw(x, VMCS_GUEST_EFER, cpu->efer);
    /* IA32_VMX_MISC bit 5: "IA-32e mode guest" follows EFER.LMA. */
    uint32_t entry = (uint32_t)vmr(x, VMCS_ENTRY_CTLS) & ~ENTRY_IA32E;
    vmw(x, VMCS_ENTRY_CTLS, entry | ((cpu->efer & EFER_LMA) ? ENTRY_IA32E : 0));
    save_events(cpu, x);
    save_timer(cpu, x);
    save_pdptes(cpu, x);
}

/* ---- MSR lists (§28.4, §28.6) ---- */

static void store_msrs(cpu_t *cpu, vmx_t *x)
{
    uint64_t at = vmr(x, VMCS_EXIT_MSR_STORE_ADDR);
    uint32_t n = (uint32_t)vmr(x, VMCS_EXIT_MSR_STORE_COUNT);
    for (uint32_t i = 0; i < n && i < 512; i++) {
        uint32_t idx = (uint32_t)phys_read(&cpu->m->mem, at + 16 * i, 4);
        uint64_t v = 0;
        msr_read(cpu, idx, &v);
        phys_write(&cpu->m->mem, at + 16 * i + 8, v, 8);
    }
}

static void load_host_msrs(cpu_t *cpu, vmx_t *x)
{
    uint64_t at = vmr(x, VMCS_EXIT_MSR_LOAD_ADDR);
    uint32_t n = (uint32_t)vmr(x, VMCS_EXIT_MSR_LOAD_COUNT);
    for (uint32_t i = 0; i < n && i < 512; i++) {
        uint32_t idx = (uint32_t)phys_read(&cpu->m->mem, at + 16 * i, 4);
        msr_write(cpu, idx, phys_read(&cpu->m->mem, at + 16 * i + 8, 8));
    }
}

/* ---- loading host state (§28.5) ---- */

static void host_segment(cpu_t *cpu, int s, uint16_t sel, uint64_t base, bool code, bool l)
{
    seg_t *g = &cpu->seg[s];
    g->sel = sel;
    g->base = base;
    g->limit = 0xffffffffu;
    if (code)
        g->attr = 0xb | SEGA_S | SEGA_P | SEGA_G | (l ? SEGA_L : SEGA_DB);
    else
        g->attr = 3 | SEGA_S | SEGA_P | SEGA_G | SEGA_DB | (sel ? 0 : SEGA_UNUSABLE);
}

static void load_host_segments(cpu_t *cpu, vmx_t *x, bool l)
{
    host_segment(cpu, SEG_CS, (uint16_t)vmr(x, VMCS_HOST_CS_SEL), 0, true, l);
    host_segment(cpu, SEG_SS, (uint16_t)vmr(x, VMCS_HOST_SS_SEL), 0, false, l);
    host_segment(cpu, SEG_DS, (uint16_t)vmr(x, VMCS_HOST_DS_SEL), 0, false, l);
    host_segment(cpu, SEG_ES, (uint16_t)vmr(x, VMCS_HOST_ES_SEL), 0, false, l);
    host_segment(cpu, SEG_FS, (uint16_t)vmr(x, VMCS_HOST_FS_SEL), vmr(x, VMCS_HOST_FS_BASE), false, l);
    host_segment(cpu, SEG_GS, (uint16_t)vmr(x, VMCS_HOST_GS_SEL), vmr(x, VMCS_HOST_GS_BASE), false, l);
    cpu->seg[SEG_SS].attr &= ~(uint32_t)SEGA_UNUSABLE;     /* SS stays usable (DPL 0) */
    cpu->seg[SEG_TR] = (seg_t){ .sel = (uint16_t)vmr(x, VMCS_HOST_TR_SEL), .base = vmr(x, VMCS_HOST_TR_BASE),
                                .limit = 0x67, .attr = ST_TSS_BUSY | SEGA_P };
    cpu->seg[SEG_LDTR] = (seg_t){ .attr = SEGA_UNUSABLE };
    cpu->gdtr = (dtr_t){ vmr(x, VMCS_HOST_GDTR_BASE), 0xffff };
    cpu->idtr = (dtr_t){ vmr(x, VMCS_HOST_IDTR_BASE), 0xffff };
}

void vmx_exit_load_host(cpu_t *cpu)
{
    vmx_t *x = cpu->vmx;
    bool l = x->exit_ctl & EXIT_HOST_64;
    x->nonroot = false;
    cpu->halted = false;
    cpu_monitor_clear(cpu);           /* a VM exit ends address-range monitoring (§28.5.5) */
    cpu->apic.wait_sipi = false;
    x->sipi_exit = 0;
    cpu->irq_shadow_end = 0;
    if (x->api) {
        vmx_entry_exit_flush(cpu);
        return;        /* the root side is C code: the vCPU keeps the guest state (and its EPT) */
    }
    x->ept = false;
    cpu->tlb_vpid = 0;
    cpu->tlb_ep4ta = 0;
    cpu->cr0 = vmr(x, VMCS_HOST_CR0) | CR0_ET;
    cpu->cr3 = vmr(x, VMCS_HOST_CR3);
    cpu->cr4 = vmr(x, VMCS_HOST_CR4);
    cpu->dr[7] = 0x400;
    cpu->sysenter_cs = (uint32_t)vmr(x, VMCS_HOST_SYSENTER_CS);
    cpu->sysenter_esp = vmr(x, VMCS_HOST_SYSENTER_ESP);
    cpu->sysenter_eip = vmr(x, VMCS_HOST_SYSENTER_EIP);
    if (x->exit_ctl & EXIT_LOAD_PAT)
        cpu->pat = vmr(x, VMCS_HOST_PAT);
    if (x->exit_ctl & EXIT_LOAD_EFER)
        cpu->efer = vmr(x, VMCS_HOST_EFER);
    else if (l)
        cpu->efer |= EFER_LMA | EFER_LME;
    else
        cpu->efer &= ~(uint64_t)(EFER_LMA | EFER_LME);
    load_host_segments(cpu, x, l);
    cpu->r[R_RIP] = vmr(x, VMCS_HOST_RIP);
    cpu->r[R_RSP] = vmr(x, VMCS_HOST_RSP);
    cpu_set_rflags(cpu, 2);
    if (!l && (cpu->cr0 & CR0_PG) && (cpu->cr4 & CR4_PAE))
        mmu_load_pdptes(cpu, cpu->cr3);         /* a PAE host (§28.5.4) */
    cpu_update_mode(cpu);
    vmx_entry_exit_flush(cpu);
    load_host_msrs(cpu, x);
}

/* ---- the exit itself ---- */

void vmx_record_exit(cpu_t *cpu, const exit_info_t *e)
{
    vmx_t *x = cpu->vmx;
    /* Every VM exit clears the valid bit of the entry event (§28.2). */
    vmw(x, VMCS_ENTRY_INTR_INFO, vmr(x, VMCS_ENTRY_INTR_INFO) & ~(uint64_t)INTR_INFO_VALID);
    vmw(x, VMCS_EXIT_REASON, e->reason);
    vmw(x, VMCS_EXIT_QUAL, e->qual);
    /* The trace event of every exit, entry failures included. */
    trace_vmexit(cpu, e->reason, e->qual, e->gpa_valid ? e->gpa : ~0ull, e->gla_valid ? e->gla : ~0ull);
    vmw(x, VMCS_EXIT_INSN_LEN, e->insn_len);
    vmw(x, VMCS_EXIT_INSN_INFO, e->insn_info);
    vmw(x, VMCS_EXIT_INTR_INFO, e->intr_info);
    vmw(x, VMCS_EXIT_INTR_ERR, e->intr_err);
    if (e->gpa_valid)
        vmw(x, VMCS_GUEST_PHYS_ADDR, e->gpa);
    if (e->gla_valid)
        vmw(x, VMCS_GUEST_LINEAR_ADDR, e->gla);
}

/* IDT-vectoring information (§28.2.4): the event whose delivery the exit
 * interrupted; software events also report their instruction length. */
static void record_vectoring(vmx_t *x)
{
    vmw(x, VMCS_IDT_VEC_INFO, x->vec_info);
    vmw(x, VMCS_IDT_VEC_ERR, x->vec_err);
    if (x->vec_info && x->vec_len)
        vmw(x, VMCS_EXIT_INSN_LEN, x->vec_len);
    x->vec_info = x->vec_err = x->vec_len = 0;
}

_Noreturn void vmx_exit(cpu_t *cpu, const exit_info_t *e)
{
    vmx_t *x = cpu->vmx;
    if (cpu->cur) {
        cpu->r[R_RIP] -= cpu->cur->len;      /* the instruction did not retire */
        cpu->icount = cpu_retired(cpu);      /* those before it in its block did */
        cpu->cur = NULL;
        cpu->cur_block = NULL;
    }
    vmx_record_exit(cpu, e);
    record_vectoring(x);
    vmx_save_guest(cpu);
    store_msrs(cpu, x);
    vmx_exit_load_host(cpu);
    x->exited = true;
    cpu->unwind = UNWIND_VMEXIT;
    longjmp(cpu->unwind_jmp, 1);
}

_Noreturn void vmx_exit_insn(cpu_t *cpu, uint32_t reason, uint64_t qual, uint32_t info)
{
    exit_info_t e = { .reason = reason, .qual = qual, .insn_info = info };
    e.insn_len = cpu->cur ? cpu->cur->len : 0;
    vmx_exit(cpu, &e);
}
