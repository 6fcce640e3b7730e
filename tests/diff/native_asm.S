/* Native side of the differential tester: load the whole test state and
 * jump to the instruction; the signal handler takes over from there. */

    .text

/* void native_enter(void): never returns (the handler siglongjmps). */
    .globl native_enter
    .type native_enter, @function
native_enter:
    fxrstor64 native_in_fx(%rip)
    pushq native_in_rflags(%rip)
    popfq
    /* mov does not touch the flags just loaded; RIP-relative loads need
     * no base register, so all 16 GPRs can be set */
    movq native_in_gpr+0*8(%rip), %rax
    movq native_in_gpr+1*8(%rip), %rcx
    movq native_in_gpr+2*8(%rip), %rdx
    movq native_in_gpr+3*8(%rip), %rbx
    movq native_in_gpr+5*8(%rip), %rbp
    movq native_in_gpr+6*8(%rip), %rsi
    movq native_in_gpr+7*8(%rip), %rdi
    movq native_in_gpr+8*8(%rip), %r8
    movq native_in_gpr+9*8(%rip), %r9
    movq native_in_gpr+10*8(%rip), %r10
    movq native_in_gpr+11*8(%rip), %r11
    movq native_in_gpr+12*8(%rip), %r12
    movq native_in_gpr+13*8(%rip), %r13
    movq native_in_gpr+14*8(%rip), %r14
    movq native_in_gpr+15*8(%rip), %r15
    movq native_in_gpr+4*8(%rip), %rsp
    /* from here a signal belongs to the test, not to the worker */
    movb $1, native_in_test(%rip)
    jmp *native_in_target(%rip)
    .size native_enter, .-native_enter

/* Signal handler entry: a POPF under test may have left AC set, and
 * Linux runs user code with CR0.AM=1, so clear AC before any C code can
 * make a misaligned access. */
    .globl native_sig_entry
    .type native_sig_entry, @function
native_sig_entry:
    pushfq
    andq $~0x40000, (%rsp)
    popfq
    jmp native_sig_handler
    .size native_sig_entry, .-native_sig_entry

    .section .note.GNU-stack, "", @progbits
