/* Debug exceptions from DR0-DR3, DR7 and RFLAGS.TF (SDM Vol.3A ch.18):
 * instruction breakpoints are faults checked at fetch (RF suppresses
 * them), data breakpoints and single-step are traps taken after the
 * instruction. The run loop only comes here while debugging is active. */
#include "debugregs.h"

/* DR7 fields of breakpoint i (SDM Vol.3A §18.2.4, Figure 18-1). */
static unsigned dr7_enable(uint64_t dr7, int i) { return (unsigned)(dr7 >> (2 * i)) & 3; }
static unsigned dr7_rw(uint64_t dr7, int i) { return (unsigned)(dr7 >> (16 + 4 * i)) & 3; }
static unsigned dr7_len(uint64_t dr7, int i) { return (unsigned)(dr7 >> (18 + 4 * i)) & 3; }

enum { RW_EXEC = 0, RW_WRITE = 1, RW_IO = 2, RW_RDWR = 3 };

/* LEN 00/01/11/10: 1, 2, 4, 8 bytes (SDM Vol.3A §18.2.5). */
static uint64_t bp_bytes(unsigned len)
{
    static const uint8_t bytes[4] = { 1, 2, 8, 4 };
    return bytes[len];
}

static bool any_enabled(uint64_t dr7, bool data)
{
    for (int i = 0; i < 4; i++) {
        unsigned rw = dr7_rw(dr7, i);
        if (dr7_enable(dr7, i) && (data ? (rw == RW_WRITE || rw == RW_RDWR) : rw == RW_EXEC))
            return true;
    }
    return false;
}

void dbg_refresh(cpu_t *cpu)
{
    uint64_t dr7 = cpu->dr[7];
    bool data = any_enabled(dr7, true);
    if (data || any_enabled(dr7, false) || cpu->db_pending)
        cpu->watch_flags |= 2;
    else
        cpu->watch_flags &= ~2u;
    if (data != cpu->db_data) {
        cpu->db_data = data;
        cpu_update_mode(cpu);         /* selects the TLB set that never hits */
    }
}

void dbg_before(cpu_t *cpu, uint64_t lin)
{
    uint64_t dr7 = cpu->dr[7];
    if (cpu->rflags & F_RF)
        return;
    uint32_t hits = 0;
    for (int i = 0; i < 4; i++)
        if (dr7_enable(dr7, i) && dr7_rw(dr7, i) == RW_EXEC && cpu->dr[i] == lin)
            hits |= 1u << i;
    if (!hits)
        return;
    cpu->dr[6] = (cpu->dr[6] & ~(uint64_t)DR6_B_MASK) | hits;
    cpu_raise(cpu, EXC_DB);
}

void cpu_debug_access(cpu_t *cpu, uint64_t lin, unsigned size, bool write)
{
    uint64_t dr7 = cpu->dr[7];
    for (int i = 0; i < 4; i++) {
        unsigned rw = dr7_rw(dr7, i);
        if (!dr7_enable(dr7, i) || !(rw == RW_RDWR || (rw == RW_WRITE && write)))
            continue;
        uint64_t n = bp_bytes(dr7_len(dr7, i));
        uint64_t start = cpu->dr[i] & ~(n - 1);
        if (lin < start + n && start < lin + size)
            cpu->db_hits |= 1u << i;
    }
}

/* INT n, INT3, INTO and INT1 that delivered their event leave TF clear
 * in the handler: no single-step trap for them (SDM Vol.3A §18.3.1.4). */
static bool delivered_soft_event(const cpu_t *cpu, const insn_t *in)
{
    return in->map == MAP_1B && (in->op == 0xcc || in->op == 0xcd || in->op == 0xce || in->op == 0xf1) &&
           !(cpu->rflags & F_TF);
}

void dbg_after(cpu_t *cpu, const insn_t *in, bool tf)
{
    /* RF clears once an instruction completes; IRET loads it (SDM Vol.3A §18.3.1.1). */
    if (!(in->map == MAP_1B && in->op == 0xcf))
        cpu->rflags &= ~(uint64_t)F_RF;
    uint32_t dr6 = cpu->db_hits | cpu->db_pending;
    cpu->db_hits = 0;
    cpu->db_pending = 0;
    if (tf && !delivered_soft_event(cpu, in))
        dr6 |= DR6_BS;
    if (!dr6) {
        dbg_refresh(cpu);
        return;
    }
    if (cpu->icount < cpu->db_shadow_end) {
        cpu->db_pending = dr6;        /* MOV SS/POP SS: after the next instruction */
        dbg_refresh(cpu);
        return;
    }
    dbg_refresh(cpu);
    cpu->dr[6] = (cpu->dr[6] & ~(uint64_t)DR6_B_MASK) | dr6;
    cpu->halted = false;              /* a trap after HLT returns past it */
    cpu->cur = NULL;
    cpu_raise(cpu, EXC_DB);
}
