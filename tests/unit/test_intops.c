/* Integer instruction groups that the differential tester cannot run on
 * the host (it only has 64-bit user mode): string instructions with 16- and
 * 32-bit address sizes, segment limits, REP restart after a fault and the
 * interruptible REP, port I/O strings, MMIO and self-modifying targets,
 * BMI in 32-bit and 16-bit code; plus a few fixed-value checks of shifts,
 * division and CRC32. */
#include "testvm.h"

#include <stdlib.h>

/* 64-bit tests: a 4 KiB-page window over 2-4 MiB with one hole. */
#define PT_4K 0x9000u          /* page table for PD entry 1 */
#define HOLE 0x300000u         /* not-present page */
#define RAM2 (8u << 20)        /* at least this much RAM */

static void setup(void)
{
    tvm_setup();
#if TVM_RAM < RAM2
    ck_assert_int_eq(phys_add_ram(&tvm.mem, TVM_RAM, RAM2 - TVM_RAM), 0);
#endif
}

static void teardown(void)
{
    tvm_teardown();
}

/* 64-bit mode, CPL 0, 2-4 MiB mapped by 4 KiB pages with HOLE missing. */
static void long_mode(void)
{
    tvm_long(false, false);
    for (uint64_t i = 0; i < 512; i++) {
        uint64_t pa = 0x200000 + i * 4096;
        tvm_put64(PT_4K + i * 8, pa == HOLE ? 0 : pa | 3);
    }
    tvm_put64(TVM_PML4 + 0x2000 + 8, PT_4K | 7);
    mmu_flush_all(cpu);
}

static void fill(uint64_t pa, uint8_t v, size_t n)
{
    uint8_t buf[4096];
    memset(buf, v, sizeof buf);
    for (size_t off = 0; off < n; off += sizeof buf)
        tvm_put(pa + off, buf, n - off < sizeof buf ? n - off : sizeof buf);
}

/* Linear address of the instruction about to run. */
static uint64_t cur_ip(void)
{
    return cpu->seg[SEG_CS].base + cpu->r[R_RIP];
}

/* Run one (REP) instruction to its end: returns the number of dispatches
 * it took (yields re-enter it). Fails on an exception. */
static unsigned run_insn(void)
{
    uint64_t start = cpu->r[R_RIP];
    unsigned n = 0;
    cpu->deliver_exceptions = false;
    do {
        ck_assert_int_eq(cpu_run(cpu, 1), STOP_BUDGET);
        n++;
    } while (cpu->r[R_RIP] == start);
    return n;
}

/* Run one instruction expecting an exception (through any yields). */
static void run_fault(int vec, uint32_t err)
{
    uint64_t start = cpu->r[R_RIP];
    enum cpu_stop s;
    cpu->deliver_exceptions = false;
    do
        s = cpu_run(cpu, 1);
    while (s == STOP_BUDGET && cpu->r[R_RIP] == start);
    ck_assert_int_eq(s, STOP_EXCEPTION);
    ck_assert_int_eq(cpu->exc.vector, vec);
    ck_assert_uint_eq(cpu->exc.error_code, err);
    ck_assert_uint_eq(cpu->r[R_RIP], start);
}

static void real_seg(int seg, uint16_t sel)
{
    cpu->seg[seg].sel = sel;
    cpu->seg[seg].base = (uint64_t)sel << 4;
}

/* ---- 16-bit addresses ---- */

/* Real mode REP MOVSB: SI wraps at 64 KiB, CX counts, the upper halves of
 * ECX/ESI/EDI stay. */
START_TEST(real_movsb_wraps_si)
{
    tvm_real(0x1000, 0);
    tvm_code(0x10000, (const uint8_t[]){ 0xf3, 0xa4 }, 2);
    real_seg(SEG_DS, 0x2000);
    real_seg(SEG_ES, 0x3000);
    tvm_put(0x2fffe, "ab", 2);
    tvm_put(0x20000, "cd", 2);
    cpu->r[R_RSI] = 0x12340000fffeull;
    cpu->r[R_RDI] = 0x56780100;
    cpu->r[R_RCX] = 0xabcd0004;
    run_insn();
    ck_assert_uint_eq(tvm_get(0x30100, 4), 0x64636261);
    ck_assert_uint_eq(cpu->r[R_RSI], 0x123400000002ull);
    ck_assert_uint_eq(cpu->r[R_RDI], 0x56780104);
    ck_assert_uint_eq(cpu->r[R_RCX], 0xabcd0000);
}
END_TEST

/* A word straddling the 64 KiB limit faults (#GP in real mode) after the
 * elements before it were copied; CX/SI/DI describe the rest. */
START_TEST(real_movsw_limit_fault_restart)
{
    tvm_real(0x1000, 0);
    tvm_code(0x10000, (const uint8_t[]){ 0xf3, 0xa5 }, 2);
    real_seg(SEG_DS, 0x2000);
    real_seg(SEG_ES, 0x3000);
    tvm_put(0x2fffb, "ABCDE", 5);
    cpu->r[R_RSI] = 0xfffb;
    cpu->r[R_RDI] = 0x0200;
    cpu->r[R_RCX] = 5;
    run_fault(EXC_GP, 0);
    ck_assert_uint_eq(cpu->r[R_RCX], 3);
    ck_assert_uint_eq(cpu->r[R_RSI], 0xffff);
    ck_assert_uint_eq(cpu->r[R_RDI], 0x0204);
    ck_assert_uint_eq(tvm_get(0x30200, 4), 0x44434241);
}
END_TEST

/* REP STOSW going down (DF = 1). */
START_TEST(real_stosw_down)
{
    tvm_real(0x1000, 0);
    tvm_code(0x10000, (const uint8_t[]){ 0xf3, 0xab }, 2);
    real_seg(SEG_ES, 0x3000);
    fill(0x30000, 0, 0x20);
    cpu->rflags |= F_DF;
    cpu->r[R_RAX] = 0x1234;
    cpu->r[R_RDI] = 0x10;
    cpu->r[R_RCX] = 3;
    run_insn();
    ck_assert_uint_eq(tvm_get(0x3000c, 6), 0x123412341234ull);
    ck_assert_uint_eq(tvm_get(0x3000a, 2), 0);
    ck_assert_uint_eq(tvm_get(0x30012, 2), 0);
    ck_assert_uint_eq(cpu->r[R_RDI], 0x0a);
    ck_assert_uint_eq(cpu->r[R_RCX], 0);
}
END_TEST

/* REPE CMPSB stops at the first difference with the flags of that
 * comparison; a segment override applies to the source. */
START_TEST(real_repe_cmpsb)
{
    tvm_real(0x1000, 0);
    tvm_code(0x10000, (const uint8_t[]){ 0x26, 0xf3, 0xa6 }, 3);   /* es: repe cmpsb */
    real_seg(SEG_DS, 0x2000);
    real_seg(SEG_ES, 0x3000);
    tvm_put(0x30000, "hello, world", 12);
    tvm_put(0x30100, "hello! world", 12);
    cpu->r[R_RSI] = 0x0000;
    cpu->r[R_RDI] = 0x0100;
    cpu->r[R_RCX] = 12;
    run_insn();
    ck_assert_uint_eq(cpu->r[R_RCX], 6);
    ck_assert_uint_eq(cpu->r[R_RSI], 6);
    ck_assert_uint_eq(cpu->r[R_RDI], 0x106);
    uint32_t f = cc_compute(cpu);
    ck_assert_uint_eq(f & (F_ZF | F_CF | F_SF), 0);   /* ',' (2Ch) - '!' (21h) */
}
END_TEST

/* 67h in 16-bit code: REPNE SCASB with EDI and ECX. */
START_TEST(real_repne_scasb_addr32)
{
    tvm_real(0x1000, 0);
    tvm_code(0x10000, (const uint8_t[]){ 0x67, 0xf2, 0xae }, 3);
    real_seg(SEG_ES, 0x3000);
    fill(0x30000, 0x11, 0x400);
    tvm_put(0x30110, "\x42", 1);
    cpu->r[R_RAX] = 0x42;
    cpu->r[R_RDI] = 0x100;
    cpu->r[R_RCX] = 0x100;
    run_insn();
    ck_assert_uint_eq(cpu->r[R_RDI], 0x111);
    ck_assert_uint_eq(cpu->r[R_RCX], 0xef);
    ck_assert(cc_cond(cpu, 4));                     /* ZF: found */
}
END_TEST

/* 16-bit protected mode LODSW without REP, and STOSB with 16-bit DI
 * wrapping at 0xFFFF. */
START_TEST(prot16_lods_stos)
{
    tvm_prot16();
    tvm_code(0x1000, (const uint8_t[]){ 0xad, 0xaa, 0xaa }, 3);
    tvm_put(0x2000, "\x34\x12", 2);
    cpu->r[R_RSI] = 0x2000;
    cpu->r[R_RDI] = 0xffff;
    ck_assert_int_eq(cpu_run(cpu, 3), STOP_BUDGET);
    ck_assert_uint_eq(cpu->r[R_RAX] & 0xffff, 0x1234);
    ck_assert_uint_eq(cpu->r[R_RSI], 0x2002);
    ck_assert_uint_eq(tvm_get(0xffff, 1), 0x34);
    ck_assert_uint_eq(tvm_get(0x0000, 1), 0x34);
    ck_assert_uint_eq(cpu->r[R_RDI], 0x0001);
}
END_TEST

/* ---- 32-bit protected mode ---- */

/* REP MOVSD into an ES whose limit ends in the middle of the run: the
 * elements below the limit are stored, then #GP(0) with the registers at
 * the faulting element. */
START_TEST(prot32_movsd_es_limit)
{
    tvm_prot32(false);
    tvm_gdt(TVM_FREE, tvm_desc(0, 0x30fff, ACC_DATA, 0x4));
    tvm_seg(SEG_ES, TVM_FREE);
    tvm_code(TVM_CODE, (const uint8_t[]){ 0xf3, 0xa5 }, 2);
    for (uint32_t i = 0; i < 8; i++)
        tvm_put32(0x20000 + i * 4, 0xa0a0a0a0u + i);
    fill(0x30ff0, 0, 0x20);
    cpu->r[R_RSI] = 0x20000;
    cpu->r[R_RDI] = 0x30ff0;
    cpu->r[R_RCX] = 8;
    run_fault(EXC_GP, 0);
    ck_assert_uint_eq(cpu->r[R_RCX], 4);
    ck_assert_uint_eq(cpu->r[R_RSI], 0x20010);
    ck_assert_uint_eq(cpu->r[R_RDI], 0x31000);
    ck_assert_uint_eq(tvm_get(0x30ffc, 4), 0xa0a0a0a3u);
    ck_assert_uint_eq(tvm_get(0x31000, 4), 0);
}
END_TEST

/* 67h in 32-bit code: 16-bit DI and CX; the upper halves stay. */
START_TEST(prot32_stosb_addr16)
{
    tvm_prot32(false);
    tvm_code(TVM_CODE, (const uint8_t[]){ 0x67, 0xf3, 0xaa }, 3);
    cpu->r[R_RAX] = 0x77;
    cpu->r[R_RDI] = 0x1234fffe;
    cpu->r[R_RCX] = 0xabcd0004;
    run_insn();
    ck_assert_uint_eq(tvm_get(0xfffe, 2), 0x7777);
    ck_assert_uint_eq(tvm_get(0x0000, 2), 0x7777);
    ck_assert_uint_eq(cpu->r[R_RDI], 0x12340002);
    ck_assert_uint_eq(cpu->r[R_RCX], 0xabcd0000);
}
END_TEST

/* A large REP MOVSB in 32-bit mode (no paging): bulk copies through
 * segmentation, interrupted and resumed, with a nonzero DS base. */
START_TEST(prot32_movsb_large_segment_base)
{
    tvm_prot32(false);
    tvm_gdt(TVM_FREE, tvm_desc(0x100000, 0xfffff, ACC_DATA, FLG_32));
    tvm_seg(SEG_DS, TVM_FREE);
    tvm_code(TVM_CODE, (const uint8_t[]){ 0xf3, 0xa4 }, 2);
    for (uint32_t i = 0; i < 0x40000; i += 4)
        tvm_put32(0x100000 + 0x123 + i, i * 2654435761u);
    cpu->r[R_RSI] = 0x123;
    cpu->r[R_RDI] = 0x200001;
    cpu->r[R_RCX] = 0x40000;
    ck_assert_uint_gt(run_insn(), 1);
    for (uint32_t i = 0; i < 0x40000; i += 0x1004)
        ck_assert_uint_eq(tvm_get(0x200001 + i, 4), i * 2654435761u);
    ck_assert_uint_eq(cpu->r[R_RSI], 0x40123);
    ck_assert_uint_eq(cpu->r[R_RDI], 0x240001);
    ck_assert_uint_eq(cpu->r[R_RCX], 0);
}
END_TEST

/* ---- port I/O strings ---- */

static uint8_t pio_log[64];
static unsigned pio_n, pio_size;

static bool pio(void *opaque, uint16_t port, unsigned size, bool write, uint32_t *val)
{
    (void)opaque;
    if (port != 0x3f8)
        return false;
    pio_size = size;
    if (write) {
        for (unsigned i = 0; i < size && pio_n < sizeof pio_log; i++)
            pio_log[pio_n++] = (uint8_t)(*val >> (8 * i));
    } else {
        *val = 0x1000u + pio_n++;
    }
    return true;
}

START_TEST(rep_outsb_insw)
{
    tvm_prot32(false);
    tvm.pio = pio;
    pio_n = 0;
    tvm_code(TVM_CODE, (const uint8_t[]){ 0xf3, 0x6e, 0x66, 0xf3, 0x6d }, 5);
    tvm_put(0x20000, "xenemu", 6);
    cpu->r[R_RDX] = 0x3f8;
    cpu->r[R_RSI] = 0x20000;
    cpu->r[R_RCX] = 6;
    run_insn();
    ck_assert_uint_eq(pio_n, 6);
    ck_assert_uint_eq(pio_size, 1);
    ck_assert(memcmp(pio_log, "xenemu", 6) == 0);
    ck_assert_uint_eq(cpu->r[R_RSI], 0x20006);
    pio_n = 0;
    cpu->r[R_RDI] = 0x21000;
    cpu->r[R_RCX] = 3;
    run_insn();
    ck_assert_uint_eq(pio_size, 2);
    ck_assert_uint_eq(tvm_get(0x21000, 6), 0x100210011000ull);
    ck_assert_uint_eq(cpu->r[R_RDI], 0x21006);
}
END_TEST

/* CPL 3 with IOPL 0 and the port's bit set in the TSS bitmap: #GP(0)
 * before any element, nothing changes. */
START_TEST(rep_outs_io_denied)
{
    tvm_prot32(true);
    tvm.pio = pio;
    pio_n = 0;
    tvm_put(TVM_TSS + 0x68 + 0x3f8 / 8, "\x01", 1);
    tvm_code(TVM_CODE, (const uint8_t[]){ 0xf3, 0x6e }, 2);
    cpu->r[R_RDX] = 0x3f8;
    cpu->r[R_RSI] = 0x20000;
    cpu->r[R_RCX] = 6;
    run_fault(EXC_GP, 0);
    ck_assert_uint_eq(pio_n, 0);
    ck_assert_uint_eq(cpu->r[R_RCX], 6);
    ck_assert_uint_eq(cpu->r[R_RSI], 0x20000);
}
END_TEST

/* A device that raises an event on the third byte: REP OUTSB stops right
 * after it, RIP on itself, and the run loop reports the event. */
static bool pio_event(void *opaque, uint16_t port, unsigned size, bool write, uint32_t *val)
{
    bool ok = pio(opaque, port, size, write, val);
    if (pio_n == 3)
        cpu->pending_events = true;
    return ok;
}

START_TEST(rep_outsb_stops_on_event)
{
    tvm_prot32(false);
    tvm.pio = pio_event;
    pio_n = 0;
    tvm_code(TVM_CODE, (const uint8_t[]){ 0xf3, 0x6e }, 2);
    tvm_put(0x20000, "xenemu", 6);
    cpu->r[R_RDX] = 0x3f8;
    cpu->r[R_RSI] = 0x20000;
    cpu->r[R_RCX] = 6;
    ck_assert_int_eq(cpu_run(cpu, 100), STOP_EVENT);
    ck_assert_uint_eq(cpu->r[R_RIP], TVM_CODE);
    ck_assert_uint_eq(cpu->r[R_RCX], 3);
    ck_assert_uint_eq(cpu->r[R_RSI], 0x20003);
    cpu->pending_events = false;
    run_insn();
    ck_assert_uint_eq(pio_n, 6);
    ck_assert(memcmp(pio_log, "xenemu", 6) == 0);
}
END_TEST

/* ---- 64-bit mode: bulk runs, faults, yields ---- */

/* REP MOVSQ runs into a not-present page: the pages before it are copied
 * in bulk, then #PF with CR2 and the registers at the faulting element. */
START_TEST(long_movsq_page_fault_restart)
{
    long_mode();
    tvm_code(TVM_CODE, (const uint8_t[]){ 0xf3, 0x48, 0xa5 }, 3);
    for (uint32_t i = 0; i < 0x4000; i += 8)
        tvm_put64(0x100000 + i, 0x0101010101010101ull * (i >> 3));
    cpu->r[R_RSI] = 0x100000;
    cpu->r[R_RDI] = HOLE - 0x3000;
    cpu->r[R_RCX] = 0x800;
    run_fault(EXC_PF, PFE_W);
    ck_assert_uint_eq(cpu->exc.cr2, HOLE);
    ck_assert_uint_eq(cpu->r[R_RCX], 0x200);
    ck_assert_uint_eq(cpu->r[R_RSI], 0x103000);
    ck_assert_uint_eq(cpu->r[R_RDI], HOLE);
    ck_assert_uint_eq(tvm_get(HOLE - 8, 8), 0x0101010101010101ull * 0x5ff);
    /* Map the page and resume: the rest is copied. */
    tvm_put64(PT_4K + ((HOLE - 0x200000) >> 12) * 8, HOLE | 3);
    mmu_flush_page(cpu, HOLE);
    run_insn();
    ck_assert_uint_eq(cpu->r[R_RCX], 0);
    ck_assert_uint_eq(tvm_get(HOLE + 0xff8, 8), 0x0101010101010101ull * 0x7ff);
}
END_TEST

/* A 1 MiB REP STOSB yields many times, counts one retired instruction per
 * dispatch, and ends with the right registers. */
START_TEST(long_stosb_yields)
{
    long_mode();
    tvm_code(TVM_CODE, (const uint8_t[]){ 0xf3, 0xaa }, 2);
    cpu->r[R_RAX] = 0x5a;
    cpu->r[R_RDI] = 0x100000;
    cpu->r[R_RCX] = 0x100000;
    uint64_t ic = cpu->icount;
    unsigned n = run_insn();
    ck_assert_uint_ge(n, 16);
    ck_assert_uint_eq(cpu->icount - ic, n);
    ck_assert_uint_eq(cpu->r[R_RDI], 0x200000);
    ck_assert_uint_eq(cpu->r[R_RCX], 0);
    ck_assert_uint_eq(tvm_get(0x100000, 8), 0x5a5a5a5a5a5a5a5aull);
    ck_assert_uint_eq(tvm_get(0x1ffff8, 8), 0x5a5a5a5a5a5a5a5aull);
    ck_assert_uint_eq(tvm_get(0x200000, 1), 0);
}
END_TEST

/* An interrupted REP leaves RIP on itself with the registers describing
 * the remaining work, and the run loop reports pending events there. */
START_TEST(long_rep_yield_state)
{
    long_mode();
    tvm_code(TVM_CODE, (const uint8_t[]){ 0xf3, 0x48, 0xab }, 3);
    cpu->r[R_RAX] = 0x1122334455667788ull;
    cpu->r[R_RDI] = 0x100000;
    cpu->r[R_RCX] = 0x20000;
    cpu->deliver_exceptions = false;
    ck_assert_int_eq(cpu_run(cpu, 1), STOP_BUDGET);
    ck_assert_uint_eq(cpu->r[R_RIP], TVM_CODE);
    uint64_t done = 0x20000 - cpu->r[R_RCX];
    ck_assert_uint_gt(done, 0);
    ck_assert_uint_lt(done, 0x20000);
    ck_assert_uint_eq(cpu->r[R_RDI], 0x100000 + done * 8);
    ck_assert_uint_eq(tvm_get(0x100000 + done * 8 - 8, 8), 0x1122334455667788ull);
    ck_assert_uint_eq(tvm_get(0x100000 + done * 8, 8), 0);
}
END_TEST

/* Element-by-element reference of REP MOVS on a host buffer. */
static void movs_ref(uint8_t *mem, uint64_t si, uint64_t di, unsigned sz, uint64_t n, bool down)
{
    for (uint64_t i = 0; i < n; i++) {
        uint8_t t[8];
        memcpy(t, mem + si, sz);
        memcpy(mem + di, t, sz);
        si += down ? -(uint64_t)sz : sz;
        di += down ? -(uint64_t)sz : sz;
    }
}

/* Random overlapping and disjoint REP MOVS of every size and direction
 * over several pages, against the element-by-element reference (the bulk
 * path must keep the replicating overlaps exact). */
START_TEST(long_movs_overlap_random)
{
    enum { BASE = 0x100000, SPAN = 0x8000 };
    static uint8_t ref[SPAN], got[SPAN];
    long_mode();
    srandom(7);
    /* One REP MOVS per size at TVM_CODE + 0x40 + 4 * size. */
    tvm_code(TVM_CODE + 0x44, (const uint8_t[]){ 0xf3, 0xa4 }, 2);
    tvm_code(TVM_CODE + 0x48, (const uint8_t[]){ 0x66, 0xf3, 0xa5 }, 3);
    tvm_code(TVM_CODE + 0x50, (const uint8_t[]){ 0xf3, 0xa5 }, 2);
    tvm_code(TVM_CODE + 0x60, (const uint8_t[]){ 0xf3, 0x48, 0xa5 }, 3);
    for (int iter = 0; iter < 400; iter++) {
        unsigned sz = 1u << (random() % 4);
        bool down = random() & 1;
        uint64_t n = (uint64_t)(random() % (iter < 200 ? 64 : 0x1800 / sz));
        uint64_t len = n * sz;
        uint64_t lo_s = (uint64_t)random() % (SPAN - len - 8);
        uint64_t lo_d = random() % 3 ? lo_s + (uint64_t)(random() % 41) - 20 : (uint64_t)random() % (SPAN - len - 8);
        if (lo_d > SPAN - len - 8)
            lo_d = lo_s;
        uint64_t si = down ? lo_s + len - sz : lo_s, di = down ? lo_d + len - sz : lo_d;
        if (n == 0)
            si = lo_s, di = lo_d;
        for (unsigned i = 0; i < SPAN; i++)
            ref[i] = (uint8_t)random();
        tvm_put(BASE, ref, SPAN);
        movs_ref(ref, si, di, sz, n, down);
        cpu->rflags = down ? (cpu->rflags | F_DF) : (cpu->rflags & ~(uint64_t)F_DF);
        cpu->r[R_RSI] = BASE + si;
        cpu->r[R_RDI] = BASE + di;
        cpu->r[R_RCX] = n;
        cpu->r[R_RIP] = TVM_CODE + 0x40 + sz * 4;
        if (n)
            run_insn();
        else
            ck_assert_int_eq(cpu_run(cpu, 1), STOP_BUDGET);
        phys_copy_from(&tvm.mem, got, BASE, SPAN);
        ck_assert_msg(memcmp(ref, got, SPAN) == 0, "iter %d: sz %u n %llu down %d si %llx di %llx", iter, sz,
                      (unsigned long long)n, down, (unsigned long long)si, (unsigned long long)di);
        int64_t d = (int64_t)len * (down ? -1 : 1);
        ck_assert_uint_eq(cpu->r[R_RSI], BASE + si + (uint64_t)d);
        ck_assert_uint_eq(cpu->r[R_RDI], BASE + di + (uint64_t)d);
        ck_assert_uint_eq(cpu->r[R_RCX], 0);
    }
}
END_TEST

/* Source and destination 4 MiB apart share a software-TLB slot. */
START_TEST(long_movsq_tlb_alias)
{
    long_mode();
    tvm_code(TVM_CODE, (const uint8_t[]){ 0xf3, 0x48, 0xa5 }, 3);
    for (uint32_t i = 0; i < 0x10000; i += 8)
        tvm_put64(0x100000 + i, i * 0x9e3779b97f4a7c15ull);
    cpu->r[R_RSI] = 0x100000;
    cpu->r[R_RDI] = 0x500000;
    cpu->r[R_RCX] = 0x2000;
    run_insn();
    for (uint32_t i = 0; i < 0x10000; i += 0x7f8)
        ck_assert_uint_eq(tvm_get(0x500000 + i, 8), i * 0x9e3779b97f4a7c15ull);
}
END_TEST

/* 67h REP with ECX = 0 still writes ECX (RCX zero-extended); MOVS also
 * zero-extends RSI and RDI (Intel host behaviour). */
START_TEST(long_addr32_zero_count)
{
    long_mode();
    tvm_code(TVM_CODE, (const uint8_t[]){ 0x67, 0xf3, 0xa4, 0x67, 0xf3, 0xac }, 6);
    cpu->r[R_RCX] = 0xffffffff00000000ull;
    cpu->r[R_RSI] = 0xffffffff00001000ull;
    cpu->r[R_RDI] = 0xffffffff00002000ull;
    ck_assert_int_eq(cpu_run(cpu, 1), STOP_BUDGET);
    ck_assert_uint_eq(cpu->r[R_RCX], 0);
    ck_assert_uint_eq(cpu->r[R_RSI], 0x1000);
    ck_assert_uint_eq(cpu->r[R_RDI], 0x2000);
    cpu->r[R_RCX] = 0xffffffff00000000ull;
    cpu->r[R_RSI] = 0xffffffff00001000ull;
    ck_assert_int_eq(cpu_run(cpu, 1), STOP_BUDGET);
    ck_assert_uint_eq(cpu->r[R_RCX], 0);
    ck_assert_uint_eq(cpu->r[R_RSI], 0xffffffff00001000ull);
}
END_TEST

/* REP MOVSB into MMIO goes element by element, in order. */
static uint8_t mmio_log[32];
static unsigned mmio_n;

static uint64_t mmio_read(void *opaque, uint64_t off, unsigned size)
{
    (void)opaque;
    (void)size;
    return off;
}

static void mmio_write(void *opaque, uint64_t off, uint64_t v, unsigned size)
{
    (void)opaque;
    if (size == 1 && mmio_n < sizeof mmio_log && off == mmio_n)
        mmio_log[mmio_n++] = (uint8_t)v;
}

START_TEST(long_movsb_to_mmio)
{
    static const mmio_ops_t ops = { mmio_read, mmio_write };
    ck_assert_int_eq(phys_add_mmio(&tvm.mem, 0x3f000000, 0x1000, &ops, NULL), 0);
    long_mode();
    mmio_n = 0;
    tvm_code(TVM_CODE, (const uint8_t[]){ 0xf3, 0xa4 }, 2);
    tvm_put(0x20000, "0123456789abcdef", 16);
    cpu->r[R_RSI] = 0x20000;
    cpu->r[R_RDI] = 0x3f000000;
    cpu->r[R_RCX] = 16;
    run_insn();
    ck_assert_uint_eq(mmio_n, 16);
    ck_assert(memcmp(mmio_log, "0123456789abcdef", 16) == 0);
}
END_TEST

/* REP STOSB overwriting the instructions that follow it in the same block:
 * the new bytes run (the bulk path never writes code pages directly). */
START_TEST(long_stosb_over_code)
{
    long_mode();
    static const uint8_t prog[] = {
        0xf3, 0xaa,             /* rep stosb: 4 NOPs over the UD2s */
        0x0f, 0x0b, 0x0f, 0x0b, /* ud2; ud2 */
        0xf4,                   /* hlt */
    };
    tvm_code(TVM_CODE, prog, sizeof prog);
    cpu->r[R_RAX] = 0x90;
    cpu->r[R_RDI] = TVM_CODE + 2;
    cpu->r[R_RCX] = 4;
    cpu->deliver_exceptions = false;
    ck_assert_int_eq(cpu_run(cpu, 100), STOP_HALT);
    ck_assert_uint_eq(cur_ip(), TVM_CODE + 7);
}
END_TEST

/* ---- BMI outside 64-bit mode ---- */

/* In 32-bit code VEX.W is ignored: ANDN and SHLX work on 32 bits. */
START_TEST(prot32_bmi)
{
    tvm_prot32(false);
    static const uint8_t prog[] = {
        0xc4, 0xe2, 0x60, 0xf2, 0xc1,   /* andn eax, ebx, ecx */
        0xc4, 0xe2, 0xe1, 0xf7, 0xd1,   /* shlx edx, ecx, ebx (VEX.W1) */
    };
    tvm_code(TVM_CODE, prog, sizeof prog);
    cpu->r[R_RBX] = 0x0000ff00;
    cpu->r[R_RCX] = 0x12345678;
    ck_assert_int_eq(cpu_run(cpu, 1), STOP_BUDGET);
    ck_assert_uint_eq(cpu->r[R_RAX], 0x12340078);
    cpu->r[R_RBX] = 36;            /* masked to 4 */
    ck_assert_int_eq(cpu_run(cpu, 1), STOP_BUDGET);
    ck_assert_uint_eq(cpu->r[R_RDX], 0x23456780);
}
END_TEST

/* VEX is #UD in real mode but valid in 16-bit protected mode. */
START_TEST(bmi_real_ud_prot16_ok)
{
    static const uint8_t andn[] = { 0xc4, 0xe2, 0x60, 0xf2, 0xc1 };
    tvm_real(0x1000, 0);
    tvm_code(0x10000, andn, sizeof andn);
    run_fault(EXC_UD, 0);
    tvm_prot16();
    tvm_code(0x1000, andn, sizeof andn);
    cpu->r[R_RBX] = 0xffff0000;
    cpu->r[R_RCX] = 0x12345678;
    ck_assert_int_eq(cpu_run(cpu, 1), STOP_BUDGET);
    ck_assert_uint_eq(cpu->r[R_RAX], 0x5678);
}
END_TEST

/* ---- fixed values ---- */

static void run64(const uint8_t *code, size_t n)
{
    long_mode();
    tvm_code(TVM_CODE, code, n);
    cpu->deliver_exceptions = false;
}

/* IDIV of the most negative dividend by -1 overflows: #DE, nothing changes. */
START_TEST(idiv_overflow_de)
{
    static const uint8_t idiv[4][3] = {
        { 0xf6, 0xf9 }, { 0x66, 0xf7, 0xf9 }, { 0xf7, 0xf9 }, { 0x48, 0xf7, 0xf9 },
    };
    static const uint64_t rax[4] = { 0x8000, 0x8000, 0x80000000, 0x8000000000000000ull };
    static const uint64_t rdx[4] = { 0, 0xffff, 0xffffffff, 0xffffffffffffffffull };
    for (int i = 0; i < 4; i++) {
        run64(idiv[i], 3);
        cpu->r[R_RAX] = rax[i];
        cpu->r[R_RDX] = rdx[i];
        cpu->r[R_RCX] = ~0ull;
        run_fault(EXC_DE, 0);
        ck_assert_uint_eq(cpu->r[R_RAX], rax[i]);
        ck_assert_uint_eq(cpu->r[R_RDX], rdx[i]);
    }
}
END_TEST

/* IDIV rounds toward zero; the remainder has the dividend's sign. */
START_TEST(idiv_signs)
{
    run64((const uint8_t[]){ 0x48, 0xf7, 0xf9 }, 3);    /* idiv rcx */
    cpu->r[R_RAX] = (uint64_t)-7;
    cpu->r[R_RDX] = ~0ull;
    cpu->r[R_RCX] = 2;
    ck_assert_int_eq(cpu_run(cpu, 1), STOP_BUDGET);
    ck_assert_uint_eq(cpu->r[R_RAX], (uint64_t)-3);
    ck_assert_uint_eq(cpu->r[R_RDX], (uint64_t)-1);
}
END_TEST

/* CRC32C of "123456789" is E3069283h with the usual pre/post inversion. */
START_TEST(crc32c_check_value)
{
    static const uint8_t prog[] = {
        0xf2, 0x48, 0x0f, 0x38, 0xf1, 0x06,   /* crc32 rax, qword [rsi] */
        0xf2, 0x0f, 0x38, 0xf0, 0x46, 0x08,   /* crc32 eax, byte [rsi+8] */
    };
    run64(prog, sizeof prog);
    tvm_put(0x20000, "123456789", 9);
    cpu->r[R_RSI] = 0x20000;
    cpu->r[R_RAX] = 0xffffffff;
    ck_assert_int_eq(cpu_run(cpu, 2), STOP_BUDGET);
    ck_assert_uint_eq(cpu->r[R_RAX] ^ 0xffffffff, 0xe3069283);
}
END_TEST

/* RCL of a byte by 9 rotates through all nine bits: nothing changes. */
START_TEST(rcl8_by_9)
{
    run64((const uint8_t[]){ 0xc0, 0xd0, 0x09 }, 3);    /* rcl al, 9 */
    cpu->r[R_RAX] = 0x81;
    cpu_set_rflags(cpu, F_CF | F_OF | 2);
    ck_assert_int_eq(cpu_run(cpu, 1), STOP_BUDGET);
    ck_assert_uint_eq(cpu->r[R_RAX], 0x81);
    ck_assert_uint_eq(cc_compute(cpu) & (F_CF | F_OF), F_CF | F_OF);
}
END_TEST

START_TEST(shift_count_zero)
{
    static const uint8_t prog[] = {
        0xd3, 0xe0,             /* shl eax, cl (cl = 0): zero-extends, flags kept */
        0x0f, 0xbc, 0xda,       /* bsf ebx, edx (edx = 0): rbx untouched */
    };
    run64(prog, sizeof prog);
    cpu->r[R_RAX] = 0xffffffff80000001ull;
    cpu->r[R_RBX] = 0xffffffff12345678ull;
    cpu->r[R_RCX] = 0x100;
    cpu->r[R_RDX] = 0;
    cpu_set_rflags(cpu, F_CF | F_SF | 2);
    ck_assert_int_eq(cpu_run(cpu, 1), STOP_BUDGET);
    ck_assert_uint_eq(cpu->r[R_RAX], 0x80000001);
    ck_assert_uint_eq(cc_compute(cpu), F_CF | F_SF);
    ck_assert_int_eq(cpu_run(cpu, 1), STOP_BUDGET);
    ck_assert_uint_eq(cpu->r[R_RBX], 0xffffffff12345678ull);
    ck_assert(cc_compute(cpu) & F_ZF);
}
END_TEST

/* BT with a negative register bit offset addresses memory below the
 * operand: offset -1 is bit 31 of the dword at ea - 4. */
START_TEST(bt_negative_offset)
{
    run64((const uint8_t[]){ 0x0f, 0xab, 0x0e }, 3);    /* bts [rsi], ecx */
    tvm_put32(0x20000 - 4, 0);
    cpu->r[R_RSI] = 0x20000;
    cpu->r[R_RCX] = 0xffffffff;
    ck_assert_int_eq(cpu_run(cpu, 1), STOP_BUDGET);
    ck_assert_uint_eq(tvm_get(0x20000 - 4, 4), 0x80000000u);
    ck_assert_uint_eq(cc_carry(cpu), 0);
}
END_TEST

/* The same in 16-bit code: the adjusted address wraps at 64 KiB. */
START_TEST(bt_negative_offset_addr16)
{
    tvm_real(0x1000, 0);
    tvm_code(0x10000, (const uint8_t[]){ 0x0f, 0xab, 0x07 }, 3);   /* bts [bx], ax */
    real_seg(SEG_DS, 0x2000);
    cpu->r[R_RBX] = 2;
    cpu->r[R_RAX] = 0xffdf;           /* -33: word -3, bit 15 */
    ck_assert_int_eq(cpu_run(cpu, 1), STOP_BUDGET);
    ck_assert_uint_eq(tvm_get(0x2fffc, 2), 0x8000);
}
END_TEST

static Suite *intops_suite(void)
{
    Suite *s = suite_create("intops");
    TCase *t = tcase_create("strings");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, real_movsb_wraps_si);
    tcase_add_test(t, real_movsw_limit_fault_restart);
    tcase_add_test(t, real_stosw_down);
    tcase_add_test(t, real_repe_cmpsb);
    tcase_add_test(t, real_repne_scasb_addr32);
    tcase_add_test(t, prot16_lods_stos);
    tcase_add_test(t, prot32_movsd_es_limit);
    tcase_add_test(t, prot32_stosb_addr16);
    tcase_add_test(t, prot32_movsb_large_segment_base);
    tcase_add_test(t, rep_outsb_insw);
    tcase_add_test(t, rep_outs_io_denied);
    tcase_add_test(t, rep_outsb_stops_on_event);
    tcase_add_test(t, long_movsq_page_fault_restart);
    tcase_add_test(t, long_stosb_yields);
    tcase_add_test(t, long_rep_yield_state);
    tcase_add_test(t, long_movs_overlap_random);
    tcase_add_test(t, long_movsq_tlb_alias);
    tcase_add_test(t, long_addr32_zero_count);
    tcase_add_test(t, long_movsb_to_mmio);
    tcase_add_test(t, long_stosb_over_code);
    suite_add_tcase(s, t);
    TCase *o = tcase_create("other");
    tcase_add_checked_fixture(o, setup, teardown);
    tcase_add_test(o, prot32_bmi);
    tcase_add_test(o, bmi_real_ud_prot16_ok);
    tcase_add_test(o, idiv_overflow_de);
    tcase_add_test(o, idiv_signs);
    tcase_add_test(o, crc32c_check_value);
    tcase_add_test(o, rcl8_by_9);
    tcase_add_test(o, shift_count_zero);
    tcase_add_test(o, bt_negative_offset);
    tcase_add_test(o, bt_negative_offset_addr16);
    suite_add_tcase(s, o);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(intops_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
