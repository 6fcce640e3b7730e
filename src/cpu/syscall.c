/* Fast system calls: SYSCALL/SYSRET, SYSENTER/SYSEXIT and SWAPGS (SDM
 * Vol.2; Vol.3A §5.8.7-5.8.8). They load flat CS/SS without reading the
 * GDT: the selectors come from MSRs and the rights are fixed. */
#include "system.h"

#define DPL(n) ((uint32_t)(n) << SEGA_DPL_SHIFT)
#define FLAT_CODE (SEGA_P | SEGA_S | SEGA_G | DT_CODE | DT_RW | DT_ACCESSED)
#define FLAT_DATA (SEGA_P | SEGA_S | SEGA_G | SEGA_DB | DT_RW | DT_ACCESSED)
#define CODE64(dpl) (FLAT_CODE | SEGA_L | DPL(dpl))
#define CODE32(dpl) (FLAT_CODE | SEGA_DB | DPL(dpl))
#define DATA(dpl) (FLAT_DATA | DPL(dpl))

/* SYSCALL: 64-bit mode only on Intel (SDM Vol.2 SYSCALL). */
void insn_syscall(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    if (cpu->code_mode != CM_64 || !(cpu->efer & EFER_SCE))
        cpu_ud(cpu);
    uint16_t sel = (uint16_t)(cpu->star >> 32);
    uint64_t flags = cpu_get_rflags(cpu);
    cpu->r[R_RCX] = cpu->r[R_RIP];
    cpu->r[R_R11] = flags & ~(uint64_t)F_RF;
    seg_set_flat(cpu, SEG_CS, sel & 0xfffc, CODE64(0));
    seg_set_flat(cpu, SEG_SS, (uint16_t)(sel + 8), DATA(0));
    cpu_set_rflags(cpu, flags & ~(cpu->sfmask | F_RF | F_VM));
    cpu->r[R_RIP] = cpu->lstar;
    cpu_update_mode(cpu);
}

/* SYSRET to 64-bit code with REX.W, else to compatibility mode. */
void insn_sysret(cpu_t *cpu, const insn_t *in)
{
    if (cpu->code_mode != CM_64 || !(cpu->efer & EFER_SCE))
        cpu_ud(cpu);
    if (cpu->cpl != 0)
        cpu_gp0(cpu);
    bool to64 = in->flags & INF_REXW;
    uint64_t rip = to64 ? cpu->r[R_RCX] : (uint32_t)cpu->r[R_RCX];
    if (!is_canonical(rip))
        cpu_gp0(cpu);
    uint16_t base = (uint16_t)(cpu->star >> 48);
    if (to64)
        seg_set_flat(cpu, SEG_CS, (uint16_t)((base + 16) | 3), CODE64(3));
    else
        seg_set_flat(cpu, SEG_CS, (uint16_t)(base | 3), CODE32(3));
    seg_set_flat(cpu, SEG_SS, (uint16_t)((base + 8) | 3), DATA(3));
    cpu_set_rflags(cpu, (cpu->r[R_R11] & 0x3c7fd7ull) | 2);
    cpu->r[R_RIP] = rip;
    cpu_update_mode(cpu);
}

/* SYSENTER: CS from IA32_SYSENTER_CS, SS = CS + 8, at CPL 0. */
void insn_sysenter(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    uint16_t sel = (uint16_t)cpu->sysenter_cs & 0xfffc;
    if (cpu_real(cpu) || sel == 0)
        cpu_gp0(cpu);
    bool lma = cpu_lma(cpu);
    cpu->rflags &= ~(uint64_t)(F_VM | F_IF | F_RF);
    seg_set_flat(cpu, SEG_CS, sel, lma ? CODE64(0) : CODE32(0));
    seg_set_flat(cpu, SEG_SS, (uint16_t)(sel + 8), DATA(0));
    cpu->r[R_RSP] = lma ? cpu->sysenter_esp : (uint32_t)cpu->sysenter_esp;
    cpu->r[R_RIP] = lma ? cpu->sysenter_eip : (uint32_t)cpu->sysenter_eip;
    cpu_update_mode(cpu);
}

/* SYSEXIT: to CPL 3 at SYSENTER_CS + 16 (+ 32 for 64-bit with REX.W). */
void insn_sysexit(cpu_t *cpu, const insn_t *in)
{
    uint16_t sel = (uint16_t)cpu->sysenter_cs & 0xfffc;
    if (cpu_real(cpu) || cpu->cpl != 0 || sel == 0)
        cpu_gp0(cpu);
    bool to64 = in->flags & INF_REXW;
    uint64_t rip = cpu->r[R_RDX], rsp = cpu->r[R_RCX];
    if (to64 && (!is_canonical(rip) || !is_canonical(rsp)))
        cpu_gp0(cpu);
    if (to64) {
        seg_set_flat(cpu, SEG_CS, (uint16_t)((sel + 32) | 3), CODE64(3));
        seg_set_flat(cpu, SEG_SS, (uint16_t)((sel + 40) | 3), DATA(3));
    } else {
        seg_set_flat(cpu, SEG_CS, (uint16_t)((sel + 16) | 3), CODE32(3));
        seg_set_flat(cpu, SEG_SS, (uint16_t)((sel + 24) | 3), DATA(3));
        rip = (uint32_t)rip;
        rsp = (uint32_t)rsp;
    }
    cpu->r[R_RIP] = rip;
    cpu->r[R_RSP] = rsp;
    cpu_update_mode(cpu);
}

/* SWAPGS exchanges GS.base with IA32_KERNEL_GS_BASE (64-bit mode, CPL 0). */
void insn_swapgs(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    if (cpu->cpl != 0)
        cpu_gp0(cpu);
    uint64_t t = cpu->seg[SEG_GS].base;
    cpu->seg[SEG_GS].base = cpu->kernel_gs_base;
    cpu->seg_lin_base[SEG_GS] = cpu->kernel_gs_base;
    cpu->kernel_gs_base = t;
}
