/* Privileged and system-register instructions: MOV CR/DR, CLTS, LMSW/SMSW,
 * LGDT/LIDT/SGDT/SIDT, LLDT/SLDT/LTR/STR, INVLPG, INVD/WBINVD, RDMSR/WRMSR,
 * RDTSC/RDTSCP/RDPMC, HLT, CLI/STI, CLAC/STAC, XGETBV/XSETBV (SDM Vol.2;
 * Vol.3A §2.5-2.8, §4.10.4). CPL > 0 (VM86 included) raises #GP(0). */
#include <string.h>

#include "system.h"

#include "xenemu/machine.h"
#include "xenemu/trace.h"
#include "xenemu/vmx.h"

#define CR0_VALID 0xe005003full      /* PE MP EM TS ET NE WP AM NW CD PG */
#define CR4_VALID (CR4_TSD | CR4_PSE | CR4_PAE | CR4_PGE | CR4_PCE | CR4_OSFXSR | CR4_OSXMMEXCPT | \
                   CR4_UMIP | CR4_VMXE | CR4_PCIDE | CR4_OSXSAVE | CR4_SMEP | CR4_SMAP)
#define PHYS_RSVD (~0ull << 40)
#define DR7_GD (1u << 13)

static void need_cpl0(cpu_t *cpu)
{
    if (cpu->cpl != 0)
        cpu_gp0(cpu);
}

/* CR4.UMIP: SGDT, SIDT, SLDT, STR, SMSW are CPL-0 only (SDM Vol.3A §2.5). */
static void umip_check(cpu_t *cpu)
{
    if ((cpu->cr4 & CR4_UMIP) && cpu->cpl > 0)
        cpu_gp0(cpu);
}

static bool pae_paging(uint64_t cr0, uint64_t cr4, uint64_t efer)
{
    return (cr0 & CR0_PG) && (cr4 & CR4_PAE) && !(efer & EFER_LMA);
}

/* ---- control registers (SDM Vol.2 MOV—Move to/from Control Registers) ---- */

static void write_cr0(cpu_t *cpu, uint64_t v)
{
    if (v >> 32)
        cpu_gp0(cpu);
    v = (v & CR0_VALID) | CR0_ET;
    if (((v & CR0_PG) && !(v & CR0_PE)) || ((v & CR0_NW) && !(v & CR0_CD)))
        cpu_gp0(cpu);
    if (cpu->vmx && cpu->vmx->on && !vmx_cr_fixed_ok(cpu, 0, v))
        cpu_gp0(cpu);                 /* IA32_VMX_CR0_FIXED0 (SDM Vol.3C §24.8) */
    uint64_t old = cpu->cr0, efer = cpu->efer;
    bool pg_on = (v & CR0_PG) && !(old & CR0_PG);
    bool pg_off = !(v & CR0_PG) && (old & CR0_PG);
    if (pg_on && (efer & EFER_LME)) {
        /* IA-32e activation (SDM Vol.3A §10.8.5): needs PAE, a non-64-bit
         * CS and a 32-bit TSS. */
        unsigned tr_type = cpu->seg[SEG_TR].attr & SEGA_TYPE;
        if (!(cpu->cr4 & CR4_PAE) || (cpu->seg[SEG_CS].attr & SEGA_L) || tr_type == ST_TSS16 ||
            tr_type == ST_TSS16_BUSY)
            cpu_gp0(cpu);
        efer |= EFER_LMA;
    }
    if (pg_off) {
        if (cpu->code_mode == CM_64 || (cpu->cr4 & CR4_PCIDE))
            cpu_gp0(cpu);
        efer &= ~(uint64_t)EFER_LMA;
    }
    if (pae_paging(v, cpu->cr4, efer) && ((v ^ old) & (CR0_PG | CR0_CD | CR0_NW)) && !mmu_load_pdptes(cpu, cpu->cr3))
        cpu_gp0(cpu);
    trace_cr0(cpu, old, v, cpu->efer, efer);   /* trace: mode class */
    cpu->cr0 = v;
    cpu->efer = efer;
    if ((v ^ old) & (CR0_PG | CR0_WP | CR0_PE))
        mmu_flush_all(cpu);
    cpu_update_mode(cpu);
}

/* With CR4.PCIDE, bit 63 of the source asks to keep the new PCID's
 * translations and is not stored (SDM Vol.3A §4.10.4.1). */
static void write_cr3(cpu_t *cpu, uint64_t v)
{
    bool no_flush = false;
    if (cpu->cr4 & CR4_PCIDE) {
        no_flush = v >> 63;
        v &= ~(1ull << 63);
    }
    if (cpu_lma(cpu) && (v & PHYS_RSVD))
        cpu_gp0(cpu);
    if (!cpu_lma(cpu))
        v = (uint32_t)v;
    if (pae_paging(cpu->cr0, cpu->cr4, cpu->efer) && !mmu_load_pdptes(cpu, v))
        cpu_gp0(cpu);
    trace_mode(cpu, 3, cpu->cr3, v);           /* trace: mode class */
    cpu->cr3 = v;
    mmu_flush_cr3(cpu, v, no_flush);
    cpu_update_mode(cpu);                      /* the PCID selects the TLB context */
}

static void write_cr4(cpu_t *cpu, uint64_t v)
{
    uint64_t old = cpu->cr4, changed = v ^ old;
    if ((v & ~(uint64_t)CR4_VALID) || (cpu_lma(cpu) && !(v & CR4_PAE)))
        cpu_gp0(cpu);
    /* PCIDs need IA-32e mode and start from PCID 0 (SDM Vol.3A §4.10.1). */
    if ((v & ~old & CR4_PCIDE) && (!cpu_lma(cpu) || (cpu->cr3 & 0xfff)))
        cpu_gp0(cpu);
    if (cpu->vmx && cpu->vmx->on && !vmx_cr_fixed_ok(cpu, 4, v))
        cpu_gp0(cpu);                 /* CR4.VMXE stays set in VMX operation */
    if (pae_paging(cpu->cr0, v, cpu->efer) && (changed & (CR4_PAE | CR4_PGE | CR4_PSE | CR4_SMEP)) &&
        !mmu_load_pdptes(cpu, cpu->cr3))
        cpu_gp0(cpu);
    trace_mode(cpu, 4, old, v);                /* trace: mode class */
    cpu->cr4 = v;
    /* PGE and PCIDE 1->0 invalidate everything (§4.10.4.1); the others
     * change what the TLB's entries allow. */
    if ((changed & (CR4_PSE | CR4_PAE | CR4_PGE | CR4_SMEP | CR4_SMAP)) || (old & ~v & CR4_PCIDE))
        mmu_flush_all(cpu);
    cpu_update_mode(cpu);
}

/* CR8 is the task-priority register (SDM Vol.3A §11.8.6.5); no APIC yet. */
static void write_cr8(cpu_t *cpu, uint64_t v)
{
    if (v & ~0xfull)
        cpu_gp0(cpu);
    cpu->cr8 = v;
}

static void h_mov_from_cr(cpu_t *cpu, const insn_t *in)
{
    need_cpl0(cpu);
    uint64_t v;
    switch (in->aux) {
    case 0: v = cpu->cr0; break;
    case 2: v = cpu->cr2; break;
    case 3: v = cpu->cr3; break;
    case 4: v = cpu->cr4; break;
    default: v = cpu->cr8; break;
    }
    if (vmx_nonroot(cpu))
        v = vmx_cr_read(cpu, in->aux, in->rm, v);   /* read shadows, CR3/CR8-store exiting */
    cpu->r[in->rm] = cpu->code_mode == CM_64 ? v : (uint32_t)v;
}

static void h_mov_to_cr(cpu_t *cpu, const insn_t *in)
{
    need_cpl0(cpu);
    uint64_t v = cpu->code_mode == CM_64 ? cpu->r[in->rm] : (uint32_t)cpu->r[in->rm];
    if (vmx_nonroot(cpu))
        v = vmx_cr_write(cpu, in->aux, in->rm, v);  /* guest/host masks, CR3/CR8-load exiting */
    switch (in->aux) {
    case 0: write_cr0(cpu, v); break;
    case 2: cpu->cr2 = v; break;
    case 3: write_cr3(cpu, v); break;
    case 4: write_cr4(cpu, v); break;
    default: write_cr8(cpu, v); break;
    }
    cpu_stop_after(cpu);
}

/* ---- debug registers (SDM Vol.3A §18.2) ---- */

/* DR7.GD: any MOV DR faults with #DB and BD set in DR6 (SDM Vol.3A §18.2.4). */
static void general_detect(cpu_t *cpu)
{
    if (cpu->dr[7] & DR7_GD) {
        cpu->dr[6] |= DR7_GD;
        cpu->dr[7] &= ~(uint64_t)DR7_GD;
        cpu_raise(cpu, EXC_DB);
    }
}

/* DR4/DR5 alias DR6/DR7 while CR4.DE is clear (always: DE is not reported). */
static unsigned dr_index(unsigned n)
{
    return (n == 4 || n == 5) ? n + 2 : n;
}

static void h_mov_from_dr(cpu_t *cpu, const insn_t *in)
{
    need_cpl0(cpu);
    if (vmx_nonroot(cpu))
        vmx_intercept_dr(cpu, in->aux, in->rm, true);
    general_detect(cpu);
    uint64_t v = cpu->dr[dr_index(in->aux)];
    cpu->r[in->rm] = cpu->code_mode == CM_64 ? v : (uint32_t)v;
}

static void h_mov_to_dr(cpu_t *cpu, const insn_t *in)
{
    need_cpl0(cpu);
    if (vmx_nonroot(cpu))
        vmx_intercept_dr(cpu, in->aux, in->rm, false);
    general_detect(cpu);
    unsigned n = dr_index(in->aux);
    uint64_t v = cpu->code_mode == CM_64 ? cpu->r[in->rm] : (uint32_t)cpu->r[in->rm];
    if (n >= 6 && (v >> 32))
        cpu_gp0(cpu);
    if (n == 6)
        v = (v & 0xe00full) | 0xffff0ff0ull;
    else if (n == 7)
        v = (v & 0xffff23ffull) | 0x400;
    cpu->dr[n] = v;
    cpu_stop_after(cpu);
}

/* MOV CR/DR ignore ModRM.mod: the operand is always a register (SDM Vol.2
 * MOV—Move to/from Control Registers). Drop the SIB and displacement bytes
 * the decoder read for a memory form. */
static void force_register_form(dctx_t *d, insn_t *in)
{
    in->rm = (uint8_t)(d->rmf | ((d->rex & 1) ? 8 : 0));
    if (!(in->flags & INF_MEM))
        return;
    unsigned extra = 0;
    if (in->adsz == 2) {
        extra = d->mod == 1 ? 1 : d->mod == 2 ? 2 : (d->rmf == 6 ? 2 : 0);
    } else {
        if (d->rmf == 4)
            extra += 1 + ((d->mod == 0 && in->base == R_ZERO) ? 4 : 0);
        else if (d->mod == 0 && d->rmf == 5)
            extra += 4;
        extra += d->mod == 1 ? 1 : d->mod == 2 ? 4 : 0;
    }
    in->len = (uint8_t)(in->len - extra);
    in->flags &= (uint8_t)~INF_MEM;
}

static void sel_mov_crdr(dctx_t *d, insn_t *in)
{
    unsigned n = in->reg;
    force_register_form(d, in);
    in->aux = (uint8_t)n;
    if (in->op == 0x20 || in->op == 0x22) {
        if (n != 0 && n != 2 && n != 3 && n != 4 && n != 8) {
            in->fn = insn_ud;
            return;
        }
        in->fn = in->op == 0x20 ? h_mov_from_cr : h_mov_to_cr;
        return;
    }
    if (n > 7) {
        in->fn = insn_ud;
        return;
    }
    in->fn = in->op == 0x21 ? h_mov_from_dr : h_mov_to_dr;
}

/* ---- CLTS, LMSW, SMSW ---- */

static void h_clts(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    need_cpl0(cpu);
    if (vmx_nonroot(cpu) && !vmx_clts(cpu))
        cpu_stop_after(cpu);          /* TS belongs to the host: CR0 unchanged */
    cpu->cr0 &= ~(uint64_t)CR0_TS;
    cpu_update_mode(cpu);
    cpu_stop_after(cpu);
}

/* LMSW loads PE MP EM TS; it can set PE but not clear it (SDM Vol.2 LMSW). */
static void h_lmsw(cpu_t *cpu, const insn_t *in)
{
    need_cpl0(cpu);
    uint64_t v = rm_get(cpu, in, 2);
    uint64_t cr0 = (cpu->cr0 & ~0xeull) | (v & 0xf) | (cpu->cr0 & CR0_PE);
    if (vmx_nonroot(cpu))
        cr0 = vmx_lmsw(cpu, (uint16_t)v, in->flags & INF_MEM,
                       (in->flags & INF_MEM) ? insn_ea(cpu, in) + cpu->seg[in->seg].base : 0, cr0);
    write_cr0(cpu, cr0);
    cpu_stop_after(cpu);
}

static void h_smsw(cpu_t *cpu, const insn_t *in)
{
    umip_check(cpu);
    uint64_t cr0 = vmx_nonroot(cpu) ? vmx_cr_read(cpu, 0, 0, cpu->cr0) : cpu->cr0;  /* read shadow */
    if (in->flags & INF_MEM)
        mmu_write16(cpu, in->seg, insn_ea(cpu, in), (uint16_t)cr0);
    else
        gpr_set(cpu, in->rm, in->opsz, cr0);
}

/* ---- descriptor-table registers ---- */

static void h_sgdt_sidt(cpu_t *cpu, const insn_t *in)
{
    umip_check(cpu);
    if (vmx_nonroot(cpu))
        vmx_intercept_desc(cpu, in, in->aux, false);
    const dtr_t *t = in->aux == 0 ? &cpu->gdtr : &cpu->idtr;
    uint64_t ea = insn_ea(cpu, in);
    unsigned bsize = cpu->code_mode == CM_64 ? 8 : 4;
    mmu_probe_write(cpu, in->seg, ea, 2 + bsize);
    mmu_write16(cpu, in->seg, ea, t->limit);
    mmu_write(cpu, in->seg, (ea + 2) & size_mask(in->adsz), t->base, bsize);
}

static void h_lgdt_lidt(cpu_t *cpu, const insn_t *in)
{
    need_cpl0(cpu);
    if (vmx_nonroot(cpu))
        vmx_intercept_desc(cpu, in, in->aux, false);
    uint64_t ea = insn_ea(cpu, in);
    uint16_t limit = mmu_read16(cpu, in->seg, ea);
    uint64_t base;
    if (cpu->code_mode == CM_64) {
        base = mmu_read64(cpu, in->seg, (ea + 2) & size_mask(in->adsz));
        if (!is_canonical(base))
            cpu_gp0(cpu);
    } else {
        base = mmu_read32(cpu, in->seg, (ea + 2) & size_mask(in->adsz));
        if (in->opsz == 2)
            base &= 0xffffff;
    }
    dtr_t *t = in->aux == 2 ? &cpu->gdtr : &cpu->idtr;
    t->base = base;
    t->limit = limit;
}

static void h_sldt_str(cpu_t *cpu, const insn_t *in)
{
    no_real_vm86(cpu);
    umip_check(cpu);
    if (vmx_nonroot(cpu))
        vmx_intercept_desc(cpu, in, in->aux == SEG_TR, true);
    uint16_t sel = cpu->seg[in->aux].sel;
    if (in->flags & INF_MEM)
        mmu_write16(cpu, in->seg, insn_ea(cpu, in), sel);
    else
        gpr_set(cpu, in->rm, in->opsz, sel);
}

/* The upper half of a 16-byte LDT/TSS descriptor (IA-32e): base 63:32,
 * and a zero type field (SDM Vol.3A §8.2.3). */
static uint64_t system_base_hi(cpu_t *cpu, uint16_t sel)
{
    uint64_t hi;
    if (!cpu_lma(cpu))
        return 0;
    if (!desc_fetch_hi(cpu, sel, &hi) || ((hi >> 40) & 0x1f))
        raise_sel(cpu, EXC_GP, sel);
    return (hi & 0xffffffffull) << 32;
}

/* The common tail of LLDT and LTR once the type is right: the high base
 * half in IA-32e mode, present bit, canonical base (SDM Vol.2 LLDT, LTR). */
static void load_system_seg(cpu_t *cpu, uint16_t sel, uint64_t d, seg_t *s)
{
    uint64_t hi = system_base_hi(cpu, sel);
    if (!desc_p(d))
        raise_sel(cpu, EXC_NP, sel);
    desc_to_seg(d, sel, s);
    s->base |= hi;
    if (!is_canonical(s->base))
        raise_sel(cpu, EXC_GP, sel);
}

static void h_lldt(cpu_t *cpu, const insn_t *in)
{
    no_real_vm86(cpu);
    need_cpl0(cpu);
    if (vmx_nonroot(cpu))
        vmx_intercept_desc(cpu, in, 2, true);
    uint16_t sel = (uint16_t)rm_get(cpu, in, 2);
    if (sel_null(sel)) {
        seg_set_null(cpu, SEG_LDTR, sel);
        return;
    }
    uint64_t d;
    if ((sel & 4) || !desc_fetch(cpu, sel, &d) || desc_s(d) || desc_type(d) != ST_LDT)
        raise_sel(cpu, EXC_GP, sel);
    seg_t s;
    load_system_seg(cpu, sel, d, &s);
    seg_set(cpu, SEG_LDTR, &s);
}

/* LTR marks the TSS busy in the GDT (SDM Vol.2 LTR). */
static void h_ltr(cpu_t *cpu, const insn_t *in)
{
    no_real_vm86(cpu);
    need_cpl0(cpu);
    if (vmx_nonroot(cpu))
        vmx_intercept_desc(cpu, in, 3, true);
    uint16_t sel = (uint16_t)rm_get(cpu, in, 2);
    if (sel_null(sel))
        cpu_gp0(cpu);
    uint64_t d;
    if ((sel & 4) || !desc_fetch(cpu, sel, &d) || desc_s(d))
        raise_sel(cpu, EXC_GP, sel);
    unsigned type = desc_type(d);
    if (type != ST_TSS && (type != ST_TSS16 || cpu_lma(cpu)))
        raise_sel(cpu, EXC_GP, sel);
    seg_t s;
    load_system_seg(cpu, sel, d, &s);
    d |= 2ull << 40;
    desc_write_type(cpu, sel, d);
    s.attr |= 2;
    seg_set(cpu, SEG_TR, &s);
}

/* ---- INVLPG, caches ---- */

/* In 64-bit mode a non-canonical address is a no-op (SDM Vol.2 INVLPG). */
static void h_invlpg(cpu_t *cpu, const insn_t *in)
{
    need_cpl0(cpu);
    uint64_t ea = insn_ea(cpu, in);
    uint64_t lin;
    if (cpu->code_mode == CM_64)
        lin = ea + cpu->seg_lin_base[in->seg];
    else
        lin = mmu_linear(cpu, in->seg, ea, 1, ACC_READ);
    if (vmx_nonroot(cpu))
        vmx_intercept(cpu, VEV_INVLPG, lin);
    mmu_flush_page(cpu, lin);
}

/* INVPCID r, m128 (SDM Vol.2 INVPCID): the descriptor holds the PCID in
 * bits 11:0 (63:12 reserved) and, for type 0, a linear address. */
static void h_invpcid(cpu_t *cpu, const insn_t *in)
{
    if (cpu->rflags & F_VM)
        cpu_ud(cpu);
    if (vmx_nonroot(cpu))
        vmx_intercept_invpcid(cpu, in);
    need_cpl0(cpu);
    uint64_t type = cpu->code_mode == CM_64 ? cpu->r[in->reg] : (uint32_t)cpu->r[in->reg];
    uint64_t ea = insn_ea(cpu, in);
    uint64_t desc = mmu_read64(cpu, in->seg, ea), lin = mmu_read64(cpu, in->seg, ea + 8);
    int pcid = (int)(desc & 0xfff);
    if (type > 3 || (desc >> 12) || (type <= 1 && pcid && !(cpu->cr4 & CR4_PCIDE)) ||
        (type == 0 && !is_canonical(lin)))
        cpu_gp0(cpu);
    /* 0: one address of a PCID, 1: one PCID, both keeping global
     * translations; 2: everything; 3: every PCID, keeping globals. */
    tlb_inv_t w = { .vpid = cpu->tlb_vpid, .pcid = type <= 1 ? pcid : -1, .ep4ta = TLB_ANY,
                    .lin = type == 0 ? lin & ~0xfffull : TLB_ANY, .keep_global = type != 2 };
    mmu_tlb_invalidate(cpu, &w);
}

static void h_cache_op(cpu_t *cpu, const insn_t *in)
{
    need_cpl0(cpu);
    if (vmx_nonroot(cpu))
        vmx_intercept(cpu, in->op == 0x08 ? VEV_INVD : VEV_WBINVD, 0);
}

/* ---- MSRs and the TSC ---- */

static void set_edx_eax(cpu_t *cpu, uint64_t v)
{
    cpu->r[R_RAX] = (uint32_t)v;
    cpu->r[R_RDX] = v >> 32;
}

static void h_rdmsr(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    uint64_t v;
    need_cpl0(cpu);
    if (vmx_nonroot(cpu))
        vmx_intercept_msr(cpu, (uint32_t)cpu->r[R_RCX], false);   /* MSR bitmaps */
    if (!msr_read(cpu, (uint32_t)cpu->r[R_RCX], &v))
        cpu_gp0(cpu);
    set_edx_eax(cpu, v);
}

static void h_wrmsr(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    need_cpl0(cpu);
    if (vmx_nonroot(cpu))
        vmx_intercept_msr(cpu, (uint32_t)cpu->r[R_RCX], true);
    uint64_t v = (uint32_t)cpu->r[R_RAX] | (cpu->r[R_RDX] << 32);
    if (!msr_write(cpu, (uint32_t)cpu->r[R_RCX], v))
        cpu_gp0(cpu);
    cpu_stop_after(cpu);
}

/* CR4.TSD makes RDTSC/RDTSCP CPL-0 only (SDM Vol.2 RDTSC). */
static void h_rdtsc(cpu_t *cpu, const insn_t *in)
{
    if ((cpu->cr4 & CR4_TSD) && cpu->cpl > 0)
        cpu_gp0(cpu);
    uint64_t tsc = cpu_tsc(cpu);
    if (vmx_nonroot(cpu)) {
        vmx_intercept(cpu, in->op == 0x31 ? VEV_RDTSC : VEV_RDTSCP, 0);
        tsc = vmx_guest_tsc(cpu, tsc);    /* TSC offsetting */
    }
    set_edx_eax(cpu, tsc);
}

static void h_rdtscp(cpu_t *cpu, const insn_t *in)
{
    h_rdtsc(cpu, in);
    cpu->r[R_RCX] = (uint32_t)cpu->tsc_aux;
}

/* No performance counters are modelled: every ECX is invalid (#GP). */
static void h_rdpmc(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    if (vmx_nonroot(cpu) && ((cpu->cr4 & CR4_PCE) || cpu->cpl == 0))
        vmx_intercept(cpu, VEV_RDPMC, 0);
    cpu_gp0(cpu);
}

/* ---- HLT, CLI, STI ---- */

static void h_hlt(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    need_cpl0(cpu);
    if (vmx_nonroot(cpu))
        vmx_intercept(cpu, VEV_HLT, 0);
    cpu->halted = true;
    cpu_stop_after(cpu);
}

void sel_hlt(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = h_hlt;
}

/* IF may change when CPL <= IOPL; VM86 needs IOPL 3 (CPL is 3 there).
 * CR4.VME/PVI are not supported, so the VIF forms never apply. */
static void check_iopl(cpu_t *cpu)
{
    if (!cpu_real(cpu) && cpu_iopl(cpu) < cpu->cpl)
        cpu_gp0(cpu);
}

static void h_cli(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    check_iopl(cpu);
    cpu->rflags &= ~(uint64_t)F_IF;
}

/* STI blocks interrupts until the next instruction retires (SDM Vol.2 STI). */
static void h_sti(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    check_iopl(cpu);
    if (!(cpu->rflags & F_IF)) {
        cpu->irq_shadow_end = cpu_retired(cpu) + 2;
        cpu->rflags |= F_IF;
    }
    cpu_stop_after(cpu);
}

void sel_cli_sti(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = in->op == 0xfa ? h_cli : h_sti;
}

/* ---- CLAC/STAC, XGETBV/XSETBV ---- */

/* #UD, not #GP, at CPL > 0 (SDM Vol.2 CLAC, STAC). */
static void h_clac_stac(cpu_t *cpu, const insn_t *in)
{
    if (cpu->cpl > 0)
        cpu_ud(cpu);
    if (in->modrm == 0xcb)
        cpu->rflags |= F_AC;
    else
        cpu->rflags &= ~(uint64_t)F_AC;
}

static void h_xgetbv(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    if (!(cpu->cr4 & CR4_OSXSAVE))
        cpu_ud(cpu);
    if ((uint32_t)cpu->r[R_RCX] != 0)
        cpu_gp0(cpu);
    set_edx_eax(cpu, cpu->xcr0);
}

/* XCR0 must keep x87 and name only supported components (SDM Vol.2 XSETBV). */
static void h_xsetbv(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    if (!(cpu->cr4 & CR4_OSXSAVE))
        cpu_ud(cpu);
    if (vmx_nonroot(cpu))
        vmx_intercept(cpu, VEV_XSETBV, 0);   /* unconditional, before the CPL check */
    need_cpl0(cpu);
    uint64_t v = (uint32_t)cpu->r[R_RAX] | (cpu->r[R_RDX] << 32);
    if ((uint32_t)cpu->r[R_RCX] != 0 || !(v & 1) || (v & ~XCR0_SUPPORTED))
        cpu_gp0(cpu);
    cpu->xcr0 = v;
    cpu_stop_after(cpu);
}

/* ---- selectors ---- */

/* 0F 00: SLDT, STR, LLDT, LTR, VERR, VERW. */
void sel_grp6(dctx_t *d, insn_t *in)
{
    in->aux = d->regf;
    switch (d->regf) {
    case 0: in->aux = SEG_LDTR; in->fn = h_sldt_str; break;
    case 1: in->aux = SEG_TR; in->fn = h_sldt_str; break;
    case 2: in->fn = h_lldt; break;
    case 3: in->fn = h_ltr; break;
    case 4: case 5: in->fn = insn_verr_verw; break;
    default: in->fn = insn_ud; break;
    }
}

/* 0F 01 with a register operand: one instruction per ModRM byte. */
static void sel_grp7_reg(dctx_t *d, insn_t *in)
{
    bool plain = in->pfx == PFX_NONE;
    switch (in->modrm) {
    case 0xca: case 0xcb: in->fn = plain && cpu_has(X86_SMAP) ? h_clac_stac : insn_ud; return;
    case 0xd0: in->fn = plain ? h_xgetbv : insn_ud; return;
    case 0xd1: in->fn = plain ? h_xsetbv : insn_ud; return;
    case 0xf8: in->fn = d->mode == CM_64 ? insn_swapgs : insn_ud; return;
    case 0xf9: in->fn = h_rdtscp; return;
    case 0xc1: case 0xc2: case 0xc3: case 0xc4: sel_vmx_grp7(d, in); return;
    case 0xc8: case 0xc9: sel_monitor_mwait(d, in); return;
    default: break;
    }
    if (d->regf == 4)
        in->fn = h_smsw;
    else if (d->regf == 6)
        in->fn = h_lmsw;
    else
        in->fn = insn_ud;     /* SVM, TSX, PKU: not in CPUID */
}

void sel_grp7(dctx_t *d, insn_t *in)
{
    if (!(in->flags & INF_MEM)) {
        sel_grp7_reg(d, in);
        return;
    }
    in->aux = d->regf;
    switch (d->regf) {
    case 0: case 1: in->fn = h_sgdt_sidt; break;
    case 2: case 3: in->fn = h_lgdt_lidt; break;
    case 4: in->fn = h_smsw; break;
    case 6: in->fn = h_lmsw; break;
    case 7: in->fn = h_invlpg; break;
    default: in->fn = insn_ud; break;
    }
}

/* 66 0F 38 82: INVPCID takes a memory operand only. */
void sel_invpcid(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = (in->pfx == PFX_66 && (in->flags & INF_MEM)) ? h_invpcid : insn_ud;
}

/* 0F 05-0B, 20-23, 30-35, 78/79, A2, AA, B9. */
void sel_sys0f(dctx_t *d, insn_t *in)
{
    switch (in->op) {
    case 0x05: in->fn = insn_syscall; break;
    case 0x06: in->fn = h_clts; break;
    case 0x07: in->fn = insn_sysret; break;
    case 0x08: case 0x09: in->fn = h_cache_op; break;
    case 0x20: case 0x21: case 0x22: case 0x23: sel_mov_crdr(d, in); break;
    case 0x30: in->fn = h_wrmsr; break;
    case 0x31: in->fn = h_rdtsc; break;
    case 0x32: in->fn = h_rdmsr; break;
    case 0x33: in->fn = h_rdpmc; break;
    case 0x34: in->fn = insn_sysenter; break;
    case 0x35: in->fn = insn_sysexit; break;
    case 0xa2: in->fn = insn_cpuid; break;
    case 0x78: case 0x79: sel_vmread_vmwrite(d, in); break;
    default: in->fn = insn_ud; break;     /* UD2, RSM outside SMM, UD1 */
    }
}
