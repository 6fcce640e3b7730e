/* The interpreter side of the differential tester: one instruction in a
 * small machine that mirrors a Linux user process (64-bit mode, CPL 3,
 * the code and data pages at the addresses the native side uses, CR4 and
 * the IDT gates as Linux sets them). */
#include <string.h>

#include "coverage.h"
#include "diffstate.h"
#include "xenemu/flags.h"
#include "xenemu/insn.h"
#include "xenemu/machine.h"
#include "xenemu/mmu.h"

/* Physical layout of the test machine. */
#define RAM_SIZE (4u << 20)
#define PT_BASE 0x100000u          /* page tables: 12 pages */
#define SYS_PHYS 0x110000u         /* GDT and TSS page, IDT page; +0x2000 backs the top user page */
#define CODE_PHYS 0x200000u
#define DATA_PHYS 0x210000u
#define SYS_LIN 0x30000000ull      /* where GDT/TSS (+0) and IDT (+0x1000) are mapped (supervisor) */
#define TSS_OFF 0x800u
#define IDT_OFF 0x1000u

enum { PTE_P = 1, PTE_W = 2, PTE_U = 4 };
#define PTE_NX (1ull << 63)

static machine_t machine;
static bool ready;

static void put64(uint64_t pa, uint64_t v)
{
    phys_copy_to(&machine.mem, pa, &v, 8);
}

/* One PT covers 2 MiB: code, data and system pages all fit under one PD entry. */
static void build_page_tables(void)
{
    uint64_t pml4 = PT_BASE, pdpt = PT_BASE + 0x1000, pd = PT_BASE + 0x2000, pt = PT_BASE + 0x3000;
    put64(pml4, pdpt | PTE_P | PTE_W | PTE_U);
    put64(pdpt, pd | PTE_P | PTE_W | PTE_U);
    /* 0x10000000 and 0x20000000, 0x30000000 sit in PD entries 128, 256, 384. */
    put64(pd + 128 * 8, (pt + 0) | PTE_P | PTE_W | PTE_U);
    put64(pd + 256 * 8, (pt + 0x4000) | PTE_P | PTE_W | PTE_U);
    put64(pd + 384 * 8, (pt + 0x5000) | PTE_P | PTE_W | PTE_U);
    put64(pt, CODE_PHYS | PTE_P | PTE_U);                                /* r-x user */
    for (unsigned i = 0; i < DIFF_DATA_PAGES; i++)
        put64(pt + 0x4000 + i * 8, (DATA_PHYS + i * 0x1000) | PTE_P | PTE_W | PTE_U | PTE_NX);
    put64(pt + 0x5000, SYS_PHYS | PTE_P | PTE_W | PTE_NX);               /* supervisor only */
    put64(pt + 0x5008, (SYS_PHYS + 0x1000) | PTE_P | PTE_W | PTE_NX);
    /* The host's Linux keeps the last page below 2^47 present but
     * supervisor-only (user accesses fault with P=1): mirror it. */
    uint64_t top_pdpt = PT_BASE + 0x9000, top_pd = PT_BASE + 0xa000, top_pt = PT_BASE + 0xb000;
    put64(pml4 + 255 * 8, top_pdpt | PTE_P | PTE_W | PTE_U);
    put64(top_pdpt + 511 * 8, top_pd | PTE_P | PTE_W | PTE_U);
    put64(top_pd + 511 * 8, top_pt | PTE_P | PTE_W | PTE_U);
    put64(top_pt + 511 * 8, (SYS_PHYS + 0x2000) | PTE_P | PTE_W | PTE_NX);
}

/* IDT gates as Linux installs them: DPL 3 for #BP and #OF, else DPL 0
 * (SDM Vol.3A §6.14.1, 64-bit interrupt gate). */
static void build_idt(void)
{
    for (unsigned v = 0; v < 256; v++) {
        uint64_t dpl = (v == 3 || v == 4) ? 3 : 0;
        uint64_t lo = 0x10 << 16 | (0x8eull << 40) | (dpl << 45);
        put64(SYS_PHYS + IDT_OFF + v * 16, lo);
        put64(SYS_PHYS + IDT_OFF + v * 16 + 8, 0);
    }
}

/* Linux's 64-bit GDT (arch/x86/include/asm/segment.h): kernel CS 0x10, DS
 * 0x18, user CS32 0x23, DS 0x2b, CS64 0x33, TSS 0x40; the TSS's I/O
 * bitmap offset lies past its limit, so IN/OUT at CPL 3 fault. */
static void build_gdt(void)
{
    put64(SYS_PHYS + 0x10, 0x00af9b000000ffffull);
    put64(SYS_PHYS + 0x18, 0x00cf93000000ffffull);
    put64(SYS_PHYS + 0x20, 0x00cffb000000ffffull);
    put64(SYS_PHYS + 0x28, 0x00cff3000000ffffull);
    put64(SYS_PHYS + 0x30, 0x00affb000000ffffull);
    uint64_t base = SYS_LIN + TSS_OFF, limit = 0x67;
    uint64_t lo = limit | (base & 0xffffff) << 16 | 0x8bull << 40 | ((base >> 24) & 0xff) << 56;
    put64(SYS_PHYS + 0x40, lo);
    put64(SYS_PHYS + 0x48, base >> 32);
    uint16_t iomap = 0x68;        /* beyond the limit: no bitmap */
    phys_copy_to(&machine.mem, SYS_PHYS + TSS_OFF + 0x66, &iomap, 2);
}

static void seg_set(seg_t *s, uint16_t sel, uint32_t attr)
{
    s->sel = sel;
    s->base = 0;
    s->limit = 0xffffffff;
    s->attr = attr;
}

static int setup(void)
{
    if (machine_init(&machine, 1) < 0 || phys_add_ram(&machine.mem, 0, RAM_SIZE) < 0)
        return -1;
    build_page_tables();
    build_idt();
    build_gdt();
    ready = true;
    return 0;
}

/* Long mode at CPL 3 with Linux's user selectors (SDM Vol.3A §5.2.1). */
static void set_mode(cpu_t *cpu)
{
    cpu->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
    cpu->cr4 = CR4_PAE | CR4_PGE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_UMIP | CR4_FSGSBASE | CR4_SMEP |
               CR4_SMAP | CR4_OSXSAVE;
    cpu->efer = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
    cpu->xcr0 = 3;
    cpu->cr3 = PT_BASE;
    uint32_t data3 = SEGA_P | SEGA_S | 3u << SEGA_DPL_SHIFT | 3 | SEGA_DB | SEGA_G;
    seg_set(&cpu->seg[SEG_CS], 0x33, SEGA_P | SEGA_S | 3u << SEGA_DPL_SHIFT | 0xb | SEGA_L | SEGA_G);
    seg_set(&cpu->seg[SEG_SS], 0x2b, data3);
    for (int s = SEG_ES; s <= SEG_GS; s++)
        if (s != SEG_CS && s != SEG_SS)
            seg_set(&cpu->seg[s], 0, SEGA_UNUSABLE);
    cpu->gdtr = (dtr_t){ SYS_LIN, 0x7f };
    cpu->idtr = (dtr_t){ SYS_LIN + IDT_OFF, 0xfff };
    cpu->seg[SEG_TR] = (seg_t){ .sel = 0x40, .base = SYS_LIN + TSS_OFF, .limit = 0x67, .attr = SEGA_P | 0xb };
    cpu->seg[SEG_LDTR] = (seg_t){ .sel = 0, .attr = SEGA_UNUSABLE };
}

/* ---- x87 state between the FXSAVE image and cpu->fpu ---- */

/* Full 2-bit tag of a valid register (SDM Vol.1 §8.1.7). */
static unsigned tag_of(uint64_t sig, uint16_t se)
{
    unsigned e = se & 0x7fff;
    if (e == 0x7fff)
        return 2;
    if (e == 0)
        return sig == 0 ? 1 : 2;
    return (sig >> 63) ? 0 : 2;
}

static void fx_to_cpu(cpu_t *cpu, const uint8_t *fx)
{
    x87state_t *f = &cpu->fpu;
    memcpy(&f->fcw, fx + DIFF_FX_FCW, 2);
    memcpy(&f->fsw, fx + DIFF_FX_FSW, 2);
    memcpy(&f->fop, fx + DIFF_FX_FOP, 2);
    memcpy(&f->fip, fx + DIFF_FX_FIP, 8);
    memcpy(&f->fdp, fx + DIFF_FX_FDP, 8);
    memcpy(&cpu->mxcsr, fx + DIFF_FX_MXCSR, 4);
    /* The image holds ST(i) in stack order; cpu->fpu.st[] and the tag bits
     * are physical registers (SDM Vol.1 §10.5.1.1). */
    unsigned top = (f->fsw >> 11) & 7;
    f->ftw = 0;
    for (unsigned i = 0; i < 8; i++) {
        x87reg_t *r = &f->st[(top + i) & 7];
        memcpy(&r->sig, fx + DIFF_FX_ST(i), 8);
        memcpy(&r->se, fx + DIFF_FX_ST(i) + 8, 2);
    }
    for (unsigned p = 0; p < 8; p++) {
        unsigned t = (fx[DIFF_FX_FTW] >> p) & 1 ? tag_of(f->st[p].sig, f->st[p].se) : 3;
        f->ftw |= (uint16_t)(t << (2 * p));
    }
    for (int i = 0; i < 16; i++)
        memcpy(&cpu->xmm[i], fx + DIFF_FX_XMM(i), 16);
}

static void cpu_to_fx(const cpu_t *cpu, uint8_t *fx)
{
    const x87state_t *f = &cpu->fpu;
    memset(fx, 0, 512);
    memcpy(fx + DIFF_FX_FCW, &f->fcw, 2);
    memcpy(fx + DIFF_FX_FSW, &f->fsw, 2);
    uint8_t abridged = 0;
    for (int i = 0; i < 8; i++)
        if (((f->ftw >> (2 * i)) & 3) != 3)
            abridged |= (uint8_t)(1u << i);
    fx[DIFF_FX_FTW] = abridged;
    memcpy(fx + DIFF_FX_FOP, &f->fop, 2);
    memcpy(fx + DIFF_FX_FIP, &f->fip, 8);
    memcpy(fx + DIFF_FX_FDP, &f->fdp, 8);
    memcpy(fx + DIFF_FX_MXCSR, &cpu->mxcsr, 4);
    uint32_t mask = 0xffff;
    memcpy(fx + DIFF_FX_MXCSR_MASK, &mask, 4);
    unsigned top = (f->fsw >> 11) & 7;
    for (unsigned i = 0; i < 8; i++) {
        memcpy(fx + DIFF_FX_ST(i), &f->st[(top + i) & 7].sig, 8);
        memcpy(fx + DIFF_FX_ST(i) + 8, &f->st[(top + i) & 7].se, 2);
    }
    for (int i = 0; i < 16; i++)
        memcpy(fx + DIFF_FX_XMM(i), &cpu->xmm[i], 16);
}

static void load_state(cpu_t *cpu, const struct diff_state *in)
{
    memcpy(cpu->r, in->gpr, sizeof in->gpr);
    cpu->r[R_ZERO] = 0;
    cpu->r[R_RIP] = in->rip;
    cpu->seg[SEG_FS].base = in->fs_base;
    cpu->seg[SEG_GS].base = in->gs_base;
    cpu_set_rflags(cpu, in->rflags);
    fx_to_cpu(cpu, in->fx.raw);
    cpu->exc.vector = -1;
    cpu->halted = false;
    cpu_update_mode(cpu);
}

static void save_state(cpu_t *cpu, struct diff_state *st)
{
    memcpy(st->gpr, cpu->r, sizeof st->gpr);
    st->rip = cpu->r[R_RIP];
    st->rflags = cpu_get_rflags(cpu);
    st->fs_base = cpu->seg[SEG_FS].base;
    st->gs_base = cpu->seg[SEG_GS].base;
    cpu_to_fx(cpu, st->fx.raw);
    phys_copy_from(&machine.mem, st->mem, DATA_PHYS, DIFF_DATA_SIZE);
}

/* A REP string instruction may yield with RIP still on itself; run it to
 * completion as the hardware does in one go. */
#define MAX_RESUMES 1000000

static bool is_rep_string(cpu_t *cpu, const uint8_t *code, size_t len)
{
    insn_t in;
    if (insn_decode(cpu, code, len < 15 ? (unsigned)len : 15, &in) <= 0 || in.map != MAP_1B)
        return false;
    bool string = (in.op >= 0xa4 && in.op <= 0xa7) || (in.op >= 0xaa && in.op <= 0xaf) ||
                  (in.op >= 0x6c && in.op <= 0x6f);
    return string && (in.flags & (INF_REP | INF_REPNE));
}

int diff_interp_run(const struct diff_state *in, const uint8_t *code, size_t len, unsigned code_off,
                    struct diff_outcome *out)
{
    if (!ready && setup() < 0)
        return -1;
    if (code_off + len > 4096)
        return -1;      /* longer than 15 bytes is fine: the decoder answers #GP */
    cpu_t *cpu = machine.cpu[0];
    uint8_t page[4096];
    memset(page, 0xcc, sizeof page);
    memcpy(page + code_off, code, len);
    phys_copy_to(&machine.mem, CODE_PHYS, page, sizeof page);
    machine_code_written(&machine, CODE_PHYS);     /* new code: drop old blocks */
    phys_copy_to(&machine.mem, DATA_PHYS, in->mem, DIFF_DATA_SIZE);
    set_mode(cpu);
    load_state(cpu, in);     /* the page tables never change: the TLB stays valid */

    uint64_t start = cpu->r[R_RIP];
    bool rep = is_rep_string(cpu, code, len);
    enum cpu_stop stop = STOP_BUDGET;
    for (int i = 0; i < MAX_RESUMES; i++) {
        stop = cpu_run(cpu, 1);
        if (stop != STOP_BUDGET || cpu->r[R_RIP] != start || !rep)
            break;
    }
    memset(out, 0, sizeof *out);
    out->vector = -1;
    if (stop == STOP_EXCEPTION) {
        out->vector = cpu->exc.vector;
        out->error_code = cpu->exc.has_error_code ? cpu->exc.error_code : 0;
        out->fault_addr = cpu->exc.vector == EXC_PF ? cpu->exc.cr2 : 0;
    } else if (stop == STOP_HALT || stop == STOP_SHUTDOWN) {
        return -1;
    }
    save_state(cpu, &out->st);
    return 0;
}

cpu_t *diff_interp_cpu(void)
{
    if (!ready && setup() < 0)
        return NULL;
    cpu_t *cpu = machine.cpu[0];
    set_mode(cpu);
    cpu_update_mode(cpu);
    return cpu;
}
