/* The text sink: one event per line, instructions disassembled by
 * Capstone. Also formats events for `xenemu trace diff`. */
#include <capstone/capstone.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sink.h"

static const char *const reg_names[17] = {
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11",
    "r12", "r13", "r14", "r15", "rflags",
};

static csh cs[3];
static bool cs_ok[3];

void trace_format_release(void)
{
    for (int i = 0; i < 3; i++)
        if (cs_ok[i]) {
            cs_close(&cs[i]);
            cs_ok[i] = false;
        }
}

static csh *disasm_for(unsigned bits)
{
    int i = bits == 64 ? 2 : bits == 32 ? 1 : 0;
    static const cs_mode modes[3] = { CS_MODE_16, CS_MODE_32, CS_MODE_64 };
    if (!cs_ok[i] && cs_open(CS_ARCH_X86, modes[i], &cs[i]) == CS_ERR_OK)
        cs_ok[i] = true;
    return cs_ok[i] ? &cs[i] : NULL;
}

/* A bounded appender. */
typedef struct out {
    char *p;
    size_t size, len;
} out_t;

__attribute__((format(printf, 2, 3))) static void put(out_t *o, const char *fmt, ...)
{
    if (o->len >= o->size)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->p + o->len, o->size - o->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len = o->len + (size_t)n < o->size ? o->len + (size_t)n : o->size - 1;
}

static void fmt_insn(out_t *o, const trace_event_t *ev)
{
    put(o, " 0x%" PRIx64 ":", ev->addr);
    for (unsigned i = 0; i < ev->ndata; i++)
        put(o, " %02x", ev->data[i]);
    csh *h = disasm_for((unsigned)ev->v[1]);
    cs_insn *ci = NULL;
    if (h && cs_disasm(*h, ev->data, ev->ndata, ev->addr, 1, &ci) == 1) {
        put(o, "%*s%s %s", ev->ndata < 10 ? (int)(3 * (10 - ev->ndata) + 2) : 2, "", ci->mnemonic, ci->op_str);
        cs_free(ci, 1);
    } else {
        put(o, "  (bad)");
    }
    unsigned k = 0;
    for (unsigned i = 0; i < 17; i++)
        if (ev->regmask & (1u << i)) {
            put(o, "%s%s=%" PRIx64, k ? " " : "  | ", reg_names[i], ev->regs[k]);
            k++;
        }
}

static void fmt_exception(out_t *o, const trace_event_t *ev)
{
    static const char *const how[] = { "exception", "interrupt", "software", "icebp" };
    unsigned v = (unsigned)ev->v[0];
    const char *n = ev->v[1] == TEV_EXC ? trace_vector_name(v) : NULL;
    put(o, " %s vector %u", ev->v[1] < 4 ? how[ev->v[1]] : "?", v);
    if (n)
        put(o, " %s", n);
    if (ev->v[2] != ~0ull)
        put(o, " error 0x%" PRIx64, ev->v[2]);
    if (v == EXC_PF && ev->v[1] == TEV_EXC)
        put(o, " cr2 0x%" PRIx64, ev->v[3]);
    put(o, " rip 0x%" PRIx64, ev->addr);
}

static void fmt_mode(out_t *o, const trace_event_t *ev)
{
    uint64_t a = ev->v[1], b = ev->v[2], on = b & ~a, off = a & ~b;
    if (ev->v[0] == TRACE_REG_EFER)
        put(o, " efer");
    else
        put(o, " cr%u", (unsigned)ev->v[0]);
    put(o, " 0x%" PRIx64 " -> 0x%" PRIx64, a, b);
    if (ev->v[0] == 0) {
        if (on & CR0_PE) put(o, " real->protected");
        if (off & CR0_PE) put(o, " protected->real");
        if (on & CR0_PG) put(o, " paging on");
        if (off & CR0_PG) put(o, " paging off");
    } else if (ev->v[0] == TRACE_REG_EFER) {
        if (on & EFER_LME) put(o, " long mode enabled");
        if (on & EFER_LMA) put(o, " protected->long (LMA)");
        if (off & EFER_LMA) put(o, " long->protected");
    } else if (ev->v[0] == 4) {
        if (on & CR4_PAE) put(o, " PAE on");
        if (off & CR4_PAE) put(o, " PAE off");
    }
    put(o, " rip 0x%" PRIx64, ev->addr);
}

static void fmt_hypercall(out_t *o, const trace_event_t *ev)
{
    unsigned nr = (unsigned)ev->v[0];
    const char *n = trace_hypercall_name(nr), *sub = trace_hypercall_subop_name(nr, (unsigned)ev->v[1]);
    if (n)
        put(o, " %s", n);
    else
        put(o, " hypercall %u", nr);
    if (sub)
        put(o, "(%s)", sub);
    put(o, " args");
    for (int i = 1; i <= 5; i++)
        put(o, " 0x%" PRIx64, ev->v[i]);
    put(o, " -> %" PRId64, (int64_t)ev->v[6]);
}

static void fmt_bytes(out_t *o, const trace_event_t *ev)
{
    put(o, " \"");
    for (unsigned i = 0; i < ev->ndata; i++) {
        uint8_t c = ev->data[i];
        if (c == '\n') put(o, "\\n");
        else if (c == '"' || c == '\\') put(o, "\\%c", c);
        else if (c >= 0x20 && c < 0x7f) put(o, "%c", c);
        else put(o, "\\x%02x", c);
    }
    put(o, "\"");
}

size_t trace_format_text(const trace_event_t *ev, char *buf, size_t size)
{
    out_t o = { buf, size, 0 };
    if (size)
        buf[0] = 0;
    const char *model = trace_model_name(ev->model), *kind = trace_kind_name(ev->kind);
    put(&o, "%12" PRIu64 " vcpu%u %s %s", ev->time, ev->vcpu, model ? model : "?", kind ? kind : "?");
    switch (ev->kind) {
    case TK_INSN: fmt_insn(&o, ev); break;
    case TK_EXCEPTION: fmt_exception(&o, ev); break;
    case TK_MODE: fmt_mode(&o, ev); break;
    case TK_PAGEFAULT:
        put(&o, " cr2 0x%" PRIx64 " error 0x%" PRIx64 " rip 0x%" PRIx64, ev->v[0], ev->v[1], ev->addr);
        break;
    case TK_VMEXIT: {
        const char *n = trace_exit_reason_name((unsigned)ev->v[0]);
        put(&o, " reason %u (%s)%s qualification 0x%" PRIx64 " rip 0x%" PRIx64, (unsigned)(ev->v[0] & 0xffff),
            n ? n : "unknown", (ev->v[0] & 0x80000000u) ? " entry failure" : "", ev->v[1], ev->addr);
        break;
    }
    case TK_VMENTRY: put(&o, " %s rip 0x%" PRIx64, ev->v[0] ? "launch" : "resume", ev->addr); break;
    case TK_HYPERCALL: fmt_hypercall(&o, ev); break;
    case TK_EVTCHN: {
        static const char *const ops[] = { "send", "deliver", "bind", "close", "mask", "unmask" };
        put(&o, " %s port %" PRIu64 " other %" PRIu64, ev->v[0] < 6 ? ops[ev->v[0]] : "op?", ev->v[1], ev->v[2]);
        break;
    }
    case TK_GRANT: {
        static const char *const ops[] = { "map", "unmap", "copy", "transfer", "setup" };
        put(&o, " %s ref %" PRIu64 " dom %" PRIu64 " frame 0x%" PRIx64, ev->v[0] < 5 ? ops[ev->v[0]] : "op?", ev->v[1],
            ev->v[2], ev->v[3]);
        break;
    }
    case TK_P2M:
        put(&o, " gpa 0x%" PRIx64 " qualification 0x%" PRIx64 " gla 0x%" PRIx64, ev->addr, ev->v[0], ev->v[1]);
        break;
    case TK_PIO:
    case TK_MMIO:
        put(&o, " %s %s0x%" PRIx64 " size %" PRIu64 " value 0x%" PRIx64, ev->v[1] ? "write" : "read",
            ev->kind == TK_PIO ? "port " : "", ev->addr, ev->v[0], ev->v[2]);
        break;
    case TK_TIMER_SET:
    case TK_TIMER_FIRE:
        if (ev->v[0] == ~0ull)
            put(&o, " disarmed lvt 0x%" PRIx64, ev->v[1]);
        else
            put(&o, " deadline %" PRIu64 " lvt 0x%" PRIx64, ev->v[0], ev->v[1]);
        break;
    case TK_CONSOLE: fmt_bytes(&o, ev); break;
    case TK_XENSTORE: {
        /* enum xsd_sockmsg_type (xen/include/public/io/xs_wire.h) */
        static const char *const types[] = {
            "CONTROL", "DIRECTORY", "READ", "GET_PERMS", "WATCH", "UNWATCH", "TRANSACTION_START",
            "TRANSACTION_END", "INTRODUCE", "RELEASE", "GET_DOMAIN_PATH", "WRITE", "MKDIR", "RM",
            "SET_PERMS", "WATCH_EVENT", "ERROR", "IS_DOMAIN_INTRODUCED", "RESUME", "SET_TARGET",
            NULL, "RESET_WATCHES", "DIRECTORY_PART",
        };
        const char *t = ev->v[0] < sizeof types / sizeof types[0] ? types[ev->v[0]] : NULL;
        if (t)
            put(&o, " XS_%s tx %" PRIu64, t, ev->v[1]);
        else
            put(&o, " type %" PRIu64 " tx %" PRIu64, ev->v[0], ev->v[1]);
        fmt_bytes(&o, ev);
        break;
    }
    default: break;
    }
    return o.len;
}

/* ---- the sink ---- */

typedef struct text_sink {
    trace_sink_t base;
    FILE *f;
    bool own;
    char line[2048];
} text_sink_t;

static void text_write(trace_sink_t *base, const trace_event_t *ev)
{
    text_sink_t *s = (text_sink_t *)base;
    size_t n = trace_format_text(ev, s->line, sizeof s->line - 1);
    s->line[n++] = '\n';
    fwrite(s->line, 1, n, s->f);
}

static int text_close(trace_sink_t *base)
{
    text_sink_t *s = (text_sink_t *)base;
    int rc = fflush(s->f) == 0 && !ferror(s->f) ? 0 : -1;
    if (s->own && fclose(s->f) != 0)
        rc = -1;
    free(s);
    return rc;
}

trace_sink_t *trace_sink_text_open(const char *path, char *err, size_t errlen)
{
    text_sink_t *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory for the trace sink");
        return NULL;
    }
    if (path) {
        if (!(s->f = fopen(path, "w"))) {
            snprintf(err, errlen, "cannot write the trace file '%.200s'", path);
            free(s);
            return NULL;
        }
        s->own = true;
        static char buf[1 << 16];
        setvbuf(s->f, buf, _IOFBF, sizeof buf);
    } else {
        s->f = stderr;
    }
    s->base.write = text_write;
    s->base.close = text_close;
    return &s->base;
}
