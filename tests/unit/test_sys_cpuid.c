/* The CPUID model against the implemented feature set, and the
 * deterministic TSC (SDM Vol.2 CPUID, RDTSC, RDTSCP; DESIGN.md,
 * "Determinism"). */
#include "testvm.h"

static void setup(void)
{
    tvm_setup();
    tvm_long(false, false);
}

static void teardown(void)
{
    tvm_teardown();
}

/* Run CPUID with EAX = leaf, ECX = subleaf; out = EAX, EBX, ECX, EDX. */
static void cpuid(uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    static const uint8_t prog[] = { 0x0f, 0xa2, 0xf4 };     /* cpuid; hlt */
    tvm_code(TVM_CODE, prog, sizeof prog);
    cpu->r[R_RIP] = TVM_CODE;
    cpu->r[R_RAX] = 0xdead0000ull << 32 | leaf;              /* upper half ignored */
    cpu->r[R_RCX] = sub;
    cpu->halted = false;
    tvm_expect_halt(5);
    out[0] = (uint32_t)cpu->r[R_RAX];
    out[1] = (uint32_t)cpu->r[R_RBX];
    out[2] = (uint32_t)cpu->r[R_RCX];
    out[3] = (uint32_t)cpu->r[R_RDX];
    ck_assert_uint_eq(cpu->r[R_RAX] >> 32, 0);
}

#define BIT(n) (1u << (n))
enum { EAX, EBX, ECX, EDX };

START_TEST(vendor_and_max_leaves)
{
    uint32_t r[4];
    char vendor[13] = { 0 };
    cpuid(0, 0, r);
    ck_assert_uint_eq(r[EAX], 0x16);
    memcpy(vendor, &r[EBX], 4);
    memcpy(vendor + 4, &r[EDX], 4);
    memcpy(vendor + 8, &r[ECX], 4);
    ck_assert_str_eq(vendor, "GenuineIntel");
    cpuid(0x80000000, 0, r);
    ck_assert_uint_eq(r[EAX], 0x80000008);
    char brand[49] = { 0 };
    for (uint32_t i = 0; i < 3; i++) {
        cpuid(0x80000002 + i, 0, r);
        memcpy(brand + 16 * i, r, 16);
    }
    ck_assert_str_eq(brand, "xenemu virtual CPU");
}
END_TEST

/* Leaf 1: signature and exactly the implemented features (VMX, no
 * hypervisor bit, AVX, MCE, PSE36 yet). */
START_TEST(leaf1_features)
{
    uint32_t r[4];
    cpuid(1, 0, r);
    ck_assert_uint_eq(r[EAX], 0x000806f0);
    ck_assert_uint_eq((r[EBX] >> 8) & 0xff, 8);            /* 64-byte cache lines */
    ck_assert_uint_eq(r[EBX] >> 24, 0);                    /* APIC ID = vCPU 0 */
    uint32_t edx = BIT(0) /* FPU */ | BIT(3) /* PSE */ | BIT(4) /* TSC */ | BIT(5) /* MSR */ |
                   BIT(6) /* PAE */ | BIT(8) /* CX8 */ | BIT(9) /* APIC */ | BIT(11) /* SEP */ | BIT(12) /* MTRR */ |
                   BIT(13) /* PGE */ | BIT(15) /* CMOV */ | BIT(16) /* PAT */ | BIT(19) /* CLFSH */ | BIT(23) /* MMX */ |
                   BIT(24) /* FXSR */ | BIT(25) /* SSE */ | BIT(26) /* SSE2 */;
    uint32_t ecx = BIT(0) /* SSE3 */ | BIT(3) /* MONITOR */ | BIT(5) /* VMX */ | BIT(9) /* SSSE3 */ | BIT(13) /* CX16 */ | BIT(19) /* SSE4.1 */ |
                   BIT(20) /* SSE4.2 */ | BIT(21) /* x2APIC */ | BIT(22) /* MOVBE */ | BIT(23) /* POPCNT */ |
                   BIT(17) /* PCID */ | BIT(24) /* TSC-deadline */ | BIT(26) /* XSAVE */;
    ck_assert_uint_eq(r[EDX], edx);
    ck_assert_uint_eq(r[ECX], ecx);
    /* OSXSAVE mirrors CR4. */
    cpu->cr4 |= CR4_OSXSAVE;
    cpu_update_mode(cpu);
    cpuid(1, 0, r);
    ck_assert_uint_eq(r[ECX], ecx | BIT(27));
}
END_TEST

START_TEST(leaf7_and_extended_features)
{
    uint32_t r[4];
    cpuid(7, 0, r);
    ck_assert_uint_eq(r[EAX], 0);
    ck_assert_uint_eq(r[EBX], BIT(3) /* BMI1 */ | BIT(6) /* FDP_EXCPTN_ONLY */ | BIT(7) /* SMEP */ |
                                  BIT(8) /* BMI2 */ | BIT(10) /* INVPCID */ | BIT(13) /* FCS/FDS deprecated */ |
                                  BIT(19) /* ADX */ |
                                  BIT(20) /* SMAP */);
    ck_assert_uint_eq(r[ECX], BIT(2) /* UMIP */);
    ck_assert_uint_eq(r[EDX], BIT(26) /* IBRS/IBPB */ | BIT(27) /* STIBP */ |
                                  BIT(29) /* ARCH_CAPABILITIES */ | BIT(31) /* SSBD */);
    cpuid(7, 1, r);
    ck_assert_uint_eq(r[EAX] | r[EBX] | r[ECX] | r[EDX], 0);
    cpuid(0x80000001, 0, r);
    ck_assert_uint_eq(r[ECX], BIT(0) /* LAHF64 */ | BIT(5) /* LZCNT */ | BIT(8) /* PREFETCHW */);
    ck_assert_uint_eq(r[EDX], BIT(11) /* SYSCALL */ | BIT(20) /* NX */ | BIT(26) /* 1 GiB pages */ |
                                  BIT(27) /* RDTSCP */ | BIT(29) /* LM */);
    cpuid(0x80000007, 0, r);
    ck_assert_uint_eq(r[EDX], BIT(8));                     /* invariant TSC */
    cpuid(0x80000008, 0, r);
    ck_assert_uint_eq(r[EAX], 0x3028);                     /* 48-bit linear, 40-bit physical */
}
END_TEST

/* Leaf 5: MONITOR/MWAIT as monitor.c implements them: 64-byte lines,
 * extensions enumerated, interrupts break MWAIT even when masked, one C1
 * sub-state. */
START_TEST(leaf5_monitor)
{
    uint32_t r[4];
    cpuid(5, 0, r);
    ck_assert_uint_eq(r[EAX], 64);
    ck_assert_uint_eq(r[EBX], 64);
    ck_assert_uint_eq(r[ECX], BIT(0) | BIT(1));
    ck_assert_uint_eq(r[EDX], 0x10);
}
END_TEST

/* Leaf 0xD: x87 and SSE state, a 576-byte XSAVE area. */
START_TEST(leaf_xsave)
{
    uint32_t r[4];
    cpuid(0xd, 0, r);
    ck_assert_uint_eq(r[EAX], 3);
    ck_assert_uint_eq(r[EBX], 576);
    ck_assert_uint_eq(r[ECX], 576);
    ck_assert_uint_eq(r[EDX], 0);
    cpuid(0xd, 1, r);
    ck_assert_uint_eq(r[EAX] | r[EBX] | r[ECX] | r[EDX], 0);
    cpuid(0xd, 2, r);
    ck_assert_uint_eq(r[EAX] | r[EBX] | r[ECX] | r[EDX], 0);
}
END_TEST

/* Hypervisor leaves read as zeros (the Xen model fills them later);
 * leaves past the maximum return the highest basic leaf. */
START_TEST(other_leaves)
{
    uint32_t r[4], top[4];
    cpuid(0x40000000, 0, r);
    ck_assert_uint_eq(r[EAX] | r[EBX] | r[ECX] | r[EDX], 0);
    cpuid(0x16, 0, top);
    ck_assert_uint_eq(top[EAX], 2000);                     /* MHz at the default 2 GHz */
    cpuid(0x17, 0, r);
    ck_assert_mem_eq(r, top, sizeof r);
    cpuid(0x80000009, 0, r);
    ck_assert_mem_eq(r, top, sizeof r);
    cpuid(0x15, 0, r);
    ck_assert_uint_eq((uint64_t)r[ECX] * r[EBX] / r[EAX], 2000000000ull);
    cpuid(4, 0, r);
    ck_assert_uint_eq(r[EAX] & 0x1f, 0);                   /* no cache descriptions */
}
END_TEST

/* Every instruction feature CPUID reports executes (no #UD). */
struct feat_probe {
    const char *name;
    uint32_t leaf;
    int reg;
    unsigned bit;
    uint8_t code[6];
    unsigned len;
};

static const struct feat_probe probes[] = {
    { "fpu", 1, EDX, 0, { 0xd9, 0xe8 }, 2 },                          /* fld1 */
    { "cx8", 1, EDX, 8, { 0x0f, 0xc7, 0x0e }, 3 },                    /* cmpxchg8b [rsi] */
    { "cmov", 1, EDX, 15, { 0x0f, 0x44, 0xc0 }, 3 },                  /* cmove eax,eax */
    { "mmx", 1, EDX, 23, { 0x0f, 0x6f, 0xc1 }, 3 },                   /* movq mm0,mm1 */
    { "fxsr", 1, EDX, 24, { 0x0f, 0xae, 0x06 }, 3 },                  /* fxsave [rsi] */
    { "sse", 1, EDX, 25, { 0x0f, 0x28, 0xc1 }, 3 },                   /* movaps xmm0,xmm1 */
    { "sse2", 1, EDX, 26, { 0x66, 0x0f, 0xd4, 0xc1 }, 4 },            /* paddq xmm0,xmm1 */
    { "sse3", 1, ECX, 0, { 0xf2, 0x0f, 0x7c, 0xc1 }, 4 },             /* haddps xmm0,xmm1 */
    { "monitor", 1, ECX, 3, { 0x31, 0xc9, 0x0f, 0x01, 0xc8 }, 5 },    /* xor ecx,ecx; monitor */
    { "mwait", 1, ECX, 3, { 0x31, 0xc9, 0x0f, 0x01, 0xc9 }, 5 },      /* xor ecx,ecx; mwait */
    { "ssse3", 1, ECX, 9, { 0x66, 0x0f, 0x38, 0x00, 0xc1 }, 5 },      /* pshufb xmm0,xmm1 */
    { "cx16", 1, ECX, 13, { 0x48, 0x0f, 0xc7, 0x0e }, 4 },            /* cmpxchg16b [rsi] */
    { "sse4.1", 1, ECX, 19, { 0x66, 0x0f, 0x38, 0x29, 0xc1 }, 5 },    /* pcmpeqq xmm0,xmm1 */
    { "sse4.2", 1, ECX, 20, { 0x66, 0x0f, 0x38, 0x37, 0xc1 }, 5 },    /* pcmpgtq xmm0,xmm1 */
    { "crc32", 1, ECX, 20, { 0xf2, 0x0f, 0x38, 0xf1, 0xc1 }, 5 },     /* crc32 eax,ecx */
    { "movbe", 1, ECX, 22, { 0x0f, 0x38, 0xf0, 0x06 }, 4 },           /* movbe eax,[rsi] */
    { "popcnt", 1, ECX, 23, { 0xf3, 0x0f, 0xb8, 0xc1 }, 4 },          /* popcnt eax,ecx */
    { "xsave", 1, ECX, 26, { 0x0f, 0xae, 0x26 }, 3 },                 /* xsave [rsi] */
    { "bmi1", 7, EBX, 3, { 0xc4, 0xe2, 0x70, 0xf2, 0xc2 }, 5 },       /* andn eax,ecx,edx */
    { "bmi1 tzcnt", 7, EBX, 3, { 0xf3, 0x0f, 0xbc, 0xc1 }, 4 },       /* tzcnt eax,ecx */
    { "bmi2", 7, EBX, 8, { 0xc4, 0xe2, 0x73, 0xf5, 0xc2 }, 5 },       /* pdep eax,ecx,edx */
    { "adx", 7, EBX, 19, { 0x66, 0x0f, 0x38, 0xf6, 0xc1 }, 5 },       /* adcx eax,ecx */
    { "smap", 7, EBX, 20, { 0x0f, 0x01, 0xcb }, 3 },                  /* stac */
    { "lahf64", 0x80000001, ECX, 0, { 0x9f }, 1 },                    /* lahf */
    { "lzcnt", 0x80000001, ECX, 5, { 0xf3, 0x0f, 0xbd, 0xc1 }, 4 },   /* lzcnt eax,ecx */
    { "prefetchw", 0x80000001, ECX, 8, { 0x0f, 0x0d, 0x0e }, 3 },     /* prefetchw [rsi] */
    { "rdtscp", 0x80000001, EDX, 27, { 0x0f, 0x01, 0xf9 }, 3 },       /* rdtscp */
};

START_TEST(reported_features_execute)
{
    const struct feat_probe *p = &probes[_i];
    uint32_t r[4];
    cpu->cr4 |= CR4_OSXSAVE | CR4_OSXMMEXCPT;
    cpu_update_mode(cpu);
    cpuid(p->leaf, 0, r);
    ck_assert_msg(r[p->reg] & BIT(p->bit), "%s not reported", p->name);
    uint8_t prog[8];
    memcpy(prog, p->code, p->len);
    prog[p->len] = 0xf4;
    tvm_code(TVM_CODE, prog, p->len + 1);
    cpu->r[R_RIP] = TVM_CODE;
    cpu->r[R_RSI] = TVM_DATA;                              /* 64-byte aligned operand */
    cpu->halted = false;
    cpu->deliver_exceptions = false;
    enum cpu_stop st = cpu_run(cpu, 5);
    ck_assert_msg(st == STOP_HALT, "%s: stop %d, exception %d", p->name, (int)st, cpu->exc.vector);
}
END_TEST

/* ---- TSC ---- */

/* rdtsc; mov esi, eax; mov edi, edx; 10 x nop; rdtsc; hlt */
static const uint8_t tsc_prog[] = {
    0x0f, 0x31, 0x89, 0xc6, 0x89, 0xd7,
    0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
    0x0f, 0x31, 0xf4,
};

static uint64_t tsc_delta(void)
{
    uint64_t t0 = (uint32_t)cpu->r[R_RSI] | (cpu->r[R_RDI] << 32);
    uint64_t t1 = (uint32_t)cpu->r[R_RAX] | (cpu->r[R_RDX] << 32);
    return t1 - t0;
}

/* TSC = retired instructions x tsc_hz / 1e9, exact inside a block. */
START_TEST(tsc_counts_instructions)
{
    tvm_code(TVM_CODE, tsc_prog, sizeof tsc_prog);
    tvm_expect_halt(20);
    ck_assert_uint_eq(cpu->r[R_RSI], 0);                   /* first RDTSC: nothing retired */
    ck_assert_uint_eq(tsc_delta(), 13 * 2);                /* 2 GHz: 2 ticks per instruction */
    tvm_teardown();
    tvm_setup();
    tvm_long(false, false);
    tvm.tsc_hz = 3000000000ull;
    tvm_code(TVM_CODE, tsc_prog, sizeof tsc_prog);
    tvm_expect_halt(20);
    ck_assert_uint_eq(tsc_delta(), 13 * 3);
}
END_TEST

/* Two identical machines read identical TSC values. */
START_TEST(tsc_deterministic)
{
    uint64_t first[2];
    for (int run = 0; run < 2; run++) {
        if (run) {
            tvm_teardown();
            tvm_setup();
            tvm_long(false, false);
        }
        static const uint8_t warmup[] = { 0xb9, 0x00, 0x01, 0x00, 0x00,   /* mov ecx, 256 */
                                          0xe2, 0xfe };                    /* loop $ */
        tvm_code(TVM_CODE, warmup, sizeof warmup);
        tvm_code(TVM_CODE + sizeof warmup, tsc_prog, sizeof tsc_prog);
        tvm_expect_halt(1000);
        uint64_t v[2] = { cpu->r[R_RSI], cpu->r[R_RAX] };
        if (run == 0)
            memcpy(first, v, sizeof v);
        else
            ck_assert_mem_eq(first, v, sizeof v);
    }
    ck_assert_uint_eq(first[0], (1 + 256) * 2);
}
END_TEST

/* WRMSR to the TSC sets the offset; RDTSCP returns TSC_AUX in ECX. */
START_TEST(tsc_msr_and_rdtscp)
{
    static const uint8_t prog[] = {
        0xb9, 0x10, 0x00, 0x00, 0x00,            /* mov ecx, 0x10 (TSC) */
        0xb8, 0x00, 0x00, 0x00, 0x10,            /* mov eax, 0x10000000 */
        0xba, 0x01, 0x00, 0x00, 0x00,            /* mov edx, 1 */
        0x0f, 0x30,                              /* wrmsr */
        0xb9, 0x03, 0x01, 0x00, 0xc0,            /* mov ecx, 0xc0000103 (TSC_AUX) */
        0xb8, 0x07, 0x00, 0x00, 0x00,            /* mov eax, 7 */
        0x31, 0xd2,                              /* xor edx, edx */
        0x0f, 0x30,                              /* wrmsr */
        0x0f, 0x01, 0xf9,                        /* rdtscp */
        0xf4,                                    /* hlt */
    };
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_expect_halt(20);
    uint64_t tsc = (uint32_t)cpu->r[R_RAX] | (cpu->r[R_RDX] << 32);
    ck_assert_uint_eq(tsc, 0x110000000ull + 5 * 2);        /* 5 instructions after the write */
    ck_assert_uint_eq(cpu->r[R_RCX], 7);
}
END_TEST

static Suite *cpuid_suite(void)
{
    Suite *s = suite_create("sys_cpuid");
    TCase *tc = tcase_create("cpuid");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, vendor_and_max_leaves);
    tcase_add_test(tc, leaf1_features);
    tcase_add_test(tc, leaf7_and_extended_features);
    tcase_add_test(tc, leaf5_monitor);
    tcase_add_test(tc, leaf_xsave);
    tcase_add_test(tc, other_leaves);
    tcase_add_loop_test(tc, reported_features_execute, 0, (int)(sizeof probes / sizeof probes[0]));
    suite_add_tcase(s, tc);

    tc = tcase_create("tsc");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, tsc_counts_instructions);
    tcase_add_test(tc, tsc_deterministic);
    tcase_add_test(tc, tsc_msr_and_rdtscp);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(cpuid_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
