/* Guest entry. The runner sets RSP (16-byte aligned), RDI = buffer and
 * RSI = size; the checksum comes back in RAX. WL_ENTRY names the workload. */
    .section .text.start, "ax"
    .globl _start
    .type _start, @function
_start:
    call WL_ENTRY
    hlt
1:  jmp 1b
    .size _start, . - _start

    .section .note.GNU-stack, "", @progbits
