/* Exception and interrupt entry stubs of the 64-bit test guests: each pushes
 * a dummy error code when the CPU does not (SDM Vol.3A §6.13, §6.14.2), its
 * vector and the GPRs, then calls trap_dispatch(frame) and returns by IRETQ. */
    .text
    .code64

    .macro stub vec
    .balign 16
stub_\vec:
    .if (\vec == 8) || (\vec == 10) || (\vec == 11) || (\vec == 12) || (\vec == 13) || (\vec == 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
    .else
    pushq $0
    .endif
    pushq $\vec
    jmp trap_common
    .endm

    .altmacro
    .set v, 0
    .rept 256
    stub %v
    .set v, v + 1
    .endr

trap_common:
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, %rdi
    cld
    call trap_dispatch
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    addq $16, %rsp
    iretq

    .section .rodata
    .balign 8
    .globl stub_table
stub_table:
    .macro stub_addr vec
    .quad stub_\vec
    .endm
    .set v, 0
    .rept 256
    stub_addr %v
    .set v, v + 1
    .endr

/* uint64_t enter_user(rip, rsp, rflags, cs): IRETQ to the given privilege
 * level (SDM Vol.3A §6.14.3); INT VEC_USER_EXIT comes back through
 * user_exit_stub with RAX as the result. */
    .text
    .globl enter_user
enter_user:
    pushq %rbx
    pushq %rbp
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, kernel_saved_rsp(%rip)
    movq %rcx, %rax
    andq $3, %rax
    orq $0x20, %rax                /* SS: user data, RPL of the CS */
    pushq %rax
    pushq %rsi
    pushq %rdx
    pushq %rcx
    pushq %rdi
    iretq

    .globl user_exit_stub
user_exit_stub:
    movq kernel_saved_rsp(%rip), %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbp
    popq %rbx
    ret


    .bss
    .balign 8
kernel_saved_rsp: .skip 8

    .section .note.GNU-stack, "", @progbits
