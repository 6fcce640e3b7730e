/* Slow paths of instruction memory access: segmentation checks, accesses
 * that cross a page, MMIO, alignment checks and stores into code pages. */
#include "xenemu/machine.h"
#include "xenemu/mmu.h"
#include "xenemu/trace.h"

static bool canonical(uint64_t a)
{
    return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

_Noreturn static void seg_fault(cpu_t *cpu, int seg)
{
    cpu_raise_err(cpu, seg == SEG_SS ? EXC_SS : EXC_GP, 0);
}

/* SDM Vol.3A §5.3 (limit checking) and §5.4-5.5 (type checking). */
uint64_t mmu_linear(cpu_t *cpu, int seg, uint64_t ea, unsigned size, enum mmu_access acc)
{
    if (cpu->code_mode == CM_64) {
        uint64_t lin = ea + cpu->seg_lin_base[seg];
        if (!canonical(lin) || !canonical(lin + size - 1))
            seg_fault(cpu, seg);
        return lin;
    }
    const seg_t *s = &cpu->seg[seg];
    bool real = !(cpu->cr0 & CR0_PE) || (cpu->rflags & F_VM);
    uint64_t last = ea + size - 1;
    if (!real) {
        if (s->attr & SEGA_UNUSABLE)
            seg_fault(cpu, seg);
        unsigned type = s->attr & SEGA_TYPE;
        bool code = type & 8;
        if (acc == ACC_WRITE && (code || !(type & 2)))
            seg_fault(cpu, seg);
        if (acc == ACC_READ && code && !(type & 2))
            seg_fault(cpu, seg);
        if (!code && (type & 4)) {
            /* Expand-down: valid offsets are limit+1 .. 0xffff or 0xffffffff. */
            uint64_t top = (s->attr & SEGA_DB) ? 0xffffffffull : 0xffffull;
            if (ea <= s->limit || last > top)
                seg_fault(cpu, seg);
            return (uint32_t)(s->base + ea);
        }
    }
    if (last > s->limit)
        seg_fault(cpu, seg);
    return (uint32_t)(s->base + ea);
}

/* #AC (SDM Vol.3A §6.15, interrupt 17). */
static void check_align(cpu_t *cpu, uint64_t lin, unsigned size)
{
    if ((cpu->cr0 & CR0_AM) && (cpu->rflags & F_AC) && cpu->cpl == 3 && size > 1 && (lin & (size - 1)))
        cpu_raise_err(cpu, EXC_AC, 0);
}

/* Linear address of the next page, wrapping at 4 GiB outside 64-bit mode. */
static uint64_t next_page(const cpu_t *cpu, uint64_t lin)
{
    uint64_t n = (lin | 0xfff) + 1;
    return cpu->code_mode == CM_64 ? n : (uint32_t)n;
}

/* Watched pages (predecoded code, MONITOR lines) see the slow path's stores. */
static void note_code_write(cpu_t *cpu, uint64_t phys, unsigned len)
{
    while (len) {
        unsigned chunk = 4096 - (unsigned)(phys & 0xfff);
        if (chunk > len)
            chunk = len;
        machine_phys_written(cpu->m, phys, chunk);
        phys += chunk;
        len -= chunk;
    }
}

/* A read, or the read half of a read-modify-write (acc = ACC_WRITE: the
 * permission checks and faults of a write). */
static uint64_t read_slow(cpu_t *cpu, int seg, uint64_t ea, unsigned size, enum mmu_access acc)
{
    uint64_t lin = mmu_linear(cpu, seg, ea, size, acc);
    check_align(cpu, lin, size);
    if (cpu->db_data)
        cpu_debug_access(cpu, lin, size, false);
    unsigned n1 = 4096 - (lin & 0xfff);
    if (n1 >= size) {
        uint64_t pa = mmu_translate(cpu, lin, acc), v = phys_read(&cpu->m->mem, pa, size);
        trace_mmio(cpu, pa, size, false, v);   /* trace: io class (MMIO regions only) */
        return v;
    }
    uint64_t p1 = mmu_translate(cpu, lin, acc);
    uint64_t p2 = mmu_translate(cpu, next_page(cpu, lin), acc);
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        uint64_t pa = i < n1 ? p1 + i : p2 + (i - n1);
        v |= phys_read(&cpu->m->mem, pa, 1) << (8 * i);
    }
    return v;
}

uint64_t mmu_read_slow(cpu_t *cpu, int seg, uint64_t ea, unsigned size)
{
    return read_slow(cpu, seg, ea, size, ACC_READ);
}

uint64_t mmu_rmw_read_slow(cpu_t *cpu, int seg, uint64_t ea, unsigned size)
{
    return read_slow(cpu, seg, ea, size, ACC_WRITE);
}

void mmu_write_slow(cpu_t *cpu, int seg, uint64_t ea, uint64_t val, unsigned size)
{
    uint64_t lin = mmu_linear(cpu, seg, ea, size, ACC_WRITE);
    check_align(cpu, lin, size);
    if (cpu->db_data)
        cpu_debug_access(cpu, lin, size, true);
    unsigned n1 = 4096 - (lin & 0xfff);
    if (n1 >= size) {
        uint64_t pa = mmu_translate(cpu, lin, ACC_WRITE);
        phys_write(&cpu->m->mem, pa, val, size);
        trace_mmio(cpu, pa, size, true, val);  /* trace: io class (MMIO regions only) */
        note_code_write(cpu, pa, size);
        return;
    }
    uint64_t p1 = mmu_translate(cpu, lin, ACC_WRITE);
    uint64_t p2 = mmu_translate(cpu, next_page(cpu, lin), ACC_WRITE);
    for (unsigned i = 0; i < size; i++) {
        uint64_t pa = i < n1 ? p1 + i : p2 + (i - n1);
        phys_write(&cpu->m->mem, pa, (val >> (8 * i)) & 0xff, 1);
    }
    note_code_write(cpu, p1, n1);
    note_code_write(cpu, p2, size - n1);
}

void mmu_probe_write(cpu_t *cpu, int seg, uint64_t ea, unsigned size)
{
    uint64_t lin = mmu_linear(cpu, seg, ea, size, ACC_WRITE);
    check_align(cpu, lin, size);
    mmu_translate(cpu, lin, ACC_WRITE);
    if ((lin & 0xfff) + size > 4096)
        mmu_translate(cpu, next_page(cpu, lin), ACC_WRITE);
}

const uint8_t *mmu_fetch_page(cpu_t *cpu, uint64_t lin, uint64_t *phys)
{
    uint64_t page = lin & ~0xfffull;
    tlb_entry_t *e = mmu_tlb_entry(cpu, lin);
    if (e->tag_x == page) {
        *phys = e->phys;
        return (const uint8_t *)(uintptr_t)(page + e->addend);
    }
    uint64_t pa = mmu_translate(cpu, lin, ACC_EXEC) & ~0xfffull;
    *phys = pa;
    return phys_ram_ptr(&cpu->m->mem, pa, 4096);
}

/* Page-by-page copy; every page is translated before any byte moves so a
 * fault leaves memory untouched. */
#define MAX_SPAN_PAGES 3

static unsigned span_pages(cpu_t *cpu, uint64_t lin, unsigned len, enum mmu_access acc, uint64_t *pa,
                           unsigned *plen)
{
    unsigned n = 0;
    while (len) {
        unsigned chunk = 4096 - (lin & 0xfff);
        if (chunk > len)
            chunk = len;
        pa[n] = mmu_translate(cpu, lin, acc);
        plen[n++] = chunk;
        len -= chunk;
        lin = next_page(cpu, lin);
    }
    return n;
}

void mmu_read_bytes(cpu_t *cpu, int seg, uint64_t ea, void *dst, unsigned len)
{
    uint64_t pa[MAX_SPAN_PAGES];
    unsigned pl[MAX_SPAN_PAGES];
    uint8_t *d = dst;
    uint64_t lin = mmu_linear(cpu, seg, ea, len, ACC_READ);
    unsigned n = span_pages(cpu, lin, len, ACC_READ, pa, pl);
    if (cpu->db_data)
        cpu_debug_access(cpu, lin, len, false);
    for (unsigned i = 0; i < n; i++) {
        if (!phys_copy_from(&cpu->m->mem, d, pa[i], pl[i]))
            for (unsigned j = 0; j < pl[i]; j++)
                d[j] = (uint8_t)phys_read(&cpu->m->mem, pa[i] + j, 1);
        d += pl[i];
    }
}

void mmu_write_bytes(cpu_t *cpu, int seg, uint64_t ea, const void *src, unsigned len)
{
    uint64_t pa[MAX_SPAN_PAGES];
    unsigned pl[MAX_SPAN_PAGES];
    const uint8_t *s = src;
    uint64_t lin = mmu_linear(cpu, seg, ea, len, ACC_WRITE);
    unsigned n = span_pages(cpu, lin, len, ACC_WRITE, pa, pl);
    if (cpu->db_data)
        cpu_debug_access(cpu, lin, len, true);
    for (unsigned i = 0; i < n; i++) {
        if (!phys_copy_to(&cpu->m->mem, pa[i], s, pl[i]))
            for (unsigned j = 0; j < pl[i]; j++)
                phys_write(&cpu->m->mem, pa[i] + j, s[j], 1);
        note_code_write(cpu, pa[i], pl[i]);
        s += pl[i];
    }
}

void mmu_read128(cpu_t *cpu, int seg, uint64_t ea, void *dst, bool aligned)
{
    if (aligned && mmu_misaligned(cpu, seg, ea, 16))
        cpu_gp0(cpu);
    uint64_t q[2];
    q[0] = mmu_read64(cpu, seg, ea);
    q[1] = mmu_read64(cpu, seg, ea + 8);
    memcpy(dst, q, 16);
}

void mmu_write128(cpu_t *cpu, int seg, uint64_t ea, const void *src, bool aligned)
{
    if (aligned && mmu_misaligned(cpu, seg, ea, 16))
        cpu_gp0(cpu);
    uint64_t q[2];
    memcpy(q, src, 16);
    if (cpu->code_mode == CM_64 && ((ea + cpu->seg_lin_base[seg]) & 0xfff) <= 4096 - 16) {
        mmu_write64(cpu, seg, ea, q[0]);   /* same page: the second cannot fault if the first did not */
        mmu_write64(cpu, seg, ea + 8, q[1]);
        return;
    }
    mmu_write_bytes(cpu, seg, ea, q, 16);
}
