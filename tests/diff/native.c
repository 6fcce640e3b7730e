/* Native side of the differential tester.
 *
 * A worker child, forked once (and again if it dies), owns the fixed code
 * and data pages. Per case it loads the whole state, jumps to the
 * instruction and takes the state back in a signal handler: everything
 * after the instruction is 0xCC, so a normal end is the #BP of the next
 * byte. Parent and worker share a mailbox with two slots of NATIVE_BATCH
 * cases each, handed over with futexes. */
#define _GNU_SOURCE
#include "native.h"

#include <errno.h>
#include <linux/futex.h>
#include <setjmp.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <asm/prctl.h>

#define HIDDEN __attribute__((visibility("hidden")))

/* Read by native_asm.S. */
HIDDEN uint64_t native_in_gpr[16];
HIDDEN uint64_t native_in_rflags;
HIDDEN uint64_t native_in_target;
HIDDEN struct diff_fxsave native_in_fx;
HIDDEN volatile uint8_t native_in_test;

void native_enter(void);
void native_sig_entry(int, siginfo_t *, void *);
HIDDEN void native_sig_handler(int sig, siginfo_t *si, void *ucv);

/* Test-visible address window: the generator's "unmapped" addresses lie
 * here, so nothing but our pages may be mapped in it. */
#define WINDOW_LO 0x0F000000ULL
#define WINDOW_HI 0x30000000ULL

#define RFLAGS_TF 0x100ULL
#define RFLAGS_AC 0x40000ULL

enum { SLOT_IDLE, SLOT_POSTED, SLOT_DONE };

struct slot {
    _Atomic uint32_t state;   /* futex word */
    uint32_t start, n;
    _Atomic uint32_t cur;     /* case being run; UINT32_MAX before the first */
    int32_t status[NATIVE_BATCH];
    struct native_job job[NATIVE_BATCH];
    struct diff_outcome out[NATIVE_BATCH];
};

struct mailbox {
    struct slot slot[2];
    _Atomic uint32_t first_slot;   /* where a (re)started worker begins */
    _Atomic uint64_t beats;        /* cases finished, for hang detection */
    _Atomic uint32_t fatal;        /* worker could not start */
    char msg[256];
};

static struct mailbox *mb;
static pid_t worker_pid = -1;
static bool have_fsgsbase;
static unsigned restarts;

/* ---- worker ---- */

static sigjmp_buf case_jb;
static struct diff_outcome *case_out;
static int case_sig;
static uint8_t *code_rw;
static unsigned prev_off, prev_len;
static uint64_t cur_gs;
static uint32_t mxcsr_mask;

static uint64_t read_gs_base(void)
{
    uint64_t v = 0;
    if (have_fsgsbase)
        __asm__ volatile("rdgsbase %0" : "=r"(v));
    else
        syscall(SYS_arch_prctl, ARCH_GET_GS, &v);
    return v;
}

static void write_gs_base(uint64_t v)
{
    if (have_fsgsbase)
        __asm__ volatile("wrgsbase %0" : : "r"(v) : "memory");
    else
        syscall(SYS_arch_prctl, ARCH_SET_GS, v);
}

void native_sig_handler(int sig, siginfo_t *si, void *ucv)
{
    (void)si;
    if (!native_in_test) {
        /* a bug in the worker itself: die so the parent sees it */
        static const char m[] = "x86-difftest: worker got a signal outside a test\n";
        if (write(2, m, sizeof m - 1) < 0) { /* nothing more to do */ }
        _exit(3);
    }
    native_in_test = 0;
    ucontext_t *uc = ucv;
    const greg_t *gr = uc->uc_mcontext.gregs;
    struct diff_outcome *o = case_out;
    static const int map[16] = {
        REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
        REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
    };
    for (int i = 0; i < 16; i++)
        o->st.gpr[i] = (uint64_t)gr[map[i]];
    o->st.rip = (uint64_t)gr[REG_RIP];
    o->st.rflags = (uint64_t)gr[REG_EFL];
    o->vector = (int)gr[REG_TRAPNO];
    o->error_code = (uint32_t)gr[REG_ERR];
    o->fault_addr = (uint64_t)gr[REG_CR2];
    /* the first 512 bytes of the kernel's XSAVE frame are the FXSAVE image */
    memcpy(o->st.fx.raw, uc->uc_mcontext.fpregs, sizeof o->st.fx.raw);
    o->st.gs_base = read_gs_base();
    case_sig = sig;
    siglongjmp(case_jb, 1);
}

static bool vector_has_error_code(int v)
{
    return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30;
}

/* Turn what the kernel reported into the contract's outcome. */
static void normalize(const struct native_job *j, struct diff_outcome *o)
{
    uint64_t start = DIFF_CODE_ADDR + j->code_off, end = start + j->len;
    uint64_t at = o->st.rip - 1;
    if (case_sig == SIGTRAP && o->vector == 3 && at >= DIFF_CODE_ADDR &&
        at < DIFF_CODE_ADDR + 4096 && (at < start || at >= end)) {
        /* the 0xCC filler after (or at the branch target of) the instruction */
        o->st.rip = at;
        o->vector = -1;
    } else if (case_sig == SIGSEGV && o->vector == 14 && (o->error_code & 0x10) &&
               o->fault_addr == o->st.rip && o->st.rip != start) {
        /* the fetch at a branch target faulted: that is the next instruction's */
        o->vector = -1;
    }
    if (o->vector < 0 || !vector_has_error_code(o->vector))
        o->error_code = 0;
    if (o->vector != 14)
        o->fault_addr = 0;
}

static void run_case(const struct native_job *j, struct diff_outcome *o, int32_t *status)
{
    uint32_t mx;
    memcpy(&mx, j->st.fx.raw + DIFF_FX_MXCSR, 4);
    uint64_t gs = j->st.gs_base;
    bool gs_canon = (uint64_t)((int64_t)(gs << 16) >> 16) == gs;
    if (j->len == 0 || j->len > NATIVE_CODE_MAX || j->code_off + j->len > 4096 ||
        (mx & ~mxcsr_mask) || !gs_canon) {
        *status = NATIVE_BAD_INPUT;
        memset(o, 0, sizeof *o);
        return;
    }
    memset(code_rw + prev_off, 0xCC, prev_len);
    memcpy(code_rw + j->code_off, j->code, j->len);
    prev_off = j->code_off;
    prev_len = j->len;
    memcpy((void *)DIFF_DATA_ADDR, j->st.mem, DIFF_DATA_SIZE);
    if (gs != cur_gs) {
        write_gs_base(gs);
        cur_gs = gs;
    }
    memcpy(native_in_gpr, j->st.gpr, sizeof native_in_gpr);
    native_in_rflags = (j->st.rflags & ~(RFLAGS_TF | RFLAGS_AC)) | 2;
    native_in_fx = j->st.fx;
    native_in_target = DIFF_CODE_ADDR + j->code_off;
    case_out = o;
    if (sigsetjmp(case_jb, 0) == 0)
        native_enter();
    /* back from the handler: the instruction may have changed GS base */
    cur_gs = o->st.gs_base;
    normalize(j, o);
    o->st.fs_base = j->st.fs_base;
    memcpy(o->st.mem, (void *)DIFF_DATA_ADDR, DIFF_DATA_SIZE);
    *status = NATIVE_OK;
}

static void worker_fail(const char *what)
{
    snprintf(mb->msg, sizeof mb->msg, "%s: %s", what, strerror(errno));
    atomic_store(&mb->fatal, 1);
    _exit(2);
}

static bool window_is_ours(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return true;   /* cannot check; the mappings themselves succeeded */
    char line[512];
    bool ok = true;
    while (fgets(line, sizeof line, f)) {
        unsigned long long lo, hi;
        if (sscanf(line, "%llx-%llx", &lo, &hi) != 2 || hi <= WINDOW_LO || lo >= WINDOW_HI)
            continue;
        bool code = lo == DIFF_CODE_ADDR && hi == DIFF_CODE_ADDR + 4096;
        bool data = lo >= DIFF_DATA_ADDR && hi <= DIFF_DATA_ADDR + DIFF_DATA_SIZE;
        if (!code && !data) {
            snprintf(mb->msg, sizeof mb->msg, "foreign mapping in the test window: %.200s", line);
            ok = false;
        }
    }
    fclose(f);
    return ok;
}

static void worker_setup(void)
{
    int fd = memfd_create("xenemu-diff-code", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, 4096) < 0)
        worker_fail("memfd");
    void *c = mmap((void *)DIFF_CODE_ADDR, 4096, PROT_READ | PROT_EXEC,
                   MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0);
    if (c != (void *)DIFF_CODE_ADDR)
        worker_fail("mapping the code page");
    /* a writable alias: no mprotect per case */
    code_rw = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (code_rw == MAP_FAILED)
        worker_fail("mapping the code alias");
    close(fd);
    memset(code_rw, 0xCC, 4096);
    void *d = mmap((void *)DIFF_DATA_ADDR, DIFF_DATA_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (d != (void *)DIFF_DATA_ADDR)
        worker_fail("mapping the data pages");
    if (!window_is_ours()) {
        atomic_store(&mb->fatal, 1);
        _exit(2);
    }
    static uint8_t altstack[256 * 1024] __attribute__((aligned(64)));
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0 };
    if (sigaltstack(&ss, NULL) < 0)
        worker_fail("sigaltstack");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = native_sig_entry;
    /* NODEFER: we leave the handler by siglongjmp without restoring a mask */
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP };
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (sigaction(sigs[i], &sa, NULL) < 0)
            worker_fail("sigaction");
    struct diff_fxsave fx;
    memset(&fx, 0, sizeof fx);
    __asm__ volatile("fxsave64 %0" : "=m"(fx));
    memcpy(&mxcsr_mask, fx.raw + DIFF_FX_MXCSR_MASK, 4);
    if (!mxcsr_mask)
        mxcsr_mask = 0xFFBF;   /* SDM: a zero mask means the default */
    cur_gs = read_gs_base();
}

static void futex_wait(_Atomic uint32_t *a, uint32_t val, const struct timespec *ts)
{
    syscall(SYS_futex, (void *)a, FUTEX_WAIT, val, ts, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *a)
{
    syscall(SYS_futex, (void *)a, FUTEX_WAKE, 0x7fffffff, NULL, NULL, 0);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Spin briefly, then yield, before sleeping: a futex wake of an idle
 * vCPU can cost a millisecond in a VM, far more than a whole batch, but
 * on a busy machine spinning only keeps the other side off the CPU. */
static bool spin_until(_Atomic uint32_t *a, uint32_t want)
{
    for (int i = 0; i < 2000; i++) {
        if (atomic_load_explicit(a, memory_order_acquire) == want)
            return true;
        __builtin_ia32_pause();
    }
    double until = now_s() + 0.002;
    do {
        if (atomic_load_explicit(a, memory_order_acquire) == want)
            return true;
        sched_yield();
    } while (now_s() < until);
    return atomic_load_explicit(a, memory_order_acquire) == want;
}

static void worker_main(pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(0);
    worker_setup();
    int s = (int)atomic_load(&mb->first_slot);
    for (;;) {
        struct slot *sl = &mb->slot[s];
        if (!spin_until(&sl->state, SLOT_POSTED)) {
            uint32_t v;
            /* sleep only on a value already seen not to be POSTED */
            while ((v = atomic_load_explicit(&sl->state, memory_order_acquire)) != SLOT_POSTED)
                futex_wait(&sl->state, v, NULL);
        }
        for (uint32_t i = sl->start; i < sl->n; i++) {
            atomic_store_explicit(&sl->cur, i, memory_order_release);
            run_case(&sl->job[i], &sl->out[i], &sl->status[i]);
            atomic_fetch_add_explicit(&mb->beats, 1, memory_order_release);
        }
        atomic_store_explicit(&sl->state, SLOT_DONE, memory_order_release);
        futex_wake(&sl->state);
        s ^= 1;
    }
}

/* ---- parent ---- */

static bool spawn_worker(void)
{
    pid_t parent = getpid();
    fflush(NULL);
    pid_t p = fork();
    if (p < 0) {
        perror("x86-difftest: fork");
        return false;
    }
    if (p == 0)
        worker_main(parent);
    worker_pid = p;
    return true;
}

bool native_init(void)
{
    have_fsgsbase = (getauxval(AT_HWCAP2) & 2) != 0;   /* HWCAP2_FSGSBASE */
    mb = mmap(NULL, sizeof *mb, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mb == MAP_FAILED) {
        perror("x86-difftest: mailbox");
        return false;
    }
    return spawn_worker();
}

bool native_have_fsgsbase(void)
{
    return have_fsgsbase;
}

void native_shutdown(void)
{
    if (worker_pid > 0) {
        kill(worker_pid, SIGKILL);
        waitpid(worker_pid, NULL, 0);
        worker_pid = -1;
    }
}

struct native_job *native_job(int slot, unsigned i)
{
    return &mb->slot[slot].job[i];
}

const struct diff_outcome *native_out(int slot, unsigned i)
{
    return &mb->slot[slot].out[i];
}

enum native_status native_status(int slot, unsigned i)
{
    return (enum native_status)mb->slot[slot].status[i];
}

void native_post(int slot, unsigned n)
{
    struct slot *sl = &mb->slot[slot];
    sl->start = 0;
    sl->n = n;
    atomic_store(&sl->cur, UINT32_MAX);
    atomic_store_explicit(&sl->state, SLOT_POSTED, memory_order_release);
    futex_wake(&sl->state);
}

/* The worker died or hung while running slot s: blame the case it was on,
 * start a new worker and let it go on after that case. */
static void recover(int s, enum native_status why)
{
    struct slot *sl = &mb->slot[s];
    if (atomic_load(&mb->fatal)) {
        fprintf(stderr, "x86-difftest: native worker: %s\n", mb->msg);
        exit(2);
    }
    uint32_t cur = atomic_load(&sl->cur);
    uint32_t next = sl->start;
    if (cur != UINT32_MAX) {
        sl->status[cur] = why;
        memset(&sl->out[cur], 0, sizeof sl->out[cur]);
        next = cur + 1;
    }
    if (++restarts > 1000) {
        fprintf(stderr, "x86-difftest: native worker keeps dying; giving up\n");
        exit(2);
    }
    sl->start = next;
    atomic_store(&sl->cur, UINT32_MAX);
    if (next >= sl->n) {
        atomic_store(&sl->state, SLOT_DONE);
        atomic_store(&mb->first_slot, (uint32_t)(s ^ 1));
    } else {
        atomic_store(&mb->first_slot, (uint32_t)s);
    }
    if (!spawn_worker())
        exit(2);
}

void native_wait(int slot)
{
    struct slot *sl = &mb->slot[slot];
    if (spin_until(&sl->state, SLOT_DONE))
        return;
    uint64_t beats = atomic_load(&mb->beats);
    double since = now_s();
    while (atomic_load_explicit(&sl->state, memory_order_acquire) != SLOT_DONE) {
        struct timespec ts = { 0, 20 * 1000 * 1000 };
        futex_wait(&sl->state, SLOT_POSTED, &ts);
        if (atomic_load_explicit(&sl->state, memory_order_acquire) == SLOT_DONE)
            break;
        int wst;
        if (waitpid(worker_pid, &wst, WNOHANG) == worker_pid) {
            recover(slot, NATIVE_CRASHED);
            beats = atomic_load(&mb->beats);
            since = now_s();
            continue;
        }
        uint64_t b = atomic_load(&mb->beats);
        if (b != beats) {
            beats = b;
            since = now_s();
        } else if (now_s() - since > 5.0) {
            kill(worker_pid, SIGKILL);
            waitpid(worker_pid, NULL, 0);
            recover(slot, NATIVE_HUNG);
            beats = atomic_load(&mb->beats);
            since = now_s();
        }
    }
}
