/* The sinks behind trace.c: text (sink_text.c) and binary (sink_binary.c). */
#ifndef XENEMU_TRACE_SINK_H
#define XENEMU_TRACE_SINK_H

#include <stdio.h>

#include "xenemu/trace.h"

typedef struct trace_sink {
    void (*write)(struct trace_sink *s, const trace_event_t *ev);
    int (*close)(struct trace_sink *s);   /* 0, or -1 on a write error */
} trace_sink_t;

/* path NULL: stderr. Return NULL with a reason in err. */
trace_sink_t *trace_sink_text_open(const char *path, char *err, size_t errlen);
trace_sink_t *trace_sink_binary_open(const trace_config_t *cfg, char *err, size_t errlen);

/* One event as a line of text (no newline); returns its length. Capstone
 * disassembles insn events. Used by the text sink and the reader. */
size_t trace_format_text(const trace_event_t *ev, char *buf, size_t size);
/* Release the disassembler trace_format_text opened. */
void trace_format_release(void);

#endif
