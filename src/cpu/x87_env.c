/* The x87 environment and state images: FNSTENV FLDENV FNSAVE FRSTOR in
 * the 16- and 32-bit, real-address and protected-mode formats (SDM Vol.1
 * §8.1.10, Figures 8-9 to 8-12; 64-bit mode uses the protected-mode
 * ones), and FNINIT's state. As on the reference host (CPUID.(EAX=07H):
 * EBX[13], FCS and FDS deprecated) the selector fields are stored as 0;
 * reserved halves of the 32-bit formats are stored as ones. */
#include <string.h>

#include "x87.h"

enum { ENV16 = 14, ENV32 = 28, REGS = 80 };

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

void x87_reset_state(cpu_t *cpu)
{
    x87state_t *f = &cpu->fpu;
    f->fcw = CW_INIT;
    f->fsw = 0;
    f->ftw = 0xffff;
    f->fop = 0;
    f->fip = f->fdp = 0;
    f->fcs = f->fds = 0;
}

/* The full tag word as FSTENV/FSAVE store it: non-empty registers are
 * classified from their contents (SDM Vol.1 §8.1.7), so MMX values (all
 * ones exponent) read as special. */
static uint16_t tags_for_store(const cpu_t *cpu)
{
    uint16_t t = 0;
    for (unsigned i = 0; i < 8; i++) {
        unsigned tag = x87_tag(cpu, i);
        if (tag != TAG_EMPTY)
            tag = x87_classify(cpu->fpu.st[i].se, cpu->fpu.st[i].sig);
        t |= (uint16_t)(tag << (2 * i));
    }
    return t;
}

/* After a load only "empty or not" is taken from the image; the rest is
 * recomputed from the registers. */
static void tags_from_load(cpu_t *cpu, uint16_t t)
{
    for (unsigned i = 0; i < 8; i++) {
        unsigned tag = (t >> (2 * i)) & 3;
        if (tag != TAG_EMPTY)
            tag = x87_classify(cpu->fpu.st[i].se, cpu->fpu.st[i].sig);
        x87_set_tag(cpu, i, tag);
    }
}

/* Real-address and virtual-8086 mode store 20/32-bit linear pointers. */
static bool real_format(const cpu_t *cpu)
{
    return !(cpu->cr0 & CR0_PE) || (cpu->rflags & F_VM);
}

static uint32_t lin_ip(const x87state_t *f)
{
    return (uint32_t)(((uint32_t)f->fcs << 4) + (uint32_t)f->fip);
}

static uint32_t lin_dp(const x87state_t *f)
{
    return (uint32_t)(((uint32_t)f->fds << 4) + (uint32_t)f->fdp);
}

/* ---- encoding ---- */

static void env_store16(const cpu_t *cpu, uint8_t *p, bool real)
{
    const x87state_t *f = &cpu->fpu;
    put16(p + 0, f->fcw);
    put16(p + 2, f->fsw);
    put16(p + 4, tags_for_store(cpu));
    if (real) {
        uint32_t ip = lin_ip(f), dp = lin_dp(f);
        put16(p + 6, (uint16_t)ip);
        put16(p + 8, (uint16_t)(((ip >> 16) & 0xf) << 12 | (f->fop & 0x7ff)));
        put16(p + 10, (uint16_t)dp);
        put16(p + 12, (uint16_t)(((dp >> 16) & 0xf) << 12));
    } else {
        put16(p + 6, (uint16_t)f->fip);
        put16(p + 8, 0);
        put16(p + 10, (uint16_t)f->fdp);
        put16(p + 12, 0);
    }
}

static void env_store32(const cpu_t *cpu, uint8_t *p, bool real)
{
    const x87state_t *f = &cpu->fpu;
    put32(p + 0, 0xffff0000u | f->fcw);
    put32(p + 4, 0xffff0000u | f->fsw);
    put32(p + 8, 0xffff0000u | tags_for_store(cpu));
    if (real) {
        uint32_t ip = lin_ip(f), dp = lin_dp(f);
        put32(p + 12, 0xffff0000u | (ip & 0xffff));
        put32(p + 16, ((ip >> 16) << 12) | (f->fop & 0x7ffu));
        put32(p + 20, 0xffff0000u | (dp & 0xffff));
        put32(p + 24, (dp >> 16) << 12);
    } else {
        put32(p + 12, (uint32_t)f->fip);
        put32(p + 16, (uint32_t)(f->fop & 0x7ff) << 16);
        put32(p + 20, (uint32_t)f->fdp);
        put32(p + 24, 0xffff0000u);
    }
}

/* Returns the image size. */
static unsigned env_store(const cpu_t *cpu, const insn_t *in, uint8_t *p)
{
    if (in->opsz == 2) {
        env_store16(cpu, p, real_format(cpu));
        return ENV16;
    }
    env_store32(cpu, p, real_format(cpu));
    return ENV32;
}

/* ---- decoding: control, status, pointers; the tags need the registers
 * (FRSTOR loads them first), so they are returned ---- */

static uint16_t env_load16(cpu_t *cpu, const uint8_t *p, bool real)
{
    x87state_t *f = &cpu->fpu;
    f->fcw = get16(p + 0);
    f->fsw = get16(p + 2);
    if (real) {
        uint16_t w = get16(p + 8);
        f->fip = get16(p + 6) | (uint32_t)(w >> 12) << 16;
        f->fop = w & 0x7ff;
        f->fdp = get16(p + 10) | (uint32_t)(get16(p + 12) >> 12) << 16;
        f->fcs = f->fds = 0;
    } else {
        f->fip = get16(p + 6);
        f->fcs = get16(p + 8);
        f->fdp = get16(p + 10);
        f->fds = get16(p + 12);
        f->fop = 0;
    }
    return get16(p + 4);
}

static uint16_t env_load32(cpu_t *cpu, const uint8_t *p, bool real)
{
    x87state_t *f = &cpu->fpu;
    f->fcw = get16(p + 0);
    f->fsw = get16(p + 4);
    if (real) {
        uint32_t w = get32(p + 16);
        f->fip = (get32(p + 12) & 0xffff) | ((w >> 12) & 0xffff) << 16;
        f->fop = w & 0x7ff;
        f->fdp = (get32(p + 20) & 0xffff) | ((get32(p + 24) >> 12) & 0xffff) << 16;
        f->fcs = f->fds = 0;
    } else {
        f->fip = get32(p + 12);
        f->fcs = get16(p + 16);
        f->fop = (get32(p + 16) >> 16) & 0x7ff;
        f->fdp = get32(p + 20);
        f->fds = get16(p + 24);
    }
    return get16(p + 8);
}

static uint16_t env_load(cpu_t *cpu, const insn_t *in, const uint8_t *p)
{
    uint16_t tags = in->opsz == 2 ? env_load16(cpu, p, real_format(cpu)) : env_load32(cpu, p, real_format(cpu));
    cpu->fpu.fcw = (uint16_t)((cpu->fpu.fcw & 0x1f3f) | 0x40);   /* as FLDCW loads it */
    x87_update_es(cpu);
    return tags;
}

static unsigned env_size(const insn_t *in)
{
    return in->opsz == 2 ? ENV16 : ENV32;
}

/* ---- memory access order ----
 * The host touches an image in three steps: its first field (a word in
 * the 16-bit formats, a dword in the 32-bit ones), its last byte, then
 * the rest; the fault it reports is the first of those that fails. */

static unsigned first_field(const insn_t *in)
{
    return in->opsz == 2 ? 2 : 4;
}

static void image_write(cpu_t *cpu, const insn_t *in, const uint8_t *img, unsigned n)
{
    uint64_t ea = insn_ea(cpu, in);
    mmu_probe_write(cpu, in->seg, ea, first_field(in));
    mmu_probe_write(cpu, in->seg, ea + n - 1, 1);
    mmu_write_bytes(cpu, in->seg, ea, img, n);
}

static void image_read(cpu_t *cpu, const insn_t *in, uint8_t *img, unsigned n)
{
    uint64_t ea = insn_ea(cpu, in);
    mmu_read(cpu, in->seg, ea, first_field(in));
    mmu_read8(cpu, in->seg, ea + n - 1);
    mmu_read_bytes(cpu, in->seg, ea, img, n);
}

/* ---- the instructions ---- */

/* FNSTENV: store, then mask every exception (SDM Vol.2 FSTENV), which
 * also clears ES and B. */
void x87_fnstenv(cpu_t *cpu, const insn_t *in)
{
    uint8_t img[ENV32];
    unsigned n = env_store(cpu, in, img);
    image_write(cpu, in, img, n);
    cpu->fpu.fcw |= SW_EXC;
    x87_update_es(cpu);
}

/* FLDENV: a pending exception in the image is reported by the next
 * waiting instruction. */
void x87_fldenv(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    uint8_t img[ENV32];
    image_read(cpu, in, img, env_size(in));
    tags_from_load(cpu, env_load(cpu, in, img));
}

/* FNSAVE: the environment, ST(0)..ST(7), then FNINIT's state. */
void x87_fnsave(cpu_t *cpu, const insn_t *in)
{
    uint8_t img[ENV32 + REGS];
    unsigned n = env_store(cpu, in, img);
    for (unsigned i = 0; i < 8; i++) {
        sf_f80 v = x87_get(cpu, i);
        memcpy(img + n + 10 * i, &v.sig, 8);
        put16(img + n + 10 * i + 8, v.se);
    }
    image_write(cpu, in, img, n + REGS);
    x87_reset_state(cpu);
}

/* FRSTOR: the environment, then ST(0)..ST(7) relative to the new TOP. */
void x87_frstor(cpu_t *cpu, const insn_t *in)
{
    x87_wait(cpu);
    uint8_t img[ENV32 + REGS];
    unsigned n = env_size(in);
    image_read(cpu, in, img, n + REGS);
    uint16_t tags = env_load(cpu, in, img);
    for (unsigned i = 0; i < 8; i++) {
        x87reg_t *r = &cpu->fpu.st[x87_phys(cpu, i)];
        memcpy(&r->sig, img + n + 10 * i, 8);
        r->se = get16(img + n + 10 * i + 8);
    }
    tags_from_load(cpu, tags);
}
