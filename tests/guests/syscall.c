/* SYSCALL/SYSRET (STAR, LSTAR, SFMASK, RCX, R11), SYSENTER/SYSEXIT in
 * IA-32e mode and SWAPGS (SDM Vol.2B instruction pages, Vol.3A §5.8.7-8). */
#include "desc.h"

void syscall_entry(void), sysenter_entry(void);
extern volatile uint64_t sc_rcx, sc_r11, sc_rsp, sc_cs, sc_ss, sc_rflags, sc_gs;
extern volatile uint64_t se_rsp, se_cs, se_ss, se_rflags;

static volatile uint64_t u_ret_rip, u_rsp, u_rflags_after, u_cs, u_ss, u_rax;
static volatile uint64_t ue_rsp_after, ue_rsp, ue_cs, ue_ss, ue_rax, u_swapgs_vec, u_swapgs_err;
static uint64_t kernel_gs_area[2] = { 0x6b65726e656c6773ull, 0 };
static uint64_t user_gs_area[2] = { 0x7573657267730000ull, 0 };
static uint8_t sysenter_stack[4096] __attribute__((aligned(16)));

static void user_main(void)
{
    uint64_t rip, rsp, fl, cs, ss, rax;
    /* SYSCALL with DF set; SYSRETQ restores RFLAGS from R11. */
    __asm__ volatile("lea 1f(%%rip), %0\n\tmov %%rsp, %1\n\tstd\n\tsyscall\n1:\n\t"
                     "pushfq\n\tpopq %2\n\tcld\n\tmov %%cs, %3\n\tmov %%ss, %4"
                     : "=&r"(rip), "=&r"(rsp), "=&r"(fl), "=&r"(cs), "=&r"(ss), "=a"(rax)
                     : : "rcx", "r11", "memory");
    u_ret_rip = rip;
    u_rsp = rsp;
    u_rflags_after = fl;
    u_cs = cs;
    u_ss = ss;
    u_rax = rax;
    /* SYSENTER: the kernel's SYSEXITQ returns to RDX (skipping the MOV
     * after SYSENTER) with RSP = RCX (64 below the current one). */
    uint64_t rsp_after;
    __asm__ volatile("lea 3f(%%rip), %%rdx\n\tlea -64(%%rsp), %%rcx\n\tmov %%rsp, %1\n\tsysenter\n\t"
                     "mov $0xbad, %%eax\n3:\n\tmov %%rsp, %0\n\tlea 64(%%rsp), %%rsp\n\t"
                     "mov %%cs, %2\n\tmov %%ss, %3"
                     : "=&r"(rsp_after), "=&r"(rsp), "=&r"(cs), "=&r"(ss), "=a"(rax)
                     : : "rcx", "rdx", "memory");
    ue_rsp_after = rsp_after;
    ue_rsp = rsp;
    ue_cs = cs;
    ue_ss = ss;
    ue_rax = rax;
    /* SYSEXIT's SS (SYSENTER_CS + 40 = the 32-bit kernel code slot here)
     * cannot be reloaded by a later IRETQ: switch to the user data one. */
    __asm__ volatile("mov %0, %%ss" : : "r"(SEL_UDATA | 3));
    /* SWAPGS at CPL 3 is #GP(0). */
    PROBE("swapgs", : : : "memory");
    u_swapgs_vec = trap.vector;
    u_swapgs_err = trap.error;
    __asm__ volatile("int %0" : : "i"(VEC_USER_EXIT) : "memory");
}

int guest_main(const void *start_info)
{
    (void)start_info;
    desc_init();
    paging_all_user();

    /* SWAPGS at CPL 0 exchanges GS.base and IA32_KERNEL_GS_BASE. */
    wrmsr(MSR_GS_BASE, (uint64_t)kernel_gs_area);
    wrmsr(MSR_KERNEL_GS_BASE, (uint64_t)user_gs_area);
    __asm__ volatile("swapgs" : : : "memory");
    check_eq("SWAPGS: GS.base now the old KERNEL_GS_BASE", rdmsr(MSR_GS_BASE), (uint64_t)user_gs_area);
    check_eq("SWAPGS: KERNEL_GS_BASE now the old GS.base", rdmsr(MSR_KERNEL_GS_BASE), (uint64_t)kernel_gs_area);
    uint64_t g;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(g));
    check_eq("  GS-relative read uses the new base", g, user_gs_area[0]);

    /* SYSCALL with EFER.SCE clear is #UD. */
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~EFER_SCE);
    PROBE("syscall", : : : "rcx", "r11", "memory");
    check_eq("SYSCALL with EFER.SCE=0: #UD", trap.vector, 6);
    check_eq("  at the SYSCALL", trap.rip, probe_insn);

    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
    wrmsr(MSR_STAR, ((uint64_t)(SEL_UCODE32 | 3) << 48) | ((uint64_t)SEL_KCODE << 32));
    wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
    wrmsr(MSR_SFMASK, RFLAGS_IF | RFLAGS_DF | RFLAGS_TF | RFLAGS_AC);
    wrmsr(MSR_SYSENTER_CS, SEL_KCODE);
    wrmsr(MSR_SYSENTER_ESP, (uint64_t)sysenter_stack + sizeof sysenter_stack);
    wrmsr(MSR_SYSENTER_EIP, (uint64_t)sysenter_entry);

    enter_user((uint64_t)user_main, USER_STACK_TOP - 8, 0x202, SEL_UCODE | 3);

    puts_e9("SYSCALL from CPL 3:\n");
    check_eq("  RCX = address of the next instruction", sc_rcx, u_ret_rip);
    check("  R11 = RFLAGS with IF and DF", (sc_r11 & (RFLAGS_IF | RFLAGS_DF)) == (RFLAGS_IF | RFLAGS_DF));
    check_eq("  CS = STAR[47:32]", sc_cs, SEL_KCODE);
    check_eq("  SS = STAR[47:32] + 8", sc_ss, SEL_KDATA);
    check_eq("  RSP unchanged", sc_rsp, u_rsp);
    check_eq("  RFLAGS masked by SFMASK (IF, DF clear)", sc_rflags & (RFLAGS_IF | RFLAGS_DF | RFLAGS_AC), 0);
    check_eq("  SWAPGS at entry reaches the kernel GS area", sc_gs, kernel_gs_area[0]);
    puts_e9("SYSRETQ:\n");
    check_eq("  CS = STAR[63:48] + 16 | 3", u_cs, SEL_UCODE | 3);
    check_eq("  SS = STAR[63:48] + 8 | 3", u_ss, SEL_UDATA | 3);
    check_eq("  RFLAGS = R11 (DF back)", u_rflags_after, (sc_r11 & ~0x10000ull) | 2);
    check_eq("  RAX from the kernel", u_rax, 0x5c);
    puts_e9("SYSENTER from CPL 3 (IA-32e mode):\n");
    check_eq("  CS = SYSENTER_CS", se_cs, SEL_KCODE);
    check_eq("  SS = SYSENTER_CS + 8", se_ss, SEL_KDATA);
    check_eq("  RSP = SYSENTER_ESP", se_rsp, (uint64_t)sysenter_stack + sizeof sysenter_stack);
    check("  IF clear", !(se_rflags & RFLAGS_IF));
    puts_e9("SYSEXITQ:\n");
    check_eq("  RSP = RCX", ue_rsp_after, ue_rsp - 64);
    check_eq("  CS = SYSENTER_CS + 32 | 3", ue_cs, (SEL_KCODE + 32) | 3);
    check_eq("  SS = SYSENTER_CS + 40 | 3", ue_ss, (SEL_KCODE + 40) | 3);
    check_eq("  RIP = RDX (RAX from the kernel, MOV skipped)", ue_rax, 0x5e);
    check_eq("SWAPGS at CPL 3: #GP", u_swapgs_vec, 13);
    check_eq("  error code 0", u_swapgs_err, 0);

    /* SYSRET with a non-canonical RCX faults at CPL 0 (#GP(0), Intel). */
    PROBE("sysretq", : : "c"(0x8000000000001000ull), "r"(0) : "r11", "memory");
    check_eq("SYSRETQ with non-canonical RCX: #GP", trap.vector, 13);
    check_eq("  error code 0", trap.error, 0);
    check_eq("  CS still kernel", trap.cs, SEL_KCODE);
    check_eq("  at the SYSRET", trap.rip, probe_insn);

    /* SYSENTER with SYSENTER_CS = 0 is #GP(0). */
    wrmsr(MSR_SYSENTER_CS, 0);
    PROBE("sysenter", : : : "rcx", "rdx", "memory");
    check_eq("SYSENTER with SYSENTER_CS=0: #GP", trap.vector, 13);
    check_eq("  error code 0", trap.error, 0);
    return finish("syscall");
}
