/* IA-32e mode: far transfers between 64-bit and compatibility mode,
 * IRETQ, interrupts through 64-bit gates with the TSS and IST, page
 * faults and #DF, SYSCALL/SYSRET, SYSENTER/SYSEXIT, SWAPGS, null SS,
 * 16-byte LDT/TSS descriptors; and 32-bit hardware task switches (SDM
 * Vol.3A §5.8, ch.6, ch.8). */
#include "testvm.h"

static void setup(void)
{
    tvm_setup();
}

static void teardown(void)
{
    tvm_teardown();
}

/* 64-bit -> compatibility (JMP m16:32) -> 64-bit (JMP ptr16:32) -> JMP m16:64. */
START_TEST(far_jumps_between_modes)
{
    static const uint8_t prog[] = {
        0x48, 0xc7, 0xc0, 0x11, 0x11, 0x00, 0x00, /* 10000: mov rax,0x1111 */
        0xff, 0x2d, 0x00, 0x00, 0x00, 0x00,      /* 10007: jmp FWORD PTR [rip+0x0] */
        0x00, 0x01, 0x01, 0x00, 0x08, 0x00,      /* 1000d: 0x08:0x10100 */
    };
    static const uint8_t compat[] = {
        0xbb, 0x22, 0x22, 0x00, 0x00,            /* 10100: mov ebx,0x2222 */
        0xea, 0x00, 0x02, 0x01, 0x00, 0x28, 0x00, /* 10105: jmp 0x28:0x10200 */
    };
    static const uint8_t back64[] = {
        0xb9, 0x33, 0x33, 0x00, 0x00,            /* 10200: mov ecx,0x3333 */
        0x48, 0xff, 0x2d, 0x00, 0x00, 0x00, 0x00, /* 10205: rex.W jmp FWORD PTR [rip+0x0] */
        0x00, 0x03, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x28, 0x00, /* 1020c: 0x28:0x10300 */
    };
    static const uint8_t tail[] = {
        0x48, 0x8d, 0x15, 0x00, 0x00, 0x00, 0x00, /* 10300: lea rdx,[rip+0x0] */
        0xf4,                                    /* 10307: hlt */
    };
    tvm_long(false, false);
    tvm_code(0x10000, prog, sizeof prog);
    tvm_code(0x10100, compat, sizeof compat);
    tvm_code(0x10200, back64, sizeof back64);
    tvm_code(0x10300, tail, sizeof tail);
    ck_assert_int_eq(cpu_run(cpu, 3), STOP_BUDGET);
    ck_assert_int_eq(cpu->code_mode, CM_32);
    ck_assert_uint_eq(cpu->seg[SEG_CS].sel, TVM_CS32);
    tvm_expect_halt(20);
    ck_assert_uint_eq(cpu->r[R_RAX], 0x1111);
    ck_assert_uint_eq(cpu->r[R_RBX], 0x2222);
    ck_assert_uint_eq(cpu->r[R_RCX], 0x3333);
    ck_assert_uint_eq(cpu->r[R_RDX], 0x10307);
    ck_assert_int_eq(cpu->code_mode, CM_64);
}
END_TEST

/* CALL m16:64 / RETFQ, and CALL m16:32 into compatibility mode / RETF. */
START_TEST(far_calls_64_and_compat)
{
    static const uint8_t prog[] = {
        0x48, 0xff, 0x1d, 0x07, 0x00, 0x00, 0x00, /* 10000: rex.W call FWORD PTR [rip+0x7] */
        0xff, 0x1d, 0x0b, 0x00, 0x00, 0x00,      /* 10007: call FWORD PTR [rip+0xb] */
        0xf4,                                    /* 1000d: hlt */
        0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x28, 0x00, /* 1000e: 0x28:0x10100 */
        0x00, 0x02, 0x01, 0x00, 0x08, 0x00,      /* 10018: 0x08:0x10200 */
    };
    static const uint8_t target64[] = {
        0x48, 0x89, 0xe0,                        /* 10100: mov rax,rsp */
        0x48, 0xcb,                              /* 10103: retfq */
    };
    static const uint8_t target32[] = {
        0x89, 0xe3,                              /* 10200: mov ebx,esp */
        0x8c, 0xc9,                              /* 10202: mov ecx,cs */
        0xcb,                                    /* 10204: retf */
    };
    tvm_long(false, false);
    tvm_code(0x10000, prog, sizeof prog);
    tvm_code(0x10100, target64, sizeof target64);
    tvm_code(0x10200, target32, sizeof target32);
    tvm_expect_halt(20);
    ck_assert_uint_eq(cpu->r[R_RAX], TVM_STACK0 - 16);     /* 8-byte CS and RIP */
    ck_assert_uint_eq(cpu->r[R_RBX], TVM_STACK0 - 8);      /* 4-byte CS and EIP */
    ck_assert_uint_eq(cpu->r[R_RCX], TVM_CS32);
    ck_assert_uint_eq(cpu->r[R_RSP], TVM_STACK0);
    ck_assert_uint_eq(tvm_get(TVM_STACK0 - 8, 4), 0x1000d);
    ck_assert_int_eq(cpu->code_mode, CM_64);
}
END_TEST

/* A 16-byte call gate from CPL 3: RSP0 from the TSS, null SS, SS:RSP
 * and CS:RIP pushed as quadwords; RETFQ back to the outer level. */
START_TEST(call_gate_64)
{
    static const uint8_t prog[] = {
        0xff, 0x1d, 0x06, 0x00, 0x00, 0x00,      /* 10000: call FWORD PTR [rip+0x6] */
        0xf4,                                    /* 10006: hlt */
        0x00, 0x00, 0x00, 0x00, 0x00,            /* 10007: padding */
        0x00, 0x00, 0x00, 0x00, 0x7b, 0x00,      /* 1000c: 0x7b:0 (the gate) */
    };
    static const uint8_t target[] = {
        0x48, 0x89, 0xe3,                        /* 20040: mov rbx,rsp */
        0x48, 0x8b, 0x4c, 0x24, 0x18,            /* 20043: mov rcx,QWORD PTR [rsp+0x18] */
        0x48, 0xcb,                              /* 20048: retfq */
    };
    tvm_long(true, false);
    tvm_gdt(0x78, tvm_gate(TVM_CS64, 0x20040, 0xc, 3));
    tvm_gdt(0x80, 0);                                      /* offset 63:32, type 0 */
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_code(0x20040, target, sizeof target);
    tvm_expect_exc(EXC_GP, 0, TVM_CODE + 6);
    ck_assert_uint_eq(cpu->r[R_RBX], TVM_STACK0 - 32);
    ck_assert_uint_eq(cpu->r[R_RCX], TVM_DS32_U);
    ck_assert_int_eq(cpu->cpl, 3);
    ck_assert_uint_eq(cpu->r[R_RSP], TVM_STACK3);
    ck_assert_uint_eq(cpu->seg[SEG_SS].sel, TVM_DS32_U);
    /* A 16-bit call gate does not exist in IA-32e mode. */
    tvm_gdt(0x78, tvm_gate(TVM_CS64, 0x20040, 0x4, 3));
    cpu->r[R_RIP] = TVM_CODE;
    tvm_expect_exc(EXC_GP, 0x78, TVM_CODE);
}
END_TEST

/* INT n in compatibility mode goes to a 64-bit handler; IRETQ returns to
 * compatibility mode (SS:RSP always popped). */
START_TEST(compat_int_iretq)
{
    static const uint8_t prog[] = {
        0xcd, 0x44,                              /* 10000: int 0x44 */
        0x89, 0xde,                              /* 10002: mov esi,ebx */
        0xf4,                                    /* 10004: hlt */
    };
    static const uint8_t handler[] = {
        0x48, 0x89, 0xe3,                        /* 20010: mov rbx,rsp */
        0x48, 0xcf,                              /* 20013: iretq */
    };
    tvm_long(false, true);
    tvm_idt64(0x44, TVM_CS64, 0x20010, 0xe, 0, 0);
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_code(0x20010, handler, sizeof handler);
    cpu->deliver_exceptions = true;
    tvm_expect_halt(10);
    ck_assert_uint_eq(cpu->r[R_RSI], TVM_STACK0 - 40);
    ck_assert_uint_eq(cpu->r[R_RSP], TVM_STACK0);
    ck_assert_int_eq(cpu->code_mode, CM_32);
    ck_assert_uint_eq(cpu->seg[SEG_SS].sel, TVM_DS32);
}
END_TEST

/* IRETQ to CPL 3 in 64-bit and in compatibility mode. */
START_TEST(iretq_to_user)
{
    static const uint8_t prog[] = {
        0x6a, 0x23,                              /* 10000: push 0x23 */
        0x68, 0x00, 0x00, 0x08, 0x00,            /* 10002: push 0x80000 */
        0x9c,                                    /* 10007: pushf */
        0x6a, 0x33,                              /* 10008: push 0x33 (or 0x1b) */
        0x68, 0x00, 0x01, 0x01, 0x00,            /* 1000a: push 0x10100 */
        0x48, 0xcf,                              /* 1000f: iretq */
    };
    static const uint8_t user[] = { 0xf4 };         /* 10100: hlt */
    for (int compat = 0; compat < 2; compat++) {
        uint8_t p[sizeof prog];
        memcpy(p, prog, sizeof p);
        p[9] = compat ? TVM_CS32_U : TVM_CS64_U;
        tvm_long(false, false);
        tvm_code(TVM_CODE, p, sizeof p);
        tvm_code(0x10100, user, sizeof user);
        tvm_expect_exc(EXC_GP, 0, 0x10100);
        ck_assert_int_eq(cpu->cpl, 3);
        ck_assert_int_eq(cpu->code_mode, compat ? CM_32 : CM_64);
        ck_assert_uint_eq(cpu->seg[SEG_SS].sel, TVM_DS32_U);
        ck_assert_uint_eq(cpu->r[R_RSP], 0x80000);
    }
}
END_TEST

/* INT n from CPL 3: RSP0 from the TSS, SS becomes null (RPL 0), the old
 * SS:RSP pushed; IRETQ returns to CPL 3. */
START_TEST(int_from_user_64)
{
    static const uint8_t prog[] = {
        0xcd, 0x41,                              /* 10000: int 0x41 */
        0xf4,                                    /* 10002: hlt */
    };
    static const uint8_t handler[] = {
        0x8c, 0xd3,                              /* 20010: mov ebx,ss */
        0x48, 0x89, 0xe1,                        /* 20012: mov rcx,rsp */
        0x48, 0x8b, 0x54, 0x24, 0x20,            /* 20015: mov rdx,QWORD PTR [rsp+0x20] */
        0x48, 0xcf,                              /* 2001a: iretq */
    };
    tvm_long(true, false);
    tvm_idt64(0x41, TVM_CS64, 0x20010, 0xe, 3, 0);
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_code(0x20010, handler, sizeof handler);
    cpu->r[R_RBX] = 0xdead;
    cpu->deliver_exceptions = true;
    ck_assert_int_eq(cpu_run(cpu, 5), STOP_BUDGET);        /* INT, handler, IRETQ */
    tvm_expect_exc(EXC_GP, 0, TVM_CODE + 2);
    ck_assert_uint_eq(cpu->r[R_RBX], 0);
    ck_assert_uint_eq(cpu->r[R_RCX], TVM_STACK0 - 40);
    ck_assert_uint_eq(cpu->r[R_RDX], TVM_DS32_U);
    ck_assert_int_eq(cpu->cpl, 3);
    ck_assert_uint_eq(cpu->r[R_RSP], TVM_STACK3);
}
END_TEST

/* With delivery left to the caller, INT3/INTO/INT1/INT n stop like
 * traps (RIP past the instruction) once the gate checks pass; a DPL-0
 * gate still makes INT n #GP(vector*8+2) at the instruction. */
START_TEST(soft_interrupts_stop_as_traps)
{
    static const uint8_t prog[] = {
        0xcc,                                    /* 10000: int3 */
        0xf1,                                    /* 10001: int1 (no DPL check) */
        0xcd, 0x80,                              /* 10002: int 0x80 (DPL 0) */
    };
    tvm_long(true, false);
    for (unsigned v = 0; v < 256; v++)
        tvm_idt64(v, TVM_CS64, 0x20000, 0xe, v == EXC_BP || v == EXC_OF ? 3 : 0, 0);
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_expect_exc(EXC_BP, 0, TVM_CODE + 1);
    tvm_expect_exc(EXC_DB, 0, TVM_CODE + 2);
    tvm_expect_exc(EXC_GP, 0x80 * 8 + 2, TVM_CODE + 2);
    ck_assert_int_eq(cpu->cpl, 3);
    ck_assert_uint_eq(cpu->r[R_RSP], TVM_STACK3);
    /* INTO in compatibility mode with OF set. */
    tvm_long(true, true);
    tvm_code(TVM_CODE, (const uint8_t[]){ 0xce }, 1);
    cpu->rflags |= F_OF;
    tvm_expect_exc(EXC_OF, 0, TVM_CODE + 1);
}
END_TEST

/* The IST switches stacks even without a privilege change; RSP is
 * aligned to 16 bytes first (SDM Vol.3A §6.14.2, §6.14.5). */
START_TEST(ist_and_alignment)
{
    static const uint8_t prog[] = {
        0x48, 0x83, 0xec, 0x08,                  /* 10000: sub rsp,0x8 */
        0xcd, 0x42,                              /* 10004: int 0x42 */
        0x48, 0x89, 0xde,                        /* 10006: mov rsi,rbx */
        0xf4,                                    /* 10009: hlt */
    };
    static const uint8_t handler[] = {
        0x48, 0x89, 0xe3,                        /* 20030: mov rbx,rsp */
        0x48, 0xcf,                              /* 20033: iretq */
    };
    for (unsigned ist = 0; ist < 2; ist++) {
        tvm_long(false, false);
        tvm_idt64(0x42, TVM_CS64, 0x20030, 0xe, 0, ist);
        tvm_code(TVM_CODE, prog, sizeof prog);
        tvm_code(0x20030, handler, sizeof handler);
        cpu->deliver_exceptions = true;
        tvm_expect_halt(10);
        ck_assert_uint_eq(cpu->r[R_RSI], ist ? 0x60000 - 40 : TVM_STACK0 - 16 - 40);
        ck_assert_uint_eq(cpu->r[R_RSP], TVM_STACK0 - 8);
    }
}
END_TEST

/* #GP in compatibility mode at CPL 3, delivered to a 64-bit handler. */
START_TEST(exception_from_compat)
{
    static const uint8_t prog[] = { 0xf4 };                 /* hlt */
    static const uint8_t handler[] = {
        0x58,                                    /* 20050: pop rax */
        0x0f, 0x20, 0xd3,                        /* 20051: mov rbx,cr2 */
        0xf4,                                    /* 20054: hlt */
    };
    tvm_long(true, true);
    tvm_idt64(EXC_GP, TVM_CS64, 0x20050, 0xe, 0, 0);
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_code(0x20050, handler, sizeof handler);
    cpu->deliver_exceptions = true;
    cpu->r[R_RAX] = 0xdead;
    tvm_expect_halt(10);
    uint64_t sp = cpu->r[R_RSP];
    ck_assert_uint_eq(cpu->r[R_RAX], 0);
    ck_assert_uint_eq(tvm_get(sp, 8), TVM_CODE);
    ck_assert_uint_eq(tvm_get(sp + 8, 8), TVM_CS32_U);
    ck_assert_uint_eq(tvm_get(sp + 24, 8), TVM_STACK3);
    ck_assert_uint_eq(tvm_get(sp + 32, 8), TVM_DS32_U);
    ck_assert_int_eq(cpu->code_mode, CM_64);
}
END_TEST

/* #PF: CR2 and the error code; a #PF while delivering a #PF is #DF,
 * here through IST 1 because RSP0 is unmapped. */
START_TEST(page_fault_and_double_fault)
{
    static const uint8_t prog[] = {
        0x48, 0xc7, 0xc0, 0x00, 0x10, 0x00, 0x40, /* 10000: mov rax,0x40001000 */
        0x48, 0x8b, 0x18,                        /* 10007: mov rbx,QWORD PTR [rax] */
    };
    static const uint8_t handler[] = {
        0x58,                                    /* 20050: pop rax */
        0x0f, 0x20, 0xd3,                        /* 20051: mov rbx,cr2 */
        0xf4,                                    /* 20054: hlt */
    };
    tvm_long(true, false);
    tvm_idt64(EXC_PF, TVM_CS64, 0x20050, 0xe, 0, 0);
    tvm_idt64(EXC_DF, TVM_CS64, 0x20050, 0xe, 0, 1);
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_code(0x20050, handler, sizeof handler);
    cpu->deliver_exceptions = true;
    tvm_expect_halt(10);
    ck_assert_uint_eq(cpu->r[R_RAX], PFE_U);               /* not present, read, user */
    ck_assert_uint_eq(cpu->r[R_RBX], 0x40001000);
    ck_assert_uint_eq(tvm_get(cpu->r[R_RSP], 8), TVM_CODE + 7);

    tvm_long(true, false);
    tvm_put64(TVM_TSS + 4, 0x80000000);                    /* RSP0 - 8 unmapped */
    cpu->deliver_exceptions = true;
    tvm_expect_halt(10);
    ck_assert_uint_eq(cpu->r[R_RAX], 0);                   /* #DF error code */
    ck_assert_uint_eq(cpu->r[R_RBX], 0x80000000 - 8);      /* CR2 of the second #PF */
    ck_assert_uint_eq(cpu->r[R_RSP], 0x60000 - 40);
}
END_TEST

/* SYSCALL from CPL 3 (SFMASK clears IF) and SYSRETQ back. */
START_TEST(syscall_sysret)
{
    static const uint8_t prog[] = {
        0x90,                                    /* 10000: nop */
        0x0f, 0x05,                              /* 10001: syscall */
        0x48, 0x89, 0xc6,                        /* 10003: mov rsi,rax */
        0xf4,                                    /* 10006: hlt */
    };
    static const uint8_t handler[] = {
        0x9c,                                    /* 20070: pushf */
        0x58,                                    /* 20071: pop rax */
        0x48, 0x89, 0xcb,                        /* 20072: mov rbx,rcx */
        0x4c, 0x89, 0xda,                        /* 20075: mov rdx,r11 */
        0x48, 0x0f, 0x07,                        /* 20078: sysretq */
    };
    tvm_long(true, false);
    cpu->star = (0x18ull << 48) | (0x08ull << 32);
    cpu->lstar = 0x20070;
    cpu->sfmask = F_IF;
    cpu->rflags |= F_IF;
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_code(0x20070, handler, sizeof handler);
    tvm_expect_exc(EXC_GP, 0, TVM_CODE + 6);
    ck_assert_uint_eq(cpu->r[R_RSI] & F_IF, 0);
    ck_assert_uint_eq(cpu->r[R_RBX], TVM_CODE + 3);
    ck_assert(cpu->r[R_RDX] & F_IF);
    ck_assert(cpu->rflags & F_IF);
    ck_assert_uint_eq(cpu->seg[SEG_CS].sel, 0x2b);
    ck_assert_uint_eq(cpu->seg[SEG_SS].sel, 0x23);
    ck_assert_int_eq(cpu->cpl, 3);
    ck_assert_int_eq(cpu->code_mode, CM_64);
    /* Without EFER.SCE, SYSCALL is #UD. */
    cpu->efer &= ~(uint64_t)EFER_SCE;
    cpu->r[R_RIP] = TVM_CODE + 1;
    tvm_expect_exc(EXC_UD, 0, TVM_CODE + 1);
}
END_TEST

/* SYSRET without REX.W returns to compatibility mode at STAR[63:48]. */
START_TEST(sysret_to_compat)
{
    static const uint8_t prog[] = { 0x0f, 0x05, 0xf4 };   /* syscall; hlt */
    static const uint8_t handler[] = {
        0x48, 0x89, 0xcb,                        /* mov rbx,rcx */
        0x0f, 0x07,                              /* sysret */
    };
    tvm_long(true, false);
    cpu->star = (0x18ull << 48) | (0x08ull << 32);
    cpu->lstar = 0x20070;
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_code(0x20070, handler, sizeof handler);
    tvm_expect_exc(EXC_GP, 0, TVM_CODE + 2);
    ck_assert_uint_eq(cpu->seg[SEG_CS].sel, TVM_CS32_U);
    ck_assert_int_eq(cpu->code_mode, CM_32);
    /* SYSRET at CPL 3 is #GP(0). */
    tvm_code(TVM_CODE, handler + 3, 2);
    tvm_long(true, false);
    tvm_expect_exc(EXC_GP, 0, TVM_CODE);
}
END_TEST

/* SYSENTER/SYSEXIT in 32-bit protected mode (SDM Vol.2 SYSENTER). */
START_TEST(sysenter_sysexit)
{
    static const uint8_t prog[] = {
        0x89, 0xe1,                              /* 10000: mov ecx,esp */
        0xba, 0x00, 0x01, 0x01, 0x00,            /* 10002: mov edx,0x10100 */
        0x0f, 0x34,                              /* 10007: sysenter */
    };
    static const uint8_t handler[] = {
        0x89, 0xe3,                              /* 20090: mov ebx,esp */
        0x8c, 0xce,                              /* 20092: mov esi,cs */
        0x0f, 0x35,                              /* 20094: sysexit */
    };
    tvm_prot32(true);
    cpu->sysenter_cs = TVM_CS32;
    cpu->sysenter_esp = 0x6f000;
    cpu->sysenter_eip = 0x20090;
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_code(0x20090, handler, sizeof handler);
    tvm_code(0x10100, (const uint8_t[]){ 0xf4 }, 1);
    tvm_expect_exc(EXC_GP, 0, 0x10100);
    ck_assert_uint_eq(cpu->r[R_RBX], 0x6f000);
    ck_assert_uint_eq(cpu->r[R_RSI], TVM_CS32);
    ck_assert_uint_eq(cpu->seg[SEG_CS].sel, TVM_CS32_U);
    ck_assert_uint_eq(cpu->seg[SEG_SS].sel, TVM_DS32_U);
    ck_assert_uint_eq(cpu->r[R_RSP], TVM_STACK3);
    /* SYSENTER_CS = 0: #GP(0). */
    cpu->sysenter_cs = 0;
    cpu->r[R_RIP] = TVM_CODE + 7;
    tvm_expect_exc(EXC_GP, 0, TVM_CODE + 7);
}
END_TEST

/* SWAPGS exchanges GS.base and KERNEL_GS_BASE; #UD outside 64-bit mode. */
START_TEST(swapgs)
{
    static const uint8_t prog[] = {
        0x0f, 0x01, 0xf8,                        /* 10000: swapgs */
        0xb9, 0x01, 0x01, 0x00, 0xc0,            /* 10003: mov ecx,0xc0000101 */
        0x0f, 0x32,                              /* 10008: rdmsr */
        0x89, 0xc3,                              /* 1000a: mov ebx,eax */
        0xb9, 0x02, 0x01, 0x00, 0xc0,            /* 1000c: mov ecx,0xc0000102 */
        0x0f, 0x32,                              /* 10011: rdmsr */
        0x65, 0x48, 0x8b, 0x34, 0x25, 0x00, 0x00, 0x00, 0x00, /* 10013: mov rsi,QWORD PTR gs:0x0 */
        0xf4,                                    /* 1001c: hlt */
    };
    tvm_long(false, false);
    cpu->seg[SEG_GS].base = cpu->seg_lin_base[SEG_GS] = 0x30000;
    cpu->kernel_gs_base = 0x30100;
    tvm_put64(0x30100, 0xfeedface);
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_expect_halt(10);
    ck_assert_uint_eq(cpu->r[R_RBX], 0x30100);
    ck_assert_uint_eq(cpu->r[R_RAX], 0x30000);
    ck_assert_uint_eq(cpu->r[R_RSI], 0xfeedface);
    tvm_long(false, true);
    tvm_expect_exc(EXC_UD, 0, TVM_CODE);
    tvm_long(true, false);
    tvm_expect_exc(EXC_GP, 0, TVM_CODE);
}
END_TEST

/* A null SS is allowed in 64-bit mode at CPL < 3 only. */
START_TEST(null_ss)
{
    static const uint8_t prog[] = {
        0x31, 0xc0,                              /* 10000: xor eax,eax */
        0x8e, 0xd0,                              /* 10002: mov ss,eax */
        0x6a, 0x05,                              /* 10004: push 0x5 */
        0x5b,                                    /* 10006: pop rbx */
        0xf4,                                    /* 10007: hlt */
    };
    tvm_long(false, false);
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_expect_halt(10);
    ck_assert_uint_eq(cpu->r[R_RBX], 5);
    ck_assert(cpu->seg[SEG_SS].attr & SEGA_UNUSABLE);
    ck_assert_int_eq(cpu->cpl, 0);
    tvm_long(true, false);
    tvm_expect_exc(EXC_GP, 0, TVM_CODE + 2);
    tvm_long(false, true);                                  /* compatibility mode */
    tvm_expect_exc(EXC_GP, 0, TVM_CODE + 2);
}
END_TEST

/* LTR and LLDT read 16-byte descriptors with a 64-bit base. */
START_TEST(ltr_lldt_16_byte)
{
    static const uint8_t prog[] = {
        0x66, 0xb8, 0x58, 0x00,                  /* 10000: mov ax,0x58 */
        0x0f, 0x00, 0xd8,                        /* 10004: ltr ax */
        0x66, 0xb8, 0x68, 0x00,                  /* 10007: mov ax,0x68 */
        0x0f, 0x00, 0xd0,                        /* 1000b: lldt ax */
        0xf4,                                    /* 1000e: hlt */
    };
    tvm_long(false, false);
    tvm_gdt(0x58, tvm_desc(0x3000, 0x67, ACC_TSS32, 0));
    tvm_gdt(0x60, 0x1);                                     /* base 63:32 = 1 */
    tvm_gdt(0x68, tvm_desc(0x4000, 0xfff, ACC_LDT, 0));
    tvm_gdt(0x70, 0xffffffffull);                           /* base 63:32 = ~0 */
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_expect_halt(10);
    ck_assert_uint_eq(cpu->seg[SEG_TR].base, 0x100003000ull);
    ck_assert_uint_eq(cpu->seg[SEG_TR].attr & 0xf, 0xb);    /* busy */
    ck_assert(tvm_gdt_get(0x58) & (2ull << 40));
    ck_assert_uint_eq(cpu->seg[SEG_LDTR].base, 0xffffffff00004000ull);
    /* A busy TSS cannot be loaded again. */
    tvm_long(false, false);
    tvm_expect_exc(EXC_GP, 0x58, TVM_CODE + 4);
}
END_TEST

/* CALL to a TSS switches tasks (back link, NT, busy bits, CR0.TS); IRET
 * with NT returns (SDM Vol.3A §8.3, §8.4). */
START_TEST(task_switch_call_iret)
{
    static const uint8_t prog[] = {
        0x9a, 0x00, 0x00, 0x00, 0x00, 0x58, 0x00, /* 10000: call 0x58:0x0 */
        0x8b, 0x1d, 0x00, 0x00, 0x03, 0x00,      /* 10007: mov ebx,DWORD PTR ds:0x30000 */
        0xf4,                                    /* 1000d: hlt */
    };
    static const uint8_t task[] = {
        0xc7, 0x05, 0x00, 0x00, 0x03, 0x00, 0x77, 0x00, 0x00, 0x00, /* 20100: mov DWORD PTR ds:0x30000,0x77 */
        0x9c,                                    /* 2010a: pushf */
        0x58,                                    /* 2010b: pop eax */
        0xa3, 0x04, 0x00, 0x03, 0x00,            /* 2010c: mov ds:0x30004,eax */
        0x66, 0x0f, 0x00, 0xc9,                  /* 20111: str cx */
        0x66, 0x89, 0x0d, 0x08, 0x00, 0x03, 0x00, /* 20115: mov WORD PTR ds:0x30008,cx */
        0xcf,                                    /* 2011c: iret */
    };
    const uint32_t tss = 0x5100;
    tvm_prot32(false);
    tvm_gdt(TVM_TSS_SEL, tvm_gdt_get(TVM_TSS_SEL) | (2ull << 40));   /* current TSS busy */
    tvm_gdt(0x58, tvm_desc(tss, 0x67, ACC_TSS32, 0));
    tvm_put32(tss + 0x20, 0x20100);                        /* EIP */
    tvm_put32(tss + 0x24, 2);                              /* EFLAGS */
    tvm_put32(tss + 0x38, 0x68000);                        /* ESP */
    tvm_put32(tss + 0x4c, TVM_CS32);
    for (unsigned s = 0; s < 6; s++)
        if (s != 1)
            tvm_put32(tss + 0x48 + 4 * s, TVM_DS32);
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_code(0x20100, task, sizeof task);
    cpu->r[R_RAX] = 0x1234;
    tvm_expect_halt(20);
    ck_assert_uint_eq(cpu->r[R_RBX], 0x77);
    ck_assert(tvm_get(0x30004, 4) & F_NT);                 /* nested task */
    ck_assert_uint_eq(tvm_get(0x30008, 2), 0x58);
    ck_assert_uint_eq(tvm_get(tss, 2), TVM_TSS_SEL);       /* back link */
    ck_assert_uint_eq(cpu->seg[SEG_TR].sel, TVM_TSS_SEL);
    ck_assert_uint_eq(cpu->r[R_RAX], 0x1234);              /* restored from the old TSS */
    ck_assert(!(tvm_gdt_get(0x58) & (2ull << 40)));        /* IRET cleared the busy bit */
    ck_assert(cpu->cr0 & CR0_TS);
    ck_assert(!(cpu->rflags & F_NT));
    ck_assert_uint_eq(tvm_get(TVM_TSS + 0x20, 4), TVM_CODE + 7);   /* saved EIP */
    /* The T bit: #DB before the task's next instruction, which is after
     * its IRET (saved in its TSS by the first switch back). */
    tvm_put16(tss + 0x64, 1);
    cpu->r[R_RIP] = TVM_CODE;
    cpu->halted = false;
    tvm_expect_exc(EXC_DB, 0, 0x20100 + sizeof task);
    ck_assert(cpu->dr[6] & (1u << 15));
    ck_assert_uint_eq(cpu->seg[SEG_TR].sel, 0x58);
    tvm_gdt(0x58, tvm_gdt_get(0x58) & ~(2ull << 40));
    tvm_seg(SEG_TR, TVM_TSS_SEL);
    cpu->seg[SEG_TR].attr |= 2;
    tvm_gdt(TVM_TSS_SEL, tvm_gdt_get(TVM_TSS_SEL) | (2ull << 40));
    /* JMP to a busy TSS: #GP(selector). */
    static const uint8_t jmp_busy[] = { 0xea, 0x00, 0x00, 0x00, 0x00, 0x48, 0x00 };
    tvm_code(TVM_CODE, jmp_busy, sizeof jmp_busy);
    cpu->r[R_RIP] = TVM_CODE;
    cpu->halted = false;
    tvm_expect_exc(EXC_GP, TVM_TSS_SEL, TVM_CODE);
}
END_TEST

static Suite *long_suite(void)
{
    Suite *s = suite_create("sys_long");
    TCase *tc = tcase_create("transfers");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, far_jumps_between_modes);
    tcase_add_test(tc, far_calls_64_and_compat);
    tcase_add_test(tc, iretq_to_user);
    tcase_add_test(tc, call_gate_64);
    tcase_add_test(tc, compat_int_iretq);
    suite_add_tcase(s, tc);

    tc = tcase_create("events");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, int_from_user_64);
    tcase_add_test(tc, ist_and_alignment);
    tcase_add_test(tc, soft_interrupts_stop_as_traps);
    tcase_add_test(tc, exception_from_compat);
    tcase_add_test(tc, page_fault_and_double_fault);
    suite_add_tcase(s, tc);

    tc = tcase_create("fast_calls");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, syscall_sysret);
    tcase_add_test(tc, sysret_to_compat);
    tcase_add_test(tc, sysenter_sysexit);
    tcase_add_test(tc, swapgs);
    tcase_add_test(tc, null_ss);
    suite_add_tcase(s, tc);

    tc = tcase_create("tasks");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, ltr_lldt_16_byte);
    tcase_add_test(tc, task_switch_call_iret);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(long_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
