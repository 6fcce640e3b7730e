/* src/trace: binary round trip, filters, summary counts, diff. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xenemu/machine.h"
#include "xenemu/trace.h"
#include "xenemu/trace_reader.h"

static machine_t m;
static cpu_t *c;
static char dir[] = "/tmp/xenemu-test-trace-XXXXXX";

static void setup(void)
{
    ck_assert_int_eq(machine_init(&m, 1), 0);
    ck_assert_int_eq(phys_add_ram(&m.mem, 0, 1 << 20), 0);
    c = m.cpu[0];
    c->code_mode = CM_64;
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    trace_stop();
    machine_destroy(&m);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
    strcpy(dir, "/tmp/xenemu-test-trace-XXXXXX");
}

static const char *path(const char *name)
{
    static char p[4][128];
    static int i;
    i = (i + 1) % 4;
    snprintf(p[i], sizeof p[i], "%s/%s", dir, name);
    return p[i];
}

static void start(const char *file, uint32_t classes, uint64_t from, uint64_t until, uint64_t lo, uint64_t hi)
{
    trace_config_t cfg;
    char err[256];
    trace_config_default(&cfg);
    cfg.classes = classes;
    cfg.path = file;
    cfg.from = from;
    cfg.until = until;
    cfg.lo = lo;
    cfg.hi = hi;
    cfg.machine = &m;
    cfg.tsc_hz = 1234567;
    ck_assert_msg(trace_start(&cfg, err, sizeof err) == 0, "%s", err);
}

/* A fixed sequence: pio at t=10, #GP at 20 (rip 0x1000), #PF at 30
 * (rip 0x5000), a hypercall at 40, console at 50, an insn at 60. */
static void emit_sequence(uint64_t pio_value)
{
    c->r[R_RAX] = 0;
    c->icount = 10;
    trace_pio(c, 0xe9, 1, true, (uint32_t)pio_value);
    c->icount = 20;
    c->r[R_RIP] = 0x1000;
    trace_exception(c, EXC_GP, TEV_EXC, 0x18);
    c->icount = 30;
    c->r[R_RIP] = 0x5000;
    c->cr2 = 0xdead000;
    trace_exception(c, EXC_PF, TEV_EXC, 2);
    c->icount = 40;
    uint64_t args[5] = { 2, 0x7000, 0, 0, 0 };
    trace_hypercall(c, 29, args, 0);
    c->icount = 50;
    trace_console(c, "hi\n", 3);
    c->icount = 60;
    c->r[R_RIP] = 0x2000;
    uint8_t code[3] = { 0x48, 0x89, 0xd8 };   /* mov rax, rbx */
    ck_assert(phys_copy_to(&m.mem, 0x2000, code, 3));
    c->r[R_RBX] = 0x42;
    trace_insn_pre(c, 0x2000, 0x2000, ~0ull, 3);
    c->r[R_RAX] = 0x42;
    c->r[R_RIP] += 3;
    c->icount++;
    trace_insn_done(c);
}

static int read_all(const char *file, trace_event_t *evs, int max)
{
    char err[256];
    trace_reader_t *r = trace_reader_open(file, err, sizeof err);
    ck_assert_msg(r != NULL, "%s", err);
    int n = 0, rc;
    while (n < max && (rc = trace_reader_next(r, &evs[n], err, sizeof err)) == 1)
        n++;
    ck_assert_int_ge(rc, 0);
    trace_reader_close(r);
    return n;
}

START_TEST(round_trip)
{
    const char *f = path("a.xtr");
    start(f, TRACE_ALL, 0, UINT64_MAX, 0, UINT64_MAX);
    emit_sequence(0x41);
    trace_stop();
    char err[256];
    trace_reader_t *r = trace_reader_open(f, err, sizeof err);
    ck_assert_ptr_nonnull(r);
    ck_assert_uint_eq(trace_reader_info(r)->tsc_hz, 1234567);
    ck_assert_uint_eq(trace_reader_info(r)->model, TM_BARE);
    trace_reader_close(r);
    static trace_event_t ev[16];
    int n = read_all(f, ev, 16);
    ck_assert_int_eq(n, 7);          /* pio, #GP, #PF exception + pagefault, hypercall, console, insn */
    ck_assert_uint_eq(ev[0].kind, TK_PIO);
    ck_assert_uint_eq(ev[0].time, 10);
    ck_assert_uint_eq(ev[0].addr, 0xe9);
    ck_assert_uint_eq(ev[0].v[2], 0x41);
    ck_assert_uint_eq(ev[1].kind, TK_EXCEPTION);
    ck_assert_uint_eq(ev[1].v[0], EXC_GP);
    ck_assert_uint_eq(ev[1].v[2], 0x18);
    ck_assert_uint_eq(ev[1].addr, 0x1000);
    ck_assert_uint_eq(ev[3].kind, TK_PAGEFAULT);
    ck_assert_uint_eq(ev[3].v[0], 0xdead000);
    ck_assert_uint_eq(ev[4].kind, TK_HYPERCALL);
    ck_assert_uint_eq(ev[4].v[0], 29);
    ck_assert_uint_eq(ev[4].v[2], 0x7000);
    ck_assert_uint_eq(ev[5].kind, TK_CONSOLE);
    ck_assert_uint_eq(ev[5].ndata, 3);
    ck_assert_mem_eq(ev[5].data, "hi\n", 3);
    ck_assert_uint_eq(ev[6].kind, TK_INSN);
    ck_assert_uint_eq(ev[6].time, 60);
    ck_assert_uint_eq(ev[6].regmask, 1u << R_RAX);
    ck_assert_uint_eq(ev[6].regs[0], 0x42);
    ck_assert_mem_eq(ev[6].data, "\x48\x89\xd8", 3);
    ck_assert_uint_eq(ev[6].vcpu, 0);
}
END_TEST

START_TEST(text_sink_disassembles)
{
    const char *f = path("a.txt");
    start(f, TRACE_ALL, 0, UINT64_MAX, 0, UINT64_MAX);
    emit_sequence(0x41);
    trace_stop();
    FILE *in = fopen(f, "r");
    ck_assert_ptr_nonnull(in);
    char line[512];
    int lines = 0;
    bool mov = false, gp = false;
    while (fgets(line, sizeof line, in)) {
        lines++;
        mov |= strstr(line, "mov rax, rbx") != NULL && strstr(line, "rax=42") != NULL;
        gp |= strstr(line, "#GP") != NULL && strstr(line, "error 0x18") != NULL;
    }
    fclose(in);
    ck_assert_int_eq(lines, 7);
    ck_assert(mov);
    ck_assert(gp);
}
END_TEST

START_TEST(filters)
{
    static trace_event_t ev[16];
    /* class: io only */
    const char *f = path("io.xtr");
    start(f, 1u << TC_IO, 0, UINT64_MAX, 0, UINT64_MAX);
    emit_sequence(1);
    trace_stop();
    ck_assert_int_eq(read_all(f, ev, 16), 1);
    ck_assert_uint_eq(ev[0].kind, TK_PIO);
    /* virtual-time window [20, 40] */
    f = path("win.xtr");
    start(f, TRACE_ALL, 20, 40, 0, UINT64_MAX);
    emit_sequence(1);
    trace_stop();
    int n = read_all(f, ev, 16);
    ck_assert_int_eq(n, 4);
    ck_assert_uint_eq(ev[0].time, 20);
    ck_assert_uint_eq(ev[n - 1].time, 40);
    /* address range: only the #PF at 0x5000; pio and the rest pass */
    f = path("range.xtr");
    start(f, TRACE_ALL, 0, UINT64_MAX, 0x4000, 0x5fff);
    emit_sequence(1);
    trace_stop();
    n = read_all(f, ev, 16);
    ck_assert_int_eq(n, 5);
    for (int i = 0; i < n; i++) {
        ck_assert(!(ev[i].kind == TK_EXCEPTION && ev[i].v[0] == EXC_GP));
        ck_assert_uint_ne(ev[i].kind, TK_INSN);
    }
}
END_TEST

/* The count on the summary line that starts with label. */
static long summary_count(const char *file, const char *label)
{
    char err[256], line[512];
    FILE *out = tmpfile();
    ck_assert_int_eq(trace_summary(file, out, err, sizeof err), 0);
    rewind(out);
    long v = -1;
    while (fgets(line, sizeof line, out)) {
        const char *s = line + strspn(line, " ");
        if (strncmp(s, label, strlen(label)) == 0 && s[strlen(label)] == ' ') {
            v = strtol(s + strlen(label), NULL, 10);
            break;
        }
    }
    fclose(out);
    return v;
}

START_TEST(summary_counts)
{
    const char *f = path("s.xtr");
    start(f, TRACE_ALL, 0, UINT64_MAX, 0, UINT64_MAX);
    for (int i = 0; i < 3; i++)
        emit_sequence((uint64_t)i);
    c->icount = 100;
    trace_vmexit(c, 10, 0, ~0ull, ~0ull);
    c->icount = 130;
    trace_vmentry(c, false);
    c->icount = 200;
    trace_vmexit(c, 48, 0x181, 0x9000, 0x9000);
    trace_stop();
    ck_assert_int_eq(summary_count(f, "exception #GP (13)"), 3);
    ck_assert_int_eq(summary_count(f, "exception #PF (14)"), 3);
    ck_assert_int_eq(summary_count(f, "sched_op(shutdown)"), 3);
    ck_assert_int_eq(summary_count(f, "insn"), 3);
    ck_assert_int_eq(summary_count(f, "CPUID"), 1);
    ck_assert_int_eq(summary_count(f, "EPT violation"), 1);
    ck_assert_int_eq(summary_count(f, "p2m"), 1);
    ck_assert_int_eq(summary_count(f, "port 0x00e9 write"), 3);
}
END_TEST

START_TEST(diff_first_divergence)
{
    const char *a = path("a.xtr"), *b = path("b.xtr"), *a2 = path("a2.xtr");
    for (int k = 0; k < 3; k++) {
        start(k == 0 ? a : k == 1 ? b : a2, TRACE_ALL, 0, UINT64_MAX, 0, UINT64_MAX);
        emit_sequence(1);
        emit_sequence(k == 1 ? 99 : 1);   /* b differs in its 8th event (the second pio) */
        emit_sequence(1);
        trace_stop();
    }
    char err[256], out[4096];
    FILE *f = tmpfile();
    int same = trace_diff(a, a2, 3, f, err, sizeof err);
    if (same) { rewind(f); size_t k = fread(out, 1, sizeof out - 1, f); out[k] = 0; fprintf(stderr, "%s", out); }
    ck_assert_int_eq(same, 0);
    ck_assert_int_eq(trace_diff(a, b, 3, f, err, sizeof err), 1);
    rewind(f);
    size_t n = fread(out, 1, sizeof out - 1, f);
    out[n] = 0;
    fclose(f);
    ck_assert_ptr_nonnull(strstr(out, "do not diverge (21 events)"));
    ck_assert_ptr_nonnull(strstr(out, "diverge at event 7 "));
    ck_assert_ptr_nonnull(strstr(out, "value 0x63"));      /* B's side */
    ck_assert_ptr_nonnull(strstr(out, "  = #6 "));          /* context before */
}
END_TEST

START_TEST(names_and_classes)
{
    uint32_t mask;
    char err[256];
    ck_assert_int_eq(trace_parse_classes("exception,io", &mask, err, sizeof err), 0);
    ck_assert_uint_eq(mask, (1u << TC_EXCEPTION) | (1u << TC_IO));
    ck_assert_int_eq(trace_parse_classes("all", &mask, err, sizeof err), 0);
    ck_assert_uint_eq(mask, TRACE_ALL);
    ck_assert_int_eq(trace_parse_classes("exception,bogus", &mask, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "bogus"));
    ck_assert_int_eq(trace_parse_classes("", &mask, err, sizeof err), -1);
    ck_assert_str_eq(trace_exit_reason_name(10), "CPUID");
    ck_assert_str_eq(trace_exit_reason_name(12), "HLT");
    ck_assert_str_eq(trace_exit_reason_name(18), "VMCALL");
    ck_assert_str_eq(trace_exit_reason_name(48), "EPT violation");
    ck_assert_str_eq(trace_hypercall_name(29), "sched_op");
    ck_assert_str_eq(trace_hypercall_subop_name(29, 2), "shutdown");
    ck_assert_str_eq(trace_hypercall_subop_name(32, 4), "send");
    ck_assert_str_eq(trace_hypercall_name(18), "console_io");
}
END_TEST

START_TEST(off_costs_nothing_visible)
{
    /* With no trace started, hooks do not write anything anywhere. */
    ck_assert_uint_eq(trace_mask, 0);
    emit_sequence(1);
    ck_assert_uint_eq(trace_mask, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("trace");
    TCase *tc = tcase_create("trace");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, text_sink_disassembles);
    tcase_add_test(tc, filters);
    tcase_add_test(tc, summary_counts);
    tcase_add_test(tc, diff_first_divergence);
    tcase_add_test(tc, names_and_classes);
    tcase_add_test(tc, off_costs_nothing_visible);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
