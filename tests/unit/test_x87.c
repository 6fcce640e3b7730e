/* x87 behaviour the differential tester cannot reach (it runs 64-bit user
 * code with CR0 as Linux sets it): #NM from CR0.EM/TS/MP, the timing of
 * #MF for a pending exception (and the no-wait forms), stack overflow and
 * underflow responses, the FSTENV/FSAVE images in real-address, 16-bit
 * and 32-bit protected and 64-bit mode with FLDENV/FRSTOR round trips,
 * the FIP/FDP/FOP update rules, and registers written by MMX. */
#include "testvm.h"

#define DATA TVM_DATA          /* scratch for 32/64-bit code */
#define DATA16 0xa000u         /* scratch below 64 KiB for 16-bit code */
#define CODE16_SEL TVM_FREE    /* 16-bit code segment based at TVM_CODE */

/* FSW bits (SDM Vol.1 §8.1.3). */
enum { IE = 1, ZE = 4, SF = 0x40, ES = 0x80, C1 = 0x200, B = 0x8000 };

static void setup(void)
{
    tvm_setup();
}

static void teardown(void)
{
    tvm_teardown();
}

static void set_cr0(uint64_t set, uint64_t clear)
{
    cpu->cr0 = (cpu->cr0 | set) & ~clear;
    cpu_update_mode(cpu);
}

static void long_mode(void)
{
    tvm_long(false, false);
    set_cr0(CR0_MP, 0);
}

/* 16-bit protected mode, CS based at TVM_CODE, data segments at 0. */
static void prot16_mode(void)
{
    tvm_prot16();
    tvm_gdt(CODE16_SEL, tvm_desc(TVM_CODE, 0xffff, ACC_CODE, FLG_16));
    tvm_seg(SEG_CS, CODE16_SEL);
    cpu_update_mode(cpu);
}

/* Real mode with CS:IP = TVM_CODE and DS = 0x3000 (base TVM_DATA). */
static void real_mode(void)
{
    tvm_real(TVM_CODE >> 4, 0);
    cpu->seg[SEG_DS].sel = DATA >> 4;
    cpu->seg[SEG_DS].base = DATA;
    cpu_update_mode(cpu);
}

/* Code at the start of CS (offset 0 for the 16-bit modes). */
static uint64_t code_start(void)
{
    return cpu->code_mode == CM_16 ? 0 : TVM_CODE;
}

static void code(const uint8_t *b, size_t n)
{
    tvm_code(TVM_CODE, b, n);
    cpu->r[R_RIP] = code_start();
}

#define CODE(...) code((const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

/* Run n instructions; all must retire. */
static void run(unsigned n)
{
    cpu->deliver_exceptions = false;
    ck_assert_int_eq(cpu_run(cpu, n), STOP_BUDGET);
}

/* Run until an exception; RIP must be at offset `at` from the code start. */
static void run_exc(int vec, unsigned budget, uint64_t at)
{
    cpu->deliver_exceptions = false;
    ck_assert_int_eq(cpu_run(cpu, budget), STOP_EXCEPTION);
    ck_assert_int_eq(cpu->exc.vector, vec);
    ck_assert_uint_eq(cpu->r[R_RIP], code_start() + at);
}

static unsigned top(void)
{
    return (cpu->fpu.fsw >> 11) & 7;
}

static const x87reg_t *st(unsigned i)
{
    return &cpu->fpu.st[(top() + i) & 7];
}

static void check_st(unsigned i, uint16_t se, uint64_t sig)
{
    ck_assert_uint_eq(st(i)->se, se);
    ck_assert_uint_eq(st(i)->sig, sig);
}

#define ONE 0x3fff, 0x8000000000000000ull
#define INDEFINITE 0xffff, 0xc000000000000000ull

/* ---- #NM (SDM Vol.3A §2.5, Table 2-2) ---- */

/* ESC instructions (waiting or not): #NM with CR0.EM or CR0.TS. WAIT:
 * #NM only with CR0.MP and CR0.TS. An undefined ESC encoding stays #UD. */
START_TEST(nm_from_cr0)
{
    long_mode();
    CODE(0xd9, 0xe8);                           /* fld1 */
    set_cr0(CR0_TS, 0);
    run_exc(EXC_NM, 1, 0);
    set_cr0(CR0_EM, CR0_TS);
    run_exc(EXC_NM, 1, 0);
    set_cr0(0, CR0_EM);
    run(1);
    check_st(0, ONE);

    CODE(0xdb, 0xe3);                           /* fninit: no-wait, still #NM */
    set_cr0(CR0_TS, 0);
    run_exc(EXC_NM, 1, 0);

    CODE(0x9b);                                 /* wait */
    run_exc(EXC_NM, 1, 0);                      /* MP and TS */
    set_cr0(0, CR0_MP);
    cpu->r[R_RIP] = code_start();
    run(1);                                     /* TS without MP */
    set_cr0(CR0_EM | CR0_MP, CR0_TS);
    cpu->r[R_RIP] = code_start();
    run(1);                                     /* EM does not matter */

    CODE(0xd9, 0xd1);                           /* undefined */
    set_cr0(CR0_TS, CR0_EM);
    run_exc(EXC_UD, 1, 0);
}
END_TEST

/* ---- #MF: a pending exception is reported by the next waiting x87
 * instruction (SDM Vol.1 §8.6) ---- */

START_TEST(mf_on_next_waiting_instruction)
{
    long_mode();
    tvm_put16(DATA, 0x037b);                    /* ZE unmasked */
    cpu->r[R_RBX] = DATA;
    CODE(0xdb, 0xe3,                            /* 0: fninit */
         0xd9, 0x2b,                            /* 2: fldcw [rbx] */
         0xd9, 0xee,                            /* 4: fldz */
         0xd9, 0xe8,                            /* 6: fld1 */
         0xd8, 0xf1,                            /* 8: fdiv st0, st1: 1/0 */
         0xdf, 0xe0,                            /* 10: fnstsw ax */
         0xd9, 0x3b,                            /* 12: fnstcw [rbx] */
         0xd8, 0xc0,                            /* 14: fadd st0, st0: #MF */
         0xdb, 0xe2,                            /* 16: fnclex */
         0xd8, 0xc0);                           /* 18: fadd st0, st0 */
    run(5);
    /* the division itself completes: ST0 unchanged, ZE pending */
    check_st(0, ONE);
    ck_assert_uint_eq(cpu->fpu.fsw, 0x3000 | B | ES | ZE);
    run(2);                                     /* no-wait forms never fault */
    ck_assert_uint_eq(cpu->r[R_RAX] & 0xffff, 0x3000 | B | ES | ZE);
    run_exc(EXC_MF, 1, 14);
    check_st(0, ONE);
    cpu->r[R_RIP] = code_start() + 16;
    run(2);
    check_st(0, 0x4000, 0x8000000000000000ull);
    ck_assert_uint_eq(cpu->fpu.fsw, 0x3000);
}
END_TEST

/* WAIT reports it too; FNINIT, FNSTENV and FNSAVE do not (FNSTENV then
 * masks everything, which clears ES). With CR0.NE = 0 the hardware would
 * signal FERR#; this model raises #MF as well. */
START_TEST(mf_wait_and_no_wait_forms)
{
    long_mode();
    cpu->r[R_RBX] = DATA;
    CODE(0x9b);
    cpu->fpu.fcw = 0x037e;
    cpu->fpu.fsw = B | ES | IE;
    run_exc(EXC_MF, 1, 0);
    set_cr0(0, CR0_NE);
    run_exc(EXC_MF, 1, 0);
    set_cr0(CR0_NE, 0);

    CODE(0xd9, 0x33);                           /* fnstenv [rbx] */
    run(1);
    ck_assert_uint_eq(cpu->fpu.fcw, 0x037f);
    ck_assert_uint_eq(cpu->fpu.fsw, IE);
    ck_assert_uint_eq(tvm_get(DATA, 4), 0xffff037e);
    ck_assert_uint_eq(tvm_get(DATA + 4, 4), 0xffff0000u | B | ES | IE);

    CODE(0xdd, 0x33);                           /* fnsave [rbx] */
    cpu->fpu.fcw = 0x037e;
    cpu->fpu.fsw = B | ES | IE;
    run(1);
    ck_assert_uint_eq(cpu->fpu.fcw, 0x037f);
    ck_assert_uint_eq(cpu->fpu.fsw, 0);
    ck_assert_uint_eq(cpu->fpu.ftw, 0xffff);

    /* FLDCW that unmasks a raised flag makes it pending */
    tvm_put16(DATA, 0x037e);
    CODE(0xd9, 0x2b, 0xd9, 0xe8);               /* fldcw [rbx]; fld1 */
    cpu->fpu.fcw = 0x037f;
    cpu->fpu.fsw = IE;
    run(1);
    ck_assert_uint_eq(cpu->fpu.fsw, B | ES | IE);
    run_exc(EXC_MF, 1, 2);
}
END_TEST

/* ---- stack faults (SDM Vol.1 §8.5.1.1) ---- */

START_TEST(stack_overflow_and_underflow)
{
    long_mode();
    cpu->r[R_RBX] = DATA;
    /* nine pushes: the ninth overflows */
    CODE(0xdb, 0xe3, 0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xe8,
         0xd9, 0xe8, 0xd9, 0xe8, 0xd9, 0xee);
    run(9);
    ck_assert_uint_eq(top(), 0);
    ck_assert_uint_eq(cpu->fpu.ftw, 0);
    run(1);                                     /* masked: the indefinite is pushed */
    ck_assert_uint_eq(cpu->fpu.fsw, (7u << 11) | C1 | SF | IE);
    check_st(0, INDEFINITE);
    ck_assert_uint_eq(cpu->fpu.ftw & 0xc000, 0x8000);

    /* unmasked: nothing moves, the exception is pending */
    cpu->r[R_RIP] = code_start() + 2;
    cpu->fpu.fsw = 0;
    cpu->fpu.ftw = 0;
    cpu->fpu.fcw = 0x037e;
    run(1);
    ck_assert_uint_eq(top(), 0);
    ck_assert_uint_eq(cpu->fpu.fsw, B | ES | C1 | SF | IE);
    check_st(0, ONE);

    /* underflow: FADD with an empty ST(1) gives the indefinite, C1 = 0 */
    CODE(0xdb, 0xe3, 0xd9, 0xe8, 0xd8, 0xc1,    /* fninit; fld1; fadd st0, st1 */
         0xdd, 0x1b);                           /* fstp qword [rbx] */
    run(3);
    ck_assert_uint_eq(cpu->fpu.fsw, (7u << 11) | SF | IE);
    check_st(0, INDEFINITE);
    /* FSTP from an empty ST(0) stores the indefinite and pops */
    cpu->fpu.ftw = 0xffff;
    run(1);
    ck_assert_uint_eq(tvm_get(DATA, 8), 0xfff8000000000000ull);
    ck_assert_uint_eq(top(), 0);
    ck_assert_uint_eq(cpu->fpu.fsw & (SF | IE | C1), SF | IE);

    /* unmasked underflow on FSTP: nothing stored, no pop */
    tvm_put64(DATA, 0);
    cpu->r[R_RIP] = code_start() + 6;
    cpu->fpu.fcw = 0x037e;
    cpu->fpu.fsw = 7u << 11;
    run(1);
    ck_assert_uint_eq(tvm_get(DATA, 8), 0);
    ck_assert_uint_eq(cpu->fpu.fsw, (7u << 11) | B | ES | SF | IE);
}
END_TEST

/* ---- the environment and state images ---- */

/* Make ZE pending from FDIVR m64 (DC /7) with ST(0) = +0 so that FOP, FIP
 * and FDP are recorded, then store the environment (D9 /6) or the state
 * (DD /6) at offset `img` of the data segment; 16-bit addressing uses
 * [bx], [si], [di], 32/64-bit [ebx], [esi], [edi]. Returns the offset of
 * the FDIVR. */
static unsigned pending_then_store(bool a16, bool o66, uint8_t store_op, uint32_t img)
{
    uint8_t m_bx = a16 ? 0x07 : 0x03, m_si = a16 ? 0x04 : 0x06, m_di = a16 ? 0x05 : 0x07;
    uint8_t p[32];
    unsigned n = 0;
    p[n++] = 0xdb;
    p[n++] = 0xe3;                              /* fninit */
    p[n++] = 0xd9;
    p[n++] = (uint8_t)(0x28 | m_bx);            /* fldcw [bx] */
    p[n++] = 0xd9;
    p[n++] = 0xee;                              /* fldz */
    unsigned at = n;
    p[n++] = 0xdc;
    p[n++] = (uint8_t)(0x38 | m_si);            /* fdivr qword [si] */
    if (o66)
        p[n++] = 0x66;
    p[n++] = store_op;
    p[n++] = (uint8_t)(0x30 | m_di);            /* fnstenv/fnsave [di] */
    code(p, n);
    cpu->r[R_RBX] = 0x100;
    cpu->r[R_RSI] = 0x108;
    cpu->r[R_RDI] = img;
    return at;
}

static uint64_t data_base(void)
{
    return cpu->seg[SEG_DS].base;
}

static void put_operands(void)
{
    tvm_put16(data_base() + 0x100, 0x037b);
    tvm_put64(data_base() + 0x108, 0x3ff8000000000000ull);     /* 1.5 */
}

static uint32_t get32(uint32_t off)
{
    return (uint32_t)tvm_get(data_base() + off, 4);
}

static uint16_t get16(uint32_t off)
{
    return (uint16_t)tvm_get(data_base() + off, 2);
}

/* The FSW after the sequence: TOP 7, ZE pending. */
#define FSW_PENDING (0x3800 | B | ES | ZE)
#define FTW_ST0_ZERO 0x7fff

/* Restore the image with FLDENV/FRSTOR (same format) and store it again:
 * the two images must be equal. */
static void round_trip(bool a16, bool o66, uint8_t load_op, uint8_t store_op, uint32_t img, unsigned len)
{
    uint8_t m_di = a16 ? 0x05 : 0x07, m_bx = a16 ? 0x07 : 0x03;
    uint8_t p[8];
    unsigned n = 0;
    if (o66)
        p[n++] = 0x66;
    p[n++] = load_op;
    p[n++] = (uint8_t)(0x20 | m_di);            /* fldenv/frstor [di] */
    if (o66)
        p[n++] = 0x66;
    p[n++] = store_op;
    p[n++] = (uint8_t)(0x30 | m_bx);            /* fnstenv/fnsave [bx] */
    code(p, n);
    cpu->r[R_RDI] = img;
    cpu->r[R_RBX] = img + 0x100;
    cpu->fpu.fsw = 0;                           /* nothing pending before the load */
    run(1);
    ck_assert_uint_eq(cpu->fpu.fsw, FSW_PENDING);   /* ES recomputed */
    run(1);
    for (unsigned i = 0; i < len; i += 2)
        ck_assert_uint_eq(get16(img + i), get16(img + 0x100 + i));
}

/* 32-bit protected mode: SDM Vol.1 Figure 8-9; FCS/FDS stored as 0
 * (CPUID.(EAX=07H):EBX[13]); reserved halves all ones. */
START_TEST(fnstenv_protected_32)
{
    tvm_prot32(false);
    set_cr0(CR0_MP, 0);
    unsigned at = pending_then_store(false, false, 0xd9, 0x200);
    put_operands();
    run(5);
    ck_assert_uint_eq(get32(0x200), 0xffff037b);
    ck_assert_uint_eq(get32(0x204), 0xffff0000u | FSW_PENDING);
    ck_assert_uint_eq(get32(0x208), 0xffff0000u | FTW_ST0_ZERO);
    ck_assert_uint_eq(get32(0x20c), TVM_CODE + at);         /* FIP */
    ck_assert_uint_eq(get32(0x210), 0x043e0000u);            /* FOP DC 3E, FCS 0 */
    ck_assert_uint_eq(get32(0x214), 0x108);                  /* FDP */
    ck_assert_uint_eq(get32(0x218), 0xffff0000u);            /* FDS 0 */
    ck_assert_uint_eq(cpu->fpu.fcw, 0x037f);                 /* all masked after */
    ck_assert_uint_eq(cpu->fpu.fsw, 0x3800 | ZE);
    round_trip(false, false, 0xd9, 0xd9, 0x200, 28);
}
END_TEST

/* 16-bit protected mode (66 in 32-bit code): Figure 8-11, no FOP. */
START_TEST(fnstenv_protected_16)
{
    tvm_prot32(false);
    set_cr0(CR0_MP, 0);
    unsigned at = pending_then_store(false, true, 0xd9, 0x200);
    put_operands();
    run(5);
    ck_assert_uint_eq(get16(0x200), 0x037b);
    ck_assert_uint_eq(get16(0x202), FSW_PENDING);
    ck_assert_uint_eq(get16(0x204), FTW_ST0_ZERO);
    ck_assert_uint_eq(get16(0x206), (uint16_t)(TVM_CODE + at));
    ck_assert_uint_eq(get16(0x208), 0);
    ck_assert_uint_eq(get16(0x20a), 0x108);
    ck_assert_uint_eq(get16(0x20c), 0);
    ck_assert_uint_eq(get16(0x20e), 0);                      /* 14 bytes only */
    round_trip(false, true, 0xd9, 0xd9, 0x200, 14);
}
END_TEST

/* 16-bit code in protected mode: the 16-bit format by default, FOP of a
 * 16-bit ModRM (DC 3C). FNSAVE appends ST(0)..ST(7) and reinitialises. */
START_TEST(fnsave_protected_16bit_code)
{
    prot16_mode();
    unsigned at = pending_then_store(true, false, 0xdd, DATA16);
    put_operands();
    run(5);
    ck_assert_uint_eq(get16(DATA16 + 0), 0x037b);
    ck_assert_uint_eq(get16(DATA16 + 2), FSW_PENDING);
    ck_assert_uint_eq(get16(DATA16 + 4), FTW_ST0_ZERO);
    ck_assert_uint_eq(get16(DATA16 + 6), at);
    ck_assert_uint_eq(get16(DATA16 + 10), 0x108);
    ck_assert_uint_eq(tvm_get(DATA16 + 14, 8), 0);          /* ST(0) = +0 */
    ck_assert_uint_eq(get16(DATA16 + 14 + 8), 0);
    ck_assert_uint_eq(cpu->fpu.fcw, 0x037f);
    ck_assert_uint_eq(cpu->fpu.fsw, 0);
    ck_assert_uint_eq(cpu->fpu.ftw, 0xffff);
    ck_assert_uint_eq(cpu->fpu.fip, 0);
    round_trip(true, false, 0xdd, 0xdd, DATA16, 94);
    ck_assert_uint_eq(cpu->fpu.fop, 0);                      /* reinitialised again */
    ck_assert_uint_eq(cpu->fpu.ftw, 0xffff);
}
END_TEST

/* Real-address mode, 16-bit format: Figure 8-12, 20-bit linear pointers
 * with FOP. */
START_TEST(fnstenv_real_16)
{
    real_mode();
    unsigned at = pending_then_store(true, false, 0xd9, 0x200);
    put_operands();
    run(5);
    uint32_t ip = TVM_CODE + at, dp = DATA + 0x108;
    ck_assert_uint_eq(get16(0x200), 0x037b);
    ck_assert_uint_eq(get16(0x202), FSW_PENDING);
    ck_assert_uint_eq(get16(0x204), FTW_ST0_ZERO);
    ck_assert_uint_eq(get16(0x206), ip & 0xffff);
    ck_assert_uint_eq(get16(0x208), ((ip >> 16) << 12) | 0x43c);
    ck_assert_uint_eq(get16(0x20a), dp & 0xffff);
    ck_assert_uint_eq(get16(0x20c), (dp >> 16) << 12);
    round_trip(true, false, 0xd9, 0xd9, 0x200, 14);
}
END_TEST

/* Real-address mode, 32-bit format (66): Figure 8-10. */
START_TEST(fnsave_real_32)
{
    real_mode();
    unsigned at = pending_then_store(true, true, 0xdd, 0x200);
    put_operands();
    run(5);
    uint32_t ip = TVM_CODE + at, dp = DATA + 0x108;
    ck_assert_uint_eq(get32(0x200), 0xffff037b);
    ck_assert_uint_eq(get32(0x204), 0xffff0000u | FSW_PENDING);
    ck_assert_uint_eq(get32(0x208), 0xffff0000u | FTW_ST0_ZERO);
    ck_assert_uint_eq(get32(0x20c), 0xffff0000u | (ip & 0xffff));
    ck_assert_uint_eq(get32(0x210), ((ip >> 16) << 12) | 0x43c);
    ck_assert_uint_eq(get32(0x214), 0xffff0000u | (dp & 0xffff));
    ck_assert_uint_eq(get32(0x218), (dp >> 16) << 12);
    ck_assert_uint_eq(cpu->fpu.fsw, 0);
    round_trip(true, true, 0xdd, 0xdd, 0x200, 108);
}
END_TEST

/* 64-bit mode: the 32-bit protected-mode format (REX.W changes nothing),
 * FIP and FDP truncated to 32 bits. */
START_TEST(fnstenv_64)
{
    long_mode();
    unsigned at = pending_then_store(false, false, 0xd9, DATA + 0x200);
    cpu->seg[SEG_DS].base = 0;
    put_operands();
    cpu->r[R_RBX] = 0x100;
    cpu->r[R_RSI] = 0x108;
    run(5);
    ck_assert_uint_eq(tvm_get(DATA + 0x200, 4), 0xffff037b);
    ck_assert_uint_eq(tvm_get(DATA + 0x20c, 4), TVM_CODE + at);
    ck_assert_uint_eq(tvm_get(DATA + 0x210, 4), 0x043e0000u);
    ck_assert_uint_eq(tvm_get(DATA + 0x214, 4), 0x108);
    ck_assert_uint_eq(cpu->fpu.fip, TVM_CODE + at);
    ck_assert_uint_eq(cpu->fpu.fdp, 0x108);
    ck_assert_uint_eq(cpu->fpu.fop, 0x43e);
}
END_TEST

/* ---- FIP/FDP/FOP updates (SDM Vol.1 §8.1.8-8.1.9) ---- */

/* Non-control instructions set FIP; FOP and FDP change only with an
 * unmasked exception (FDP_EXCPTN_ONLY, FOP compatibility off, as on the
 * reference host); control instructions leave all three alone. */
START_TEST(pointer_updates)
{
    long_mode();
    cpu->r[R_RBX] = DATA;
    tvm_put64(DATA, 0x3ff8000000000000ull);
    CODE(0xd9, 0xe8,                            /* 0: fld1 */
         0xdc, 0x03,                            /* 2: fadd qword [rbx] */
         0xd9, 0x3b,                            /* 4: fnstcw [rbx] */
         0xd9, 0xd0,                            /* 6: fnop */
         0xdb, 0xe2);                           /* 8: fnclex */
    cpu->fpu.fop = 0x123;
    cpu->fpu.fdp = 0x4567;
    run(2);
    ck_assert_uint_eq(cpu->fpu.fip, TVM_CODE + 2);
    ck_assert_uint_eq(cpu->fpu.fop, 0x123);
    ck_assert_uint_eq(cpu->fpu.fdp, 0x4567);
    check_st(0, 0x4000, 0xa000000000000000ull);             /* 2.5 */
    run(1);
    ck_assert_uint_eq(cpu->fpu.fip, TVM_CODE + 2);
    run(2);
    ck_assert_uint_eq(cpu->fpu.fip, TVM_CODE + 6);
    ck_assert_uint_eq(cpu->fpu.fop, 0x123);
}
END_TEST

/* ---- MMX interplay (SDM Vol.1 §9.5) ---- */

/* After MOVQ mm0, [rbx] the register holds exponent 0xFFFF: FXAM sees a
 * negative infinity, the stored tag word says "special". */
START_TEST(registers_written_by_mmx)
{
    long_mode();
    cpu->r[R_RBX] = DATA;
    tvm_put64(DATA, 0x8000000000000000ull);
    CODE(0x0f, 0x6f, 0x03,                      /* movq mm0, [rbx] */
         0xd9, 0xe5,                            /* fxam */
         0xd9, 0x73, 0x10);                     /* fnstenv [rbx + 16] */
    cpu->fpu.ftw = 0xffff;
    cpu->fpu.fsw = 5u << 11;
    for (unsigned i = 1; i < 8; i++)
        cpu->fpu.st[i] = (x87reg_t){ .sig = 1ull << 63, .se = 0x3fff };
    run(2);
    ck_assert_uint_eq(top(), 0);
    ck_assert_uint_eq(cpu->fpu.fsw & 0x4700, 0x0500 | C1);  /* infinity, negative */
    run(1);
    ck_assert_uint_eq(tvm_get(DATA + 0x18, 2), 0x0002);      /* R0 special, others valid */
}
END_TEST

static Suite *x87_suite(void)
{
    Suite *s = suite_create("x87");
    TCase *t = tcase_create("core");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, nm_from_cr0);
    tcase_add_test(t, mf_on_next_waiting_instruction);
    tcase_add_test(t, mf_wait_and_no_wait_forms);
    tcase_add_test(t, stack_overflow_and_underflow);
    tcase_add_test(t, fnstenv_protected_32);
    tcase_add_test(t, fnstenv_protected_16);
    tcase_add_test(t, fnsave_protected_16bit_code);
    tcase_add_test(t, fnstenv_real_16);
    tcase_add_test(t, fnsave_real_32);
    tcase_add_test(t, fnstenv_64);
    tcase_add_test(t, pointer_updates);
    tcase_add_test(t, registers_written_by_mmx);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(x87_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
