/* GDB remote stub (src/debug/gdbstub.c). */
#ifndef XENEMU_GDBSTUB_H
#define XENEMU_GDBSTUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xenemu/machine.h"

#define GDB_MAX_BREAKPOINTS 64
#define GDB_MAX_WATCHPOINTS 16

enum { GDB_DETACHED = -1, GDB_RUN_CONT = 1, GDB_RUN_STEP = 2 };

typedef struct gdb {
    machine_t *m;
    int lfd, fd;                 /* listening socket, connection (-1: none) */
    int cur;                     /* vCPU gdb looks at (thread cur + 1) */
    bool stopped;                /* stop before the next instruction */
    bool quiet;                  /* the stop needs no reply (gdb just connected and asks '?') */
    bool stepping;               /* gdb asked for one instruction */
    uint64_t bp[GDB_MAX_BREAKPOINTS];
    int nbp;
    struct { uint64_t addr, old; unsigned len; } wp[GDB_MAX_WATCHPOINTS];   /* write watchpoints */
    int nwp;
    unsigned polls;
} gdb_t;

/* Listen on localhost:port. 0, or -1 with a reason. */
int gdb_listen(gdb_t *g, machine_t *m, int port, char *err, size_t errlen);
/* With wait, block until gdb connects and hold the guest at its first
 * instruction. */
int gdb_start(gdb_t *g, bool wait);
/* Between slices: accept a connection or a Ctrl-C; either stops the guest. */
void gdb_poll(gdb_t *g);
/* Must the machine go one instruction at a time (breakpoints, a step, a
 * stop request)? */
bool gdb_active(const gdb_t *g);
/* Before cpu runs one instruction in that mode: stops and serves gdb when
 * a breakpoint, a finished step or a stop request says so. Returns
 * GDB_RUN_CONT or GDB_RUN_STEP, or GDB_DETACHED when gdb went away. */
int gdb_before_insn(gdb_t *g, cpu_t *cpu);
/* The guest ended with `status`: tell gdb. */
void gdb_exited(gdb_t *g, int status);
void gdb_close(gdb_t *g);

#endif
