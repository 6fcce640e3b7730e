/* `xenemu trace summary` and `compare`: counts per class and kind,
 * exceptions by vector, VM exits by reason (with the virtual time until
 * the next VM entry), hypercalls by name and sub-op, port I/O by port. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "xenemu/trace_reader.h"

#define MAX_REASON 128
#define MAX_HC 64
#define MAX_SUB 64
#define MAX_VCPU 256

typedef struct stats {
    trace_file_info_t info;
    uint64_t events, first, last;
    uint64_t kcount[TK_COUNT], kfirst[TK_COUNT], klast[TK_COUNT];
    uint64_t ccount[TC_COUNT], cfirst[TC_COUNT], clast[TC_COUNT];
    uint64_t vec[4][256];
    uint64_t exits[MAX_REASON], exit_time[MAX_REASON], exit_failed;
    uint64_t open_time[MAX_VCPU];
    int open_reason[MAX_VCPU];      /* -1: no VM exit waiting for its entry */
    uint64_t hc[MAX_HC][MAX_SUB + 1];
    uint64_t port[65536][2];
} stats_t;

/* One line of a summary, the unit `compare` lines up. */
typedef struct row {
    char label[96];
    uint64_t count;
} row_t;

typedef struct rows {
    row_t *r;
    size_t n, cap;
} rows_t;

static void add_row(rows_t *rs, const char *label, uint64_t count)
{
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 64;
        row_t *r = realloc(rs->r, cap * sizeof *r);
        if (!r)
            return;
        rs->r = r;
        rs->cap = cap;
    }
    snprintf(rs->r[rs->n].label, sizeof rs->r[0].label, "%s", label);
    rs->r[rs->n++].count = count;
}

/* Hypercalls whose first argument is a sub-operation (a cmd). */
static bool has_subops(unsigned nr)
{
    return trace_hypercall_subop_name(nr, 0) != NULL;
}

static unsigned subop(const trace_event_t *ev)
{
    unsigned nr = (unsigned)ev->v[0];
    uint64_t op = nr == 12 ? ev->v[1] & 0x3f : ev->v[1];   /* XENMEMOP_CMD_MASK */
    if (!has_subops(nr))
        return 0;
    return op < MAX_SUB ? (unsigned)op : MAX_SUB;
}

static void count(stats_t *s, const trace_event_t *ev)
{
    uint64_t t = ev->time;
    if (!s->events++ || t < s->first)
        s->first = t;
    if (t > s->last)
        s->last = t;
    unsigned k = ev->kind < TK_COUNT ? ev->kind : 0, c = trace_kind_class(k);
    if (!s->kcount[k]++)
        s->kfirst[k] = t;
    s->klast[k] = t;
    if (c < TC_COUNT) {
        if (!s->ccount[c]++)
            s->cfirst[c] = t;
        s->clast[c] = t;
    }
    switch (ev->kind) {
    case TK_EXCEPTION:
        s->vec[ev->v[1] & 3][ev->v[0] & 0xff]++;
        break;
    case TK_VMEXIT:
        if (ev->v[0] & 0x80000000u)
            s->exit_failed++;
        unsigned reason = (unsigned)(ev->v[0] & 0xffff);
        if (reason < MAX_REASON) {
            s->exits[reason]++;
            s->open_reason[ev->vcpu] = (int)reason;
            s->open_time[ev->vcpu] = t;
        }
        break;
    case TK_VMENTRY:
        if (s->open_reason[ev->vcpu] >= 0) {
            s->exit_time[s->open_reason[ev->vcpu]] += t - s->open_time[ev->vcpu];
            s->open_reason[ev->vcpu] = -1;
        }
        break;
    case TK_HYPERCALL:
        if (ev->v[0] < MAX_HC)
            s->hc[ev->v[0]][subop(ev)]++;
        break;
    case TK_PIO:
        s->port[ev->addr & 0xffff][ev->v[1] & 1]++;
        break;
    default:
        break;
    }
}

static stats_t *gather(const char *path, char *err, size_t errlen)
{
    trace_reader_t *r = trace_reader_open(path, err, errlen);
    if (!r)
        return NULL;
    stats_t *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        trace_reader_close(r);
        return NULL;
    }
    s->info = *trace_reader_info(r);
    for (int i = 0; i < MAX_VCPU; i++)
        s->open_reason[i] = -1;
    trace_event_t ev;
    int rc;
    while ((rc = trace_reader_next(r, &ev, err, errlen)) == 1)
        count(s, &ev);
    trace_reader_close(r);
    if (rc < 0) {
        free(s);
        return NULL;
    }
    return s;
}

static const char *vector_label(unsigned how, unsigned v, char *buf, size_t n)
{
    static const char *const kinds[4] = { "exception", "interrupt", "software int", "icebp" };
    const char *name = how == TEV_EXC ? trace_vector_name(v) : NULL;
    if (name)
        snprintf(buf, n, "%s %s (%u)", kinds[how], name, v);
    else
        snprintf(buf, n, "%s %u", kinds[how], v);
    return buf;
}

static const char *hc_label(unsigned nr, unsigned sub, char *buf, size_t n)
{
    const char *name = trace_hypercall_name(nr);
    const char *op = sub < MAX_SUB ? trace_hypercall_subop_name(nr, sub) : NULL;
    char nb[32], ob[32];
    if (!name) {
        snprintf(nb, sizeof nb, "hypercall %u", nr);
        name = nb;
    }
    if (!has_subops(nr)) {
        snprintf(buf, n, "%s", name);
        return buf;
    }
    if (!op) {
        snprintf(ob, sizeof ob, sub < MAX_SUB ? "op %u" : "op >= %u", sub);
        op = ob;
    }
    snprintf(buf, n, "%s(%s)", name, op);
    return buf;
}

static const char *exit_label(unsigned reason, char *buf, size_t n)
{
    const char *name = trace_exit_reason_name(reason);
    if (name)
        snprintf(buf, n, "%s", name);
    else
        snprintf(buf, n, "exit reason %u", reason);
    return buf;
}

/* The rows compare lines up; summary prints them with times. */
static void make_rows(const stats_t *s, rows_t *rs)
{
    char b[96], l[128];
    add_row(rs, "events", s->events);
    add_row(rs, "virtual time span", s->events ? s->last - s->first : 0);
    for (unsigned c = 0; c < TC_COUNT; c++)
        if (s->ccount[c]) {
            snprintf(l, sizeof l, "class %s", trace_class_name(c));
            add_row(rs, l, s->ccount[c]);
        }
    for (unsigned k = 1; k < TK_COUNT; k++)
        if (s->kcount[k]) {
            snprintf(l, sizeof l, "kind %s", trace_kind_name(k));
            add_row(rs, l, s->kcount[k]);
        }
    for (unsigned how = 0; how < 4; how++)
        for (unsigned v = 0; v < 256; v++)
            if (s->vec[how][v])
                add_row(rs, vector_label(how, v, b, sizeof b), s->vec[how][v]);
    for (unsigned r = 0; r < MAX_REASON; r++)
        if (s->exits[r]) {
            snprintf(l, sizeof l, "vmexit %s", exit_label(r, b, sizeof b));
            add_row(rs, l, s->exits[r]);
        }
    for (unsigned h = 0; h < MAX_HC; h++)
        for (unsigned o = 0; o <= MAX_SUB; o++)
            if (s->hc[h][o]) {
                snprintf(l, sizeof l, "hypercall %s", hc_label(h, o, b, sizeof b));
                add_row(rs, l, s->hc[h][o]);
            }
    for (unsigned p = 0; p < 65536; p++)
        for (unsigned w = 0; w < 2; w++)
            if (s->port[p][w]) {
                snprintf(l, sizeof l, "port 0x%04x %s", p, w ? "write" : "read");
                add_row(rs, l, s->port[p][w]);
            }
}

static void print_times(FILE *out, const char *name, uint64_t n, uint64_t first, uint64_t last)
{
    fprintf(out, "  %-14s %10" PRIu64 " %14" PRIu64 " %14" PRIu64 " %12" PRIu64 "\n", name, n, first, last,
            n > 1 ? (last - first) / (n - 1) : 0);
}

int trace_summary(const char *path, FILE *out, char *err, size_t errlen)
{
    stats_t *s = gather(path, err, errlen);
    if (!s)
        return -1;
    const char *model = trace_model_name(s->info.model);
    fprintf(out, "trace %s: guest model %s, %u vCPU%s, virtual TSC %" PRIu64 " Hz, format %u\n", path,
            model ? model : "?", s->info.vcpus, s->info.vcpus == 1 ? "" : "s", s->info.tsc_hz, s->info.version);
    uint64_t span = s->events ? s->last - s->first : 0;
    fprintf(out, "events %" PRIu64 ", virtual time %" PRIu64 " .. %" PRIu64 " (%" PRIu64 " instructions, %.3f ms)\n",
            s->events, s->first, s->last, span, (double)span * 1e3 / (double)s->info.ips);
    fprintf(out, "\n  %-14s %10s %14s %14s %12s\n", "class", "events", "first", "last", "mean gap");
    for (unsigned c = 0; c < TC_COUNT; c++)
        if (s->ccount[c])
            print_times(out, trace_class_name(c), s->ccount[c], s->cfirst[c], s->clast[c]);
    fprintf(out, "\n  %-14s %10s %14s %14s %12s\n", "kind", "events", "first", "last", "mean gap");
    for (unsigned k = 1; k < TK_COUNT; k++)
        if (s->kcount[k])
            print_times(out, trace_kind_name(k), s->kcount[k], s->kfirst[k], s->klast[k]);
    char b[96];
    bool any = false;
    for (unsigned how = 0; how < 4; how++)
        for (unsigned v = 0; v < 256; v++)
            if (s->vec[how][v]) {
                if (!any)
                    fprintf(out, "\nexceptions and interrupts by vector:\n");
                any = true;
                fprintf(out, "  %-40s %10" PRIu64 "\n", vector_label(how, v, b, sizeof b), s->vec[how][v]);
            }
    any = false;
    for (unsigned r = 0; r < MAX_REASON; r++)
        if (s->exits[r]) {
            if (!any)
                fprintf(out, "\n%-52s %10s %16s %12s\n", "VM exits by reason:", "count", "time to entry", "mean");
            any = true;
            fprintf(out, "  %-50s %10" PRIu64 " %16" PRIu64 " %12" PRIu64 "\n", exit_label(r, b, sizeof b),
                    s->exits[r], s->exit_time[r], s->exit_time[r] / s->exits[r]);
        }
    if (s->exit_failed)
        fprintf(out, "  (%" PRIu64 " of them VM-entry failures)\n", s->exit_failed);
    any = false;
    for (unsigned h = 0; h < MAX_HC; h++)
        for (unsigned o = 0; o <= MAX_SUB; o++)
            if (s->hc[h][o]) {
                if (!any)
                    fprintf(out, "\nhypercalls by name and sub-op:\n");
                any = true;
                fprintf(out, "  %-40s %10" PRIu64 "\n", hc_label(h, o, b, sizeof b), s->hc[h][o]);
            }
    any = false;
    for (unsigned p = 0; p < 65536; p++)
        for (unsigned w = 0; w < 2; w++)
            if (s->port[p][w]) {
                if (!any)
                    fprintf(out, "\nport I/O:\n");
                any = true;
                fprintf(out, "  port 0x%04x %-28s %10" PRIu64 "\n", p, w ? "write" : "read", s->port[p][w]);
            }
    free(s);
    return 0;
}

int trace_compare(int n, char *const paths[], FILE *out, char *err, size_t errlen)
{
    rows_t *rs = calloc((size_t)n, sizeof *rs);
    rows_t all = { 0 };
    int rc = -1;
    if (!rs) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < n; i++) {
        stats_t *s = gather(paths[i], err, errlen);
        if (!s)
            goto done;
        make_rows(s, &rs[i]);
        free(s);
        for (size_t j = 0; j < rs[i].n; j++) {
            size_t k = 0;
            while (k < all.n && strcmp(all.r[k].label, rs[i].r[j].label) != 0)
                k++;
            if (k == all.n)
                add_row(&all, rs[i].r[j].label, 0);
        }
    }
    fprintf(out, "%-48s", "");
    for (int i = 0; i < n; i++) {
        const char *base = strrchr(paths[i], '/');
        fprintf(out, " %16.16s", base ? base + 1 : paths[i]);
    }
    fputc('\n', out);
    for (size_t k = 0; k < all.n; k++) {
        fprintf(out, "%-48.48s", all.r[k].label);
        for (int i = 0; i < n; i++) {
            uint64_t v = 0;
            for (size_t j = 0; j < rs[i].n; j++)
                if (strcmp(rs[i].r[j].label, all.r[k].label) == 0)
                    v = rs[i].r[j].count;
            fprintf(out, " %16" PRIu64, v);
        }
        fputc('\n', out);
    }
    rc = 0;
done:
    for (int i = 0; i < n; i++)
        free(rs[i].r);
    free(rs);
    free(all.r);
    return rc;
}
