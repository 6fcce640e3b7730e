/* sched_op hypercall (29): RDI = cmd, RSI = arg (public/sched.h). */
#ifndef XEN_ABI_SCHED_H
#define XEN_ABI_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include "xen.h"

#define SCHEDOP_yield           0
#define SCHEDOP_block           1
#define SCHEDOP_shutdown        2
#define SCHEDOP_poll            3
#define SCHEDOP_remote_shutdown 4
#define SCHEDOP_shutdown_code   5
#define SCHEDOP_watchdog        6
#define SCHEDOP_pin_override    7

#define SHUTDOWN_poweroff   0
#define SHUTDOWN_reboot     1
#define SHUTDOWN_suspend    2
#define SHUTDOWN_crash      3
#define SHUTDOWN_watchdog   4
#define SHUTDOWN_soft_reset 5
#define SHUTDOWN_MAX        5

struct sched_shutdown {
    uint32_t reason;
};

struct sched_poll {
    xen_guest_handle_t ports;  /* GVA of evtchn_port_t[] */
    uint32_t nr_ports;
    uint32_t pad;
    uint64_t timeout;          /* absolute system time, 0 = none */
};

struct sched_remote_shutdown {
    domid_t domain_id;
    uint8_t pad[2];
    uint32_t reason;
};

struct sched_watchdog {
    uint32_t id;
    uint32_t timeout;
};

struct sched_pin_override {
    int32_t pcpu;
};

_Static_assert(sizeof(struct sched_shutdown) == 4, "sched_shutdown");
_Static_assert(sizeof(struct sched_poll) == 24, "sched_poll");
_Static_assert(offsetof(struct sched_poll, nr_ports) == 8, "nr_ports");
_Static_assert(offsetof(struct sched_poll, timeout) == 16, "timeout");
_Static_assert(sizeof(struct sched_remote_shutdown) == 8, "remote_shutdown");
_Static_assert(offsetof(struct sched_remote_shutdown, reason) == 4, "reason");
_Static_assert(sizeof(struct sched_watchdog) == 8, "sched_watchdog");
_Static_assert(sizeof(struct sched_pin_override) == 4, "pin_override");

#endif
