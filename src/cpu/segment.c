/* Segment descriptors and segment-register loads: MOV/POP Sreg and the
 * checks shared by far transfers (SDM Vol.3A §3.4, §5.4-5.10; Vol.2 MOV,
 * POP, RET, IRET). */
#include "system.h"

void desc_to_seg(uint64_t d, uint16_t sel, seg_t *s)
{
    uint32_t limit = (uint32_t)(d & 0xffff) | ((uint32_t)(d >> 32) & 0xf0000);
    if (d & (1ull << 55))
        limit = (limit << 12) | 0xfff;
    s->sel = sel;
    s->base = ((d >> 16) & 0xffffff) | ((d >> 32) & 0xff000000);
    s->limit = limit;
    s->attr = desc_attr(d);
}

/* Base and limit of the table a selector indexes (TI bit). */
static bool table_of(const cpu_t *cpu, uint16_t sel, uint64_t *base, uint32_t *limit)
{
    if (sel & 4) {
        const seg_t *ldt = &cpu->seg[SEG_LDTR];
        if (ldt->attr & SEGA_UNUSABLE)
            return false;
        *base = ldt->base;
        *limit = ldt->limit;
    } else {
        *base = cpu->gdtr.base;
        *limit = cpu->gdtr.limit;
    }
    return true;
}

bool desc_fetch(cpu_t *cpu, uint16_t sel, uint64_t *d)
{
    uint64_t base;
    uint32_t limit;
    if (!table_of(cpu, sel, &base, &limit) || (uint32_t)(sel | 7) > limit)
        return false;
    *d = sys_read(cpu, base + (sel & ~7u), 8);
    return true;
}

bool desc_fetch_hi(cpu_t *cpu, uint16_t sel, uint64_t *hi)
{
    uint64_t base;
    uint32_t limit;
    if (!table_of(cpu, sel, &base, &limit) || (uint32_t)(sel | 7) + 8 > limit)
        return false;
    *hi = sys_read(cpu, base + (sel & ~7u) + 8, 8);
    return true;
}

void desc_write_type(cpu_t *cpu, uint16_t sel, uint64_t d)
{
    uint64_t base;
    uint32_t limit;
    if (table_of(cpu, sel, &base, &limit))
        sys_write(cpu, base + (sel & ~7u) + 5, (d >> 40) & 0xff, 1);
}

void desc_set_accessed(cpu_t *cpu, uint16_t sel, uint64_t *d)
{
    if (*d & (1ull << 40))
        return;
    *d |= 1ull << 40;
    desc_write_type(cpu, sel, *d);
}

/* ---- installing segment registers ---- */

void seg_set(cpu_t *cpu, int seg, const seg_t *s)
{
    cpu->seg[seg] = *s;
    if (seg == SEG_FS || seg == SEG_GS)
        cpu->seg_lin_base[seg] = s->base;
}

/* VM86 segments: 64 KiB read/write data at DPL 3 (SDM Vol.3A §20.1.1,
 * and the VMX guest-state checks of Vol.3C §27.3.1.2). */
#define VM86_ATTR (SEGA_P | SEGA_S | (3u << SEGA_DPL_SHIFT) | DT_RW | DT_ACCESSED)

void seg_set_real(cpu_t *cpu, int seg, uint16_t sel)
{
    seg_t s = cpu->seg[seg];
    s.sel = sel;
    s.base = (uint64_t)sel << 4;
    if (cpu_vm86(cpu)) {
        s.limit = 0xffff;
        s.attr = VM86_ATTR;
    } else {
        s.attr &= ~(uint32_t)SEGA_UNUSABLE;   /* real mode keeps limit and rights */
    }
    seg_set(cpu, seg, &s);
}

void seg_set_null(cpu_t *cpu, int seg, uint16_t sel)
{
    seg_t s = { .sel = sel, .attr = SEGA_UNUSABLE };
    if (seg == SEG_SS)
        s.attr |= (uint32_t)(sel & 3) << SEGA_DPL_SHIFT;
    seg_set(cpu, seg, &s);
}

void seg_set_flat(cpu_t *cpu, int seg, uint16_t sel, uint32_t attr)
{
    seg_t s = { .sel = sel, .base = 0, .limit = 0xffffffff, .attr = attr };
    seg_set(cpu, seg, &s);
}

/* ---- MOV/POP Sreg in protected mode (SDM Vol.2 MOV, Operation) ---- */

static void load_ss(cpu_t *cpu, uint16_t sel)
{
    unsigned cpl = cpu->cpl;
    uint64_t d;
    if (sel_null(sel)) {
        /* 64-bit mode allows a null SS at CPL < 3 with RPL = CPL. */
        if (cpu->code_mode != CM_64 || cpl == 3 || (sel & 3) != cpl)
            cpu_gp0(cpu);
        seg_set_null(cpu, SEG_SS, sel);
        return;
    }
    if (!desc_fetch(cpu, sel, &d) || (sel & 3) != cpl || !desc_writable_data(d) || desc_dpl(d) != cpl)
        raise_sel(cpu, EXC_GP, sel);
    if (!desc_p(d))
        raise_sel(cpu, EXC_SS, sel);
    desc_set_accessed(cpu, sel, &d);
    seg_t s;
    desc_to_seg(d, sel, &s);
    seg_set(cpu, SEG_SS, &s);
}

static void load_data(cpu_t *cpu, int seg, uint16_t sel)
{
    uint64_t d;
    if (sel_null(sel)) {
        seg_set_null(cpu, seg, sel);
        return;
    }
    if (!desc_fetch(cpu, sel, &d) || !desc_s(d))
        raise_sel(cpu, EXC_GP, sel);
    unsigned type = desc_type(d), dpl = desc_dpl(d);
    if ((type & DT_CODE) && !(type & DT_RW))
        raise_sel(cpu, EXC_GP, sel);
    if (!desc_conforming(d) && ((sel & 3u) > dpl || cpu->cpl > dpl))
        raise_sel(cpu, EXC_GP, sel);
    if (!desc_p(d))
        raise_sel(cpu, EXC_NP, sel);
    desc_set_accessed(cpu, sel, &d);
    seg_t s;
    desc_to_seg(d, sel, &s);
    seg_set(cpu, seg, &s);
}

void seg_load(cpu_t *cpu, int seg, uint16_t sel)
{
    if (seg == SEG_CS || seg > SEG_GS)
        cpu_ud(cpu);              /* CS changes only through far transfers */
    if (cpu_real(cpu) || cpu_vm86(cpu))
        seg_set_real(cpu, seg, sel);
    else if (seg == SEG_SS)
        load_ss(cpu, sel);
    else
        load_data(cpu, seg, sel);
    if (seg == SEG_SS)
        cpu_update_mode(cpu);     /* SS.B: stack-address size */
}

/* ---- checks of far returns (SDM Vol.2 RET and IRET, protected mode) ---- */

void seg_check_return_cs(cpu_t *cpu, uint16_t sel, uint64_t *d)
{
    if (sel_null(sel))
        cpu_gp0(cpu);
    if (!desc_fetch(cpu, sel, d))
        raise_sel(cpu, EXC_GP, sel);
    unsigned rpl = sel & 3, dpl = desc_dpl(*d);
    if (!desc_code(*d) || rpl < cpu->cpl)
        raise_sel(cpu, EXC_GP, sel);
    if (desc_conforming(*d) ? dpl > rpl : dpl != rpl)
        raise_sel(cpu, EXC_GP, sel);
    if (!desc_p(*d))
        raise_sel(cpu, EXC_NP, sel);
    if (cpu_lma(cpu) && desc_l(*d) && desc_db(*d))
        raise_sel(cpu, EXC_GP, sel);
}

bool seg_check_return_ss(cpu_t *cpu, uint16_t sel, unsigned rpl, bool allow_null, uint64_t *d)
{
    if (sel_null(sel)) {
        if (!allow_null || (sel & 3) != rpl)
            cpu_gp0(cpu);
        return false;
    }
    if (!desc_fetch(cpu, sel, d) || (sel & 3u) != rpl || !desc_writable_data(*d) || desc_dpl(*d) != rpl)
        raise_sel(cpu, EXC_GP, sel);
    if (!desc_p(*d))
        raise_sel(cpu, EXC_SS, sel);
    return true;
}

void seg_null_inaccessible(cpu_t *cpu)
{
    static const int segs[] = { SEG_ES, SEG_DS, SEG_FS, SEG_GS };
    for (unsigned i = 0; i < 4; i++) {
        seg_t *s = &cpu->seg[segs[i]];
        unsigned type = s->attr & SEGA_TYPE;
        unsigned dpl = (s->attr & SEGA_DPL) >> SEGA_DPL_SHIFT;
        bool conforming_code = (type & (DT_CODE | DT_DC)) == (DT_CODE | DT_DC);
        if (s->attr & SEGA_UNUSABLE || conforming_code || dpl >= cpu->cpl)
            continue;
        /* Only the selector is nulled; the base stays (64-bit FS/GS). */
        s->sel = 0;
        s->attr |= SEGA_UNUSABLE;
    }
}
