/* Reading .xtr files (format.h) and `xenemu trace diff`: the first event
 * where two traces part, with context on both sides. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "format.h"
#include "sink.h"
#include "xenemu/trace_reader.h"

#define IN_SIZE (1u << 16)
#define BUF_SIZE (1u << 18)

struct trace_reader {
    FILE *f;
    z_stream z;
    bool eof;                 /* the deflate stream ended */
    trace_file_info_t info;
    size_t start, end;        /* unread bytes of buf */
    uint8_t in[IN_SIZE];
    uint8_t buf[BUF_SIZE];
};

trace_reader_t *trace_reader_open(const char *path, char *err, size_t errlen)
{
    trace_reader_t *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (!(r->f = fopen(path, "rb"))) {
        snprintf(err, errlen, "cannot open trace '%.200s'", path);
        free(r);
        return NULL;
    }
    uint8_t h[XTR_HEADER_SIZE];
    if (fread(h, 1, sizeof h, r->f) != sizeof h || memcmp(h, XTR_MAGIC, 8) != 0) {
        snprintf(err, errlen, "'%.200s' is not a binary xenemu trace (.xtr)", path);
        goto fail;
    }
    r->info.version = xtr_get16(h + 8);
    if (r->info.version != XTR_VERSION) {
        snprintf(err, errlen, "trace '%.200s' has format version %u; this xenemu reads %u", path,
                 r->info.version, XTR_VERSION);
        goto fail;
    }
    r->info.model = h[10];
    r->info.vcpus = xtr_get16(h + 12);
    r->info.tsc_hz = xtr_get64(h + 16);
    r->info.ips = xtr_get64(h + 24);
    if (!r->info.ips)
        r->info.ips = 1000000000ull;
    if (inflateInit(&r->z) != Z_OK) {
        snprintf(err, errlen, "zlib failed to start");
        goto fail;
    }
    return r;
fail:
    fclose(r->f);
    free(r);
    return NULL;
}

const trace_file_info_t *trace_reader_info(const trace_reader_t *r)
{
    return &r->info;
}

void trace_reader_close(trace_reader_t *r)
{
    if (!r)
        return;
    inflateEnd(&r->z);
    fclose(r->f);
    free(r);
}

/* Make `need` bytes available; false at the end of the stream or on damage. */
static bool fill(trace_reader_t *r, size_t need, bool *damaged)
{
    if (r->end - r->start >= need)
        return true;
    memmove(r->buf, r->buf + r->start, r->end - r->start);
    r->end -= r->start;
    r->start = 0;
    while (r->end < need && !r->eof) {
        if (r->z.avail_in == 0) {
            size_t n = fread(r->in, 1, IN_SIZE, r->f);
            if (n == 0) {
                *damaged = true;          /* the stream stops before its end */
                return false;
            }
            r->z.next_in = r->in;
            r->z.avail_in = (uInt)n;
        }
        r->z.next_out = r->buf + r->end;
        r->z.avail_out = (uInt)(BUF_SIZE - r->end);
        int rc = inflate(&r->z, Z_NO_FLUSH);
        r->end = BUF_SIZE - r->z.avail_out;
        if (rc == Z_STREAM_END)
            r->eof = true;
        else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            *damaged = true;
            return false;
        }
    }
    return r->end >= need;
}

int trace_reader_next(trace_reader_t *r, trace_event_t *ev, char *err, size_t errlen)
{
    bool damaged = false;
    if (!fill(r, XTR_REC_HEAD, &damaged)) {
        if (!damaged && r->end == r->start)
            return 0;
        snprintf(err, errlen, "the trace is damaged or cut short");
        return -1;
    }
    const uint8_t *p = r->buf + r->start;
    memset(ev, 0, offsetof(trace_event_t, regs));
    ev->time = xtr_get64(p);
    ev->kind = p[8];
    ev->vcpu = p[9];
    ev->model = p[10];
    ev->nv = p[11];
    ev->ndata = xtr_get16(p + 12);
    ev->regmask = xtr_get32(p + 16);
    ev->addr = xtr_get64(p + 20);
    unsigned nr = (unsigned)__builtin_popcount(ev->regmask);
    if (ev->nv > TRACE_NV || ev->ndata > TRACE_DATA_MAX || nr > 17) {
        snprintf(err, errlen, "the trace is damaged (a record of kind %u is malformed)", ev->kind);
        return -1;
    }
    size_t len = XTR_REC_HEAD + 8u * (ev->nv + nr) + ev->ndata;
    if (!fill(r, len, &damaged)) {
        snprintf(err, errlen, "the trace is damaged or cut short");
        return -1;
    }
    p = r->buf + r->start + XTR_REC_HEAD;
    for (unsigned i = 0; i < ev->nv; i++, p += 8)
        ev->v[i] = xtr_get64(p);
    for (unsigned i = 0; i < nr; i++, p += 8)
        ev->regs[i] = xtr_get64(p);
    memcpy(ev->data, p, ev->ndata);
    r->start += len;
    return 1;
}

bool trace_event_equal(const trace_event_t *a, const trace_event_t *b)
{
    if (a->time != b->time || a->kind != b->kind || a->vcpu != b->vcpu || a->nv != b->nv ||
        a->ndata != b->ndata || a->regmask != b->regmask || a->addr != b->addr)
        return false;
    if (memcmp(a->v, b->v, a->nv * sizeof a->v[0]) != 0)
        return false;
    unsigned nr = (unsigned)__builtin_popcount(a->regmask);
    return memcmp(a->regs, b->regs, nr * sizeof a->regs[0]) == 0 && memcmp(a->data, b->data, a->ndata) == 0;
}

/* ---- diff ---- */

#define CONTEXT_MAX 16

static void print_event(FILE *out, const char *tag, uint64_t index, const trace_event_t *ev)
{
    char line[2048];
    trace_format_text(ev, line, sizeof line);
    fprintf(out, "%s #%-8llu %s\n", tag, (unsigned long long)index, line);
}

/* Up to n more events of one side after the divergence. */
static int print_after(FILE *out, const char *tag, trace_reader_t *r, const trace_event_t *first, bool have,
                       uint64_t index, unsigned n, char *err, size_t errlen)
{
    if (!have) {
        fprintf(out, "%s   (the trace ends here)\n", tag);
        return 0;
    }
    print_event(out, tag, index, first);
    trace_event_t ev;
    for (unsigned i = 1; i < n; i++) {
        int rc = trace_reader_next(r, &ev, err, errlen);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            fprintf(out, "%s   (the trace ends here)\n", tag);
            break;
        }
        print_event(out, tag, index + i, &ev);
    }
    return 0;
}

int trace_diff(const char *pa, const char *pb, unsigned context, FILE *out, char *err, size_t errlen)
{
    if (context > CONTEXT_MAX)
        context = CONTEXT_MAX;
    trace_reader_t *a = trace_reader_open(pa, err, errlen), *b = a ? trace_reader_open(pb, err, errlen) : NULL;
    if (!b) {
        trace_reader_close(a);
        return -1;
    }
    static trace_event_t ring[CONTEXT_MAX];
    trace_event_t ea, eb;
    uint64_t i = 0;
    int result = -1;
    for (;; i++) {
        int ra = trace_reader_next(a, &ea, err, errlen);
        if (ra < 0)
            goto done;
        int rb = trace_reader_next(b, &eb, err, errlen);
        if (rb < 0)
            goto done;
        if (ra == 0 && rb == 0) {
            fprintf(out, "the traces do not diverge (%llu events)\n", (unsigned long long)i);
            result = 0;
            goto done;
        }
        if (ra && rb && trace_event_equal(&ea, &eb)) {
            if (context)
                ring[i % context] = ea;
            continue;
        }
        const trace_event_t *at = ra ? &ea : &eb;
        fprintf(out, "the traces diverge at event %llu (virtual time %llu)\n", (unsigned long long)i,
                (unsigned long long)at->time);
        uint64_t first = i > context ? i - context : 0;
        for (uint64_t k = first; k < i; k++)
            print_event(out, "  =", k, &ring[k % context]);
        if (print_after(out, "  A", a, &ea, ra == 1, i, context ? context + 1 : 1, err, errlen) < 0 ||
            print_after(out, "  B", b, &eb, rb == 1, i, context ? context + 1 : 1, err, errlen) < 0)
            goto done;
        result = 1;
        goto done;
    }
done:
    trace_reader_close(a);
    trace_reader_close(b);
    return result;
}
