/* The tagged TLB with PCIDs (SDM Vol.3A §4.10): CR4.PCIDE's checks, MOV
 * CR3 with and without the no-flush bit, the four INVPCID types and their
 * faults. A changed PDE without an invalidation may keep being used
 * (§4.10.4.3); the tests rely on that only to see which translations an
 * operation dropped and which it kept. */
#include "testvm.h"

#define LIN 0x40000000ull             /* PDPT entry 1 -> PD1 */
#define LIN2 (LIN + 0x200000)         /* a global page */
#define PD1 0xa000u
#define FRAME_A 0x200000u
#define FRAME_B 0x400000u
#define LIN2_OFF 0x400000u            /* LIN2 maps FRAME_A/B + this */
#define DESC TVM_DATA                 /* INVPCID descriptor */
#define NOFLUSH (1ull << 63)

static void setup(void)
{
    tvm_setup();
    tvm_long(false, false);
    tvm_put64(TVM_PML4 + 0x1000 + 8, PD1 | 7);
    tvm_put64(FRAME_A, 0xaaaa);
    tvm_put64(FRAME_B, 0xbbbb);
    tvm_put64(FRAME_A + LIN2_OFF, 0xaaaa);     /* LIN2's frames */
    tvm_put64(FRAME_B + LIN2_OFF, 0xbbbb);
}

/* Both test pages onto the frames of A or B, invalidating nothing. */
static void map(uint32_t frame_lin, uint32_t frame_lin2)
{
    tvm_put64(PD1, frame_lin | 0x83);
    tvm_put64(PD1 + 8, (frame_lin2 + LIN2_OFF) | 0x183);   /* G */
}

static void pcids_on(uint64_t pcid)
{
    cpu->cr4 |= CR4_PCIDE | CR4_PGE;
    cpu->cr3 = TVM_PML4 | pcid;
    cpu_update_mode(cpu);
}

static void run_from_start(void)
{
    cpu->r[R_RIP] = TVM_CODE;
    cpu->halted = false;
    tvm_expect_halt(100);
}

/* mov rbx, [LIN]; mov rdx, [LIN2]; hlt */
static const uint8_t read_both[] = { 0x48, 0x8b, 0x1c, 0x25, 0x00, 0x00, 0x00, 0x40,
                                     0x48, 0x8b, 0x14, 0x25, 0x00, 0x00, 0x20, 0x40, 0xf4 };

static void expect_reads(uint64_t lin, uint64_t lin2)
{
    tvm_code(TVM_CODE, read_both, sizeof read_both);
    run_from_start();
    ck_assert_uint_eq(cpu->r[R_RBX], lin);
    ck_assert_uint_eq(cpu->r[R_RDX], lin2);
}

/* invpcid rax, [rdi] with RAX = type, the descriptor at DESC; then read. */
static void invpcid_then_read(uint64_t type, uint64_t pcid, uint64_t lin, uint64_t want, uint64_t want2)
{
    static const uint8_t prog[] = { 0x66, 0x0f, 0x38, 0x82, 0x07,
                                    0x48, 0x8b, 0x1c, 0x25, 0x00, 0x00, 0x00, 0x40,
                                    0x48, 0x8b, 0x14, 0x25, 0x00, 0x00, 0x20, 0x40, 0xf4 };
    tvm_code(TVM_CODE, prog, sizeof prog);
    tvm_put64(DESC, pcid);
    tvm_put64(DESC + 8, lin);
    cpu->r[R_RAX] = type;
    cpu->r[R_RDI] = DESC;
    run_from_start();
    ck_assert_uint_eq(cpu->r[R_RBX], want);
    ck_assert_uint_eq(cpu->r[R_RDX], want2);
}

START_TEST(pcide_needs_long_mode_and_pcid_0)
{
    /* mov rax, cr4; or eax, PCIDE; mov cr4, rax; hlt */
    static const uint8_t prog[] = { 0x0f, 0x20, 0xe0, 0x0d, 0x00, 0x00, 0x02, 0x00, 0x0f, 0x22, 0xe0, 0xf4 };
    tvm_code(TVM_CODE, prog, sizeof prog);
    cpu->cr3 = TVM_PML4 | 5;
    tvm_expect_exc(EXC_GP, 0, TVM_CODE + 8);
    cpu->cr3 = TVM_PML4;
    cpu->r[R_RIP] = TVM_CODE;
    tvm_expect_halt(100);
    ck_assert(cpu->cr4 & CR4_PCIDE);
    /* Outside IA-32e mode (32-bit protected mode, paging off). */
    tvm_prot32(false);
    cpu->cr4 = 0;
    cpu->efer = 0;
    cpu_update_mode(cpu);
    tvm_expect_exc(EXC_GP, 0, TVM_CODE + 8);
}
END_TEST

START_TEST(mov_cr3_bit63)
{
    /* mov cr3, rcx; mov rax, cr3; hlt */
    static const uint8_t prog[] = { 0x0f, 0x22, 0xd9, 0x0f, 0x20, 0xd8, 0xf4 };
    tvm_code(TVM_CODE, prog, sizeof prog);
    cpu->r[R_RCX] = TVM_PML4 | NOFLUSH;          /* reserved without PCIDs */
    tvm_expect_exc(EXC_GP, 0, TVM_CODE);
    pcids_on(0);
    cpu->r[R_RCX] = TVM_PML4 | 3 | NOFLUSH;      /* a hint, not stored */
    run_from_start();
    ck_assert_uint_eq(cpu->r[R_RAX], TVM_PML4 | 3);
    ck_assert_uint_eq(cpu->cr3, TVM_PML4 | 3);
}
END_TEST

START_TEST(pcid_contexts_survive_switches)
{
    /* mov cr3, PCID 2 no-flush; rbx = [LIN]; mov cr3, PCID 1 no-flush;
     * rdx = [LIN]; mov cr3, PCID 1; rsi = [LIN]; hlt */
    static const uint8_t prog[] = {
        0x48, 0xb9, 0x02, 0x60, 0, 0, 0, 0, 0, 0x80, 0x0f, 0x22, 0xd9,
        0x48, 0x8b, 0x1c, 0x25, 0x00, 0x00, 0x00, 0x40,
        0x48, 0xb9, 0x01, 0x60, 0, 0, 0, 0, 0, 0x80, 0x0f, 0x22, 0xd9,
        0x48, 0x8b, 0x14, 0x25, 0x00, 0x00, 0x00, 0x40,
        0x48, 0xb9, 0x01, 0x60, 0, 0, 0, 0, 0, 0x00, 0x0f, 0x22, 0xd9,
        0x48, 0x8b, 0x34, 0x25, 0x00, 0x00, 0x00, 0x40, 0xf4,
    };
    map(FRAME_A, FRAME_A);
    pcids_on(1);
    expect_reads(0xaaaa, 0xaaaa);                /* PCID 1 caches frame A */
    map(FRAME_B, FRAME_B);
    tvm_code(TVM_CODE, prog, sizeof prog);
    run_from_start();
    ck_assert_uint_eq(cpu->r[R_RBX], 0xbbbb);    /* PCID 2: its own walk */
    ck_assert_uint_eq(cpu->r[R_RDX], 0xaaaa);    /* PCID 1's translation was kept */
    ck_assert_uint_eq(cpu->r[R_RSI], 0xbbbb);    /* bit 63 clear: PCID 1 flushed */
}
END_TEST

START_TEST(invpcid_types)
{
    map(FRAME_A, FRAME_A);
    pcids_on(1);
    expect_reads(0xaaaa, 0xaaaa);
    map(FRAME_B, FRAME_B);
    expect_reads(0xaaaa, 0xaaaa);                /* nothing invalidated yet */
    invpcid_then_read(0, 1, LIN, 0xbbbb, 0xaaaa);            /* one address, PCID 1 */
    map(FRAME_A, FRAME_B);
    invpcid_then_read(1, 2, 0, 0xbbbb, 0xaaaa);              /* another PCID: nothing here */
    invpcid_then_read(1, 1, 0, 0xaaaa, 0xaaaa);              /* PCID 1, globals kept */
    map(FRAME_B, FRAME_B);
    invpcid_then_read(3, 0, 0, 0xbbbb, 0xaaaa);              /* all PCIDs, globals kept */
    invpcid_then_read(2, 0, 0, 0xbbbb, 0xbbbb);              /* everything */
}
END_TEST

START_TEST(invpcid_faults)
{
    static const uint8_t prog[] = { 0x66, 0x0f, 0x38, 0x82, 0x07, 0xf4 };   /* invpcid rax, [rdi] */
    tvm_code(TVM_CODE, prog, sizeof prog);
    cpu->r[R_RDI] = DESC;
    tvm_put64(DESC, 1);
    tvm_put64(DESC + 8, LIN);
    cpu->r[R_RAX] = 1;                           /* PCID 1 while CR4.PCIDE = 0 */
    tvm_expect_exc(EXC_GP, 0, TVM_CODE);
    cpu->r[R_RAX] = 2;                           /* all-context ignores the PCID */
    tvm_expect_halt(100);
    pcids_on(0);
    struct { uint64_t type, desc, lin; } bad[] = {
        { 4, 1, LIN },                           /* no such type */
        { 1, 1u << 12, LIN },                    /* descriptor bits 63:12 reserved */
        { 0, 1, 0x0000800000000000ull },         /* non-canonical address */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cpu->r[R_RAX] = bad[i].type;
        tvm_put64(DESC, bad[i].desc);
        tvm_put64(DESC + 8, bad[i].lin);
        cpu->r[R_RIP] = TVM_CODE;
        cpu->halted = false;
        tvm_expect_exc(EXC_GP, 0, TVM_CODE);
    }
    /* CPL 3. */
    tvm_long(true, false);
    cpu->r[R_RAX] = 2;
    cpu->r[R_RDI] = DESC;
    tvm_expect_exc(EXC_GP, 0, TVM_CODE);
}
END_TEST

static Suite *tlb_suite(void)
{
    Suite *s = suite_create("tlb");
    TCase *tc = tcase_create("pcid");
    tcase_add_checked_fixture(tc, setup, tvm_teardown);
    tcase_add_test(tc, pcide_needs_long_mode_and_pcid_0);
    tcase_add_test(tc, mov_cr3_bit63);
    tcase_add_test(tc, pcid_contexts_survive_switches);
    tcase_add_test(tc, invpcid_types);
    tcase_add_test(tc, invpcid_faults);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(tlb_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
