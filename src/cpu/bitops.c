/* Bit instructions (SDM Vol.2): BT BTS BTR BTC, BSF BSR, TZCNT LZCNT,
 * POPCNT, MOVBE, CRC32, ADCX ADOX, and the VEX-encoded BMI1/BMI2 group
 * (ANDN BEXTR BLSI BLSMSK BLSR BZHI MULX PDEP PEXT RORX SARX SHLX SHRX).
 *
 * Flags the SDM leaves undefined follow the Intel host they were measured
 * on: BT* change only CF; BSF/BSR set PF from the result and clear the
 * rest; TZCNT, LZCNT and the BMI instructions clear them. */
#include "ops.h"

#define AI static inline __attribute__((always_inline))

/* Replace all six arithmetic flags (no need to fold the lazy ones). */
AI void flags_set_all(cpu_t *cpu, uint32_t f)
{
    cpu->rflags = (cpu->rflags & ~(uint64_t)F_ARITH) | f;
    cpu->cc_op = CC_EFLAGS;
}

AI uint32_t zf_sf(uint64_t r, unsigned bytes)
{
    return (r == 0 ? F_ZF : 0) | ((r & sign_bit(bytes)) ? F_SF : 0);
}

/* ---- BT, BTS, BTR, BTC (SDM Vol.2 BT): CF = the selected bit ---- */

enum { BT_TEST, BT_SET, BT_RESET, BT_COMPLEMENT };

AI uint64_t bt_apply(unsigned op, uint64_t v, uint64_t mask)
{
    switch (op) {
    case BT_SET: return v | mask;
    case BT_RESET: return v & ~mask;
    case BT_COMPLEMENT: return v ^ mask;
    default: return v;
    }
}

AI void bt_reg(cpu_t *cpu, const insn_t *in, unsigned op, unsigned bytes, uint64_t bit)
{
    uint64_t v = gpr_get(cpu, in->rm, bytes), mask = 1ull << (bit & (bytes * 8 - 1));
    if (op != BT_TEST)
        gpr_set(cpu, in->rm, bytes, bt_apply(op, v, mask));
    cc_write(cpu, F_CF, (v & mask) ? F_CF : 0);
}

/* `ea` is the (already adjusted) address of the operand holding the bit. */
AI void bt_mem(cpu_t *cpu, const insn_t *in, unsigned op, unsigned bytes, uint64_t ea, uint64_t bit)
{
    uint64_t v, mask = 1ull << (bit & (bytes * 8 - 1));
    if (op == BT_TEST) {
        v = mmu_read(cpu, in->seg, ea, bytes);
    } else {
        v = mmu_rmw_read(cpu, in->seg, ea, bytes);
        mmu_write(cpu, in->seg, ea, bt_apply(op, v, mask), bytes);
    }
    cc_write(cpu, F_CF, (v & mask) ? F_CF : 0);
}

/* A register bit offset is signed and may address memory beyond the
 * operand: the operand moves by (offset >> log2(bits)) * bytes. */
AI uint64_t bt_offset_ea(const cpu_t *cpu, const insn_t *in, unsigned bytes, int64_t off)
{
    unsigned sh = bytes == 8 ? 6 : bytes == 4 ? 5 : 4;
    uint64_t ea = insn_ea(cpu, in) + (uint64_t)((off >> sh) * (int64_t)bytes);
    return in->adsz == 8 ? ea : in->adsz == 4 ? (uint32_t)ea : (uint16_t)ea;
}

/* rr/mr: bit offset in a register (0F A3 AB B3 BB); ri/mi: imm8 (0F BA). */
#define BT_HANDLERS(OP, NAME, BYTES)                                                     \
    static void NAME##_rr##BYTES(cpu_t *cpu, const insn_t *in)                           \
    {                                                                                    \
        bt_reg(cpu, in, OP, BYTES, gpr_get(cpu, in->reg, BYTES));                        \
    }                                                                                    \
    static void NAME##_mr##BYTES(cpu_t *cpu, const insn_t *in)                           \
    {                                                                                    \
        int64_t off = sext(gpr_get(cpu, in->reg, BYTES), BYTES);                         \
        bt_mem(cpu, in, OP, BYTES, bt_offset_ea(cpu, in, BYTES, off), (uint64_t)off);    \
    }                                                                                    \
    static void NAME##_ri##BYTES(cpu_t *cpu, const insn_t *in)                           \
    {                                                                                    \
        bt_reg(cpu, in, OP, BYTES, in->imm);                                             \
    }                                                                                    \
    static void NAME##_mi##BYTES(cpu_t *cpu, const insn_t *in)                           \
    {                                                                                    \
        bt_mem(cpu, in, OP, BYTES, insn_ea(cpu, in), in->imm);                           \
    }

#define BT_ALL_SIZES(OP, NAME) \
    BT_HANDLERS(OP, NAME, 2)   \
    BT_HANDLERS(OP, NAME, 4)   \
    BT_HANDLERS(OP, NAME, 8)

BT_ALL_SIZES(BT_TEST, bt)
BT_ALL_SIZES(BT_SET, bts)
BT_ALL_SIZES(BT_RESET, btr)
BT_ALL_SIZES(BT_COMPLEMENT, btc)

enum { BTF_RR, BTF_MR, BTF_RI, BTF_MI, BTF_COUNT };

/* Index 0 (byte) never occurs. */
#define ROW(NAME, FORM) { NAME##_##FORM##2, NAME##_##FORM##2, NAME##_##FORM##4, NAME##_##FORM##8 }
#define OPS(NAME) { ROW(NAME, rr), ROW(NAME, mr), ROW(NAME, ri), ROW(NAME, mi) }

static const insn_fn bt_fn[4][BTF_COUNT][4] = { OPS(bt), OPS(bts), OPS(btr), OPS(btc) };

/* 0F A3 BT, AB BTS, B3 BTR, BB BTC: opcode bits 3-4 give the operation;
 * the decoder has checked LOCK (memory forms of BTS/BTR/BTC only). */
void sel_bt(dctx_t *d, insn_t *in)
{
    (void)d;
    unsigned op = (in->op >> 3) & 3;
    in->fn = bt_fn[op][(in->flags & INF_MEM) ? BTF_MR : BTF_RR][opsz_log(in)];
}

/* 0F BA group 8: /4 BT, /5 BTS, /6 BTR, /7 BTC with imm8 masked to the
 * operand size; LOCK only on a memory BTS/BTR/BTC. */
void sel_grp8(dctx_t *d, insn_t *in)
{
    bool mem = in->flags & INF_MEM;
    if (d->regf < 4 || ((in->flags & INF_LOCK) && (!mem || d->regf == 4))) {
        in->fn = insn_ud;
        return;
    }
    in->imm &= in->opsz * 8 - 1;
    in->fn = bt_fn[d->regf - 4][mem ? BTF_MI : BTF_RI][opsz_log(in)];
}

/* ---- BSF, BSR, TZCNT, LZCNT, POPCNT ---- */

enum { CNT_BSF, CNT_BSR, CNT_TZCNT, CNT_LZCNT, CNT_POPCNT };

/* BSF/BSR: a zero source leaves the destination untouched (not even
 * zero-extended, as on the Intel host) and sets ZF. */
AI void bsf_bsr(cpu_t *cpu, const insn_t *in, bool reverse, unsigned bytes, uint64_t s)
{
    if (s == 0) {
        flags_set_all(cpu, F_ZF | F_PF);
        return;
    }
    unsigned idx = reverse ? 63 - (unsigned)__builtin_clzll(s) : (unsigned)__builtin_ctzll(s);
    gpr_set(cpu, in->reg, bytes, idx);
    flags_set_all(cpu, cc_parity(idx));
}

/* TZCNT/LZCNT: CF when the source is zero, ZF when the result is. */
AI void tz_lz(cpu_t *cpu, const insn_t *in, bool lead, unsigned bytes, uint64_t s)
{
    unsigned n = bytes * 8, c;
    if (s == 0)
        c = n;
    else
        c = lead ? (unsigned)__builtin_clzll(s) - (64 - n) : (unsigned)__builtin_ctzll(s);
    gpr_set(cpu, in->reg, bytes, c);
    flags_set_all(cpu, (s == 0 ? F_CF : 0) | (c == 0 ? F_ZF : 0));
}

/* POPCNT: all flags cleared except ZF = (source == 0). */
AI void popcnt(cpu_t *cpu, const insn_t *in, unsigned bytes, uint64_t s)
{
    gpr_set(cpu, in->reg, bytes, (uint64_t)__builtin_popcountll(s));
    flags_set_all(cpu, s == 0 ? F_ZF : 0);
}

AI void count_do(cpu_t *cpu, const insn_t *in, unsigned op, unsigned bytes, uint64_t s)
{
    switch (op) {
    case CNT_BSF: bsf_bsr(cpu, in, false, bytes, s); break;
    case CNT_BSR: bsf_bsr(cpu, in, true, bytes, s); break;
    case CNT_TZCNT: tz_lz(cpu, in, false, bytes, s); break;
    case CNT_LZCNT: tz_lz(cpu, in, true, bytes, s); break;
    default: popcnt(cpu, in, bytes, s); break;
    }
}

#define COUNT_HANDLERS(OP, NAME, BYTES)                                                  \
    static void NAME##_r##BYTES(cpu_t *cpu, const insn_t *in)                            \
    {                                                                                    \
        count_do(cpu, in, OP, BYTES, gpr_get(cpu, in->rm, BYTES));                        \
    }                                                                                    \
    static void NAME##_m##BYTES(cpu_t *cpu, const insn_t *in)                            \
    {                                                                                    \
        count_do(cpu, in, OP, BYTES, mmu_read(cpu, in->seg, insn_ea(cpu, in), BYTES));   \
    }

#define COUNT_ALL_SIZES(OP, NAME) \
    COUNT_HANDLERS(OP, NAME, 2)   \
    COUNT_HANDLERS(OP, NAME, 4)   \
    COUNT_HANDLERS(OP, NAME, 8)

COUNT_ALL_SIZES(CNT_BSF, bsf)
COUNT_ALL_SIZES(CNT_BSR, bsr)
COUNT_ALL_SIZES(CNT_TZCNT, tzcnt)
COUNT_ALL_SIZES(CNT_LZCNT, lzcnt)
COUNT_ALL_SIZES(CNT_POPCNT, popcnt)

#undef ROW
#undef OPS
#define ROW(NAME, FORM) { NAME##_##FORM##2, NAME##_##FORM##2, NAME##_##FORM##4, NAME##_##FORM##8 }
#define OPS(NAME) { ROW(NAME, r), ROW(NAME, m) }

static const insn_fn count_fn[5][2][4] = { OPS(bsf), OPS(bsr), OPS(tzcnt), OPS(lzcnt), OPS(popcnt) };

static void pick_count(insn_t *in, unsigned op)
{
    in->fn = count_fn[op][(in->flags & INF_MEM) ? 1 : 0][opsz_log(in)];
}

/* 0F BC BSF, 0F BD BSR; with F3 they are TZCNT and LZCNT. */
void sel_bsf_bsr(dctx_t *d, insn_t *in)
{
    (void)d;
    bool rev = in->op == 0xbd;
    if (in->pfx == PFX_F3)
        pick_count(in, rev ? CNT_LZCNT : CNT_TZCNT);
    else
        pick_count(in, rev ? CNT_BSR : CNT_BSF);
}

/* F3 0F B8 POPCNT; without F3 it is JMPE, which this CPU lacks (#UD). */
void sel_popcnt(dctx_t *d, insn_t *in)
{
    (void)d;
    if (in->pfx == PFX_F3)
        pick_count(in, CNT_POPCNT);
    else
        in->fn = insn_ud;
}

/* ---- MOVBE (0F38 F0/F1, memory operand only) ---- */

AI uint64_t bswap_n(uint64_t v, unsigned bytes)
{
    switch (bytes) {
    case 2: return __builtin_bswap16((uint16_t)v);
    case 4: return __builtin_bswap32((uint32_t)v);
    default: return __builtin_bswap64(v);
    }
}

#define MOVBE_HANDLERS(BYTES)                                                            \
    static void movbe_load##BYTES(cpu_t *cpu, const insn_t *in)                          \
    {                                                                                    \
        uint64_t v = mmu_read(cpu, in->seg, insn_ea(cpu, in), BYTES);                    \
        gpr_set(cpu, in->reg, BYTES, bswap_n(v, BYTES));                                 \
    }                                                                                    \
    static void movbe_store##BYTES(cpu_t *cpu, const insn_t *in)                         \
    {                                                                                    \
        uint64_t v = bswap_n(gpr_get(cpu, in->reg, BYTES), BYTES);                        \
        mmu_write(cpu, in->seg, insn_ea(cpu, in), v, BYTES);                             \
    }

MOVBE_HANDLERS(2)
MOVBE_HANDLERS(4)
MOVBE_HANDLERS(8)

static const insn_fn movbe_fn[2][4] = {
    { movbe_load2, movbe_load2, movbe_load4, movbe_load8 },
    { movbe_store2, movbe_store2, movbe_store4, movbe_store8 },
};

/* ---- CRC32 (F2 0F38 F0/F1): CRC-32C, polynomial 11EDC6F41h, with
 * bit-reflected input and output (SDM Vol.2 CRC32); one table lookup per
 * source byte, least significant byte first. ---- */

static uint32_t crc32c_table[256];

static void crc32c_init(void)
{
    if (crc32c_table[1])
        return;
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0x82f63b78u & -(c & 1));   /* 0x82F63B78: 1EDC6F41h reflected */
        crc32c_table[i] = c;
    }
}

AI uint32_t crc32c(uint32_t crc, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++, v >>= 8)
        crc = crc32c_table[(crc ^ v) & 0xff] ^ (crc >> 8);
    return crc;
}

/* The destination is 32 bits, zero-extended into a 64-bit register. */
#define CRC_HANDLERS(BYTES)                                                              \
    static void crc32_r##BYTES(cpu_t *cpu, const insn_t *in)                             \
    {                                                                                    \
        uint32_t c = crc32c((uint32_t)cpu->r[in->reg], gpr_get(cpu, in->rm, BYTES), BYTES); \
        cpu->r[in->reg] = c;                                                             \
    }                                                                                    \
    static void crc32_m##BYTES(cpu_t *cpu, const insn_t *in)                             \
    {                                                                                    \
        uint64_t v = mmu_read(cpu, in->seg, insn_ea(cpu, in), BYTES);                    \
        cpu->r[in->reg] = crc32c((uint32_t)cpu->r[in->reg], v, BYTES);                   \
    }

CRC_HANDLERS(1)
CRC_HANDLERS(2)
CRC_HANDLERS(4)
CRC_HANDLERS(8)

static const insn_fn crc32_fn[2][4] = {
    { crc32_r1, crc32_r2, crc32_r4, crc32_r8 },
    { crc32_m1, crc32_m2, crc32_m4, crc32_m8 },
};

/* 0F38 F0/F1: MOVBE without a prefix or with 66; CRC32 with F2 (F0 has a
 * byte source, F1 a word/dword/qword one). F3 is undefined. */
void sel_movbe_crc32(dctx_t *d, insn_t *in)
{
    bool mem = in->flags & INF_MEM;
    if (in->pfx == PFX_F2) {
        unsigned lg = in->op == 0xf0 ? 0 : opsz_log(in);
        if (lg == 0 && !mem)
            in->rm = reg8_offset(in->rm, d->rex != 0);
        crc32c_init();
        in->fn = crc32_fn[mem][lg];
    } else if (in->pfx == PFX_F3 || !mem) {
        in->fn = insn_ud;
    } else {
        in->fn = movbe_fn[in->op & 1][opsz_log(in)];
    }
}

/* ---- ADCX (66 0F38 F6) and ADOX (F3 0F38 F6): add with carry through CF
 * or OF only; the other flags are untouched. ---- */

AI void adx_do(cpu_t *cpu, const insn_t *in, uint32_t flag, unsigned bytes, uint64_t b)
{
    uint64_t a = gpr_get(cpu, in->reg, bytes), m = size_mask(bytes);
    uint64_t c = flag == F_CF ? cc_carry(cpu) : (cc_compute(cpu) & F_OF) != 0;
    uint64_t r = (a + b + c) & m;
    bool out = c ? r <= a : r < a;
    gpr_set(cpu, in->reg, bytes, r);
    cc_write(cpu, flag, out ? flag : 0);
}

#define ADX_HANDLERS(NAME, FLAG, BYTES)                                                  \
    static void NAME##_r##BYTES(cpu_t *cpu, const insn_t *in)                            \
    {                                                                                    \
        adx_do(cpu, in, FLAG, BYTES, gpr_get(cpu, in->rm, BYTES));                        \
    }                                                                                    \
    static void NAME##_m##BYTES(cpu_t *cpu, const insn_t *in)                            \
    {                                                                                    \
        adx_do(cpu, in, FLAG, BYTES, mmu_read(cpu, in->seg, insn_ea(cpu, in), BYTES));   \
    }

ADX_HANDLERS(adcx, F_CF, 4)
ADX_HANDLERS(adcx, F_CF, 8)
ADX_HANDLERS(adox, F_OF, 4)
ADX_HANDLERS(adox, F_OF, 8)

static const insn_fn adx_fn[2][2][2] = {
    { { adcx_r4, adcx_r8 }, { adcx_m4, adcx_m8 } },
    { { adox_r4, adox_r8 }, { adox_m4, adox_m8 } },
};

/* The 66 of ADCX is a mandatory prefix, not an operand-size override:
 * the size is 32 bits, 64 with REX.W. */
void sel_adx(dctx_t *d, insn_t *in)
{
    if (in->pfx != PFX_66 && in->pfx != PFX_F3) {
        in->fn = insn_ud;
        return;
    }
    bool w = (d->rex & 8) != 0;
    in->opsz = w ? 8 : 4;
    in->fn = adx_fn[in->pfx == PFX_F3][(in->flags & INF_MEM) ? 1 : 0][w];
}

/* ---- VEX-encoded BMI1 and BMI2 (SDM Vol.2 ANDN ... SHRX) ---- */

enum {
    BMI_ANDN, BMI_BLSR, BMI_BLSMSK, BMI_BLSI, BMI_BEXTR, BMI_BZHI, BMI_PDEP, BMI_PEXT,
    BMI_MULX, BMI_SHLX, BMI_SARX, BMI_SHRX, BMI_RORX, BMI_COUNT
};

AI uint64_t pdep(uint64_t src, uint64_t mask)
{
    uint64_t r = 0;
    for (uint64_t bit = 1; mask; bit <<= 1) {
        uint64_t low = mask & -mask;
        if (src & bit)
            r |= low;
        mask ^= low;
    }
    return r;
}

AI uint64_t pext(uint64_t src, uint64_t mask)
{
    uint64_t r = 0;
    for (uint64_t bit = 1; mask; bit <<= 1) {
        uint64_t low = mask & -mask;
        if (src & low)
            r |= bit;
        mask ^= low;
    }
    return r;
}

/* BEXTR: start = control[7:0], length = control[15:8]. */
AI uint64_t bextr(uint64_t s, uint64_t ctl, unsigned bytes)
{
    unsigned n = bytes * 8, start = ctl & 0xff, len = (ctl >> 8) & 0xff;
    if (start >= n)
        return 0;
    s >>= start;
    return len >= 64 ? s : s & ((1ull << len) - 1);
}

AI void bmi_do(cpu_t *cpu, const insn_t *in, unsigned op, unsigned bytes, uint64_t s)
{
    unsigned n = bytes * 8, cm = n - 1;
    uint64_t m = size_mask(bytes), v = gpr_get(cpu, in->vreg, bytes), r;
    switch (op) {
    case BMI_ANDN:
        r = ~v & s & m;
        gpr_set(cpu, in->reg, bytes, r);
        flags_set_all(cpu, zf_sf(r, bytes));
        break;
    case BMI_BLSR:
        r = s & (s - 1) & m;
        gpr_set(cpu, in->vreg, bytes, r);
        flags_set_all(cpu, zf_sf(r, bytes) | (s == 0 ? F_CF : 0));
        break;
    case BMI_BLSMSK:
        r = (s ^ (s - 1)) & m;
        gpr_set(cpu, in->vreg, bytes, r);
        flags_set_all(cpu, (zf_sf(r, bytes) & F_SF) | (s == 0 ? F_CF : 0));
        break;
    case BMI_BLSI:
        r = s & -s & m;
        gpr_set(cpu, in->vreg, bytes, r);
        flags_set_all(cpu, zf_sf(r, bytes) | (s != 0 ? F_CF : 0));
        break;
    case BMI_BEXTR:
        r = bextr(s, v, bytes);
        gpr_set(cpu, in->reg, bytes, r);
        flags_set_all(cpu, r == 0 ? F_ZF : 0);
        break;
    case BMI_BZHI: {
        unsigned idx = v & 0xff;
        r = idx < n ? s & ((1ull << idx) - 1) : s;
        gpr_set(cpu, in->reg, bytes, r);
        flags_set_all(cpu, zf_sf(r, bytes) | (idx > cm ? F_CF : 0));
        break;
    }
    case BMI_PDEP:
        gpr_set(cpu, in->reg, bytes, pdep(v, s & m));
        break;
    case BMI_PEXT:
        gpr_set(cpu, in->reg, bytes, pext(v, s & m));
        break;
    case BMI_MULX: {
        unsigned __int128 p = (unsigned __int128)gpr_get(cpu, R_RDX, bytes) * s;
        uint64_t lo = (uint64_t)p & m, hi = bytes == 8 ? (uint64_t)(p >> 64) : (uint64_t)p >> 32;
        gpr_set(cpu, in->vreg, bytes, lo);   /* same registers: the high half wins */
        gpr_set(cpu, in->reg, bytes, hi);
        break;
    }
    case BMI_SHLX:
        gpr_set(cpu, in->reg, bytes, s << (v & cm));
        break;
    case BMI_SARX:
        gpr_set(cpu, in->reg, bytes, (uint64_t)(sext(s, bytes) >> (v & cm)));
        break;
    case BMI_SHRX:
        gpr_set(cpu, in->reg, bytes, s >> (v & cm));
        break;
    default: {
        unsigned c = in->imm & cm;
        gpr_set(cpu, in->reg, bytes, c ? (s >> c) | (s << (n - c)) : s);
        break;
    }
    }
}

#define BMI_HANDLERS(OP, NAME)                                                           \
    static void NAME##_r4(cpu_t *cpu, const insn_t *in)                                  \
    {                                                                                    \
        bmi_do(cpu, in, OP, 4, gpr_get(cpu, in->rm, 4));                                 \
    }                                                                                    \
    static void NAME##_r8(cpu_t *cpu, const insn_t *in)                                  \
    {                                                                                    \
        bmi_do(cpu, in, OP, 8, cpu->r[in->rm]);                                          \
    }                                                                                    \
    static void NAME##_m4(cpu_t *cpu, const insn_t *in)                                  \
    {                                                                                    \
        bmi_do(cpu, in, OP, 4, mmu_read32(cpu, in->seg, insn_ea(cpu, in)));              \
    }                                                                                    \
    static void NAME##_m8(cpu_t *cpu, const insn_t *in)                                  \
    {                                                                                    \
        bmi_do(cpu, in, OP, 8, mmu_read64(cpu, in->seg, insn_ea(cpu, in)));              \
    }

BMI_HANDLERS(BMI_ANDN, andn)
BMI_HANDLERS(BMI_BLSR, blsr)
BMI_HANDLERS(BMI_BLSMSK, blsmsk)
BMI_HANDLERS(BMI_BLSI, blsi)
BMI_HANDLERS(BMI_BEXTR, bextr)
BMI_HANDLERS(BMI_BZHI, bzhi)
BMI_HANDLERS(BMI_PDEP, pdep)
BMI_HANDLERS(BMI_PEXT, pext)
BMI_HANDLERS(BMI_MULX, mulx)
BMI_HANDLERS(BMI_SHLX, shlx)
BMI_HANDLERS(BMI_SARX, sarx)
BMI_HANDLERS(BMI_SHRX, shrx)
BMI_HANDLERS(BMI_RORX, rorx)

#define BMI_ROW(NAME) { { NAME##_r4, NAME##_r8 }, { NAME##_m4, NAME##_m8 } }

static const insn_fn bmi_fn[BMI_COUNT][2][2] = {
    BMI_ROW(andn), BMI_ROW(blsr), BMI_ROW(blsmsk), BMI_ROW(blsi), BMI_ROW(bextr),
    BMI_ROW(bzhi), BMI_ROW(pdep), BMI_ROW(pext), BMI_ROW(mulx), BMI_ROW(shlx),
    BMI_ROW(sarx), BMI_ROW(shrx), BMI_ROW(rorx),
};

/* 16-bit code segments: VEX is #UD in real and virtual-8086 mode but
 * valid in 16-bit protected mode, which the decode key cannot tell apart. */
static void bmi_cm16(cpu_t *cpu, const insn_t *in)
{
    if (!(cpu->cr0 & CR0_PE) || (cpu->rflags & F_VM))
        cpu_ud(cpu);
    bmi_fn[in->aux][(in->flags & INF_MEM) ? 1 : 0][0](cpu, in);
}

/* The operation of a VEX opcode (SDM Vol.2 Table ), or -1. */
static int bmi_op(const dctx_t *d, const insn_t *in)
{
    if (in->map == MAP_0F3A)
        return in->op == 0xf0 && in->pfx == PFX_F2 && in->vreg == 0 ? BMI_RORX : -1;
    static const int8_t f5[4] = { BMI_BZHI, -1, BMI_PEXT, BMI_PDEP };
    static const int8_t f7[4] = { BMI_BEXTR, BMI_SHLX, BMI_SARX, BMI_SHRX };
    switch (in->op) {
    case 0xf2: return in->pfx == PFX_NONE ? BMI_ANDN : -1;
    case 0xf3:
        if (in->pfx != PFX_NONE || d->regf < 1 || d->regf > 3)
            return -1;
        return BMI_BLSR + d->regf - 1;
    case 0xf5: return f5[in->pfx];
    case 0xf6: return in->pfx == PFX_F2 ? BMI_MULX : -1;
    case 0xf7: return f7[in->pfx];
    default: return -1;
    }
}

/* VEX maps 0F38 and 0F3A: only the general-purpose BMI forms exist on this
 * CPU model. VEX.L must be 0; VEX.W selects 64 bits in 64-bit mode only. */
void sel_vex_gpr(dctx_t *d, insn_t *in)
{
    int op = bmi_op(d, in);
    if (op < 0 || d->vex_l) {
        in->fn = insn_ud;
        return;
    }
    bool w = d->mode == CM_64 && d->vex_w;
    in->opsz = w ? 8 : 4;
    in->aux = (uint8_t)op;
    in->fn = d->mode == CM_16 ? bmi_cm16 : bmi_fn[op][(in->flags & INF_MEM) ? 1 : 0][w];
}
