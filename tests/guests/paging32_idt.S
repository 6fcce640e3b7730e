/* Exception stubs of paging32 (32-bit protected mode, SDM Vol.3A §6.12.1):
 * each pushes a dummy error code where the CPU pushes none, then its vector;
 * trap_common saves the registers and DS/ES and calls trap32(frame). */
    .text
    .code32
.macro STUB vec
stub_\vec:
    .if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17) || (\vec == 21)
    .else
    pushl $0
    .endif
    pushl $\vec
    jmp trap_common
.endm

    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    STUB \v
    .endr

trap_common:
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

/* uint32_t enter_user32(eip, esp, ebx): IRET to CPL 3 with EBX set (SDM
 * Vol.3A §6.12.1 figure 6-4); INT 0x81 comes back through user_exit32. */
    .globl enter_user32
enter_user32:
    pushl %ebx
    pushl %ebp
    pushl %esi
    pushl %edi
    movl %esp, kernel_saved_esp
    movl 20(%esp), %eax         /* eip */
    movl 24(%esp), %ecx         /* esp */
    movl 28(%esp), %ebx
    movl $0x23, %edx
    movl %edx, %ds
    movl %edx, %es
    pushl $0x23                 /* SS */
    pushl %ecx
    pushl $0x2                  /* EFLAGS: IF = 0 */
    pushl $0x1b                 /* CS */
    pushl %eax
    iret

    .globl user_exit32
user_exit32:
    movl $0x10, %ecx
    movl %ecx, %ds
    movl %ecx, %es
    movl kernel_saved_esp, %esp
    popl %edi
    popl %esi
    popl %ebp
    popl %ebx
    ret

    .section .rodata
    .balign 4
    .globl stub_table32
stub_table32:
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .long stub_\v
    .endr

    .bss
    .balign 4
kernel_saved_esp: .long 0

    .section .note.GNU-stack, "", @progbits
