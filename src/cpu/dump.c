/* The register dump printed when a run cannot continue (DESIGN.md, exit
 * status 4) or when a budget ends (124). */
#include <stdio.h>

#include "xenemu/cpu.h"

static const char *const gpr_names[16] = {
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

static const char *mode_name(const cpu_t *cpu)
{
    if (!(cpu->cr0 & CR0_PE))
        return "real";
    if (cpu->rflags & F_VM)
        return "vm86";
    if (cpu->code_mode == CM_64)
        return "64-bit";
    if (cpu->efer & EFER_LMA)
        return cpu->code_mode == CM_32 ? "compat32" : "compat16";
    return cpu->code_mode == CM_32 ? "prot32" : "prot16";
}

void cpu_dump(cpu_t *cpu, FILE *f)
{
    fprintf(f, "vcpu %d: %s mode, cpl %u, %llu instructions retired\n", cpu->id, mode_name(cpu), cpu->cpl,
            (unsigned long long)cpu->icount);
    for (int i = 0; i < 16; i += 4)
        fprintf(f, "  %-3s %016llx  %-3s %016llx  %-3s %016llx  %-3s %016llx\n", gpr_names[i],
                (unsigned long long)cpu->r[i], gpr_names[i + 1], (unsigned long long)cpu->r[i + 1],
                gpr_names[i + 2], (unsigned long long)cpu->r[i + 2], gpr_names[i + 3],
                (unsigned long long)cpu->r[i + 3]);
    fprintf(f, "  rip %016llx  rflags %08llx\n", (unsigned long long)cpu->r[R_RIP],
            (unsigned long long)cpu_get_rflags(cpu));
    static const char *const seg_names[SEG_COUNT] = { "es", "cs", "ss", "ds", "fs", "gs", "ldtr", "tr" };
    for (int s = 0; s < SEG_COUNT; s++)
        fprintf(f, "  %-4s %04x base %016llx limit %08x attr %05x\n", seg_names[s], cpu->seg[s].sel,
                (unsigned long long)cpu->seg[s].base, cpu->seg[s].limit, cpu->seg[s].attr);
    fprintf(f, "  cr0 %08llx cr2 %016llx cr3 %016llx cr4 %08llx efer %llx\n", (unsigned long long)cpu->cr0,
            (unsigned long long)cpu->cr2, (unsigned long long)cpu->cr3, (unsigned long long)cpu->cr4,
            (unsigned long long)cpu->efer);
    fprintf(f, "  gdt %016llx/%04x idt %016llx/%04x\n", (unsigned long long)cpu->gdtr.base, cpu->gdtr.limit,
            (unsigned long long)cpu->idtr.base, cpu->idtr.limit);
    if (cpu->exc.vector >= 0)
        fprintf(f, "  last exception: vector %d error %#x cr2 %#llx\n", cpu->exc.vector, cpu->exc.error_code,
                (unsigned long long)cpu->exc.cr2);
}
