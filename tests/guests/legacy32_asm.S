/* Assembly side of legacy32: ring changes, the call-gate
 * targets and the ring-3 code whose stack layout the checks depend on
 * (SDM Vol.3A §5.8.3-5.8.7, §6.12.1). Selectors match legacy32.c. */
#define SEL_GATE32 0x30
#define SEL_GATE16 0x38
#define SEL_GATER1 0x60
#define SEL_GATEJCONF 0xe8
#define SEL_USTK 0xf8

    .text
    .code32

/* void lg_enter_user(cs, eip, esp, eflags, ebx): IRET to CPL 3 (§6.12.1
 * figure 6-4); INT 0x81 from there returns through lg_user_exit. */
    .globl lg_enter_user
lg_enter_user:
    pushl %ebx
    pushl %ebp
    pushl %esi
    pushl %edi
    movl %esp, lg_kernel_esp
    movl 20(%esp), %eax         /* cs */
    movl 24(%esp), %ecx         /* eip */
    movl 28(%esp), %edx         /* esp */
    movl 32(%esp), %esi         /* eflags */
    movl 36(%esp), %ebx
    movl $0x23, %edi
    movl %edi, %ds
    movl %edi, %es
    pushl $0x23                 /* SS */
    pushl %edx
    pushl %esi
    pushl %eax
    pushl %ecx
    iret

    .globl lg_user_exit
lg_user_exit:
    movl $0x10, %ecx
    movl %ecx, %ds
    movl %ecx, %es
    movl lg_kernel_esp, %esp
    popl %edi
    popl %esi
    popl %ebp
    popl %ebx
    ret

/* CPL 1 handlers for #TS and #SS while TSS.SS0 is bad (a CPL 0 handler
 * would need that stack): record into trap (legacy32.c), resume at
 * trap_resume. Frame: EAX, vector, error, EIP, CS, EFLAGS, ESP, SS. */
    .globl r1_exc_ts, r1_exc_ss
r1_exc_ts:
    pushl $10
    jmp r1_exc_common
r1_exc_ss:
    pushl $12
r1_exc_common:
    pushl %eax
    movl 4(%esp), %eax
    movl %eax, trap             /* vector */
    movl 8(%esp), %eax
    movl %eax, trap+4           /* error */
    movl 16(%esp), %eax
    movl %eax, trap+8           /* CS */
    movl 24(%esp), %eax
    movl %eax, trap+12          /* ESP */
    movl trap_resume, %eax
    movl %eax, 12(%esp)
    movl $0, trap_resume
    movw %cs, r1_exc_cs
    movl $0x10, tss32+8         /* TSS.SS0 good again for the INT 0x81 exit */
    popl %eax
    addl $8, %esp
    iret

/* ---- 32-bit call gate target (CPL 0): records its stack, RET imm16 ---- */
    .globl gate32_target
gate32_target:
    movl %esp, cg_k_esp
    /* ES and FS hold a DPL 0 segment at the RET to CPL 3, which must
     * null them (Vol.2B RET, RETURN-TO-OUTER-PRIVILEGE-LEVEL) */
    movl $0x10, %eax
    movl %eax, %es
    movl %eax, %fs
    .irp i, 0,4,8,12,16,20,24
    movl \i(%esp), %eax
    movl %eax, cg_k_frame+\i
    .endr
    movw %cs, cg_k_cs
    movw %ss, cg_k_ss
    movl $0x600d, %eax
    lret $12                    /* releases the 3 copied parameters (Vol.2B RET) */

/* ---- conforming DPL 0 code, entered at CPL 3 ---- */
    .globl conf_target, conf_jmp_target
conf_target:
    movl %esp, cg_k_esp
    .irp i, 0,4,8
    movl \i(%esp), %eax
    movl %eax, cg_k_frame+\i
    .endr
    movw %cs, cg_k_cs
    movw %ss, cg_k_ss
    movl $0x600d, %eax
    lret $12
conf_jmp_target:
    movl %esp, cg_k_esp
    movw %cs, cg_k_cs
    int $0x81

/* ---- ring-1 target of the parameterless gate ---- */
    .globl r1_target
r1_target:
    movl %esp, cg_k_esp
    .irp i, 0,4,8,12
    movl \i(%esp), %eax
    movl %eax, cg_k_frame+\i
    .endr
    movw %cs, cg_k_cs
    movw %ss, cg_k_ss
    movl $0x1ead, %eax
    lret

/* ---- 16-bit call gate target: CS 0x40 has its base here, so offsets fit
 * in the gate's 16 bits; DS stays flat. ---- */
    .balign 16
    .globl gate16_target
gate16_target:
    movl %esp, cg_k_esp
    .irp i, 0,2,4,6,8,10,12
    movw \i(%esp), %ax
    movw %ax, cg_k_frame16+\i
    .endr
    movw %cs, cg_k_cs
    movw %ss, cg_k_ss
    movl $0x600d, %eax
    lretw $6                    /* 16-bit RET releasing 3 word parameters */

/* ---- ring-3 code ---- */

/* Far CALL through the 32-bit gate in BX with three dword parameters. */
    .globl u_call32, cg_ret32
u_call32:
    movw %bx, u_farptr+4
    pushl $0x11111111
    pushl $0x22222222
    pushl $0x33333333
    movl %esp, cg_u_esp
    lcall *u_farptr
cg_ret32:
    movl %esp, cg_u_esp_after
    movw %ds, cg_u_ds
    movw %es, cg_u_es
    movw %fs, cg_u_fs
    movl %eax, cg_u_eax
    movw %cs, cg_u_cs
    movw %ss, cg_u_ss
    int $0x81

/* Far CALL through the gate in BX on a small stack (SS SEL_USTK, ESP from
 * EBX[31:16]), expecting a fault. INT 0x81 needs no CPL 3 stack. */
    .globl u_small_stack_probe
u_small_stack_probe:
    movw %bx, u_farptr+4
    movl $SEL_USTK | 3, %eax
    movl %eax, %ss
    movl %ebx, %esp
    shrl $16, %esp
    movl $1f, trap_resume
    lcall *u_farptr
1:  movl $0, trap_resume
    int $0x81

/* Far JMP through the gate to conforming code, which exits by INT 0x81. */
    .globl u_jmp_conf
u_jmp_conf:
    ljmp $SEL_GATEJCONF | 3, $0

/* Runs in CS 0x9b whose base is u_call16 (offsets below are small, so the
 * 16-bit gate's IP push and the 16-bit RET lose nothing). */
    .balign 16
    .globl u_call16, cg_ret16_off
u_call16:
    pushw $0x1111
    pushw $0x2222
    pushw $0x3333
    movl %esp, cg_u_esp
    lcall $SEL_GATE16 | 3, $0
cg_ret16:
    movl %esp, cg_u_esp_after
    movl %eax, cg_u_eax
    movw %cs, cg_u_cs
    movw %ss, cg_u_ss
    int $0x81
    .section .rodata
    .balign 4
cg_ret16_off: .long cg_ret16 - u_call16
    .text

/* Far CALL through the parameterless gate to CPL 1. */
    .globl u_call_r1, cg_ret_r1
u_call_r1:
    movl %esp, cg_u_esp
    lcall $SEL_GATER1 | 3, $0
cg_ret_r1:
    movl %esp, cg_u_esp_after
    movl %eax, cg_u_eax
    movw %cs, cg_u_cs
    movw %ss, cg_u_ss
    int $0x81

/* Far CALL (or JMP if EBX bit 16 is set) through the gate selector in BX,
 * expecting a fault that resumes at 1:. */
    .globl u_far_probe
u_far_probe:
    movw %bx, u_farptr+4
    movl $1f, trap_resume
    testl $0x10000, %ebx
    jnz 2f
    lcall *u_farptr
    jmp 1f
2:  ljmp *u_farptr
1:  movl $0, trap_resume
    int $0x81

/* SYSENTER to se_target, which comes back with SYSEXIT. */
    .globl u_sysenter, se_back
u_sysenter:
    movl %esp, se_u_esp
    pushfl
    popl se_u_eflags
    sysenter
se_back:
    movl %esp, se_u_esp_after
    movw %cs, se_u_cs
    movw %ss, se_u_ss
    pushfl
    popl se_u_eflags_after
    /* the ring-3 stack works: what SS:ESP wrote, DS reads back */
    pushl $0x0badcafe
    movl (%esp), %eax
    movl %eax, se_u_stack_probe
    int $0x81

/* SYSENTER or SYSEXIT (EBX = 1) at CPL 3, expecting #GP(0). */
    .globl u_fast_probe
u_fast_probe:
    movl $1f, trap_resume
    testl %ebx, %ebx
    jnz 2f
    sysenter
    jmp 1f
2:  sysexit
1:  movl $0, trap_resume
    int $0x81

/* void lg_enter_vm86(cs, ip): IRET from CPL 0 to virtual-8086 mode (Vol.2A
 * IRET, RETURN-TO-VIRTUAL-8086-MODE) with VM and IF set, DS = 0x42; the
 * code there does SYSENTER to se_vm_target, which leaves by lg_user_exit. */
    .globl lg_enter_vm86
lg_enter_vm86:
    pushl %ebx
    pushl %ebp
    pushl %esi
    pushl %edi
    movl %esp, lg_kernel_esp
    movl 20(%esp), %eax         /* cs */
    movl 24(%esp), %ecx         /* ip */
    pushl $0                    /* GS */
    pushl $0                    /* FS */
    pushl $0x42                 /* DS */
    pushl $0                    /* ES */
    pushl $0                    /* SS */
    pushl $0x7000               /* ESP */
    pushl $0x20202              /* EFLAGS: VM, IF */
    pushl %eax
    pushl %ecx
    iret

/* SYSENTER from virtual-8086 mode lands here: VM must be clear, so DS
 * loads are protected-mode loads (a VM86 load of 0x10 has base 0x100). */
    .globl se_vm_target
se_vm_target:
    movw %ds, %bx               /* DS as VM86 left it (SYSENTER keeps it) */
    movl %esp, %esi
    movw %cs, %cx
    movw %ss, %dx
    pushfl
    popl %edi
    movl %cr0, %eax             /* #GP in VM86 mode */
    movl $0x10, %eax
    movl %eax, %ds
    movl %eax, %es
    movl vm_magic, %eax
    movl %eax, se_vm_magic
    movw %bx, se_vm_ds
    movl %esi, se_vm_esp
    movw %cx, se_vm_cs
    movw %dx, se_vm_ss
    movl %edi, se_vm_eflags
    jmp lg_user_exit

/* ---- SYSENTER target (CPL 0) ---- */
    .globl se_target
se_target:
    movl %esp, se_k_esp
    movw %cs, se_k_cs
    movw %ss, se_k_ss
    pushfl
    popl se_k_eflags
    /* flat SS: a push lands at linear ESP - 4, seen through DS */
    pushl $0x5eed1234
    movl se_k_esp, %eax
    movl -4(%eax), %eax
    movl %eax, se_k_stack_probe
    popl %eax
    movl %cr0, %eax             /* #GP unless CPL 0 */
    movl %eax, se_k_cr0
    movl $se_back, %edx
    movl se_u_esp, %ecx
    subl $16, %ecx              /* a different ESP, to see it comes from ECX */
    movl %ecx, se_want_esp
    sysexit

/* VM86 code: CS 0xffff reaches it only within 64 KiB of 1 MiB, so it goes
 * with the entry code at the start of the image. */
    .section .text.entry, "ax"
    .globl vm86_blob
vm86_blob:
    sysenter
    hlt

    .data
    .balign 4
u_farptr: .long 0, 0
vm_magic: .long 0x600dc0de
    .fill 0x100, 1, 0xee        /* what a base-0x100 DS would read instead */

    .bss
    .balign 4
lg_kernel_esp: .long 0
    .globl cg_k_esp, cg_k_frame, cg_k_frame16, cg_k_cs, cg_k_ss
    .globl cg_u_esp, cg_u_esp_after, cg_u_eax, cg_u_cs, cg_u_ss
cg_k_esp: .long 0
cg_k_frame: .skip 28
cg_k_frame16: .skip 16
cg_k_cs: .long 0
cg_k_ss: .long 0
cg_u_esp: .long 0
cg_u_esp_after: .long 0
cg_u_eax: .long 0
cg_u_cs: .long 0
cg_u_ss: .long 0
    .globl cg_u_ds, cg_u_es, cg_u_fs, r1_exc_cs
cg_u_ds: .long 0
cg_u_es: .long 0
cg_u_fs: .long 0
r1_exc_cs: .long 0
    .globl se_u_esp, se_u_eflags, se_u_esp_after, se_u_cs, se_u_ss, se_u_eflags_after
    .globl se_u_stack_probe, se_k_esp, se_k_cs, se_k_ss, se_k_eflags, se_k_stack_probe
    .globl se_k_cr0, se_want_esp
se_u_esp: .long 0
se_u_eflags: .long 0
se_u_esp_after: .long 0
se_u_cs: .long 0
se_u_ss: .long 0
se_u_eflags_after: .long 0
se_u_stack_probe: .long 0
se_k_esp: .long 0
se_k_cs: .long 0
se_k_ss: .long 0
se_k_eflags: .long 0
se_k_stack_probe: .long 0
se_k_cr0: .long 0
se_want_esp: .long 0
    .globl se_vm_ds, se_vm_esp, se_vm_cs, se_vm_ss, se_vm_eflags, se_vm_magic
se_vm_ds: .long 0
se_vm_esp: .long 0
se_vm_cs: .long 0
se_vm_ss: .long 0
se_vm_eflags: .long 0
se_vm_magic: .long 0

    .section .note.GNU-stack, "", @progbits
