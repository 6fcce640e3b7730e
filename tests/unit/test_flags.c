/* Lazy flags against the host CPU: for random operands of every size, the
 * flags cc_compute derives from a recorded ADD, ADC, SUB, SBB, logic, INC,
 * DEC and NEG equal the flags the host's own instruction produces. */
#include <check.h>
#include <string.h>

#include "xenemu/flags.h"

#if defined(__x86_64__)

static uint64_t rng = 0x243f6a8885a308d3ull;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Operands biased toward carries, overflows and zero results. */
static uint64_t operand(void)
{
    static const uint64_t edge[] = { 0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000,
                                     0xffffffff, 0x7fffffffffffffffull, 0x8000000000000000ull, ~0ull };
    uint64_t r = next();
    return (r & 3) == 0 ? edge[(r >> 2) % (sizeof edge / sizeof edge[0])] : next();
}

enum { OP_ADD, OP_ADC, OP_SUB, OP_SBB, OP_AND, OP_INC, OP_DEC, OP_NEG, OP_COUNT };

#define HOST2(insn, sfx, type, a, b, cin, flags)                                            \
    __asm__("bt $0, %3\n\t" insn sfx " %2, %0\n\tpushfq\n\tpopq %1"                        \
            : "+r"(a), "=r"(flags) : "r"(b), "r"(cin) : "cc")

#define HOST1(insn, sfx, a, cin, flags)                                                     \
    __asm__("bt $0, %2\n\t" insn sfx " %0\n\tpushfq\n\tpopq %1" : "+r"(a), "=r"(flags) : "r"(cin) : "cc")

/* One operation at one size on the host; returns RFLAGS. */
#define HOST_SIZE(sfx, type)                                                                \
    static uint64_t host_##sfx(int op, uint64_t a64, uint64_t b64, uint64_t cin, uint64_t *res) \
    {                                                                                       \
        type a = (type)a64, b = (type)b64;                                                  \
        uint64_t f = 0;                                                                     \
        switch (op) {                                                                       \
        case OP_ADD: HOST2("add", #sfx, type, a, b, cin, f); break;                         \
        case OP_ADC: HOST2("adc", #sfx, type, a, b, cin, f); break;                         \
        case OP_SUB: HOST2("sub", #sfx, type, a, b, cin, f); break;                         \
        case OP_SBB: HOST2("sbb", #sfx, type, a, b, cin, f); break;                         \
        case OP_AND: HOST2("and", #sfx, type, a, b, cin, f); break;                         \
        case OP_INC: HOST1("inc", #sfx, a, cin, f); break;                                  \
        case OP_DEC: HOST1("dec", #sfx, a, cin, f); break;                                  \
        default: HOST1("neg", #sfx, a, cin, f); break;                                      \
        }                                                                                   \
        *res = (uint64_t)a;                                                                 \
        return f;                                                                           \
    }

HOST_SIZE(b, uint8_t)
HOST_SIZE(w, uint16_t)
HOST_SIZE(l, uint32_t)
HOST_SIZE(q, uint64_t)

/* Record the operation as the interpreter's handlers do. */
static void record(cpu_t *cpu, int op, unsigned lg, uint64_t a, uint64_t b, uint64_t cin, uint64_t res)
{
    switch (op) {
    case OP_ADD: cc_set(cpu, CC_ADD + lg, res, b); break;
    case OP_ADC: cc_set3(cpu, CC_ADC + lg, res, b, cin); break;
    case OP_SUB: cc_set(cpu, CC_SUB + lg, res, b); break;
    case OP_SBB: cc_set3(cpu, CC_SBB + lg, res, b, cin); break;
    case OP_AND: cc_set(cpu, CC_LOGIC + lg, res, 0); break;
    case OP_INC: cc_set3(cpu, CC_INC + lg, res, 0, cin); break;
    case OP_DEC: cc_set3(cpu, CC_DEC + lg, res, 0, cin); break;
    default: cc_set(cpu, CC_NEG + lg, res, a); break;
    }
}

START_TEST(flags_match_host)
{
    static cpu_t cpu, full;
    static const char *names[] = { "add", "adc", "sub", "sbb", "and", "inc", "dec", "neg" };
    for (int i = 0; i < 400000; i++) {
        int op = (int)(next() % OP_COUNT);
        unsigned lg = (unsigned)(next() & 3);
        uint64_t a = operand(), b = operand(), cin = next() & 1, res;
        uint64_t hf;
        switch (lg) {
        case 0: hf = host_b(op, a, b, cin, &res); break;
        case 1: hf = host_w(op, a, b, cin, &res); break;
        case 2: hf = host_l(op, a, b, cin, &res); break;
        default: hf = host_q(op, a, b, cin, &res); break;
        }
        record(&cpu, op, lg, a, b, cin, res);
        uint32_t mask = F_ARITH & ~(op == OP_AND ? F_AF : 0);   /* AF is undefined after AND */
        uint32_t got = cc_compute(&cpu) & mask, want = (uint32_t)hf & mask;
        /* Plain checks in the loop: Check's assertions cost a syscall each. */
        if (got != want)
            ck_abort_msg("%s size %u a=%#llx b=%#llx cin=%llu: flags %#x, host %#x", names[op], 1u << lg,
                         (unsigned long long)a, (unsigned long long)b, (unsigned long long)cin, got, want);
        if (cc_carry(&cpu) != !!(hf & F_CF))
            ck_abort_msg("%s size %u: cc_carry disagrees with the host", names[op], 1u << lg);
        full.cc_op = CC_EFLAGS;
        full.rflags = (hf & F_ARITH) | 2;
        for (unsigned c = 0; c < 16 && op != OP_AND; c++)
            if (cc_cond(&cpu, c) != cc_cond(&full, c))
                ck_abort_msg("%s size %u: condition %u differs from the full flags", names[op], 1u << lg, c);
    }
}
END_TEST

#endif

int main(void)
{
    Suite *s = suite_create("flags");
    TCase *t = tcase_create("host");
#if defined(__x86_64__)
    tcase_add_test(t, flags_match_host);
#endif
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
