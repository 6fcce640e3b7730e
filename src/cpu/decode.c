/* The instruction decoder (SDM Vol.2 ch.2): prefixes, REX, VEX, opcode maps,
 * ModRM/SIB/displacement and immediates, into the predecoded insn_t; then
 * the opcode's selector chooses the handler. Runs once per instruction. */
#include <string.h>

#include "optable.h"

enum { DEC_SHORT = 0, DEC_TOO_LONG = -1 };

typedef struct bytes {
    const uint8_t *p;
    unsigned pos, avail;
    bool out;          /* ran past avail */
    bool too_long;     /* ran past 15 bytes */
} bytes_t;

static uint64_t take(bytes_t *b, unsigned n)
{
    if (b->pos + n > 15) {
        b->too_long = true;
        b->pos += n;
        return 0;
    }
    if (b->pos + n > b->avail) {
        b->out = true;
        b->pos += n;
        return 0;
    }
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)b->p[b->pos + i] << (8 * i);
    b->pos += n;
    return v;
}

static bool failed(const bytes_t *b)
{
    return b->out || b->too_long;
}

/* Legacy prefixes and REX (SDM Vol.2 §2.1.1, §2.2.1). A REX not directly
 * before the opcode is ignored. Returns the first non-prefix byte. */
static uint8_t read_prefixes(dctx_t *d, bytes_t *b)
{
    for (;;) {
        uint8_t c = (uint8_t)take(b, 1);
        if (failed(b))
            return 0;
        switch (c) {
        case 0xf0: d->lock = true; break;
        case 0xf2: case 0xf3: d->rep = c; break;
        case 0x26: case 0x2e: case 0x36: case 0x3e:
            if (d->mode != CM_64)
                d->seg_override = (c >> 3) & 3;
            break;
        case 0x64: d->seg_override = SEG_FS; break;
        case 0x65: d->seg_override = SEG_GS; break;
        case 0x66: d->opsz_pfx = true; break;
        case 0x67: d->adsz_pfx = true; break;
        default:
            if (d->mode == CM_64 && (c & 0xf0) == 0x40) {
                d->rex = c;
                continue;
            }
            return c;
        }
        d->rex = 0;
    }
}

/* VEX prefix (SDM Vol.2 §2.3.5): fills the REX-equivalent bits, map and pp. */
static void read_vex(dctx_t *d, bytes_t *b, uint8_t first)
{
    uint8_t b1 = (uint8_t)take(b, 1);
    d->vex = true;
    if (first == 0xc5) {
        d->rex = 0x40 | ((b1 & 0x80) ? 0 : 4);
        d->vex_mmmmm = 1;
        d->vex_w = 0;
        d->vreg = (~b1 >> 3) & 15;
        d->vex_l = (b1 >> 2) & 1;
        d->vex_pp = b1 & 3;
    } else {
        uint8_t b2 = (uint8_t)take(b, 1);
        d->rex = 0x40 | ((b1 & 0x80) ? 0 : 4) | ((b1 & 0x40) ? 0 : 2) | ((b1 & 0x20) ? 0 : 1);
        d->vex_mmmmm = b1 & 0x1f;
        d->vex_w = b2 >> 7;
        d->vreg = (~b2 >> 3) & 15;
        d->vex_l = (b2 >> 2) & 1;
        d->vex_pp = b2 & 3;
        if (d->vex_w)
            d->rex |= 8;
    }
    if (d->mode != CM_64) {
        d->rex = 0;           /* outside 64-bit mode only 8 registers exist */
        d->vreg &= 7;
    }
}

static unsigned operand_size(const dctx_t *d, uint16_t f)
{
    if (f & OF_BYTE)
        return 1;
    if (d->mode == CM_64) {
        if (f & OF_F64)
            return 8;
        if (d->rex & 8)
            return 8;
        if (d->opsz_pfx)
            return 2;
        return (f & OF_DEF64) ? 8 : 4;
    }
    return ((d->mode == CM_32) != d->opsz_pfx) ? 4 : 2;
}

static unsigned address_size(const dctx_t *d)
{
    if (d->mode == CM_64)
        return d->adsz_pfx ? 4 : 8;
    return ((d->mode == CM_32) != d->adsz_pfx) ? 4 : 2;
}

/* 16-bit ModRM addressing (SDM Vol.2 Table 2-1). */
static void modrm16(dctx_t *d, bytes_t *b, insn_t *in)
{
    static const uint8_t base[8] = { R_RBX, R_RBX, R_RBP, R_RBP, R_RSI, R_RDI, R_RBP, R_RBX };
    static const uint8_t index[8] = { R_RSI, R_RDI, R_RSI, R_RDI, R_ZERO, R_ZERO, R_ZERO, R_ZERO };
    in->base = base[d->rmf];
    in->index = index[d->rmf];
    if (d->mod == 0 && d->rmf == 6) {
        in->base = R_ZERO;
        in->disp = (int16_t)take(b, 2);
    } else if (d->mod == 1) {
        in->disp = (int8_t)take(b, 1);
    } else if (d->mod == 2) {
        in->disp = (int16_t)take(b, 2);
    }
    in->seg = in->base == R_RBP ? SEG_SS : SEG_DS;
}

/* 32/64-bit ModRM and SIB addressing (SDM Vol.2 Tables 2-2, 2-3; §2.2.1.6
 * for RIP-relative). */
static void modrm32(dctx_t *d, bytes_t *b, insn_t *in)
{
    unsigned rex_b = (d->rex & 1) ? 8 : 0;
    unsigned rex_x = (d->rex & 2) ? 8 : 0;
    in->index = R_ZERO;
    if (d->rmf == 4) {
        uint8_t sib = (uint8_t)take(b, 1);
        unsigned idx = ((sib >> 3) & 7) | rex_x;
        unsigned bf = sib & 7;
        in->scale = sib >> 6;
        in->index = idx == 4 ? R_ZERO : (uint8_t)idx;
        if (bf == 5 && d->mod == 0) {
            in->base = R_ZERO;
            in->disp = (int32_t)take(b, 4);
        } else {
            in->base = (uint8_t)(bf | rex_b);
        }
    } else if (d->rmf == 5 && d->mod == 0) {
        in->base = d->mode == CM_64 ? R_RIP : R_ZERO;
        in->disp = (int32_t)take(b, 4);
    } else {
        in->base = (uint8_t)(d->rmf | rex_b);
    }
    if (d->mod == 1)
        in->disp = (int8_t)take(b, 1);
    else if (d->mod == 2)
        in->disp = (int32_t)take(b, 4);
    in->seg = (in->base == R_RSP || in->base == R_RBP) ? SEG_SS : SEG_DS;
}

static void read_modrm(dctx_t *d, bytes_t *b, insn_t *in, uint16_t f)
{
    uint8_t m = (uint8_t)take(b, 1);
    bool rex = d->rex != 0;
    in->modrm = m;
    d->has_modrm = true;
    d->mod = m >> 6;
    d->regf = (m >> 3) & 7;
    d->rmf = m & 7;
    unsigned reg = d->regf | ((d->rex & 4) ? 8 : 0);
    in->reg = (f & OF_BYTE) ? reg8_offset(reg, rex) : (uint8_t)reg;
    if (d->mod == 3) {
        unsigned rm = d->rmf | ((d->rex & 1) ? 8 : 0);
        in->rm = (f & (OF_BYTE | OF_RMBYTE)) ? reg8_offset(rm, rex) : (uint8_t)rm;
        return;
    }
    in->flags |= INF_MEM;
    if (in->adsz == 2)
        modrm16(d, b, in);
    else
        modrm32(d, b, in);
    if (d->seg_override >= 0)
        in->seg = (uint8_t)d->seg_override;
}

static void read_immediates(dctx_t *d, bytes_t *b, insn_t *in, uint16_t f)
{
    if (f & OF_IMM16) {
        in->imm = (uint16_t)take(b, 2);
        if (f & OF_IMM8)
            in->imm2 = (uint8_t)take(b, 1);        /* ENTER: size, level */
        return;
    }
    if ((f & OF_GRP3) && d->regf > 1)
        return;
    if ((f & OF_IMM8) || ((f & OF_GRP3) && in->opsz == 1)) {
        in->imm = (uint64_t)(int64_t)(int8_t)take(b, 1);
    } else if (f & (OF_IMMZ | OF_GRP3)) {
        if (in->opsz == 2)
            in->imm = (uint64_t)(int64_t)(int16_t)take(b, 2);
        else
            in->imm = (uint64_t)(int64_t)(int32_t)take(b, 4);
    } else if (f & OF_IMMV) {
        in->imm = take(b, in->opsz);
    } else if (f & OF_MOFFS) {
        in->imm = take(b, in->adsz);
    } else if (f & OF_FAR) {
        in->imm = take(b, in->opsz == 2 ? 2 : 4);
        in->imm2 = (uint16_t)take(b, 2);
    }
}

static void sel_vex_ud(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = insn_ud;
}

/* Table entry for a VEX-encoded opcode: only the BMI1/BMI2 general-purpose
 * forms exist on this CPU model (no AVX in CPUID). */
static opent_t vex_entry(const dctx_t *d, uint8_t op)
{
    if (d->vex_mmmmm == 2)
        return (opent_t){ OF_MODRM, sel_vex_gpr };
    if (d->vex_mmmmm == 3)
        return (opent_t){ OF_MODRM | OF_IMM8, sel_vex_gpr };
    if (d->vex_mmmmm == 1)   /* length as the legacy 0F opcode would have it */
        return (opent_t){ (uint16_t)(optab_0f[op].f & (OF_MODRM | OF_IMM8)), sel_vex_ud };
    return (opent_t){ 0, sel_vex_ud };      /* reserved map: #UD before any ModRM fetch */
}

int insn_decode(cpu_t *cpu, const uint8_t *p, unsigned avail, insn_t *in)
{
    dctx_t d = { .cpu = cpu, .mode = cpu->code_mode, .seg_override = -1 };
    bytes_t b = { .p = p, .avail = avail };
    memset(in, 0, sizeof *in);
    in->base = in->index = R_ZERO;

    uint8_t op = read_prefixes(&d, &b);
    opent_t ent;
    bool vex_bad = false;
    if (!failed(&b) && (op == 0xc4 || op == 0xc5) &&
        (d.mode == CM_64 || (b.pos < b.avail && p[b.pos] >= 0xc0))) {
        vex_bad = d.rex || d.opsz_pfx || d.rep || d.lock;
        read_vex(&d, &b, op);
        op = (uint8_t)take(&b, 1);
        ent = vex_entry(&d, op);
        in->map = d.vex_mmmmm == 3 ? MAP_0F3A : d.vex_mmmmm == 2 ? MAP_0F38 : MAP_0F;
        in->flags |= INF_VEX;
        in->vreg = d.vreg;
        in->pfx = d.vex_pp;   /* VEX.pp uses the same order: none, 66, F3, F2 */
    } else if (op == 0x0f) {
        op = (uint8_t)take(&b, 1);
        if (op == 0x38) {
            op = (uint8_t)take(&b, 1);
            in->map = MAP_0F38;
            ent = optab_0f38[op];
        } else if (op == 0x3a) {
            op = (uint8_t)take(&b, 1);
            in->map = MAP_0F3A;
            ent = optab_0f3a[op];
        } else {
            in->map = MAP_0F;
            ent = optab_0f[op];
        }
    } else {
        in->map = MAP_1B;
        ent = optab_1b[op];
    }
    if (b.too_long)
        return DEC_TOO_LONG;
    if (b.out)
        return DEC_SHORT;

    uint16_t f = ent.f;
    in->op = op;
    in->opsz = (uint8_t)operand_size(&d, f);
    in->adsz = (uint8_t)address_size(&d);
    in->seg = d.seg_override >= 0 ? (uint8_t)d.seg_override : SEG_DS;
    if (d.rex)
        in->flags |= INF_REX | ((d.rex & 8) ? INF_REXW : 0);
    if (d.lock)
        in->flags |= INF_LOCK;
    if (d.rep == 0xf3)
        in->flags |= INF_REP;
    else if (d.rep == 0xf2)
        in->flags |= INF_REPNE;
    if (f & OF_END)
        in->flags |= INF_END;
    if (!d.vex)
        in->pfx = d.rep == 0xf3 ? PFX_F3 : d.rep == 0xf2 ? PFX_F2 : d.opsz_pfx ? PFX_66 : PFX_NONE;

    if (f & OF_MODRM) {
        read_modrm(&d, &b, in, f);
    } else {
        unsigned r = (op & 7) | ((d.rex & 1) ? 8 : 0);
        in->rm = (f & OF_BYTE) ? reg8_offset(r, d.rex != 0) : (uint8_t)r;
    }
    read_immediates(&d, &b, in, f);
    if (b.too_long)
        return DEC_TOO_LONG;
    if (b.out)
        return DEC_SHORT;
    in->len = (uint8_t)b.pos;

    if (!ent.sel || vex_bad || ((f & OF_INV64) && d.mode == CM_64)) {
        in->fn = insn_ud;
        return in->len;
    }
    if (d.lock && !(f & OF_LOCKSEL) && (!(f & OF_LOCK) || !(in->flags & INF_MEM))) {
        in->fn = insn_ud;
        return in->len;
    }
    ent.sel(&d, in);
    if (!in->fn)
        in->fn = insn_ud;
    return in->len;
}

bool insn_ends_block(const insn_t *in)
{
    return (in->flags & INF_END) != 0;
}
