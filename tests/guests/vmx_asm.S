/* Assembly half of the VMX test guest: entering and leaving the nested
 * guest (VMLAUNCH/VMRESUME and the host entry point, SDM Vol.3C §31.3),
 * and the nested guests' code: a 64-bit guest that provokes one VM exit
 * per instruction, small spin/fault guests, and a real-mode guest. */
#define L(name) .globl name; name:

    .text
    .code64

/* int vmx_run_guest(uint64_t *gregs, int launch): 0 after a VM exit (the
 * guest's GPRs saved in gregs, indexed by register number), 1 for
 * VMfailInvalid, 2 for VMfailValid. */
    .globl vmx_run_guest
vmx_run_guest:
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    push %rdi                       /* gregs, found again on exit */
    mov $0x6c14, %eax               /* HOST_RSP */
    vmwrite %rsp, %rax
    lea vmx_host_entry(%rip), %rdx
    mov $0x6c16, %eax               /* HOST_RIP */
    vmwrite %rdx, %rax
    test %esi, %esi                 /* MOVs below keep ZF */
    mov 0*8(%rdi), %rax
    mov 1*8(%rdi), %rcx
    mov 2*8(%rdi), %rdx
    mov 3*8(%rdi), %rbx
    mov 5*8(%rdi), %rbp
    mov 6*8(%rdi), %rsi
    mov 8*8(%rdi), %r8
    mov 9*8(%rdi), %r9
    mov 10*8(%rdi), %r10
    mov 11*8(%rdi), %r11
    mov 12*8(%rdi), %r12
    mov 13*8(%rdi), %r13
    mov 14*8(%rdi), %r14
    mov 15*8(%rdi), %r15
    mov 7*8(%rdi), %rdi
    jz 1f
    vmlaunch
    jmp 2f
1:  vmresume
2:  mov $1, %eax                    /* VMfailInvalid: CF = 1 */
    jc 3f
    mov $2, %eax                    /* VMfailValid: ZF = 1 */
3:  pop %rdx
    jmp vmx_pop

vmx_host_entry:
    push %rdi                       /* guest RDI; gregs is above it */
    mov 8(%rsp), %rdi
    mov %rax, 0*8(%rdi)
    mov %rcx, 1*8(%rdi)
    mov %rdx, 2*8(%rdi)
    mov %rbx, 3*8(%rdi)
    mov %rbp, 5*8(%rdi)
    mov %rsi, 6*8(%rdi)
    mov %r8, 8*8(%rdi)
    mov %r9, 9*8(%rdi)
    mov %r10, 10*8(%rdi)
    mov %r11, 11*8(%rdi)
    mov %r12, 12*8(%rdi)
    mov %r13, 13*8(%rdi)
    mov %r14, 14*8(%rdi)
    mov %r15, 15*8(%rdi)
    pop %rax
    mov %rax, 7*8(%rdi)
    pop %rdx
    xor %eax, %eax
vmx_pop:
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret

/* ---- the 64-bit nested guest: one exit per marked instruction ---- */

L(g_start)
    mov $0x40000000, %eax
L(g_cpuid)
    cpuid
    mov %rbx, %r8
L(g_vmcall1)
    vmcall
L(g_out)
    outb %al, $0x80
    outb %al, $0x81                 /* not in the I/O bitmap: no exit */
    mov $0x3f8, %dx
L(g_in)
    inw %dx, %ax
    mov $0x174, %ecx
L(g_rdmsr)
    rdmsr
    mov $0xc0000100, %ecx
    xor %eax, %eax
    xor %edx, %edx
L(g_wrmsr)
    wrmsr
    mov %cr3, %rax
L(g_movcr3)
    mov %rax, %cr3
    mov %cr4, %rbx                  /* the read shadow: no exit */
    mov %rbx, %r9
    or $0x2000, %rbx
L(g_movcr4)
    mov %rbx, %cr4
L(g_vmcall2)
    vmcall
L(g_movdr)
    mov %dr7, %rsi
L(g_rdtsc)
    rdtsc
    mov $0x345000, %rax
L(g_invlpg)
    invlpg (%rax)
    lea ro_page(%rip), %rax
L(g_ept_write)
    movq $0x77, 8(%rax)
    lea mc_page(%rip), %rax
L(g_ept_misconfig)
    mov (%rax), %rbx
L(g_ud2)
    ud2
L(g_int3)
    int3
    xor %ecx, %ecx
    mov $3, %eax
    xor %edx, %edx
L(g_xsetbv)
    xsetbv
L(g_wbinvd)
    wbinvd
L(g_invd)
    invd
L(g_pause)
    pause
    xor %ecx, %ecx
L(g_rdpmc)
    rdpmc
L(g_rdtscp)
    rdtscp
L(g_sgdt)
    sgdt 0x40(%rsp)
L(g_str)
    str %ax
    mov $0x4402, %edx
L(g_vmread)
    vmread %rdx, %rbx
    mov $0xd0e, %eax
L(g_vmcall_end)
    vmcall
    jmp g_start

/* Every VMX instruction exits in non-root operation (SDM Vol.3C §26.1.2). */
L(g_vmx_insns)
    mov $vmx_scratch, %eax
    mov $2, %edx
L(g_vmclear)
    vmclear (%rax)
L(g_vmptrld)
    vmptrld (%rax)
L(g_vmptrst)
    vmptrst (%rax)
L(g_vmwrite)
    vmwrite %rbx, %rdx
L(g_vmlaunch)
    vmlaunch
L(g_vmresume)
    vmresume
L(g_vmxon)
    vmxon (%rax)
L(g_invept)
    invept (%rax), %rdx
L(g_invvpid)
    invvpid (%rax), %rdx
L(g_vmxoff)
    vmxoff
L(g_vmx_done)
    vmcall

/* VPID and PCIDs (SDM Vol.3C §29.1): a read through tlb_page, then
 * INVPCID in the guest and HLT. */
L(g_tlb_read)
    mov tlb_page(%rip), %rbx
L(g_tlb_vmcall)
    vmcall
    jmp g_tlb_read
L(g_invpcid)
    mov $vmx_scratch, %eax
    mov $2, %edx
L(g_invpcid_insn)
    invpcid 0x10(%rax), %rdx
L(g_hlt)
    hlt
L(g_after_hlt)
    vmcall

/* MONITOR on tlb_page, then MWAIT: each exits when its control is set. */
L(g_monitor)
    lea tlb_page(%rip), %rax
    xor %ecx, %ecx
    xor %edx, %edx
L(g_monitor_insn)
    monitor
L(g_mwait_insn)
    mwait
    vmcall

/* Spins until the preemption timer or a window exit. */
L(g_spin)
    jmp g_spin

/* A self-NMI and a self-INIT through the x2APIC ICR: VM exits right
 * after the WRMSR under "NMI exiting" / always for INIT. */
L(g_nmi_self)
    mov $0x830, %ecx
    mov $0x4400, %eax               /* level assert, NMI, destination APIC 0 */
    xor %edx, %edx
    wrmsr
L(g_nmi_after)
    jmp g_nmi_after
L(g_init_self)
    mov $0x830, %ecx
    mov $0x4500, %eax               /* level assert, INIT */
    xor %edx, %edx
    wrmsr
L(g_init_after)
    jmp g_init_after

/* #UD with an empty IDT: #GP, #DF, then a triple fault. */
L(g_triple)
    ud2

/* ---- a PVH-style start: 32-bit protected mode with paging off (an
 * unrestricted guest), enabling PAE, long mode and paging itself; EBX
 * holds the page-table root. ---- */
    .code32
L(g_pvh32)
    mov %cr4, %eax
    or $0x20, %eax                  /* PAE */
    mov %eax, %cr4
L(g_pvh_cr3)
    mov %ebx, %cr3                  /* CR3-load exiting: the VMM loads it */
    mov $0xc0000080, %ecx
    rdmsr
    or $0x100, %eax                 /* EFER.LME */
    wrmsr
    mov %cr0, %eax
    or $0x80000000, %eax            /* PG: IA-32e mode becomes active */
    mov %eax, %cr0
    ljmp $0x08, $g_pvh64
    .code64
L(g_pvh64)
    vmcall

/* ---- the real-mode nested guest (unrestricted guest), copied to 0x8000 ---- */
    .code16
L(rm_code)
    mov $0x55aa, %ax
    outb %al, $0x71
    mov %cs, %bx
    mov %sp, %cx
    .byte 0x0f, 0x01, 0xc1          /* vmcall */
    hlt
L(rm_code_end)
    .code64

    .bss
    .balign 4096
L(ro_page)
    .skip 4096
L(mc_page)
    .skip 4096
L(tlb_page)
    .skip 4096
L(alt_page)
    .skip 4096
L(vmx_scratch)
    .skip 32
