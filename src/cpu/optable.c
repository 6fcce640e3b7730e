/* Opcode maps of SDM Vol.2 Appendix A (Tables ). Entries
 * left out are undefined (#UD). Prefix bytes never reach these tables. */
#include "optable.h"

#define M OF_MODRM
#define B OF_BYTE
#define I8 OF_IMM8
#define IZ OF_IMMZ
#define E OF_END
#define X(f, s) { (uint16_t)(f), s }

/* The 00-3D arithmetic rows: Eb,Gb / Ev,Gv / Gb,Eb / Gv,Ev / AL,Ib / eAX,Iz. */
#define ALU_ROW(base, lock)                       \
    [(base) + 0] = X(M | B | (lock), sel_alu),    \
    [(base) + 1] = X(M | (lock), sel_alu),        \
    [(base) + 2] = X(M | B, sel_alu),             \
    [(base) + 3] = X(M, sel_alu),                 \
    [(base) + 4] = X(B | I8, sel_alu),            \
    [(base) + 5] = X(IZ, sel_alu)

const opent_t optab_1b[256] = {
    ALU_ROW(0x00, OF_LOCK), ALU_ROW(0x08, OF_LOCK), ALU_ROW(0x10, OF_LOCK), ALU_ROW(0x18, OF_LOCK),
    ALU_ROW(0x20, OF_LOCK), ALU_ROW(0x28, OF_LOCK), ALU_ROW(0x30, OF_LOCK), ALU_ROW(0x38, 0),
    [0x06] = X(OF_INV64, sel_push_sreg), [0x07] = X(OF_INV64 | E, sel_pop_sreg),
    [0x0e] = X(OF_INV64, sel_push_sreg),
    [0x16] = X(OF_INV64, sel_push_sreg), [0x17] = X(OF_INV64 | E, sel_pop_sreg),
    [0x1e] = X(OF_INV64, sel_push_sreg), [0x1f] = X(OF_INV64 | E, sel_pop_sreg),
    [0x27] = X(OF_INV64, sel_bcd), [0x2f] = X(OF_INV64, sel_bcd),
    [0x37] = X(OF_INV64, sel_bcd), [0x3f] = X(OF_INV64, sel_bcd),
    [0x40 ... 0x4f] = X(0, sel_incdec_r),
    [0x50 ... 0x57] = X(OF_DEF64, sel_push),
    [0x58 ... 0x5f] = X(OF_DEF64, sel_pop),
    [0x60] = X(OF_INV64, sel_pusha), [0x61] = X(OF_INV64, sel_pusha),
    [0x62] = X(OF_INV64 | M, sel_bound_arpl), [0x63] = X(M, sel_movx),
    [0x68] = X(OF_DEF64 | IZ, sel_push), [0x69] = X(M | IZ, sel_imul),
    [0x6a] = X(OF_DEF64 | I8, sel_push), [0x6b] = X(M | I8, sel_imul),
    [0x6c] = X(B, sel_string), [0x6d] = X(0, sel_string),
    [0x6e] = X(B, sel_string), [0x6f] = X(0, sel_string),
    [0x70 ... 0x7f] = X(I8 | OF_F64 | E, sel_jcc),
    [0x80] = X(M | B | I8 | OF_LOCKSEL, sel_grp1), [0x81] = X(M | IZ | OF_LOCKSEL, sel_grp1),
    [0x82] = X(M | B | I8 | OF_LOCKSEL | OF_INV64, sel_grp1), [0x83] = X(M | I8 | OF_LOCKSEL, sel_grp1),
    [0x84] = X(M | B, sel_test), [0x85] = X(M, sel_test),
    [0x86] = X(M | B | OF_LOCK, sel_xchg), [0x87] = X(M | OF_LOCK, sel_xchg),
    [0x88] = X(M | B, sel_mov), [0x89] = X(M, sel_mov), [0x8a] = X(M | B, sel_mov), [0x8b] = X(M, sel_mov),
    [0x8c] = X(M, sel_mov_sreg), [0x8d] = X(M, sel_lea), [0x8e] = X(M | E, sel_mov_sreg),
    [0x8f] = X(M | OF_DEF64, sel_pop),
    [0x90 ... 0x97] = X(0, sel_xchg),
    [0x98] = X(0, sel_convert), [0x99] = X(0, sel_convert),
    [0x9a] = X(OF_INV64 | OF_FAR | E, sel_far), [0x9b] = X(0, sel_x87),
    [0x9c] = X(OF_DEF64, sel_pushf), [0x9d] = X(OF_DEF64 | E, sel_pushf),
    [0x9e] = X(0, sel_flagops), [0x9f] = X(0, sel_flagops),
    [0xa0] = X(B | OF_MOFFS, sel_mov), [0xa1] = X(OF_MOFFS, sel_mov),
    [0xa2] = X(B | OF_MOFFS, sel_mov), [0xa3] = X(OF_MOFFS, sel_mov),
    [0xa4] = X(B, sel_string), [0xa5] = X(0, sel_string), [0xa6] = X(B, sel_string), [0xa7] = X(0, sel_string),
    [0xa8] = X(B | I8, sel_test), [0xa9] = X(IZ, sel_test),
    [0xaa] = X(B, sel_string), [0xab] = X(0, sel_string), [0xac] = X(B, sel_string), [0xad] = X(0, sel_string),
    [0xae] = X(B, sel_string), [0xaf] = X(0, sel_string),
    [0xb0 ... 0xb7] = X(B | I8, sel_mov),
    [0xb8 ... 0xbf] = X(OF_IMMV, sel_mov),
    [0xc0] = X(M | B | I8, sel_grp2), [0xc1] = X(M | I8, sel_grp2),
    [0xc2] = X(OF_IMM16 | OF_F64 | E, sel_ret), [0xc3] = X(OF_F64 | E, sel_ret),
    [0xc4] = X(M | OF_INV64 | E, sel_lxs), [0xc5] = X(M | OF_INV64 | E, sel_lxs),
    [0xc6] = X(M | B | I8, sel_mov), [0xc7] = X(M | IZ, sel_mov),
    [0xc8] = X(OF_IMM16 | I8 | OF_DEF64, sel_enter_leave), [0xc9] = X(OF_DEF64, sel_enter_leave),
    [0xca] = X(OF_IMM16 | E, sel_far), [0xcb] = X(E, sel_far),
    [0xcc] = X(E, sel_int), [0xcd] = X(I8 | E, sel_int), [0xce] = X(OF_INV64 | E, sel_int),
    [0xcf] = X(E, sel_far),
    [0xd0] = X(M | B, sel_grp2), [0xd1] = X(M, sel_grp2), [0xd2] = X(M | B, sel_grp2), [0xd3] = X(M, sel_grp2),
    [0xd4] = X(OF_INV64 | I8, sel_bcd), [0xd5] = X(OF_INV64 | I8, sel_bcd), [0xd6] = X(OF_INV64, sel_bcd),
    [0xd7] = X(B, sel_xlat),
    [0xd8 ... 0xdf] = X(M, sel_x87),
    [0xe0 ... 0xe3] = X(I8 | OF_F64 | E, sel_loop),
    [0xe4] = X(B | I8, sel_io), [0xe5] = X(I8, sel_io), [0xe6] = X(B | I8, sel_io), [0xe7] = X(I8, sel_io),
    [0xe8] = X(IZ | OF_F64 | E, sel_call), [0xe9] = X(IZ | OF_F64 | E, sel_jmp),
    [0xea] = X(OF_INV64 | OF_FAR | E, sel_far), [0xeb] = X(I8 | OF_F64 | E, sel_jmp),
    [0xec] = X(B, sel_io), [0xed] = X(0, sel_io), [0xee] = X(B, sel_io), [0xef] = X(0, sel_io),
    [0xf1] = X(E, sel_int), [0xf4] = X(E, sel_hlt), [0xf5] = X(0, sel_flagops),
    [0xf6] = X(M | B | OF_GRP3 | OF_LOCKSEL, sel_grp3), [0xf7] = X(M | OF_GRP3 | OF_LOCKSEL, sel_grp3),
    [0xf8] = X(0, sel_flagops), [0xf9] = X(0, sel_flagops),
    [0xfa] = X(0, sel_cli_sti), [0xfb] = X(E, sel_cli_sti),
    [0xfc] = X(0, sel_flagops), [0xfd] = X(0, sel_flagops),
    [0xfe] = X(M | B | OF_LOCKSEL, sel_grp4), [0xff] = X(M | OF_LOCKSEL, sel_grp5),
};

const opent_t optab_0f[256] = {
    [0x00] = X(M | E, sel_grp6), [0x01] = X(M | E, sel_grp7),
    [0x02] = X(M, sel_lar_lsl), [0x03] = X(M, sel_lar_lsl),
    [0x05] = X(E, sel_sys0f), [0x06] = X(E, sel_sys0f), [0x07] = X(E, sel_sys0f),
    [0x08] = X(0, sel_sys0f), [0x09] = X(0, sel_sys0f), [0x0b] = X(0, sel_sys0f),
    [0x0d] = X(M, sel_nop),
    [0x10 ... 0x17] = X(M, sel_sse),
    [0x18 ... 0x1f] = X(M, sel_nop),
    [0x20 ... 0x23] = X(M | E, sel_sys0f),
    [0x28 ... 0x2f] = X(M, sel_sse),
    [0x30] = X(E, sel_sys0f), [0x31] = X(0, sel_sys0f), [0x32] = X(0, sel_sys0f), [0x33] = X(0, sel_sys0f),
    [0x34] = X(E, sel_sys0f), [0x35] = X(E, sel_sys0f),
    [0x40 ... 0x4f] = X(M, sel_cmov),
    [0x50 ... 0x6f] = X(M, sel_sse),
    [0x70 ... 0x73] = X(M | I8, sel_sse),
    [0x74 ... 0x76] = X(M, sel_sse), [0x77] = X(0, sel_sse),
    [0x78] = X(M | E, sel_sys0f), [0x79] = X(M | E, sel_sys0f),
    [0x7c ... 0x7f] = X(M, sel_sse),
    [0x80 ... 0x8f] = X(IZ | OF_F64 | E, sel_jcc),
    [0x90 ... 0x9f] = X(M | B, sel_setcc),
    [0xa0] = X(OF_DEF64, sel_push_sreg), [0xa1] = X(OF_DEF64, sel_pop_sreg),
    [0xa2] = X(0, sel_sys0f), [0xa3] = X(M, sel_bt),
    [0xa4] = X(M | I8, sel_shxd), [0xa5] = X(M, sel_shxd),
    [0xa8] = X(OF_DEF64, sel_push_sreg), [0xa9] = X(OF_DEF64, sel_pop_sreg),
    [0xaa] = X(E, sel_sys0f), [0xab] = X(M | OF_LOCK, sel_bt),
    [0xac] = X(M | I8, sel_shxd), [0xad] = X(M, sel_shxd),
    [0xae] = X(M, sel_grp15), [0xaf] = X(M, sel_imul),
    [0xb0] = X(M | B | OF_LOCK, sel_cmpxchg), [0xb1] = X(M | OF_LOCK, sel_cmpxchg),
    [0xb2] = X(M | E, sel_lxs), [0xb3] = X(M | OF_LOCK, sel_bt),
    [0xb4] = X(M, sel_lxs), [0xb5] = X(M, sel_lxs),
    [0xb6] = X(M | OF_RMBYTE, sel_movx), [0xb7] = X(M, sel_movx),
    [0xb8] = X(M, sel_popcnt), [0xb9] = X(M, sel_sys0f),
    [0xba] = X(M | I8 | OF_LOCKSEL, sel_grp8), [0xbb] = X(M | OF_LOCK, sel_bt),
    [0xbc] = X(M, sel_bsf_bsr), [0xbd] = X(M, sel_bsf_bsr),
    [0xbe] = X(M | OF_RMBYTE, sel_movx), [0xbf] = X(M, sel_movx),
    [0xc0] = X(M | B | OF_LOCK, sel_xadd), [0xc1] = X(M | OF_LOCK, sel_xadd),
    [0xc2] = X(M | I8, sel_sse), [0xc3] = X(M, sel_sse),
    [0xc4 ... 0xc6] = X(M | I8, sel_sse),
    [0xc7] = X(M | OF_LOCKSEL, sel_grp9),
    [0xc8 ... 0xcf] = X(0, sel_bswap),
    [0xd0 ... 0xfe] = X(M, sel_sse),
};

const opent_t optab_0f38[256] = {
    [0x00 ... 0xef] = X(M, sel_sse38),
    [0xf0] = X(M, sel_movbe_crc32), [0xf1] = X(M, sel_movbe_crc32),
    [0xf6] = X(M, sel_adx),
};

const opent_t optab_0f3a[256] = {
    [0x00 ... 0xff] = X(M | I8, sel_sse3a),
};
