/* Trace state and emitters: the filters (class, virtual-time window,
 * guest address range), event assembly and the hand-over to the sink. */
#include <stdio.h>
#include <string.h>

#include "sink.h"
#include "xenemu/machine.h"

uint32_t trace_mask;

/* Declared in src/cpu/ops.h: icount plus the retired part of the block. */
uint64_t cpu_retired(const cpu_t *cpu);

static struct {
    trace_config_t cfg;
    trace_sink_t *sink;
    uint64_t last_time;
} T;

/* A stepped instruction waiting to retire (per vCPU). */
typedef struct pending_insn {
    bool live;
    uint8_t len, mode;
    uint8_t bytes[16];
    uint64_t rip, time;
    uint64_t regs[17];
} pending_insn_t;
static pending_insn_t pend[MACHINE_MAX_CPUS];

void trace_config_default(trace_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->until = UINT64_MAX;
    cfg->hi = UINT64_MAX;
    cfg->model = TM_BARE;
    cfg->vcpus = 1;
    cfg->ips = 1000000000ull;
}

int trace_start(const trace_config_t *cfg, char *err, size_t errlen)
{
    trace_stop();
    T.cfg = *cfg;
    T.last_time = 0;
    memset(pend, 0, sizeof pend);
    if (!cfg->classes)
        return 0;
#ifdef XENEMU_NO_TRACE
    snprintf(err, errlen, "this xenemu was built with XENEMU_NO_TRACE: --trace is not available");
    return -1;
#endif
    size_t n = cfg->path ? strlen(cfg->path) : 0;
    if (n > 4 && strcmp(cfg->path + n - 4, ".xtr") == 0)
        T.sink = trace_sink_binary_open(cfg, err, errlen);
    else
        T.sink = trace_sink_text_open(cfg->path, err, errlen);
    if (!T.sink)
        return -1;
    trace_mask = cfg->classes;
    return 0;
}

void trace_stop(void)
{
    trace_mask = 0;
    if (T.sink) {
        if (T.sink->close(T.sink) < 0)
            fprintf(stderr, "xenemu: warning: the trace file is incomplete (write error)\n");
        T.sink = NULL;
    }
    trace_format_release();
}

static bool in_range(uint64_t a)
{
    return a >= T.cfg.lo && a <= T.cfg.hi;
}

static uint64_t cpu_rip_lin(const cpu_t *cpu)
{
    if (cpu->code_mode == CM_64)
        return cpu->r[R_RIP];
    return (uint32_t)(cpu->seg[SEG_CS].base + cpu->r[R_RIP]);
}

/* Stamp and filter an event, then hand it to the sink. */
void trace_emit(cpu_t *cpu, trace_event_t *ev)
{
    if (!T.sink)
        return;
    if (!cpu && T.cfg.machine)
        cpu = T.cfg.machine->current;
    if (cpu) {
        ev->time = cpu_retired(cpu);
        ev->vcpu = (uint8_t)cpu->id;
    } else {
        ev->time = T.last_time;
        ev->vcpu = 0;
    }
    T.last_time = ev->time;
    ev->model = (uint8_t)T.cfg.model;
    if (ev->time < T.cfg.from || ev->time > T.cfg.until)
        return;
    if ((ev->kind == TK_INSN || ev->kind == TK_EXCEPTION || ev->kind == TK_PAGEFAULT) && !in_range(ev->addr))
        return;
    T.sink->write(T.sink, ev);
}

static void event_init(trace_event_t *ev, unsigned kind, uint64_t addr, unsigned nv)
{
    ev->kind = (uint8_t)kind;
    ev->addr = addr;
    ev->nv = (uint8_t)nv;
    ev->ndata = 0;
    ev->regmask = 0;
}

/* ---- instructions ---- */

static pending_insn_t *pending(const cpu_t *cpu)
{
    return &pend[(unsigned)cpu->id % MACHINE_MAX_CPUS];
}

void trace_emit_insn_pre(cpu_t *cpu, uint64_t lin, uint64_t phys, uint64_t phys2, unsigned len)
{
    pending_insn_t *p = pending(cpu);
    p->live = true;
    p->rip = lin;
    p->time = cpu->icount;
    p->len = (uint8_t)(len > 15 ? 15 : len);
    p->mode = cpu->code_mode == CM_64 ? 64 : cpu->code_mode == CM_32 ? 32 : 16;
    unsigned first = 4096 - (unsigned)(phys & 0xfff);
    for (unsigned i = 0; i < p->len; i++) {
        uint64_t pa = i < first ? phys + i : (phys2 & ~0xfffull) + (i - first);
        const uint8_t *h = phys_ram_ptr(&cpu->m->mem, pa, 1);
        p->bytes[i] = h ? *h : 0xff;
    }
    memcpy(p->regs, cpu->r, 16 * sizeof p->regs[0]);
    p->regs[16] = cpu_get_rflags(cpu);
}

bool trace_emit_insn_wanted(cpu_t *cpu)
{
    if (cpu->icount > T.cfg.until)
        return false;
    if (cpu->icount >= T.cfg.from)
        return true;
    if (cpu->stop_at > T.cfg.from)
        cpu->stop_at = T.cfg.from;    /* run fast up to the window */
    return false;
}

void trace_emit_insn_done(cpu_t *cpu)
{
    pending_insn_t *p = pending(cpu);
    if (!p->live || !T.sink)
        return;
    p->live = false;
    if (p->time < T.cfg.from || p->time > T.cfg.until || !in_range(p->rip))
        return;
    trace_event_t ev;
    event_init(&ev, TK_INSN, p->rip, 2);
    ev.v[0] = p->len;
    ev.v[1] = p->mode;
    memcpy(ev.data, p->bytes, p->len);
    ev.ndata = p->len;
    uint64_t now[17];
    memcpy(now, cpu->r, 16 * sizeof now[0]);
    now[16] = cpu_get_rflags(cpu);
    unsigned k = 0;
    for (unsigned i = 0; i < 17; i++)
        if (now[i] != p->regs[i]) {
            ev.regmask |= 1u << i;
            ev.regs[k++] = now[i];
        }
    ev.time = p->time;
    ev.vcpu = (uint8_t)cpu->id;
    ev.model = (uint8_t)T.cfg.model;
    T.last_time = ev.time;
    T.sink->write(T.sink, &ev);
}

/* ---- CPU events ---- */

void trace_emit_exception(cpu_t *cpu, int vector, int how, uint32_t err)
{
    trace_event_t ev;
    bool has_err = how == TEV_EXC && (vector == EXC_DF || (vector >= EXC_TS && vector <= EXC_PF) ||
                                      vector == EXC_AC || vector == 21);
    uint64_t rip = cpu_rip_lin(cpu);
    if (trace_on(TC_EXCEPTION)) {
        event_init(&ev, TK_EXCEPTION, rip, 4);
        ev.v[0] = (uint64_t)vector;
        ev.v[1] = (uint64_t)how;
        ev.v[2] = has_err ? err : ~0ull;
        ev.v[3] = vector == EXC_PF && how == TEV_EXC ? cpu->cr2 : 0;
        trace_emit(cpu, &ev);
    }
    if (trace_on(TC_PAGEFAULT) && vector == EXC_PF && how == TEV_EXC) {
        event_init(&ev, TK_PAGEFAULT, rip, 2);
        ev.v[0] = cpu->cr2;
        ev.v[1] = err;
        trace_emit(cpu, &ev);
    }
}

void trace_emit_mode(cpu_t *cpu, uint32_t reg, uint64_t old, uint64_t val)
{
    trace_event_t ev;
    event_init(&ev, TK_MODE, cpu_rip_lin(cpu), 3);
    ev.v[0] = reg;
    ev.v[1] = old;
    ev.v[2] = val;
    trace_emit(cpu, &ev);
}

void trace_emit_cr0(cpu_t *cpu, uint64_t old, uint64_t val, uint64_t old_efer, uint64_t efer)
{
    trace_emit_mode(cpu, 0, old, val);
    if (efer != old_efer)
        trace_emit_mode(cpu, TRACE_REG_EFER, old_efer, efer);
}

void trace_emit_vmexit(cpu_t *cpu, uint32_t reason, uint64_t qual, uint64_t gpa, uint64_t gla)
{
    trace_event_t ev;
    event_init(&ev, TK_VMEXIT, cpu_rip_lin(cpu), 4);
    ev.v[0] = reason;
    ev.v[1] = qual;
    ev.v[2] = gpa;
    ev.v[3] = gla;
    trace_emit(cpu, &ev);
}

void trace_emit_vmentry(cpu_t *cpu, bool launch)
{
    trace_event_t ev;
    event_init(&ev, TK_VMENTRY, cpu_rip_lin(cpu), 1);
    ev.v[0] = launch;
    trace_emit(cpu, &ev);
}

void trace_emit_p2m(cpu_t *cpu, uint64_t gpa, uint64_t qual, uint64_t gla)
{
    trace_event_t ev;
    event_init(&ev, TK_P2M, gpa, 2);
    ev.v[0] = qual;
    ev.v[1] = gla;
    trace_emit(cpu, &ev);
}

void trace_emit_pio(cpu_t *cpu, uint16_t port, unsigned size, bool write, uint32_t val)
{
    trace_event_t ev;
    event_init(&ev, TK_PIO, port, 3);
    ev.v[0] = size;
    ev.v[1] = write;
    ev.v[2] = val;
    trace_emit(cpu, &ev);
}

/* Only accesses that reach an MMIO region (the slow path sees RAM too). */
void trace_emit_mmio(cpu_t *cpu, uint64_t pa, unsigned size, bool write, uint64_t val)
{
    const phys_region_t *r = phys_find(&cpu->m->mem, pa);
    if (r && r->host)
        return;
    trace_event_t ev;
    event_init(&ev, TK_MMIO, pa, 3);
    ev.v[0] = size;
    ev.v[1] = write;
    ev.v[2] = val;
    trace_emit(cpu, &ev);
}

void trace_emit_timer(cpu_t *cpu, bool fire, uint64_t deadline, uint32_t lvt)
{
    trace_event_t ev;
    event_init(&ev, fire ? TK_TIMER_FIRE : TK_TIMER_SET, cpu_rip_lin(cpu), 2);
    ev.v[0] = deadline;
    ev.v[1] = lvt;
    trace_emit(cpu, &ev);
}

/* ---- hypervisor and device events ---- */

void trace_emit_hypercall(cpu_t *cpu, unsigned nr, const uint64_t args[5], int64_t result)
{
    trace_event_t ev;
    event_init(&ev, TK_HYPERCALL, cpu ? cpu_rip_lin(cpu) : 0, 7);
    ev.v[0] = nr;
    for (int i = 0; i < 5; i++)
        ev.v[1 + i] = args ? args[i] : 0;
    ev.v[6] = (uint64_t)result;
    trace_emit(cpu, &ev);
}

void trace_emit_evtchn(cpu_t *cpu, unsigned op, uint32_t port, uint32_t other)
{
    trace_event_t ev;
    event_init(&ev, TK_EVTCHN, 0, 3);
    ev.v[0] = op;
    ev.v[1] = port;
    ev.v[2] = other;
    trace_emit(cpu, &ev);
}

void trace_emit_grant(cpu_t *cpu, unsigned op, uint32_t ref, uint32_t dom, uint64_t frame)
{
    trace_event_t ev;
    event_init(&ev, TK_GRANT, 0, 4);
    ev.v[0] = op;
    ev.v[1] = ref;
    ev.v[2] = dom;
    ev.v[3] = frame;
    trace_emit(cpu, &ev);
}

/* Long output becomes several events of TRACE_DATA_MAX bytes. */
void trace_emit_console(cpu_t *cpu, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    while (n) {
        trace_event_t ev;
        size_t k = n < TRACE_DATA_MAX ? n : TRACE_DATA_MAX;
        event_init(&ev, TK_CONSOLE, 0, 0);
        memcpy(ev.data, p, k);
        ev.ndata = (uint16_t)k;
        trace_emit(cpu, &ev);
        p += k;
        n -= k;
    }
}

void trace_emit_xenstore(cpu_t *cpu, unsigned type, uint32_t tx, const char *path)
{
    trace_event_t ev;
    event_init(&ev, TK_XENSTORE, 0, 2);
    ev.v[0] = type;
    ev.v[1] = tx;
    size_t k = path ? strlen(path) : 0;
    if (k > TRACE_DATA_MAX)
        k = TRACE_DATA_MAX;
    if (k)
        memcpy(ev.data, path, k);
    ev.ndata = (uint16_t)k;
    trace_emit(cpu, &ev);
}
