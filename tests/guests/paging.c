/* 4-level paging (SDM Vol.3A ch.4): #PF error codes and CR2 for 4 KiB,
 * 2 MiB and 1 GiB pages, NX, WP, SMEP, SMAP, accessed/dirty bits, and that a
 * changed entry is seen after INVLPG or a CR3 write (§4.10.4.1). */
#include "desc.h"

#define P 1ull
#define RW 2ull
#define US 4ull
#define A 0x20ull
#define D 0x40ull
#define PS 0x80ull
#define XD (1ull << 63)
#define ADDR(e) ((e) & 0x000ffffffffff000ull)

#define PF_P 1
#define PF_W 2
#define PF_U 4
#define PF_RSVD 8
#define PF_ID 16

#define TEST_BASE 0x40000000ul      /* 1 GiB: PDPTE 1 -> pd_t */
#define BIG2M (TEST_BASE + 0x200000ul)
#define GIG_BASE 0x80000000ul       /* 2 GiB: a 1 GiB page onto physical 0 */

static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd_k[512] __attribute__((aligned(4096)));
static uint64_t pd_t[512] __attribute__((aligned(4096)));
static uint64_t pt_t[512] __attribute__((aligned(4096)));
static uint8_t pages[8][4096] __attribute__((aligned(4096)));
static volatile int fetch_fixup;

/* Test page slots: virtual TEST_BASE + n*4K through pt_t[n]. */
#define VPAGE(n) (TEST_BASE + (uint64_t)(n) * 4096)
#define SLOT_DATA 0
#define SLOT_CODE 1
#define SLOT_USTACK 2
#define SLOT_UCODE 3

static void set_pte(int slot, uint64_t e)
{
    pt_t[slot] = e;
    invlpg((void *)VPAGE(slot));
}

static void pf_handler(struct trap_frame *f)
{
    if (fetch_fixup) {
        f->rsp += 8;        /* drop the return address pushed by CALL */
        fetch_fixup = 0;
    }
    if (!trap_resume)
        fail_exit("unexpected #PF");
    f->rip = trap_resume;
    trap_resume = 0;
}

static void expect_pf(const char *what, uint64_t err, uint64_t cr2)
{
    puts_e9(what);
    puts_e9(":\n");
    check_eq("  vector", trap.vector, 14);
    check_eq("  error code", trap.error, err);
    check_eq("  CR2", trap.cr2, cr2);
}

static void no_fault(const char *what, uint64_t count_before)
{
    check_eq(what, trap.count - count_before, 0);
}

static uint64_t rd(uint64_t va)
{
    uint64_t v = 0;
    PROBE("movq (%1), %0", : "+r"(v) : "r"(va) : "memory");
    return v;
}

static void wr(uint64_t va, uint64_t v)
{
    PROBE("movq %0, (%1)", : : "r"(v), "r"(va) : "memory");
}

static void call_at(uint64_t va)
{
    fetch_fixup = 1;
    PROBE("call *%0", : : "r"(va) : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory");
    fetch_fixup = 0;
}

/* Runs the user code page at offset off with RBX = va (CPL 3). */
static void user_at(int off, uint64_t va)
{
    trap_resume = VPAGE(SLOT_UCODE) + off + 2;     /* the INT 0x81 */
    __asm__ volatile("" : : : "memory");
    register uint64_t rbx __asm__("rbx") = va;
    __asm__ volatile("mov %1, %%rdi; mov %2, %%rsi; mov $2, %%edx; mov %3, %%ecx; call enter_user"
                     : "+r"(rbx)
                     : "r"(VPAGE(SLOT_UCODE) + off), "r"(VPAGE(SLOT_USTACK) + 4096), "i"(SEL_UCODE | 3)
                     : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory");
    trap_resume = 0;
}

static void build_tables(void)
{
    for (int i = 0; i < 512; i++)
        pd_k[i] = ((uint64_t)i << 21) | P | RW | PS;    /* supervisor identity map */
    pml4[0] = (uint64_t)pdpt | P | RW | US;
    pdpt[0] = (uint64_t)pd_k | P | RW | US;
    pdpt[1] = (uint64_t)pd_t | P | RW | US;
    pd_t[0] = (uint64_t)pt_t | P | RW | US;
    write_cr3((uint64_t)pml4);
}

int guest_main(const void *start_info)
{
    (void)start_info;
    desc_init();
    build_tables();
    trap_set_handler(14, pf_handler);
    uint32_t r[4];
    cpuid(0x80000008, 0, r);
    unsigned maxphys = r[0] & 0xff;
    cpuid(0x80000001, 0, r);
    int has_nx = (r[3] >> 20) & 1, has_1g = (r[3] >> 26) & 1;
    cpuid(7, 0, r);
    int has_smep = (r[1] >> 7) & 1, has_smap = (r[1] >> 20) & 1;
    uint64_t before, data = VPAGE(SLOT_DATA);
    uint64_t page0 = (uint64_t)pages[0], page1 = (uint64_t)pages[1];
    *(volatile uint64_t *)page0 = 0x1111;
    *(volatile uint64_t *)page1 = 0x2222;

    /* Not present: P=0, W/R from the access (§4.7). */
    set_pte(SLOT_DATA, 0);
    rd(data + 8);
    expect_pf("read of a not-present page", 0, data + 8);
    wr(data + 16, 1);
    expect_pf("write to a not-present page", PF_W, data + 16);

    /* A present page reads; A is set, D is not (§4.8). */
    set_pte(SLOT_DATA, page0 | P | RW);
    before = trap.count;
    check_eq("read through a present PTE", rd(data), 0x1111);
    no_fault("  no fault", before);
    check("  PTE.A set by the read", pt_t[SLOT_DATA] & A);
    check("  PTE.D still clear", !(pt_t[SLOT_DATA] & D));
    check("  PDE.A and PDPTE.A set", (pd_t[0] & A) && (pdpt[1] & A));
    wr(data, 0x1111);
    check("  PTE.D set by the write", pt_t[SLOT_DATA] & D);

    /* INVLPG and MOV CR3 make a changed PTE visible (§4.10.4.1). */
    pt_t[SLOT_DATA] = page1 | P | RW;
    invlpg((void *)data);
    check_eq("new frame seen after INVLPG", rd(data), 0x2222);
    pt_t[SLOT_DATA] = page0 | P | RW;
    write_cr3(read_cr3());
    check_eq("new frame seen after MOV CR3", rd(data), 0x1111);
    pt_t[SLOT_DATA] = 0;
    invlpg((void *)data);
    rd(data);
    expect_pf("read after the PTE was cleared and INVLPG", 0, data);

    /* CR0.WP: supervisor writes to read-only pages (§4.6.1). */
    set_pte(SLOT_DATA, page0 | P);
    write_cr0(read_cr0() | CR0_WP);
    wr(data + 24, 0x3333);
    expect_pf("supervisor write to a read-only page, CR0.WP=1", PF_P | PF_W, data + 24);
    write_cr0(read_cr0() & ~CR0_WP);
    before = trap.count;
    wr(data + 24, 0x3333);
    no_fault("supervisor write to a read-only page, CR0.WP=0: no fault", before);
    check_eq("  the write landed", *(volatile uint64_t *)(page0 + 24), 0x3333);
    write_cr0(read_cr0() | CR0_WP);

    /* Reserved bits: a PTE bit at or above MAXPHYADDR (§4.5, §4.7 RSVD). */
    if (maxphys < 52) {
        set_pte(SLOT_DATA, page0 | P | RW | (1ull << maxphys));
        rd(data);
        expect_pf("read with a reserved PTE bit set", PF_P | PF_RSVD, data);
        wr(data, 0);
        expect_pf("write with a reserved PTE bit set", PF_P | PF_W | PF_RSVD, data);
    }
    /* XD is reserved while EFER.NXE = 0 (§4.5 table 4-19). */
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~EFER_NXE);
    set_pte(SLOT_DATA, page0 | P | RW | XD);
    rd(data);
    expect_pf("read with XD set and EFER.NXE=0", PF_P | PF_RSVD, data);

    /* Instruction fetches: code page holds RET. I/D is reported only with
     * NXE or SMEP (§4.7). */
    pages[2][0] = 0xc3;
    uint64_t code = VPAGE(SLOT_CODE);
    set_pte(SLOT_CODE, (uint64_t)pages[2] | P | RW);
    before = trap.count;
    call_at(code);
    no_fault("fetch from a present page", before);
    set_pte(SLOT_CODE, 0);
    call_at(code);
    expect_pf("fetch from a not-present page, NXE=0", 0, code);
    if (has_nx) {
        wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
        call_at(code);
        expect_pf("fetch from a not-present page, NXE=1", PF_ID, code);
        set_pte(SLOT_CODE, (uint64_t)pages[2] | P | RW | XD);
        call_at(code);
        expect_pf("fetch from an XD page", PF_P | PF_ID, code);
        before = trap.count;
        check_eq("  data read of the XD page works", rd(code) & 0xff, 0xc3);
        no_fault("  no fault", before);
        pdpt[1] |= XD;
        set_pte(SLOT_CODE, (uint64_t)pages[2] | P | RW);
        call_at(code);
        expect_pf("fetch with XD in the PDPTE only", PF_P | PF_ID, code);
        pdpt[1] &= ~XD;
        write_cr3(read_cr3());
    } else {
        check("CPUID reports NX", 0);
    }

    /* CPL 3 accesses (§4.6.1): user code page "mov (%rbx),%al; int $0x81"
     * at 0, "mov %al,(%rbx); int $0x81" at 16; user stack page. */
    static const uint8_t ucode[] = { 0x8a, 0x03, 0xcd, 0x81 };
    static const uint8_t ucode_w[] = { 0x88, 0x03, 0xcd, 0x81 };
    memcpy(pages[3], ucode, sizeof ucode);
    memcpy(pages[3] + 16, ucode_w, sizeof ucode_w);
    set_pte(SLOT_UCODE, (uint64_t)pages[3] | P | US);
    set_pte(SLOT_USTACK, (uint64_t)pages[4] | P | RW | US);
    set_pte(SLOT_DATA, page0 | P | RW);
    user_at(0, data);
    expect_pf("CPL 3 read of a supervisor page", PF_P | PF_U, data);
    check_eq("  saved CS", trap.cs, SEL_UCODE | 3);
    set_pte(SLOT_DATA, page0 | P | US);
    before = trap.count;
    user_at(0, data);
    no_fault("CPL 3 read of a read-only user page", before);
    user_at(16, data + 5);
    expect_pf("CPL 3 write to a read-only user page", PF_P | PF_W | PF_U, data + 5);
    set_pte(SLOT_DATA, 0);
    user_at(16, data + 6);
    expect_pf("CPL 3 write to a not-present page", PF_W | PF_U, data + 6);
    set_pte(SLOT_DATA, page0 | P | RW | US);
    before = trap.count;
    user_at(16, data + 7);
    no_fault("CPL 3 write to a writable user page", before);
    check("  PTE.D set", pt_t[SLOT_DATA] & D);

    /* SMEP: supervisor fetch from a user page (§4.6.1.1). */
    set_pte(SLOT_CODE, (uint64_t)pages[2] | P | RW | US);
    if (has_smep) {
        write_cr4(read_cr4() | CR4_SMEP);
        call_at(code);
        expect_pf("supervisor fetch from a user page, SMEP", PF_P | PF_ID, code);
        write_cr4(read_cr4() & ~CR4_SMEP);
        before = trap.count;
        call_at(code);
        no_fault("same fetch with SMEP clear", before);
    } else {
        puts_e9("SMEP not reported by CPUID: skipped\n");
    }

    /* SMAP: supervisor data access to a user page unless EFLAGS.AC (§4.6.1.1). */
    if (has_smap) {
        write_cr4(read_cr4() | CR4_SMAP);
        rd(data);
        expect_pf("supervisor read of a user page, SMAP, AC=0", PF_P, data);
        wr(data, 0);
        expect_pf("supervisor write to a user page, SMAP, AC=0", PF_P | PF_W, data);
        __asm__ volatile("stac");
        before = trap.count;
        rd(data);
        wr(data, 0x4444);
        no_fault("supervisor read and write with STAC", before);
        __asm__ volatile("clac");
        rd(data);
        expect_pf("supervisor read after CLAC", PF_P, data);
        write_cr4(read_cr4() & ~CR4_SMAP);
    } else {
        puts_e9("SMAP not reported by CPUID: skipped\n");
    }

    /* 2 MiB page (§4.5 table 4-18): maps physical 8 MiB. */
    volatile uint64_t *phys8m = (volatile uint64_t *)(0x800000ul + 0x1238);
    *phys8m = 0x5555;
    pd_t[1] = 0x800000ul | P | RW | PS;
    invlpg((void *)BIG2M);
    before = trap.count;
    check_eq("read through a 2 MiB page", rd(BIG2M + 0x1238), 0x5555);
    no_fault("  no fault", before);
    check("  PDE.A set, PDE.D clear", (pd_t[1] & A) && !(pd_t[1] & D));
    wr(BIG2M + 0x1238, 0x6666);
    check("  PDE.D set by a write", pd_t[1] & D);
    check_eq("  the write reached the frame", *phys8m, 0x6666);
    pd_t[1] = 0x800000ul | P | PS;
    invlpg((void *)BIG2M);
    wr(BIG2M + 0x10, 0);
    expect_pf("write to a read-only 2 MiB page", PF_P | PF_W, BIG2M + 0x10);
    pd_t[1] = 0x800000ul | P | RW | PS | (1ull << 13);
    invlpg((void *)BIG2M);
    rd(BIG2M + 0x18);
    expect_pf("2 MiB PDE with reserved bit 13", PF_P | PF_RSVD, BIG2M + 0x18);

    /* 1 GiB page (§4.5 table 4-16): maps physical 0 at 2 GiB. */
    if (has_1g) {
        pdpt[2] = 0 | P | RW | PS;
        invlpg((void *)(GIG_BASE + 0x800000ul + 0x1238));
        before = trap.count;
        check_eq("read through a 1 GiB page", rd(GIG_BASE + 0x800000ul + 0x1238), 0x6666);
        no_fault("  no fault", before);
        check("  PDPTE.A set", pdpt[2] & A);
        wr(GIG_BASE + 0x800000ul + 0x1238, 0x7777);
        check("  PDPTE.D set by a write", pdpt[2] & D);
        check_eq("  the write reached the frame", *phys8m, 0x7777);
        pdpt[2] = 0 | P | RW | PS | (1ull << 13);
        invlpg((void *)(GIG_BASE + 0x1000));
        rd(GIG_BASE + 0x1000);
        expect_pf("1 GiB PDPTE with reserved bit 13", PF_P | PF_RSVD, GIG_BASE + 0x1000);
    } else {
        check("CPUID reports 1 GiB pages", 0);
    }

    /* PS in a PML4E is reserved (§4.5 table 4-15). */
    pml4[1] = (uint64_t)pdpt | P | RW | PS;
    write_cr3(read_cr3());
    rd(0x8000000000ul);
    expect_pf("PML4E with PS set", PF_P | PF_RSVD, 0x8000000000ul);

    return finish("paging");
}
