/* `xenemu trace export --perfetto`: Chrome trace-event JSON (the format
 * Perfetto and chrome://tracing open). One thread per vCPU; an instant
 * event per trace event, and a slice from each VM exit to the next VM
 * entry (a B at the exit, an E at the entry, so that each thread's
 * events stay in time order in the file; a slice still open at the end
 * closes at the trace's last event). Timestamps are virtual
 * microseconds. */
#include <inttypes.h>
#include <string.h>

#include "sink.h"
#include "xenemu/trace_reader.h"

#define MAX_VCPU 256

static void json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

/* A short name for the timeline: the vector, exit reason, hypercall... */
static void event_name(const trace_event_t *ev, char *b, size_t n)
{
    const char *s = NULL;
    switch (ev->kind) {
    case TK_EXCEPTION:
        s = ev->v[1] == TEV_EXC ? trace_vector_name((unsigned)ev->v[0]) : NULL;
        if (s)
            snprintf(b, n, "%s", s);
        else
            snprintf(b, n, "%s %u", ev->v[1] == TEV_EXTINT ? "interrupt" : "int", (unsigned)ev->v[0]);
        return;
    case TK_VMEXIT:
        s = trace_exit_reason_name((unsigned)ev->v[0]);
        break;
    case TK_HYPERCALL:
        s = trace_hypercall_name((unsigned)ev->v[0]);
        break;
    case TK_PIO:
        snprintf(b, n, "%s 0x%" PRIx64, ev->v[1] ? "out" : "in", ev->addr);
        return;
    default:
        break;
    }
    snprintf(b, n, "%s", s ? s : trace_kind_name(ev->kind) ? trace_kind_name(ev->kind) : "event");
}

static double usec(uint64_t t, uint64_t ips)
{
    return (double)t * 1e6 / (double)ips;
}

/* The E of a VM exit's slice, named like its B. */
static void end_slice(FILE *out, const char *name, uint64_t t, unsigned vcpu, uint64_t ips)
{
    fprintf(out, ",\n{\"name\":");
    json_string(out, name);
    fprintf(out, ",\"cat\":\"vmexit\",\"ph\":\"E\",\"ts\":%.3f,\"pid\":1,\"tid\":%u}", usec(t, ips), vcpu);
}

int trace_export_perfetto(const char *path, FILE *out, char *err, size_t errlen)
{
    trace_reader_t *r = trace_reader_open(path, err, errlen);
    if (!r)
        return -1;
    const trace_file_info_t *info = trace_reader_info(r);
    static bool open[MAX_VCPU], named[MAX_VCPU];
    static char open_name[MAX_VCPU][64];
    memset(open, 0, sizeof open);
    memset(named, 0, sizeof named);
    const char *model = trace_model_name(info->model);
    fprintf(out, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n");
    fprintf(out, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":0,\"args\":{\"name\":\"xenemu %s guest\"}}",
            model ? model : "?");
    trace_event_t ev;
    char name[128], text[2048];
    uint64_t last = 0;
    int rc;
    while ((rc = trace_reader_next(r, &ev, err, errlen)) == 1) {
        if (!named[ev.vcpu]) {
            named[ev.vcpu] = true;
            fprintf(out, ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%u,\"args\":{\"name\":\"vCPU %u\"}}",
                    ev.vcpu, ev.vcpu);
        }
        if (ev.kind == TK_VMENTRY && open[ev.vcpu]) {
            end_slice(out, open_name[ev.vcpu], ev.time, ev.vcpu, info->ips);
            open[ev.vcpu] = false;
        }
        if (ev.kind == TK_VMEXIT) {
            if (open[ev.vcpu])                  /* an exit without its entry */
                end_slice(out, open_name[ev.vcpu], ev.time, ev.vcpu, info->ips);
            event_name(&ev, open_name[ev.vcpu], sizeof open_name[0]);
            fprintf(out, ",\n{\"name\":");
            json_string(out, open_name[ev.vcpu]);
            fprintf(out, ",\"cat\":\"vmexit\",\"ph\":\"B\",\"ts\":%.3f,\"pid\":1,\"tid\":%u}", usec(ev.time, info->ips),
                    ev.vcpu);
            open[ev.vcpu] = true;
        }
        if (ev.time > last)
            last = ev.time;
        const char *cat = trace_class_name(trace_kind_class(ev.kind));
        event_name(&ev, name, sizeof name);
        trace_format_text(&ev, text, sizeof text);
        fprintf(out, ",\n{\"name\":");
        json_string(out, name);
        fprintf(out, ",\"cat\":\"%s\",\"ph\":\"i\",\"s\":\"t\",\"ts\":%.3f,\"pid\":1,\"tid\":%u,\"args\":{\"icount\":%" PRIu64
                ",\"event\":", cat ? cat : "other", usec(ev.time, info->ips), ev.vcpu, ev.time);
        json_string(out, text);
        fprintf(out, "}}");
    }
    for (unsigned v = 0; v < MAX_VCPU; v++)
        if (open[v])
            end_slice(out, open_name[v], last, v, info->ips);
    fprintf(out, "\n]}\n");
    trace_reader_close(r);
    trace_format_release();
    return rc < 0 ? -1 : 0;
}
