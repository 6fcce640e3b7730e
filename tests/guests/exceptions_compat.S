/* 32-bit parts of exceptions.c: INTO (#OF, a trap) and BOUND (#BR, a fault)
 * exist only outside 64-bit mode (SDM Vol.2A INTO, BOUND), so they run in a
 * compatibility-mode code segment (SDM Vol.3A §5.2.1); exceptions go through
 * the same 64-bit IDT. */
    .text
    .code64
    .globl run_compat_tests
run_compat_tests:
    pushq %rbx
    pushq %rbp
    pushq $0x30                     /* SEL_KCODE32 */
    leaq 1f(%rip), %rax
    pushq %rax
    lretq

    .code32
1:  /* INTO with OF clear: no exception. */
    xorl %eax, %eax
    .globl compat_into_clear
compat_into_clear:
    into
    /* INTO with OF set: #OF after the instruction. */
    movl $2f, trap_resume
    movb $0x7f, %al
    addb $1, %al
    .globl compat_into
compat_into:
    into
2:  movl trap, %eax
    movl %eax, compat_into_vec
    movl trap+16, %eax
    movl %eax, compat_into_rip
    movl trap+24, %eax
    movl %eax, compat_into_cs
    /* BOUND with the index above the upper bound: #BR at the instruction. */
    movl $3f, trap_resume
    movl $100, %eax
    .globl compat_bound
compat_bound:
    boundl %eax, bounds
3:  movl trap, %eax
    movl %eax, compat_bound_vec
    movl trap+16, %eax
    movl %eax, compat_bound_rip
    /* BOUND inside the bounds: no exception. */
    movl $10, %eax
    .globl compat_bound_ok
compat_bound_ok:
    boundl %eax, bounds
    ljmp $0x08, $4f

    .code64
4:  popq %rbp
    popq %rbx
    ret

    .data
    .balign 8
bounds: .long 0, 50
    .globl compat_into_vec, compat_into_rip, compat_into_cs, compat_bound_vec, compat_bound_rip
compat_into_vec: .long 99
compat_into_rip: .long 0
compat_into_cs: .long 0
compat_bound_vec: .long 99
compat_bound_rip: .long 0

    .section .note.GNU-stack, "", @progbits
