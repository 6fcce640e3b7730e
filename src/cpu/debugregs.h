/* Debug registers in the run loop (SDM Vol.3A ch.18): breakpoint matching,
 * single-step and the #DB traps they raise. Used by exec.c, and by the
 * memory slow path for data breakpoints. */
#ifndef XENEMU_CPU_DEBUGREGS_H
#define XENEMU_CPU_DEBUGREGS_H

#include "xenemu/insn.h"

/* DR6 bits (SDM Vol.3A §18.2.3). */
#define DR6_BS (1u << 14)
#define DR6_BD (1u << 13)
#define DR6_B_MASK 0xfu

/* Recompute what debugging costs after DR7 or RFLAGS.TF changed: the
 * watch bit that selects the stepping path, and db_data (every access
 * through the slow path). */
void dbg_refresh(cpu_t *cpu);
/* Is the next instruction to run one instruction at a time? */
static inline bool dbg_wants_step(const cpu_t *cpu)
{
    return (cpu->rflags & (F_TF | F_RF)) || (cpu->watch_flags & 2) || cpu->db_pending;
}
/* Before an instruction at linear address lin: raise the instruction-
 * breakpoint fault (#DB, RIP unchanged) unless RFLAGS.RF suppresses it. */
void dbg_before(cpu_t *cpu, uint64_t lin);
/* After `in` retired: clear RF, raise the single-step/data-breakpoint trap
 * (held one instruction by a MOV SS shadow). tf is TF before it ran. */
void dbg_after(cpu_t *cpu, const insn_t *in, bool tf);
/* cpu_debug_access (cpu.h) records matching data breakpoints in db_hits. */

#endif
