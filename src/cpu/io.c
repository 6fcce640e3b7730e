/* Port I/O: IN and OUT, the I/O privilege checks shared with INS/OUTS
 * (SDM Vol.1 §19.5 and §19.5.2, "I/O Permission Bit Map"), and the port
 * bus of the machine. */
#include "system.h"

#include "xenemu/machine.h"
#include "xenemu/trace.h"
#include "xenemu/vmx.h"

/* The TSS I/O permission bitmap: every bit of the accessed ports must be
 * clear, and the bitmap bytes must lie within the TSS limit. */
static bool bitmap_allows(cpu_t *cpu, uint16_t port, unsigned size)
{
    const seg_t *tr = &cpu->seg[SEG_TR];
    unsigned type = tr->attr & SEGA_TYPE;
    if ((tr->attr & SEGA_UNUSABLE) || (type != ST_TSS && type != ST_TSS_BUSY) || tr->limit < 103)
        return false;
    uint32_t map = (uint32_t)sys_read(cpu, tr->base + 102, 2);
    uint32_t at = map + port / 8u;
    if (at + 1 > tr->limit)
        return false;
    uint32_t bits = (uint32_t)sys_read(cpu, tr->base + at, 2);
    uint32_t mask = ((1u << size) - 1) << (port & 7);
    return (bits & mask) == 0;
}

static bool io_allowed(cpu_t *cpu, uint16_t port, unsigned size)
{
    if (cpu_real(cpu))
        return true;
    if (!cpu_vm86(cpu) && cpu->cpl <= cpu_iopl(cpu))
        return true;
    return bitmap_allows(cpu, port, size);
}

/* In VMX non-root operation an allowed access may still be a VM exit
 * (the privilege checks come first, SDM Vol.3C §26.1.1). */
bool io_permitted(cpu_t *cpu, uint16_t port, unsigned size)
{
    bool ok = io_allowed(cpu, port, size);
    if (ok && vmx_nonroot(cpu))
        vmx_intercept_io(cpu, port, size);
    return ok;
}

uint32_t io_in(cpu_t *cpu, uint16_t port, unsigned size)
{
    machine_t *m = cpu->m;
    uint32_t v = 0xffffffffu;
    if (!m->pio || !m->pio(m->pio_opaque, port, size, false, &v))
        v = 0xffffffffu;
    v = size == 4 ? v : v & ((1u << (8 * size)) - 1);
    trace_pio(cpu, port, size, false, v);      /* trace: io class */
    return v;
}

void io_out(cpu_t *cpu, uint16_t port, unsigned size, uint32_t val)
{
    machine_t *m = cpu->m;
    if (size < 4)
        val &= (1u << (8 * size)) - 1;
    trace_pio(cpu, port, size, true, val);     /* trace: io class */
    if (m->pio)
        m->pio(m->pio_opaque, port, size, true, &val);
}

/* ---- IN/OUT (SDM Vol.2 IN, OUT): E4-E7 imm8 port, EC-EF DX port ---- */

static unsigned io_size(const insn_t *in)
{
    return in->opsz == 1 ? 1 : in->opsz == 2 ? 2 : 4;    /* REX.W is ignored */
}

static uint16_t io_port(const cpu_t *cpu, const insn_t *in)
{
    return (in->op & 8) ? (uint16_t)cpu->r[R_RDX] : (uint16_t)(in->imm & 0xff);
}

static void h_in(cpu_t *cpu, const insn_t *in)
{
    unsigned size = io_size(in);
    uint16_t port = io_port(cpu, in);
    if (!io_permitted(cpu, port, size))
        cpu_gp0(cpu);
    gpr_set(cpu, R_RAX, size, io_in(cpu, port, size));
}

static void h_out(cpu_t *cpu, const insn_t *in)
{
    unsigned size = io_size(in);
    uint16_t port = io_port(cpu, in);
    if (!io_permitted(cpu, port, size))
        cpu_gp0(cpu);
    io_out(cpu, port, size, (uint32_t)gpr_get(cpu, R_RAX, size));
}

void sel_io(dctx_t *d, insn_t *in)
{
    (void)d;
    in->fn = (in->op & 2) ? h_out : h_in;
}
