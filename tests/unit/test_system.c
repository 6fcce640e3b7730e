/* Segmentation, far transfers and interrupts on tiny machines in real
 * mode, 16- and 32-bit protected mode and virtual-8086 mode: descriptor
 * checks and their error codes, limit checks, far JMP/CALL/RET, call
 * gates, IRET, INT n through the IVT and the IDT, privilege changes
 * through the TSS, #DF and triple fault (SDM Vol.3A ch.5, 6). */
#include "testvm.h"

static void setup(void)
{
    tvm_setup();
}

static void teardown(void)
{
    tvm_teardown();
}

/* ---- real mode ---- */

/* MOV Sreg, far CALL/RETF, INT n through the IVT and IRET, LDS. */
START_TEST(real_mode_far_and_ivt)
{
    static const uint8_t prog[] = {
        0xb8, 0x00, 0x30,                        /* 0000: mov ax,0x3000 */
        0x8e, 0xd8,                              /* 0003: mov ds,ax */
        0xc7, 0x06, 0x00, 0x00, 0x34, 0x12,      /* 0005: mov WORD PTR ds:0x0,0x1234 */
        0x9a, 0x10, 0x00, 0x00, 0x20,            /* 000b: call 0x2000:0x10 */
        0xcd, 0x40,                              /* 0010: int 0x40 */
        0xc5, 0x36, 0x02, 0x00,                  /* 0012: lds si,DWORD PTR ds:0x2 */
        0x8c, 0xdf,                              /* 0016: mov di,ds */
        0xf4,                                    /* 0018: hlt */
    };
    static const uint8_t far_handler[] = {
        0xbb, 0x55, 0x55,                        /* 2000:0010: mov bx,0x5555 */
        0xcb,                                    /* 2000:0013: retf */
    };
    static const uint8_t int_handler[] = {
        0x9c,                                    /* 2000:0020: pushf */
        0x5a,                                    /* 2000:0021: pop dx */
        0xb9, 0x66, 0x66,                        /* 2000:0022: mov cx,0x6666 */
        0xcf,                                    /* 2000:0025: iret */
    };
    tvm_code(0x10000, prog, sizeof prog);
    tvm_code(0x20010, far_handler, sizeof far_handler);
    tvm_code(0x20020, int_handler, sizeof int_handler);
    tvm_put32(0x40 * 4, 0x20000020);             /* IVT[0x40] = 2000:0020 */
    tvm_put32(0x30002, 0x4000abcd);              /* far pointer 4000:abcd */
    tvm_real(0x1000, 0);
    cpu->rflags |= F_IF;
    cpu->deliver_exceptions = true;
    tvm_expect_halt(100);
    ck_assert_uint_eq(tvm_get(0x30000, 2), 0x1234);
    ck_assert_uint_eq(cpu->r[R_RBX] & 0xffff, 0x5555);
    ck_assert_uint_eq(cpu->r[R_RCX] & 0xffff, 0x6666);
    ck_assert_uint_eq(cpu->r[R_RDX] & F_IF, 0);  /* IF clear inside the handler */
    ck_assert(cpu->rflags & F_IF);               /* and restored by IRET */
    ck_assert_uint_eq(cpu->r[R_RSI] & 0xffff, 0xabcd);
    ck_assert_uint_eq(cpu->r[R_RDI] & 0xffff, 0x4000);
    ck_assert_uint_eq(cpu->seg[SEG_DS].base, 0x40000);
    ck_assert_uint_eq(cpu->seg[SEG_CS].sel, 0x1000);
    ck_assert_uint_eq(cpu->r[R_RSP], 0x7000);
    ck_assert_uint_eq(cpu->r[R_RIP], 0x19);
}
END_TEST

/* A far JMP past the 64 KiB CS limit faults before CS changes. */
START_TEST(real_mode_far_jmp_limit)
{
    static const uint8_t prog[] = {
        0x66, 0xea, 0x45, 0x23, 0x01, 0x00, 0x00, 0x10, /* jmp 0x1000:0x12345 */
    };
    tvm_code(0x10000, prog, sizeof prog);
    tvm_real(0x1000, 0);
    tvm_expect_exc(EXC_GP, 0, 0);
    ck_assert_uint_eq(cpu->seg[SEG_CS].sel, 0x1000);
}
END_TEST

/* A real-mode exception goes through the IVT with no error code; an IVT
 * entry beyond the IDTR limit is #GP, and that escalates to #DF. */
START_TEST(real_mode_exception_ivt)
{
    static const uint8_t prog[] = { 0x0f, 0x0b };     /* ud2 */
    static const uint8_t handler[] = { 0xf4 };        /* hlt */
    tvm_code(0x10000, prog, sizeof prog);
    tvm_code(0x20000, handler, sizeof handler);
    tvm_put32(EXC_UD * 4, 0x20000000);
    tvm_real(0x1000, 0);
    cpu->deliver_exceptions = true;
    tvm_expect_halt(10);
    ck_assert_uint_eq(cpu->r[R_RSP], 0x7000 - 6);
    ck_assert_uint_eq(tvm_get(0x7000 - 6, 2), 0);         /* IP of the UD2 */
    ck_assert_uint_eq(tvm_get(0x7000 - 4, 2), 0x1000);    /* CS */
    /* IDTR limit too small for vector 6: #GP, then #DF through IVT[8]. */
    tvm_put32(EXC_DF * 4, 0x20000000);
    cpu->idtr.limit = 4 * 6 + 2;
    tvm_real(0x1000, 0);
    ck_assert_int_eq(cpu_run(cpu, 10), STOP_SHUTDOWN);
}
END_TEST

/* ---- 16-bit protected mode ---- */

/* JMP to a 32-bit segment and back to 16-bit code, a 16-bit IRET, and a
 * word read crossing the 64 KiB limit (#GP(0)). */
START_TEST(prot16_mode_switches_and_limit)
{
    static const uint8_t p16_prog[] = {
        0x66, 0xea, 0x00, 0x11, 0x00, 0x00, 0x08, 0x00, /* 1000: jmp 0x8:0x1100 */
    };
    static const uint8_t p16_to32[] = {
        0xb8, 0x78, 0x56, 0x34, 0x12,            /* 1100: mov eax,0x12345678 */
        0xea, 0x00, 0x12, 0x00, 0x00, 0x38, 0x00, /* 1105: jmp 0x38:0x1200 */
    };
    static const uint8_t p16_back[] = {
        0xbb, 0x22, 0x00,                        /* 1200: mov bx,0x22 */
        0x9c,                                    /* 1203: pushf */
        0x0e,                                    /* 1204: push cs */
        0x68, 0x00, 0x13,                        /* 1205: push 0x1300 */
        0xcf,                                    /* 1208: iret */
    };
    static const uint8_t p16_tail[] = {
        0xb9, 0x33, 0x00,                        /* 1300: mov cx,0x33 */
        0xa1, 0xff, 0xff,                        /* 1303: mov ax,ds:0xffff */
    };
    tvm_prot16();
    tvm_code(0x1000, p16_prog, sizeof p16_prog);
    tvm_code(0x1100, p16_to32, sizeof p16_to32);
    tvm_code(0x1200, p16_back, sizeof p16_back);
    tvm_code(0x1300, p16_tail, sizeof p16_tail);
    tvm_expect_exc(EXC_GP, 0, 0x1303);
    ck_assert_uint_eq(cpu->r[R_RAX], 0x12345678);
    ck_assert_uint_eq(cpu->r[R_RBX] & 0xffff, 0x22);
    ck_assert_uint_eq(cpu->r[R_RCX] & 0xffff, 0x33);
    ck_assert_uint_eq(cpu->seg[SEG_CS].sel, TVM_CS16);
    ck_assert_int_eq(cpu->code_mode, CM_16);
    ck_assert_uint_eq(cpu->r[R_RSP], 0x8000);
}
END_TEST

/* A 16-bit expand-down stack: offsets above the limit up to 0xffff. */
START_TEST(prot16_expand_down_stack)
{
    static const uint8_t prog[] = {
        0xb8, 0x78, 0x00,                        /* 1000: mov ax,0x78 */
        0x8e, 0xd0,                              /* 1003: mov ss,ax */
        0xbc, 0x02, 0x80,                        /* 1005: mov sp,0x8002 */
        0x50,                                    /* 1008: push ax */
        0x50,                                    /* 1009: push ax */
    };
    tvm_prot16();
    tvm_gdt(0x78, tvm_desc(0, 0x7fff, 0x97, FLG_16));
    tvm_code(0x1000, prog, sizeof prog);
    tvm_expect_exc(EXC_SS, 0, 0x1009);
    ck_assert_uint_eq(cpu->r[R_RSP] & 0xffff, 0x8000);
    ck_assert_uint_eq(tvm_get(0x8000, 2), 0x78);
    ck_assert_int_eq(cpu->stack32, 0);
}
END_TEST

/* From CPL 3 through a 16-bit interrupt gate: SS0:SP0 from a busy
 * 16-bit TSS, a five-word frame, and a 16-bit IRET back. */
START_TEST(prot16_interrupt_via_16bit_tss)
{
    static const uint8_t user[] = { 0xcd, 0x43, 0xf4 };                 /* int 0x43; hlt */
    static const uint8_t handler[] = { 0x89, 0xe3, 0x8c, 0xd1, 0xcf };  /* mov bx,sp; mov cx,ss; iret */
    tvm_prot16();
    tvm_gdt(0x58, tvm_desc(0, 0xffff, ACC_CODE_U, FLG_16));
    tvm_gdt(0x60, tvm_desc(0, 0xffff, ACC_DATA_U, FLG_16));
    tvm_gdt(0x68, tvm_desc(0x5400, 0x2b, 0x83, 0));                   /* busy 16-bit TSS */
    tvm_put16(0x5400 + 2, 0x7000);                                     /* SP0 */
    tvm_put16(0x5400 + 4, TVM_DS16);                                   /* SS0 */
    tvm_seg(SEG_TR, 0x68);
    tvm_seg(SEG_CS, 0x5b);
    tvm_seg(SEG_SS, 0x63);
    cpu_update_mode(cpu);
    tvm_idt32(0x43, TVM_CS16, 0x2000, 0x6, 3);
    tvm_code(0x1000, user, sizeof user);
    tvm_code(0x2000, handler, sizeof handler);
    cpu->deliver_exceptions = true;
    ck_assert_int_eq(cpu_run(cpu, 4), STOP_BUDGET);        /* INT, handler, IRET */
    tvm_expect_exc(EXC_GP, 0, 0x1002);
    ck_assert_uint_eq(cpu->r[R_RBX] & 0xffff, 0x7000 - 10);
    ck_assert_uint_eq(cpu->r[R_RCX] & 0xffff, TVM_DS16);
    ck_assert_int_eq(cpu->cpl, 3);
    ck_assert_uint_eq(cpu->r[R_RSP] & 0xffff, 0x8000);
    ck_assert_uint_eq(tvm_get(0x7000 - 2, 2), 0x63);                   /* old SS */
}
END_TEST

/* ---- 32-bit protected mode: descriptor checks ---- */

struct sreg_case {
    uint64_t desc;       /* put at 0x58 when non-zero */
    uint16_t sel;
    bool ss, user, ldt_unusable;
    int vec;             /* -1: the load succeeds */
    uint32_t err;
};

static const struct sreg_case sreg_cases[] = {
    { 0, 0x1000, false, false, false, EXC_GP, 0x1000 },            /* beyond the GDT limit */
    { 0, TVM_TSS_SEL, false, false, false, EXC_GP, TVM_TSS_SEL },  /* system descriptor */
    { 0x00cf13000000ffffull, 0x58, false, false, false, EXC_NP, 0x58 },   /* not present */
    { 0, TVM_DS32_U, true, false, false, EXC_GP, 0x20 },           /* SS: RPL, DPL != CPL */
    { 0x00cf91000000ffffull, 0x58, true, false, false, EXC_GP, 0x58 },    /* SS read-only */
    { 0x00cf13000000ffffull, 0x58, true, false, false, EXC_SS, 0x58 },    /* SS not present */
    { 0x00cf99000000ffffull, 0x58, false, false, false, EXC_GP, 0x58 },   /* execute-only code */
    { 0, 0, true, false, false, EXC_GP, 0 },                       /* null SS */
    { 0, TVM_DS32, false, true, false, EXC_GP, TVM_DS32 },         /* DPL 0 from CPL 3 */
    { 0, TVM_DS32 | 3, false, true, false, EXC_GP, TVM_DS32 },
    { 0, 0x5c, false, false, true, EXC_GP, 0x5c },                 /* LDT unusable */
    { 0, TVM_CS32, false, false, false, -1, 0 },                   /* readable code: fine */
    { 0x00cf9f000000ffffull, 0x5b, false, true, false, -1, 0 },    /* conforming code from CPL 3 */
    { 0, 0, false, false, false, -1, 0 },                          /* null DS: fine */
};

/* MOV Sreg (SDM Vol.2 MOV): every check and its error code. */
START_TEST(sreg_load_checks)
{
    const struct sreg_case *c = &sreg_cases[_i];
    uint8_t prog[] = {
        0x66, 0xb8, (uint8_t)c->sel, (uint8_t)(c->sel >> 8),  /* mov ax, sel */
        0x8e, c->ss ? 0xd0 : 0xd8,                            /* mov ss/ds, ax */
        0xf4,                                                 /* hlt */
    };
    tvm_prot32(c->user);
    if (c->desc)
        tvm_gdt(0x58, c->desc);
    if (c->ldt_unusable)
        cpu->seg[SEG_LDTR].attr = SEGA_UNUSABLE;
    tvm_code(TVM_CODE, prog, sizeof prog);
    if (c->vec >= 0) {
        tvm_expect_exc(c->vec, c->err, TVM_CODE + 4);
        return;
    }
    if (c->user)
        tvm_expect_exc(EXC_GP, 0, TVM_CODE + 6);   /* HLT at CPL 3 */
    else
        tvm_expect_halt(10);
    ck_assert_uint_eq(cpu->seg[SEG_DS].sel, c->sel);
    ck_assert_int_eq(!!(cpu->seg[SEG_DS].attr & SEGA_UNUSABLE), c->sel == 0);
}
END_TEST

/* Loading a segment sets the accessed bit of its descriptor in memory. */
START_TEST(sreg_load_sets_accessed)
{
    static const uint8_t prog[] = { 0x66, 0xb8, 0x58, 0x00, 0x8e, 0xe0, 0xf4 };  /* mov fs, 0x58; hlt */
    tvm_prot32(false);
    tvm_gdt(0x58, tvm_desc(0x12345000, 0xff, 0x92, 0x4));
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_expect_halt(10);
    ck_assert(tvm_gdt_get(0x58) & (1ull << 40));
    ck_assert_uint_eq(cpu->seg[SEG_FS].base, 0x12345000);
    ck_assert_uint_eq(cpu->seg[SEG_FS].limit, 0xff);
    ck_assert_uint_eq(cpu->seg[SEG_FS].attr, 0x4093);
}
END_TEST

/* A byte-granular 4 KiB data segment: the last dword fits, one more
 * byte is #GP(0). */
START_TEST(data_limit_check)
{
    static const uint8_t prog[] = {
        0x66, 0xb8, 0x60, 0x00,                  /* 10000: mov ax,0x60 */
        0x8e, 0xd8,                              /* 10004: mov ds,eax */
        0xa1, 0xfc, 0x0f, 0x00, 0x00,            /* 10006: mov eax,ds:0xffc */
        0xa1, 0xfd, 0x0f, 0x00, 0x00,            /* 1000b: mov eax,ds:0xffd */
    };
    tvm_prot32(false);
    tvm_gdt(0x60, tvm_desc(0x30000, 0xfff, ACC_DATA, 0x4));
    tvm_put32(0x30ffc, 0xcafef00d);
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_expect_exc(EXC_GP, 0, TVM_CODE + 0xb);
    ck_assert_uint_eq(cpu->r[R_RAX], 0xcafef00d);
}
END_TEST

/* Expand-down data: valid offsets are limit+1 .. 4 GiB-1 (SDM Vol.3A §5.3). */
START_TEST(expand_down_data)
{
    static const uint8_t prog[] = {
        0x66, 0xb8, 0x68, 0x00,                  /* 10000: mov ax,0x68 */
        0x8e, 0xd8,                              /* 10004: mov ds,eax */
        0xa1, 0x00, 0x10, 0x00, 0x00,            /* 10006: mov eax,ds:0x1000 */
        0xa1, 0xfc, 0xff, 0xff, 0xff,            /* 1000b: mov eax,ds:0xfffffffc */
        0xa1, 0xfe, 0x0f, 0x00, 0x00,            /* 10010: mov eax,ds:0xffe */
    };
    tvm_prot32(false);
    tvm_gdt(0x68, tvm_desc(0, 0xfff, 0x97, 0x4));
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_expect_exc(EXC_GP, 0, TVM_CODE + 0x10);
}
END_TEST

/* Expand-down stack: a push below limit+1 is #SS(0), ESP unchanged. */
START_TEST(expand_down_stack)
{
    static const uint8_t prog[] = {
        0x66, 0xb8, 0x70, 0x00,                  /* 10000: mov ax,0x70 */
        0x8e, 0xd0,                              /* 10004: mov ss,eax */
        0xbc, 0x04, 0x80, 0x00, 0x00,            /* 10006: mov esp,0x8004 */
        0x50,                                    /* 1000b: push eax */
        0x50,                                    /* 1000c: push eax */
    };
    tvm_prot32(false);
    tvm_gdt(0x70, tvm_desc(0, 0x7fff, 0x97, 0x4));
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_expect_exc(EXC_SS, 0, TVM_CODE + 0xc);
    ck_assert_uint_eq(cpu->r[R_RSP], 0x8000);
}
END_TEST

/* ---- far transfers ---- */

START_TEST(far_call_same_privilege)
{
    static const uint8_t prog[] = {
        0x9a, 0x00, 0x00, 0x02, 0x00, 0x08, 0x00, /* 10000: call 0x8:0x20000 */
        0x89, 0xc6,                              /* 10007: mov esi,eax */
        0xf4,                                    /* 10009: hlt */
    };
    static const uint8_t target[] = {
        0xb8, 0x11, 0x11, 0x00, 0x00,            /* 20000: mov eax,0x1111 */
        0xcb,                                    /* 20005: retf */
    };
    tvm_prot32(false);
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_code(0x20000, target, sizeof target);
    tvm_expect_halt(10);
    ck_assert_uint_eq(cpu->r[R_RSI], 0x1111);
    ck_assert_uint_eq(cpu->r[R_RSP], TVM_STACK0);
    ck_assert_uint_eq(tvm_get(TVM_STACK0 - 8, 4), TVM_CODE + 7);   /* pushed EIP */
    ck_assert_uint_eq(tvm_get(TVM_STACK0 - 4, 4), TVM_CS32);       /* pushed CS */
}
END_TEST

/* A conforming segment runs at the caller's CPL: CS.RPL = 3. */
START_TEST(far_call_conforming)
{
    static const uint8_t prog[] = {
        0x9a, 0x10, 0x00, 0x02, 0x00, 0x5b, 0x00, /* 10000: call 0x5b:0x20010 */
        0xf4,                                    /* 10007: hlt (#GP at CPL 3) */
    };
    static const uint8_t target[] = {
        0x8c, 0xcb,                              /* 20010: mov ebx,cs */
        0xcb,                                    /* 20012: retf */
    };
    tvm_prot32(true);
    tvm_gdt(0x58, tvm_desc(0, 0xfffff, 0x9f, FLG_32));
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_code(0x20010, target, sizeof target);
    tvm_expect_exc(EXC_GP, 0, TVM_CODE + 7);
    ck_assert_uint_eq(cpu->r[R_RBX], 0x5b);
    ck_assert_int_eq(cpu->cpl, 3);
}
END_TEST

struct far_case {
    uint64_t desc;       /* at 0x58 */
    uint16_t sel;
    bool user;
    int vec;
    uint32_t err;
};

static const struct far_case far_cases[] = {
    { 0, TVM_CS32, true, EXC_GP, TVM_CS32 },                        /* non-conforming DPL 0 from CPL 3 */
    { 0, TVM_CS32 | 3, false, EXC_GP, TVM_CS32 },                   /* RPL > CPL */
    { 0, TVM_DS32, false, EXC_GP, TVM_DS32 },                       /* data segment */
    { 0, 0, false, EXC_GP, 0 },                                     /* null */
    { 0x00cf1b000000ffffull, 0x58, false, EXC_NP, 0x58 },           /* not present */
    { 0x00cfff000000ffffull, 0x58, false, EXC_GP, 0x58 },           /* conforming DPL 3 > CPL 0 */
    { 0x00409b0000000fffull, 0x58, false, EXC_GP, 0 },              /* offset beyond the limit */
};

/* JMP ptr16:32 (SDM Vol.2 JMP, protected mode): the checks and errors. */
START_TEST(far_jmp_checks)
{
    const struct far_case *c = &far_cases[_i];
    uint8_t prog[] = { 0xea, 0x00, 0x00, 0x02, 0x00, (uint8_t)c->sel, (uint8_t)(c->sel >> 8) };
    tvm_prot32(c->user);
    if (c->desc)
        tvm_gdt(0x58, c->desc);
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_expect_exc(c->vec, c->err, TVM_CODE);
    ck_assert_uint_eq(cpu->seg[SEG_CS].sel, c->user ? TVM_CS32_U : TVM_CS32);
}
END_TEST

/* RETF and IRET to CPL 3 load SS:ESP from the stack and null DS/ES whose
 * DPL is below the new CPL. */
START_TEST(return_to_outer_privilege)
{
    static const uint8_t iret_prog[] = {
        0x6a, 0x23,                              /* 10000: push 0x23 */
        0x68, 0x00, 0x00, 0x08, 0x00,            /* 10002: push 0x80000 */
        0x9c,                                    /* 10007: pushf */
        0x6a, 0x1b,                              /* 10008: push 0x1b */
        0x68, 0x00, 0x01, 0x01, 0x00,            /* 1000a: push 0x10100 */
        0xcf,                                    /* 1000f: iret */
    };
    static const uint8_t retf_prog[] = {
        0x6a, 0x23,                              /* 10000: push 0x23 */
        0x68, 0x00, 0x00, 0x08, 0x00,            /* 10002: push 0x80000 */
        0x6a, 0x1b,                              /* 10007: push 0x1b */
        0x68, 0x00, 0x01, 0x01, 0x00,            /* 10009: push 0x10100 */
        0xcb,                                    /* 1000e: retf */
    };
    static const uint8_t user_tail[] = {
        0x8c, 0xd8,                              /* 10100: mov eax,ds */
        0x8c, 0xc3,                              /* 10102: mov ebx,es */
        0xf4,                                    /* 10104: hlt */
    };
    for (int pass = 0; pass < 2; pass++) {
        tvm_prot32(false);
        tvm_seg(SEG_ES, TVM_DS32_U);
        tvm_code(TVM_CODE, pass ? retf_prog : iret_prog, pass ? sizeof retf_prog : sizeof iret_prog);
        tvm_code(0x10100, user_tail, sizeof user_tail);
        cpu->r[R_RAX] = cpu->r[R_RBX] = 0xdead;
        tvm_expect_exc(EXC_GP, 0, 0x10104);
        ck_assert_int_eq(cpu->cpl, 3);
        ck_assert_uint_eq(cpu->seg[SEG_CS].sel, TVM_CS32_U);
        ck_assert_uint_eq(cpu->seg[SEG_SS].sel, TVM_DS32_U);
        ck_assert_uint_eq(cpu->r[R_RSP], 0x80000);
        ck_assert_uint_eq(cpu->r[R_RAX], 0);           /* DS (DPL 0) nulled */
        ck_assert_uint_eq(cpu->r[R_RBX], TVM_DS32_U);  /* ES (DPL 3) kept */
    }
}
END_TEST

/* CALL through a DPL-3 call gate to CPL 0: the TSS stack, one copied
 * parameter, and RETF 4 back to CPL 3 (SDM Vol.3A §5.8.5-5.8.6). */
START_TEST(call_gate_to_inner_privilege)
{
    static const uint8_t prog[] = {
        0x68, 0xcd, 0xab, 0x00, 0x00,            /* 10000: push 0xabcd */
        0x9a, 0x00, 0x00, 0x00, 0x00, 0x7b, 0x00, /* 10005: call 0x7b:0x0 */
        0x89, 0xc6,                              /* 1000c: mov esi,eax */
        0xf4,                                    /* 1000e: hlt */
    };
    static const uint8_t target[] = {
        0x8b, 0x44, 0x24, 0x08,                  /* 20040: mov eax,DWORD PTR [esp+0x8] */
        0x8c, 0xd3,                              /* 20044: mov ebx,ss */
        0x8b, 0x4c, 0x24, 0x0c,                  /* 20046: mov ecx,DWORD PTR [esp+0xc] */
        0xca, 0x04, 0x00,                        /* 2004a: retf 0x4 */
    };
    tvm_prot32(true);
    tvm_gdt(0x78, tvm_gate(TVM_CS32, 0x20040, 0xc, 3) | (1ull << 32));
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_code(0x20040, target, sizeof target);
    tvm_expect_exc(EXC_GP, 0, TVM_CODE + 0xe);
    ck_assert_uint_eq(cpu->r[R_RSI], 0xabcd);
    ck_assert_uint_eq(cpu->r[R_RBX], TVM_DS32);
    ck_assert_uint_eq(cpu->r[R_RCX], TVM_STACK3 - 4);   /* caller's ESP */
    ck_assert_uint_eq(cpu->r[R_RSP], TVM_STACK3);
    ck_assert_uint_eq(tvm_get(TVM_STACK0 - 12, 4), 0xabcd);      /* SS, ESP, param, CS, EIP */
    ck_assert_uint_eq(tvm_get(TVM_STACK0 - 16, 4), TVM_CS32_U);
    /* A gate whose DPL is below CPL: #GP(gate). */
    tvm_prot32(true);
    tvm_gdt(0x78, tvm_gate(TVM_CS32, 0x20040, 0xc, 0));
    tvm_code(TVM_CODE, prog, sizeof prog);
    cpu->r[R_RIP] = TVM_CODE + 5;
    tvm_expect_exc(EXC_GP, 0x78, TVM_CODE + 5);
}
END_TEST

/* The largest gate frame: 31 parameters copied in order. */
START_TEST(call_gate_31_parameters)
{
    static const uint8_t prog[] = {
        0x83, 0xec, 0x7c,                        /* sub esp, 124 */
        0x9a, 0x00, 0x00, 0x00, 0x00, 0x7b, 0x00, /* call 0x7b:0x0 */
        0x89, 0xc6,                              /* mov esi, eax */
        0xf4,                                    /* hlt */
    };
    static const uint8_t target[] = {
        0x8b, 0x44, 0x24, 0x08,                  /* mov eax, [esp+8] */
        0xca, 0x7c, 0x00,                        /* retf 124 */
    };
    uint32_t params[31], copied[31];
    for (unsigned i = 0; i < 31; i++)
        params[i] = 0x01010101u * (i + 1);
    tvm_prot32(true);
    tvm_gdt(0x78, tvm_gate(TVM_CS32, 0x20040, 0xc, 3) | (31ull << 32));
    tvm_put(TVM_STACK3 - sizeof params, params, sizeof params);
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_code(0x20040, target, sizeof target);
    tvm_expect_exc(EXC_GP, 0, TVM_CODE + 12);
    ck_assert_uint_eq(cpu->r[R_RSI], params[0]);
    ck_assert_uint_eq(cpu->r[R_RSP], TVM_STACK3);
    ck_assert(phys_copy_from(&tvm.mem, copied, TVM_STACK0 - 8 - sizeof copied, sizeof copied));
    ck_assert_mem_eq(copied, params, sizeof params);
}
END_TEST

/* ---- interrupts through the IDT ---- */

/* INT n at CPL 0 through an interrupt gate: IF cleared in the handler,
 * IRET restores it and the stack. */
START_TEST(int_same_privilege)
{
    static const uint8_t prog[] = {
        0xfb,                                    /* 10000: sti */
        0xcd, 0x40,                              /* 10001: int 0x40 */
        0x89, 0xde,                              /* 10003: mov esi,ebx */
        0xf4,                                    /* 10005: hlt */
    };
    static const uint8_t handler[] = {
        0x9c,                                    /* 20000: pushf */
        0x5b,                                    /* 20001: pop ebx */
        0xcf,                                    /* 20002: iret */
    };
    tvm_prot32(false);
    tvm_idt32(0x40, TVM_CS32, 0x20000, 0xe, 0);
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_code(0x20000, handler, sizeof handler);
    cpu->deliver_exceptions = true;
    tvm_expect_halt(20);
    ck_assert_uint_eq(cpu->r[R_RSI] & F_IF, 0);
    ck_assert(cpu->rflags & F_IF);
    ck_assert_uint_eq(cpu->r[R_RSP], TVM_STACK0);
    ck_assert_uint_eq(tvm_get(TVM_STACK0 - 12, 4), TVM_CODE + 3);   /* return EIP */
}
END_TEST

/* INT n from CPL 3 to a CPL-0 handler: SS0:ESP0 from the TSS, old SS:ESP
 * pushed; IRET back to CPL 3. A DPL-0 gate is #GP(vector*8+2). */
START_TEST(int_from_user)
{
    static const uint8_t prog[] = {
        0xcd, 0x41,                              /* 10000: int 0x41 */
        0xf4,                                    /* 10002: hlt */
    };
    static const uint8_t handler[] = {
        0x89, 0xe3,                              /* 20010: mov ebx,esp */
        0x8c, 0xd1,                              /* 20012: mov ecx,ss */
        0x8b, 0x54, 0x24, 0x0c,                  /* 20014: mov edx,DWORD PTR [esp+0xc] */
        0x8b, 0x7c, 0x24, 0x10,                  /* 20018: mov edi,DWORD PTR [esp+0x10] */
        0xcf,                                    /* 2001c: iret */
    };
    tvm_prot32(true);
    tvm_idt32(0x41, TVM_CS32, 0x20010, 0xe, 3);
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_code(0x20010, handler, sizeof handler);
    cpu->deliver_exceptions = true;
    ck_assert_int_eq(cpu_run(cpu, 6), STOP_BUDGET);        /* INT, handler, IRET */
    tvm_expect_exc(EXC_GP, 0, TVM_CODE + 2);
    ck_assert_uint_eq(cpu->r[R_RBX], TVM_STACK0 - 20);
    ck_assert_uint_eq(cpu->r[R_RCX], TVM_DS32);
    ck_assert_uint_eq(cpu->r[R_RDX], TVM_STACK3);
    ck_assert_uint_eq(cpu->r[R_RDI], TVM_DS32_U);
    ck_assert_int_eq(cpu->cpl, 3);
    ck_assert_uint_eq(cpu->r[R_RSP], TVM_STACK3);

    tvm_idt32(0x41, TVM_CS32, 0x20010, 0xe, 0);
    cpu->r[R_RIP] = TVM_CODE;
    tvm_expect_exc(EXC_GP, 0x41 * 8 + 2, TVM_CODE);
}
END_TEST

/* A #GP at CPL 3 delivered to a CPL-0 trap gate with its error code; the
 * frame holds EIP of the faulting HLT, CS, EFLAGS, ESP, SS. */
START_TEST(exception_with_error_code)
{
    static const uint8_t prog[] = {
        0xb8, 0x01, 0x00, 0x00, 0x00,            /* 10000: mov eax,0x1 */
        0xf4,                                    /* 10005: hlt */
    };
    static const uint8_t handler[] = {
        0x58,                                    /* 20020: pop eax */
        0xf4,                                    /* 20021: hlt */
    };
    tvm_prot32(true);
    tvm_idt32(EXC_GP, TVM_CS32, 0x20020, 0xf, 0);
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_code(0x20020, handler, sizeof handler);
    cpu->deliver_exceptions = true;
    tvm_expect_halt(20);
    ck_assert_uint_eq(cpu->r[R_RAX], 0);
    uint64_t sp = cpu->r[R_RSP];
    ck_assert_uint_eq(sp, TVM_STACK0 - 20);
    ck_assert_uint_eq(tvm_get(sp, 4), TVM_CODE + 5);
    ck_assert_uint_eq(tvm_get(sp + 4, 4), TVM_CS32_U);
    ck_assert_uint_eq(tvm_get(sp + 12, 4), TVM_STACK3);
    ck_assert_uint_eq(tvm_get(sp + 16, 4), TVM_DS32_U);
    ck_assert_int_eq(cpu->delivering, 0);
}
END_TEST

/* #GP whose gate is not present raises #NP while delivering: two
 * contributory faults make #DF (error code 0). */
START_TEST(double_fault)
{
    static const uint8_t prog[] = { 0x66, 0xb8, 0x00, 0x10, 0x8e, 0xd8 };   /* mov ds, 0x1000 */
    static const uint8_t handler[] = { 0x58, 0xf4 };                         /* pop eax; hlt */
    tvm_prot32(false);
    tvm_put64(TVM_IDT + EXC_GP * 8, tvm_gate(TVM_CS32, 0x20030, 0xe, 0) & ~(1ull << 47));   /* P = 0 */
    tvm_idt32(EXC_DF, TVM_CS32, 0x20030, 0xe, 0);
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_code(0x20030, handler, sizeof handler);
    cpu->deliver_exceptions = true;
    cpu->r[R_RAX] = 0xdead;
    tvm_expect_halt(10);
    ck_assert_uint_eq(cpu->r[R_RAX] & 0xffff, 0);
    ck_assert_uint_eq(tvm_get(cpu->r[R_RSP], 4), TVM_CODE + 4);
}
END_TEST

/* An empty IDT: #UD, then #GP, #DF and shutdown (SDM Vol.3A Table 6-5). */
START_TEST(triple_fault)
{
    static const uint8_t prog[] = { 0x0f, 0x0b };    /* ud2 */
    tvm_prot32(false);
    cpu->idtr.limit = 0;
    tvm_code(TVM_CODE, prog, sizeof prog);
    cpu->deliver_exceptions = true;
    ck_assert_int_eq(cpu_run(cpu, 10), STOP_SHUTDOWN);
    ck_assert_int_eq(cpu->exc.vector, EXC_GP);
    ck_assert_int_eq(cpu->delivering, 0);
}
END_TEST

/* IRET to virtual-8086 mode, then INT n (IOPL 3) from VM86 to a CPL-0
 * handler: ES/DS/FS/GS pushed and nulled (SDM Vol.3A §20.3.1). */
START_TEST(vm86_round_trip)
{
    static const uint8_t enter[] = {
        0x6a, 0x00,                              /* 10000: push 0x0 */
        0x6a, 0x00,                              /* 10002: push 0x0 */
        0x68, 0x00, 0x30, 0x00, 0x00,            /* 10004: push 0x3000 (DS) */
        0x68, 0x00, 0x40, 0x00, 0x00,            /* 10009: push 0x4000 (ES) */
        0x68, 0x00, 0x50, 0x00, 0x00,            /* 1000e: push 0x5000 (SS) */
        0x68, 0x00, 0x60, 0x00, 0x00,            /* 10013: push 0x6000 (ESP) */
        0x68, 0x00, 0x30, 0x02, 0x00,            /* 10018: push 0x23000 (VM, IOPL 3) */
        0x68, 0x00, 0x20, 0x00, 0x00,            /* 1001d: push 0x2000 (CS) */
        0x6a, 0x00,                              /* 10022: push 0x0 (EIP) */
        0xcf,                                    /* 10024: iret */
    };
    static const uint8_t vm86_code[] = {
        0x8c, 0xd8,                              /* 2000:0000: mov ax,ds */
        0x83, 0xc0, 0x01,                        /* 2000:0002: add ax,0x1 */
        0xcd, 0x42,                              /* 2000:0005: int 0x42 */
    };
    static const uint8_t handler[] = {
        0x8b, 0x44, 0x24, 0x18,                  /* 20050: mov eax,DWORD PTR [esp+0x18] */
        0x8c, 0xdb,                              /* 20054: mov ebx,ds */
        0x8b, 0x4c, 0x24, 0x08,                  /* 20056: mov ecx,DWORD PTR [esp+0x8] */
        0xf4,                                    /* 2005a: hlt */
    };
    tvm_prot32(false);
    tvm_idt32(0x42, TVM_CS32, 0x20050, 0xe, 3);
    tvm_code(TVM_CODE, enter, sizeof enter);
    tvm_code(0x20000, vm86_code, sizeof vm86_code);
    tvm_code(0x20050, handler, sizeof handler);
    ck_assert_int_eq(cpu_run(cpu, 11), STOP_BUDGET);   /* through the IRET and MOV AX, DS */
    ck_assert(cpu->rflags & F_VM);
    ck_assert_int_eq(cpu->cpl, 3);
    ck_assert_uint_eq(cpu->seg[SEG_SS].base, 0x50000);
    ck_assert_uint_eq(cpu->r[R_RAX] & 0xffff, 0x3000);
    cpu->deliver_exceptions = true;
    tvm_expect_halt(10);
    ck_assert_uint_eq(cpu->r[R_RAX], 0x3000);      /* DS pushed by the interrupt */
    ck_assert_uint_eq(cpu->r[R_RBX], 0);           /* and nulled */
    ck_assert(cpu->r[R_RCX] & F_VM);               /* pushed EFLAGS */
    ck_assert(!(cpu->rflags & F_VM));
    ck_assert_int_eq(cpu->cpl, 0);
    ck_assert_uint_eq(cpu->r[R_RSP], TVM_STACK0 - 36);
}
END_TEST

/* INT n in VM86 with IOPL < 3 is #GP(0); INT3 is not IOPL-sensitive. */
START_TEST(vm86_iopl_sensitive)
{
    static const uint8_t code[] = { 0xcd, 0x42 };   /* int 0x42 */
    tvm_prot32(false);
    tvm_code(0x20000, code, sizeof code);
    tvm_seg(SEG_CS, TVM_CS32);
    cpu->rflags = 2 | F_VM;
    cpu_update_mode(cpu);
    for (int s = SEG_ES; s <= SEG_GS; s++)
        cpu->seg[s] = (seg_t){ .sel = 0x2000, .base = 0x20000, .limit = 0xffff, .attr = 0xf3 };
    cpu->r[R_RIP] = 0;
    cpu->r[R_RSP] = 0x1000;
    cpu_update_mode(cpu);
    tvm_expect_exc(EXC_GP, 0, 0);
    ck_assert(cpu->rflags & F_VM);
}
END_TEST

static Suite *system_suite(void)
{
    Suite *s = suite_create("system");
    TCase *tc = tcase_create("real");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, real_mode_far_and_ivt);
    tcase_add_test(tc, real_mode_far_jmp_limit);
    tcase_add_test(tc, real_mode_exception_ivt);
    suite_add_tcase(s, tc);

    tc = tcase_create("prot16");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, prot16_mode_switches_and_limit);
    tcase_add_test(tc, prot16_expand_down_stack);
    tcase_add_test(tc, prot16_interrupt_via_16bit_tss);
    suite_add_tcase(s, tc);

    tc = tcase_create("segments");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, sreg_load_checks, 0, (int)(sizeof sreg_cases / sizeof sreg_cases[0]));
    tcase_add_test(tc, sreg_load_sets_accessed);
    tcase_add_test(tc, data_limit_check);
    tcase_add_test(tc, expand_down_data);
    tcase_add_test(tc, expand_down_stack);
    suite_add_tcase(s, tc);

    tc = tcase_create("far");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, far_call_same_privilege);
    tcase_add_test(tc, far_call_conforming);
    tcase_add_loop_test(tc, far_jmp_checks, 0, (int)(sizeof far_cases / sizeof far_cases[0]));
    tcase_add_test(tc, return_to_outer_privilege);
    tcase_add_test(tc, call_gate_to_inner_privilege);
    tcase_add_test(tc, call_gate_31_parameters);
    suite_add_tcase(s, tc);

    tc = tcase_create("interrupts");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, int_same_privilege);
    tcase_add_test(tc, int_from_user);
    tcase_add_test(tc, exception_with_error_code);
    tcase_add_test(tc, double_fault);
    tcase_add_test(tc, triple_fault);
    tcase_add_test(tc, vm86_round_trip);
    tcase_add_test(tc, vm86_iopl_sensitive);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(system_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
