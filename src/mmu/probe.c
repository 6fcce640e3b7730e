/* Translations that must not fault the guest: a debugger reading memory,
 * the hypervisor model copying hypercall arguments. The page walk raises
 * faults by unwinding, so the probe catches that unwind and puts back what
 * the raise changed (the pending exception); the walk's own accessed/dirty
 * updates stay, as a hypervisor's guest walk also sets them. */
#include <string.h>

#include "xenemu/machine.h"
#include "xenemu/mmu.h"
#include "xenemu/vmx.h"

bool mmu_probe(cpu_t *cpu, uint64_t lin, enum mmu_access acc, uint64_t *phys)
{
    jmp_buf outer;
    cpu_exc_t exc = cpu->exc;
    enum cpu_unwind unwind = cpu->unwind;
    const struct insn *cur = cpu->cur;
    volatile bool ok = false;        /* set between setjmp and a possible longjmp */
    memcpy(outer, cpu->unwind_jmp, sizeof outer);
    cpu->cur = NULL;                 /* a fault must not rewind RIP */
    vmx_set_probing(cpu, true);      /* an EPT violation fails the probe, no VM exit */
    if (setjmp(cpu->unwind_jmp) == 0) {
        *phys = mmu_translate_sys(cpu, lin, acc);
        ok = true;
    }
    memcpy(cpu->unwind_jmp, outer, sizeof outer);
    cpu->cur = cur;
    cpu->exc = exc;
    cpu->unwind = unwind;
    vmx_set_probing(cpu, false);
    return ok;
}

/* Page by page through mmu_probe; only RAM is reached. */
static int linear_copy(cpu_t *cpu, uint64_t lin, void *buf, size_t len, bool write)
{
    uint8_t *p = buf;
    while (len) {
        size_t chunk = 4096 - (lin & 0xfff);
        if (chunk > len)
            chunk = len;
        uint64_t pa;
        if (!mmu_probe(cpu, lin, write ? ACC_WRITE : ACC_READ, &pa))
            return -1;
        uint8_t *host = phys_ram_ptr(&cpu->m->mem, pa, chunk);
        if (!host)
            return -1;
        if (write) {
            memcpy(host, p, chunk);
            machine_phys_written(cpu->m, pa, chunk);   /* chunk stays in pa's page */
        } else {
            memcpy(p, host, chunk);
        }
        p += chunk;
        lin += chunk;
        len -= chunk;
    }
    return 0;
}

int mmu_read_linear(cpu_t *cpu, uint64_t lin, void *dst, size_t len)
{
    return linear_copy(cpu, lin, dst, len, false);
}

int mmu_write_linear(cpu_t *cpu, uint64_t lin, const void *src, size_t len)
{
    return linear_copy(cpu, lin, (void *)src, len, true);
}
