/* Implicit supervisor-mode accesses to system structures (SDM Vol.3A
 * §4.6.1: descriptor tables, TSS) and the stack frames that far transfers
 * and event delivery push before the new SS:RSP takes effect. */
#include "system.h"

#include "xenemu/machine.h"

static uint64_t sys_wrap(const cpu_t *cpu, uint64_t lin)
{
    return cpu_lma(cpu) ? lin : (uint32_t)lin;
}

/* A store into a watched page: predecoded code, a MONITOR line. */
static void note_code_write(cpu_t *cpu, uint64_t pa, unsigned len)
{
    machine_phys_written(cpu->m, pa, len);
}

uint64_t sys_read(cpu_t *cpu, uint64_t lin, unsigned size)
{
    lin = sys_wrap(cpu, lin);
    unsigned n1 = 4096 - (unsigned)(lin & 0xfff);
    uint64_t p1 = mmu_translate_sys(cpu, lin, ACC_READ);
    if (n1 >= size)
        return phys_read(&cpu->m->mem, p1, size);
    uint64_t p2 = mmu_translate_sys(cpu, sys_wrap(cpu, lin + n1), ACC_READ);
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= phys_read(&cpu->m->mem, i < n1 ? p1 + i : p2 + (i - n1), 1) << (8 * i);
    return v;
}

void sys_write(cpu_t *cpu, uint64_t lin, uint64_t val, unsigned size)
{
    lin = sys_wrap(cpu, lin);
    unsigned n1 = 4096 - (unsigned)(lin & 0xfff);
    uint64_t p1 = mmu_translate_sys(cpu, lin, ACC_WRITE);
    if (n1 >= size) {
        phys_write(&cpu->m->mem, p1, val, size);
        note_code_write(cpu, p1, size);
        return;
    }
    uint64_t p2 = mmu_translate_sys(cpu, sys_wrap(cpu, lin + n1), ACC_WRITE);
    for (unsigned i = 0; i < size; i++)
        phys_write(&cpu->m->mem, i < n1 ? p1 + i : p2 + (i - n1), (val >> (8 * i)) & 0xff, 1);
    note_code_write(cpu, p1, n1);
    note_code_write(cpu, p2, size - n1);
}

/* ---- stack frames ---- */

void frame_init(frame_t *f, const seg_t *ss, uint64_t sp, unsigned width, bool user, uint32_t err)
{
    f->base = width == 8 ? 0 : ss->base;
    f->limit = ss->limit;
    f->attr = ss->attr;
    f->sp = sp;
    f->width = (uint8_t)width;
    f->user = user;
    f->in_order = false;
    f->err = err;
    f->n = 0;
    f->bytes = 0;
}

void frame_init_current(cpu_t *cpu, frame_t *f, uint32_t err)
{
    frame_init(f, &cpu->seg[SEG_SS], cpu->r[R_RSP], stack_width(cpu), cpu->cpl == 3, err);
}

void frame_push(frame_t *f, uint64_t v, unsigned size)
{
    if (f->n == FRAME_SLOTS)
        return;                   /* cannot happen: the largest frame fits */
    f->slot[f->n].v = v;
    f->slot[f->n].size = size;
    f->n++;
    f->bytes += size;
}

static uint64_t wrap_sp(unsigned width, uint64_t sp)
{
    return width == 8 ? sp : width == 4 ? (uint32_t)sp : (uint16_t)sp;
}

/* Limit check of a stack slot (SDM Vol.3A §5.3; expand-down for data
 * segments with type bit 2). 64-bit stacks only need canonical addresses. */
static bool slot_ok(const frame_t *f, uint64_t off, unsigned size)
{
    uint64_t last = off + size - 1;
    if (f->width == 8)
        return is_canonical(off) && is_canonical(last);
    if (f->width == 2 && last > 0xffff)
        return false;
    if ((f->attr & SEGA_UNUSABLE) || !(f->attr & SEGA_P))
        return false;
    if ((f->attr & (DT_CODE | DT_DC)) == DT_DC) {
        uint64_t top = (f->attr & SEGA_DB) ? 0xffffffffull : 0xffffull;
        return off > f->limit && last <= top;
    }
    return last <= f->limit;
}

/* frame_write's limit checks alone, for a far CALL through a call gate,
 * which checks the room on the new stack before the gate's EIP (SDM Vol.2A
 * CALL, MORE-/SAME-PRIVILEGE). */
void frame_check_room(cpu_t *cpu, const frame_t *f)
{
    uint64_t sp = f->sp;
    for (unsigned i = 0; i < f->n; i++) {
        sp = wrap_sp(f->width, sp - f->slot[i].size);
        if (!slot_ok(f, sp, f->slot[i].size))
            cpu_raise_err(cpu, EXC_SS, f->err);
    }
}

static uint64_t frame_translate(cpu_t *cpu, const frame_t *f, uint64_t lin)
{
    return f->user ? mmu_translate(cpu, lin, ACC_WRITE) : mmu_translate_sys(cpu, lin, ACC_WRITE);
}

static void frame_store(cpu_t *cpu, const uint64_t pa[2], uint64_t v, unsigned size)
{
    if (pa[1] == ~0ull) {
        phys_write(&cpu->m->mem, pa[0], v, size);
        note_code_write(cpu, pa[0], size);
        return;
    }
    unsigned n1 = 4096 - (unsigned)(pa[0] & 0xfff);
    for (unsigned b = 0; b < size; b++)
        phys_write(&cpu->m->mem, b < n1 ? pa[0] + b : pa[1] + (b - n1), (v >> (8 * b)) & 0xff, 1);
    note_code_write(cpu, pa[0], n1);
    note_code_write(cpu, pa[1], size - n1);
}

/* Translates every slot first, unless f->in_order asks for each slot to be
 * stored as soon as it is checked (as the host does for a far CALL). */
void frame_write(cpu_t *cpu, const frame_t *f)
{
    uint64_t pa[FRAME_SLOTS][2];
    uint64_t sp = f->sp;
    for (unsigned i = 0; i < f->n; i++) {
        unsigned size = f->slot[i].size;
        uint64_t off = wrap_sp(f->width, sp - size);
        sp = off;
        if (!slot_ok(f, off, size))
            cpu_raise_err(cpu, EXC_SS, f->err);
        uint64_t lin = f->width == 8 ? off : (uint32_t)(f->base + off);
        uint64_t last = f->width == 8 ? lin + size - 1 : (uint32_t)(lin + size - 1);
        pa[i][0] = frame_translate(cpu, f, lin);
        pa[i][1] = (last ^ lin) & ~0xfffull ? frame_translate(cpu, f, last & ~0xfffull) : ~0ull;
        if (f->in_order)
            frame_store(cpu, pa[i], f->slot[i].v, size);
    }
    if (f->in_order)
        return;
    for (unsigned i = 0; i < f->n; i++)
        frame_store(cpu, pa[i], f->slot[i].v, f->slot[i].size);
}

uint64_t frame_sp(const frame_t *f)
{
    uint64_t sp = f->sp - f->bytes;
    if (f->width == 8)
        return sp;
    if (f->width == 4)
        return (uint32_t)sp;
    return (f->sp & ~0xffffull) | (uint16_t)sp;
}
