/* The root-mode C API (include/xenemu/vmx.h): what the Xen model uses in
 * place of VMX instructions. The VMCS regions and EPT tables live in the
 * emulated machine's physical memory; the same checks as the instructions
 * apply, and each VM exit comes back as reason, qualification and the
 * guest state saved in the VMCS (SDM Vol.3C ch.27-28). */
#include <string.h>

#include "../cpu/system.h"
#include "vmx_int.h"

static bool region_ok(uint64_t a)
{
    return !(a & 0xfff) && !(a & VMX_PHYS_RSVD);
}

int vmx_api_vmxon(cpu_t *cpu, uint64_t region)
{
    vmx_t *x = vmx_state(cpu);
    if (!x || !region_ok(region))
        return -1;
    if (x->on)
        return x->cur ? VMERR_VMXON_IN_ROOT : -1;
    x->on = true;
    x->api = true;
    x->vmxon_ptr = region;
    x->cur = NULL;
    return 0;
}

static int fail(const vmx_t *x, int err)
{
    return x->cur ? err : -1;
}

int vmx_api_vmclear(cpu_t *cpu, uint64_t vmcs)
{
    vmx_t *x = cpu->vmx;
    if (!x || !x->on || x->nonroot)
        return -1;
    if (!region_ok(vmcs))
        return fail(x, VMERR_VMCLEAR_BAD_ADDR);
    if (vmcs == x->vmxon_ptr)
        return fail(x, VMERR_VMCLEAR_VMXON);
    vmcs_clear(cpu, x, vmcs);
    return 0;
}

int vmx_api_vmptrld(cpu_t *cpu, uint64_t vmcs)
{
    vmx_t *x = cpu->vmx;
    if (!x || !x->on || x->nonroot)
        return -1;
    if (!region_ok(vmcs))
        return fail(x, VMERR_VMPTRLD_BAD_ADDR);
    if (vmcs == x->vmxon_ptr)
        return fail(x, VMERR_VMPTRLD_VMXON);
    if (phys_read(&cpu->m->mem, vmcs, 4) != VMX_REVISION)
        return fail(x, VMERR_VMPTRLD_BAD_REVISION);
    x->cur = vmcs_load(cpu, x, vmcs);
    return 0;
}

int vmx_api_vmread(cpu_t *cpu, uint32_t field, uint64_t *val)
{
    vmx_t *x = cpu->vmx;
    if (!x || !x->on || !x->cur)
        return -1;
    return vmcs_read_field(x->cur, field, val) ? 0 : VMERR_BAD_FIELD;
}

int vmx_api_vmwrite(cpu_t *cpu, uint32_t field, uint64_t val)
{
    vmx_t *x = cpu->vmx;
    if (!x || !x->on || !x->cur)
        return -1;
    if (vmcs_field_index(field) < 0)
        return VMERR_BAD_FIELD;
    if (vmcs_field_readonly(field))
        return VMERR_READONLY_FIELD;
    vmcs_write_field(x->cur, field, val);
    return 0;
}

static void fill_exit(const vmx_t *x, vmx_exit_t *e)
{
    e->reason = (uint32_t)vmr(x, VMCS_EXIT_REASON);
    e->qual = vmr(x, VMCS_EXIT_QUAL);
    e->guest_phys = vmr(x, VMCS_GUEST_PHYS_ADDR);
    e->guest_linear = vmr(x, VMCS_GUEST_LINEAR_ADDR);
    e->intr_info = (uint32_t)vmr(x, VMCS_EXIT_INTR_INFO);
    e->intr_err = (uint32_t)vmr(x, VMCS_EXIT_INTR_ERR);
    e->idt_info = (uint32_t)vmr(x, VMCS_IDT_VEC_INFO);
    e->idt_err = (uint32_t)vmr(x, VMCS_IDT_VEC_ERR);
    e->insn_len = (uint32_t)vmr(x, VMCS_EXIT_INSN_LEN);
    e->insn_info = (uint32_t)vmr(x, VMCS_EXIT_INSN_INFO);
}

/* VM entry outside cpu_run: faults while injecting the entry event and
 * immediate exits unwind to this frame. Returns a VM-instruction error. */
static int enter(cpu_t *cpu, vmx_t *x)
{
    jmp_buf outer;
    volatile int rc = 0;
    memcpy(outer, cpu->unwind_jmp, sizeof outer);
    cpu->cur = NULL;
    if (setjmp(cpu->unwind_jmp) == 0) {
        rc = vmx_enter(cpu);
        if (!rc && x->nonroot)
            vmx_after_entry(cpu);
    } else if (cpu->unwind == UNWIND_EXCEPTION && cpu->deliver_exceptions) {
        cpu_deliver_exception(cpu);         /* to the guest, or a VM exit */
        cpu->exc.vector = -1;
    }
    cpu->unwind = UNWIND_NONE;
    memcpy(cpu->unwind_jmp, outer, sizeof outer);
    return rc;
}

int vmx_run(cpu_t *cpu, uint64_t budget, vmx_exit_t *exit)
{
    vmx_t *x = cpu->vmx;
    if (!x || !x->on || !x->cur)
        return -1;
    x->api = true;
    if (!x->nonroot) {
        x->exited = false;
        int rc = enter(cpu, x);
        if (rc)
            return -rc;
    }
    if (!x->exited)
        cpu_run(cpu, budget);
    if (!x->exited)
        return 0;
    x->exited = false;
    fill_exit(x, exit);
    return 1;
}

int vmx_api_kick(cpu_t *cpu, vmx_exit_t *exit)
{
    vmx_t *x = cpu->vmx;
    jmp_buf outer;
    if (!x || !x->nonroot)
        return 0;
    memcpy(outer, cpu->unwind_jmp, sizeof outer);
    cpu->cur = NULL;
    if (setjmp(cpu->unwind_jmp) == 0) {
        exit_info_t e = { .reason = EXIT_EXTINT };
        vmx_exit(cpu, &e);                  /* unwinds to the setjmp above */
    }
    cpu->unwind = UNWIND_NONE;
    memcpy(cpu->unwind_jmp, outer, sizeof outer);
    x->exited = false;
    fill_exit(x, exit);
    return 1;
}
