/* Trace events (DESIGN.md, "Layers"): any layer emits, only src/trace/
 * consumes. Each hook is a static inline bit test of trace_mask; the
 * out-of-line emitter runs only when its class is on. Built with
 * XENEMU_NO_TRACE, every hook compiles to nothing. */
#ifndef XENEMU_TRACE_H
#define XENEMU_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xenemu/cpu.h"

struct machine;

/* Event classes (--trace CLASS). */
enum trace_class {
    TC_INSN, TC_EXCEPTION, TC_MODE, TC_PAGEFAULT, TC_VMEXIT, TC_HYPERCALL, TC_EVTCHN,
    TC_GRANT, TC_P2M, TC_IO, TC_TIMER, TC_CONSOLE, TC_XENSTORE, TC_COUNT
};
#define TRACE_ALL ((1u << TC_COUNT) - 1)

/* Event kinds: the record types of the binary format (never renumber). */
enum trace_kind {
    TK_INSN = 1, TK_EXCEPTION, TK_MODE, TK_PAGEFAULT, TK_VMEXIT, TK_VMENTRY, TK_HYPERCALL,
    TK_EVTCHN, TK_GRANT, TK_P2M, TK_PIO, TK_MMIO, TK_TIMER_SET, TK_TIMER_FIRE, TK_CONSOLE,
    TK_XENSTORE, TK_COUNT
};

/* The guest model every event names (DESIGN.md, "Three guest models"). */
enum trace_model { TM_PVH, TM_HVM, TM_PV, TM_BARE, TM_COUNT };

/* TK_EXCEPTION v[1]: how the event arrived (src/cpu ev_kind order). */
enum { TEV_EXC, TEV_EXTINT, TEV_SOFT, TEV_ICEBP };
/* TK_MODE v[0]: the register written. */
#define TRACE_REG_EFER 0xc0000080u

#define TRACE_NV 8            /* kind-specific values per event */
#define TRACE_DATA_MAX 256    /* bytes carried by an event */

/* One event, as emitted and as read back from a binary trace. Fields per
 * kind (addr is a guest RIP unless noted):
 *   insn       v0 length, v1 code mode (16/32/64), data the bytes,
 *              regmask/regs the GPRs (bit i = R_i) and RFLAGS (bit 16) it changed
 *   exception  v0 vector, v1 TEV_*, v2 error code (or ~0: none), v3 CR2
 *   mode       v0 CR number or TRACE_REG_EFER, v1 old, v2 new
 *   pagefault  v0 CR2, v1 error code
 *   vmexit     v0 exit reason (bit 31: entry failure), v1 qualification,
 *              v2 guest-physical, v3 guest-linear address (~0: none)
 *   vmentry    v0 1 launch / 0 resume
 *   hypercall  v0 number, v1..v5 arguments, v6 result
 *   evtchn     v0 op (trace_evtchn_op), v1 port, v2 vcpu/remote
 *   grant      v0 op, v1 grant ref, v2 domain, v3 frame
 *   p2m        addr gpa, v0 qualification, v1 gla (or ~0)
 *   io         addr port (pio) or physical address (mmio), v0 size,
 *              v1 1 write / 0 read, v2 value
 *   timer      v0 deadline (virtual time, ~0: disarmed), v1 mode / vector
 *   console    data the bytes
 *   xenstore   v0 message type, v1 transaction, data the path */
typedef struct trace_event {
    uint64_t time;            /* virtual time: the vCPU's retired instructions */
    uint8_t kind;             /* TK_* */
    uint8_t vcpu;
    uint8_t model;            /* TM_* */
    uint8_t nv;               /* values used in v[] */
    uint16_t ndata;
    uint32_t regmask;
    uint64_t addr;
    uint64_t v[TRACE_NV];
    uint64_t regs[17];        /* new values, in regmask bit order */
    uint8_t data[TRACE_DATA_MAX];
} trace_event_t;

/* What to trace (from the command line). */
typedef struct trace_config {
    uint32_t classes;         /* bit per TC_* */
    const char *path;         /* NULL: stderr; "*.xtr": binary */
    uint64_t from, until;     /* virtual-time window [from, until] */
    uint64_t lo, hi;          /* guest address range [lo, hi] for insn/exception/pagefault */
    enum trace_model model;
    unsigned vcpus;
    uint64_t tsc_hz;          /* virtual TSC frequency */
    uint64_t ips;             /* virtual instructions per second */
    struct machine *machine;  /* its current vCPU stamps events emitted without one */
} trace_config_t;

/* Enabled classes; 0 while nobody listens. */
extern uint32_t trace_mask;

#ifdef XENEMU_NO_TRACE
#define trace_on(c) false
#else
static inline bool trace_on(unsigned c)
{
    return __builtin_expect((trace_mask >> c) & 1, 0);
}
#endif

/* Class names: "insn", "exception" ... */
const char *trace_class_name(unsigned c);
/* "exception,io" or "all" into a class mask. Returns 0, or -1 with a reason. */
int trace_parse_classes(const char *list, uint32_t *mask, char *err, size_t errlen);
/* Defaults: everything in window and range, no classes. */
void trace_config_default(trace_config_t *cfg);

/* Open the sink and turn the classes on. Returns 0, or -1 with a reason. */
int trace_start(const trace_config_t *cfg, char *err, size_t errlen);
/* Flush and close; the classes go off. */
void trace_stop(void);

/* Names (SDM Vol.3C Appendix C; Xen public headers); NULL when unknown. */
const char *trace_kind_name(unsigned kind);
const char *trace_model_name(unsigned model);
const char *trace_exit_reason_name(unsigned reason);
const char *trace_hypercall_name(unsigned nr);
const char *trace_hypercall_subop_name(unsigned nr, unsigned op);
const char *trace_vector_name(unsigned vector);
unsigned trace_kind_class(unsigned kind);

/* ---- emitters (out of line; call through the inline hooks below) ---- */
void trace_emit(cpu_t *cpu, trace_event_t *ev);
void trace_emit_insn_pre(cpu_t *cpu, uint64_t lin, uint64_t phys, uint64_t phys2, unsigned len);
void trace_emit_insn_done(cpu_t *cpu);
bool trace_emit_insn_wanted(cpu_t *cpu);
void trace_emit_exception(cpu_t *cpu, int vector, int how, uint32_t err);
void trace_emit_mode(cpu_t *cpu, uint32_t reg, uint64_t old, uint64_t val);
void trace_emit_cr0(cpu_t *cpu, uint64_t old, uint64_t val, uint64_t old_efer, uint64_t efer);
void trace_emit_vmexit(cpu_t *cpu, uint32_t reason, uint64_t qual, uint64_t gpa, uint64_t gla);
void trace_emit_vmentry(cpu_t *cpu, bool launch);
void trace_emit_hypercall(cpu_t *cpu, unsigned nr, const uint64_t args[5], int64_t result);
void trace_emit_evtchn(cpu_t *cpu, unsigned op, uint32_t port, uint32_t other);
void trace_emit_grant(cpu_t *cpu, unsigned op, uint32_t ref, uint32_t dom, uint64_t frame);
void trace_emit_p2m(cpu_t *cpu, uint64_t gpa, uint64_t qual, uint64_t gla);
void trace_emit_pio(cpu_t *cpu, uint16_t port, unsigned size, bool write, uint32_t val);
void trace_emit_mmio(cpu_t *cpu, uint64_t pa, unsigned size, bool write, uint64_t val);
void trace_emit_timer(cpu_t *cpu, bool fire, uint64_t deadline, uint32_t lvt);
void trace_emit_console(cpu_t *cpu, const void *buf, size_t n);
void trace_emit_xenstore(cpu_t *cpu, unsigned type, uint32_t tx, const char *path);

/* evtchn ops (v0). */
enum { TEVT_SEND, TEVT_DELIVER, TEVT_BIND, TEVT_CLOSE, TEVT_MASK, TEVT_UNMASK };
/* grant ops (v0). */
enum { TGNT_MAP, TGNT_UNMAP, TGNT_COPY, TGNT_TRANSFER, TGNT_SETUP };

/* ---- hooks: one line at each emitting place ---- */
/* With XENEMU_NO_TRACE, trace_on is false and the compiler drops the call. */
#define TRACE_HOOK(c, call) do { if (trace_on(c)) call; } while (0)

/* The run loop: step the next instruction for the insn class? Before the
 * --trace-from window it is not stepped, and the run stops where the
 * window opens; after --trace-until the blocks run at full speed. */
#define trace_insn_step(cpu) (trace_on(TC_INSN) && trace_emit_insn_wanted(cpu))
/* The run loop, around each instruction it steps while insn tracing. */
#define trace_insn_pre(cpu, lin, phys, phys2, len) \
    TRACE_HOOK(TC_INSN, trace_emit_insn_pre(cpu, lin, phys, phys2, len))
#define trace_insn_done(cpu) TRACE_HOOK(TC_INSN, trace_emit_insn_done(cpu))
/* Exception, interrupt or software interrupt delivered (also pagefault). */
#define trace_exception(cpu, vec, how, err) \
    do { if (trace_on(TC_EXCEPTION) || trace_on(TC_PAGEFAULT)) trace_emit_exception(cpu, vec, how, err); } while (0)
#define trace_mode(cpu, reg, old, val) TRACE_HOOK(TC_MODE, trace_emit_mode(cpu, reg, old, val))
/* CR0, and EFER when the write flips LMA. */
#define trace_cr0(cpu, old, val, old_efer, efer) TRACE_HOOK(TC_MODE, trace_emit_cr0(cpu, old, val, old_efer, efer))
/* A VM exit; EPT violations and misconfigurations are p2m events too. */
#define trace_vmexit(cpu, reason, qual, gpa, gla) do { \
        if (trace_on(TC_VMEXIT)) trace_emit_vmexit(cpu, reason, qual, gpa, gla); \
        if (trace_on(TC_P2M) && (((reason) & 0xffff) == 48 || ((reason) & 0xffff) == 49)) \
            trace_emit_p2m(cpu, gpa, qual, gla); \
    } while (0)
#define trace_vmentry(cpu, launch) TRACE_HOOK(TC_VMEXIT, trace_emit_vmentry(cpu, launch))
#define trace_hypercall(cpu, nr, args, res) TRACE_HOOK(TC_HYPERCALL, trace_emit_hypercall(cpu, nr, args, res))
#define trace_evtchn(cpu, op, port, other) TRACE_HOOK(TC_EVTCHN, trace_emit_evtchn(cpu, op, port, other))
#define trace_grant(cpu, op, ref, dom, frame) TRACE_HOOK(TC_GRANT, trace_emit_grant(cpu, op, ref, dom, frame))
#define trace_p2m(cpu, gpa, qual, gla) TRACE_HOOK(TC_P2M, trace_emit_p2m(cpu, gpa, qual, gla))
#define trace_pio(cpu, port, size, write, val) TRACE_HOOK(TC_IO, trace_emit_pio(cpu, port, size, write, val))
#define trace_mmio(cpu, pa, size, write, val) TRACE_HOOK(TC_IO, trace_emit_mmio(cpu, pa, size, write, val))
#define trace_timer(cpu, fire, deadline, lvt) TRACE_HOOK(TC_TIMER, trace_emit_timer(cpu, fire, deadline, lvt))
#define trace_console(cpu, buf, n) TRACE_HOOK(TC_CONSOLE, trace_emit_console(cpu, buf, n))
#define trace_xenstore(cpu, type, tx, path) TRACE_HOOK(TC_XENSTORE, trace_emit_xenstore(cpu, type, tx, path))

#endif
