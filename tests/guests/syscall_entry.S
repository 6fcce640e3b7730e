/* Kernel entry points of syscall.c: each records what the CPU loaded and
 * returns with SYSRETQ or SYSEXITQ (SDM Vol.2B SYSCALL, SYSRET, SYSENTER,
 * SYSEXIT; Vol.3A §5.8.7, §5.8.8). */
    .text
    .code64
    .globl syscall_entry
syscall_entry:
    movq %rcx, sc_rcx(%rip)
    movq %r11, sc_r11(%rip)
    movq %rsp, sc_rsp(%rip)
    movw %cs, sc_cs(%rip)
    movw %ss, sc_ss(%rip)
    pushfq
    popq sc_rflags(%rip)
    swapgs                          /* GS base <-> IA32_KERNEL_GS_BASE */
    movq %gs:0, %rax
    movq %rax, sc_gs(%rip)
    swapgs
    movq $0x5c, %rax
    sysretq

    .globl sysenter_entry
sysenter_entry:
    movq %rsp, se_rsp(%rip)
    movw %cs, se_cs(%rip)
    movw %ss, se_ss(%rip)
    pushfq
    popq se_rflags(%rip)
    movq $0x5e, %rax
    sysexitq                        /* RIP = RDX, RSP = RCX, to 64-bit CPL 3 */

    .bss
    .balign 8
    .globl sc_rcx, sc_r11, sc_rsp, sc_cs, sc_ss, sc_rflags, sc_gs
    .globl se_rsp, se_cs, se_ss, se_rflags
sc_rcx: .skip 8
sc_r11: .skip 8
sc_rsp: .skip 8
sc_cs: .skip 8
sc_ss: .skip 8
sc_rflags: .skip 8
sc_gs: .skip 8
se_rsp: .skip 8
se_cs: .skip 8
se_ss: .skip 8
se_rflags: .skip 8

    .section .note.GNU-stack, "", @progbits
