/* Saving and restoring the x87, MMX and SSE state: FXSAVE/FXRSTOR (and
 * their 64-bit forms), XSAVE/XRSTOR for the x87 and SSE components,
 * LDMXCSR/STMXCSR (SDM Vol.1 §10.5, ch.13; Vol.2 instruction pages). */
#include <string.h>

#include "simd.h"

/* MXCSR_MASK: every bit 0-15 is supported, DAZ included (SDM Vol.1
 * §11.6.6). */
#define MXCSR_MASK 0xffffu

/* Legacy region layout (SDM Vol.1 Tables 10-2, 10-3, 10-4). */
enum {
    FX_FCW = 0, FX_FSW = 2, FX_FTW = 4, FX_FOP = 6, FX_FIP = 8, FX_FCS = 12,
    FX_FDP = 16, FX_FDS = 20, FX_MXCSR = 24, FX_MXCSR_MASK = 28, FX_ST = 32,
    FX_XMM = 160, FX_USED = 416, FX_SIZE = 512,
};
/* XSAVE header and area size for XCR0 = x87|SSE (SDM Vol.1 §13.4.2). */
enum { XS_XSTATE_BV = 512, XS_XCOMP_BV = 520, XS_SIZE = 576 };
enum { XF_X87 = 1, XF_SSE = 2 };

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static unsigned xmm_count(const cpu_t *cpu)
{
    return cpu->code_mode == CM_64 ? 16 : 8;
}

/* ---- tag word conversions ---- */

/* Abridged tag: one bit per physical register, 1 = not empty (SDM Vol.1
 * §10.5.1.1). */
static uint8_t ftw_abridge(uint16_t ftw)
{
    uint8_t r = 0;
    for (unsigned i = 0; i < 8; i++)
        if (((ftw >> (2 * i)) & 3) != 3)
            r |= (uint8_t)(1u << i);
    return r;
}

/* Full tag of a non-empty register from its contents (SDM Vol.1 §8.1.7):
 * 00 valid, 01 zero, 10 special (NaN, infinity, denormal, unsupported). */
static unsigned tag_of(const x87reg_t *r)
{
    unsigned exp = r->se & 0x7fff;
    if (exp == 0x7fff)
        return 2;
    if (exp == 0)
        return r->sig ? 2 : 1;
    return (r->sig >> 63) ? 0 : 2;
}

static uint16_t ftw_expand(uint8_t abridged, const x87reg_t *st)
{
    uint16_t ftw = 0;
    for (unsigned i = 0; i < 8; i++) {
        unsigned t = ((abridged >> i) & 1) ? tag_of(&st[i]) : 3;
        ftw |= (uint16_t)(t << (2 * i));
    }
    return ftw;
}

/* ---- the x87 part of the legacy region ---- */

/* w64: FIP/FDP as 64-bit offsets (REX.W forms); else 32-bit offsets with
 * the selectors, which this CPU saves as zero (CPUID.(EAX=07H):EBX[13],
 * FCS/FDS deprecated, as on the host). */
static void x87_save(const cpu_t *cpu, uint8_t *img, bool w64)
{
    const x87state_t *f = &cpu->fpu;
    put16(img + FX_FCW, f->fcw);
    put16(img + FX_FSW, f->fsw);
    img[FX_FTW] = ftw_abridge(f->ftw);
    img[FX_FTW + 1] = 0;
    put16(img + FX_FOP, f->fop & 0x7ff);
    if (w64) {
        put64(img + FX_FIP, f->fip);
        put64(img + FX_FDP, f->fdp);
    } else {
        put64(img + FX_FIP, (uint32_t)f->fip);
        put64(img + FX_FDP, (uint32_t)f->fdp);
    }
    unsigned top = (f->fsw >> 11) & 7;
    for (unsigned i = 0; i < 8; i++) {
        const x87reg_t *r = &f->st[(top + i) & 7];   /* saved in stack order ST(i) */
        uint8_t *p = img + FX_ST + 16 * i;
        put64(p, r->sig);
        put16(p + 8, r->se);
        memset(p + 10, 0, 6);
    }
}

/* As loaded by the host: FCW reserved bits 7 and 13-15 read as 0, bit 6 as
 * 1; FSW.ES and FSW.B are recomputed from the unmasked exception flags
 * (SDM Vol.1 §8.1.3, §8.1.5). */
static uint16_t fcw_loaded(uint16_t v)
{
    return (uint16_t)((v & 0x1f3f) | 0x40);
}

static uint16_t fsw_loaded(uint16_t v, uint16_t fcw)
{
    v &= (uint16_t)~(FSW_ES | 0x8000);
    if (v & ~fcw & 0x3f)
        v |= FSW_ES | 0x8000;
    return v;
}

static void x87_load(cpu_t *cpu, const uint8_t *img, bool w64)
{
    x87state_t *f = &cpu->fpu;
    f->fcw = fcw_loaded(get16(img + FX_FCW));
    f->fsw = fsw_loaded(get16(img + FX_FSW), f->fcw);
    f->fop = get16(img + FX_FOP) & 0x7ff;
    if (w64) {
        f->fip = get64(img + FX_FIP);
        f->fdp = get64(img + FX_FDP);
        f->fcs = f->fds = 0;
    } else {
        f->fip = get32(img + FX_FIP);
        f->fcs = get16(img + FX_FCS);
        f->fdp = get32(img + FX_FDP);
        f->fds = get16(img + FX_FDS);
    }
    unsigned top = (f->fsw >> 11) & 7;
    for (unsigned i = 0; i < 8; i++) {
        x87reg_t *r = &f->st[(top + i) & 7];
        r->sig = get64(img + FX_ST + 16 * i);
        r->se = get16(img + FX_ST + 16 * i + 8);
    }
    f->ftw = ftw_expand(img[FX_FTW], f->st);
}

/* x87 initial configuration (SDM Vol.1 §13.6): FNINIT's control state with
 * zeroed registers and pointers. */
static void x87_init(cpu_t *cpu)
{
    memset(&cpu->fpu, 0, sizeof cpu->fpu);
    cpu->fpu.fcw = 0x37f;
    cpu->fpu.ftw = 0xffff;
}

static bool x87_in_use(const cpu_t *cpu)
{
    const x87state_t *f = &cpu->fpu;
    if (f->fcw != 0x37f || f->fsw || f->ftw != 0xffff || f->fop || f->fip || f->fdp || f->fcs || f->fds)
        return true;
    for (unsigned i = 0; i < 8; i++)
        if (f->st[i].sig || f->st[i].se)
            return true;
    return false;
}

/* ---- the SSE part ---- */

static void sse_save(const cpu_t *cpu, uint8_t *img)
{
    for (unsigned i = 0; i < xmm_count(cpu); i++)
        memcpy(img + FX_XMM + 16 * i, &cpu->xmm[i], 16);
}

static void sse_load(cpu_t *cpu, const uint8_t *img)
{
    for (unsigned i = 0; i < xmm_count(cpu); i++)
        memcpy(&cpu->xmm[i], img + FX_XMM + 16 * i, 16);
}

/* XINUSE[1] tracks the XMM registers only, not MXCSR (SDM Vol.1 §13.6). */
static bool sse_in_use(const cpu_t *cpu)
{
    uint64_t any = 0;
    for (unsigned i = 0; i < 16; i++)
        any |= cpu->xmm[i].q[0] | cpu->xmm[i].q[1];
    return any != 0;
}

static void mxcsr_save(const cpu_t *cpu, uint8_t *img)
{
    put32(img + FX_MXCSR, cpu->mxcsr);
    put32(img + FX_MXCSR_MASK, MXCSR_MASK);
}

/* ---- FXSAVE / FXRSTOR (0F AE /0, /1): 16-byte aligned 512-byte area,
 * all of it checked; bytes 416-511 are not written ---- */

/* The save area's address. On the host a bad first byte (segment or
 * canonical: #SS(0) on the stack) comes before the alignment #GP(0), which
 * comes before the checks of the rest of the area. */
static uint64_t area_ea(cpu_t *cpu, const insn_t *in, unsigned align)
{
    uint64_t ea = insn_ea(cpu, in);
    uint64_t base = cpu->code_mode == CM_64 ? cpu->seg_lin_base[in->seg] : cpu->seg[in->seg].base;
    if ((ea + base) & (align - 1)) {
        mmu_linear(cpu, in->seg, ea, 1, ACC_READ);
        cpu_gp0(cpu);
    }
    return ea;
}

/* The host checks the last byte of a save area before the rest: its
 * fault address is that byte when both ends fail. */
static void area_probe(cpu_t *cpu, const insn_t *in, uint64_t ea, unsigned size, bool write)
{
    if (write) {
        mmu_probe_write(cpu, in->seg, ea + size - 1, 1);
        mmu_probe_write(cpu, in->seg, ea, size);
    } else {
        mmu_read8(cpu, in->seg, ea + size - 1);
    }
}

static void fxsave(cpu_t *cpu, const insn_t *in)
{
    uint64_t ea = area_ea(cpu, in, 16);
    uint8_t img[FX_USED];
    memset(img, 0, sizeof img);
    x87_save(cpu, img, in->flags & INF_REXW);
    mxcsr_save(cpu, img);
    sse_save(cpu, img);
    area_probe(cpu, in, ea, FX_SIZE, true);
    mmu_write_bytes(cpu, in->seg, ea, img, cpu->code_mode == CM_64 ? FX_USED : FX_XMM + 8 * 16);
}

static void fxrstor(cpu_t *cpu, const insn_t *in)
{
    uint64_t ea = area_ea(cpu, in, 16);
    uint8_t img[FX_SIZE];
    area_probe(cpu, in, ea, FX_SIZE, false);
    mmu_read_bytes(cpu, in->seg, ea, img, FX_SIZE);
    uint32_t mx = get32(img + FX_MXCSR);
    if (mx & ~MXCSR_MASK)
        cpu_gp0(cpu);
    x87_load(cpu, img, in->flags & INF_REXW);
    sse_load(cpu, img);
    cpu->mxcsr = mx;
}

/* ---- XSAVE / XRSTOR (0F AE /4, /5), standard format only: 64-byte
 * aligned; RFBM = XCR0 AND EDX:EAX (SDM Vol.1 §13.7, §13.8) ---- */

static uint64_t rfbm(const cpu_t *cpu)
{
    return cpu->xcr0 & ((uint32_t)cpu->r[R_RAX] | cpu->r[R_RDX] << 32);
}

/* XSAVE writes the components in RFBM and their XSTATE_BV bits (XINUSE);
 * the rest of the header is left alone, as on the host. Fault order as on
 * the host: the end of the header, then each component, then XSTATE_BV. */
static void xsave(cpu_t *cpu, const insn_t *in)
{
    uint64_t ea = area_ea(cpu, in, 64);
    uint64_t rf = rfbm(cpu);
    bool w64 = in->flags & INF_REXW;
    unsigned nx = 16 * xmm_count(cpu);
    mmu_probe_write(cpu, in->seg, ea + XS_SIZE - 1, 1);
    if (rf & XF_X87)
        mmu_probe_write(cpu, in->seg, ea, FX_XMM);
    if (rf & XF_SSE) {
        mmu_probe_write(cpu, in->seg, ea + FX_MXCSR, 8);
        mmu_probe_write(cpu, in->seg, ea + FX_XMM, nx);
    }
    uint64_t bv = mmu_read64(cpu, in->seg, ea + XS_XSTATE_BV);
    uint8_t img[FX_USED];
    memset(img, 0, sizeof img);
    x87_save(cpu, img, w64);
    mxcsr_save(cpu, img);
    sse_save(cpu, img);
    uint64_t inuse = (x87_in_use(cpu) ? XF_X87 : 0) | (sse_in_use(cpu) ? XF_SSE : 0);
    if (rf & XF_X87) {
        mmu_write_bytes(cpu, in->seg, ea, img, FX_MXCSR);
        mmu_write_bytes(cpu, in->seg, ea + FX_ST, img + FX_ST, FX_XMM - FX_ST);
    }
    if (rf & XF_SSE) {
        mmu_write_bytes(cpu, in->seg, ea + FX_MXCSR, img + FX_MXCSR, 8);
        mmu_write_bytes(cpu, in->seg, ea + FX_XMM, img + FX_XMM, nx);
    }
    mmu_write64(cpu, in->seg, ea + XS_XSTATE_BV, (bv & ~rf) | (inuse & rf));
}

/* XRSTOR #GP: XSTATE_BV bits outside XCR0, header bytes 23:8 non-zero
 * (XCOMP_BV: no compacted form on this CPU), reserved MXCSR bits when
 * RFBM[1]. A component with XSTATE_BV clear is initialised; MXCSR is
 * loaded from memory whenever RFBM[1] is set. */
static void xrstor(cpu_t *cpu, const insn_t *in)
{
    uint64_t ea = area_ea(cpu, in, 64);
    uint64_t rf = rfbm(cpu);
    bool w64 = in->flags & INF_REXW;
    uint8_t img[XS_SIZE];
    /* as on the host: the header first (XCOMP_BV leading), then the
     * requested components whatever XSTATE_BV says, then the checks */
    memset(img, 0, sizeof img);
    mmu_read64(cpu, in->seg, ea + XS_XCOMP_BV);
    mmu_read_bytes(cpu, in->seg, ea + XS_XSTATE_BV, img + XS_XSTATE_BV, XS_SIZE - XS_XSTATE_BV);
    if (get64(img + XS_XCOMP_BV) >> 63)
        cpu_gp0(cpu);   /* the compacted form: not on this CPU (host: checked here) */
    if (rf & XF_X87)
        mmu_read_bytes(cpu, in->seg, ea, img, FX_XMM);
    if (rf & XF_SSE) {
        mmu_read_bytes(cpu, in->seg, ea + FX_MXCSR, img + FX_MXCSR, 8);
        mmu_read_bytes(cpu, in->seg, ea + FX_XMM, img + FX_XMM, 16 * xmm_count(cpu));
    }
    uint64_t bv = get64(img + XS_XSTATE_BV);
    if ((bv & ~cpu->xcr0) || get64(img + XS_XCOMP_BV) || get64(img + XS_XCOMP_BV + 8))
        cpu_gp0(cpu);
    bool ld_x87 = (rf & bv & XF_X87) != 0, ld_sse = (rf & bv & XF_SSE) != 0;
    uint32_t mx = get32(img + FX_MXCSR);
    if ((rf & XF_SSE) && (mx & ~MXCSR_MASK))
        cpu_gp0(cpu);
    if (rf & XF_X87) {
        if (ld_x87)
            x87_load(cpu, img, w64);
        else
            x87_init(cpu);
    }
    if (rf & XF_SSE) {
        if (ld_sse)
            sse_load(cpu, img);
        else
            memset(cpu->xmm, 0, sizeof cpu->xmm);
        cpu->mxcsr = mx;
    }
}

/* ---- LDMXCSR / STMXCSR (0F AE /2, /3) ---- */

static void ldmxcsr(cpu_t *cpu, const insn_t *in)
{
    uint32_t v = mmu_read32(cpu, in->seg, insn_ea(cpu, in));
    if (v & ~MXCSR_MASK)
        cpu_gp0(cpu);
    cpu->mxcsr = v;
}

static void stmxcsr(cpu_t *cpu, const insn_t *in)
{
    mmu_write32(cpu, in->seg, insn_ea(cpu, in), cpu->mxcsr);
}

/* ---- selectors (called by grp15.c with a memory operand) ---- */

void simd_sel_fxsave(dctx_t *d, insn_t *in)
{
    in->fn = d->regf == 0 ? fxsave : fxrstor;
    simd_guard(d, in, SC_FXSR);
}

void simd_sel_mxcsr(dctx_t *d, insn_t *in)
{
    in->fn = d->regf == 2 ? ldmxcsr : stmxcsr;
    simd_guard(d, in, SC_SSE);
}

void simd_sel_xsave(dctx_t *d, insn_t *in)
{
    in->fn = d->regf == 4 ? xsave : xrstor;
    simd_guard(d, in, SC_XSAVE);
}
