/* A small hypervisor on the bare machine (SDM Vol.3C ch.24-31): enable VMX,
 * build a VMCS and EPT tables, run a 64-bit guest that provokes one VM
 * exit per instruction (checking reason, qualification, instruction
 * length/information and saved state), EPT violations and
 * misconfigurations, window, timer, interrupt, NMI and INIT exits, a
 * triple fault, a VM entry with bad guest state, VMfailValid errors, a
 * real-mode guest and a PVH-style guest (32-bit, paging off, enabling long
 * mode itself) through unrestricted guest. Reports on port 0xE9; returns 0
 * when all passed. */
#include "guest.h"
#include "vmx_guest.h"

static uint8_t vmxon_region[4096] __attribute__((aligned(4096)));
static uint8_t vmcs1[4096] __attribute__((aligned(4096)));
static uint8_t vmcs2[4096] __attribute__((aligned(4096)));
static uint8_t vmcs3[4096] __attribute__((aligned(4096)));
static uint8_t bad_vmcs[4096] __attribute__((aligned(4096)));
static uint8_t io_bitmap_a[4096] __attribute__((aligned(4096)));
static uint8_t io_bitmap_b[4096] __attribute__((aligned(4096)));
static uint8_t msr_bitmap[4096] __attribute__((aligned(4096)));
static uint64_t ept_pml4[512] __attribute__((aligned(4096)));
static uint64_t ept_pdpt[512] __attribute__((aligned(4096)));
static uint64_t ept_pd[512] __attribute__((aligned(4096)));
static uint64_t ept_pt[512] __attribute__((aligned(4096)));
static uint8_t guest_stack[16384] __attribute__((aligned(16)));
static uint64_t gregs[16];
static uint64_t host_gdt[5] __attribute__((aligned(16)));
static uint8_t host_tss[104] __attribute__((aligned(16)));

static int failures;
static uint64_t seen[2];          /* exit reasons checked */
static uint32_t revision;

/* ---- reporting ---- */

static void fail(const char *what, uint64_t got, uint64_t want)
{
    puts_e9("FAIL ");
    puts_e9(what);
    puts_e9(": got ");
    put_hex(got);
    puts_e9(" want ");
    put_hex(want);
    putc_e9('\n');
    failures++;
}

static void check(const char *what, uint64_t got, uint64_t want)
{
    if (got != want)
        fail(what, got, want);
}

/* ---- VMCS helpers ---- */

static uint64_t rd(uint64_t f)
{
    uint64_t v = 0;
    int r = vmread(f, &v);
    if (r)
        fail("vmread", f, r);
    return v;
}

static void wr(uint64_t f, uint64_t v)
{
    int r = vmwrite(f, v);
    if (r)
        fail("vmwrite", f, r);
}

/* Controls from the TRUE capability MSRs: allowed-0 bits forced on. */
static uint32_t ctl(uint32_t msr, uint32_t want)
{
    uint64_t cap = rdmsr(msr);
    uint32_t v = (want | (uint32_t)cap) & (uint32_t)(cap >> 32);
    if ((v & want) != want)
        fail("control not allowed", msr, want);
    return v;
}

/* ---- host state ---- */

static void host_tables(void)
{
    uint64_t tss = (uint64_t)(uintptr_t)host_tss;
    host_gdt[1] = 0x00af9a000000ffffull;
    host_gdt[2] = 0x00cf92000000ffffull;
    host_gdt[3] = 0x67 | (tss & 0xffffff) << 16 | 0x89ull << 40 | ((tss >> 24) & 0xff) << 56;
    host_gdt[4] = tss >> 32;
    struct __attribute__((packed)) { uint16_t limit; uint64_t base; } d = { sizeof host_gdt - 1, (uint64_t)(uintptr_t)host_gdt };
    __asm__ volatile("lgdt %0; ltr %w1" : : "m"(d), "r"(0x18) : "memory");
}

static void host_state(void)
{
    wr(VMCS_HOST_CR0, read_cr0());
    wr(VMCS_HOST_CR3, read_cr3());
    wr(VMCS_HOST_CR4, read_cr4());
    wr(VMCS_HOST_CS_SEL, 0x08);
    wr(VMCS_HOST_SS_SEL, 0x10);
    wr(VMCS_HOST_DS_SEL, 0x10);
    wr(VMCS_HOST_ES_SEL, 0x10);
    wr(VMCS_HOST_FS_SEL, 0);
    wr(VMCS_HOST_GS_SEL, 0);
    wr(VMCS_HOST_TR_SEL, 0x18);
    wr(VMCS_HOST_TR_BASE, (uint64_t)(uintptr_t)host_tss);
    wr(VMCS_HOST_GDTR_BASE, (uint64_t)(uintptr_t)host_gdt);
    wr(VMCS_HOST_IDTR_BASE, 0);
}

/* ---- EPT: identity map of 1 GiB, 4 KiB pages in the first 2 MiB ---- */

static uint64_t pa(const void *p)
{
    return (uint64_t)(uintptr_t)p;
}

static void build_ept(void)
{
    ept_pml4[0] = pa(ept_pdpt) | EPT_RWX;
    ept_pdpt[0] = pa(ept_pd) | EPT_RWX;
    ept_pd[0] = pa(ept_pt) | EPT_RWX;
    for (uint64_t i = 1; i < 512; i++)
        ept_pd[i] = (i << 21) | EPT_RWX | EPT_WB | EPT_LARGE;
    for (uint64_t i = 0; i < 512; i++)
        ept_pt[i] = (i << 12) | EPT_RWX | EPT_WB;
    ept_pt[pa(ro_page) >> 12] = pa(ro_page) | EPT_R | EPT_WB;
    ept_pt[pa(mc_page) >> 12] = pa(mc_page) | EPT_W | EPT_WB;     /* write-only: misconfigured */
}

static uint64_t eptp(void)
{
    return pa(ept_pml4) | 6 | 3 << 3 | 1 << 6;
}

static void invept_all(void)
{
    struct { uint64_t eptp, rsvd; } d = { eptp(), 0 };
    if (invept(1, &d))
        fail("invept", 1, 0);
}

/* ---- the 64-bit guest ---- */

static void guest64_state(void)
{
    uint64_t cr4 = read_cr4() | CR4_OSXSAVE;
    wr(VMCS_GUEST_CR0, read_cr0());
    wr(VMCS_GUEST_CR3, read_cr3());
    wr(VMCS_GUEST_CR4, cr4);
    wr(VMCS_CR4_MASK, CR4_VMXE);
    wr(VMCS_CR4_SHADOW, cr4 & ~(uint64_t)CR4_VMXE);
    for (uint32_t s = 0; s < 6; s++) {
        wr(VMCS_GUEST_ES_SEL + 2 * s, 0x10);
        wr(VMCS_GUEST_ES_BASE + 2 * s, 0);
        wr(VMCS_GUEST_ES_LIMIT + 2 * s, 0xffffffff);
        wr(VMCS_GUEST_ES_AR + 2 * s, 0xc093);
    }
    wr(VMCS_GUEST_CS_SEL, 0x08);
    wr(VMCS_GUEST_CS_AR, 0xa09b);
    wr(VMCS_GUEST_FS_SEL, 0);
    wr(VMCS_GUEST_FS_AR, AR_UNUSABLE);
    wr(VMCS_GUEST_GS_SEL, 0);
    wr(VMCS_GUEST_GS_AR, AR_UNUSABLE);
    wr(VMCS_GUEST_LDTR_AR, AR_UNUSABLE);
    wr(VMCS_GUEST_TR_SEL, 0x18);
    wr(VMCS_GUEST_TR_BASE, pa(host_tss));
    wr(VMCS_GUEST_TR_LIMIT, 0x67);
    wr(VMCS_GUEST_TR_AR, 0x8b);
    wr(VMCS_GUEST_GDTR_BASE, pa(host_gdt));
    wr(VMCS_GUEST_GDTR_LIMIT, sizeof host_gdt - 1);
    wr(VMCS_GUEST_IDTR_BASE, 0);
    wr(VMCS_GUEST_IDTR_LIMIT, 0);
    wr(VMCS_GUEST_RFLAGS, 2);
    wr(VMCS_GUEST_RIP, pa(g_start));
    wr(VMCS_GUEST_RSP, pa(guest_stack + sizeof guest_stack));
    wr(VMCS_LINK_PTR, ~0ull);
}

static void bitmaps(void)
{
    io_bitmap_a[0x80 / 8] |= 1 << (0x80 % 8);
    io_bitmap_a[0x3f8 / 8] |= 1 << (0x3f8 % 8);
    io_bitmap_a[0x71 / 8] |= 1 << (0x71 % 8);
    msr_bitmap[0x174 / 8] |= 1 << (0x174 % 8);                 /* read, low MSRs */
    msr_bitmap[3072 + 0x100 / 8] |= 1 << (0x100 % 8);          /* write, 0xc0000100 */
    wr(VMCS_IO_BITMAP_A, pa(io_bitmap_a));
    wr(VMCS_IO_BITMAP_B, pa(io_bitmap_b));
    wr(VMCS_MSR_BITMAP, pa(msr_bitmap));
}

static void controls(bool unrestricted)
{
    wr(VMCS_PIN_CTLS, ctl(MSR_VMX_TRUE_PINBASED, 0));
    wr(VMCS_PROC_CTLS, ctl(MSR_VMX_TRUE_PROCBASED, PROC_HLT | PROC_INVLPG | PROC_RDPMC | PROC_RDTSC |
                                                      PROC_CR3_LOAD | PROC_MOV_DR | PROC_IO_BITMAPS |
                                                      PROC_MSR_BITMAPS | PROC_PAUSE | PROC_SECONDARY));
    wr(VMCS_PROC_CTLS2, ctl(MSR_VMX_PROCBASED2, PROC2_EPT | PROC2_DESC_TABLE | PROC2_RDTSCP | PROC2_VPID |
                                                   PROC2_WBINVD | (unrestricted ? PROC2_UNRESTRICTED : 0)));
    wr(VMCS_EXIT_CTLS, ctl(MSR_VMX_TRUE_EXIT, EXIT_HOST_64 | EXIT_SAVE_EFER));
    wr(VMCS_ENTRY_CTLS, ctl(MSR_VMX_TRUE_ENTRY, unrestricted ? 0 : ENTRY_IA32E));
    wr(VMCS_EXC_BITMAP, 1u << 6 | 1u << 3);
    wr(VMCS_CR3_TARGET_COUNT, 0);
    wr(VMCS_VPID, 1);
    wr(VMCS_EPTP, eptp());
    bitmaps();
}

/* ---- running and checking exits ---- */

static bool launched;

static void run(void)
{
    int r = vmx_run_guest(gregs, !launched);
    if (r) {
        fail("VM entry failed", r, 0);
        if (r == 2)
            fail("VM-instruction error", rd(VMCS_INSN_ERROR), 0);
        return;
    }
    launched = true;
}

/* Run to the next exit; check its reason, qualification and guest RIP. */
static void expect(const char *what, uint32_t reason, uint64_t qual, const void *rip)
{
    run();
    uint32_t got = (uint32_t)rd(VMCS_EXIT_REASON);
    uint64_t q = rd(VMCS_EXIT_QUAL);
    bool ok = got == reason && q == qual && (!rip || rd(VMCS_GUEST_RIP) == pa(rip));
    if (!ok) {
        puts_e9("FAIL exit ");
        puts_e9(what);
        puts_e9(": reason ");
        put_hex(got);
        puts_e9(" qual ");
        put_hex(q);
        puts_e9(" rip ");
        put_hex(rd(VMCS_GUEST_RIP));
        putc_e9('\n');
        failures++;
        return;
    }
    seen[(reason & 0xff) / 64] |= 1ull << (reason & 63);
}

static void skip(uint64_t len)
{
    check("instruction length", rd(VMCS_EXIT_INSN_LEN), len);
    wr(VMCS_GUEST_RIP, rd(VMCS_GUEST_RIP) + len);
}

static void instruction_exits(void)
{
    expect("CPUID", EXIT_CPUID, 0, g_cpuid);
    check("CPUID leaf in guest RAX", gregs[0], 0x40000000);
    gregs[3] = 0x12345678;                                   /* emulated EBX */
    skip(2);
    expect("VMCALL", EXIT_VMCALL, 0, g_vmcall1);
    check("guest R8 kept across exits", gregs[8], 0x12345678);
    skip(3);
    expect("OUT imm8", EXIT_IO, 0x80u << 16 | 1u << 6, g_out);
    skip(2);
    expect("IN DX", EXIT_IO, 0x3f8u << 16 | 8 | 1, g_in);
    skip(2);
    expect("RDMSR", EXIT_RDMSR, 0, g_rdmsr);
    check("RDMSR ECX", gregs[1], 0x174);
    skip(2);
    expect("WRMSR", EXIT_WRMSR, 0, g_wrmsr);
    check("WRMSR ECX", gregs[1], 0xc0000100);
    skip(2);
    expect("MOV to CR3", EXIT_CR_ACCESS, 3 | 0 << 4 | 0 << 8, g_movcr3);
    skip(3);
    expect("MOV to CR4", EXIT_CR_ACCESS, 4 | 0 << 4 | 3 << 8, g_movcr4);
    skip(3);
    expect("VMCALL after CR4", EXIT_VMCALL, 0, g_vmcall2);
    check("CR4 read shadow", gregs[9], rd(VMCS_CR4_SHADOW));
    skip(3);
    expect("MOV from DR7", EXIT_DR_ACCESS, 7 | 1 << 4 | 6 << 8, g_movdr);
    skip(3);
    expect("RDTSC", EXIT_RDTSC, 0, g_rdtsc);
    skip(2);
    expect("INVLPG", EXIT_INVLPG, 0x345000, g_invlpg);
    skip(3);
}

static void ept_exits(void)
{
    /* Table 28-7: write, readable, linear address valid, final translation. */
    expect("EPT violation", EXIT_EPT_VIOLATION, 0x2 | 0x8 | 0x80 | 0x100, g_ept_write);
    check("EPT violation GPA", rd(VMCS_GUEST_PHYS_ADDR), pa(ro_page) + 8);
    check("EPT violation GLA", rd(VMCS_GUEST_LINEAR_ADDR), pa(ro_page) + 8);
    ept_pt[pa(ro_page) >> 12] |= EPT_W;
    invept_all();
    expect("EPT misconfiguration", EXIT_EPT_MISCONFIG, 0, g_ept_misconfig);
    check("EPT misconfiguration GPA", rd(VMCS_GUEST_PHYS_ADDR), pa(mc_page));
    check("store after the violation", ((volatile uint64_t *)ro_page)[1], 0x77);
    ept_pt[pa(mc_page) >> 12] |= EPT_R;
    invept_all();
}

static void more_exits(void)
{
    expect("#UD", EXIT_EXCEPTION, 0, g_ud2);
    check("#UD interruption info", rd(VMCS_EXIT_INTR_INFO), 0x80000306);
    wr(VMCS_GUEST_RIP, pa(g_int3));
    expect("INT3", EXIT_EXCEPTION, 0, g_int3);
    check("INT3 interruption info", rd(VMCS_EXIT_INTR_INFO), 0x80000603);
    skip(1);
    expect("XSETBV", EXIT_XSETBV, 0, g_xsetbv);
    skip(3);
    expect("WBINVD", EXIT_WBINVD, 0, g_wbinvd);
    skip(2);
    expect("INVD", EXIT_INVD, 0, g_invd);
    skip(2);
    expect("PAUSE", EXIT_PAUSE, 0, g_pause);
    skip(2);
    expect("RDPMC", EXIT_RDPMC, 0, g_rdpmc);
    skip(2);
    expect("RDTSCP", EXIT_RDTSCP, 0, g_rdtscp);
    skip(3);
    expect("SGDT", EXIT_GDTR_IDTR, 0x40, g_sgdt);
    /* identity 0, base RSP, no index, 64-bit addresses, SS */
    check("SGDT instruction info", rd(VMCS_EXIT_INSN_INFO) & 0x3fc38380, 4u << 23 | 1u << 22 | 2u << 15 | 2u << 7);
    skip(5);
    expect("STR", EXIT_LDTR_TR, 0, g_str);
    check("STR instruction info", rd(VMCS_EXIT_INSN_INFO) & 0x30000478, 1u << 28 | 1u << 10 | 0u << 3);
    skip(4);
    expect("VMREAD in the guest", EXIT_VMREAD, 0, g_vmread);
    check("VMREAD instruction info", rd(VMCS_EXIT_INSN_INFO) & 0xf0000478, 2u << 28 | 1u << 10 | 3u << 3);
    skip(3);
    expect("VMCALL at the end", EXIT_VMCALL, 0, g_vmcall_end);
    check("guest RAX at the end", gregs[0], 0xd0e);
    check("saved EFER.LMA", rd(VMCS_GUEST_EFER) & EFER_LMA, EFER_LMA);
}

/* VMX instructions in the guest: each exits, with the memory operand's
 * displacement as qualification and the instruction information (§28.2.5). */
static void vmx_instruction_exits(void)
{
    /* base RAX, no index, 64-bit addresses, DS */
    const uint32_t mem_info = 0u << 23 | 1u << 22 | 3u << 15 | 2u << 7, mask = 0xffc3fb83;
    wr(VMCS_GUEST_RIP, pa(g_vmx_insns));
    expect("VMCLEAR in the guest", EXIT_VMCLEAR, 0, g_vmclear);
    check("VMCLEAR instruction info", rd(VMCS_EXIT_INSN_INFO) & mask, mem_info);
    skip(4);
    expect("VMPTRLD in the guest", EXIT_VMPTRLD, 0, g_vmptrld);
    skip(3);
    expect("VMPTRST in the guest", EXIT_VMPTRST, 0, g_vmptrst);
    skip(3);
    expect("VMWRITE in the guest", EXIT_VMWRITE, 0, g_vmwrite);
    check("VMWRITE instruction info", rd(VMCS_EXIT_INSN_INFO) & 0xf0000478, 2u << 28 | 1u << 10 | 3u << 3);
    skip(3);
    expect("VMLAUNCH in the guest", EXIT_VMLAUNCH, 0, g_vmlaunch);
    skip(3);
    expect("VMRESUME in the guest", EXIT_VMRESUME, 0, g_vmresume);
    skip(3);
    expect("VMXON in the guest", EXIT_VMXON, 0, g_vmxon);
    skip(4);
    expect("INVEPT in the guest", EXIT_INVEPT, 0, g_invept);
    check("INVEPT instruction info", rd(VMCS_EXIT_INSN_INFO) & (mask | 0xf0000000u), 2u << 28 | mem_info);
    skip(5);
    expect("INVVPID in the guest", EXIT_INVVPID, 0, g_invvpid);
    skip(5);
    expect("VMXOFF in the guest", EXIT_VMXOFF, 0, g_vmxoff);
    skip(3);
    expect("VMCALL after the VMX instructions", EXIT_VMCALL, 0, g_vmx_done);
}

/* VPID (§29.1, §29.3.3): the guest's combined mappings survive VM exits
 * and entries, so an EPT change without invalidation may go unseen;
 * INVVPID drops one address or the whole VPID. Then INVPCID under
 * "enable INVPCID" and "INVLPG exiting" (exit 58, §26.1.3), and HLT. */
static void tlb_exits(void)
{
    struct { uint64_t vpid, lin; } d = { 1, pa(tlb_page) };
    uint64_t ept_old = ept_pt[pa(tlb_page) >> 12];
    *(volatile uint64_t *)tlb_page = 0x1111;
    *(volatile uint64_t *)alt_page = 0x2222;
    wr(VMCS_GUEST_RIP, pa(g_tlb_read));
    expect("VMCALL after a read", EXIT_VMCALL, 0, g_tlb_vmcall);
    check("the read", gregs[3], 0x1111);
    ept_pt[pa(tlb_page) >> 12] = pa(alt_page) | EPT_RWX | EPT_WB;    /* no INVEPT */
    wr(VMCS_GUEST_RIP, pa(g_tlb_read));
    expect("VMCALL after a second read", EXIT_VMCALL, 0, g_tlb_vmcall);
    check("VPID kept the guest's translation", gregs[3], 0x1111);
    check("INVVPID individual address", invvpid(0, &d), 0);
    wr(VMCS_GUEST_RIP, pa(g_tlb_read));
    expect("VMCALL after INVVPID", EXIT_VMCALL, 0, g_tlb_vmcall);
    check("INVVPID dropped the address", gregs[3], 0x2222);
    ept_pt[pa(tlb_page) >> 12] = ept_old;
    d.lin = 0;
    check("INVVPID single context", invvpid(1, &d), 0);
    wr(VMCS_GUEST_RIP, pa(g_tlb_read));
    expect("VMCALL after INVVPID 1", EXIT_VMCALL, 0, g_tlb_vmcall);
    check("INVVPID dropped the VPID", gregs[3], 0x1111);
    d.vpid = 0;
    check("INVVPID of VPID 0", invvpid(1, &d), 2);
    check("  error 28", rd(VMCS_INSN_ERROR), VMERR_INVALID_OPERAND);
    d.vpid = 1;
    d.lin = 1ull << 47;
    check("INVVPID of a non-canonical address", invvpid(0, &d), 2);
    uint64_t proc2 = rd(VMCS_PROC_CTLS2);
    wr(VMCS_PROC_CTLS2, proc2 | ctl(MSR_VMX_PROCBASED2, PROC2_INVPCID));
    wr(VMCS_GUEST_RIP, pa(g_invpcid));
    expect("INVPCID", EXIT_INVPCID, 0x10, g_invpcid_insn);
    /* base RAX, no index, 64-bit addresses, DS, type register RDX */
    check("INVPCID instruction info", rd(VMCS_EXIT_INSN_INFO) & 0xffc3fb83,
          2u << 28 | 0u << 23 | 1u << 22 | 3u << 15 | 2u << 7);
    skip(6);
    wr(VMCS_PROC_CTLS2, proc2);
    expect("HLT", EXIT_HLT, 0, g_hlt);
    check("HLT: not halted on exit", rd(VMCS_GUEST_ACTIVITY), 0);
    skip(1);
    expect("VMCALL after HLT", EXIT_VMCALL, 0, g_after_hlt);
}

/* MONITOR and MWAIT exiting (§26.1.3): MWAIT's qualification tells
 * whether the monitor was armed (§28.2.1), i.e. MONITOR ran in the guest. */
static void monitor_exits(void)
{
    uint64_t proc = rd(VMCS_PROC_CTLS);
    wr(VMCS_PROC_CTLS, proc | ctl(MSR_VMX_TRUE_PROCBASED, PROC_MONITOR | PROC_MWAIT));
    wr(VMCS_GUEST_RIP, pa(g_monitor));
    expect("MONITOR", EXIT_MONITOR, 0, g_monitor_insn);
    skip(3);
    expect("MWAIT, monitor not armed", EXIT_MWAIT, 0, g_mwait_insn);
    wr(VMCS_PROC_CTLS, proc | ctl(MSR_VMX_TRUE_PROCBASED, PROC_MWAIT));
    wr(VMCS_GUEST_RIP, pa(g_monitor));
    expect("MWAIT, monitor armed", EXIT_MWAIT, 1, g_mwait_insn);
    wr(VMCS_PROC_CTLS, proc);
}

/* Exits that need no instruction: windows, the timer, a triple fault. */
static void event_exits(void)
{
    uint64_t pin = rd(VMCS_PIN_CTLS), proc = rd(VMCS_PROC_CTLS), exit = rd(VMCS_EXIT_CTLS);
    wr(VMCS_GUEST_RIP, pa(g_spin));
    wr(VMCS_PIN_CTLS, pin | PIN_NMI | PIN_VIRT_NMI);
    wr(VMCS_PROC_CTLS, proc | PROC_NMI_WINDOW);
    expect("NMI window", EXIT_NMI_WINDOW, 0, g_spin);
    wr(VMCS_PIN_CTLS, pin);
    wr(VMCS_PROC_CTLS, proc | PROC_INT_WINDOW);
    wr(VMCS_GUEST_RFLAGS, 2 | RFLAGS_IF);
    expect("interrupt window", EXIT_INT_WINDOW, 0, g_spin);
    wr(VMCS_PROC_CTLS, proc);
    wr(VMCS_GUEST_RFLAGS, 2);
    wr(VMCS_PIN_CTLS, pin | PIN_PREEMPT_TIMER);
    wr(VMCS_EXIT_CTLS, exit | EXIT_SAVE_TIMER);
    wr(VMCS_PREEMPT_TIMER, 200);
    expect("preemption timer", EXIT_PREEMPT_TIMER, 0, g_spin);
    check("timer saved at zero", rd(VMCS_PREEMPT_TIMER), 0);
    wr(VMCS_PIN_CTLS, pin);
    wr(VMCS_EXIT_CTLS, exit);
    wr(VMCS_EXC_BITMAP, 0);
    wr(VMCS_GUEST_RIP, pa(g_triple));
    expect("triple fault", EXIT_TRIPLE_FAULT, 0, g_triple);
    wr(VMCS_EXC_BITMAP, 1u << 6 | 1u << 3);
}

/* The x2APIC: timer interrupt, self-NMI and self-INIT while the guest runs. */
static void x2apic_on(void)
{
    wrmsr(0x1b, rdmsr(0x1b) | 1u << 11 | 1u << 10);           /* APIC_BASE: EN, EXTD */
    wrmsr(0x80f, 0x1ff);                                       /* SVR: enabled */
}

static void interrupt_exits(void)
{
    uint64_t pin = rd(VMCS_PIN_CTLS), exit = rd(VMCS_EXIT_CTLS);
    x2apic_on();
    wr(VMCS_PIN_CTLS, pin | PIN_EXT_INT);
    wr(VMCS_EXIT_CTLS, exit | EXIT_ACK_INT);
    wrmsr(0x83e, 0xb);                                         /* divide by 1 */
    wrmsr(0x832, 0x40);                                        /* LVT timer: one-shot, vector 0x40 */
    wrmsr(0x838, 100);                                         /* initial count */
    wr(VMCS_GUEST_RIP, pa(g_spin));
    expect("external interrupt", EXIT_EXTINT, 0, g_spin);
    check("acknowledged vector", rd(VMCS_EXIT_INTR_INFO), 0x80000040);
    wrmsr(0x80b, 0);                                           /* EOI */
    wr(VMCS_PIN_CTLS, pin | PIN_NMI);
    wr(VMCS_GUEST_RIP, pa(g_nmi_self));
    expect("NMI", EXIT_EXCEPTION, 0, g_nmi_after);
    check("NMI interruption info", rd(VMCS_EXIT_INTR_INFO), 0x80000202);
    wr(VMCS_PIN_CTLS, pin);
    wr(VMCS_GUEST_RIP, pa(g_init_self));
    expect("INIT", EXIT_INIT, 0, g_init_after);
    wr(VMCS_EXIT_CTLS, exit);
}

/* Failed VM entries: bad guest state is an exit with bit 31; bad controls,
 * bad host state and launch-state errors are VMfailValid. */
static void entry_failures(void)
{
    uint64_t cr0 = rd(VMCS_GUEST_CR0);
    wr(VMCS_GUEST_RIP, pa(g_start));
    wr(VMCS_GUEST_CR0, cr0 & ~1ull);                         /* PG without PE */
    expect("bad guest state", EXIT_REASON_FAIL | EXIT_BAD_GUEST, 0, 0);
    wr(VMCS_GUEST_CR0, cr0);
    check("VMLAUNCH of a launched VMCS", vmx_run_guest(gregs, 1), 2);
    check("error 4", rd(VMCS_INSN_ERROR), VMERR_LAUNCH_NOT_CLEAR);
    uint64_t pin = rd(VMCS_PIN_CTLS);
    wr(VMCS_PIN_CTLS, pin | 1u << 9);
    check("reserved pin control", vmx_run_guest(gregs, 0), 2);
    check("error 7", rd(VMCS_INSN_ERROR), VMERR_BAD_CONTROLS);
    wr(VMCS_PIN_CTLS, pin);
    uint64_t hcr4 = rd(VMCS_HOST_CR4);
    wr(VMCS_HOST_CR4, hcr4 & ~(uint64_t)CR4_VMXE);
    check("host CR4 without VMXE", vmx_run_guest(gregs, 0), 2);
    check("error 8", rd(VMCS_INSN_ERROR), VMERR_BAD_HOST_STATE);
    wr(VMCS_HOST_CR4, hcr4);
}

static void instruction_errors(void)
{
    uint64_t v;
    check("VMCALL in root", vmcall_root(), 2);
    check("error 1", rd(VMCS_INSN_ERROR), VMERR_VMCALL_ROOT);
    check("VMXON in root", vmxon(pa(vmxon_region)), 2);
    check("error 15", rd(VMCS_INSN_ERROR), VMERR_VMXON_ROOT);
    check("VMREAD of no field", vmread(0x7fff, &v), 2);
    check("error 12", rd(VMCS_INSN_ERROR), VMERR_BAD_FIELD);
    check("VMWRITE to exit reason", vmwrite(VMCS_EXIT_REASON, 1), 2);
    check("error 13", rd(VMCS_INSN_ERROR), VMERR_READONLY);
    *(volatile uint32_t *)bad_vmcs = revision ^ 1;
    check("VMPTRLD bad revision", vmptrld(pa(bad_vmcs)), 2);
    check("error 11", rd(VMCS_INSN_ERROR), VMERR_BAD_REVISION);
    check("VMCLEAR of the VMXON region", vmclear(pa(vmxon_region)), 2);
    check("error 3", rd(VMCS_INSN_ERROR), VMERR_VMCLEAR_VMXON);
    uint64_t cur = 0;
    check("VMPTRST", vmptrst(&cur), 0);
    check("current VMCS", cur, pa(vmcs1));
}

/* ---- the real-mode guest (unrestricted guest) ---- */

static void real_mode_guest(void)
{
    uint8_t *dst = (uint8_t *)(uintptr_t)0x8000;
    for (const uint8_t *p = rm_code; p < rm_code_end; p++)
        *dst++ = *p;
    *(volatile uint32_t *)vmcs2 = revision;
    check("VMCLEAR vmcs2", vmclear(pa(vmcs2)), 0);
    check("VMPTRLD vmcs2", vmptrld(pa(vmcs2)), 0);
    launched = false;
    controls(true);
    host_state();
    wr(VMCS_GUEST_CR0, 0x30);                                   /* NE, ET: paging and PE off */
    wr(VMCS_GUEST_CR3, 0);
    wr(VMCS_GUEST_CR4, CR4_VMXE);
    for (uint32_t s = 0; s < 6; s++) {
        wr(VMCS_GUEST_ES_SEL + 2 * s, 0);
        wr(VMCS_GUEST_ES_BASE + 2 * s, 0);
        wr(VMCS_GUEST_ES_LIMIT + 2 * s, 0xffff);
        wr(VMCS_GUEST_ES_AR + 2 * s, 0x93);
    }
    wr(VMCS_GUEST_CS_SEL, 0x800);
    wr(VMCS_GUEST_CS_BASE, 0x8000);
    wr(VMCS_GUEST_CS_AR, 0x9b);
    wr(VMCS_GUEST_LDTR_AR, AR_UNUSABLE);
    wr(VMCS_GUEST_TR_LIMIT, 0xffff);
    wr(VMCS_GUEST_TR_AR, 0x8b);
    wr(VMCS_GUEST_GDTR_LIMIT, 0xffff);
    wr(VMCS_GUEST_IDTR_LIMIT, 0x3ff);
    wr(VMCS_GUEST_RFLAGS, 2);
    wr(VMCS_GUEST_RIP, 0);
    wr(VMCS_GUEST_RSP, 0x7000);
    wr(VMCS_LINK_PTR, ~0ull);
    expect("real mode OUT", EXIT_IO, 0x71u << 16 | 1u << 6, (void *)3);
    check("real mode CS base", rd(VMCS_GUEST_CS_BASE), 0x8000);
    check("real mode CR0.PE", rd(VMCS_GUEST_CR0) & 1, 0);
    check("real mode AL", gregs[0] & 0xff, 0xaa);
    skip(2);
    expect("real mode VMCALL", EXIT_VMCALL, 0, (void *)9);
    check("real mode CS selector", gregs[3] & 0xffff, 0x800);
    check("real mode SP", gregs[1] & 0xffff, 0x7000);
    skip(3);
    expect("real mode HLT", EXIT_HLT, 0, (void *)12);
    check("IA-32e guest control after a real-mode exit", rd(VMCS_ENTRY_CTLS) & ENTRY_IA32E, 0);
}

/* ---- a PVH-style guest: 32-bit, paging off, then long mode on its own ---- */

static void pvh_style_guest(void)
{
    *(volatile uint32_t *)vmcs3 = revision;
    check("VMCLEAR vmcs3", vmclear(pa(vmcs3)), 0);
    check("VMPTRLD vmcs3", vmptrld(pa(vmcs3)), 0);
    launched = false;
    controls(true);
    host_state();
    guest64_state();
    wr(VMCS_GUEST_CR0, 0x31);                                   /* PE, ET, NE: paging off */
    wr(VMCS_GUEST_CR3, 0);
    wr(VMCS_GUEST_CR4, CR4_VMXE);
    wr(VMCS_CR4_MASK, 0);
    wr(VMCS_GUEST_CS_AR, 0xc09b);                               /* 32-bit code */
    wr(VMCS_GUEST_RIP, pa(g_pvh32));
    gregs[3] = read_cr3();
    expect("PVH: MOV to CR3", EXIT_CR_ACCESS, 3 | 0 << 4 | 3 << 8, g_pvh_cr3);
    wr(VMCS_GUEST_CR3, gregs[3]);                              /* emulate the load */
    skip(3);
    expect("PVH: VMCALL in 64-bit mode", EXIT_VMCALL, 0, g_pvh64);
    check("PVH: EFER.LMA", rd(VMCS_GUEST_EFER) & EFER_LMA, EFER_LMA);
    check("PVH: IA-32e mode guest saved", rd(VMCS_ENTRY_CTLS) & ENTRY_IA32E, ENTRY_IA32E);
    check("PVH: CR0.PG", rd(VMCS_GUEST_CR0) >> 31, 1);
    check("PVH: CS.L", (rd(VMCS_GUEST_CS_AR) >> 13) & 1, 1);
}

/* ---- setup ---- */

static bool enable_vmx(void)
{
    uint32_t r[4];
    cpuid(1, r);
    if (!(r[2] & (1u << 5))) {
        puts_e9("FAIL: CPUID reports no VMX\n");
        return false;
    }
    uint64_t basic = rdmsr(MSR_VMX_BASIC);
    revision = (uint32_t)basic & 0x7fffffff;
    check("VMCS region size", (basic >> 32) & 0x1fff, 4096);
    check("TRUE controls", (basic >> 55) & 1, 1);
    check("CR0 fixed bits", rdmsr(MSR_VMX_CR0_FIXED0), 0x80000021);
    check("CR4 fixed bits", rdmsr(MSR_VMX_CR4_FIXED0), CR4_VMXE);
    uint64_t ept_cap = rdmsr(MSR_VMX_EPT_VPID_CAP);
    check("EPT 4-level, WB, 2M, INVEPT", ept_cap & (1u << 6 | 1u << 14 | 1u << 16 | 1u << 20),
          1u << 6 | 1u << 14 | 1u << 16 | 1u << 20);
    if (!(rdmsr(0x3a) & 1))
        wrmsr(0x3a, 5);                                           /* lock, VMX outside SMX */
    write_cr4(read_cr4() | CR4_VMXE);
    *(volatile uint32_t *)vmxon_region = revision;
    *(volatile uint32_t *)vmcs1 = revision;
    if (vmxon(pa(vmxon_region)) != 0) {
        puts_e9("FAIL: VMXON\n");
        return false;
    }
    check("VMCLEAR", vmclear(pa(vmcs1)), 0);
    check("VMPTRLD", vmptrld(pa(vmcs1)), 0);
    return true;
}

static unsigned count_seen(void)
{
    unsigned n = 0;
    for (int i = 0; i < 128; i++)
        n += (seen[i / 64] >> (i % 64)) & 1;
    return n;
}

int guest_main(const void *start_info)
{
    (void)start_info;
    puts_e9("vmx: hypervisor test\n");
    host_tables();
    if (!enable_vmx())
        return 1;
    build_ept();
    controls(false);
    host_state();
    guest64_state();
    instruction_exits();
    ept_exits();
    more_exits();
    vmx_instruction_exits();
    tlb_exits();
    monitor_exits();
    event_exits();
    interrupt_exits();
    entry_failures();
    instruction_errors();
    real_mode_guest();
    pvh_style_guest();
    check("VMXOFF", vmxoff(), 0);
    unsigned n = count_seen();
    puts_e9("vmx: distinct exit reasons checked: ");
    put_hex(n);
    putc_e9('\n');
    if (n < 15)
        fail("too few exit reasons", n, 15);
    if (failures) {
        puts_e9("vmx: FAILED\n");
        return 1;
    }
    puts_e9("vmx: all checks passed\n");
    return 0;
}
