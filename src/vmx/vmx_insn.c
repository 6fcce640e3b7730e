/* The VMX instructions (SDM Vol.3C ch.31): VMXON, VMXOFF, VMCLEAR, VMPTRLD,
 * VMPTRST, VMREAD, VMWRITE, VMLAUNCH, VMRESUME, INVEPT, INVVPID, VMCALL,
 * with VMsucceed / VMfailInvalid / VMfailValid (§31.2) and their VM exits
 * in non-root operation. */
#include "../cpu/system.h"
#include "vmx_int.h"
#include "xenemu/flags.h"

/* ---- conventions (§31.2) ---- */

static void vm_succeed(cpu_t *cpu)
{
    cc_write(cpu, F_ARITH, 0);
}

static void vm_fail_invalid(cpu_t *cpu)
{
    cc_write(cpu, F_ARITH, F_CF);
}

static void vm_fail_valid(cpu_t *cpu, vmx_t *x, uint32_t err)
{
    vmw(x, VMCS_INSN_ERROR, err);
    cc_write(cpu, F_ARITH, F_ZF);
}

static void vm_fail(cpu_t *cpu, vmx_t *x, uint32_t err)
{
    if (x->cur)
        vm_fail_valid(cpu, x, err);
    else
        vm_fail_invalid(cpu);
}

static bool compat_mode(const cpu_t *cpu)
{
    return cpu_lma(cpu) && cpu->code_mode != CM_64;
}

/* The common start of every VMX instruction but VMXON and VMCALL: #UD
 * outside VMX operation or outside protected mode, a VM exit in non-root
 * operation, #GP(0) at CPL > 0. */
static vmx_t *prelude(cpu_t *cpu, uint32_t reason, uint64_t qual, uint32_t info)
{
    vmx_t *x = cpu->vmx;
    if (!x || !x->on || cpu_real(cpu) || cpu_vm86(cpu) || compat_mode(cpu))
        cpu_ud(cpu);
    if (x->nonroot)
        vmx_exit_insn(cpu, reason, qual, info);
    if (cpu->cpl)
        cpu_gp0(cpu);
    return x;
}

static uint64_t mem_qual(const insn_t *in)
{
    return (uint64_t)(int64_t)in->disp;
}

static bool region_addr_ok(uint64_t a)
{
    return !(a & 0xfff) && !(a & VMX_PHYS_RSVD);
}

static uint64_t read_ptr(cpu_t *cpu, const insn_t *in)
{
    return mmu_read64(cpu, in->seg, insn_ea(cpu, in));
}

/* ---- VMXON, VMXOFF ---- */

static void h_vmxon(cpu_t *cpu, const insn_t *in)
{
    vmx_t *x = cpu->vmx;
    if (!(cpu->cr4 & CR4_VMXE) || cpu_real(cpu) || cpu_vm86(cpu) || compat_mode(cpu))
        cpu_ud(cpu);
    if (x && x->on) {
        if (x->nonroot)
            vmx_exit_insn(cpu, EXIT_VMXON, mem_qual(in), vmx_mem_info(in));
        if (cpu->cpl)
            cpu_gp0(cpu);
        vm_fail(cpu, x, VMERR_VMXON_IN_ROOT);
        return;
    }
    if (cpu->cpl)
        cpu_gp0(cpu);
    /* IA32_FEATURE_CONTROL: locked, VMX outside SMX enabled (§24.7). */
    if ((cpu->feature_control & 5) != 5)
        cpu_gp0(cpu);
    if ((cpu->cr0 & vmx_cr0_fixed0()) != vmx_cr0_fixed0() || (cpu->cr0 & ~vmx_cr0_fixed1()) ||
        (cpu->cr4 & ~vmx_cr4_fixed1()))
        cpu_gp0(cpu);
    uint64_t addr = read_ptr(cpu, in);
    x = vmx_state(cpu);
    if (!x) {
        vm_fail_invalid(cpu);
        return;
    }
    if (!region_addr_ok(addr) || vmcs_region_revision(cpu, addr) != VMX_REVISION ||
        (phys_read(&cpu->m->mem, addr, 4) >> 31)) {
        vm_fail_invalid(cpu);
        return;
    }
    x->on = true;
    x->vmxon_ptr = addr;
    x->cur = NULL;
    vm_succeed(cpu);
}

static void h_vmxoff(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    vmx_t *x = prelude(cpu, EXIT_VMXOFF, 0, 0);
    x->on = false;
    x->cur = NULL;
    x->vmxon_ptr = VMX_NO_VMCS;
    vm_succeed(cpu);
}

/* ---- VMCLEAR, VMPTRLD, VMPTRST ---- */

static void h_vmclear(cpu_t *cpu, const insn_t *in)
{
    vmx_t *x = prelude(cpu, EXIT_VMCLEAR, mem_qual(in), vmx_mem_info(in));
    uint64_t addr = read_ptr(cpu, in);
    if (!region_addr_ok(addr)) {
        vm_fail(cpu, x, VMERR_VMCLEAR_BAD_ADDR);
        return;
    }
    if (addr == x->vmxon_ptr) {
        vm_fail(cpu, x, VMERR_VMCLEAR_VMXON);
        return;
    }
    vmcs_clear(cpu, x, addr);
    vm_succeed(cpu);
}

static void h_vmptrld(cpu_t *cpu, const insn_t *in)
{
    vmx_t *x = prelude(cpu, EXIT_VMPTRLD, mem_qual(in), vmx_mem_info(in));
    uint64_t addr = read_ptr(cpu, in);
    if (!region_addr_ok(addr)) {
        vm_fail(cpu, x, VMERR_VMPTRLD_BAD_ADDR);
        return;
    }
    if (addr == x->vmxon_ptr) {
        vm_fail(cpu, x, VMERR_VMPTRLD_VMXON);
        return;
    }
    /* Bit 31 (shadow VMCS) is set only where VMCS shadowing is supported. */
    if (phys_read(&cpu->m->mem, addr, 4) != VMX_REVISION) {
        vm_fail(cpu, x, VMERR_VMPTRLD_BAD_REVISION);
        return;
    }
    x->cur = vmcs_load(cpu, x, addr);
    vm_succeed(cpu);
}

static void h_vmptrst(cpu_t *cpu, const insn_t *in)
{
    vmx_t *x = prelude(cpu, EXIT_VMPTRST, mem_qual(in), vmx_mem_info(in));
    mmu_write64(cpu, in->seg, insn_ea(cpu, in), x->cur ? x->cur->addr : VMX_NO_VMCS);
    vm_succeed(cpu);
}

/* ---- VMREAD, VMWRITE ---- */

static uint32_t rw_info(const insn_t *in)
{
    uint32_t info = (uint32_t)in->reg << 28;
    if (in->flags & INF_MEM)
        return info | vmx_mem_info(in);
    return info | 1u << 10 | (uint32_t)in->rm << 3;
}

static void h_vmread(cpu_t *cpu, const insn_t *in)
{
    vmx_t *x = prelude(cpu, EXIT_VMREAD, (in->flags & INF_MEM) ? mem_qual(in) : 0, rw_info(in));
    unsigned size = cpu->code_mode == CM_64 ? 8 : 4;
    if (!x->cur) {
        vm_fail_invalid(cpu);
        return;
    }
    uint64_t enc = cpu->r[in->reg] & size_mask(size), v;
    if ((enc >> 32) || !vmcs_read_field(x->cur, (uint32_t)enc, &v)) {
        vm_fail_valid(cpu, x, VMERR_BAD_FIELD);
        return;
    }
    if (in->flags & INF_MEM)
        mmu_write(cpu, in->seg, insn_ea(cpu, in), v, size);
    else
        cpu->r[in->rm] = v & size_mask(size);
    vm_succeed(cpu);
}

static void h_vmwrite(cpu_t *cpu, const insn_t *in)
{
    vmx_t *x = prelude(cpu, EXIT_VMWRITE, (in->flags & INF_MEM) ? mem_qual(in) : 0, rw_info(in));
    unsigned size = cpu->code_mode == CM_64 ? 8 : 4;
    if (!x->cur) {
        vm_fail_invalid(cpu);
        return;
    }
    uint64_t v = (in->flags & INF_MEM) ? mmu_read(cpu, in->seg, insn_ea(cpu, in), size)
                                        : cpu->r[in->rm] & size_mask(size);
    uint64_t enc = cpu->r[in->reg] & size_mask(size);
    if ((enc >> 32) || vmcs_field_index((uint32_t)enc) < 0) {
        vm_fail_valid(cpu, x, VMERR_BAD_FIELD);
        return;
    }
    if (vmcs_field_readonly((uint32_t)enc)) {
        vm_fail_valid(cpu, x, VMERR_READONLY_FIELD);
        return;
    }
    vmcs_write_field(x->cur, (uint32_t)enc, v);
    vm_succeed(cpu);
}

/* ---- VMLAUNCH, VMRESUME ---- */

static void launch_or_resume(cpu_t *cpu, bool launch)
{
    vmx_t *x = prelude(cpu, launch ? EXIT_VMLAUNCH : EXIT_VMRESUME, 0, 0);
    if (!x->cur) {
        vm_fail_invalid(cpu);
        return;
    }
    if (launch && x->cur->launched) {
        vm_fail_valid(cpu, x, VMERR_LAUNCH_NOT_CLEAR);
        return;
    }
    if (!launch && !x->cur->launched) {
        vm_fail_valid(cpu, x, VMERR_RESUME_NOT_LAUNCHED);
        return;
    }
    int err = vmx_enter(cpu);
    if (err) {
        vm_fail_valid(cpu, x, (uint32_t)err);
        return;
    }
    if (x->nonroot)
        vmx_after_entry(cpu);
    cpu_stop_after(cpu);
}

static void h_vmlaunch(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    launch_or_resume(cpu, true);
}

static void h_vmresume(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    launch_or_resume(cpu, false);
}

/* ---- VMCALL ---- */

static void h_vmcall(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    vmx_t *x = cpu->vmx;
    if (!x || !x->on)
        cpu_ud(cpu);
    if (x->nonroot)
        vmx_exit_insn(cpu, EXIT_VMCALL, 0, 0);
    if (cpu_vm86(cpu) || compat_mode(cpu))
        cpu_ud(cpu);
    if (cpu->cpl)
        cpu_gp0(cpu);
    vm_fail(cpu, x, VMERR_VMCALL_IN_ROOT);   /* no dual-monitor treatment */
}

/* ---- INVEPT, INVVPID (§29.3.3) ---- */

static uint32_t inv_info(const insn_t *in)
{
    return vmx_mem_info(in) | (uint32_t)in->reg << 28;
}

static void h_invept(cpu_t *cpu, const insn_t *in)
{
    vmx_t *x = prelude(cpu, EXIT_INVEPT, mem_qual(in), inv_info(in));
    uint64_t type = cpu->code_mode == CM_64 ? cpu->r[in->reg] : (uint32_t)cpu->r[in->reg];
    uint64_t ea = insn_ea(cpu, in);
    uint64_t eptp = mmu_read64(cpu, in->seg, ea);
    mmu_read64(cpu, in->seg, ea + 8);
    if ((type != 1 && type != 2) || (type == 1 && !ept_eptp_valid(eptp))) {
        vm_fail(cpu, x, VMERR_INVALID_OPERAND);
        return;
    }
    /* Single-context: the combined mappings of that EP4TA, for every VPID
     * and PCID; all-context: every combined mapping. */
    tlb_inv_t w = { .vpid = -1, .pcid = -1, .ep4ta = type == 1 ? (eptp & VMX_EP4TA_MASK) : TLB_ANY,
                    .ept_only = true, .lin = TLB_ANY };
    mmu_tlb_invalidate(cpu, &w);
    vm_succeed(cpu);
}

static void h_invvpid(cpu_t *cpu, const insn_t *in)
{
    vmx_t *x = prelude(cpu, EXIT_INVVPID, mem_qual(in), inv_info(in));
    uint64_t type = cpu->code_mode == CM_64 ? cpu->r[in->reg] : (uint32_t)cpu->r[in->reg];
    uint64_t ea = insn_ea(cpu, in);
    uint64_t d0 = mmu_read64(cpu, in->seg, ea);
    uint64_t lin = mmu_read64(cpu, in->seg, ea + 8);
    bool bad = type > 3 || (d0 >> 16) || (type != 2 && (d0 & 0xffff) == 0) ||
               (type == 0 && !is_canonical(lin));
    if (bad) {
        vm_fail(cpu, x, VMERR_INVALID_OPERAND);
        return;
    }
    /* 0: one address, 1: one VPID, 2: every VPID but 0, 3: one VPID
     * keeping its global translations. */
    tlb_inv_t w = { .vpid = type == 2 ? -1 : (int)(d0 & 0xffff), .guests_only = type == 2, .pcid = -1,
                    .ep4ta = TLB_ANY, .lin = type == 0 ? lin & ~0xfffull : TLB_ANY, .keep_global = type == 3 };
    mmu_tlb_invalidate(cpu, &w);
    vm_succeed(cpu);
}

/* ---- selectors (routed from privileged.c, datamov.c, sse.c) ---- */

/* 0F 01 C1-C4 */
void sel_vmx_grp7(dctx_t *d, insn_t *in)
{
    (void)d;
    if (in->pfx != PFX_NONE) {
        in->fn = insn_ud;
        return;
    }
    switch (in->modrm) {
    case 0xc1: in->fn = h_vmcall; break;
    case 0xc2: in->fn = h_vmlaunch; break;
    case 0xc3: in->fn = h_vmresume; break;
    default: in->fn = h_vmxoff; break;
    }
}

/* 0F 78 VMREAD, 0F 79 VMWRITE (no prefix) */
void sel_vmread_vmwrite(dctx_t *d, insn_t *in)
{
    (void)d;
    if (in->pfx != PFX_NONE || (in->flags & INF_LOCK)) {
        in->fn = insn_ud;
        return;
    }
    in->fn = in->op == 0x78 ? h_vmread : h_vmwrite;
}

/* 0F C7 /6 and /7 with a memory operand */
void sel_vmx_grp9(dctx_t *d, insn_t *in)
{
    in->fn = insn_ud;
    if (!(in->flags & INF_MEM))
        return;
    if (d->regf == 7) {
        if (in->pfx == PFX_NONE)
            in->fn = h_vmptrst;
        return;
    }
    switch (in->pfx) {
    case PFX_NONE: in->fn = h_vmptrld; break;
    case PFX_66: in->fn = h_vmclear; break;
    case PFX_F3: in->fn = h_vmxon; break;
    default: break;
    }
}

/* 66 0F 38 80 INVEPT, 66 0F 38 81 INVVPID */
void sel_vmx_inv(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = insn_ud;
    if (in->pfx != PFX_66 || !(in->flags & INF_MEM))
        return;
    in->fn = in->op == 0x80 ? h_invept : h_invvpid;
}
