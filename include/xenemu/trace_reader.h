/* Reading binary traces (.xtr) back, and the analyses behind `xenemu trace`:
 * summary, diff, compare, Perfetto export (src/trace/reader.c). */
#ifndef XENEMU_TRACE_READER_H
#define XENEMU_TRACE_READER_H

#include <stdio.h>

#include "xenemu/trace.h"

typedef struct trace_reader trace_reader_t;

typedef struct trace_file_info {
    unsigned version, model, vcpus;
    uint64_t tsc_hz, ips;
} trace_file_info_t;

/* NULL with a one-line reason (missing file, not a trace, bad version). */
trace_reader_t *trace_reader_open(const char *path, char *err, size_t errlen);
const trace_file_info_t *trace_reader_info(const trace_reader_t *r);
/* 1: an event, 0: the end, -1: a damaged file (reason in err). */
int trace_reader_next(trace_reader_t *r, trace_event_t *ev, char *err, size_t errlen);
void trace_reader_close(trace_reader_t *r);

/* Two events are the same (the guest model aside, so runs of different
 * models can be compared). */
bool trace_event_equal(const trace_event_t *a, const trace_event_t *b);

/* The verbs. Each returns 0, or -1 with a one-line reason; trace_diff
 * returns 1 when the traces diverge. */
int trace_summary(const char *path, FILE *out, char *err, size_t errlen);
int trace_diff(const char *a, const char *b, unsigned context, FILE *out, char *err, size_t errlen);
int trace_compare(int n, char *const paths[], FILE *out, char *err, size_t errlen);
int trace_export_perfetto(const char *path, FILE *out, char *err, size_t errlen);

#endif
