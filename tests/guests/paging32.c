/* Legacy paging in 32-bit protected mode (SDM Vol.3A ch.4): 32-bit paging
 * with 4 KiB and PSE 4 MiB pages (§4.3), then PAE paging with PDPTE
 * registers, 2 MiB and 4 KiB pages and NX (§4.4). Checks #PF error codes and
 * CR2 (§4.7), CR0.WP and user/supervisor rights (§4.6), accessed and dirty
 * bits (§4.8), and INVLPG / MOV CR3 (§4.10.4.1). Built with gcc -m32. */
#include "guest32.h"

/* ---- control registers, MSRs ---- */

#define CR0_PG (1u << 31)
#define CR0_WP (1u << 16)
#define CR4_PSE (1u << 4)
#define CR4_PAE (1u << 5)
#define MSR_EFER 0xc0000080u
#define EFER_NXE (1u << 11)

static inline void invlpg(uint32_t va)
{
    __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static inline void cpuid(uint32_t leaf, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}

/* ---- IDT and exception recording (SDM Vol.3A §6.11, §6.12) ---- */

extern void user_exit32(void);
uint32_t enter_user32(uint32_t eip, uint32_t esp, uint32_t ebx);
int guest_main32(const void *start_info);

static uint64_t idt[256] __attribute__((aligned(8)));
static volatile struct {
    uint32_t vector, error, eip, cs, cr2, count;
} trap;
/* When non-zero, the next exception resumes here (then it is cleared). */
volatile uint32_t trap_resume;

void trap32(struct trap32_frame *f)
{
    uint32_t cr2;
    __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
    trap.vector = f->vector;
    trap.error = f->error;
    trap.eip = f->eip;
    trap.cs = f->cs;
    trap.cr2 = cr2;
    trap.count++;
    if (!trap_resume) {
        puts_e9("FAIL unexpected exception, vector ");
        put_dec(f->vector);
        puts_e9(" error ");
        put_hex(f->error);
        puts_e9(" eip ");
        put_hex(f->eip);
        puts_e9(" cr2 ");
        put_hex(cr2);
        puts_e9("\n");
        exit_now(1);
    }
    f->eip = trap_resume;
    trap_resume = 0;
}

/* 32-bit interrupt gate (§6.11 figure 6-2): type 0xE. */
static void set_gate(int vec, uint32_t target, int dpl)
{
    idt[vec] = (target & 0xffffu) | (0x08u << 16) |
               ((uint64_t)(0x8e00u | ((unsigned)dpl << 13)) << 32) |
               ((uint64_t)(target & 0xffff0000u) << 32);
}

static void idt_init(void)
{
    for (int v = 0; v < 32; v++)
        set_gate(v, exc32_table[v], 0);
    set_gate(0x81, (uint32_t)user_exit32, 3);
    struct __attribute__((packed)) { uint16_t limit; uint32_t base; } d = {
        sizeof idt - 1, (uint32_t)idt
    };
    __asm__ volatile("lidt %0" : : "m"(d));
}

/* PROBE("insn", outputs : inputs : clobbers): an exception in insn resumes
 * after it. */
#define PROBE(body, ...)                                                      \
    __asm__ volatile("movl $8f, trap_resume\n\t" body                         \
                     "\n8:\tmovl $0, trap_resume" __VA_ARGS__)

static uint32_t rd(uint32_t va)
{
    uint32_t v = 0;
    PROBE("movl (%1), %0", : "+r"(v) : "r"(va) : "memory");
    return v;
}

static void wr(uint32_t va, uint32_t v)
{
    PROBE("movl %0, (%1)", : : "r"(v), "r"(va) : "memory");
}

/* Jumps to va, where a code page holds "jmp *%ecx" back to the label. */
static void jump_at(uint32_t va)
{
    __asm__ volatile("movl $8f, trap_resume\n\tmovl $8f, %%ecx\n\tjmp *%0\n"
                     "8:\tmovl $0, trap_resume" : : "r"(va) : "ecx", "memory");
}

static void expect_pf(const char *what, uint32_t err, uint32_t cr2)
{
    puts_e9(what);
    puts_e9(":\n");
    check_eq("  vector 14", trap.vector, 14);
    check_eq("  error code", trap.error, err);
    check_eq("  CR2", trap.cr2, cr2);
    trap.vector = 0xff;
}

static void no_fault(const char *what, uint32_t before)
{
    check_eq(what, trap.count - before, 0);
}

/* ---- page tables ---- */

#define P 1u
#define RW 2u
#define US 4u
#define A 0x20u
#define D 0x40u
#define PS 0x80u
#define XD (1ull << 63)

#define PF_P 1
#define PF_W 2
#define PF_U 4
#define PF_RSVD 8
#define PF_ID 16

#define TEST_BASE 0x40000000u       /* test 4 KiB slots */
#define VPAGE(n) (TEST_BASE + (uint32_t)(n) * 4096)
#define SLOT_DATA 0
#define SLOT_CODE 1
#define SLOT_USTACK 2
#define SLOT_UCODE 3
#define BIG 0x40400000u             /* 32-bit: 4 MiB page; PAE: 2 MiB page */
#define PHYS8M 0x800000u            /* frame of the large pages */
#define UPDE 0x40800000u            /* a page under a PDE of its own */

static uint32_t pd32[1024] __attribute__((aligned(4096)));
static uint32_t pt_k[1024] __attribute__((aligned(4096)));
static uint32_t pt32[1024] __attribute__((aligned(4096)));
static uint64_t pdpt[4] __attribute__((aligned(32)));
static uint64_t pd_k[512] __attribute__((aligned(4096)));
static uint64_t pd_t[512] __attribute__((aligned(4096)));
static uint64_t pt_t[512] __attribute__((aligned(4096)));
static uint32_t pt32_u[1024] __attribute__((aligned(4096)));
static uint64_t pt_t_u[512] __attribute__((aligned(4096)));
static uint8_t pages[6][4096] __attribute__((aligned(4096)));

static int pae;

static void set_pte(int slot, uint64_t e)
{
    if (pae)
        pt_t[slot] = e;
    else
        pt32[slot] = (uint32_t)e;
    invlpg(VPAGE(slot));
}

static uint64_t get_pte(int slot)
{
    return pae ? pt_t[slot] : pt32[slot];
}

/* Runs the user code page at offset off with EBX = va at CPL 3; each
 * snippet is a 2-byte instruction then INT 0x81. */
static void user_at(int off, uint32_t va)
{
    trap_resume = VPAGE(SLOT_UCODE) + off + 2;
    enter_user32(VPAGE(SLOT_UCODE) + off, VPAGE(SLOT_USTACK) + 4096, va);
    trap_resume = 0;
}
#define U_READ 0        /* mov (%ebx), %al */
#define U_WRITE 16      /* mov %al, (%ebx) */
#define U_JUMP 32       /* jmp *%ebx */

static void fill_code_pages(void)
{
    static const uint8_t jmp_ecx[] = { 0xff, 0xe1 };
    static const uint8_t u_read[] = { 0x8a, 0x03, 0xcd, 0x81 };
    static const uint8_t u_write[] = { 0x88, 0x03, 0xcd, 0x81 };
    static const uint8_t u_jump[] = { 0xff, 0xe3, 0xcd, 0x81 };
    memcpy(pages[2], jmp_ecx, sizeof jmp_ecx);
    memcpy(pages[3] + U_READ, u_read, sizeof u_read);
    memcpy(pages[3] + U_WRITE, u_write, sizeof u_write);
    memcpy(pages[3] + U_JUMP, u_jump, sizeof u_jump);
}

/* Check names: leading spaces, then the mode, then the text. */
static char *name_of(char *buf, const char *m, const char *s)
{
    int n = 0;
    const char *q = s;
    while (*q == ' ')
        buf[n++] = *q++;
    while (*m && n < 40)
        buf[n++] = *m++;
    while (*q && n < 94)
        buf[n++] = *q++;
    buf[n] = 0;
    return buf;
}

/* Tests common to both modes on the 4 KiB slots. */
static void common_4k(const char *m)
{
    uint32_t before, data = VPAGE(SLOT_DATA), code = VPAGE(SLOT_CODE);
    uint32_t page0 = (uint32_t)pages[0], page1 = (uint32_t)pages[1];
    char name[96];
#define NAME(s) (name_of(name, m, s))
    memset(pages[0], 0, 4096);
    *(volatile uint32_t *)page0 = 0x1111;
    *(volatile uint32_t *)page1 = 0x2222;

    /* Not present: P=0, W/R from the access (§4.7). */
    set_pte(SLOT_DATA, 0);
    rd(data + 8);
    expect_pf(NAME("read of a not-present page"), 0, data + 8);
    wr(data + 16, 1);
    expect_pf(NAME("write to a not-present page"), PF_W, data + 16);

    /* Accessed and dirty flags (§4.8). */
    set_pte(SLOT_DATA, page0 | P | RW);
    if (pae)
        pd_t[0] &= ~(uint64_t)A;
    else
        pd32[TEST_BASE >> 22] &= ~A;
    write_cr3(read_cr3());
    before = trap.count;
    check_eq(NAME("read through a present PTE"), rd(data), 0x1111);
    no_fault(NAME("  no fault"), before);
    check(NAME("  PTE.A set by the read"), get_pte(SLOT_DATA) & A);
    check(NAME("  PTE.D still clear"), !(get_pte(SLOT_DATA) & D));
    check(NAME("  PDE.A set by the walk"), (pae ? pd_t[0] : pd32[TEST_BASE >> 22]) & A);
    check(NAME("  PDE.D not set (no D in a PDE that points to a table)"),
          !((pae ? pd_t[0] : pd32[TEST_BASE >> 22]) & D));
    wr(data, 0x1111);
    check(NAME("  PTE.D set by the write"), get_pte(SLOT_DATA) & D);

    /* INVLPG and MOV CR3 make a changed PTE visible (§4.10.4.1). */
    rd(data);
    if (pae)
        pt_t[SLOT_DATA] = page1 | P | RW;
    else
        pt32[SLOT_DATA] = page1 | P | RW;
    invlpg(data);
    check_eq(NAME("new frame seen after INVLPG"), rd(data), 0x2222);
    if (pae)
        pt_t[SLOT_DATA] = page0 | P | RW;
    else
        pt32[SLOT_DATA] = page0 | P | RW;
    write_cr3(read_cr3());
    check_eq(NAME("new frame seen after MOV CR3"), rd(data), 0x1111);
    if (pae)
        pt_t[SLOT_DATA] = 0;
    else
        pt32[SLOT_DATA] = 0;
    invlpg(data);
    rd(data + 4);
    expect_pf(NAME("read after the PTE was cleared and INVLPG"), 0, data + 4);

    /* CR0.WP: supervisor writes to read-only pages (§4.6.1). */
    set_pte(SLOT_DATA, page0 | P);
    write_cr0(read_cr0() | CR0_WP);
    wr(data + 24, 0x3333);
    expect_pf(NAME("supervisor write to a read-only page, CR0.WP=1"), PF_P | PF_W, data + 24);
    check_eq(NAME("  the write did not land"), *(volatile uint32_t *)(page0 + 24), 0);
    write_cr0(read_cr0() & ~CR0_WP);
    before = trap.count;
    wr(data + 24, 0x3333);
    no_fault(NAME("supervisor write to a read-only page, CR0.WP=0: no fault"), before);
    check_eq(NAME("  the write landed"), *(volatile uint32_t *)(page0 + 24), 0x3333);
    check(NAME("  PTE.D set by it"), get_pte(SLOT_DATA) & D);
    write_cr0(read_cr0() | CR0_WP);

    /* R/W clear in the PDE only: rights combine over the walk (§4.6.1). */
    set_pte(SLOT_DATA, page0 | P | RW);
    if (pae)
        pd_t[0] &= ~(uint64_t)RW;
    else
        pd32[TEST_BASE >> 22] &= ~RW;
    invlpg(data);
    wr(data + 28, 0x4444);
    expect_pf(NAME("supervisor write, R/W clear in the PDE only, WP=1"), PF_P | PF_W, data + 28);
    if (pae)
        pd_t[0] |= RW;
    else
        pd32[TEST_BASE >> 22] |= RW;
    invlpg(data);

    /* Instruction fetches (code page: "jmp *%ecx"). I/D is reported only with
     * PAE and EFER.NXE, or SMEP (§4.7). */
    set_pte(SLOT_CODE, (uint32_t)pages[2] | P | RW);
    before = trap.count;
    jump_at(code);
    no_fault(NAME("fetch from a present page"), before);
    set_pte(SLOT_CODE, 0);
    jump_at(code);
    expect_pf(NAME("fetch from a not-present page, no NX"), 0, code);

    /* CPL 3 accesses (§4.6.1). */
    set_pte(SLOT_UCODE, (uint32_t)pages[3] | P | US);
    set_pte(SLOT_USTACK, (uint32_t)pages[4] | P | RW | US);
    set_pte(SLOT_DATA, page0 | P | RW);
    user_at(U_READ, data);
    expect_pf(NAME("CPL 3 read of a supervisor page"), PF_P | PF_U, data);
    check_eq(NAME("  saved CS is the ring-3 selector"), trap.cs, 0x1b);
    check_eq(NAME("  saved EIP is the faulting instruction"), trap.eip, VPAGE(SLOT_UCODE) + U_READ);
    set_pte(SLOT_DATA, page0 | P | US);
    before = trap.count;
    user_at(U_READ, data);
    no_fault(NAME("CPL 3 read of a read-only user page"), before);
    user_at(U_WRITE, data + 5);
    expect_pf(NAME("CPL 3 write to a read-only user page"), PF_P | PF_W | PF_U, data + 5);
    write_cr0(read_cr0() & ~CR0_WP);
    user_at(U_WRITE, data + 9);
    expect_pf(NAME("CPL 3 write to a read-only user page, WP=0"), PF_P | PF_W | PF_U, data + 9);
    write_cr0(read_cr0() | CR0_WP);
    set_pte(SLOT_DATA, 0);
    user_at(U_WRITE, data + 6);
    expect_pf(NAME("CPL 3 write to a not-present page"), PF_W | PF_U, data + 6);
    set_pte(SLOT_DATA, page0 | P | RW | US);
    before = trap.count;
    user_at(U_WRITE, data + 7);
    no_fault(NAME("CPL 3 write to a writable user page"), before);
    check(NAME("  PTE.A and PTE.D set"), (get_pte(SLOT_DATA) & (A | D)) == (A | D));
    user_at(U_JUMP, code);
    expect_pf(NAME("CPL 3 fetch from a not-present page, no NX"), PF_U, code);
    set_pte(SLOT_CODE, (uint32_t)pages[2] | P | RW);
    user_at(U_JUMP, code);
    expect_pf(NAME("CPL 3 fetch from a supervisor page, no NX"), PF_P | PF_U, code);

    /* U/S clear in the PDE only (§4.6.1). The page sits under a PDE of its
     * own: the user code and stack must stay reachable, and a translation
     * cached from before the PDE changed need not be used (§4.10.4.1). */
    if (pae) {
        pt_t_u[0] = page0 | P | RW | US;
        pd_t[(UPDE >> 21) & 511] = (uint32_t)pt_t_u | P | RW;
    } else {
        pt32_u[0] = page0 | P | RW | US;
        pd32[UPDE >> 22] = (uint32_t)pt32_u | P | RW;
    }
    invlpg(UPDE);
    user_at(U_READ, UPDE + 12);
    expect_pf(NAME("CPL 3 read, U/S clear in the PDE only"), PF_P | PF_U, UPDE + 12);
    if (pae)
        pd_t[(UPDE >> 21) & 511] = 0;
    else
        pd32[UPDE >> 22] = 0;
    invlpg(UPDE);
#undef NAME
}


static unsigned maxphys, pse36, has_nx;

/* 32-bit paging (§4.3): kernel 0-4 MiB through pt_k, 8-12 MiB through a
 * 4 MiB page, test slots at TEST_BASE through pt32. */
static void part_32bit(void)
{
    const char *m = "32-bit: ";
    char name[96];
    uint32_t before, pde_big = BIG >> 22;
    volatile uint32_t *phys = (volatile uint32_t *)(PHYS8M + 0x1238);

    for (int i = 0; i < 1024; i++)
        pt_k[i] = ((uint32_t)i << 12) | P | RW;
    pd32[0] = (uint32_t)pt_k | P | RW;
    pd32[PHYS8M >> 22] = PHYS8M | P | RW | PS;
    pd32[TEST_BASE >> 22] = (uint32_t)pt32 | P | RW | US;
    pae = 0;
    write_cr4((read_cr4() | CR4_PSE) & ~CR4_PAE);
    write_cr3((uint32_t)pd32);
    write_cr0(read_cr0() | CR0_PG | CR0_WP);
    check(name_of(name, m, "paging on with CR4.PAE=0"), (read_cr0() & CR0_PG) && !(read_cr4() & CR4_PAE));

    common_4k(m);

    /* 4 MiB page (§4.3 table 4-4) onto physical 8 MiB. */
    *phys = 0x5555;
    pd32[pde_big] = PHYS8M | P | RW | PS;
    invlpg(BIG);
    before = trap.count;
    check_eq(name_of(name, m, "read through a 4 MiB page"), rd(BIG + 0x1238), 0x5555);
    no_fault(name_of(name, m, "  no fault"), before);
    check(name_of(name, m, "  PDE.A set, PDE.D clear"), (pd32[pde_big] & A) && !(pd32[pde_big] & D));
    wr(BIG + 0x1238, 0x6666);
    check(name_of(name, m, "  PDE.D set by a write"), pd32[pde_big] & D);
    check_eq(name_of(name, m, "  the write reached the frame"), *phys, 0x6666);
    pd32[pde_big] = PHYS8M | P | PS;
    invlpg(BIG);
    wr(BIG + 0x10, 0);
    expect_pf(name_of(name, m, "write to a read-only 4 MiB page"), PF_P | PF_W, BIG + 0x10);

    /* Reserved bits of a 4 MiB PDE: 21:(M-19), M = min(MAXPHYADDR, 40)
     * with PSE-36, else 32 (§4.3, table 4-4; §4.7 RSVD). */
    pd32[pde_big] = PHYS8M | P | RW | PS | (1u << 21);
    invlpg(BIG);
    rd(BIG + 0x18);
    expect_pf(name_of(name, m, "4 MiB PDE with reserved bit 21, read"), PF_P | PF_RSVD, BIG + 0x18);
    wr(BIG + 0x1c, 0);
    expect_pf(name_of(name, m, "4 MiB PDE with reserved bit 21, write"), PF_P | PF_W | PF_RSVD, BIG + 0x1c);
    unsigned m32 = pse36 ? (maxphys < 40 ? maxphys : 40) : 32;
    if (m32 - 19 < 21) {
        pd32[pde_big] = PHYS8M | P | RW | PS | (1u << (m32 - 19));
        invlpg(BIG);
        rd(BIG + 0x20);
        expect_pf(name_of(name, m, "4 MiB PDE with reserved bit M-19"), PF_P | PF_RSVD, BIG + 0x20);
    }
    pd32[pde_big] = PHYS8M | P | RW | US | PS | (1u << 21);
    invlpg(BIG);
    set_pte(SLOT_UCODE, (uint32_t)pages[3] | P | US);
    user_at(U_READ, BIG + 0x24);
    expect_pf(name_of(name, m, "CPL 3 read, user 4 MiB PDE with bit 21"), PF_P | PF_U | PF_RSVD, BIG + 0x24);

    /* CR4.PSE=0: PDE.PS is ignored and the PDE maps a page table (§4.3). */
    *(volatile uint32_t *)pages[0] = 0x7777;
    set_pte(SLOT_DATA, (uint32_t)pages[0] | P | RW);
    pd32[pde_big] = (uint32_t)pt32 | P | RW | PS;
    write_cr4(read_cr4() & ~CR4_PSE);
    before = trap.count;
    check_eq(name_of(name, m, "CR4.PSE=0: a PDE with PS maps a page table"), rd(BIG + 4), rd(VPAGE(SLOT_DATA) + 4));
    check_eq(name_of(name, m, "  through pt32 slot 0"), rd(BIG), 0x7777);
    no_fault(name_of(name, m, "  no fault"), before);
    write_cr4(read_cr4() | CR4_PSE);

    /* Paging off before the switch to PAE (§4.1.2). */
    write_cr0(read_cr0() & ~CR0_PG);
}

/* PAE paging (§4.4): kernel 0-16 MiB through 2 MiB pages (PDPTE 0), test
 * slots at TEST_BASE (PDPTE 1, PDE 0 -> pt_t), 2 MiB page at BIG (PDE 2). */
static void part_pae(void)
{
    const char *m = "PAE: ";
    char name[96];
    uint32_t data = VPAGE(SLOT_DATA), code = VPAGE(SLOT_CODE);
    unsigned pde_big = (BIG >> 21) & 511;
    volatile uint32_t *phys = (volatile uint32_t *)(PHYS8M + 0x1238);

    for (int i = 0; i < 8; i++)
        pd_k[i] = ((uint64_t)i << 21) | P | RW | PS;
    pdpt[0] = (uint32_t)pd_k | P;
    pdpt[1] = (uint32_t)pd_t | P;
    pd_t[0] = (uint32_t)pt_t | P | RW | US;
    memset(pt_t, 0, sizeof pt_t);
    pae = 1;
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~(uint64_t)EFER_NXE);
    write_cr4(read_cr4() | CR4_PAE);
    write_cr3((uint32_t)pdpt);

    /* Enabling PAE paging loads the PDPTEs: a reserved bit is #GP(0) and
     * CR0 keeps its value (§4.4.1; MOV CR instruction reference). */
    pdpt[1] |= RW;
    uint32_t before = trap.count, cr0 = read_cr0() | CR0_PG | CR0_WP;
    PROBE("mov %0, %%cr0", : : "r"(cr0) : "memory");
    check(name_of(name, m, "MOV CR0 setting PG with a reserved PDPTE bit: #GP(0)"),
          trap.count == before + 1 && trap.vector == 13 && trap.error == 0);
    check(name_of(name, m, "  CR0.PG still clear"), !(read_cr0() & CR0_PG));
    pdpt[1] &= ~(uint64_t)RW;
    write_cr0(read_cr0() & ~CR0_PG);
    write_cr0(read_cr0() | CR0_PG | CR0_WP);
    check(name_of(name, m, "paging on with CR4.PAE=1"), (read_cr0() & CR0_PG) && (read_cr4() & CR4_PAE));

    common_4k(m);
    check_eq(name_of(name, m, "PDPTE not written by walks (no A bit, §4.4.1 table 4-8)"),
             pdpt[1], (uint32_t)pd_t | P);

    /* The PDPTE registers are loaded by MOV CR3 only (§4.4.1). */
    set_pte(SLOT_DATA, (uint32_t)pages[0] | P | RW);
    *(volatile uint32_t *)pages[0] = 0x1212;
    pdpt[1] = 0;
    invlpg(data);
    before = trap.count;
    check_eq(name_of(name, m, "cleared PDPTE in memory unused until MOV CR3"), rd(data), 0x1212);
    no_fault(name_of(name, m, "  no fault"), before);
    write_cr3(read_cr3());
    rd(data + 8);
    expect_pf(name_of(name, m, "read after MOV CR3 loaded the not-present PDPTE"), 0, data + 8);
    pdpt[1] = (uint32_t)pd_t | P;
    write_cr3(read_cr3());

    /* Reserved PDPTE bits make MOV CR3 raise #GP(0) (§4.4.1). */
    static const struct { const char *what; uint64_t bit; } rsv[] = {
        { "MOV CR3 with PDPTE bit 1 (R/W) set: #GP(0)", 1ull << 1 },
        { "MOV CR3 with PDPTE bit 5 set: #GP(0)", 1ull << 5 },
        { "MOV CR3 with PDPTE bit 63 set: #GP(0)", 1ull << 63 },
    };
    for (unsigned i = 0; i < sizeof rsv / sizeof rsv[0]; i++) {
        pdpt[1] = (uint32_t)pd_t | P | rsv[i].bit;
        before = trap.count;
        uint32_t cr3 = read_cr3();
        PROBE("mov %0, %%cr3", : : "r"(cr3) : "memory");
        check(name_of(name, m, rsv[i].what), trap.count == before + 1 && trap.vector == 13 && trap.error == 0);
        pdpt[1] = (uint32_t)pd_t | P;
        write_cr3(read_cr3());
    }
    if (maxphys < 52) {
        pdpt[1] = (uint32_t)pd_t | P | (1ull << maxphys);
        before = trap.count;
        uint32_t cr3 = read_cr3();
        PROBE("mov %0, %%cr3", : : "r"(cr3) : "memory");
        check(name_of(name, m, "MOV CR3 with PDPTE bit MAXPHYADDR set: #GP(0)"),
              trap.count == before + 1 && trap.vector == 13 && trap.error == 0);
        pdpt[1] = (uint32_t)pd_t | P;
        write_cr3(read_cr3());
    }
    pdpt[2] = 6;            /* not present: other bits ignored */
    before = trap.count;
    write_cr3(read_cr3());
    no_fault(name_of(name, m, "MOV CR3 with a not-present PDPTE holding reserved bits"), before);
    pdpt[2] = 0;
    write_cr3(read_cr3());

    /* Reserved bits in PDEs and PTEs: 62:M, 63 with NXE=0, 20:13 of a 2 MiB
     * PDE (§4.4.2, tables 4-9..4-11; §4.7 RSVD). */
    uint64_t page0 = (uint32_t)pages[0];
    if (maxphys < 52) {
        set_pte(SLOT_DATA, page0 | P | RW | (1ull << maxphys));
        rd(data);
        expect_pf(name_of(name, m, "read with PTE bit MAXPHYADDR set"), PF_P | PF_RSVD, data);
        wr(data + 4, 0);
        expect_pf(name_of(name, m, "write with PTE bit MAXPHYADDR set"), PF_P | PF_W | PF_RSVD, data + 4);
    }
    set_pte(SLOT_DATA, page0 | P | RW | (1ull << 62));
    rd(data + 8);
    expect_pf(name_of(name, m, "read with PTE bit 62 set"), PF_P | PF_RSVD, data + 8);
    set_pte(SLOT_DATA, page0 | P | RW | US | (1ull << 62));
    user_at(U_READ, data + 16);
    expect_pf(name_of(name, m, "CPL 3 read with PTE bit 62 set"), PF_P | PF_U | PF_RSVD, data + 16);
    set_pte(SLOT_DATA, page0 | P | RW);
    pd_t[0] |= 1ull << 62;
    invlpg(data);
    rd(data + 20);
    expect_pf(name_of(name, m, "read with PDE (to a table) bit 62 set"), PF_P | PF_RSVD, data + 20);
    pd_t[0] &= ~(1ull << 62);
    invlpg(data);
    set_pte(SLOT_DATA, page0 | P | RW | XD);
    rd(data + 12);
    expect_pf(name_of(name, m, "read with PTE.XD set and EFER.NXE=0"), PF_P | PF_RSVD, data + 12);

    /* 2 MiB page (§4.4.2 table 4-9) onto physical 8 MiB. */
    *phys = 0x5656;
    pd_t[pde_big] = PHYS8M | P | RW | PS;
    invlpg(BIG);
    before = trap.count;
    check_eq(name_of(name, m, "read through a 2 MiB page"), rd(BIG + 0x1238), 0x5656);
    no_fault(name_of(name, m, "  no fault"), before);
    check(name_of(name, m, "  PDE.A set, PDE.D clear"), (pd_t[pde_big] & A) && !(pd_t[pde_big] & D));
    wr(BIG + 0x1238, 0x6767);
    check(name_of(name, m, "  PDE.D set by a write"), pd_t[pde_big] & D);
    check_eq(name_of(name, m, "  the write reached the frame"), *phys, 0x6767);
    pd_t[pde_big] = PHYS8M | P | PS;
    invlpg(BIG);
    wr(BIG + 0x10, 0);
    expect_pf(name_of(name, m, "write to a read-only 2 MiB page"), PF_P | PF_W, BIG + 0x10);
    pd_t[pde_big] = PHYS8M | P | RW | PS | (1ull << 13);
    invlpg(BIG);
    rd(BIG + 0x18);
    expect_pf(name_of(name, m, "2 MiB PDE with reserved bit 13"), PF_P | PF_RSVD, BIG + 0x18);
    pd_t[pde_big] = PHYS8M | P | RW | PS | (1ull << 20);
    invlpg(BIG);
    wr(BIG + 0x1c, 0);
    expect_pf(name_of(name, m, "2 MiB PDE with reserved bit 20, write"), PF_P | PF_W | PF_RSVD, BIG + 0x1c);

    /* NX (§4.6.2): EFER.NXE enables XD and the I/D error bit (§4.7). */
    if (!has_nx) {
        check(name_of(name, m, "CPUID.80000001H:EDX.NX reported"), 0);
        return;
    }
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
    set_pte(SLOT_CODE, 0);
    jump_at(code);
    expect_pf(name_of(name, m, "fetch from a not-present page, NXE=1"), PF_ID, code);
    set_pte(SLOT_CODE, (uint32_t)pages[2] | P | RW | XD);
    jump_at(code);
    expect_pf(name_of(name, m, "fetch from an XD page"), PF_P | PF_ID, code);
    before = trap.count;
    check_eq(name_of(name, m, "  data read of the XD page works"), rd(code) & 0xffff, 0xe1ff);
    no_fault(name_of(name, m, "  no fault"), before);
    set_pte(SLOT_CODE, (uint32_t)pages[2] | P | RW);
    before = trap.count;
    jump_at(code);
    no_fault(name_of(name, m, "fetch from the page with XD clear"), before);
    pd_t[0] |= XD;
    invlpg(code);
    jump_at(code);
    expect_pf(name_of(name, m, "fetch with XD in the PDE only"), PF_P | PF_ID, code);
    pd_t[0] &= ~XD;
    invlpg(code);
    set_pte(SLOT_CODE, (uint32_t)pages[2] | P | RW | US | XD);
    user_at(U_JUMP, code);
    expect_pf(name_of(name, m, "CPL 3 fetch from a user XD page"), PF_P | PF_U | PF_ID, code);
    set_pte(SLOT_CODE, (uint32_t)pages[2] | P | RW);
    user_at(U_JUMP, code);
    expect_pf(name_of(name, m, "CPL 3 fetch from a supervisor page, NXE=1"), PF_P | PF_U | PF_ID, code);
    set_pte(SLOT_DATA, page0 | P | RW | XD);
    before = trap.count;
    wr(data + 32, 0x99);
    no_fault(name_of(name, m, "write to an XD page with NXE=1: no fault"), before);
    if (maxphys < 52) {
        set_pte(SLOT_CODE, (uint32_t)pages[2] | P | RW | (1ull << maxphys));
        jump_at(code);
        expect_pf(name_of(name, m, "fetch with a reserved PTE bit, NXE=1"), PF_P | PF_RSVD | PF_ID, code);
    }
    /* 2 MiB page with XD; the code is at physical PHYS8M + 0x2000. */
    *(volatile uint16_t *)(PHYS8M + 0x2000) = 0xe1ff;
    pd_t[pde_big] = PHYS8M | P | RW | PS | XD;
    invlpg(BIG);
    jump_at(BIG + 0x2000);
    expect_pf(name_of(name, m, "fetch from an XD 2 MiB page"), PF_P | PF_ID, BIG + 0x2000);
    pd_t[pde_big] = PHYS8M | P | RW | PS;
    invlpg(BIG);
    before = trap.count;
    jump_at(BIG + 0x2000);
    no_fault(name_of(name, m, "fetch from the 2 MiB page with XD clear"), before);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~(uint64_t)EFER_NXE);
    write_cr0(read_cr0() & ~CR0_PG);
}

int guest_main32(const void *start_info)
{
    (void)start_info;
    uint32_t r[4];
    idt_init();
    fill_code_pages();
    cpuid(1, r);
    check("CPUID reports PSE and PAE", (r[3] & (1u << 3)) && (r[3] & (1u << 6)));
    pse36 = (r[3] >> 17) & 1;
    cpuid(0x80000000u, r);
    unsigned maxext = r[0];
    maxphys = 36;
    if (maxext >= 0x80000008u) {
        cpuid(0x80000008u, r);
        maxphys = r[0] & 0xff;
    }
    if (maxext >= 0x80000001u) {
        cpuid(0x80000001u, r);
        has_nx = (r[3] >> 20) & 1;
    }
    puts_e9("MAXPHYADDR ");
    put_dec(maxphys);
    puts_e9(pse36 ? ", PSE-36" : ", no PSE-36");
    puts_e9(has_nx ? ", NX\n" : ", no NX\n");

    part_32bit();
    part_pae();

    if (failures) {
        puts_e9("paging32: ");
        put_dec(failures);
        puts_e9(" of ");
        put_dec(checks);
        puts_e9(" checks failed\n");
        return 1;
    }
    puts_e9("paging32: all checks passed (");
    put_dec(checks);
    puts_e9(" checks)\n");
    return 0;
}
