/* Instructions that inspect or load selectors from ordinary code: LAR,
 * LSL, VERR, VERW, ARPL, LDS/LES/LSS/LFS/LGS, and BOUND (SDM Vol.2). */
#include "system.h"

/* Privilege test of LAR/LSL/VERR/VERW: conforming code is always
 * visible; anything else needs DPL >= CPL and DPL >= RPL. */
static bool visible(const cpu_t *cpu, uint16_t sel, uint64_t d)
{
    unsigned dpl = desc_dpl(d);
    return desc_conforming(d) || (dpl >= cpu->cpl && dpl >= (sel & 3u));
}

/* System types LAR (and, without gates, LSL) accept (SDM Vol.2 LAR, LSL). */
static bool lar_type_ok(const cpu_t *cpu, uint64_t d, bool lsl)
{
    if (desc_s(d))
        return true;
    switch (desc_type(d)) {
    case ST_LDT: case ST_TSS: case ST_TSS_BUSY:
        return true;
    case ST_CALL:
        return !lsl;
    case ST_TSS16: case ST_TSS16_BUSY:
        return !cpu_lma(cpu);
    case ST_CALL16: case ST_TASK:
        return !lsl && !cpu_lma(cpu);
    default:
        return false;
    }
}

/* LAR (0F 02) and LSL (0F 03): ZF = 1 and the result when the descriptor
 * is visible; ZF = 0 and no write otherwise. */
static void h_lar_lsl(cpu_t *cpu, const insn_t *in)
{
    no_real_vm86(cpu);
    bool lsl = in->op == 0x03;
    uint16_t sel = (uint16_t)rm_get(cpu, in, 2);
    uint64_t d;
    bool ok = !sel_null(sel) && desc_fetch(cpu, sel, &d) && lar_type_ok(cpu, d, lsl) && visible(cpu, sel, d);
    if (ok) {
        uint64_t v;
        if (lsl) {
            seg_t s;
            desc_to_seg(d, sel, &s);
            v = s.limit;
        } else {
            v = (d >> 32) & (in->opsz == 2 ? 0xff00u : 0x00f0ff00u);
        }
        gpr_set(cpu, in->reg, in->opsz, v);
    }
    cc_write(cpu, F_ZF, ok ? F_ZF : 0);
}

void sel_lar_lsl(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = h_lar_lsl;
}

/* VERR/VERW (0F 00 /4 /5): readable / writable from the current CPL. */
void insn_verr_verw(cpu_t *cpu, const insn_t *in)
{
    no_real_vm86(cpu);
    bool write = in->aux == 5;
    uint16_t sel = (uint16_t)rm_get(cpu, in, 2);
    uint64_t d;
    bool ok = !sel_null(sel) && desc_fetch(cpu, sel, &d) && desc_s(d) && visible(cpu, sel, d);
    if (ok) {
        unsigned t = desc_type(d);
        ok = write ? (t & (DT_CODE | DT_RW)) == DT_RW : (!(t & DT_CODE) || (t & DT_RW));
    }
    cc_write(cpu, F_ZF, ok ? F_ZF : 0);
}

/* ARPL (63, protected mode): raise the destination's RPL to the source's. */
static void h_arpl(cpu_t *cpu, const insn_t *in)
{
    no_real_vm86(cpu);
    uint16_t dst = (uint16_t)rm_get(cpu, in, 2);
    uint16_t src = (uint16_t)gpr_get(cpu, in->reg, 2);
    if ((dst & 3) < (src & 3)) {
        rm_set(cpu, in, 2, (dst & ~3u) | (src & 3u));
        cc_write(cpu, F_ZF, F_ZF);
    } else {
        cc_write(cpu, F_ZF, 0);
    }
}

/* BOUND (62): #BR when the signed index is outside [lower, upper]. */
static void h_bound(cpu_t *cpu, const insn_t *in)
{
    unsigned n = in->opsz;
    uint64_t ea = insn_ea(cpu, in);
    int64_t lo = sext(mmu_read(cpu, in->seg, ea, n), n);
    int64_t hi = sext(mmu_read(cpu, in->seg, (ea + n) & size_mask(in->adsz), n), n);
    int64_t idx = sext(gpr_get(cpu, in->reg, n), n);
    if (idx < lo || idx > hi)
        cpu_raise(cpu, EXC_BR);
}

void sel_bound_arpl(dctx_t *d, insn_t *in)
{
    (void)d;
    if (in->op == 0x63)
        in->fn = h_arpl;
    else
        in->fn = (in->flags & INF_MEM) ? h_bound : insn_ud;
}

/* LES/LDS (C4, C5) and LSS/LFS/LGS (0F B2, B4, B5): a far pointer m16:16,
 * m16:32 or m16:64 into Sreg:reg; the segment load's checks come first. */
static void h_lxs(cpu_t *cpu, const insn_t *in)
{
    unsigned n = in->opsz;
    uint64_t ea = insn_ea(cpu, in);
    uint64_t off = mmu_read(cpu, in->seg, ea, n);
    uint16_t sel = mmu_read16(cpu, in->seg, (ea + n) & size_mask(in->adsz));
    seg_load(cpu, in->aux, sel);
    gpr_set(cpu, in->reg, n, off);
}

void sel_lxs(dctx_t *d, insn_t *in)
{
    (void)d;
    if (!(in->flags & INF_MEM)) {
        in->fn = insn_ud;
        return;
    }
    switch (in->op) {
    case 0xc4: in->aux = SEG_ES; break;
    case 0xc5: in->aux = SEG_DS; break;
    case 0xb2: in->aux = SEG_SS; break;
    case 0xb4: in->aux = SEG_FS; break;
    default: in->aux = SEG_GS; break;
    }
    in->fn = h_lxs;
}
