/* x86-difftest: run random instructions natively and in xenemu's
 * interpreter and compare the whole state. See README.md beside this file. */
#define _GNU_SOURCE
#include <capstone/capstone.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diffstate.h"
#include "coverage.h"
#include "gen.h"
#include "native.h"

#define RFLAGS_RF 0x10000ULL

static struct {
    uint64_t cases, seed, only_case, max_fails;
    const char *filter;
    bool verbose, list, capcheck, has_only, native_twice, trace;
} opt = { .cases = 10000, .seed = 1 };

static csh cs;

/* ---- output helpers ---- */

struct line {
    char buf[8192];
    size_t n;
};

static void lprintf(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void lprintf(struct line *l, const char *fmt, ...)
{
    if (l->n >= sizeof l->buf - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(l->buf + l->n, sizeof l->buf - l->n, fmt, ap);
    va_end(ap);
    if (k > 0)
        l->n += (size_t)k;
    if (l->n >= sizeof l->buf)
        l->n = sizeof l->buf - 1;
}

static void disasm(struct line *l, const uint8_t *code, unsigned len, uint64_t addr)
{
    cs_insn *insn = NULL;
    size_t n = cs_disasm(cs, code, len, addr, 1, &insn);
    if (n == 1) {
        lprintf(l, "%s%s%s", insn->mnemonic, insn->op_str[0] ? " " : "", insn->op_str);
        if (insn->size != len)
            lprintf(l, " (capstone: %u bytes)", insn->size);
    } else {
        lprintf(l, "(capstone: invalid)");
    }
    if (n)
        cs_free(insn, n);
}

static void hexbytes(struct line *l, const uint8_t *p, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        lprintf(l, "%s%02x", i ? " " : "", p[i]);
}

static const char *vector_name(int v)
{
    static const char *const names[32] = {
        [0] = "#DE", [1] = "#DB", [2] = "NMI", [3] = "#BP", [4] = "#OF", [5] = "#BR", [6] = "#UD",
        [7] = "#NM", [8] = "#DF", [10] = "#TS", [11] = "#NP", [12] = "#SS", [13] = "#GP",
        [14] = "#PF", [16] = "#MF", [17] = "#AC", [18] = "#MC", [19] = "#XM", [20] = "#VE", [21] = "#CP",
    };
    if (v < 0)
        return "none";
    if (v < 32 && names[v])
        return names[v];
    static char buf[16];
    snprintf(buf, sizeof buf, "vec%d", v);
    return buf;
}

static const char *const gpr_names[16] = {
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

/* ---- comparison ---- */

struct fx_field {
    const char *name;
    unsigned off, len;
};

/* What is compared of the FXSAVE image: not FOP/FIP/FDP (their update
 * rules are model-specific), not MXCSR_MASK (a CPU constant), not the
 * reserved bytes or the padding of the st registers. */
static struct fx_field fx_fields[2 + 1 + 1 + 8 + 16 + 1];
static unsigned n_fx_fields;

static void fx_fields_init(void)
{
    static char names[8 + 16][8];
    struct fx_field *f = fx_fields;
    *f++ = (struct fx_field){ "fcw", DIFF_FX_FCW, 2 };
    *f++ = (struct fx_field){ "fsw", DIFF_FX_FSW, 2 };
    *f++ = (struct fx_field){ "ftw", DIFF_FX_FTW, 1 };
    *f++ = (struct fx_field){ "mxcsr", DIFF_FX_MXCSR, 4 };
    for (int i = 0; i < 8; i++) {
        snprintf(names[i], sizeof names[i], "st%d", i);
        *f++ = (struct fx_field){ names[i], (unsigned)DIFF_FX_ST(i), 10 };
    }
    for (int i = 0; i < 16; i++) {
        snprintf(names[8 + i], sizeof names[8 + i], "xmm%d", i);
        *f++ = (struct fx_field){ names[8 + i], (unsigned)DIFF_FX_XMM(i), 16 };
    }
    n_fx_fields = (unsigned)(f - fx_fields);
}

static void print_fx_value(struct line *l, const uint8_t *p, unsigned len)
{
    lprintf(l, "0x");
    for (unsigned i = len; i-- > 0;)
        lprintf(l, "%02x", p[i]);
}

/* x87 transcendentals: the hardware is not correctly rounded (SDM Vol.1
 * §8.3.10) and neither is xenemu's softfloat, so forms with F_FPTOL
 * accept register values 1 ulp apart (adjacent encodings of the same
 * sign, across an exponent step too) and ignore FSW.C1 ("rounded up").
 * Everything else stays exact. */
static bool f80_within_ulp(const uint8_t *a, const uint8_t *b)
{
    uint64_t sa, sb;
    uint16_t ea, eb;
    memcpy(&sa, a, 8);
    memcpy(&sb, b, 8);
    memcpy(&ea, a + 8, 2);
    memcpy(&eb, b + 8, 2);
    if ((ea ^ eb) & 0x8000 || (ea & 0x7fff) == 0x7fff || (eb & 0x7fff) == 0x7fff)
        return false;
    /* position on the number line: exponent steps of 2^63 plus the
     * significand (integer bit set for normals, clear for denormals) */
    unsigned __int128 pa = (unsigned __int128)(ea & 0x7fff) << 63 | (sa & ~(1ULL << 63));
    unsigned __int128 pb = (unsigned __int128)(eb & 0x7fff) << 63 | (sb & ~(1ULL << 63));
    if ((sa >> 63) != ((ea & 0x7fff) != 0) || (sb >> 63) != ((eb & 0x7fff) != 0))
        return false;
    return pa - pb + 1 <= 2;
}

static bool fx_field_tolerated(const struct gen_case *m, const struct fx_field *f, const uint8_t *a,
                               const uint8_t *b)
{
    if (!(m->form->flags & F_FPTOL))
        return false;
    if (f->off == DIFF_FX_FSW) {
        uint16_t wa, wb;
        memcpy(&wa, a, 2);
        memcpy(&wb, b, 2);
        return ((wa ^ wb) & ~0x0200) == 0;
    }
    return f->off >= DIFF_FX_ST(0) && f->off <= DIFF_FX_ST(7) && f80_within_ulp(a, b);
}

static bool has_error_code(int v)
{
    return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30;
}

/* Appends "item: native=... interp=..." for every difference; returns
 * the number of differences. */
static unsigned compare(const struct gen_case *m, const struct diff_outcome *a, const struct diff_outcome *b,
                        struct line *l)
{
    unsigned n = 0;
#define SEP() lprintf(l, "%s", n++ ? "; " : "")
    if (a->vector != b->vector) {
        SEP();
        lprintf(l, "vector: native=%s interp=%s", vector_name(a->vector), vector_name(b->vector));
    } else if (has_error_code(a->vector) && a->error_code != b->error_code) {
        SEP();
        lprintf(l, "error_code: native=%#x interp=%#x", a->error_code, b->error_code);
    }
    if (a->fault_addr != b->fault_addr) {
        SEP();
        lprintf(l, "cr2: native=%#" PRIx64 " interp=%#" PRIx64, a->fault_addr, b->fault_addr);
    }
    if (a->st.rip != b->st.rip) {
        SEP();
        lprintf(l, "rip: native=%#" PRIx64 " interp=%#" PRIx64, a->st.rip, b->st.rip);
    }
    for (int i = 0; i < 16; i++) {
        if ((m->undef_gpr & (1u << i)) || a->st.gpr[i] == b->st.gpr[i])
            continue;
        SEP();
        lprintf(l, "%s: native=%#" PRIx64 " interp=%#" PRIx64, gpr_names[i], a->st.gpr[i], b->st.gpr[i]);
    }
    uint64_t fmask = ~(RFLAGS_RF | m->undef_flags);
    if ((a->st.rflags ^ b->st.rflags) & fmask) {
        SEP();
        lprintf(l, "rflags: native=%#" PRIx64 " interp=%#" PRIx64 " (differ %#" PRIx64 ")", a->st.rflags,
                b->st.rflags, (a->st.rflags ^ b->st.rflags) & fmask);
    }
    if (a->st.fs_base != b->st.fs_base) {
        SEP();
        lprintf(l, "fs_base: native=%#" PRIx64 " interp=%#" PRIx64, a->st.fs_base, b->st.fs_base);
    }
    if (a->st.gs_base != b->st.gs_base) {
        SEP();
        lprintf(l, "gs_base: native=%#" PRIx64 " interp=%#" PRIx64, a->st.gs_base, b->st.gs_base);
    }
    for (unsigned i = 0; i < n_fx_fields; i++) {
        const struct fx_field *f = &fx_fields[i];
        if (!memcmp(a->st.fx.raw + f->off, b->st.fx.raw + f->off, f->len) ||
            fx_field_tolerated(m, f, a->st.fx.raw + f->off, b->st.fx.raw + f->off))
            continue;
        SEP();
        lprintf(l, "%s: native=", f->name);
        print_fx_value(l, a->st.fx.raw + f->off, f->len);
        lprintf(l, " interp=");
        print_fx_value(l, b->st.fx.raw + f->off, f->len);
    }
    if (memcmp(a->st.mem, b->st.mem, DIFF_DATA_SIZE)) {
        unsigned first = DIFF_DATA_SIZE, last = 0, count = 0;
        for (unsigned i = 0; i < DIFF_DATA_SIZE; i++) {
            uint64_t addr = DIFF_DATA_ADDR + i;
            if (a->st.mem[i] == b->st.mem[i] ||
                (addr >= m->undef_mem_addr && addr < m->undef_mem_addr + m->undef_mem_len))
                continue;
            if (first == DIFF_DATA_SIZE)
                first = i;
            last = i;
            count++;
        }
        if (count) {
            unsigned len = last - first + 1;
            if (len > 16)
                len = 16;
            SEP();
            lprintf(l, "mem[%#" PRIx64 "]: native=", (uint64_t)DIFF_DATA_ADDR + first);
            hexbytes(l, a->st.mem + first, len);
            lprintf(l, " interp=");
            hexbytes(l, b->st.mem + first, len);
            if (count > len)
                lprintf(l, " (%u bytes differ)", count);
        }
    }
#undef SEP
    return n;
}

/* ---- verbose dumps ---- */

static void dump_regs(const struct diff_state *s, uint32_t deps)
{
    if (deps & (D_X87 | D_MMX))
        for (int i = 0; i < 8; i++) {
            const uint8_t *p = s->fx.raw + DIFF_FX_ST(i);
            uint16_t se;
            uint64_t mant;
            memcpy(&mant, p, 8);
            memcpy(&se, p + 8, 2);
            printf("    st%d=%04x:%016" PRIx64 "%s", i, se, mant, i % 4 == 3 ? "\n" : " ");
        }
    if (deps & D_SSE)
        for (int i = 0; i < 16; i++) {
            const uint8_t *p = s->fx.raw + DIFF_FX_XMM(i);
            uint64_t lo, hi;
            memcpy(&lo, p, 8);
            memcpy(&hi, p + 8, 8);
            printf("    xmm%-2d=%016" PRIx64 "%016" PRIx64 "%s", i, hi, lo, i % 2 == 1 ? "\n" : " ");
        }
}

static void dump_state(const char *what, const struct diff_state *s)
{
    printf("  %s: rip=%#" PRIx64 " rflags=%#" PRIx64 " fs_base=%#" PRIx64 " gs_base=%#" PRIx64 "\n", what, s->rip,
           s->rflags, s->fs_base, s->gs_base);
    for (int i = 0; i < 16; i += 4)
        printf("    %-3s=%016" PRIx64 " %-3s=%016" PRIx64 " %-3s=%016" PRIx64 " %-3s=%016" PRIx64 "\n",
               gpr_names[i], s->gpr[i], gpr_names[i + 1], s->gpr[i + 1], gpr_names[i + 2], s->gpr[i + 2],
               gpr_names[i + 3], s->gpr[i + 3]);
    uint16_t fcw, fsw;
    uint32_t mx;
    memcpy(&fcw, s->fx.raw + DIFF_FX_FCW, 2);
    memcpy(&fsw, s->fx.raw + DIFF_FX_FSW, 2);
    memcpy(&mx, s->fx.raw + DIFF_FX_MXCSR, 4);
    printf("    fcw=%04x fsw=%04x ftw=%02x mxcsr=%08x\n", fcw, fsw, s->fx.raw[DIFF_FX_FTW], mx);
    uint64_t rsp = s->gpr[DIFF_RSP];
    if (rsp >= DIFF_DATA_ADDR && rsp < DIFF_DATA_ADDR + DIFF_DATA_SIZE) {
        unsigned off = (unsigned)(rsp - DIFF_DATA_ADDR), n = DIFF_DATA_SIZE - off < 40 ? DIFF_DATA_SIZE - off : 40;
        struct line l = { .n = 0 };
        hexbytes(&l, s->mem + off, n);
        printf("    [rsp]: %s\n", l.buf);
    }
}

static void dump_outcome(const char *what, const struct diff_outcome *o)
{
    printf("  %s: vector=%s error_code=%#x cr2=%#" PRIx64 "\n", what, vector_name(o->vector), o->error_code,
           o->fault_addr);
    dump_state(what, &o->st);
}

/* Memory bytes that differ from the input, as ranges. */
static void dump_mem_changes(const char *what, const struct diff_state *in, const struct diff_state *out)
{
    unsigned i = 0, shown = 0;
    while (i < DIFF_DATA_SIZE && shown < 8) {
        if (in->mem[i] == out->mem[i]) {
            i++;
            continue;
        }
        unsigned j = i;
        while (j < DIFF_DATA_SIZE && j - i < 32 && in->mem[j] != out->mem[j])
            j++;
        struct line l = { .n = 0 };
        hexbytes(&l, out->mem + i, j - i);
        printf("  %s mem[%#" PRIx64 "]: %s (was ", what, (uint64_t)DIFF_DATA_ADDR + i, l.buf);
        l.n = 0;
        l.buf[0] = 0;
        hexbytes(&l, in->mem + i, j - i);
        printf("%s)\n", l.buf);
        shown++;
        i = j;
    }
}

/* ---- the run ---- */

struct form_stats {
    uint64_t cases, failed, skipped, faults;
    uint32_t vectors;   /* bit v: native raised vector v */
};

static struct form_stats *stats;
static uint64_t passed, failed, skipped;

static struct diff_outcome other[NATIVE_BATCH];   /* interpreter (or second native) outcomes */
static int other_rc[NATIVE_BATCH];
static struct gen_case meta[2][NATIVE_BATCH];
static uint64_t meta_idx[2][NATIVE_BATCH];

static void fill(int slot, uint64_t first, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        struct native_job *j = native_job(slot, i);
        struct gen_case *m = &meta[slot][i];
        meta_idx[slot][i] = first + i;
        gen_case(first + i, &j->st, m);
        if (m->unsafe) {
            /* never hand the worker a case that could hurt it */
            j->code[0] = 0x90;
            j->len = 1;
            j->code_off = 0;
            continue;
        }
        memcpy(j->code, m->code, sizeof j->code);
        j->len = m->len;
        j->code_off = m->code_off;
    }
}

static void run_other(int slot, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        const struct native_job *j = native_job(slot, i);
        memset(&other[i], 0, sizeof other[i]);
        other_rc[i] = diff_interp_run(&j->st, j->code, j->len, j->code_off, &other[i]);
    }
}

static void report(int slot, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        const struct gen_case *m = &meta[slot][i];
        const struct native_job *j = native_job(slot, i);
        const struct diff_outcome *nat = native_out(slot, i);
        struct form_stats *fs = &stats[m->form_index];
        uint64_t idx = meta_idx[slot][i];
        fs->cases++;
        struct line l = { .n = 0 };
        unsigned nd = 0;
        enum native_status ns = native_status(slot, i);
        if (opt.trace) {
            struct line t = { .n = 0 };
            hexbytes(&t, j->code, j->len);
            lprintf(&t, " | ");
            disasm(&t, j->code, j->len, DIFF_CODE_ADDR + j->code_off);
            printf("case %" PRIu64 " %s: %s | native %s", idx, m->form->name, t.buf,
                   ns == NATIVE_OK ? vector_name(nat->vector) : "-");
            if (ns == NATIVE_OK && nat->vector == 14)
                printf(" cr2=%#" PRIx64 " err=%#x", nat->fault_addr, nat->error_code);
            else if (ns == NATIVE_OK && has_error_code(nat->vector))
                printf(" err=%#x", nat->error_code);
            printf("\n");
        }
        if (m->unsafe) {
            lprintf(&l, "generator produced a case the worker must not run");
            nd = 1;
        } else if (ns != NATIVE_OK) {
            static const char *const why[] = { "", "native worker crashed", "native worker hung",
                                                "native worker refused the input state" };
            lprintf(&l, "%s", why[ns]);
            nd = 1;
        } else if (other_rc[i] != 0) {
            skipped++;
            fs->skipped++;
            if (opt.has_only)
                printf("case %" PRIu64 ": skipped by the interpreter\n", idx);
            continue;
        } else {
            nd = compare(m, nat, &other[i], &l);
        }
        if (ns == NATIVE_OK && nat->vector >= 0) {
            fs->faults++;
            if (nat->vector < 32)
                fs->vectors |= 1u << nat->vector;
        }
        if (nd == 0) {
            passed++;
        } else {
            failed++;
            fs->failed++;
            struct line h = { .n = 0 };
            hexbytes(&h, j->code, j->len);
            lprintf(&h, " | ");
            disasm(&h, j->code, j->len, DIFF_CODE_ADDR + j->code_off);
            printf("FAIL case %" PRIu64 " %s: %s | %s\n", idx, m->form->name, h.buf, l.buf);
        }
        if (opt.has_only || (opt.verbose && nd)) {
            struct line h = { .n = 0 };
            hexbytes(&h, j->code, j->len);
            printf("case %" PRIu64 " form %s at %#" PRIx64 ": %s | ", idx, m->form->name,
                   (uint64_t)(DIFF_CODE_ADDR + j->code_off), h.buf);
            h.n = 0;
            disasm(&h, j->code, j->len, DIFF_CODE_ADDR + j->code_off);
            printf("%s\n  undefined: rflags %#x, gprs %#x, mem %#" PRIx64 "+%u\n", h.buf, m->undef_flags,
                   m->undef_gpr, m->undef_mem_addr, m->undef_mem_len);
            dump_state("input", &j->st);
            dump_regs(&j->st, m->deps);
            if (ns == NATIVE_OK) {
                dump_outcome("native", nat);
                dump_regs(&nat->st, m->deps);
                dump_mem_changes("native", &j->st, &nat->st);
            }
            if (other_rc[i] == 0) {
                dump_outcome(opt.native_twice ? "native#2" : "interp", &other[i]);
                dump_regs(&other[i].st, m->deps);
                dump_mem_changes(opt.native_twice ? "native#2" : "interp", &j->st, &other[i].st);
            }
        }
        if (opt.max_fails && failed >= opt.max_fails)
            return;
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void run(void)
{
    uint64_t first = opt.has_only ? opt.only_case : 0;
    uint64_t total = opt.has_only ? 1 : opt.cases;
    uint64_t done = 0;
    double t0 = now_s();
    if (opt.native_twice) {
        /* serial: slot 0 is the first run, slot 1 the same jobs again */
        while (done < total && !(opt.max_fails && failed >= opt.max_fails)) {
            unsigned n = total - done < NATIVE_BATCH ? (unsigned)(total - done) : NATIVE_BATCH;
            fill(0, first + done, n);
            native_post(0, n);
            native_wait(0);
            for (unsigned i = 0; i < n; i++) {
                other[i] = *native_out(0, i);
                other_rc[i] = native_status(0, i) == NATIVE_OK ? 0 : 1;
                *native_job(1, i) = *native_job(0, i);
            }
            native_post(1, n);
            native_wait(1);
            memcpy(meta[1], meta[0], sizeof meta[0]);
            memcpy(meta_idx[1], meta_idx[0], sizeof meta_idx[0]);
            report(1, n);
            done += n;
        }
    } else {
        /* double buffering: generate the next batch while the worker runs
         * this one; the interpreter runs concurrently with the worker too */
        unsigned cnt[2] = { 0, 0 };
        int s = 0;
        cnt[0] = total < NATIVE_BATCH ? (unsigned)total : NATIVE_BATCH;
        fill(0, first, cnt[0]);
        native_post(0, cnt[0]);
        uint64_t posted = cnt[0];
        while (done < posted) {
            int o = s ^ 1;
            if (posted < total && !(opt.max_fails && failed >= opt.max_fails)) {
                cnt[o] = total - posted < NATIVE_BATCH ? (unsigned)(total - posted) : NATIVE_BATCH;
                fill(o, first + posted, cnt[o]);
                native_post(o, cnt[o]);
                posted += cnt[o];
            }
            run_other(s, cnt[s]);
            native_wait(s);
            report(s, cnt[s]);
            done += cnt[s];
            s = o;
        }
    }
    double dt = now_s() - t0;
    if (opt.verbose) {
        printf("%-24s %8s %8s %8s %8s  %s\n", "form", "cases", "failed", "skipped", "faults", "vectors");
        for (unsigned i = 0; i < gen_form_count(); i++) {
            if (!stats[i].cases)
                continue;
            printf("%-24s %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " ", gen_form(i)->name, stats[i].cases,
                   stats[i].failed, stats[i].skipped, stats[i].faults);
            for (int v = 0; v < 32; v++)
                if (stats[i].vectors & (1u << v))
                    printf(" %s", vector_name(v));
            printf("\n");
        }
    }
    if (opt.verbose || getenv("XDT_TIMING"))
        fprintf(stderr, "%" PRIu64 " cases in %.2f s: %.0f cases/s\n", done, dt, dt > 0 ? (double)done / dt : 0.0);
}

/* ---- capstone self-check ---- */

/* Our GPR number of a Capstone register name, or -1; *rip for RIP/EIP. */
static int cs_gpr(x86_reg r, bool *rip)
{
    static const char *const n64[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi" };
    static const char *const n32[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };
    *rip = false;
    if (r == X86_REG_INVALID)
        return -1;
    const char *s = cs_reg_name(cs, r);
    if (!s)
        return -1;
    if (!strcmp(s, "rip") || !strcmp(s, "eip")) {
        *rip = true;
        return -1;
    }
    for (int i = 0; i < 8; i++)
        if (!strcmp(s, n64[i]) || !strcmp(s, n32[i]))
            return i;
    if (s[0] == 'r' && s[1] >= '0' && s[1] <= '9')
        return atoi(s + 1);
    return -1;
}

/* The linear address of Capstone's memory operand under the generated
 * registers; false if there is none. */
static bool cs_linear(const cs_insn *insn, const struct gen_case *gc, const struct diff_state *st, uint64_t *out)
{
    const cs_x86 *x = &insn->detail->x86;
    for (int i = 0; i < x->op_count; i++) {
        const cs_x86_op *op = &x->operands[i];
        if (op->type != X86_OP_MEM)
            continue;
        bool a32 = x->addr_size == 4, rip;
        uint64_t ea = (uint64_t)op->mem.disp;
        int b = cs_gpr(op->mem.base, &rip);
        if (rip)
            ea += DIFF_CODE_ADDR + gc->code_off + gc->len;
        else if (b >= 0)
            ea += st->gpr[b];
        int ix = cs_gpr(op->mem.index, &rip);
        if (ix >= 0)
            ea += st->gpr[ix] * (uint64_t)op->mem.scale;
        if (a32)
            ea &= 0xFFFFFFFF;
        if (op->mem.segment == X86_REG_GS)
            ea += st->gs_base;
        *out = ea;
        return true;
    }
    return false;
}

static int capstone_check(void)
{
    static struct diff_state st;
    const unsigned per_form = 300;
    uint64_t ok = 0, bad = 0, skip = 0;
    for (unsigned fi = 0; fi < gen_form_count(); fi++) {
        const struct form *f = gen_form(fi);
        unsigned shown = 0, form_bad = 0;
        for (unsigned k = 0; k < per_form; k++) {
            struct gen_case gc;
            gen_case_form(f, k, &st, &gc);
            if (gc.invalid || gc.cs_skip) {
                skip++;
                continue;
            }
            cs_insn *insn = NULL;
            size_t n = cs_disasm(cs, gc.code, gc.len, DIFF_CODE_ADDR + gc.code_off, 1, &insn);
            bool good = n == 1 && insn->size == gc.len;
            uint64_t lin = 0;
            bool ea_bad = good && gc.has_mem && cs_linear(insn, &gc, &st, &lin) && lin != gc.mem_linear;
            good = good && !ea_bad;
            if (good) {
                ok++;
            } else {
                bad++;
                form_bad++;
                if (shown++ < 3) {
                    struct line l = { .n = 0 };
                    hexbytes(&l, gc.code, gc.len);
                    if (ea_bad)
                        printf("FAIL %s: %s | %s %s: capstone address %#" PRIx64 ", generator %#" PRIx64 "\n",
                               f->name, l.buf, insn->mnemonic, insn->op_str, lin, gc.mem_linear);
                    else if (n == 1)
                        printf("FAIL %s: %s | %s %s: capstone length %u, template %u\n", f->name, l.buf,
                               insn->mnemonic, insn->op_str, insn->size, gc.len);
                    else
                        printf("FAIL %s: %s | capstone: invalid\n", f->name, l.buf);
                }
            }
            if (n)
                cs_free(insn, n);
        }
        if (form_bad > 3)
            printf("FAIL %s: %u more\n", f->name, form_bad - 3);
    }
    if (skip && opt.verbose)
        printf("(%" PRIu64 " encodings meant to be invalid or unknown to Capstone were not checked)\n", skip);
    printf("%" PRIu64 " passed, %" PRIu64 " failed\n", ok, bad);
    return bad ? 1 : 0;
}

/* ---- main ---- */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: x86-difftest [--cases N] [--seed S] [--filter PATTERN] [--verbose]\n"
            "                    [--case K] [--max-fails N] [--native-twice] [--trace]\n"
            "       x86-difftest --list-forms [--filter PATTERN]\n"
            "       x86-difftest --capstone-check [--filter PATTERN]\n"
            "       x86-difftest --coverage N [--seed S]\n"
            "PATTERN: comma-separated substrings or globs on form names.\n");
}

static bool parse_u64(const char *s, uint64_t *v)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 0);
    if (errno || end == s || *end)
        return false;
    *v = x;
    return true;
}

static uint64_t coverage_cases;

static void case_bytes(uint64_t i, uint8_t bytes[16])
{
    static struct diff_state st;
    struct gen_case gc;
    gen_case(i, &st, &gc);
    memcpy(bytes, gc.code, gc.len < 15 ? gc.len : 15);
}

int main(int argc, char **argv)
{
    enum { O_CASES = 256, O_SEED, O_FILTER, O_VERBOSE, O_LIST, O_CAP, O_CASE, O_MAXF, O_TWICE, O_TRACE, O_COVER, O_HELP };
    static const struct option lo[] = {
        { "cases", required_argument, NULL, O_CASES },
        { "seed", required_argument, NULL, O_SEED },
        { "filter", required_argument, NULL, O_FILTER },
        { "verbose", no_argument, NULL, O_VERBOSE },
        { "list-forms", no_argument, NULL, O_LIST },
        { "capstone-check", no_argument, NULL, O_CAP },
        { "case", required_argument, NULL, O_CASE },
        { "max-fails", required_argument, NULL, O_MAXF },
        { "native-twice", no_argument, NULL, O_TWICE },
        { "trace", no_argument, NULL, O_TRACE },
        { "coverage", required_argument, NULL, O_COVER },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 },
    };
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        bool ok = true;
        switch (c) {
        case O_CASES: ok = parse_u64(optarg, &opt.cases); break;
        case O_SEED: ok = parse_u64(optarg, &opt.seed); break;
        case O_FILTER: opt.filter = optarg; break;
        case O_VERBOSE: opt.verbose = true; break;
        case O_LIST: opt.list = true; break;
        case O_CAP: opt.capcheck = true; break;
        case O_CASE: ok = parse_u64(optarg, &opt.only_case); opt.has_only = true; break;
        case O_MAXF: ok = parse_u64(optarg, &opt.max_fails); break;
        case O_TWICE: opt.native_twice = true; break;
        case O_TRACE: opt.trace = true; break;
        case O_COVER: ok = parse_u64(optarg, &coverage_cases); break;
        case O_HELP: usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
        if (!ok) {
            fprintf(stderr, "x86-difftest: bad number: %s\n", optarg);
            return 2;
        }
    }
    if (optind < argc) {
        usage(stderr);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!gen_init(opt.seed, opt.filter)) {
        fprintf(stderr, "x86-difftest: no form matches '%s'\n", opt.filter ? opt.filter : "");
        return 2;
    }
    if (opt.list) {
        gen_list_forms();
        return 0;
    }
    if (coverage_cases)
        return diff_coverage(coverage_cases, case_bytes);
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) {
        fprintf(stderr, "x86-difftest: cannot open Capstone\n");
        return 2;
    }
    if (opt.capcheck) {
        cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
        int rc = capstone_check();
        cs_close(&cs);
        return rc;
    }
    fx_fields_init();
    stats = calloc(gen_form_count(), sizeof *stats);
    if (!stats || !native_init())
        return 2;
    run();
    native_shutdown();
    cs_close(&cs);
    printf("%" PRIu64 " passed, %" PRIu64 " failed", passed, failed);
    if (skipped)
        printf(", %" PRIu64 " skipped", skipped);
    printf("\n");
    return failed ? 1 : 0;
}
