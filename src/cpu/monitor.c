/* MONITOR and MWAIT (SDM Vol.2B MONITOR, MWAIT; Vol.3A §9.10.4): MONITOR
 * arms a 64-byte physical line, MWAIT waits for a store to it or for a
 * break event. The wait is modelled like HLT (exec.c: between_blocks, the
 * bare scheduler's wakeable/next_wakeup), so it is deterministic.
 *
 * Store detection: the line's page gets PHYS_WATCH_MONITOR in the
 * phys_mem write-watch bytes that self-modifying-code detection uses. No
 * TLB maps such a page writable, so every store to it (any vCPU, and the
 * emulator's own writes through mmu_write_linear) reaches
 * machine_phys_written, which calls machine_monitor_written below. Stores
 * to other lines of the page trigger nothing; the bit is dropped lazily,
 * at the first store that finds no monitor armed in the page. */
#include "system.h"

#include "xenemu/machine.h"
#include "xenemu/vmx.h"

/* MWAIT ECX[0]: interrupts break the wait even when RFLAGS.IF masks them. */
#define MWAIT_BREAK_ON_IRQ 1u

/* Any vCPU other than `except` armed on a line of page `pfn`? */
static bool page_monitored(const machine_t *m, uint64_t pfn, const cpu_t *except)
{
    for (int i = 0; i < m->ncpu; i++) {
        const cpu_t *c = m->cpu[i];
        if (c != except && c->monitor_armed && c->monitor_line >> 12 == pfn)
            return true;
    }
    return false;
}

static void unwatch(machine_t *m, uint64_t pfn)
{
    if (pfn < m->mem.ram_top >> 12)
        m->mem.code_pages[pfn] &= (uint8_t)~PHYS_WATCH_MONITOR;
}

void cpu_monitor_clear(cpu_t *cpu)
{
    if (cpu->monitor_armed && cpu->m && !page_monitored(cpu->m, cpu->monitor_line >> 12, cpu))
        unwatch(cpu->m, cpu->monitor_line >> 12);
    cpu->monitor_armed = false;
    cpu->mwait = false;
    cpu->mwait_irq = false;
}

void machine_monitor_written(machine_t *m, uint64_t pa, uint64_t len)
{
    if (!len)
        return;
    uint64_t first = pa & ~(uint64_t)(MONITOR_LINE - 1);
    uint64_t last = (pa + len - 1) & ~(uint64_t)(MONITOR_LINE - 1);
    for (int i = 0; i < m->ncpu; i++) {
        cpu_t *c = m->cpu[i];
        if (!c->monitor_armed || c->monitor_line < first || c->monitor_line > last)
            continue;
        /* The store triggers the monitor: a waiting MWAIT ends, a later
         * one falls through (Vol.2B MWAIT). */
        c->monitor_armed = false;
        c->mwait = false;
        c->mwait_irq = false;
    }
    if (!page_monitored(m, pa >> 12, NULL))
        unwatch(m, pa >> 12);
}

/* Arm the monitor on the line holding physical address pa. Only RAM can
 * be watched; elsewhere (MMIO) the monitor stays unarmed and MWAIT falls
 * through, which the SDM allows for non-write-back memory. */
static void monitor_arm(cpu_t *cpu, uint64_t pa)
{
    machine_t *m = cpu->m;
    uint64_t line = pa & ~(uint64_t)(MONITOR_LINE - 1), pfn = line >> 12;
    cpu_monitor_clear(cpu);
    if (!phys_ram_ptr(&m->mem, line, MONITOR_LINE) || pfn >= m->mem.ram_top >> 12)
        return;
    cpu->monitor_line = line;
    cpu->monitor_armed = true;
    uint8_t *w = &m->mem.code_pages[pfn];
    bool watched = *w != 0;           /* then no TLB maps the page writable */
    *w |= PHYS_WATCH_MONITOR;
    for (int i = 0; !watched && i < m->ncpu; i++)
        mmu_protect_code_page(m->cpu[i], line);
}

/* #UD first: MONITOR/MWAIT disabled (IA32_MISC_ENABLE[18] = 0), virtual-8086
 * mode or CPL > 0 (Vol.2B; these take priority over VM exits, Vol.3C
 * §26.1.1). Real mode runs at CPL 0. */
static void monitor_ud_checks(cpu_t *cpu)
{
    if (!cpu_monitor_enabled(cpu) || cpu_vm86(cpu) || cpu->cpl != 0)
        cpu_ud(cpu);
}

/* RCX in 64-bit mode, ECX elsewhere: both instructions check the register
 * the mode defines (Vol.2B, 64-Bit Mode Exceptions). */
static uint64_t ext_reg(const cpu_t *cpu)
{
    return cpu->code_mode == CM_64 ? cpu->r[R_RCX] : (uint32_t)cpu->r[R_RCX];
}

/* 0F 01 C8: MONITOR. The address is seg:rAX (DS unless overridden, rAX at
 * the address size), checked and translated like a 1-byte load. ECX
 * holds extensions (none) and EDX hints (ignored). */
static void h_monitor(cpu_t *cpu, const insn_t *in)
{
    monitor_ud_checks(cpu);
    if (vmx_nonroot(cpu))
        vmx_intercept(cpu, VEV_MONITOR, 0);   /* MONITOR exiting (Vol.3C §26.1.3) */
    if (ext_reg(cpu) != 0)
        cpu_gp0(cpu);
    uint64_t ea = cpu->r[R_RAX];
    if (in->adsz != 8)
        ea = in->adsz == 4 ? (uint32_t)ea : (uint16_t)ea;
    uint64_t lin = mmu_linear(cpu, in->seg, ea, 1, ACC_READ);
    monitor_arm(cpu, mmu_translate(cpu, lin, ACC_READ));
}

/* 0F 01 C9: MWAIT. EAX hints are accepted and all mean the one wait
 * modelled (C1). Without an armed monitor, or once a store triggered it,
 * MWAIT does nothing. Otherwise the vCPU waits (exec.c) until a store to
 * the line, NMI, INIT, an interrupt it would take (IF = 1) or, with
 * ECX[0], any pending interrupt. */
static void h_mwait(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    monitor_ud_checks(cpu);
    if (vmx_nonroot(cpu))   /* qualification: monitor armed (Vol.3C §28.2.1) */
        vmx_intercept(cpu, VEV_MWAIT, cpu->monitor_armed ? 1 : 0);
    uint64_t ecx = ext_reg(cpu);
    if (ecx & ~(uint64_t)MWAIT_BREAK_ON_IRQ)   /* the one extension, CPUID.05H:ECX[1] */
        cpu_gp0(cpu);
    if (!cpu->monitor_armed)
        return;
    cpu->mwait = true;
    cpu->mwait_irq = (ecx & MWAIT_BREAK_ON_IRQ) != 0;
    cpu_stop_after(cpu);
}

/* 0F 01 C8 / C9. Prefixes other than segment and address size do not
 * change either instruction. */
void sel_monitor_mwait(dctx_t *d, insn_t *in)
{
    if (!cpu_has(X86_MONITOR)) {
        in->fn = insn_ud;
        return;
    }
    in->seg = d->seg_override >= 0 ? (uint8_t)d->seg_override : SEG_DS;
    in->fn = in->modrm == 0xc8 ? h_monitor : h_mwait;
}
