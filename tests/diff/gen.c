/* Generator core: PRNG, random states, memory operands, the generic
 * table-driven encoder and the per-case driver. */
#define _GNU_SOURCE
#include "gen.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- PRNG ---- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

void xrng_seed(struct xrng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ splitmix64(&stream);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t xrng_next(struct xrng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

/* ---- address space of a test ---- */

#define CODE_END (DIFF_CODE_ADDR + 4096)
#define DATA_END (DIFF_DATA_ADDR + DIFF_DATA_SIZE)
/* Must match the window native.c checks: only our pages are mapped in it. */
#define WINDOW_LO 0x0F000000ULL
#define WINDOW_HI 0x30000000ULL
#define USER_TOP 0x00007FFFFFFFF000ULL  /* Linux never maps the last user page */

static bool canonical(uint64_t a)
{
    return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

bool gen_addr_safe(uint64_t a, uint64_t size)
{
    uint64_t e = a + size - 1;
    if (!canonical(a))
        return true;                       /* #GP or #SS before any access */
    if (e < a)
        return false;
    if (a >= WINDOW_LO && e < WINDOW_HI)
        return true;
    if (e < 0x10000)
        return true;                       /* below vm.mmap_min_addr */
    if (a >= USER_TOP && a < 0x0000800000000000ULL)
        return true;
    return false;
}

static uint64_t mask_of(unsigned size)
{
    return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

/* ---- random values ---- */

uint64_t gen_value(struct gen *g, unsigned size)
{
    uint64_t m = mask_of(size), v;
    unsigned bits = 8 * (size > 8 ? 8 : size);
    switch (rndn(g, 12)) {
    case 0: case 1: case 2: case 3:
        v = rnd(g);
        break;
    case 4: {
        static const uint64_t k[] = { 0, 1, ~0ULL, 2, ~1ULL };
        v = k[rndn(g, 5)];
        break;
    }
    case 5:
        v = rndn(g, 256);
        break;
    case 6: {
        unsigned b = (unsigned)rndn(g, bits);
        uint64_t p = 1ULL << b;
        static const int sel[] = { 0, 1, 2 };
        switch (sel[rndn(g, 3)]) {
        case 0: v = p; break;
        case 1: v = p - 1; break;
        default: v = -p; break;
        }
        break;
    }
    case 7: {
        uint64_t sign = 1ULL << (bits - 1);
        static const int d[] = { -2, -1, 0, 1 };
        v = sign + (uint64_t)(int64_t)d[rndn(g, 4)];
        break;
    }
    case 8:
        v = (uint64_t)(int64_t)(int32_t)rnd(g);
        break;
    case 9:
        v = (uint64_t)(int64_t)(int8_t)rnd(g);
        break;
    case 10:
        v = DIFF_DATA_ADDR + rndn(g, DIFF_DATA_SIZE);
        break;
    default:
        v = rnd(g) & (rnd(g) | rnd(g));   /* denser in ones than zeros or the other way */
        if (chance(g, 50))
            v = ~v;
        break;
    }
    return v & m;
}

static uint64_t unmapped_addr(struct gen *g, unsigned size)
{
    switch (rndn(g, 5)) {
    case 0: return CODE_END + rndn(g, DIFF_DATA_ADDR - 4096 - CODE_END - size);
    case 1: return DATA_END + 4096 + rndn(g, WINDOW_HI - DATA_END - 4096 - size);
    case 2: return 0x1000 + rndn(g, 0x10000 - 0x1000 - size);
    case 3: return DIFF_CODE_ADDR - 1 - rndn(g, 4096 - size);
    default: return rndn(g, 64);
    }
}

static uint64_t noncanonical_addr(struct gen *g)
{
    uint64_t a;
    switch (rndn(g, 4)) {
    case 0: a = 0x0000800000000000ULL + (rnd(g) & 0x00007FFFFFFFFFFFULL); break;
    case 1: a = 0xFFFF7FFFFFFFFFFFULL - (rnd(g) & 0x00007FFFFFFFFFFFULL); break;
    case 2: a = 0x0000800000000000ULL + rndn(g, 64); break;
    default: a = rnd(g) | 0x4000000000000000ULL; a &= ~0x0000800000000000ULL; break;
    }
    return canonical(a) ? 0x0000800000000000ULL : a;
}

uint64_t gen_data_addr(struct gen *g, unsigned size)
{
    if (size == 0)
        size = 1;
    unsigned r = (unsigned)rndn(g, 100);
    if (r < 70) {
        uint64_t a = DIFF_DATA_ADDR + rndn(g, DIFF_DATA_SIZE - size + 1);
        unsigned k = (unsigned)rndn(g, 100);
        if (g->align && k < 80)
            a &= ~(uint64_t)(g->align - 1);
        else if (k < 25 && (size & (size - 1)) == 0)
            a &= ~(uint64_t)(size - 1);
        else if (k < 40 && size > 1)
            a = DIFF_DATA_ADDR + 4096 * (1 + rndn(g, DIFF_DATA_PAGES - 1)) - 1 - rndn(g, size - 1);
        /* A locked access across a cache line is a split lock: Linux's
         * split-lock detection makes each one sleep 10 ms (and it
         * serializes all processes), so keep them inside one line. */
        if (g->no_split && size <= 64 && (a & 63) + size > 64)
            a = (a & ~63ULL) + 64 - size;
        return a;
    }
    if (r < 76)
        return DATA_END - size + 1 + rndn(g, size);     /* crosses into the guard page above */
    if (r < 82)
        return DIFF_DATA_ADDR - 1 - rndn(g, size);      /* starts in the guard page below */
    if (r < 86)
        return DIFF_CODE_ADDR + rndn(g, 4096);          /* read-only code page */
    if (r < 92)
        return unmapped_addr(g, size);
    if (r < 98)
        return noncanonical_addr(g);
    return USER_TOP + 4096 - 1 - rndn(g, size + 8);     /* end of the user half */
}

uint64_t gen_stack_addr(struct gen *g, unsigned room)
{
    unsigned r = (unsigned)rndn(g, 100);
    uint64_t a;
    if (room > DIFF_DATA_SIZE / 4)
        room = DIFF_DATA_SIZE / 4;
    if (r < 84) {
        a = DIFF_DATA_ADDR + room + rndn(g, DIFF_DATA_SIZE - 2 * room);
        if (chance(g, 80))
            a &= ~7ULL;
    } else if (r < 91) {
        a = DIFF_DATA_ADDR + rndn(g, 24);               /* pushes fault */
    } else if (r < 97) {
        a = DATA_END - rndn(g, 24);                     /* pops fault */
    } else {
        a = noncanonical_addr(g);                       /* #SS(0) */
    }
    return a;
}

uint64_t gen_code_target(struct gen *g)
{
    uint64_t start = DIFF_CODE_ADDR + g->code_off, end = start + g->len;
    unsigned r = (unsigned)rndn(g, 100);
    if (r < 75) {
        uint64_t n = 4096 - g->len;
        uint64_t x = DIFF_CODE_ADDR + rndn(g, n + 1);
        if (chance(g, 30))
            x = end + rndn(g, 8);                       /* just after */
        if (x >= start && x < end)
            x += g->len;
        return x >= CODE_END ? start - 1 - rndn(g, g->code_off + 1) : x;
    }
    if (r < 85)
        return unmapped_addr(g, 1);
    if (r < 90)
        return DIFF_DATA_ADDR + rndn(g, DIFF_DATA_SIZE);   /* not executable */
    if (r < 97)
        return noncanonical_addr(g);
    return 0x1000 + rndn(g, 0xF000);
}

/* ---- registers and memory of the input state ---- */

bool gen_set_gpr(struct gen *g, int r, uint64_t v)
{
    if (g->addr_regs & (1u << r))
        return false;
    if ((g->f->flags & F_STACK) && r == DIFF_RSP)
        return false;
    g->st->gpr[r] = v;
    return true;
}

void gen_pin(struct gen *g, int r, uint64_t v)
{
    g->pinned |= (uint16_t)(1u << r);
    g->st->gpr[r] = v;
}

static bool high_byte(const struct gen *g, int r, unsigned size)
{
    return size == 1 && !g->byteregs_rex && r >= 4 && r < 8;
}

uint64_t gen_reg_read(struct gen *g, int r, unsigned size)
{
    if (high_byte(g, r, size))
        return (g->st->gpr[r - 4] >> 8) & 0xFF;
    return g->st->gpr[r] & mask_of(size);
}

bool gen_reg_write(struct gen *g, int r, unsigned size, uint64_t v)
{
    int phys = high_byte(g, r, size) ? r - 4 : r;
    if (g->addr_regs & (1u << phys))
        return false;
    if ((g->f->flags & F_STACK) && phys == DIFF_RSP)
        return false;
    uint64_t *p = &g->st->gpr[phys];
    if (phys != r)
        *p = (*p & ~0xFF00ULL) | ((v & 0xFF) << 8);
    else
        *p = (*p & ~mask_of(size)) | (v & mask_of(size));
    return true;
}

void gen_mem_write(struct gen *g, uint64_t addr, uint64_t v, unsigned size)
{
    for (unsigned i = 0; i < size; i++) {
        uint64_t a = addr + i;
        if (a >= DIFF_DATA_ADDR && a < DATA_END)
            g->st->mem[a - DIFF_DATA_ADDR] = (uint8_t)(i < 8 ? v >> (8 * i) : 0);
    }
}

uint64_t gen_mem_read(struct gen *g, uint64_t addr, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size && i < 8; i++) {
        uint64_t a = addr + i;
        if (a >= DIFF_DATA_ADDR && a < DATA_END)
            v |= (uint64_t)g->st->mem[a - DIFF_DATA_ADDR] << (8 * i);
    }
    return v;
}

bool gen_rm_write(struct gen *g, uint64_t v)
{
    if (g->mem) {
        gen_mem_write(g, g->ea, v, g->osz);
        return true;
    }
    return g->rmreg >= 0 && gen_reg_write(g, g->rmreg, g->osz, v);
}

uint64_t gen_rm_read(struct gen *g)
{
    if (g->mem)
        return gen_mem_read(g, g->ea, g->osz);
    return g->rmreg >= 0 ? gen_reg_read(g, g->rmreg, g->osz) : 0;
}

/* ---- random state ---- */

#define POOL_SIZE (1u << 20)
static uint8_t *pool;

static void pool_init(uint64_t seed)
{
    struct xrng r;
    struct gen g = { .r = &r };
    xrng_seed(&r, seed, 0x706f6f6cULL);
    pool = malloc(POOL_SIZE + DIFF_DATA_SIZE);
    if (!pool) {
        perror("x86-difftest");
        exit(2);
    }
    for (unsigned i = 0; i < POOL_SIZE + DIFF_DATA_SIZE; i += 8) {
        uint64_t v;
        switch (rndn(&g, 10)) {
        case 0: v = 0; break;
        case 1: v = DIFF_CODE_ADDR + rndn(&g, 4096); break;   /* return addresses */
        case 2: case 3: v = gen_value(&g, 8); break;
        default: v = rnd(&g); break;
        }
        memcpy(pool + i, &v, 8);
    }
}

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* An 80-bit x87 register value from a class of interesting ones. */
static void gen_x87_value(struct gen *g, uint8_t *p)
{
    uint64_t mant = rnd(g);
    uint16_t se = (uint16_t)((rnd(g) & 0x8000) | (0x3FFF - 70 + rndn(g, 140)));
    switch (rndn(g, 12)) {
    case 0: mant = 0; se &= 0x8000; break;                              /* zero */
    case 1: mant = 1ULL << 63; se |= 0x7FFF; break;                     /* infinity */
    case 2: mant |= 3ULL << 62; se |= 0x7FFF; break;                    /* QNaN */
    case 3: mant = (mant & ~(1ULL << 62)) | (1ULL << 63) | 1; se |= 0x7FFF; break;  /* SNaN */
    case 4: mant &= ~(1ULL << 63); se &= 0x8000; break;                 /* denormal */
    case 5: mant &= ~(1ULL << 63); break;                               /* unnormal */
    case 6: mant = (rndn(g, 1000) + 1) << 54 | (1ULL << 63); se = (uint16_t)((se & 0x8000) | (0x3FFF + rndn(g, 10))); break;
    case 7: se = (uint16_t)((se & 0x8000) | rndn(g, 0x7FFF)); mant |= 1ULL << 63; break;
    default: mant |= 1ULL << 63; break;                                 /* normal */
    }
    put64(p, mant);
    put16(p + 8, se);
}

static void gen_xmm_value(struct gen *g, uint8_t *p)
{
    switch (rndn(g, 6)) {
    case 0:
        memset(p, 0, 16);
        break;
    case 1:
        for (int i = 0; i < 4; i++) {
            uint32_t f = (uint32_t)((rnd(g) & 0x807FFFFFu) | ((uint32_t)(127 - 30 + rndn(g, 60)) << 23));
            if (chance(g, 10))
                f = (uint32_t)rnd(g) & 0x807FFFFFu;     /* denormal or zero */
            put32(p + 4 * i, f);
        }
        break;
    case 2:
        for (int i = 0; i < 2; i++) {
            uint64_t d = (rnd(g) & 0x800FFFFFFFFFFFFFULL) | ((1023 - 60 + rndn(g, 120)) << 52);
            put64(p + 8 * i, d);
        }
        break;
    default:
        put64(p, gen_value(g, 8));
        put64(p + 8, gen_value(g, 8));
        break;
    }
}

static void gen_fx(struct gen *g)
{
    uint8_t *fx = g->st->fx.raw;
    memset(fx, 0, 512);
    uint16_t fcw = 0x037F;
    if (chance(g, 25))
        fcw = (uint16_t)((fcw & ~0x0C00) | (rndn(g, 4) << 10));
    if (chance(g, 15)) {
        static const uint16_t pc[] = { 0, 2, 3 };
        fcw = (uint16_t)((fcw & ~0x0300) | (pc[rndn(g, 3)] << 8));
    }
    if (chance(g, 10))
        fcw &= (uint16_t)~(rnd(g) & 0x3F);
    unsigned top = (unsigned)rndn(g, 8);
    uint8_t ftw;
    switch (rndn(g, 4)) {
    case 0: ftw = 0; break;
    case 1: ftw = 0xFF; break;
    default: ftw = (uint8_t)rnd(g); break;
    }
    /* exception flags only for masked exceptions: nothing may be pending */
    uint16_t fsw = (uint16_t)((top << 11) | (rnd(g) & 0x4700));
    if (chance(g, 30))
        fsw |= (uint16_t)(rnd(g) & fcw & 0x3F);
    put16(fx + DIFF_FX_FCW, fcw);
    put16(fx + DIFF_FX_FSW, fsw);
    fx[DIFF_FX_FTW] = ftw;
    uint32_t mx = 0x1F80;
    if (chance(g, 50))
        mx |= (uint32_t)(rnd(g) & 0x3F);
    if (chance(g, 30))
        mx |= (uint32_t)(rndn(g, 4) << 13);
    if (chance(g, 20))
        mx |= 0x40;     /* DAZ */
    if (chance(g, 20))
        mx |= 0x8000;   /* FTZ */
    if (chance(g, 10))
        mx &= ~(uint32_t)(rnd(g) & 0x1F80);
    put32(fx + DIFF_FX_MXCSR, mx);
    put32(fx + DIFF_FX_MXCSR_MASK, 0xFFFF);
    for (int i = 0; i < 8; i++)
        gen_x87_value(g, fx + DIFF_FX_ST(i));
    for (int i = 0; i < 16; i++)
        gen_xmm_value(g, fx + DIFF_FX_XMM(i));
}

static void gen_state(struct gen *g)
{
    struct diff_state *st = g->st;
    for (int i = 0; i < 16; i++)
        st->gpr[i] = gen_value(g, 8);
    st->rflags = 0x202 | (rnd(g) & FL_ARITH) | (chance(g, (g->f->deps & D_DF) ? 40 : 15) ? FL_DF : 0);
    st->fs_base = rnd(g) & 0x00007FFFFFFFF000ULL;
    st->gs_base = chance(g, 50) ? 0 : rnd(g) & 0x00007FFFFFFFFFFFULL;
    gen_fx(g);
    memcpy(st->mem, pool + (rndn(g, POOL_SIZE / 8) * 8), DIFF_DATA_SIZE);
}

/* ---- encoder ---- */

void gen_byte(struct gen *g, uint8_t v)
{
    if (g->len < sizeof g->b)
        g->b[g->len++] = v;
}

void gen_imm_bytes(struct gen *g, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        gen_byte(g, (uint8_t)(v >> (8 * i)));
}

void gen_mark_invalid(struct gen *g)
{
    g->invalid = true;
}

static uint64_t seg_base(struct gen *g)
{
    return g->seg == 0x65 ? g->st->gs_base : 0;
}

/* Solve v * k == x (mod 2^bits) for v; k in {2,3,5,9}; x made even for k=2. */
static uint64_t inv_mod64(uint64_t k)
{
    uint64_t x = k;           /* Newton's iteration; k odd */
    for (int i = 0; i < 6; i++)
        x *= 2 - k * x;
    return x;
}

struct addressing {
    int mod, rm, base, index, scale;   /* base/index -1 = none; scale 1,2,4,8 */
    bool sib, riprel;
    unsigned disp_size;
    int64_t disp;
};

static int64_t rand_disp(struct gen *g, unsigned size)
{
    if (size == 1)
        return (int8_t)rnd(g);
    switch (rndn(g, 4)) {
    case 0: return (int8_t)rnd(g);
    case 1: return (int32_t)rnd(g);
    default: return (int64_t)rndn(g, 0x20000) - 0x10000;
    }
}

static bool fits32(int64_t v)
{
    return v == (int32_t)v;
}

static bool fits8(int64_t v)
{
    return v == (int8_t)v;
}

/* Pick the addressing form and register values so that the access lands
 * at linear address want. Returns false if the pinned registers make that
 * impossible with this choice. */
static bool try_addressing(struct gen *g, uint64_t want, struct addressing *a)
{
    uint64_t m = g->asz == 8 ? ~0ULL : 0xFFFFFFFFULL;
    uint64_t seg = seg_base(g);
    uint64_t t = (want - seg) & m;        /* effective address wanted */
    if (g->asz == 4 && ((want - seg) & ~m) != 0)
        return false;
    uint16_t busy = g->pinned | g->avoid_addr;
    memset(a, 0, sizeof *a);
    a->base = a->index = -1;
    a->scale = 1;
    unsigned kind = (unsigned)rndn(g, 100);
    if (kind < 8) {
        /* RIP-relative: disp32 set once the instruction is placed */
        a->mod = 0;
        a->rm = 5;
        a->riprel = true;
        a->disp_size = 4;
        int64_t d = (int64_t)(t - DIFF_CODE_ADDR);
        return g->asz == 4 ? true : fits32(d + 0x1000) && fits32(d - 0x1000);
    }
    if (kind < 12) {
        /* [disp32], through SIB with no base and no index */
        int64_t d = (int64_t)t;
        if (g->asz == 4)
            d = (int32_t)(uint32_t)t;
        if (!fits32(d) || (g->asz == 8 && (uint64_t)d != t))
            return false;
        a->mod = 0;
        a->rm = 4;
        a->sib = true;
        a->base = -1;
        a->index = -1;
        a->disp_size = 4;
        a->disp = d;
        return true;
    }
    bool use_index = kind >= 55;
    bool use_base = kind < 90;   /* 90..99: index*scale + disp32, no base */
    if (use_index) {
        do
            a->index = (int)rndn(g, 16);
        while (a->index == DIFF_RSP);
        a->scale = 1 << rndn(g, 4);
        a->sib = true;
    }
    if (use_base) {
        a->base = (int)rndn(g, 16);
        if (!use_index && (a->base & 7) == 4)
            a->sib = true;       /* RSP/R12 as base need a SIB byte */
        unsigned dk = (unsigned)rndn(g, 3);
        if (dk == 0 && (a->base & 7) == 5)
            dk = 1;              /* mod=0 with RBP/R13 means "no base" */
        a->mod = (int)dk;
        a->disp_size = dk == 0 ? 0 : dk == 1 ? 1 : 4;
    } else {
        a->mod = 0;
        a->disp_size = 4;
    }
    if (a->sib)
        a->rm = 4;
    else
        a->rm = a->base;
    if (a->base >= 0 && (busy & (1u << a->base)) && !(g->pinned & (1u << a->base)))
        return false;   /* avoided, not pinned */
    if (a->index >= 0 && (busy & (1u << a->index)) && !(g->pinned & (1u << a->index)))
        return false;
    bool bpin = a->base >= 0 && (g->pinned & (1u << a->base));
    bool ipin = a->index >= 0 && (g->pinned & (1u << a->index));
    uint64_t *gpr = g->st->gpr;
    uint64_t s = (uint64_t)a->scale;

    if (a->base >= 0 && a->base == a->index) {
        if (bpin)
            return false;
        /* (1 + s) * v + d == t */
        uint64_t k = 1 + s;
        int64_t d = a->disp_size ? rand_disp(g, a->disp_size) : 0;
        if (k == 2 && ((t - (uint64_t)d) & 1)) {
            if (!a->disp_size)
                return false;
            d ^= 1;
        }
        uint64_t x = (t - (uint64_t)d) & m;
        uint64_t v = k == 2 ? (x >> 1) | (rnd(g) & (1ULL << 63) & m) : x * inv_mod64(k);
        a->disp = d;
        gpr[a->base] = (v & m) | (g->asz == 4 ? rnd(g) << 32 : 0);
        return true;
    }

    int64_t d = a->disp_size ? rand_disp(g, a->disp_size) : 0;
    uint64_t iv = 0;
    if (a->index >= 0) {
        if (ipin) {
            iv = gpr[a->index];
        } else if (!use_base || bpin) {
            /* index is the free part: make t - base - d divisible by s */
            uint64_t bv = bpin ? gpr[a->base] : 0;
            uint64_t x = (t - bv - (uint64_t)d) & m;
            uint64_t r = x & (s - 1);
            if (r) {
                if (!a->disp_size)
                    return false;
                d += (int64_t)r;
                if ((a->disp_size == 1 && !fits8(d)) || !fits32(d))
                    return false;
                x -= r;
            }
            /* any iv with iv * s == x works: randomize the bits the
             * scale shifts out (and, for 32-bit addressing, the upper half) */
            unsigned sh = (unsigned)__builtin_ctzll(s);
            unsigned width = g->asz == 8 ? 64 : 32;
            iv = x >> sh;
            if (sh)
                iv |= rnd(g) << (width - sh);
            if (width == 32)
                iv = (iv & 0xFFFFFFFFULL) | (rnd(g) << 32);
            gpr[a->index] = iv;
        } else {
            iv = gen_value(g, 8);
            if (chance(g, 60))
                iv &= 0xFFF;     /* small indexes keep the base near the data */
            gpr[a->index] = iv;
        }
    }
    uint64_t part = (iv * s + (uint64_t)d) & m;
    if (use_base) {
        if (bpin) {
            uint64_t have = (gpr[a->base] + part) & m;
            if (have != t) {
                /* only the displacement is left to adjust */
                int64_t nd = g->asz == 4 ? d + (int32_t)(uint32_t)(t - have) : d + (int64_t)(t - have);
                if (!a->disp_size || (a->disp_size == 1 && !fits8(nd)) || !fits32(nd))
                    return false;
                d = nd;
            }
        } else {
            uint64_t bv = (t - part) & m;
            if (g->asz == 4)
                bv |= rnd(g) << 32;
            gpr[a->base] = bv;
        }
    } else {
        /* no base: index * s + disp32 == t */
        if (((iv * s + (uint64_t)d) & m) != t) {
            int64_t nd = d + (int64_t)((t - ((iv * s + (uint64_t)d) & m)) & m);
            if (g->asz == 4)
                nd = (int32_t)(uint32_t)nd;
            if (!fits32(nd))
                return false;
            d = nd;
        }
    }
    a->disp = d;
    return true;
}

static void choose_memory(struct gen *g, struct addressing *a)
{
    uint64_t saved[16];
    memcpy(saved, g->st->gpr, sizeof saved);
    for (int tries = 0; tries < 200; tries++) {
        uint64_t want = gen_data_addr(g, g->msize);
        if (g->asz == 4 && !(want < 0x100000000ULL))
            continue;
        uint64_t access = want;
        want -= (uint64_t)g->ea_adjust;   /* the EA that makes the access land there */
        if (g->seg == 0x65) {
            /* a GS base that the address size can still reach */
            if (g->asz == 4)
                g->st->gs_base = chance(g, 50) ? 0 : want - rndn(g, want + 1);
            else if (chance(g, 50))
                g->st->gs_base = rnd(g) & 0x00007FFFFFFFFFFFULL;
            if (!canonical(g->st->gs_base))
                g->st->gs_base = 0;
        }
        if (try_addressing(g, want, a)) {
            uint64_t m = g->asz == 8 ? ~0ULL : 0xFFFFFFFFULL;
            uint64_t ea;
            if (a->riprel)
                ea = want;   /* made exact when placed */
            else {
                uint64_t bv = a->base >= 0 ? g->st->gpr[a->base] : 0;
                uint64_t iv = a->index >= 0 ? g->st->gpr[a->index] : 0;
                ea = (((bv + iv * (uint64_t)a->scale + (uint64_t)a->disp) & m) + seg_base(g)) + (uint64_t)g->ea_adjust;
            }
            if (gen_addr_safe(ea, g->msize ? g->msize : 1) && (a->riprel || ea == access)) {
                g->ea = ea;
                return;
            }
        }
        memcpy(g->st->gpr, saved, sizeof saved);
    }
    /* fall back to a plain RIP-relative access inside the data pages */
    memset(a, 0, sizeof *a);
    a->base = a->index = -1;
    a->scale = 1;
    a->rm = 5;
    a->riprel = true;
    a->disp_size = 4;
    g->seg = 0;
    g->ea = DIFF_DATA_ADDR + 64 + (uint64_t)g->ea_adjust;
}

static struct addressing cur_addr;   /* of the case being generated */

static void emit_modrm(struct gen *g, const struct addressing *a)
{
    g->has_modrm = true;
    int reg = g->reg & 7;
    if (!g->mem) {
        g->modrm = (uint8_t)(0xC0 | (reg << 3) | (g->rmreg & 7));
        gen_byte(g, g->modrm);
        return;
    }
    g->modrm = (uint8_t)((a->mod << 6) | (reg << 3) | (a->rm & 7));
    gen_byte(g, g->modrm);
    if (a->sib) {
        int idx = a->index >= 0 ? a->index & 7 : 4;
        int base = a->base >= 0 ? a->base & 7 : 5;
        int sc = __builtin_ctz((unsigned)a->scale);
        gen_byte(g, (uint8_t)((sc << 6) | (idx << 3) | base));
    }
    if (a->disp_size) {
        g->disp_off = (int)g->len;
        g->disp_size = (int)a->disp_size;
        gen_imm_bytes(g, (uint64_t)a->disp, a->disp_size);
    }
}

static unsigned pick_osz(struct gen *g)
{
    const struct form *f = g->f;
    if (f->osz == OS8)
        return 1;
    if ((f->osz & OS8) && chance(g, 25))
        return 1;
    unsigned opts[3], n = 0;
    if (f->osz & OS16)
        opts[n++] = 2;
    if (f->osz & OS32)
        opts[n++] = 4;
    if (f->osz & OS64)
        opts[n++] = 8;
    if (n == 0)
        return 4;
    /* 16-bit less often: it is the rarest in real code */
    unsigned pick = opts[rndn(g, n)];
    if (pick == 2 && n > 1 && chance(g, 40))
        pick = opts[n - 1];
    return pick;
}

static void shuffle(struct gen *g, uint8_t *p, unsigned n)
{
    for (unsigned i = n; i > 1; i--) {
        unsigned j = (unsigned)rndn(g, i);
        uint8_t t = p[i - 1];
        p[i - 1] = p[j];
        p[j] = t;
    }
}

/* Legacy prefixes from the choices in g, in random order, with the
 * mandatory prefix last. */
void gen_legacy_prefixes(struct gen *g, uint8_t mandatory)
{
    uint8_t p[8];
    unsigned n = 0;
    if (g->p66 && mandatory != 0x66)
        p[n++] = 0x66;
    if (g->p67)
        p[n++] = 0x67;
    if (g->seg)
        p[n++] = g->seg;
    if (g->lock)
        p[n++] = 0xF0;
    if (g->rep && g->rep != mandatory)
        p[n++] = g->rep;
    shuffle(g, p, n);
    for (unsigned i = 0; i < n; i++)
        gen_byte(g, p[i]);
    if (mandatory)
        gen_byte(g, mandatory);
}

void gen_emit_modrm(struct gen *g)
{
    emit_modrm(g, &cur_addr);
}

static void emit_opcode(struct gen *g, uint8_t op)
{
    switch (g->f->map) {
    case MAP_0F: gen_byte(g, 0x0F); break;
    case MAP_0F38: gen_byte(g, 0x0F); gen_byte(g, 0x38); break;
    case MAP_0F3A: gen_byte(g, 0x0F); gen_byte(g, 0x3A); break;
    default: break;
    }
    g->op_off = g->len;
    gen_byte(g, op);
}

static unsigned imm_size(const struct gen *g)
{
    switch (g->f->imm) {
    case IMM_8: return 1;
    case IMM_16: return 2;
    case IMM_32: return 4;
    case IMM_Z: return g->osz <= 2 ? g->osz : 4;
    case IMM_V: return g->osz;
    default: return 0;
    }
}

/* Operand choices of the generic encoder, without emitting anything. */
void gen_operands(struct gen *g)
{
    const struct form *f = g->f;
    g->rmreg = -1;
    g->base = g->index = -1;
    if (f->rm == RM_NONE)
        return;
    if (f->rm == RM_OPREG) {
        g->rmreg = (int)rndn(g, 16);
        return;
    }
    g->reg = f->reg == REG_GPR ? (int)rndn(g, 16) : f->reg;
    bool mem;
    switch (f->rm) {
    case RM_MEM: mem = true; break;
    case RM_REG: mem = false; break;
    default: mem = chance(g, 55); break;
    }
    if (f->rm == RM_MEM && (f->flags & F_MOD3UD) && chance(g, 4)) {
        mem = false;
        gen_mark_invalid(g);
    }
    if (!mem) {
        g->rmreg = (int)rndn(g, 16);
        return;
    }
    g->mem = true;
    if ((f->flags & F_REGNOADDR) && f->reg == REG_GPR)
        g->avoid_addr |= (uint16_t)(1u << g->reg);
    if (!g->msize)
        g->msize = f->msize ? f->msize : g->osz;
    if (f->flags & F_NOACCESS) {
        /* nothing is accessed: any register values will do */
        uint16_t keep = g->pinned;
        g->pinned = 0;
        choose_memory(g, &cur_addr);
        g->pinned = keep;
    } else {
        choose_memory(g, &cur_addr);
    }
    g->base = cur_addr.base;
    g->index = cur_addr.index;
    g->riprel = cur_addr.riprel;
    if (cur_addr.base >= 0)
        g->addr_regs |= (uint16_t)(1u << cur_addr.base);
    if (cur_addr.index >= 0)
        g->addr_regs |= (uint16_t)(1u << cur_addr.index);
}

void gen_generic(struct gen *g)
{
    const struct form *f = g->f;
    bool def64 = (f->flags & F_DEF64) != 0;

    /* prefixes that change operands */
    if (!g->osz) {
        g->osz = pick_osz(g);
        if (def64 && g->osz == 4)
            g->osz = 8;
    }
    bool w = g->osz == 8 && !def64;
    if (def64 && g->osz == 8 && chance(g, 10))
        w = true;                               /* redundant REX.W */
    if (f->flags & F_W64)
        w = true;
    if (g->osz == 1 && chance(g, 5) && !(f->flags & F_NOREX))
        w = true;                               /* ignored on byte forms */
    g->p66 = g->osz == 2 || (g->osz == 1 && !(f->flags & F_NO66) && chance(g, 5));
    if (w && !g->p66 && g->osz == 8 && !(f->flags & F_NO66) && f->mprefix != 0x66 && chance(g, 4))
        g->p66 = true;                          /* REX.W wins over 66 */
    if (def64 && f->osz == OS64 && !(f->flags & F_NO66) && chance(g, 5))
        g->p66 = true;                          /* Intel ignores 66 on near branches */
    if (def64 && f->osz == OS64 && g->p66)
        g->cs_skip = true;                      /* Capstone 4 decodes them as 16-bit */
    if (!g->asz) {
        g->asz = 8;
        if ((f->rm == RM_BOTH || f->rm == RM_MEM) && chance(g, 10)) {
            g->asz = 4;
            g->p67 = true;
        }
    }
    if (f->rm == RM_BOTH || f->rm == RM_MEM) {
        if (!(f->flags & F_NOSEG)) {
            unsigned r = (unsigned)rndn(g, 100);
            if (r < 15)
                g->seg = 0x65;
            else if (r < 25) {
                static const uint8_t ign[] = { 0x26, 0x2E, 0x36, 0x3E };
                g->seg = ign[rndn(g, 4)];
            }
        }
    }
    if ((f->flags & F_REPIGN) && !f->mprefix && chance(g, 8))
        g->rep = chance(g, 50) ? 0xF2 : 0xF3;

    if (f->flags & F_STACK)
        gen_pin(g, DIFF_RSP, gen_stack_addr(g, 64));
    /* LOCK: valid only on lockable forms with a memory operand */
    bool want_lock = (f->flags & F_LOCK) && chance(g, 30);
    g->no_split = want_lock || (f->flags & F_LOCKED);
    if (f->setup)
        f->setup(g);
    gen_operands(g);

    if (want_lock && g->mem)
        g->lock = true;
    else if (!(f->flags & F_NOLOCKUD) && chance(g, 2)) {
        g->lock = true;
        gen_mark_invalid(g);
    }

    /* REX */
    uint8_t rexb = 0;
    if (w)
        rexb |= 8;
    if (f->rm == RM_OPREG) {
        if (g->rmreg & 8)
            rexb |= 1;
    } else if (f->rm != RM_NONE) {
        if (g->reg & 8)
            rexb |= 4;
        if (!g->mem && (g->rmreg & 8))
            rexb |= 1;
        if (g->mem && cur_addr.base >= 0 && (cur_addr.base & 8))
            rexb |= 1;
        if (g->mem && cur_addr.index >= 0 && (cur_addr.index & 8))
            rexb |= 2;
    }
    g->rex = rexb != 0 || (!(f->flags & F_NOREX) && chance(g, 12));
    g->rexbits = rexb;
    g->byteregs_rex = g->rex;

    /* a REX before legacy prefixes is ignored */
    bool stale = !(f->flags & F_NOREX) && chance(g, 2) && (g->p66 || g->p67 || g->seg || g->rep || f->mprefix);
    if (stale) {
        gen_byte(g, (uint8_t)(0x40 | rndn(g, 16)));
        g->cs_skip = true;
    }
    gen_legacy_prefixes(g, f->mprefix);
    if (g->rex)
        gen_byte(g, (uint8_t)(0x40 | rexb));
    uint8_t op = f->op;
    if ((f->osz & OS8) && (f->osz & OSV) && g->osz != 1)
        op |= 1;
    if (f->flags & F_CC)
        op = (uint8_t)(op + rndn(g, 16));
    if (f->rm == RM_OPREG)
        op = (uint8_t)(op + (g->rmreg & 7));
    emit_opcode(g, op);
    if (f->rm != RM_NONE && f->rm != RM_OPREG)
        emit_modrm(g, &cur_addr);
    unsigned is = imm_size(g);
    if (is) {
        g->imm_off = (int)g->len;
        g->imm_size = (int)is;
        g->imm = gen_value(g, is);
        gen_imm_bytes(g, g->imm, is);
    }
}

/* ---- placement ---- */

static void place(struct gen *g)
{
    unsigned len = g->len;
    unsigned r = (unsigned)rndn(g, 100), off;
    if (g->f->flags & F_NOEND)
        r = 0;
    if (r < 70 && (g->f->flags & F_NOEND))
        off = (unsigned)rndn(g, 4096 - 16);
    else if (r < 70)
        off = (unsigned)rndn(g, 4096 - len + 1);
    else if (r < 85)
        off = 4096 - len;
    else
        off = (unsigned)rndn(g, 16);
    g->code_off = off;
    g->st->rip = DIFF_CODE_ADDR + off;
    if (g->mem && g->riprel && g->disp_size == 4) {
        uint64_t next = DIFF_CODE_ADDR + off + g->len;
        uint64_t d = g->ea - (uint64_t)g->ea_adjust - seg_base(g) - next;
        if (g->asz == 4)
            d = (uint64_t)(int64_t)(int32_t)(uint32_t)d;
        for (int i = 0; i < 4; i++)
            g->b[g->disp_off + i] = (uint8_t)(d >> (8 * i));
    }
}

/* Pad with redundant prefixes past the 15-byte limit: #GP(0). */
static void make_too_long(struct gen *g)
{
    uint8_t pad = g->seg ? g->seg : 0x3E;
    unsigned n = 16 - g->len + (unsigned)rndn(g, 3);
    if (g->len + n > sizeof g->b)
        return;
    memmove(g->b + n, g->b, g->len);
    memset(g->b, pad, n);
    g->len += n;
    g->op_off += n;
    if (g->disp_off)
        g->disp_off += (int)n;
    if (g->imm_off)
        g->imm_off += (int)n;
    if (g->rel_off)
        g->rel_off += (int)n;
    if (!g->seg)
        g->seg = pad;
    gen_mark_invalid(g);
}

/* ---- forms and the driver ---- */

static const struct form **forms;
static unsigned nforms;
static uint64_t run_seed;

static bool matches(const char *name, const char *filter)
{
    if (!filter || !*filter)
        return true;
    char buf[256];
    const char *p = filter;
    while (*p) {
        size_t n = strcspn(p, ",");
        if (n >= sizeof buf)
            n = sizeof buf - 1;
        memcpy(buf, p, n);
        buf[n] = 0;
        if (n && (strpbrk(buf, "*?[") ? fnmatch(buf, name, 0) == 0 : strstr(name, buf) != NULL))
            return true;
        p += n;
        if (*p == ',')
            p++;
    }
    return false;
}

bool gen_init(uint64_t seed, const char *filter)
{
    static const struct form_set *const sets[] = {
#define X(s) &s,
        DIFF_FORM_SETS(X)
#undef X
    };
    run_seed = seed;
    unsigned total = 0;
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
        total += sets[i]->count;
    forms = calloc(total ? total : 1, sizeof *forms);
    nforms = 0;
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
        for (unsigned j = 0; j < sets[i]->count; j++)
            if (matches(sets[i]->forms[j].name, filter))
                forms[nforms++] = &sets[i]->forms[j];
    if (!pool)
        pool_init(seed);
    return nforms > 0;
}

unsigned gen_form_count(void)
{
    return nforms;
}

const struct form *gen_form(unsigned i)
{
    return i < nforms ? forms[i] : NULL;
}

void gen_list_forms(void)
{
    for (unsigned i = 0; i < nforms; i++)
        printf("%s\n", forms[i]->name);
}

static void generate(const struct form *f, struct xrng *r, struct diff_state *st, struct gen_case *out)
{
    struct gen g;
    /* a case the worker must not run is a generator bug; try a few
     * more draws (deterministically) before reporting it */
    for (int attempt = 0; attempt < 8; attempt++) {
        memset(&g, 0, sizeof g);
        memset(&cur_addr, 0, sizeof cur_addr);
        g.r = r;
        g.f = f;
        g.st = st;
        gen_state(&g);
        if (f->flags & F_INVALID)
            gen_mark_invalid(&g);
        if (f->flags & F_CS_SKIP)
            g.cs_skip = true;
        if (f->encode)
            f->encode(&g);
        else
            gen_generic(&g);
        if (!(f->flags & F_INVALID) && g.len <= 15 && chance(&g, 1))
            make_too_long(&g);
        place(&g);
        if (f->post)
            f->post(&g);
        if (!g.unsafe)
            break;
    }
    g.undef_flags = f->undef;
    if (f->undef_fn)
        f->undef_fn(&g);
    out->form = f;
    memcpy(out->code, g.b, sizeof out->code);
    out->len = g.len;
    out->code_off = g.code_off;
    out->invalid = g.invalid;
    out->cs_skip = g.cs_skip;
    out->unsafe = g.unsafe;
    out->has_mem = g.mem;
    out->deps = f->deps;
    out->mem_linear = g.ea - (uint64_t)g.ea_adjust;
    out->undef_flags = g.undef_flags;
    out->undef_gpr = g.undef_gpr;
    out->undef_mem_addr = g.undef_mem_addr;
    out->undef_mem_len = g.undef_mem_len;
}

void gen_case(uint64_t idx, struct diff_state *st, struct gen_case *out)
{
    struct xrng r;
    xrng_seed(&r, run_seed, idx);
    unsigned fi = (unsigned)(xrng_next(&r) % nforms);
    generate(forms[fi], &r, st, out);
    out->form_index = fi;
}

void gen_case_form(const struct form *f, uint64_t idx, struct diff_state *st, struct gen_case *out)
{
    struct xrng r;
    xrng_seed(&r, run_seed ^ 0x6361707374306e65ULL, idx);
    generate(f, &r, st, out);
    out->form_index = 0;
    for (unsigned i = 0; i < nforms; i++)
        if (forms[i] == f)
            out->form_index = i;
}
