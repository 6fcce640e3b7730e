/* Shared helpers of the Xen-machine test guests (tests/guests/xen): the
 * x86-64 HVM hypercall ABI (VMCALL, RAX = number, args RDI RSI RDX R10 R8),
 * checks that print expected and got values, shared_info and event upcall
 * set-up, mappings above the 1 GiB identity map of lib/start.S, pvclock,
 * and a pass/fail shutdown through SCHEDOP_shutdown. */
#ifndef XENLIB_H
#define XENLIB_H

#include <stddef.h>
#include <stdint.h>

#include "desc.h"
#include <xen-abi/errno.h>
#include <xen-abi/event_channel.h>
#include <xen-abi/features.h>
#include <xen-abi/grant_table.h>
#include <xen-abi/hvm/params.h>
#include <xen-abi/hvm_start_info.h>
#include <xen-abi/memory.h>
#include <xen-abi/sched.h>
#include <xen-abi/vcpu.h>
#include <xen-abi/version.h>
#include <xen-abi/xen.h>

/* The vector the event-channel upcall arrives on (HVM_PARAM_CALLBACK_IRQ). */
#define XEN_UPCALL_VECTOR 0xf3

static inline long xen_hypercall(uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3,
                                 uint64_t a4, uint64_t a5)
{
    register uint64_t r10 __asm__("r10") = a4;
    register uint64_t r8 __asm__("r8") = a5;
    uint64_t rax = nr;
    __asm__ volatile("vmcall"
                     : "+a"(rax), "+D"(a1), "+S"(a2), "+d"(a3), "+r"(r10), "+r"(r8)
                     :
                     : "memory");
    return (long)rax;
}

#define HC1(nr, a) xen_hypercall((nr), (uint64_t)(a), 0, 0, 0, 0)
#define HC2(nr, a, b) xen_hypercall((nr), (uint64_t)(a), (uint64_t)(b), 0, 0, 0)
#define HC3(nr, a, b, c) xen_hypercall((nr), (uint64_t)(a), (uint64_t)(b), (uint64_t)(c), 0, 0)

static inline long xen_version(int cmd, void *arg) { return HC2(__HYPERVISOR_xen_version, cmd, arg); }
static inline long memory_op(int cmd, void *arg) { return HC2(__HYPERVISOR_memory_op, cmd, arg); }
static inline long hvm_op(int cmd, void *arg) { return HC2(__HYPERVISOR_hvm_op, cmd, arg); }
static inline long vcpu_op(int cmd, uint32_t id, void *arg) { return HC3(__HYPERVISOR_vcpu_op, cmd, id, arg); }
static inline long sched_op(int cmd, void *arg) { return HC2(__HYPERVISOR_sched_op, cmd, arg); }
static inline long evtchn_op(int cmd, void *arg) { return HC2(__HYPERVISOR_event_channel_op, cmd, arg); }
static inline long gnttab_op(int cmd, void *arg, uint32_t count)
{ return HC3(__HYPERVISOR_grant_table_op, cmd, arg, count); }

static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void sti_nop_cli(void) { __asm__ volatile("sti; nop; cli" ::: "memory"); }
static inline void sti_hlt_cli(void) { __asm__ volatile("sti; hlt; cli" ::: "memory"); }
static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}
#define barrier() __asm__ volatile("" ::: "memory")

/* Printing. */
void put_dec(int64_t v);
void put_udec(uint64_t v);

/* Checks: one "ok"/"FAIL" line each; failures print expected and got. */
void check_rc(const char *what, long got, long want);   /* signed, decimal */
void check_str(const char *what, const char *got, const char *want);
int xstrcmp(const char *a, const char *b);
unsigned long xstrlen(const char *s);
int xcontains(const char *hay, const char *needle);

/* Sets up the GDT/IDT (lib/idt.c) with exceptions ending the run by
 * SHUTDOWN_crash. */
void xen_init(void);
/* Prints the verdict of finish(name) and shuts down: poweroff when every
 * check passed, crash otherwise. */
void xen_finish(const char *name) __attribute__((noreturn));
void xen_shutdown(unsigned reason) __attribute__((noreturn));

/* Identity-maps the 1 GiB that holds gpa (2 MiB pages) and returns it. */
void *map_phys(uint64_t gpa);

/* shared_info placed with XENMEM_add_to_physmap at a page of the guest's. */
extern volatile struct shared_info *shinfo;
long map_shared_info(void);
static inline volatile struct vcpu_info *vcpu0(void) { return &shinfo->vcpu_info[0]; }

/* Installs the upcall handler on XEN_UPCALL_VECTOR through
 * HVM_PARAM_CALLBACK_IRQ (vector type); the handler clears
 * evtchn_upcall_pending and calls hook (if set), counting upcalls. */
typedef void (*upcall_hook_t)(void);
extern volatile uint64_t upcall_count;
long install_upcall(upcall_hook_t hook);

/* pvclock system time (ns) from a vcpu_time_info. */
uint64_t pvclock_read(volatile struct vcpu_time_info *t);

long evtchn_send_port(evtchn_port_t port);
long evtchn_close_port(evtchn_port_t port);
long evtchn_unmask_port(evtchn_port_t port);
long hvm_get_param(uint32_t index, uint64_t *value);

#endif
