/* Ring-0 target of callgate.c's 64-bit call gate: records its stack and the
 * frame the far CALL pushed, then returns with a 64-bit far RET (SDM Vol.3A
 * §5.8.5-5.8.6, figure 5-13). */
    .text
    .code64
    .globl gate_target
gate_target:
    movq %rsp, cg_rsp(%rip)
    movq 0(%rsp), %rax
    movq %rax, cg_frame+0(%rip)
    movq 8(%rsp), %rax
    movq %rax, cg_frame+8(%rip)
    movq 16(%rsp), %rax
    movq %rax, cg_frame+16(%rip)
    movq 24(%rsp), %rax
    movq %rax, cg_frame+24(%rip)
    movw %cs, cg_cs(%rip)
    movw %ss, cg_ss(%rip)
    movq $0x6a7e, %rax
    lretq

    .bss
    .balign 8
    .globl cg_rsp, cg_frame, cg_cs, cg_ss
cg_rsp: .skip 8
cg_frame: .skip 32
cg_cs: .skip 8
cg_ss: .skip 8

    .section .note.GNU-stack, "", @progbits
