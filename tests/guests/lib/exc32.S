/* Exception stubs of the 32-bit test guests (protected mode, SDM Vol.3A
 * §6.12.1): each pushes a dummy error code where the CPU pushes none, then
 * its vector; the common path saves the registers and DS/ES, loads the
 * kernel data selector 0x10 and calls trap32(struct trap32_frame *)
 * (guest32.h), which may edit the frame before the IRET. */
    .text
    .code32
.macro STUB vec
exc32_\vec:
    .if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17) || (\vec == 21)
    .else
    pushl $0
    .endif
    pushl $\vec
    jmp exc32_common
.endm

    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    STUB \v
    .endr

exc32_common:
    pushal
    pushl %ds
    pushl %es
    movl $0x10, %eax
    movl %eax, %ds
    movl %eax, %es
    pushl %esp
    call trap32
    addl $4, %esp
    popl %es
    popl %ds
    popal
    addl $8, %esp               /* vector, error code */
    iret

    .section .rodata
    .balign 4
    .globl exc32_table
exc32_table:
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .long exc32_\v
    .endr
