/* Ring-3 entry and exit of paging32 (SDM Vol.3A §6.12.1); the exception
 * stubs are lib/exc32.S's. */
    .text
    .code32
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

    .bss
    .balign 4
kernel_saved_esp: .long 0

    .section .note.GNU-stack, "", @progbits
