/* Privileged and system-register instructions: #GP(0) at CPL 3 and in
 * VM86, UMIP, CR4.TSD, IOPL and the TSS I/O bitmap, MOV CR/DR checks and
 * TLB flushes, the real -> protected -> long mode switch, MSRs, LAR/LSL/
 * VERR/VERW/ARPL, BOUND, LSS/LFS (SDM Vol.2; Vol.3A ch.2, 4, 5). */
#include "testvm.h"

static void setup(void)
{
    tvm_setup();
}

static void teardown(void)
{
    tvm_teardown();
}

/* ---- CPL 3 ---- */

struct priv_case {
    uint8_t code[8];
    unsigned len;
};

static const struct priv_case priv_cases[] = {
    { { 0xf4 }, 1 },                                        /* hlt */
    { { 0x0f, 0x06 }, 2 },                                  /* clts */
    { { 0x0f, 0x22, 0xc0 }, 3 },                            /* mov cr0, eax */
    { { 0x0f, 0x20, 0xc0 }, 3 },                            /* mov eax, cr0 */
    { { 0x0f, 0x22, 0xd8 }, 3 },                            /* mov cr3, eax */
    { { 0x0f, 0x23, 0xf8 }, 3 },                            /* mov dr7, eax */
    { { 0x0f, 0x21, 0xf8 }, 3 },                            /* mov eax, dr7 */
    { { 0x0f, 0x01, 0x15, 0x00, 0x00, 0x03, 0x00 }, 7 },    /* lgdt [0x30000] */
    { { 0x0f, 0x01, 0x1d, 0x00, 0x00, 0x03, 0x00 }, 7 },    /* lidt [0x30000] */
    { { 0x0f, 0x00, 0xd0 }, 3 },                            /* lldt ax */
    { { 0x0f, 0x00, 0xd8 }, 3 },                            /* ltr ax */
    { { 0x0f, 0x01, 0x38 }, 3 },                            /* invlpg [eax] */
    { { 0x0f, 0x08 }, 2 },                                  /* invd */
    { { 0x0f, 0x09 }, 2 },                                  /* wbinvd */
    { { 0x0f, 0x32 }, 2 },                                  /* rdmsr */
    { { 0x0f, 0x30 }, 2 },                                  /* wrmsr */
    { { 0x0f, 0x01, 0xf0 }, 3 },                            /* lmsw ax */
    { { 0x0f, 0x33 }, 2 },                                  /* rdpmc */
    { { 0x0f, 0x35 }, 2 },                                  /* sysexit */
    { { 0xfa }, 1 },                                        /* cli (IOPL 0) */
    { { 0xfb }, 1 },                                        /* sti (IOPL 0) */
    { { 0xe4, 0x80 }, 2 },                                  /* in al, 0x80 (bitmap denies) */
};

/* Every privileged instruction at CPL 3 is #GP(0), before any effect. */
START_TEST(privileged_at_cpl3)
{
    const struct priv_case *c = &priv_cases[_i];
    tvm_prot32(true);
    tvm_put(TVM_TSS + 0x68 + 0x80 / 8, "\x01", 1);     /* deny port 0x80 */
    tvm_code(TVM_CODE, c->code, c->len);
    cpu->r[R_RAX] = 0x18;
    tvm_expect_exc(EXC_GP, 0, TVM_CODE);
    ck_assert_int_eq(cpu->cpl, 3);
    ck_assert_uint_eq(cpu->cr0, CR0_PE | CR0_ET | CR0_NE);
}
END_TEST

/* CLAC and STAC are #UD, not #GP, at CPL 3 (SDM Vol.2 CLAC; the host
 * agrees in the differential tester). */
START_TEST(clac_stac_ud_at_cpl3)
{
    static const uint8_t code[2][3] = { { 0x0f, 0x01, 0xca }, { 0x0f, 0x01, 0xcb } };
    for (int i = 0; i < 2; i++) {
        tvm_prot32(true);
        tvm_code(TVM_CODE, code[i], 3);
        ck_assert_int_eq(cpu_run(cpu, 10), STOP_EXCEPTION);
        ck_assert_int_eq(cpu->exc.vector, EXC_UD);
        ck_assert_uint_eq(cpu->r[R_RIP], TVM_CODE);
    }
}
END_TEST

/* The same instructions in virtual-8086 mode (CPL 3): #GP(0); the
 * protected-mode-only LLDT/LTR/LAR are #UD there. */
START_TEST(privileged_in_vm86)
{
    static const uint8_t hlt[] = { 0xf4 };
    static const uint8_t mov_cr0[] = { 0x0f, 0x22, 0xc0 };
    static const uint8_t lldt[] = { 0x0f, 0x00, 0xd0 };
    static const uint8_t lar[] = { 0x0f, 0x02, 0xc0 };
    const struct { const uint8_t *code; size_t n; int vec; } cases[] = {
        { hlt, 1, EXC_GP }, { mov_cr0, 3, EXC_GP }, { lldt, 3, EXC_UD }, { lar, 3, EXC_UD },
    };
    for (unsigned i = 0; i < 4; i++) {
        tvm_prot32(false);
        cpu->rflags = 2 | F_VM | F_IOPL;
        for (int s = SEG_ES; s <= SEG_GS; s++)
            cpu->seg[s] = (seg_t){ .sel = 0x2000, .base = 0x20000, .limit = 0xffff, .attr = 0xf3 };
        cpu->r[R_RIP] = 0;
        cpu_update_mode(cpu);
        tvm_code(0x20000, cases[i].code, cases[i].n);
        tvm_expect_exc(cases[i].vec, 0, 0);
    }
}
END_TEST

/* CR4.UMIP: SGDT/SIDT/SLDT/STR/SMSW are #GP(0) at CPL 3; without it they work. */
START_TEST(umip)
{
    static const uint8_t sgdt[] = { 0x0f, 0x01, 0x05, 0x00, 0x00, 0x03, 0x00, 0xf4 };  /* sgdt [0x30000]; hlt */
    static const uint8_t others[][7] = {
        { 0x0f, 0x01, 0x0d, 0x00, 0x00, 0x03, 0x00 },   /* sidt [0x30000] */
        { 0x0f, 0x00, 0x05, 0x00, 0x00, 0x03, 0x00 },   /* sldt [0x30000] */
        { 0x0f, 0x00, 0x0d, 0x00, 0x00, 0x03, 0x00 },   /* str [0x30000] */
        { 0x0f, 0x01, 0x25, 0x00, 0x00, 0x03, 0x00 },   /* smsw [0x30000] */
    };
    tvm_prot32(true);
    tvm_code(TVM_CODE, sgdt, sizeof sgdt);
    tvm_expect_exc(EXC_GP, 0, TVM_CODE + 7);            /* the HLT after it */
    ck_assert_uint_eq(tvm_get(0x30000, 2), 0xfff);
    ck_assert_uint_eq(tvm_get(0x30002, 4), TVM_GDT);
    cpu->cr4 |= CR4_UMIP;
    cpu->r[R_RIP] = TVM_CODE;
    tvm_expect_exc(EXC_GP, 0, TVM_CODE);
    for (unsigned i = 0; i < 4; i++) {
        tvm_code(TVM_CODE, others[i], 7);
        cpu->r[R_RIP] = TVM_CODE;
        tvm_expect_exc(EXC_GP, 0, TVM_CODE);
    }
    /* STR at CPL 0 stores TR. */
    tvm_prot32(false);
    cpu->cr4 |= CR4_UMIP;
    tvm_code(TVM_CODE, others[2], 7);
    tvm_code(TVM_CODE + 7, (const uint8_t[]){ 0xf4 }, 1);
    tvm_expect_halt(5);
    ck_assert_uint_eq(tvm_get(0x30000, 2), TVM_TSS_SEL);
}
END_TEST

/* CR4.TSD: RDTSC and RDTSCP are #GP(0) at CPL 3. */
START_TEST(tsd)
{
    static const uint8_t rdtsc[] = { 0x0f, 0x31, 0x0f, 0x01, 0xf9, 0xf4 };
    tvm_prot32(true);
    tvm_code(TVM_CODE, rdtsc, sizeof rdtsc);
    tvm_expect_exc(EXC_GP, 0, TVM_CODE + 5);           /* both ran; HLT faults */
    cpu->cr4 |= CR4_TSD;
    cpu->r[R_RIP] = TVM_CODE;
    tvm_expect_exc(EXC_GP, 0, TVM_CODE);
    cpu->r[R_RIP] = TVM_CODE + 2;
    tvm_expect_exc(EXC_GP, 0, TVM_CODE + 2);
}
END_TEST

/* CLI/STI at CPL 3 follow IOPL. */
START_TEST(cli_sti_iopl)
{
    static const uint8_t prog[] = { 0xfa, 0xf4 };      /* cli; hlt */
    tvm_prot32(true);
    cpu->rflags |= F_IF | F_IOPL;
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_expect_exc(EXC_GP, 0, TVM_CODE + 1);
    ck_assert(!(cpu->rflags & F_IF));
}
END_TEST

/* ---- port I/O ---- */

static struct {
    unsigned reads, writes;
    uint16_t last_port;
    uint32_t last_val;
} pio_log;

static bool test_pio(void *opaque, uint16_t port, unsigned size, bool write, uint32_t *val)
{
    (void)opaque;
    (void)size;
    pio_log.last_port = port;
    if (write) {
        pio_log.writes++;
        pio_log.last_val = *val;
    } else {
        pio_log.reads++;
        *val = 0x42;
    }
    return port != 0x99;
}

/* At CPL 3 with IOPL 0 the I/O bitmap decides, bit by bit for every byte
 * of the access (SDM Vol.1 §19.5.2). */
START_TEST(io_bitmap)
{
    static const uint8_t prog[] = {
        0xe4, 0x81,                              /* 10000: in al,0x81 */
        0x88, 0xc3,                              /* 10002: mov bl,al */
        0xb0, 0x5a,                              /* 10004: mov al,0x5a */
        0xe6, 0x7e,                              /* 10006: out 0x7e,al */
        0x66, 0xba, 0x7f, 0x00,                  /* 10008: mov dx,0x7f */
        0x66, 0xef,                              /* 1000c: out dx,ax */
    };
    memset(&pio_log, 0, sizeof pio_log);
    tvm.pio = test_pio;
    tvm_prot32(true);
    tvm_put(TVM_TSS + 0x68 + 0x80 / 8, "\x01", 1);     /* deny port 0x80 */
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_expect_exc(EXC_GP, 0, TVM_CODE + 0xc);
    ck_assert_uint_eq(cpu->r[R_RBX] & 0xff, 0x42);
    ck_assert_uint_eq(pio_log.reads, 1);
    ck_assert_uint_eq(pio_log.writes, 1);
    ck_assert_uint_eq(pio_log.last_port, 0x7e);
    ck_assert_uint_eq(pio_log.last_val, 0x5a);
    /* A port whose bitmap byte lies beyond the TSS limit is denied. */
    cpu->seg[SEG_TR].limit = 0x68 + 0x10;
    cpu->r[R_RIP] = TVM_CODE;
    tvm_expect_exc(EXC_GP, 0, TVM_CODE);
    /* With IOPL 3 the bitmap is not consulted; an unclaimed port reads ~0. */
    cpu->rflags |= F_IOPL;
    cpu->r[R_RIP] = TVM_CODE + 8;
    cpu->r[R_RAX] = 0x1234;
    tvm_code(TVM_CODE + 0xe, (const uint8_t[]){ 0xe5, 0x99, 0xf4 }, 3);   /* in eax, 0x99; hlt */
    tvm_expect_exc(EXC_GP, 0, TVM_CODE + 0x10);
    ck_assert_uint_eq(pio_log.last_port, 0x99);
    ck_assert_uint_eq(cpu->r[R_RAX], 0xffffffff);
}
END_TEST

/* VM86 ignores IOPL for IN/OUT: the bitmap alone decides. */
START_TEST(io_vm86_bitmap)
{
    static const uint8_t code[] = { 0xe4, 0x81, 0xe4, 0x80 };   /* in al,0x81; in al,0x80 */
    tvm.pio = test_pio;
    tvm_prot32(false);
    tvm_put(TVM_TSS + 0x68 + 0x80 / 8, "\x01", 1);
    cpu->rflags = 2 | F_VM | F_IOPL;
    for (int s = SEG_ES; s <= SEG_GS; s++)
        cpu->seg[s] = (seg_t){ .sel = 0x2000, .base = 0x20000, .limit = 0xffff, .attr = 0xf3 };
    cpu->r[R_RIP] = 0;
    cpu_update_mode(cpu);
    tvm_code(0x20000, code, sizeof code);
    tvm_expect_exc(EXC_GP, 0, 2);
}
END_TEST

/* ---- control and debug registers ---- */

struct cr_case {
    bool lm;             /* start in 64-bit mode */
    uint8_t cr;          /* 0, 3, 4, 8 */
    uint64_t value;
    bool ok;
};

static const struct cr_case cr_cases[] = {
    { false, 0, CR0_PG | CR0_ET, false },                        /* PG without PE */
    { false, 0, CR0_PE | CR0_NW, false },                        /* NW without CD */
    { false, 0, CR0_PE | CR0_CD | CR0_NW | CR0_ET | CR0_NE, true },
    { false, 4, CR4_VMXE, true },                                /* VMX is reported (src/vmx) */
    { false, 4, CR4_PCIDE, false },
    { false, 4, CR4_FSGSBASE, false },
    { false, 4, CR4_OSFXSR | CR4_UMIP | CR4_SMEP | CR4_SMAP | CR4_TSD | CR4_OSXSAVE, true },
    { true, 4, CR4_OSFXSR, false },                              /* PAE cleared in IA-32e */
    { true, 3, 1ull << 50, false },                              /* beyond MAXPHYADDR */
    { true, 3, TVM_PML4 | 0x8, true },                          /* same tables, PWT */
    { true, 0, CR0_PE | CR0_ET | CR0_NE, false },                /* PG cleared in 64-bit mode */
    { true, 8, 16, false },
    { true, 8, 15, true },
};

/* MOV to CR0/CR3/CR4/CR8 reserved-bit and consistency checks. */
START_TEST(mov_cr_checks)
{
    const struct cr_case *c = &cr_cases[_i];
    /* mov rax, imm64 (REX.W only in 64-bit mode); mov crN, rax; hlt */
    uint8_t prog[16];
    unsigned n = 0, mov_at = (c->lm ? 9u : 5u) + (c->lm ? 1u : 0u);
    if (c->lm)
        prog[n++] = 0x48;
    prog[n++] = 0xb8;
    memcpy(prog + n, &c->value, c->lm ? 8 : 4);
    n += c->lm ? 8 : 4;
    if (c->cr == 8)
        prog[n++] = 0x44;                                        /* REX.R */
    prog[n++] = 0x0f;
    prog[n++] = 0x22;
    prog[n++] = (uint8_t)(0xc0 | (c->cr & 7) << 3);
    prog[n++] = 0xf4;
    if (c->lm)
        tvm_long(false, false);
    else
        tvm_prot32(false);
    tvm_code(TVM_CODE, prog, n);
    if (!c->ok) {
        tvm_expect_exc(EXC_GP, 0, TVM_CODE + mov_at);
        return;
    }
    tvm_expect_halt(10);
    uint64_t got = c->cr == 0 ? cpu->cr0 : c->cr == 3 ? cpu->cr3 : c->cr == 4 ? cpu->cr4 : cpu->cr8;
    ck_assert_uint_eq(got, c->value);
}
END_TEST

/* MOV CR ignores ModRM.mod: 0F 20 05 is "mov ebp, cr0", 3 bytes long. */
START_TEST(mov_cr_mod_ignored)
{
    static const uint8_t prog[] = { 0x0f, 0x20, 0x05, 0xf4 };
    tvm_prot32(false);
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_expect_halt(5);
    ck_assert_uint_eq(cpu->r[R_RBP], cpu->cr0);
    ck_assert_uint_eq(cpu->r[R_RIP], TVM_CODE + 4);
}
END_TEST

/* DR6/DR7 fixed bits; DR7.GD turns the next MOV DR into #DB with DR6.BD. */
START_TEST(debug_registers)
{
    static const uint8_t prog[] = {
        0x31, 0xc0,                              /* xor eax, eax */
        0x0f, 0x23, 0xf0,                        /* mov dr6, eax */
        0x0f, 0x23, 0xf8,                        /* mov dr7, eax */
        0x0f, 0x21, 0xe3,                        /* mov ebx, dr4 (alias of dr6) */
        0xb8, 0x00, 0x20, 0x00, 0x00,            /* mov eax, 0x2000 (GD) */
        0x0f, 0x23, 0xf8,                        /* mov dr7, eax */
        0x0f, 0x21, 0xc1,                        /* mov ecx, dr0 */
    };
    tvm_prot32(false);
    tvm_code(TVM_CODE, prog, sizeof prog);
    cpu->deliver_exceptions = false;
    ck_assert_int_eq(cpu_run(cpu, 20), STOP_EXCEPTION);
    ck_assert_int_eq(cpu->exc.vector, EXC_DB);
    ck_assert_uint_eq(cpu->r[R_RIP], TVM_CODE + 19);
    ck_assert_uint_eq(cpu->r[R_RBX], 0xffff0ff0);
    ck_assert_uint_eq(cpu->dr[6], 0xffff0ff0 | 0x2000);
    ck_assert_uint_eq(cpu->dr[7], 0x400);
}
END_TEST

/* Real mode -> protected mode -> IA-32e: LGDT, CR0.PE, far JMP, CR4.PAE,
 * CR3, EFER.LME via WRMSR, CR0.PG activates LMA (SDM Vol.3A §10.8.5). */
START_TEST(real_to_long_mode)
{
    static const uint8_t to16[] = {
        0xfa,                                    /* 0000: cli */
        0x0f, 0x01, 0x16, 0x00, 0x02,            /* 0001: lgdtw ds:0x200 */
        0x0f, 0x20, 0xc0,                        /* 0006: mov eax,cr0 */
        0x0c, 0x01,                              /* 0009: or al,0x1 */
        0x0f, 0x22, 0xc0,                        /* 000b: mov cr0,eax */
        0x66, 0xea, 0x40, 0x00, 0x01, 0x00, 0x08, 0x00, /* 000e: jmp 0x8:0x10040 */
    };
    static const uint8_t to32[] = {
        0x66, 0xb8, 0x10, 0x00,                  /* 10040: mov ax,0x10 */
        0x8e, 0xd8,                              /* 10044: mov ds,eax */
        0x8e, 0xd0,                              /* 10046: mov ss,eax */
        0x8e, 0xc0,                              /* 10048: mov es,eax */
        0xbc, 0x00, 0x00, 0x07, 0x00,            /* 1004a: mov esp,0x70000 */
        0x0f, 0x20, 0xe0,                        /* 1004f: mov eax,cr4 */
        0x83, 0xc8, 0x20,                        /* 10052: or eax,0x20 */
        0x0f, 0x22, 0xe0,                        /* 10055: mov cr4,eax */
        0xb8, 0x00, 0x60, 0x00, 0x00,            /* 10058: mov eax,0x6000 */
        0x0f, 0x22, 0xd8,                        /* 1005d: mov cr3,eax */
        0xb9, 0x80, 0x00, 0x00, 0xc0,            /* 10060: mov ecx,0xc0000080 */
        0x0f, 0x32,                              /* 10065: rdmsr */
        0x0d, 0x00, 0x01, 0x00, 0x00,            /* 10067: or eax,0x100 */
        0x0f, 0x30,                              /* 1006c: wrmsr */
        0x0f, 0x20, 0xc0,                        /* 1006e: mov eax,cr0 */
        0x0d, 0x00, 0x00, 0x00, 0x80,            /* 10071: or eax,0x80000000 */
        0x0f, 0x22, 0xc0,                        /* 10076: mov cr0,eax */
        0xea, 0x00, 0x01, 0x01, 0x00, 0x28, 0x00, /* 10079: jmp 0x28:0x10100 */
    };
    static const uint8_t to64[] = {
        0x48, 0xb8, 0xf0, 0xde, 0xbc, 0x9a, 0x78, 0x56, 0x34, 0x12, /* 10100: movabs rax,0x123456789abcdef0 */
        0x50,                                    /* 1010a: push rax */
        0x5b,                                    /* 1010b: pop rbx */
        0xf4,                                    /* 1010c: hlt */
    };
    tvm_long(false, false);                      /* GDT and page tables */
    cpu_reset(cpu);
    tvm_code(0x10000, to16, sizeof to16);
    tvm_code(0x10040, to32, sizeof to32);
    tvm_code(0x10100, to64, sizeof to64);
    tvm_put16(0x10200, 0xfff);
    tvm_put32(0x10202, TVM_GDT);
    tvm_real(0x1000, 0);
    cpu->seg[SEG_DS].sel = 0x1000;
    cpu->seg[SEG_DS].base = 0x10000;
    tvm_expect_halt(100);
    ck_assert_int_eq(cpu->code_mode, CM_64);
    ck_assert(cpu->efer & EFER_LMA);
    ck_assert_uint_eq(cpu->r[R_RBX], 0x123456789abcdef0ull);
    ck_assert_uint_eq(cpu->r[R_RSP], TVM_STACK0);
    ck_assert_uint_eq(cpu->seg[SEG_CS].sel, TVM_CS64);
    /* Leaving: clearing PG in 64-bit mode is refused. */
}
END_TEST

/* INVLPG drops a stale translation (SDM Vol.3A §4.10.4.1). */
START_TEST(invlpg_flushes)
{
    static const uint8_t prog[] = {
        0x8b, 0x04, 0x25, 0x00, 0x00, 0x40, 0x00, /* mov eax,DWORD PTR ds:0x400000 */
        0xc7, 0x06, 0x87, 0x00, 0x60, 0x00,      /* mov DWORD PTR [rsi],0x600087 */
        0x8b, 0x1c, 0x25, 0x00, 0x00, 0x40, 0x00, /* mov ebx,DWORD PTR ds:0x400000 */
        0x0f, 0x01, 0x3c, 0x25, 0x00, 0x00, 0x40, 0x00, /* invlpg BYTE PTR ds:0x400000 */
        0x8b, 0x0c, 0x25, 0x00, 0x00, 0x40, 0x00, /* mov ecx,DWORD PTR ds:0x400000 */
        0xf4,                                    /* hlt */
    };
    tvm_long(false, false);
    tvm_put32(0x400000, 0x11111111);
    tvm_put32(0x600000, 0x22222222);
    tvm_code(TVM_CODE, prog, sizeof prog);
    cpu->r[R_RSI] = TVM_PML4 + 0x2000 + 2 * 8;            /* PDE of 0x400000 */
    tvm_expect_halt(10);
    ck_assert_uint_eq(cpu->r[R_RAX], 0x11111111);
    ck_assert_uint_eq(cpu->r[R_RCX], 0x22222222);
}
END_TEST

/* MOV CR3 drops non-global translations and keeps global ones; clearing
 * CR4.PGE drops those too. */
START_TEST(cr3_keeps_global)
{
    static const uint8_t prog[] = {
        0x8b, 0x04, 0x25, 0x00, 0x00, 0x40, 0x00, /* mov eax,DWORD PTR ds:0x400000 (global) */
        0x8b, 0x14, 0x25, 0x00, 0x10, 0x80, 0x00, /* mov edx,DWORD PTR ds:0x801000 */
        0xc7, 0x06, 0x87, 0x00, 0x60, 0x00,      /* mov DWORD PTR [rsi],0x600087 */
        0xc7, 0x46, 0x10, 0x87, 0x00, 0x60, 0x00, /* mov DWORD PTR [rsi+0x10],0x600087 */
        0x0f, 0x20, 0xdf,                        /* mov rdi,cr3 */
        0x0f, 0x22, 0xdf,                        /* mov cr3,rdi */
        0x8b, 0x1c, 0x25, 0x00, 0x00, 0x40, 0x00, /* mov ebx,DWORD PTR ds:0x400000 */
        0x8b, 0x2c, 0x25, 0x00, 0x10, 0x80, 0x00, /* mov ebp,DWORD PTR ds:0x801000 */
        0x0f, 0x20, 0xe7,                        /* mov rdi,cr4 */
        0x81, 0xe7, 0x7f, 0xff, 0xff, 0xff,      /* and edi,0xffffff7f (PGE) */
        0x0f, 0x22, 0xe7,                        /* mov cr4,rdi */
        0x8b, 0x0c, 0x25, 0x00, 0x00, 0x40, 0x00, /* mov ecx,DWORD PTR ds:0x400000 */
        0xf4,                                    /* hlt */
    };
    tvm_long(false, false);
    cpu->cr4 |= CR4_PGE;
    tvm_put64(TVM_PML4 + 0x2000 + 2 * 8, 0x400000 | 0x187);   /* global 2 MiB page */
    tvm_put32(0x400000, 0x11111111);
    tvm_put32(0x600000, 0x22222222);
    tvm_put32(0x801000, 0x33333333);       /* TLB sets differ from 0x400000's */
    tvm_put32(0x601000, 0x44444444);
    tvm_code(TVM_CODE, prog, sizeof prog);
    cpu->r[R_RSI] = TVM_PML4 + 0x2000 + 2 * 8;
    tvm_expect_halt(20);
    ck_assert_uint_eq(cpu->r[R_RAX], 0x11111111);
    ck_assert_uint_eq(cpu->r[R_RDX], 0x33333333);
    ck_assert_uint_eq(cpu->r[R_RBX], 0x11111111);      /* global: still cached */
    ck_assert_uint_eq(cpu->r[R_RBP], 0x44444444);      /* non-global: re-walked */
    ck_assert_uint_eq(cpu->r[R_RCX], 0x22222222);      /* PGE toggled: flushed */
}
END_TEST

/* PAE paging: MOV CR3 checks the PDPTEs it loads (SDM Vol.3A §4.4.1). */
START_TEST(pae_pdpte_check)
{
    static const uint8_t prog[] = { 0x0f, 0x22, 0xd8, 0xf4 };   /* mov cr3, eax; hlt */
    tvm_prot32(false);
    cpu->cr4 |= CR4_PAE;
    tvm_put64(0x9000, 0xa000 | 1);
    tvm_put64(0x9008, 0xb000 | 1 | 2);                  /* R/W is reserved in a PDPTE */
    tvm_put64(0x9100, 0xa000 | 1);
    cpu->cr3 = 0x9100;
    cpu->cr0 |= CR0_PG;
    cpu_update_mode(cpu);
    tvm_put64(0xa000, 0x87);                            /* 2 MiB identity page at 0 */
    tvm_code(TVM_CODE, prog, sizeof prog);
    cpu->r[R_RAX] = 0x9000;
    tvm_expect_exc(EXC_GP, 0, TVM_CODE);
    ck_assert_uint_eq(cpu->cr3, 0x9100);
    cpu->r[R_RAX] = 0x9100;
    tvm_expect_halt(5);
    ck_assert_uint_eq(cpu->cr3, 0x9100);
}
END_TEST

/* ---- MSRs ---- */

enum { RD = 1, WR = 2 };

struct msr_case {
    uint32_t index;
    unsigned ops;        /* WR: write value; RD: read back */
    uint64_t value;
    bool gp;             /* the first operation faults */
    uint64_t expect;     /* value read back */
};

static const struct msr_case msr_cases[] = {
    { 0xc0000081, WR | RD, 0x0023001000080000ull, false, 0x0023001000080000ull },   /* STAR */
    { 0xc0000082, WR | RD, 0xffffffff81000000ull, false, 0xffffffff81000000ull },   /* LSTAR */
    { 0xc0000082, WR, 0x0000800000000000ull, true, 0 },                            /* non-canonical */
    { 0xc0000080, WR, 2, true, 0 },                                                /* EFER bit 1 */
    { 0xc0000084, WR, 1ull << 32, true, 0 },                                       /* SFMASK high */
    { 0xc0000103, WR, 1ull << 32, true, 0 },                                       /* TSC_AUX high */
    { 0xc0000100, WR | RD, 0x7fff12345000ull, false, 0x7fff12345000ull },          /* FS_BASE */
    { 0x277, WR, 0x0007040600070402ull, true, 0 },                                 /* PAT type 2 */
    { 0x277, WR | RD, 0x0007010600070406ull, false, 0x0007010600070406ull },
    { 0x12345, RD, 0, true, 0 },                                                   /* unknown */
    { 0x12345, WR, 0, true, 0 },
    { 0x1a0, RD, 0, false, 0x41801 },                                              /* MISC_ENABLE */
    { 0x1a0, WR | RD, 0x41800, false, 0x41800 },                                   /* fast strings off */
    { 0x1a0, WR | RD, 0x1801, false, 0x1801 },                                     /* MONITOR FSM off */
    { 0x1a0, WR, 0x441801, true, 0 },                                              /* limit CPUID */
    { 0xfe, RD, 0, false, 0x508 },                                                 /* MTRRcap */
    { 0xfe, WR, 0x508, true, 0 },
    { 0x2ff, WR | RD, 0xc06, false, 0xc06 },                                       /* MTRRdefType */
    { 0x2ff, WR, 0x2, true, 0 },
    { 0x201, WR, 0x800, false, 0 },                                                /* PHYSMASK0 valid */
    { 0x201, WR, 0x801, true, 0 },
    { 0x48, WR | RD, 5, false, 5 },                                                /* SPEC_CTRL */
    { 0x48, WR, 8, true, 0 },
    { 0x49, RD, 0, true, 0 },                                                      /* PRED_CMD: write-only */
    { 0x49, WR, 1, false, 0 },
    { 0x10a, RD, 0, false, 0x179 },                                                /* ARCH_CAPABILITIES */
    { 0x10a, WR, 0, true, 0 },
    { 0x1b, RD, 0, false, 0xfee00900 },                                            /* APIC_BASE (BSP, enabled) */
    { 0x176, WR, 0x0000800000000000ull, true, 0 },                                 /* SYSENTER_EIP */
};

/* WRMSR then RDMSR (SDM Vol.4 ch.2): values, read-only MSRs, reserved bits. */
START_TEST(msr_access)
{
    const struct msr_case *c = &msr_cases[_i];
    uint8_t prog[32];
    unsigned n = 0, first = 0;
    prog[n++] = 0xb9;                                   /* mov ecx, index */
    memcpy(prog + n, &c->index, 4);
    n += 4;
    if (c->ops & WR) {
        uint32_t lo = (uint32_t)c->value, hi = (uint32_t)(c->value >> 32);
        prog[n++] = 0xb8;                               /* mov eax, lo */
        memcpy(prog + n, &lo, 4);
        n += 4;
        prog[n++] = 0xba;                               /* mov edx, hi */
        memcpy(prog + n, &hi, 4);
        n += 4;
        first = n;
        prog[n++] = 0x0f;
        prog[n++] = 0x30;                               /* wrmsr */
    } else {
        first = n;
    }
    if (c->ops & RD) {
        prog[n++] = 0x0f;
        prog[n++] = 0x32;                               /* rdmsr */
    }
    prog[n++] = 0xf4;
    tvm_prot32(false);
    tvm_code(TVM_CODE, prog, n);
    if (c->gp) {
        tvm_expect_exc(EXC_GP, 0, TVM_CODE + first);
        return;
    }
    tvm_expect_halt(10);
    if (c->ops & RD) {
        uint64_t v = (uint32_t)cpu->r[R_RAX] | (cpu->r[R_RDX] << 32);
        ck_assert_uint_eq(v, c->expect);
    }
}
END_TEST

/* EFER.LME cannot change while paging is on; NXE can. */
START_TEST(efer_lme_locked_by_paging)
{
    static const uint8_t prog[] = {
        0xb9, 0x80, 0x00, 0x00, 0xc0,            /* mov ecx, 0xc0000080 */
        0x0f, 0x32,                              /* rdmsr */
        0x35, 0x00, 0x08, 0x00, 0x00,            /* xor eax, 0x800 (NXE) */
        0x0f, 0x30,                              /* wrmsr */
        0x35, 0x00, 0x01, 0x00, 0x00,            /* xor eax, 0x100 (LME) */
        0x0f, 0x30,                              /* wrmsr */
    };
    tvm_long(false, true);
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_expect_exc(EXC_GP, 0, TVM_CODE + 19);
    ck_assert(!(cpu->efer & EFER_NXE));
    ck_assert(cpu->efer & EFER_LME);
}
END_TEST

/* ---- selector instructions ---- */

/* LAR/LSL/VERR/VERW and ARPL on data, code, TSS and invalid selectors. */
START_TEST(lar_lsl_verr_verw_arpl)
{
    static const uint8_t prog[] = {
        0x66, 0xb8, 0x10, 0x00,                  /* 10000: mov ax,0x10 */
        0x0f, 0x02, 0xd8,                        /* 10004: lar ebx,eax */
        0x0f, 0x03, 0xc8,                        /* 10007: lsl ecx,eax */
        0x0f, 0x00, 0xe0,                        /* 1000a: verr ax */
        0x0f, 0x94, 0xc2,                        /* 1000d: sete dl */
        0x0f, 0x00, 0xe8,                        /* 10010: verw ax */
        0x0f, 0x94, 0xc6,                        /* 10013: sete dh */
        0x66, 0xb8, 0x08, 0x00,                  /* 10016: mov ax,0x8 */
        0x0f, 0x00, 0xe8,                        /* 1001a: verw ax (code: not writable) */
        0x0f, 0x95, 0x05, 0x00, 0x00, 0x03, 0x00, /* 1001d: setne BYTE PTR ds:0x30000 */
        0x66, 0xb8, 0x48, 0x00,                  /* 10024: mov ax,0x48 */
        0x0f, 0x02, 0xf0,                        /* 10028: lar esi,eax (busy TSS) */
        0xbf, 0x77, 0x00, 0x00, 0x00,            /* 1002b: mov edi,0x77 */
        0x66, 0xb8, 0x00, 0x10,                  /* 10030: mov ax,0x1000 */
        0x0f, 0x02, 0xf8,                        /* 10034: lar edi,eax (beyond the GDT) */
        0x0f, 0x95, 0x05, 0x01, 0x00, 0x03, 0x00, /* 10037: setne BYTE PTR ds:0x30001 */
        0x66, 0xb8, 0x10, 0x00,                  /* 1003e: mov ax,0x10 */
        0x66, 0xbd, 0x23, 0x00,                  /* 10042: mov bp,0x23 */
        0x63, 0xe8,                              /* 10046: arpl ax,bp */
        0x0f, 0x94, 0x05, 0x02, 0x00, 0x03, 0x00, /* 10048: sete BYTE PTR ds:0x30002 */
        0xf4,                                    /* 1004f: hlt */
    };
    tvm_prot32(false);
    tvm_gdt(TVM_TSS_SEL, tvm_gdt_get(TVM_TSS_SEL) | (2ull << 40));
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_expect_halt(30);
    ck_assert_uint_eq(cpu->r[R_RBX], 0x00c09300);
    ck_assert_uint_eq(cpu->r[R_RCX], 0xffffffff);
    ck_assert_uint_eq(cpu->r[R_RDX] & 0xffff, 0x0101);
    ck_assert_uint_eq(tvm_get(0x30000, 1), 1);
    ck_assert_uint_eq(cpu->r[R_RSI], 0x00008b00);
    ck_assert_uint_eq(cpu->r[R_RDI], 0x77);
    ck_assert_uint_eq(tvm_get(0x30001, 1), 1);
    ck_assert_uint_eq(cpu->r[R_RAX] & 0xffff, 0x13);
    ck_assert_uint_eq(tvm_get(0x30002, 1), 1);
}
END_TEST

/* VERR of a DPL-0 segment from CPL 3 clears ZF. */
START_TEST(verr_privilege)
{
    static const uint8_t prog[] = {
        0x66, 0xb8, 0x10, 0x00,                  /* mov ax,0x10 */
        0x0f, 0x00, 0xe0,                        /* verr ax */
        0x0f, 0x94, 0xc3,                        /* sete bl */
        0x66, 0xb8, 0x23, 0x00,                  /* mov ax,0x23 */
        0x0f, 0x00, 0xe0,                        /* verr ax */
        0x0f, 0x94, 0xc7,                        /* sete bh */
        0xf4,                                    /* hlt */
    };
    tvm_prot32(true);
    tvm_code(TVM_CODE, prog, sizeof prog);
    cpu->r[R_RBX] = 0xffff;
    tvm_expect_exc(EXC_GP, 0, TVM_CODE + sizeof prog - 1);
    ck_assert_uint_eq(cpu->r[R_RBX] & 0xffff, 0x0100);
}
END_TEST

/* BOUND: in range continues, out of range is #BR (a fault). */
START_TEST(bound)
{
    static const uint8_t prog[] = {
        0xb8, 0x05, 0x00, 0x00, 0x00,            /* mov eax,0x5 */
        0x62, 0x05, 0x10, 0x00, 0x03, 0x00,      /* bound eax,QWORD PTR ds:0x30010 */
        0xb8, 0x0b, 0x00, 0x00, 0x00,            /* mov eax,0xb */
        0x62, 0x05, 0x10, 0x00, 0x03, 0x00,      /* bound eax,QWORD PTR ds:0x30010 */
    };
    tvm_prot32(false);
    tvm_put32(0x30010, (uint32_t)-3);
    tvm_put32(0x30014, 10);
    tvm_code(TVM_CODE, prog, sizeof prog);
    cpu->deliver_exceptions = false;
    ck_assert_int_eq(cpu_run(cpu, 10), STOP_EXCEPTION);
    ck_assert_int_eq(cpu->exc.vector, EXC_BR);
    ck_assert_uint_eq(cpu->r[R_RIP], TVM_CODE + 0x10);
}
END_TEST

/* LSS and LFS load the selector with its checks, then the offset. */
START_TEST(lss_lfs)
{
    static const uint8_t prog[] = {
        0x0f, 0xb2, 0x25, 0x20, 0x00, 0x03, 0x00, /* lss esp,FWORD PTR ds:0x30020 */
        0x0f, 0xb4, 0x1d, 0x30, 0x00, 0x03, 0x00, /* lfs ebx,FWORD PTR ds:0x30030 */
        0xf4,                                    /* hlt */
    };
    tvm_prot32(false);
    tvm_put32(0x30020, 0x6ff0);
    tvm_put16(0x30024, TVM_DS32);
    tvm_put32(0x30030, 0x1234);
    tvm_put16(0x30034, TVM_DS32_U);               /* DPL 3 data from CPL 0: fine */
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_expect_halt(10);
    ck_assert_uint_eq(cpu->r[R_RSP], 0x6ff0);
    ck_assert_uint_eq(cpu->r[R_RBX], 0x1234);
    ck_assert_uint_eq(cpu->seg[SEG_FS].sel, TVM_DS32_U);
    /* LSS with a DPL-3 selector faults and leaves ESP alone. */
    tvm_put16(0x30024, TVM_DS32_U);
    cpu->r[R_RIP] = TVM_CODE;
    cpu->halted = false;
    tvm_expect_exc(EXC_GP, TVM_DS32_U & ~3u, TVM_CODE);
    ck_assert_uint_eq(cpu->r[R_RSP], 0x6ff0);
}
END_TEST

/* XSETBV/XGETBV: #UD without CR4.OSXSAVE; XCR0 must keep x87. */
START_TEST(xsetbv)
{
    static const uint8_t prog[] = {
        0x31, 0xc9,                              /* xor ecx, ecx */
        0x31, 0xd2,                              /* xor edx, edx */
        0xb8, 0x03, 0x00, 0x00, 0x00,            /* mov eax, 3 */
        0x0f, 0x01, 0xd1,                        /* xsetbv */
        0x31, 0xc0,                              /* xor eax, eax */
        0x0f, 0x01, 0xd0,                        /* xgetbv */
        0x89, 0xc3,                              /* mov ebx, eax */
        0xb8, 0x02, 0x00, 0x00, 0x00,            /* mov eax, 2 */
        0x0f, 0x01, 0xd1,                        /* xsetbv */
    };
    tvm_prot32(false);
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_expect_exc(EXC_UD, 0, TVM_CODE + 9);
    cpu->cr4 |= CR4_OSXSAVE;
    cpu_update_mode(cpu);
    cpu->r[R_RIP] = TVM_CODE;
    tvm_expect_exc(EXC_GP, 0, TVM_CODE + 24);
    ck_assert_uint_eq(cpu->r[R_RBX], 3);
    ck_assert_uint_eq(cpu->xcr0, 3);
}
END_TEST

static Suite *priv_suite(void)
{
    Suite *s = suite_create("sys_priv");
    TCase *tc = tcase_create("cpl");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, privileged_at_cpl3, 0, (int)(sizeof priv_cases / sizeof priv_cases[0]));
    tcase_add_test(tc, clac_stac_ud_at_cpl3);
    tcase_add_test(tc, privileged_in_vm86);
    tcase_add_test(tc, umip);
    tcase_add_test(tc, tsd);
    tcase_add_test(tc, cli_sti_iopl);
    tcase_add_test(tc, io_bitmap);
    tcase_add_test(tc, io_vm86_bitmap);
    suite_add_tcase(s, tc);

    tc = tcase_create("registers");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, mov_cr_checks, 0, (int)(sizeof cr_cases / sizeof cr_cases[0]));
    tcase_add_test(tc, mov_cr_mod_ignored);
    tcase_add_test(tc, debug_registers);
    tcase_add_test(tc, real_to_long_mode);
    tcase_add_test(tc, invlpg_flushes);
    tcase_add_test(tc, cr3_keeps_global);
    tcase_add_test(tc, pae_pdpte_check);
    tcase_add_loop_test(tc, msr_access, 0, (int)(sizeof msr_cases / sizeof msr_cases[0]));
    tcase_add_test(tc, efer_lme_locked_by_paging);
    tcase_add_test(tc, xsetbv);
    suite_add_tcase(s, tc);

    tc = tcase_create("selectors");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, lar_lsl_verr_verw_arpl);
    tcase_add_test(tc, verr_privilege);
    tcase_add_test(tc, bound);
    tcase_add_test(tc, lss_lfs);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(priv_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
