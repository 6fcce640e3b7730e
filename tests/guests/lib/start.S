/* PVH entry of the test guests (Xen docs/misc/pvh.pandoc): 32-bit protected
 * mode, paging off, EBX = start info. Builds identity page tables for the
 * first 1 GiB with 2 MiB pages, enters long mode (SDM Vol.3A §10.8.5),
 * calls guest_main(start_info) and writes its result to the exit port. */
    .section .note.pvh, "a"
    .balign 4
    .long 4                 /* name size: "Xen\0" */
    .long 4                 /* desc size */
    .long 18                /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .long pvh_start

    .section .text.entry, "ax"
    .code32
    .globl pvh_start
pvh_start:
    cld
    movl $stack_top, %esp
    movl %ebx, %edi                 /* keep the start info */

    movl $pml4, %eax
    movl $pdpt + 3, (%eax)
    movl $pdpt, %eax
    movl $pd + 3, (%eax)
    movl $pd, %eax
    xorl %ecx, %ecx
1:  movl %ecx, %edx
    shll $21, %edx
    orl $0x83, %edx                 /* present, writable, 2 MiB */
    movl %edx, (%eax, %ecx, 8)
    movl $0, 4(%eax, %ecx, 8)
    incl %ecx
    cmpl $512, %ecx
    jne 1b

    movl %cr4, %eax
    orl $0x620, %eax                /* PAE, OSFXSR, OSXMMEXCPT */
    movl %eax, %cr4
    movl $pml4, %eax
    movl %eax, %cr3
    movl $0xc0000080, %ecx          /* EFER.LME */
    rdmsr
    orl $0x100, %eax
    wrmsr
    movl %cr0, %eax
    orl $0x80000022, %eax           /* PG, MP, NE */
    andl $~0x0c, %eax               /* clear EM, TS */
    movl %eax, %cr0
    lgdt gdt_desc
    ljmp $0x08, $long_entry

    .code64
long_entry:
    movl $0x10, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    movq $stack_top, %rsp
    call guest_main
    movw $0xf4, %dx
    outb %al, %dx
2:  hlt
    jmp 2b

    .section .rodata
    .balign 8
gdt:
    .quad 0
    .quad 0x00af9a000000ffff        /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff        /* 0x10: flat data */
gdt_end:
gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt

    .section .bss
    .balign 4096
pml4: .skip 4096
pdpt: .skip 4096
pd:   .skip 4096
stack: .skip 16384
stack_top:

    .section .note.GNU-stack, "", @progbits
