/* MMX/SSE behaviour the differential tester cannot reach (it runs 64-bit
 * user code with CR0/CR4 as Linux sets them): #UD/#NM from CR0.EM/TS and
 * CR4.OSFXSR/OSXSAVE/OSXMMEXCPT, #MF before MMX instructions, alignment in
 * 32-bit mode with segment bases, the FXSAVE/XSAVE layouts of SDM Vol.1
 * Tables 10-2/10-3 and §13.4, FXRSTOR's tag recomputation, XRSTOR's
 * initialisation and checks, and the x87 state MMX instructions leave. */
#include "testvm.h"

#define DATA 0x40000u      /* 64-byte aligned scratch area */

static void setup(void)
{
    tvm_setup();
}

static void teardown(void)
{
    tvm_teardown();
}

/* 64-bit mode at CPL 0 with SSE enabled; CR0.MP set as an OS would. */
static void long_mode(void)
{
    tvm_long(false, false);
    cpu->cr0 |= CR0_MP;
    cpu->cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE;
    cpu->xcr0 = 3;
    cpu_update_mode(cpu);
}

static void set_cr(uint64_t cr0_set, uint64_t cr0_clear, uint64_t cr4_set, uint64_t cr4_clear)
{
    cpu->cr0 = (cpu->cr0 | cr0_set) & ~cr0_clear;
    cpu->cr4 = (cpu->cr4 | cr4_set) & ~cr4_clear;
    cpu_update_mode(cpu);
}

static void code(const uint8_t *b, size_t n)
{
    tvm_code(TVM_CODE, b, n);
    cpu->r[R_RIP] = TVM_CODE;
}

#define CODE(...) code((const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

/* Run the instruction at TVM_CODE; it must retire. */
static void run_ok(void)
{
    cpu->deliver_exceptions = false;
    cpu->r[R_RIP] = TVM_CODE;
    ck_assert_int_eq(cpu_run(cpu, 1), STOP_BUDGET);
}

/* Run it expecting an exception, RIP left on it. */
static void run_exc(int vec, uint32_t err)
{
    cpu->deliver_exceptions = false;
    cpu->r[R_RIP] = TVM_CODE;
    ck_assert_int_eq(cpu_run(cpu, 1), STOP_EXCEPTION);
    ck_assert_int_eq(cpu->exc.vector, vec);
    ck_assert_uint_eq(cpu->exc.error_code, err);
    ck_assert_uint_eq(cpu->r[R_RIP], TVM_CODE);
}

static void fill(uint64_t pa, uint8_t v, size_t n)
{
    uint8_t buf[1024];
    memset(buf, v, sizeof buf);
    tvm_put(pa, buf, n);
}

static unsigned fsw_top(void)
{
    return (cpu->fpu.fsw >> 11) & 7;
}

/* ---- #UD / #NM / #MF (SDM Vol.3A §2.5, Table 13-1) ---- */

/* PXOR xmm0, xmm1: #UD with CR0.EM or without CR4.OSFXSR, #NM with
 * CR0.TS, and EM wins over TS. */
START_TEST(sse_cr_checks)
{
    long_mode();
    CODE(0x66, 0x0f, 0xef, 0xc1);
    cpu->xmm[0].q[0] = 0xff;
    cpu->xmm[1].q[0] = 0x0f;
    run_ok();
    ck_assert_uint_eq(cpu->xmm[0].q[0], 0xf0);
    set_cr(CR0_EM, 0, 0, 0);
    run_exc(EXC_UD, 0);
    set_cr(CR0_TS, 0, 0, 0);
    run_exc(EXC_UD, 0);
    set_cr(0, CR0_EM, 0, 0);
    run_exc(EXC_NM, 0);
    set_cr(0, CR0_TS, 0, CR4_OSFXSR);
    run_exc(EXC_UD, 0);
    set_cr(0, 0, CR4_OSFXSR, 0);
    run_ok();
    ck_assert_uint_eq(cpu->xmm[0].q[0], 0xff);
}
END_TEST

/* PADDB mm0, mm1: no CR4.OSFXSR needed; #UD with EM, #NM with TS, and a
 * pending x87 exception (FSW.ES) is #MF before anything changes. */
START_TEST(mmx_cr_checks_and_mf)
{
    long_mode();
    CODE(0x0f, 0xfc, 0xc1);
    set_cr(0, 0, 0, CR4_OSFXSR);
    cpu->fpu.st[0].sig = 0x0102030405060708ull;
    cpu->fpu.st[1].sig = 0x1010101010101010ull;
    run_ok();
    ck_assert_uint_eq(cpu->fpu.st[0].sig, 0x1112131415161718ull);
    set_cr(CR0_EM, 0, 0, 0);
    run_exc(EXC_UD, 0);
    set_cr(CR0_TS, CR0_EM, 0, 0);
    run_exc(EXC_NM, 0);
    set_cr(0, CR0_TS, 0, 0);
    cpu->fpu.fsw = 0x3000 | 0x80 | 0x01;      /* TOP 6, ES, IE */
    cpu->fpu.ftw = 0xffff;
    run_exc(EXC_MF, 0);
    ck_assert_uint_eq(cpu->fpu.fsw, 0x3081);
    ck_assert_uint_eq(cpu->fpu.ftw, 0xffff);
    ck_assert_uint_eq(cpu->fpu.st[0].sig, 0x1112131415161718ull);
    /* SSE instructions do not look at FSW.ES */
    CODE(0x66, 0x0f, 0xef, 0xc1);
    set_cr(0, 0, CR4_OSFXSR, 0);
    run_ok();
}
END_TEST

/* FXSAVE: #NM with CR0.TS or CR0.EM, no CR4.OSFXSR needed. LDMXCSR: #UD
 * without OSFXSR or with EM. XSAVE: #UD without CR4.OSXSAVE, #NM with TS,
 * EM does not matter. */
START_TEST(state_cr_checks)
{
    long_mode();
    cpu->r[R_RAX] = DATA;
    CODE(0x0f, 0xae, 0x00);                     /* fxsave [rax] */
    set_cr(CR0_EM, 0, 0, CR4_OSFXSR);
    run_exc(EXC_NM, 0);
    set_cr(CR0_TS, CR0_EM, 0, 0);
    run_exc(EXC_NM, 0);
    set_cr(0, CR0_TS, 0, 0);
    run_ok();
    CODE(0x0f, 0xae, 0x18);                     /* stmxcsr [rax] */
    run_exc(EXC_UD, 0);
    set_cr(CR0_EM, 0, CR4_OSFXSR, 0);
    run_exc(EXC_UD, 0);
    set_cr(CR0_TS, CR0_EM, 0, 0);
    run_exc(EXC_NM, 0);
    cpu->r[R_RDX] = 0;
    CODE(0x0f, 0xae, 0x20);                     /* xsave [rax] */
    run_exc(EXC_NM, 0);
    set_cr(CR0_EM, CR0_TS, 0, 0);
    run_ok();
    set_cr(0, CR0_EM, 0, CR4_OSXSAVE);
    run_exc(EXC_UD, 0);
}
END_TEST

/* Fences, CLFLUSH and MOVNTI ignore CR0.EM/TS and CR4.OSFXSR. */
START_TEST(non_sse_state_instructions)
{
    long_mode();
    set_cr(CR0_EM | CR0_TS, 0, 0, CR4_OSFXSR);
    CODE(0x0f, 0xae, 0xf0);                     /* mfence */
    run_ok();
    cpu->r[R_RAX] = DATA;
    CODE(0x0f, 0xae, 0x38);                     /* clflush [rax] */
    run_ok();
    cpu->r[R_RCX] = 0x1122334455667788ull;
    CODE(0x48, 0x0f, 0xc3, 0x08);               /* movnti [rax], rcx */
    run_ok();
    ck_assert_uint_eq(tvm_get(DATA, 8), 0x1122334455667788ull);
    CODE(0x66, 0x0f, 0xae, 0xf0);               /* 66 mfence: #UD as on the host */
    run_exc(EXC_UD, 0);
    cpu->r[R_RAX] = 1ull << 63;
    CODE(0x0f, 0xae, 0x38);                     /* clflush of a non-canonical address */
    run_exc(EXC_GP, 0);
}
END_TEST

/* ---- #XM or #UD for unmasked SIMD exceptions (SDM Vol.1 §11.5.2) ---- */

START_TEST(unmasked_simd_exception)
{
    long_mode();
    CODE(0xf3, 0x0f, 0x5e, 0xc1);               /* divss xmm0, xmm1 */
    cpu->xmm[0].d[0] = 0x3f800000;
    cpu->xmm[1].d[0] = 0;
    cpu->mxcsr = 0x1f80 & ~0x0200u;             /* ZM clear */
    run_exc(EXC_XM, 0);
    ck_assert_uint_eq(cpu->mxcsr & 0x3f, 0x04); /* ZE recorded */
    ck_assert_uint_eq(cpu->xmm[0].d[0], 0x3f800000);
    cpu->mxcsr &= ~0x3fu;
    set_cr(0, 0, 0, CR4_OSXMMEXCPT);
    run_exc(EXC_UD, 0);
    ck_assert_uint_eq(cpu->mxcsr & 0x3f, 0x04);
    cpu->mxcsr = 0x1f80;
    run_ok();
    ck_assert_uint_eq(cpu->xmm[0].d[0], 0x7f800000);
    ck_assert_uint_eq(cpu->mxcsr, 0x1f84);
}
END_TEST

/* RCPSS/RSQRTSS give the host's approximations, never flags. */
START_TEST(rcp_rsqrt_values)
{
    static const uint32_t rcp[][2] = {
        { 0x3f800000, 0x3f7ff000 }, { 0xc0400000, 0xbeaaa000 }, { 0x00000001, 0x7f800000 },
        { 0x7e800000, 0x00000000 }, { 0xff800001, 0xffc00001 }, { 0x7f800000, 0x00000000 },
    };
    static const uint32_t rsq[][2] = {
        { 0x3f800000, 0x3f7ff000 }, { 0x3f000000, 0x3fb4f800 }, { 0xbf800000, 0xffc00000 },
        { 0x80000000, 0xff800000 }, { 0x7f800000, 0x00000000 }, { 0x7f800001, 0x7fc00001 },
    };
    long_mode();
    cpu->mxcsr = 0x1f80 & ~0x1f80u;             /* everything unmasked: still no fault */
    for (size_t i = 0; i < sizeof rcp / sizeof rcp[0]; i++) {
        CODE(0xf3, 0x0f, 0x53, 0xc1);           /* rcpss xmm0, xmm1 */
        cpu->xmm[1].d[0] = rcp[i][0];
        run_ok();
        ck_assert_uint_eq(cpu->xmm[0].d[0], rcp[i][1]);
        CODE(0xf3, 0x0f, 0x52, 0xc1);           /* rsqrtss xmm0, xmm1 */
        cpu->xmm[1].d[0] = rsq[i][0];
        run_ok();
        ck_assert_uint_eq(cpu->xmm[0].d[0], rsq[i][1]);
    }
    ck_assert_uint_eq(cpu->mxcsr, 0);
}
END_TEST

/* ---- alignment: the linear address counts (SDM Vol.1 §10.4.1.1) ---- */

START_TEST(alignment_uses_linear_address)
{
    tvm_prot32(false);
    set_cr(CR0_MP, 0, CR4_OSFXSR, 0);
    tvm_gdt(TVM_FREE, tvm_desc(8, 0xfffff, ACC_DATA, FLG_32));
    tvm_seg(SEG_DS, TVM_FREE);
    cpu_update_mode(cpu);
    fill(DATA, 0x5a, 32);
    cpu->r[R_RAX] = DATA + 8;                   /* linear DATA + 16 */
    CODE(0x66, 0x0f, 0x6f, 0x00);               /* movdqa xmm0, [eax] */
    run_ok();
    ck_assert_uint_eq(cpu->xmm[0].q[0], 0x5a5a5a5a5a5a5a5aull);
    cpu->r[R_RAX] = DATA;                       /* linear DATA + 8 */
    run_exc(EXC_GP, 0);
    CODE(0xf3, 0x0f, 0x6f, 0x00);               /* movdqu xmm0, [eax] */
    run_ok();
    CODE(0x0f, 0xae, 0x00);                     /* fxsave [eax]: 16-byte aligned too */
    run_exc(EXC_GP, 0);
}
END_TEST

/* ---- MMX and the x87 state (SDM Vol.1 §9.5) ---- */

START_TEST(mmx_transition)
{
    long_mode();
    cpu->fpu.fsw = 5u << 11;
    cpu->fpu.ftw = 0xffff;
    cpu->fpu.st[3].se = 0x1234;
    cpu->fpu.st[3].sig = 1;
    cpu->fpu.st[1].sig = 2;
    CODE(0x0f, 0xd4, 0xd9);                     /* paddq mm3, mm1 */
    run_ok();
    ck_assert_uint_eq(fsw_top(), 0);
    ck_assert_uint_eq(cpu->fpu.ftw, 0);
    ck_assert_uint_eq(cpu->fpu.st[3].sig, 3);
    ck_assert_uint_eq(cpu->fpu.st[3].se, 0xffff);
    ck_assert_uint_eq(cpu->fpu.st[1].se, 0);    /* a source keeps its exponent */
    cpu->fpu.fsw = 2u << 11;
    CODE(0x0f, 0x77);                           /* emms */
    run_ok();
    ck_assert_uint_eq(cpu->fpu.ftw, 0xffff);
    ck_assert_uint_eq(fsw_top(), 0);
}
END_TEST

/* As on the host: a faulting MMX load changes nothing, a faulting MMX
 * store has already set TOP to 0 (tags unchanged), MASKMOVQ has done the
 * whole transition. */
START_TEST(mmx_transition_on_faults)
{
    long_mode();
    cpu->r[R_RAX] = 1ull << 63;                 /* non-canonical: #GP */
    cpu->r[R_RDI] = 1ull << 63;
    cpu->fpu.fsw = 4u << 11;
    cpu->fpu.ftw = 0xfff0;
    CODE(0x0f, 0x6f, 0x00);                     /* movq mm0, [rax] */
    run_exc(EXC_GP, 0);
    ck_assert_uint_eq(fsw_top(), 4);
    ck_assert_uint_eq(cpu->fpu.ftw, 0xfff0);
    CODE(0x0f, 0x7f, 0x00);                     /* movq [rax], mm0 */
    run_exc(EXC_GP, 0);
    ck_assert_uint_eq(fsw_top(), 0);
    ck_assert_uint_eq(cpu->fpu.ftw, 0xfff0);
    cpu->fpu.fsw = 4u << 11;
    CODE(0x0f, 0xf7, 0xc1);                     /* maskmovq mm0, mm1 */
    run_exc(EXC_GP, 0);
    ck_assert_uint_eq(fsw_top(), 0);
    ck_assert_uint_eq(cpu->fpu.ftw, 0);
}
END_TEST

/* MOVQ2DQ and CVTPI2PS with an MMX source are MMX instructions. */
START_TEST(mmx_xmm_transitions)
{
    long_mode();
    cpu->fpu.fsw = 3u << 11;
    cpu->fpu.ftw = 0xffff;
    cpu->fpu.st[2].sig = 0x0000000300000002ull;
    CODE(0xf3, 0x0f, 0xd6, 0xca);               /* movq2dq xmm1, mm2 */
    run_ok();
    ck_assert_uint_eq(cpu->xmm[1].q[0], 0x0000000300000002ull);
    ck_assert_uint_eq(fsw_top(), 0);
    ck_assert_uint_eq(cpu->fpu.ftw, 0);
    cpu->fpu.fsw = 3u << 11;
    cpu->fpu.ftw = 0xffff;
    CODE(0x0f, 0x2a, 0xc2);                     /* cvtpi2ps xmm0, mm2 */
    run_ok();
    ck_assert_uint_eq(cpu->xmm[0].q[0], 0x4040000040000000ull);
    ck_assert_uint_eq(fsw_top(), 0);
    cpu->fpu.fsw = 3u << 11;
    cpu->fpu.ftw = 0xffff;
    cpu->r[R_RAX] = DATA;
    tvm_put64(DATA, 0x0000000300000002ull);
    CODE(0x0f, 0x2a, 0x00);                     /* cvtpi2ps xmm0, [rax]: no transition */
    run_ok();
    ck_assert_uint_eq(fsw_top(), 3);
    ck_assert_uint_eq(cpu->fpu.ftw, 0xffff);
}
END_TEST

/* ---- FXSAVE layout (SDM Vol.1 Tables 10-2, 10-3) ---- */

static void known_state(void)
{
    cpu->fpu.fcw = 0x027f;
    cpu->fpu.fsw = (3u << 11) | 0x4101;
    /* R7..R0 tags: zero, empty, empty, valid, empty, special, zero, valid */
    cpu->fpu.ftw = 0x7ce4;
    cpu->fpu.fop = 0x5ab;
    cpu->fpu.fip = 0x1122334455667788ull;
    cpu->fpu.fdp = 0x99aabbccddeeff00ull;
    for (unsigned i = 0; i < 8; i++) {
        cpu->fpu.st[i].sig = 0x8000000000000000ull | (0x1111111111111111ull * i);
        cpu->fpu.st[i].se = (uint16_t)(0x3fff + i);
    }
    for (unsigned i = 0; i < 16; i++) {
        cpu->xmm[i].q[0] = 0x0101010101010101ull * i;
        cpu->xmm[i].q[1] = ~cpu->xmm[i].q[0];
    }
    cpu->mxcsr = 0x9fa5;
}

START_TEST(fxsave64_layout)
{
    long_mode();
    known_state();
    fill(DATA, 0xaa, 512);
    cpu->r[R_RAX] = DATA;
    CODE(0x48, 0x0f, 0xae, 0x00);               /* fxsave64 [rax] */
    run_ok();
    ck_assert_uint_eq(tvm_get(DATA + 0, 2), 0x027f);
    ck_assert_uint_eq(tvm_get(DATA + 2, 2), (3u << 11) | 0x4101);
    ck_assert_uint_eq(tvm_get(DATA + 4, 1), 0x97);   /* abridged: R0 R1 R2 R4 R7 in use */
    ck_assert_uint_eq(tvm_get(DATA + 5, 1), 0);
    ck_assert_uint_eq(tvm_get(DATA + 6, 2), 0x5ab);
    ck_assert_uint_eq(tvm_get(DATA + 8, 8), 0x1122334455667788ull);
    ck_assert_uint_eq(tvm_get(DATA + 16, 8), 0x99aabbccddeeff00ull);
    ck_assert_uint_eq(tvm_get(DATA + 24, 4), 0x9fa5);
    ck_assert_uint_eq(tvm_get(DATA + 28, 4), 0xffff);
    for (unsigned i = 0; i < 8; i++) {          /* stack order: ST(i) = R((TOP + i) mod 8) */
        unsigned r = (3 + i) & 7;
        ck_assert_uint_eq(tvm_get(DATA + 32 + 16 * i, 8), cpu->fpu.st[r].sig);
        ck_assert_uint_eq(tvm_get(DATA + 40 + 16 * i, 2), cpu->fpu.st[r].se);
        ck_assert_uint_eq(tvm_get(DATA + 42 + 16 * i, 6), 0);
    }
    for (unsigned i = 0; i < 16; i++) {
        ck_assert_uint_eq(tvm_get(DATA + 160 + 16 * i, 8), cpu->xmm[i].q[0]);
        ck_assert_uint_eq(tvm_get(DATA + 168 + 16 * i, 8), cpu->xmm[i].q[1]);
    }
    for (unsigned off = 416; off < 512; off += 8)
        ck_assert_uint_eq(tvm_get(DATA + off, 8), 0xaaaaaaaaaaaaaaaaull);
    CODE(0x0f, 0xae, 0x00);                     /* fxsave [rax]: 32-bit pointers, FCS/FDS 0 */
    fill(DATA, 0xaa, 512);
    run_ok();
    ck_assert_uint_eq(tvm_get(DATA + 8, 8), 0x55667788ull);
    ck_assert_uint_eq(tvm_get(DATA + 16, 8), 0xddeeff00ull);
}
END_TEST

/* In 32-bit mode only XMM0-7 exist: bytes 288-511 are not written. */
START_TEST(fxsave32_layout)
{
    tvm_prot32(false);
    set_cr(CR0_MP, 0, CR4_OSFXSR, 0);
    known_state();
    fill(DATA, 0xaa, 512);
    cpu->r[R_RAX] = DATA;
    CODE(0x0f, 0xae, 0x00);
    run_ok();
    ck_assert_uint_eq(tvm_get(DATA + 160 + 16 * 7, 8), cpu->xmm[7].q[0]);
    for (unsigned off = 288; off < 512; off += 8)
        ck_assert_uint_eq(tvm_get(DATA + off, 8), 0xaaaaaaaaaaaaaaaaull);
}
END_TEST

/* FXRSTOR: tags from the contents (SDM Vol.1 §10.5.1.1), FCW reserved bits
 * and FSW.ES/B as the host loads them, #GP on reserved MXCSR bits with
 * nothing loaded. */
START_TEST(fxrstor_tags_and_checks)
{
    long_mode();
    uint8_t img[512];
    memset(img, 0, sizeof img);
    uint16_t fcw = 0xffc2, fsw = 0x0004;        /* ZE raised and unmasked */
    memcpy(img + 0, &fcw, 2);
    memcpy(img + 2, &fsw, 2);
    img[4] = 0x3f;                              /* R0-R5 non-empty */
    uint32_t mx = 0x1f80;
    memcpy(img + 24, &mx, 4);
    /* TOP = 0: ST(i) is R(i) */
    static const struct { uint64_t sig; uint16_t se; unsigned tag; } regs[6] = {
        { 0x8000000000000000ull, 0x3fff, 0 },   /* normal: valid */
        { 0, 0x8000, 1 },                       /* -0: zero */
        { 0xc000000000000000ull, 0x7fff, 2 },   /* NaN: special */
        { 1, 0, 2 },                            /* denormal: special */
        { 0x4000000000000000ull, 0x3fff, 2 },   /* unnormal: special */
        { 0x8000000000000000ull, 0x7fff, 2 },   /* infinity: special */
    };
    for (unsigned i = 0; i < 6; i++) {
        memcpy(img + 32 + 16 * i, &regs[i].sig, 8);
        memcpy(img + 40 + 16 * i, &regs[i].se, 2);
    }
    tvm_put(DATA, img, sizeof img);
    cpu->r[R_RAX] = DATA;
    CODE(0x48, 0x0f, 0xae, 0x08);               /* fxrstor64 [rax] */
    run_ok();
    uint16_t want = 0xf000;                     /* R6, R7 empty */
    for (unsigned i = 0; i < 6; i++)
        want |= (uint16_t)(regs[i].tag << (2 * i));
    ck_assert_uint_eq(cpu->fpu.ftw, want);
    ck_assert_uint_eq(cpu->fpu.fcw, 0x1f42);
    ck_assert_uint_eq(cpu->fpu.fsw, 0x8084);
    mx = 0x11f80;
    tvm_put32(DATA + 24, mx);
    cpu->fpu.fcw = 0x37f;
    run_exc(EXC_GP, 0);
    ck_assert_uint_eq(cpu->fpu.fcw, 0x37f);
    ck_assert_uint_eq(cpu->mxcsr, 0x1f80);
}
END_TEST

/* ---- LDMXCSR / STMXCSR ---- */

START_TEST(ldmxcsr_reserved_bits)
{
    long_mode();
    cpu->r[R_RAX] = DATA;
    tvm_put32(DATA, 0xffff);                    /* DAZ and everything else: fine */
    CODE(0x0f, 0xae, 0x10);
    run_ok();
    ck_assert_uint_eq(cpu->mxcsr, 0xffff);
    tvm_put32(DATA, 0x10000);
    run_exc(EXC_GP, 0);
    ck_assert_uint_eq(cpu->mxcsr, 0xffff);
    CODE(0x0f, 0xae, 0x18);
    run_ok();
    ck_assert_uint_eq(tvm_get(DATA, 4), 0xffff);
}
END_TEST

/* ---- XSAVE / XRSTOR, standard format (SDM Vol.1 §13.4, §13.7, §13.8) ---- */

START_TEST(xsave_header_and_components)
{
    long_mode();
    memset(&cpu->fpu, 0, sizeof cpu->fpu);      /* x87 in its initial state */
    cpu->fpu.fcw = 0x37f;
    cpu->fpu.ftw = 0xffff;
    memset(cpu->xmm, 0, sizeof cpu->xmm);
    cpu->xmm[5].q[1] = 42;
    cpu->mxcsr = 0x1fa0;
    fill(DATA, 0xaa, 576);
    tvm_put64(DATA + 512, 0xf0);                /* XSTATE_BV bits outside RFBM stay */
    cpu->r[R_RDX] = 0;
    cpu->r[R_RAX] = 3;                          /* RFBM = x87 | SSE */
    cpu->r[R_RBX] = DATA;
    CODE(0x0f, 0xae, 0x23);                     /* xsave [rbx] */
    run_ok();
    ck_assert_uint_eq(tvm_get(DATA + 512, 8), 0xf2);   /* x87 initial: bit 0 clear */
    ck_assert_uint_eq(tvm_get(DATA + 520, 8), 0xaaaaaaaaaaaaaaaaull);
    ck_assert_uint_eq(tvm_get(DATA + 0, 2), 0x37f);
    ck_assert_uint_eq(tvm_get(DATA + 24, 4), 0x1fa0);
    ck_assert_uint_eq(tvm_get(DATA + 168 + 16 * 5, 8), 42);
    ck_assert_uint_eq(tvm_get(DATA + 416, 8), 0xaaaaaaaaaaaaaaaaull);
    /* RFBM = SSE only: the x87 part is not written */
    fill(DATA, 0xbb, 32);
    cpu->r[R_RAX] = 2;
    run_ok();
    ck_assert_uint_eq(tvm_get(DATA + 0, 8), 0xbbbbbbbbbbbbbbbbull);
    ck_assert_uint_eq(tvm_get(DATA + 24, 4), 0x1fa0);
    /* misaligned (16 but not 64) */
    cpu->r[R_RBX] = DATA + 16;
    run_exc(EXC_GP, 0);
}
END_TEST

START_TEST(xrstor_init_and_checks)
{
    long_mode();
    uint8_t img[576];
    memset(img, 0, sizeof img);
    uint16_t fcw = 0x027f;
    memcpy(img, &fcw, 2);
    uint32_t mx = 0x1f81;
    memcpy(img + 24, &mx, 4);
    img[512] = 1;                               /* XSTATE_BV: x87 only */
    tvm_put(DATA, img, sizeof img);
    cpu->xmm[3].q[0] = 7;
    cpu->r[R_RBX] = DATA;
    cpu->r[R_RAX] = 3;
    cpu->r[R_RDX] = 0;
    CODE(0x0f, 0xae, 0x2b);                     /* xrstor [rbx] */
    run_ok();
    ck_assert_uint_eq(cpu->fpu.fcw, 0x27f);
    ck_assert_uint_eq(cpu->xmm[3].q[0], 0);     /* SSE initialised ... */
    ck_assert_uint_eq(cpu->mxcsr, 0x1f81);      /* ... but MXCSR loaded */
    /* XSTATE_BV = 0 with RFBM = x87: x87 initialised */
    tvm_put64(DATA + 512, 0);
    cpu->r[R_RAX] = 1;
    run_ok();
    ck_assert_uint_eq(cpu->fpu.fcw, 0x37f);
    ck_assert_uint_eq(cpu->fpu.ftw, 0xffff);
    /* #GP: XSTATE_BV beyond XCR0, XCOMP_BV set, reserved MXCSR with RFBM[1] */
    tvm_put64(DATA + 512, 4);
    run_exc(EXC_GP, 0);
    tvm_put64(DATA + 512, 3);
    tvm_put64(DATA + 520, 1ull << 63);
    run_exc(EXC_GP, 0);
    tvm_put64(DATA + 520, 0);
    tvm_put32(DATA + 24, 0x10000);
    cpu->r[R_RAX] = 2;
    run_exc(EXC_GP, 0);
    cpu->r[R_RAX] = 1;                          /* MXCSR not requested: no check */
    run_ok();
}
END_TEST

/* ---- SSE4.2 string compares ---- */

static void put_xmm_str(unsigned r, const char *s)
{
    memset(&cpu->xmm[r], 0, 16);
    memcpy(&cpu->xmm[r], s, strlen(s));
}

START_TEST(pcmpistri_examples)
{
    long_mode();
    put_xmm_str(0, "lo");
    put_xmm_str(1, "hello world");
    cpu->mxcsr = 0x1f80;
    CODE(0x66, 0x0f, 0x3a, 0x63, 0xc1, 0x00);   /* pcmpistri xmm0, xmm1, 0: equal any */
    run_ok();
    ck_assert_uint_eq(cpu->r[R_RCX], 2);
    uint32_t f = (uint32_t)cpu_get_rflags(cpu) & F_ARITH;
    ck_assert_uint_eq(f, F_CF | F_ZF | F_SF);
    put_xmm_str(0, "wor");
    CODE(0x66, 0x0f, 0x3a, 0x63, 0xc1, 0x0c);   /* equal ordered: substring */
    run_ok();
    ck_assert_uint_eq(cpu->r[R_RCX], 6);
    put_xmm_str(0, "xyz");
    run_ok();
    ck_assert_uint_eq(cpu->r[R_RCX], 16);
    f = (uint32_t)cpu_get_rflags(cpu) & F_ARITH;
    ck_assert_uint_eq(f & F_CF, 0);
}
END_TEST

static Suite *simd_suite(void)
{
    Suite *s = suite_create("simd");
    TCase *t = tcase_create("core");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, sse_cr_checks);
    tcase_add_test(t, mmx_cr_checks_and_mf);
    tcase_add_test(t, state_cr_checks);
    tcase_add_test(t, non_sse_state_instructions);
    tcase_add_test(t, unmasked_simd_exception);
    tcase_add_test(t, rcp_rsqrt_values);
    tcase_add_test(t, alignment_uses_linear_address);
    tcase_add_test(t, mmx_transition);
    tcase_add_test(t, mmx_transition_on_faults);
    tcase_add_test(t, mmx_xmm_transitions);
    tcase_add_test(t, fxsave64_layout);
    tcase_add_test(t, fxsave32_layout);
    tcase_add_test(t, fxrstor_tags_and_checks);
    tcase_add_test(t, ldmxcsr_reserved_bits);
    tcase_add_test(t, xsave_header_and_components);
    tcase_add_test(t, xrstor_init_and_checks);
    tcase_add_test(t, pcmpistri_examples);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(simd_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
