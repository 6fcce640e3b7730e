/* The binary sink (.xtr, format.h): records are packed into a buffer and
 * deflated in large chunks at the fastest level, so a long trace costs
 * little more than the copying. */
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

#include "format.h"
#include "sink.h"

#define RAW_SIZE (1u << 18)
#define OUT_SIZE (1u << 18)

typedef struct bin_sink {
    trace_sink_t base;
    FILE *f;
    z_stream z;
    bool failed;
    size_t used;
    uint8_t raw[RAW_SIZE];
    uint8_t out[OUT_SIZE];
} bin_sink_t;

static void pump(bin_sink_t *s, int flush)
{
    s->z.next_in = s->raw;
    s->z.avail_in = (uInt)s->used;
    do {
        s->z.next_out = s->out;
        s->z.avail_out = OUT_SIZE;
        deflate(&s->z, flush);
        size_t n = OUT_SIZE - s->z.avail_out;
        if (n && fwrite(s->out, 1, n, s->f) != n)
            s->failed = true;
    } while (s->z.avail_out == 0);
    s->used = 0;
}

static size_t encode(const trace_event_t *ev, uint8_t *p)
{
    xtr_put64(p, ev->time);
    p[8] = ev->kind;
    p[9] = ev->vcpu;
    p[10] = ev->model;
    p[11] = ev->nv;
    xtr_put16(p + 12, ev->ndata);
    xtr_put16(p + 14, 0);
    xtr_put32(p + 16, ev->regmask);
    xtr_put64(p + 20, ev->addr);
    size_t at = XTR_REC_HEAD;
    for (unsigned i = 0; i < ev->nv && i < TRACE_NV; i++, at += 8)
        xtr_put64(p + at, ev->v[i]);
    unsigned nr = (unsigned)__builtin_popcount(ev->regmask);
    for (unsigned i = 0; i < nr && i < 17; i++, at += 8)
        xtr_put64(p + at, ev->regs[i]);
    memcpy(p + at, ev->data, ev->ndata);
    return at + ev->ndata;
}

static void bin_write(trace_sink_t *base, const trace_event_t *ev)
{
    bin_sink_t *s = (bin_sink_t *)base;
    if (s->used + XTR_REC_MAX > RAW_SIZE)
        pump(s, Z_NO_FLUSH);
    s->used += encode(ev, s->raw + s->used);
}

static int bin_close(trace_sink_t *base)
{
    bin_sink_t *s = (bin_sink_t *)base;
    pump(s, Z_FINISH);
    deflateEnd(&s->z);
    if (fclose(s->f) != 0)
        s->failed = true;
    int rc = s->failed ? -1 : 0;
    free(s);
    return rc;
}

trace_sink_t *trace_sink_binary_open(const trace_config_t *cfg, char *err, size_t errlen)
{
    bin_sink_t *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory for the trace buffer");
        return NULL;
    }
    if (!(s->f = fopen(cfg->path, "wb"))) {
        snprintf(err, errlen, "cannot write the trace file '%.200s'", cfg->path);
        free(s);
        return NULL;
    }
    if (deflateInit(&s->z, Z_BEST_SPEED) != Z_OK) {
        snprintf(err, errlen, "zlib failed to start");
        fclose(s->f);
        free(s);
        return NULL;
    }
    uint8_t h[XTR_HEADER_SIZE] = { 0 };
    memcpy(h, XTR_MAGIC, 8);
    xtr_put16(h + 8, XTR_VERSION);
    h[10] = (uint8_t)cfg->model;
    xtr_put16(h + 12, (uint16_t)cfg->vcpus);
    xtr_put64(h + 16, cfg->tsc_hz);
    xtr_put64(h + 24, cfg->ips);
    if (fwrite(h, 1, sizeof h, s->f) != sizeof h)
        s->failed = true;
    s->base.write = bin_write;
    s->base.close = bin_close;
    return &s->base;
}
