/* VM entry and exit through the root-mode API and through the VMX
 * instructions: the checks of SDM Vol.3C §27.2-27.3 with their
 * VM-instruction errors and exit reasons 33/34, guest state saved on
 * exit, instruction exits with their qualifications, EPT violations,
 * event injection and an unrestricted real-mode guest. */
#include <check.h>
#include <string.h>

#include "../../src/vmx/vmx_int.h"

#define RAM (16u << 20)
#define VMXON_REGION 0x1000u
#define VMCS_REGION 0x2000u
#define VMCS2_REGION 0x3000u
#define MSR_LIST 0x4000u
#define EPT_PML4 0x10000u     /* EPT: 4 KiB pages below 2 MiB, then 2 MiB pages */
#define EPT_PDPT 0x11000u
#define EPT_PD 0x12000u
#define EPT_PT 0x13000u
#define G_PML4 0x20000u       /* guest paging: identity, 2 MiB pages */
#define G_IDT 0x30000u
#define G_GDT 0x31000u
#define G_STACK 0x80000u
#define G_CODE 0x100000u
#define G_HANDLER 0x101000u

static machine_t m;
static cpu_t *cpu;

static void put64(uint64_t pa, uint64_t v)
{
    ck_assert(phys_copy_to(&m.mem, pa, &v, 8));
}

static void put32(uint64_t pa, uint32_t v)
{
    ck_assert(phys_copy_to(&m.mem, pa, &v, 4));
}

/* Code written behind the CPU's back: drop predecoded blocks of the page. */
static void code(uint64_t pa, const void *p, size_t n)
{
    ck_assert(phys_copy_to(&m.mem, pa, p, n));
    if (m.mem.code_pages[pa >> 12])
        machine_code_written(&m, pa);
}

static void wr(uint32_t f, uint64_t v)
{
    ck_assert_int_eq(vmx_api_vmwrite(cpu, f, v), 0);
}

static uint64_t rd(uint32_t f)
{
    uint64_t v = 0;
    ck_assert_int_eq(vmx_api_vmread(cpu, f, &v), 0);
    return v;
}

static void build_ept(void)
{
    put64(EPT_PML4, EPT_PDPT | 7);
    put64(EPT_PDPT, EPT_PD | 7);
    put64(EPT_PD, EPT_PT | 7);
    for (uint64_t i = 1; i < 512; i++)
        put64(EPT_PD + 8 * i, (i << 21) | 7 | 6 << 3 | 1 << 7);
    for (uint64_t i = 0; i < 512; i++)
        put64(EPT_PT + 8 * i, (i << 12) | 7 | 6 << 3);
}

/* Null, 64-bit code (0x08), data (0x10). */
static void build_guest_gdt(void)
{
    put64(G_GDT + 8, 0x00af9b000000ffffull);
    put64(G_GDT + 16, 0x00cf93000000ffffull);
}

static void build_guest_paging(void)
{
    put64(G_PML4, (G_PML4 + 0x1000) | 3);
    put64(G_PML4 + 0x1000, (G_PML4 + 0x2000) | 3);
    for (uint64_t i = 0; i < 512; i++)
        put64(G_PML4 + 0x2000 + 8 * i, (i << 21) | 0x83);
}

static void seg(int s, uint16_t sel, uint64_t base, uint32_t limit, uint32_t ar)
{
    wr(VMCS_GUEST_ES_SEL + 2u * (uint32_t)s, sel);
    wr(VMCS_GUEST_ES_BASE + 2u * (uint32_t)s, base);
    wr(VMCS_GUEST_ES_LIMIT + 2u * (uint32_t)s, limit);
    wr(VMCS_GUEST_ES_AR + 2u * (uint32_t)s, ar);
}

static void controls(void)
{
    wr(VMCS_PIN_CTLS, 0x16);
    wr(VMCS_PROC_CTLS, (0x0401e172u & ~(PROC_CR3_LOAD | PROC_CR3_STORE)) | PROC_HLT | PROC_SECONDARY);
    wr(VMCS_PROC_CTLS2, PROC2_EPT);
    wr(VMCS_EXIT_CTLS, (0x36dffu & ~EXIT_SAVE_DEBUG) | EXIT_HOST_64 | EXIT_SAVE_EFER);
    wr(VMCS_ENTRY_CTLS, (0x11ffu & ~ENTRY_LOAD_DEBUG) | ENTRY_IA32E);
    wr(VMCS_EPTP, EPT_PML4 | 6 | 3 << 3 | 1 << 6);
    wr(VMCS_LINK_PTR, ~0ull);
}

/* A 64-bit guest at G_CODE with flat segments. */
static void guest64(void)
{
    wr(VMCS_GUEST_CR0, CR0_PE | CR0_NE | CR0_PG | CR0_ET);
    wr(VMCS_GUEST_CR4, CR4_PAE | CR4_VMXE);
    wr(VMCS_GUEST_CR3, G_PML4);
    for (int s = 0; s < 6; s++)
        seg(s, 0x10, 0, 0xffffffff, 0xc093);
    seg(SEG_CS, 0x08, 0, 0xffffffff, 0xa09b);
    seg(SEG_LDTR, 0, 0, 0, SEGA_UNUSABLE);
    seg(SEG_TR, 0x18, 0, 0x67, 0x8b);
    wr(VMCS_GUEST_GDTR_BASE, G_GDT);
    wr(VMCS_GUEST_GDTR_LIMIT, 0xff);
    wr(VMCS_GUEST_IDTR_BASE, G_IDT);
    wr(VMCS_GUEST_IDTR_LIMIT, 0xfff);
    wr(VMCS_GUEST_RFLAGS, 2);
    wr(VMCS_GUEST_RIP, G_CODE);
    wr(VMCS_GUEST_RSP, G_STACK);
}

/* A machine of ncpu vCPUs; the last one runs the guest. */
static void setup_cpus(int ncpu)
{
    ck_assert_int_eq(machine_init(&m, ncpu), 0);
    ck_assert_int_eq(phys_add_ram(&m.mem, 0, RAM), 0);
    cpu = m.cpu[ncpu - 1];
    cpu->deliver_exceptions = true;
    build_ept();
    build_guest_paging();
    build_guest_gdt();
    put32(VMXON_REGION, VMX_REVISION);
    put32(VMCS_REGION, VMX_REVISION);
    ck_assert_int_eq(vmx_api_vmxon(cpu, VMXON_REGION), 0);
    ck_assert_int_eq(vmx_api_vmclear(cpu, VMCS_REGION), 0);
    ck_assert_int_eq(vmx_api_vmptrld(cpu, VMCS_REGION), 0);
    controls();
    guest64();
}

static void setup(void)
{
    setup_cpus(1);
}

static void teardown(void)
{
    machine_destroy(&m);
}

static vmx_exit_t run(void)
{
    vmx_exit_t e;
    memset(&e, 0, sizeof e);
    int rc = vmx_run(cpu, 100000, &e);
    ck_assert_msg(rc == 1, "vmx_run %d, exception %d, rip %llx", rc, cpu->exc.vector,
                  (unsigned long long)cpu->r[R_RIP]);
    return e;
}

/* Resume after an instruction exit. */
static void skip_insn(const vmx_exit_t *e)
{
    wr(VMCS_GUEST_RIP, rd(VMCS_GUEST_RIP) + e->insn_len);
}

START_TEST(cpuid_then_hlt)
{
    static const uint8_t prog[] = { 0xb8, 0x01, 0, 0, 0, 0x0f, 0xa2, 0xf4 };   /* mov eax,1; cpuid; hlt */
    code(G_CODE, prog, sizeof prog);
    vmx_exit_t e = run();
    ck_assert_uint_eq(e.reason, EXIT_CPUID);
    ck_assert_uint_eq(e.insn_len, 2);
    ck_assert_uint_eq(rd(VMCS_GUEST_RIP), G_CODE + 5);
    ck_assert_uint_eq(cpu->r[R_RAX], 1);
    ck_assert_uint_eq(rd(VMCS_GUEST_EFER) & EFER_LMA, EFER_LMA);
    skip_insn(&e);
    e = run();
    ck_assert_uint_eq(e.reason, EXIT_HLT);
    ck_assert_uint_eq(e.insn_len, 1);
    ck_assert_uint_eq(rd(VMCS_GUEST_RIP), G_CODE + 7);
}
END_TEST

START_TEST(io_and_cr_exits)
{
    static const uint8_t prog[] = {
        0xe6, 0x80,                 /* out 0x80, al */
        0x66, 0xba, 0xf8, 0x03,     /* mov dx, 0x3f8 */
        0x66, 0xed,                 /* in ax, dx */
        0x0f, 0x20, 0xe3,           /* mov rbx, cr4 */
        0x0f, 0x22, 0xd9,           /* mov cr3, rcx */
        0xf4,
    };
    code(G_CODE, prog, sizeof prog);
    wr(VMCS_PROC_CTLS, rd(VMCS_PROC_CTLS) | PROC_UNCOND_IO | PROC_CR3_LOAD);
    wr(VMCS_CR4_MASK, CR4_VMXE);
    wr(VMCS_CR4_SHADOW, 0);
    vmx_exit_t e = run();
    ck_assert_uint_eq(e.reason, EXIT_IO);
    ck_assert_uint_eq(e.qual, 0x80u << 16 | 1u << 6 | 0);       /* port, immediate, OUT, 1 byte */
    skip_insn(&e);
    e = run();
    ck_assert_uint_eq(e.reason, EXIT_IO);
    ck_assert_uint_eq(e.qual, 0x3f8u << 16 | 1u << 3 | 1);      /* port, DX, IN, 2 bytes */
    skip_insn(&e);
    cpu->r[R_RCX] = G_PML4;
    e = run();                                                   /* MOV from CR4 reads the shadow */
    ck_assert_uint_eq(cpu->r[R_RBX], CR4_PAE);
    ck_assert_uint_eq(e.reason, EXIT_CR_ACCESS);
    ck_assert_uint_eq(e.qual, 3 | 0 << 4 | R_RCX << 8);          /* CR3, MOV to, RCX */
}
END_TEST

START_TEST(ept_violation_exit)
{
    static const uint8_t prog[] = { 0x48, 0xc7, 0x04, 0x25, 0x08, 0x50, 0x00, 0x00, 0x2a, 0, 0, 0 }; /* mov qword [0x5008], 42 */
    code(G_CODE, prog, sizeof prog);
    put64(EPT_PT + 8 * 5, (5ull << 12) | 1 | 6 << 3);            /* read-only */
    vmx_exit_t e = run();
    ck_assert_uint_eq(e.reason, EXIT_EPT_VIOLATION);
    ck_assert_uint_eq(e.qual, 0x2 | 1 << 3 | 0x180);
    ck_assert_uint_eq(e.guest_phys, 0x5008);
    ck_assert_uint_eq(e.guest_linear, 0x5008);
    ck_assert_uint_eq(rd(VMCS_GUEST_RIP), G_CODE);               /* the store did not retire */
    put64(EPT_PT + 8 * 5, (5ull << 12) | 3 | 6 << 3);
    static const uint8_t hlt = 0xf4;
    code(G_CODE + sizeof prog, &hlt, 1);
    e = run();
    ck_assert_uint_eq(e.reason, EXIT_HLT);
    ck_assert_uint_eq(phys_read(&m.mem, 0x5008, 8), 42);
}
END_TEST

START_TEST(bad_controls_fail_entry)
{
    wr(VMCS_PIN_CTLS, 0x16 | (1u << 9));                         /* reserved pin-based bit */
    vmx_exit_t e;
    ck_assert_int_eq(vmx_run(cpu, 1000, &e), -VMERR_BAD_CONTROLS);
    wr(VMCS_PIN_CTLS, 0x16);
    wr(VMCS_PROC_CTLS2, PROC2_UNRESTRICTED);                     /* unrestricted guest without EPT */
    ck_assert_int_eq(vmx_run(cpu, 1000, &e), -VMERR_BAD_CONTROLS);
    wr(VMCS_PROC_CTLS2, PROC2_EPT);
    wr(VMCS_ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_TYPE_HW_EXC << 8 | EXC_GP);   /* #GP without its error code */
    ck_assert_int_eq(vmx_run(cpu, 1000, &e), -VMERR_BAD_CONTROLS);
}
END_TEST

START_TEST(bad_guest_state_exits_33)
{
    static const uint8_t hlt = 0xf4;
    code(G_CODE, &hlt, 1);
    wr(VMCS_GUEST_CR4, CR4_PAE);                                  /* VMXE is fixed to 1 */
    vmx_exit_t e = run();
    ck_assert_uint_eq(e.reason, EXIT_REASON_ENTRY_FAIL | EXIT_BAD_GUEST);
    ck_assert_uint_eq(e.qual, 0);
    ck_assert(!cpu->vmx->nonroot);
    wr(VMCS_GUEST_CR4, CR4_PAE | CR4_VMXE);
    wr(VMCS_GUEST_CS_AR, 0xa093);                                 /* CS is a data segment */
    e = run();
    ck_assert_uint_eq(e.reason, EXIT_REASON_ENTRY_FAIL | EXIT_BAD_GUEST);
    wr(VMCS_GUEST_CS_AR, 0xa09b);
    wr(VMCS_GUEST_RFLAGS, 0);                                     /* bit 1 must be set */
    e = run();
    ck_assert_uint_eq(e.reason, EXIT_REASON_ENTRY_FAIL | EXIT_BAD_GUEST);
    wr(VMCS_GUEST_RFLAGS, 2);
    wr(VMCS_LINK_PTR, 0x7000);                                    /* no VMCS there */
    e = run();
    ck_assert_uint_eq(e.reason, EXIT_REASON_ENTRY_FAIL | EXIT_BAD_GUEST);
    ck_assert_uint_eq(e.qual, 4);
    wr(VMCS_LINK_PTR, ~0ull);
    e = run();
    ck_assert_uint_eq(e.reason, EXIT_HLT);
}
END_TEST

START_TEST(msr_load_failure_exits_34)
{
    put32(MSR_LIST, 0xc0000100u);            /* FS_BASE: fine */
    put64(MSR_LIST + 8, 0x1000);
    put32(MSR_LIST + 16, 0x12345678u);       /* no such MSR */
    wr(VMCS_ENTRY_MSR_LOAD_ADDR, MSR_LIST);
    wr(VMCS_ENTRY_MSR_LOAD_COUNT, 2);
    vmx_exit_t e = run();
    ck_assert_uint_eq(e.reason, EXIT_REASON_ENTRY_FAIL | EXIT_MSR_LOAD_FAIL);
    ck_assert_uint_eq(e.qual, 2);
}
END_TEST

START_TEST(vmread_vmwrite_errors)
{
    uint64_t v;
    ck_assert_int_eq(vmx_api_vmread(cpu, 0x7fff, &v), VMERR_BAD_FIELD);
    ck_assert_int_eq(vmx_api_vmwrite(cpu, VMCS_EXIT_REASON, 1), VMERR_READONLY_FIELD);
    ck_assert_int_eq(vmx_api_vmwrite(cpu, VMCS_VPID, 0x12345), 0);
    ck_assert_uint_eq(rd(VMCS_VPID), 0x2345);                    /* 16-bit field */
    ck_assert_int_eq(vmx_api_vmwrite(cpu, VMCS_TSC_OFFSET + 1, 0xabcd), 0);  /* high half */
    ck_assert_uint_eq(rd(VMCS_TSC_OFFSET), 0xabcd00000000ull);
    put32(VMCS2_REGION, 0x1234);
    ck_assert_int_eq(vmx_api_vmptrld(cpu, VMCS2_REGION), VMERR_VMPTRLD_BAD_REVISION);
    ck_assert_int_eq(vmx_api_vmptrld(cpu, VMXON_REGION), VMERR_VMPTRLD_VMXON);
    ck_assert_int_eq(vmx_api_vmclear(cpu, 0x2001), VMERR_VMCLEAR_BAD_ADDR);
}
END_TEST

/* VMCLEAR writes the cached data to the region; VMPTRLD reads it back. */
START_TEST(vmclear_flushes_and_reloads)
{
    wr(VMCS_GUEST_RIP, 0x1234567);
    ck_assert_int_eq(vmx_api_vmclear(cpu, VMCS_REGION), 0);
    ck_assert(cpu->vmx->cur == NULL);
    for (unsigned i = 0; i < VMX_CACHE_SLOTS; i++)
        ck_assert(cpu->vmx->cache[i].addr != VMCS_REGION);
    ck_assert_int_eq(vmx_api_vmptrld(cpu, VMCS_REGION), 0);
    ck_assert_uint_eq(rd(VMCS_GUEST_RIP), 0x1234567);
}
END_TEST

/* A #UD injected at entry goes through the guest IDT; its handler VMCALLs. */
START_TEST(inject_exception)
{
    static const uint8_t handler[] = { 0x0f, 0x01, 0xc1 };       /* vmcall */
    code(G_HANDLER, handler, sizeof handler);
    uint64_t lo = (G_HANDLER & 0xffff) | (0x08ull << 16) | (0x8eull << 40) | ((uint64_t)(G_HANDLER >> 16) << 48);
    put64(G_IDT + 16 * EXC_UD, lo);
    put64(G_IDT + 16 * EXC_UD + 8, 0);
    wr(VMCS_ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_TYPE_HW_EXC << 8 | EXC_UD);
    vmx_exit_t e = run();
    ck_assert_uint_eq(e.reason, EXIT_VMCALL);
    ck_assert_uint_eq(rd(VMCS_GUEST_RIP), G_HANDLER);
    ck_assert_uint_eq(phys_read(&m.mem, G_STACK - 40, 8), G_CODE);   /* the frame's RIP */
    ck_assert_uint_eq(rd(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID, 0);
}
END_TEST

/* An EPT violation while delivering an injected event reports that event
 * as IDT-vectoring information, so the VMM can inject it again (§28.2.4). */
START_TEST(idt_vectoring_on_ept_violation)
{
    uint64_t lo = (G_HANDLER & 0xffff) | (0x08ull << 16) | (0x8eull << 40) | ((uint64_t)(G_HANDLER >> 16) << 48);
    put64(G_IDT + 16 * EXC_GP, lo);
    put64(EPT_PT + 8 * ((G_STACK - 8) >> 12), ((G_STACK - 8) & ~0xfffull) | 1 | 6 << 3);   /* stack read-only */
    wr(VMCS_ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_INFO_ERR_VALID | INTR_TYPE_HW_EXC << 8 | EXC_GP);
    wr(VMCS_ENTRY_EXC_ERR, 0x18);
    vmx_exit_t e = run();
    ck_assert_uint_eq(e.reason, EXIT_EPT_VIOLATION);
    ck_assert_uint_eq(e.idt_info, INTR_INFO_VALID | INTR_INFO_ERR_VALID | INTR_TYPE_HW_EXC << 8 | EXC_GP);
    ck_assert_uint_eq(e.idt_err, 0x18);
    ck_assert_uint_eq(e.guest_phys & ~0xfffull, (G_STACK - 8) & ~0xfffull);
    ck_assert_uint_eq(rd(VMCS_GUEST_RIP), G_CODE);       /* nothing delivered */
    ck_assert_uint_eq(rd(VMCS_GUEST_RSP), G_STACK);
}
END_TEST

/* A #PF while delivering an injected #UD exits through the exception
 * bitmap with the #UD as IDT-vectoring information. */
START_TEST(pf_during_injection)
{
    uint64_t lo = (G_HANDLER & 0xffff) | (0x08ull << 16) | (0x8eull << 40) | ((uint64_t)(G_HANDLER >> 16) << 48);
    put64(G_IDT + 16 * EXC_UD, lo);
    wr(VMCS_GUEST_RSP, 0x40001000);                               /* beyond the guest's mapped GiB */
    wr(VMCS_EXC_BITMAP, 1u << EXC_PF);
    wr(VMCS_ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_TYPE_HW_EXC << 8 | EXC_UD);
    vmx_exit_t e = run();
    ck_assert_uint_eq(e.reason, EXIT_EXCEPTION);
    ck_assert_uint_eq(e.intr_info, INTR_INFO_VALID | INTR_INFO_ERR_VALID | INTR_TYPE_HW_EXC << 8 | EXC_PF);
    ck_assert_uint_eq(e.intr_err, PFE_W);
    ck_assert_uint_eq(e.qual, 0x40000ff8);
    ck_assert_uint_eq(e.idt_info, INTR_INFO_VALID | INTR_TYPE_HW_EXC << 8 | EXC_UD);
    ck_assert_uint_eq(rd(VMCS_GUEST_RIP), G_CODE);
}
END_TEST

/* #PF through the exception bitmap: qualification = CR2, CR2 untouched. */
START_TEST(exception_bitmap_pf)
{
    static const uint8_t prog[] = { 0x8b, 0x04, 0x25, 0x00, 0x00, 0x00, 0x40 };   /* mov eax, [0x40000000] */
    code(G_CODE, prog, sizeof prog);         /* the guest maps only the first GiB */
    wr(VMCS_EXC_BITMAP, 1u << EXC_PF);
    vmx_exit_t e = run();
    ck_assert_uint_eq(e.reason, EXIT_EXCEPTION);
    ck_assert_uint_eq(e.intr_info, INTR_INFO_VALID | INTR_INFO_ERR_VALID | INTR_TYPE_HW_EXC << 8 | EXC_PF);
    ck_assert_uint_eq(e.intr_err, 0);
    ck_assert_uint_eq(e.qual, 0x40000000u);
    ck_assert_uint_eq(cpu->cr2, 0);
    /* Mask/match: bitmap bit set, exit only when (err & mask) == match. */
    wr(VMCS_PF_ERR_MASK, 1);
    wr(VMCS_PF_ERR_MATCH, 1);
    put64(G_IDT + 16 * EXC_PF, (G_HANDLER & 0xffff) | (0x08ull << 16) | (0x8eull << 40) | ((uint64_t)(G_HANDLER >> 16) << 48));
    static const uint8_t handler[] = { 0x0f, 0x01, 0xc1 };
    code(G_HANDLER, handler, sizeof handler);
    e = run();
    ck_assert_uint_eq(e.reason, EXIT_VMCALL);                    /* delivered to the guest */
    ck_assert_uint_eq(cpu->cr2, 0x40000000u);
}
END_TEST

START_TEST(preemption_timer_and_window)
{
    static const uint8_t prog[] = { 0xeb, 0xfe };                 /* jmp $ */
    code(G_CODE, prog, sizeof prog);
    wr(VMCS_PIN_CTLS, 0x16 | PIN_PREEMPT_TIMER);
    wr(VMCS_EXIT_CTLS, rd(VMCS_EXIT_CTLS) | EXIT_SAVE_TIMER);
    wr(VMCS_PREEMPT_TIMER, 100);
    vmx_exit_t e = run();
    ck_assert_uint_eq(e.reason, EXIT_PREEMPT_TIMER);
    ck_assert_uint_eq(rd(VMCS_PREEMPT_TIMER), 0);
    /* A guest halted without HLT exiting wakes with the timer, still in HLT. */
    static const uint8_t hlt = 0xf4;
    code(G_CODE + 0x10, &hlt, 1);
    wr(VMCS_GUEST_RIP, G_CODE + 0x10);
    wr(VMCS_PROC_CTLS, rd(VMCS_PROC_CTLS) & ~PROC_HLT);
    wr(VMCS_PREEMPT_TIMER, 1000);
    uint64_t before = cpu->icount;
    e = run();
    ck_assert_uint_eq(e.reason, EXIT_PREEMPT_TIMER);
    ck_assert_uint_eq(rd(VMCS_GUEST_ACTIVITY), 1);
    ck_assert_uint_eq(rd(VMCS_GUEST_RIP), G_CODE + 0x11);
    ck_assert_uint_ge(cpu->icount - before, 1000u << VMX_TIMER_SHIFT >> 1);   /* 2 TSC ticks per instruction */
    wr(VMCS_GUEST_ACTIVITY, 0);
    wr(VMCS_GUEST_RIP, G_CODE);
    wr(VMCS_PROC_CTLS, rd(VMCS_PROC_CTLS) | PROC_HLT);
    wr(VMCS_PIN_CTLS, 0x16);
    wr(VMCS_EXIT_CTLS, rd(VMCS_EXIT_CTLS) & ~EXIT_SAVE_TIMER);
    wr(VMCS_GUEST_RFLAGS, 2 | F_IF);
    wr(VMCS_PROC_CTLS, rd(VMCS_PROC_CTLS) | PROC_INT_WINDOW);
    e = run();
    ck_assert_uint_eq(e.reason, EXIT_INT_WINDOW);
}
END_TEST

/* After an exit the C root side reads guest memory by guest-linear address
 * through guest paging and EPT (mmu_read_linear); an EPT hole fails the
 * read without a VM exit. */
START_TEST(probe_through_ept_after_exit)
{
    static const uint8_t prog[] = { 0x0f, 0xa2 };                   /* cpuid */
    code(G_CODE, prog, sizeof prog);
    put64(EPT_PT + 8 * 5, 0x9000 | 7 | 6 << 3);                    /* gpa 0x5000 -> hpa 0x9000 */
    put64(EPT_PT + 8 * 6, 0);                                      /* gpa 0x6000 unmapped */
    put64(0x9010, 0xfeedface);
    vmx_exit_t e = run();
    ck_assert_uint_eq(e.reason, EXIT_CPUID);
    uint64_t v = 0;
    ck_assert_int_eq(mmu_read_linear(cpu, 0x5010, &v, 8), 0);
    ck_assert_uint_eq(v, 0xfeedface);
    ck_assert_int_eq(mmu_read_linear(cpu, 0x6000, &v, 8), -1);
    ck_assert_uint_eq(rd(VMCS_EXIT_REASON), EXIT_CPUID);          /* no new exit */
    skip_insn(&e);
    static const uint8_t hlt = 0xf4;
    code(G_CODE + 2, &hlt, 1);
    e = run();
    ck_assert_uint_eq(e.reason, EXIT_HLT);
}
END_TEST

/* A far JMP to a TSS in a 32-bit guest: task switches always exit, with
 * the selector and the source (2: JMP) in the qualification (Table 28-2). */
START_TEST(task_switch_exit)
{
    static const uint8_t prog[] = { 0xea, 0, 0, 0, 0, 0x28, 0 };   /* jmp far 0x28:0 */
    code(G_CODE, prog, sizeof prog);
    put64(G_GDT + 0x20, 0x00cf9b000000ffffull);                    /* 32-bit code */
    put64(G_GDT + 0x28, 0x0000890050000067ull);                    /* 32-bit TSS at 0x5000 */
    wr(VMCS_PROC_CTLS2, PROC2_EPT | PROC2_UNRESTRICTED);
    wr(VMCS_ENTRY_CTLS, rd(VMCS_ENTRY_CTLS) & ~ENTRY_IA32E);
    wr(VMCS_GUEST_CR0, CR0_PE | CR0_NE | CR0_ET);
    wr(VMCS_GUEST_CR4, CR4_VMXE);
    seg(SEG_CS, 0x20, 0, 0xffffffff, 0xc09b);
    vmx_exit_t e = run();
    ck_assert_uint_eq(e.reason, EXIT_TASK_SWITCH);
    ck_assert_uint_eq(e.qual, 0x28u | 2u << 30);
    ck_assert_uint_eq(e.insn_len, 7);
    ck_assert_uint_eq(rd(VMCS_GUEST_RIP), G_CODE);
    ck_assert_uint_eq(rd(VMCS_GUEST_TR_SEL), 0x18);                /* no switch happened */
}
END_TEST

/* Virtual NMIs: an injected NMI blocks further NMIs until the handler's
 * IRET; the NMI-window exit comes right after it. */
START_TEST(nmi_window_after_iret)
{
    static const uint8_t spin[] = { 0xeb, 0xfe };                   /* jmp $ */
    static const uint8_t handler[] = { 0x48, 0xcf };               /* iretq */
    code(G_CODE, spin, sizeof spin);
    code(G_HANDLER, handler, sizeof handler);
    put64(G_IDT + 16 * EXC_NMI, (G_HANDLER & 0xffff) | (0x08ull << 16) | (0x8eull << 40) |
                                    ((uint64_t)(G_HANDLER >> 16) << 48));
    wr(VMCS_PIN_CTLS, 0x16 | PIN_NMI | PIN_VIRT_NMI);
    wr(VMCS_PROC_CTLS, rd(VMCS_PROC_CTLS) | PROC_NMI_WINDOW);
    wr(VMCS_ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_TYPE_NMI << 8 | EXC_NMI);
    vmx_exit_t e = run();
    ck_assert_uint_eq(e.reason, EXIT_NMI_WINDOW);
    ck_assert_uint_eq(rd(VMCS_GUEST_RIP), G_CODE);
    ck_assert_uint_eq(rd(VMCS_GUEST_INTERRUPTIBILITY) & 8, 0);     /* no virtual-NMI blocking */
}
END_TEST

/* Without NMI exiting an NMI goes through the guest's IDT, gated by the
 * guest's blocking by NMI (interruptibility bit 3, Table 25-3), which its
 * delivery sets (SDM Vol.3A §6.7.1). */
/* IRET in a guest (§26.3): it ends NMI blocking without "NMI exiting",
 * ends virtual-NMI blocking with "virtual NMIs", and leaves NMI blocking
 * alone under "NMI exiting" alone. */
START_TEST(iret_and_nmi_blocking)
{
    static const uint8_t prog[] = {
        0x48, 0x89, 0xe0,                          /* mov rax, rsp */
        0x6a, 0x10, 0x50, 0x9c, 0x6a, 0x08,        /* push 0x10; push rax; pushfq; push 0x08 */
        0x48, 0x8d, 0x0d, 0x03, 0, 0, 0,           /* lea rcx, [rip + 3] */
        0x51, 0x48, 0xcf,                          /* push rcx; iretq */
        0xf4,
    };
    static const uint32_t pin[3] = { 0, PIN_NMI, PIN_NMI | PIN_VIRT_NMI };
    static const uint64_t blocked_after[3] = { 0, 8, 0 };
    code(G_CODE, prog, sizeof prog);
    for (int i = 0; i < 3; i++) {
        wr(VMCS_PIN_CTLS, 0x16 | pin[i]);
        wr(VMCS_GUEST_RIP, G_CODE);
        wr(VMCS_GUEST_INTERRUPTIBILITY, 8);
        vmx_exit_t e = run();
        ck_assert_uint_eq(e.reason, EXIT_HLT);
        ck_assert_uint_eq(rd(VMCS_GUEST_RIP), G_CODE + sizeof prog - 1);
        ck_assert_uint_eq(rd(VMCS_GUEST_INTERRUPTIBILITY) & 8, blocked_after[i]);
    }
}
END_TEST

START_TEST(nmi_to_guest_idt_blocking)
{
    static const uint8_t prog[] = { 0x48, 0xff, 0xc0, 0xf4 };      /* inc rax; hlt */
    static const uint8_t handler[] = { 0xf4 };                     /* hlt */
    code(G_CODE, prog, sizeof prog);
    code(G_HANDLER, handler, sizeof handler);
    put64(G_IDT + 16 * EXC_NMI, (G_HANDLER & 0xffff) | (0x08ull << 16) | (0x8eull << 40) |
                                    ((uint64_t)(G_HANDLER >> 16) << 48));
    cpu->r[R_RAX] = 0;
    cpu->apic.nmi_pending = true;
    wr(VMCS_GUEST_INTERRUPTIBILITY, 8);                            /* blocked: the NMI waits */
    vmx_exit_t e = run();
    ck_assert_uint_eq(e.reason, EXIT_HLT);
    ck_assert_uint_eq(rd(VMCS_GUEST_RIP), G_CODE + 3);
    ck_assert_uint_eq(cpu->r[R_RAX], 1);
    ck_assert(cpu->apic.nmi_pending);
    ck_assert_uint_eq(rd(VMCS_GUEST_INTERRUPTIBILITY) & 8, 8);
    wr(VMCS_GUEST_RIP, G_CODE);
    wr(VMCS_GUEST_INTERRUPTIBILITY, 0);                            /* open: taken at once */
    e = run();
    ck_assert_uint_eq(e.reason, EXIT_HLT);
    ck_assert_uint_eq(rd(VMCS_GUEST_RIP), G_HANDLER);
    ck_assert_uint_eq(cpu->r[R_RAX], 1);
    ck_assert(!cpu->apic.nmi_pending);
    ck_assert_uint_eq(rd(VMCS_GUEST_INTERRUPTIBILITY) & 8, 8);     /* blocked until IRET */
}
END_TEST

/* REP OUTSB: string and REP bits, the linear address of the source and
 * the instruction information (address size, segment) (Table 28-5). */
START_TEST(string_io_exit)
{
    static const uint8_t prog[] = { 0xf3, 0x6e };                   /* rep outsb */
    code(G_CODE, prog, sizeof prog);
    wr(VMCS_PROC_CTLS, rd(VMCS_PROC_CTLS) | PROC_UNCOND_IO);
    cpu->r[R_RDX] = 0x3f8;
    cpu->r[R_RSI] = 0x5000;
    cpu->r[R_RCX] = 4;
    vmx_exit_t e = run();
    ck_assert_uint_eq(e.reason, EXIT_IO);
    ck_assert_uint_eq(e.qual, 0x3f8u << 16 | 1u << 5 | 1u << 4);
    ck_assert_uint_eq(e.guest_linear, 0x5000);
    ck_assert_uint_eq(e.insn_info, 2u << 7 | (uint32_t)SEG_DS << 15);
    ck_assert_uint_eq(e.insn_len, 2);
    ck_assert_uint_eq(cpu->r[R_RCX], 4);
}
END_TEST

/* The budget runs out with the guest in non-root operation; a kick takes
 * it out with an external-interrupt exit; it then resumes where it was. */
START_TEST(budget_and_kick)
{
    static const uint8_t prog[] = { 0x48, 0xff, 0xc0, 0xeb, 0xfb };   /* 1: inc rax; jmp 1b */
    code(G_CODE, prog, sizeof prog);
    cpu->r[R_RAX] = 0;
    vmx_exit_t e;
    ck_assert_int_eq(vmx_run(cpu, 100, &e), 0);
    ck_assert(cpu->vmx->nonroot);
    ck_assert_uint_eq(cpu->r[R_RAX], 50);
    ck_assert_int_eq(vmx_api_kick(cpu, &e), 1);
    ck_assert_uint_eq(e.reason, EXIT_EXTINT);
    ck_assert_uint_eq(e.intr_info, 0);
    ck_assert(!cpu->vmx->nonroot);
    ck_assert_uint_eq(rd(VMCS_GUEST_RIP), G_CODE);
    ck_assert_int_eq(vmx_api_kick(cpu, &e), 0);
    ck_assert_int_eq(vmx_run(cpu, 10, &e), 0);                     /* VMRESUME, then 10 more */
    ck_assert_uint_eq(cpu->r[R_RAX], 55);
}
END_TEST

/* TSC offsetting applies to RDTSC and to RDMSR of IA32_TSC (§26.6.5). */
START_TEST(tsc_offsetting)
{
    static const uint8_t prog[] = {
        0x0f, 0x31,                         /* rdtsc */
        0x48, 0xc1, 0xe2, 0x20,             /* shl rdx, 32 */
        0x48, 0x09, 0xd0,                   /* or rax, rdx */
        0x48, 0x89, 0xc3,                   /* mov rbx, rax */
        0xb9, 0x10, 0, 0, 0,                /* mov ecx, 0x10 */
        0x0f, 0x32,                         /* rdmsr */
        0x48, 0xc1, 0xe2, 0x20,             /* shl rdx, 32 */
        0x48, 0x09, 0xd0,                   /* or rax, rdx */
        0xf4,
    };
    code(G_CODE, prog, sizeof prog);
    wr(VMCS_PROC_CTLS, rd(VMCS_PROC_CTLS) | PROC_TSC_OFFSET);
    wr(VMCS_TSC_OFFSET, 1ull << 50);
    vmx_exit_t e = run();
    ck_assert_uint_eq(e.reason, EXIT_RDMSR);                     /* no MSR bitmaps: every RDMSR exits */
    ck_assert_uint_ge(cpu->r[R_RBX], 1ull << 50);
    ck_assert_uint_lt(cpu->r[R_RBX], (1ull << 50) + (1ull << 40));
    wr(VMCS_MSR_BITMAP, 0x7000);                                  /* all-zero bitmap: no exits */
    wr(VMCS_PROC_CTLS, rd(VMCS_PROC_CTLS) | PROC_MSR_BITMAPS);
    e = run();
    ck_assert_uint_eq(e.reason, EXIT_HLT);
    ck_assert_uint_gt(cpu->r[R_RAX], cpu->r[R_RBX]);
    ck_assert_uint_lt(cpu->r[R_RAX], (1ull << 50) + (1ull << 40));
    /* TSC scaling by 3/2 (48 fraction bits), then the offset. */
    wr(VMCS_PROC_CTLS2, PROC2_EPT | PROC2_TSC_SCALING);
    wr(VMCS_TSC_MULTIPLIER, 3ull << 47);
    wr(VMCS_GUEST_RIP, G_CODE);
    uint64_t before = cpu_tsc(cpu);
    e = run();
    ck_assert_uint_eq(e.reason, EXIT_HLT);
    uint64_t after = cpu_tsc(cpu);
    ck_assert_uint_ge(cpu->r[R_RBX], (1ull << 50) + before * 3 / 2);
    ck_assert_uint_le(cpu->r[R_RBX], (1ull << 50) + after * 3 / 2);
    ck_assert_uint_ge(cpu->r[R_RAX], cpu->r[R_RBX]);
    ck_assert_uint_le(cpu->r[R_RAX], (1ull << 50) + after * 3 / 2);
}
END_TEST

/* Monitor trap flag: an exit after each guest instruction. */
START_TEST(monitor_trap_flag)
{
    static const uint8_t prog[] = { 0x90, 0x48, 0xff, 0xc0, 0xf4 };   /* nop; inc rax; hlt */
    code(G_CODE, prog, sizeof prog);
    wr(VMCS_PROC_CTLS, rd(VMCS_PROC_CTLS) | PROC_MTF);
    cpu->r[R_RAX] = 5;
    uint64_t before = cpu->icount;
    vmx_exit_t e = run();
    ck_assert_uint_eq(e.reason, EXIT_MTF);
    ck_assert_uint_eq(rd(VMCS_GUEST_RIP), G_CODE + 1);
    e = run();
    ck_assert_uint_eq(e.reason, EXIT_MTF);
    ck_assert_uint_eq(rd(VMCS_GUEST_RIP), G_CODE + 4);
    ck_assert_uint_eq(cpu->r[R_RAX], 6);
    ck_assert_uint_eq(cpu->icount - before, 2);                   /* retired instructions count exactly */
    e = run();
    ck_assert_uint_eq(e.reason, EXIT_HLT);
}
END_TEST

/* Unrestricted guest: paging off, real mode, 16-bit code at 0x7c00. */
START_TEST(unrestricted_real_mode_guest)
{
    static const uint8_t prog[] = { 0xb8, 0x34, 0x12, 0xe6, 0x42, 0xf4 };   /* mov ax,0x1234; out 0x42,al; hlt */
    code(0x7c00, prog, sizeof prog);
    wr(VMCS_PROC_CTLS2, PROC2_EPT | PROC2_UNRESTRICTED);
    wr(VMCS_PROC_CTLS, rd(VMCS_PROC_CTLS) | PROC_UNCOND_IO);
    wr(VMCS_ENTRY_CTLS, rd(VMCS_ENTRY_CTLS) & ~ENTRY_IA32E);
    wr(VMCS_GUEST_CR0, CR0_NE | CR0_ET);
    wr(VMCS_GUEST_CR4, CR4_VMXE);
    for (int s = 0; s < 6; s++)
        seg(s, 0, 0, 0xffff, 0x93);
    seg(SEG_CS, 0x0700, 0x7000, 0xffff, 0x9b);
    wr(VMCS_GUEST_RIP, 0xc00);
    wr(VMCS_GUEST_RSP, 0x7000);
    vmx_exit_t e = run();
    ck_assert_uint_eq(e.reason, EXIT_IO);
    ck_assert_uint_eq(e.qual, 0x42u << 16 | 1u << 6);
    ck_assert_uint_eq(cpu->r[R_RAX] & 0xffff, 0x1234);
    ck_assert_uint_eq(rd(VMCS_GUEST_RIP), 0xc03);
    ck_assert_uint_eq(rd(VMCS_GUEST_CS_BASE), 0x7000);
    ck_assert_uint_eq(rd(VMCS_ENTRY_CTLS) & ENTRY_IA32E, 0);
}
END_TEST

/* A 32-bit PAE guest under EPT: VM entry checks and loads the PDPTEs from
 * the VMCS, not from guest CR3 (§26.3.1.6, §26.3.2.4); a MOV CR3 in the
 * guest reloads them from memory, and the VM exit saves them (§27.3.4). */
START_TEST(pae_guest_pdptes_from_vmcs)
{
    enum { PDPT_A = 0x40000, PDPT_B = 0x42000, PD = 0x41000 };
    static const uint8_t prog[] = { 0xb8, 0x00, 0x20, 0x04, 0x00,   /* mov eax, PDPT_B */
                                    0x0f, 0x22, 0xd8,               /* mov cr3, eax */
                                    0xf4 };                         /* hlt */
    code(G_CODE, prog, sizeof prog);
    for (uint64_t i = 0; i < 512; i++)
        put64(PD + 8 * i, (i << 21) | 0x83);
    put64(PDPT_B, PD | 1 | 0x200);           /* bit 9 is ignored: marks this copy */
    wr(VMCS_ENTRY_CTLS, rd(VMCS_ENTRY_CTLS) & ~ENTRY_IA32E);
    wr(VMCS_GUEST_CR0, CR0_PE | CR0_NE | CR0_PG | CR0_ET);
    wr(VMCS_GUEST_CR3, PDPT_A);              /* all four not present in memory */
    seg(SEG_CS, 0x08, 0, 0xffffffff, 0xc09b);
    wr(VMCS_GUEST_PDPTE0, PD | 1 | 2);       /* reserved bit 1 */
    vmx_exit_t e = run();
    ck_assert_uint_eq(e.reason, EXIT_REASON_ENTRY_FAIL | EXIT_BAD_GUEST);
    ck_assert_uint_eq(e.qual, 2);
    wr(VMCS_GUEST_PDPTE0, PD | 1);
    e = run();
    ck_assert_uint_eq(e.reason, EXIT_HLT);
    ck_assert_uint_eq(rd(VMCS_GUEST_CR3), PDPT_B);
    ck_assert_uint_eq(rd(VMCS_GUEST_PDPTE0), PD | 1 | 0x200);
    ck_assert_uint_eq(rd(VMCS_GUEST_PDPTE1), 0);
}
END_TEST

/* Translations are tagged with the VPID (§29.1): without "enable VPID"
 * every VM entry and exit drops VPID 0's; with it, the guest's survive
 * them, so a PDE changed without INVVPID may still be used (§29.3.3). */
START_TEST(vpid_tags_guest_translations)
{
    enum { LIN = 0x40000000, PD1 = G_PML4 + 0x3000, FRAME_A = 0x200000, FRAME_B = 0x400000 };
    static const uint8_t prog[] = { 0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x00, 0x40,   /* mov rax, [LIN] */
                                    0xf4,                                             /* hlt */
                                    0x48, 0x8b, 0x1c, 0x25, 0x00, 0x00, 0x00, 0x40,   /* mov rbx, [LIN] */
                                    0xf4 };
    code(G_CODE, prog, sizeof prog);
    put64(FRAME_A, 0xaaaa);
    put64(FRAME_B, 0xbbbb);
    put64(G_PML4 + 0x1000 + 8, PD1 | 3);
    for (int vpid = 0; vpid <= 1; vpid++) {
        if (vpid) {
            wr(VMCS_PROC_CTLS2, PROC2_EPT | PROC2_VPID);
            wr(VMCS_VPID, 7);
        }
        put64(PD1, FRAME_A | 0x83);
        wr(VMCS_GUEST_RIP, G_CODE);
        vmx_exit_t e = run();
        ck_assert_uint_eq(e.reason, EXIT_HLT);
        ck_assert_uint_eq(cpu->r[R_RAX], 0xaaaa);
        put64(PD1, FRAME_B | 0x83);            /* no invalidation */
        skip_insn(&e);
        e = run();
        ck_assert_uint_eq(e.reason, EXIT_HLT);
        ck_assert_uint_eq(cpu->r[R_RBX], vpid ? 0xaaaa : 0xbbbb);
    }
    /* VPID 7's translations are not VPID 8's. */
    wr(VMCS_VPID, 8);
    wr(VMCS_GUEST_RIP, G_CODE);
    vmx_exit_t e = run();
    ck_assert_uint_eq(e.reason, EXIT_HLT);
    ck_assert_uint_eq(cpu->r[R_RAX], 0xbbbb);
}
END_TEST

/* Wait-for-SIPI (§24.4.2, §26.2): the guest does nothing, INIT is held
 * pending, and a SIPI is a VM exit with its vector as the qualification
 * that changes no register; a SIPI to a guest not waiting is discarded. */
START_TEST(wait_for_sipi_activity)
{
    machine_destroy(&m);
    setup_cpus(2);
    cpu_t *bsp = m.cpu[0];
    static const uint8_t hlt = 0xf4;
    code(G_CODE, &hlt, 1);
    vmx_exit_t e;
    wr(VMCS_GUEST_ACTIVITY, 3);
    wr(VMCS_ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_TYPE_NMI << 8 | EXC_NMI);
    e = run();                                              /* nothing may be injected */
    ck_assert_uint_eq(e.reason, EXIT_REASON_ENTRY_FAIL | EXIT_BAD_GUEST);
    wr(VMCS_ENTRY_INTR_INFO, 0);
    ck_assert_int_eq(vmx_run(cpu, 1000, &e), 0);            /* waits */
    lapic_mmio_write(bsp, 0x310, 1u << 24);                 /* ICR: APIC ID 1 */
    lapic_mmio_write(bsp, 0x300, 0x4500);                   /* INIT, assert */
    ck_assert_int_eq(vmx_run(cpu, 1000, &e), 0);            /* INIT is blocked */
    lapic_mmio_write(bsp, 0x300, 0x0612);                   /* SIPI, vector 0x12 */
    ck_assert_int_eq(vmx_run(cpu, 1000, &e), 1);
    ck_assert_uint_eq(e.reason, EXIT_SIPI);
    ck_assert_uint_eq(e.qual, 0x12);
    ck_assert_uint_eq(rd(VMCS_GUEST_ACTIVITY), 3);
    ck_assert_uint_eq(rd(VMCS_GUEST_RIP), G_CODE);
    ck_assert_uint_eq(rd(VMCS_GUEST_CS_SEL), 0x08);
    wr(VMCS_GUEST_ACTIVITY, 0);                             /* started: the held INIT exits */
    e = run();
    ck_assert_uint_eq(e.reason, EXIT_INIT);
    wr(VMCS_GUEST_ACTIVITY, 1);                             /* HLT: a SIPI is dropped */
    ck_assert_int_eq(vmx_run(cpu, 1000, &e), 0);
    lapic_mmio_write(bsp, 0x300, 0x0634);
    ck_assert_int_eq(vmx_run(cpu, 1000, &e), 0);
    ck_assert_uint_eq(cpu->vmx->sipi_exit, 0);
}
END_TEST

/* ---- the VMX instructions executed by a root-mode program ---- */

/* 64-bit root mode with CR4.VMXE and IA32_FEATURE_CONTROL set up. */
static void root_mode(void)
{
    vmx_free(cpu);
    cpu->cr0 = CR0_PE | CR0_PG | CR0_ET | CR0_NE;
    cpu->cr4 = CR4_PAE | CR4_VMXE;
    cpu->efer = EFER_LME | EFER_LMA;
    cpu->cr3 = G_PML4;
    cpu->feature_control = 5;
    cpu->seg[SEG_CS].attr = SEGA_P | SEGA_S | SEGA_L | 0xb;
    cpu->seg[SEG_SS].attr = SEGA_P | SEGA_S | 3 | SEGA_DB;
    cpu->r[R_RSP] = G_STACK;
    cpu->r[R_RIP] = G_CODE;
    cpu->deliver_exceptions = false;
    cpu_update_mode(cpu);
}

START_TEST(instructions_fail_valid_and_invalid)
{
    static const uint8_t prog[] = {
        0xf3, 0x0f, 0xc7, 0x34, 0x25, 0x00, 0x40, 0x00, 0x00,   /* vmxon [0x4000] */
        0x9c, 0x5b,                                             /* pushf; pop rbx */
        0x0f, 0xc7, 0x34, 0x25, 0x08, 0x40, 0x00, 0x00,         /* vmptrld [0x4008] */
        0x9c, 0x59,                                             /* pushf; pop rcx */
        0x66, 0x0f, 0xc7, 0x34, 0x25, 0x10, 0x40, 0x00, 0x00,   /* vmclear [0x4010] */
        0x0f, 0xc7, 0x34, 0x25, 0x10, 0x40, 0x00, 0x00,         /* vmptrld [0x4010] */
        0x0f, 0xc7, 0x34, 0x25, 0x08, 0x40, 0x00, 0x00,         /* vmptrld [0x4008]: bad revision */
        0x9c, 0x5a,                                             /* pushf; pop rdx */
        0xbe, 0x00, 0x44, 0x00, 0x00,                           /* mov esi, 0x4400 (instruction error) */
        0x0f, 0x78, 0xf7,                                       /* vmread rdi, rsi */
        0x0f, 0x01, 0xc2,                                       /* vmlaunch: bad controls (all zero) */
        0x0f, 0x78, 0xf5,                                       /* vmread rbp, rsi */
        0xf4,
    };
    code(G_CODE, prog, sizeof prog);
    put64(0x4000, VMXON_REGION);
    put64(0x4008, VMCS2_REGION);
    put64(0x4010, VMCS_REGION);
    put32(VMCS2_REGION, 0x99);
    root_mode();
    ck_assert_int_eq(cpu_run(cpu, 100), STOP_HALT);
    ck_assert_uint_eq(cpu->r[R_RBX] & F_ARITH, 0);               /* VMXON: VMsucceed */
    ck_assert_uint_eq(cpu->r[R_RCX] & F_ARITH, F_CF);            /* no current VMCS: VMfailInvalid */
    ck_assert_uint_eq(cpu->r[R_RDX] & F_ARITH, F_ZF);            /* VMfailValid */
    ck_assert_uint_eq(cpu->r[R_RDI], VMERR_VMPTRLD_BAD_REVISION);
    ck_assert_uint_eq(cpu->r[R_RBP], VMERR_BAD_CONTROLS);
}
END_TEST

START_TEST(vmxon_needs_vmxe_and_feature_control)
{
    static const uint8_t prog[] = { 0xf3, 0x0f, 0xc7, 0x34, 0x25, 0x00, 0x40, 0x00, 0x00, 0xf4 };
    code(G_CODE, prog, sizeof prog);
    put64(0x4000, VMXON_REGION);
    root_mode();
    cpu->feature_control = 1;                                    /* locked, VMX disabled */
    ck_assert_int_eq(cpu_run(cpu, 10), STOP_EXCEPTION);
    ck_assert_int_eq(cpu->exc.vector, EXC_GP);
    root_mode();
    cpu->cr4 = CR4_PAE;
    cpu_update_mode(cpu);
    ck_assert_int_eq(cpu_run(cpu, 10), STOP_EXCEPTION);
    ck_assert_int_eq(cpu->exc.vector, EXC_UD);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("vmentry");
    TCase *tc = tcase_create("api");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, cpuid_then_hlt);
    tcase_add_test(tc, io_and_cr_exits);
    tcase_add_test(tc, ept_violation_exit);
    tcase_add_test(tc, bad_controls_fail_entry);
    tcase_add_test(tc, bad_guest_state_exits_33);
    tcase_add_test(tc, msr_load_failure_exits_34);
    tcase_add_test(tc, vmread_vmwrite_errors);
    tcase_add_test(tc, vmclear_flushes_and_reloads);
    tcase_add_test(tc, inject_exception);
    tcase_add_test(tc, exception_bitmap_pf);
    tcase_add_test(tc, idt_vectoring_on_ept_violation);
    tcase_add_test(tc, pf_during_injection);
    tcase_add_test(tc, preemption_timer_and_window);
    tcase_add_test(tc, unrestricted_real_mode_guest);
    tcase_add_test(tc, pae_guest_pdptes_from_vmcs);
    tcase_add_test(tc, vpid_tags_guest_translations);
    tcase_add_test(tc, wait_for_sipi_activity);
    tcase_add_test(tc, iret_and_nmi_blocking);
    tcase_add_test(tc, monitor_trap_flag);
    tcase_add_test(tc, task_switch_exit);
    tcase_add_test(tc, probe_through_ept_after_exit);
    tcase_add_test(tc, nmi_window_after_iret);
    tcase_add_test(tc, nmi_to_guest_idt_blocking);
    tcase_add_test(tc, string_io_exit);
    tcase_add_test(tc, budget_and_kick);
    tcase_add_test(tc, tsc_offsetting);
    tcase_add_test(tc, instructions_fail_valid_and_invalid);
    tcase_add_test(tc, vmxon_needs_vmxe_and_feature_control);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
