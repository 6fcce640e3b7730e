/* 32-bit PVH entry (Xen docs/misc/pvh.pandoc): protected mode, paging off,
 * EBX = start info. Loads a flat GDT with ring-3 segments and a 32-bit TSS
 * (SDM Vol.3A §3.4.5, §8.2), calls guest_main32(start_info) in 32-bit mode
 * and writes its result to the exit port 0xF4.
 * GDT: 0x08 code DPL0, 0x10 data DPL0, 0x18 code DPL3, 0x20 data DPL3,
 * 0x28 TSS (ESP0 = tss32_stack_top, SS0 = 0x10). */
    .section .note.pvh, "a"
    .balign 4
    .long 4                 /* name size: "Xen\0" */
    .long 4                 /* desc size */
    .long 18                /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .long pvh_start32

    .section .text.entry, "ax"
    .code32
    .globl pvh_start32
pvh_start32:
    cld
    lgdt gdt32_desc
    ljmp $0x08, $1f
1:  movl $0x10, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %fs
    movl %eax, %gs
    movl %eax, %ss
    movl $stack32_top, %esp

    /* TSS descriptor base (SDM Vol.3A §8.2.2 figure 8-3) */
    movl $tss32, %eax
    movw %ax, gdt32 + 0x28 + 2
    shrl $16, %eax
    movb %al, gdt32 + 0x28 + 4
    movb %ah, gdt32 + 0x28 + 7
    movl $tss32_stack_top, tss32 + 4    /* ESP0 */
    movl $0x10, tss32 + 8               /* SS0 */
    movw $104, tss32 + 102              /* I/O map base beyond the limit */
    movw $0x28, %ax
    ltr %ax

    movl %cr0, %eax
    orl $0x22, %eax                 /* MP, NE */
    andl $~0x8000000c, %eax         /* clear PG, EM, TS */
    movl %eax, %cr0

    pushl %ebx
    call guest_main32
    movw $0xf4, %dx
    outb %al, %dx
2:  hlt
    jmp 2b

    .data
    .balign 8
    .globl gdt32
gdt32:
    .quad 0
    .quad 0x00cf9a000000ffff        /* 0x08: 32-bit code, DPL 0 */
    .quad 0x00cf92000000ffff        /* 0x10: data, DPL 0 */
    .quad 0x00cffa000000ffff        /* 0x18: 32-bit code, DPL 3 */
    .quad 0x00cff2000000ffff        /* 0x20: data, DPL 3 */
    .quad 0x0000890000000067        /* 0x28: 32-bit TSS, base patched */
gdt32_end:
    .balign 4
    .word 0
gdt32_desc:
    .word gdt32_end - gdt32 - 1
    .long gdt32

    .bss
    .balign 16
    .globl tss32
tss32: .skip 104
    .balign 16
stack32: .skip 16384
stack32_top:
tss32_stack: .skip 8192
    .globl tss32_stack_top
tss32_stack_top:

    .section .note.GNU-stack, "", @progbits
