/* The predecoded-block cache: blocks are decoded once, found again by
 * physical address and decode key, and dropped when a store hits their page
 * (self-modifying code, DESIGN.md). Blocks live in one arena that is reset
 * when full, so creating a block never calls malloc. */
#include "block.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "xenemu/mmu.h"

#define HASH_BITS 16
#define ARENA_SIZE (64u << 20)

static unsigned hash_of(uint64_t phys, uint32_t key)
{
    uint64_t h = (phys ^ ((uint64_t)key << 40)) * 0x9e3779b97f4a7c15ull;
    return (unsigned)(h >> (64 - HASH_BITS));
}

static unsigned jc_index(uint64_t lin)
{
    return (unsigned)((lin ^ (lin >> 12)) & 4095);
}

int block_cache_init(machine_t *m)
{
    struct block_cache *bc = calloc(1, sizeof *bc);
    if (!bc)
        return -1;
    bc->arena_size = ARENA_SIZE;
    bc->arena = mmap(NULL, bc->arena_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    bc->hash = calloc(1u << HASH_BITS, sizeof *bc->hash);
    bc->npages = m->mem.ram_top >> 12;
    bc->page_head = bc->npages ? calloc(bc->npages, sizeof *bc->page_head) : NULL;
    if (bc->arena == MAP_FAILED || !bc->hash || (bc->npages && !bc->page_head)) {
        if (bc->arena != MAP_FAILED)
            munmap(bc->arena, bc->arena_size);
        free(bc->hash);
        free(bc->page_head);
        free(bc);
        return -1;
    }
    m->blocks = bc;
    return 0;
}

void block_cache_destroy(machine_t *m)
{
    struct block_cache *bc = m->blocks;
    if (!bc)
        return;
    munmap(bc->arena, bc->arena_size);
    free(bc->hash);
    free(bc->page_head);
    free(bc);
    m->blocks = NULL;
}

/* Drop every block: called between blocks only, so nothing runs from the arena. */
static void flush_all(machine_t *m)
{
    struct block_cache *bc = m->blocks;
    bc->used = 0;
    bc->generation++;
    memset(bc->hash, 0, (sizeof *bc->hash) << HASH_BITS);
    if (bc->page_head)
        memset(bc->page_head, 0, bc->npages * sizeof *bc->page_head);
    for (uint64_t p = 0; m->mem.code_pages && p < m->mem.ram_top >> 12; p++)
        m->mem.code_pages[p] &= (uint8_t)~PHYS_WATCH_CODE;   /* MONITOR lines stay watched */
    for (int i = 0; i < m->ncpu; i++)
        memset(m->cpu[i]->jcache, 0, sizeof m->cpu[i]->jcache);
}

static block_t *alloc_block(machine_t *m, unsigned n)
{
    struct block_cache *bc = m->blocks;
    size_t sz = (sizeof(block_t) + n * sizeof(insn_t) + 15) & ~(size_t)15;
    if (bc->used + sz > bc->arena_size)
        flush_all(m);
    block_t *b = (block_t *)(bc->arena + bc->used);
    bc->used += sz;
    return b;
}

static void mark_code_page(machine_t *m, uint64_t phys)
{
    uint64_t pfn = phys >> 12;
    if (pfn >= m->blocks->npages || (m->mem.code_pages[pfn] & PHYS_WATCH_CODE))
        return;
    bool watched = m->mem.code_pages[pfn] != 0;   /* then no TLB maps it writable */
    m->mem.code_pages[pfn] |= PHYS_WATCH_CODE;
    for (int i = 0; !watched && i < m->ncpu; i++)
        mmu_protect_code_page(m->cpu[i], phys);
}

/* RAM can grow after the cache was made (memory hotplug, populate_physmap). */
static bool grow_pages(machine_t *m, uint64_t pfn)
{
    struct block_cache *bc = m->blocks;
    uint64_t want = m->mem.ram_top >> 12;
    if (pfn >= want)
        return false;
    block_t **n = realloc(bc->page_head, want * sizeof *n);
    if (!n)
        return false;
    memset(n + bc->npages, 0, (want - bc->npages) * sizeof *n);
    bc->page_head = n;
    bc->npages = want;
    return true;
}

static void link_page(machine_t *m, block_t *b, uint64_t phys, int which)
{
    uint64_t pfn = phys >> 12;
    if (pfn >= m->blocks->npages && !grow_pages(m, pfn))
        return;
    b->pnext[which] = m->blocks->page_head[pfn];
    m->blocks->page_head[pfn] = b;
    mark_code_page(m, phys);
}

static block_t **page_next(block_t *b, uint64_t pfn)
{
    return (b->phys >> 12) == pfn ? &b->pnext[0] : &b->pnext[1];
}

static void unhash(struct block_cache *bc, block_t *b)
{
    block_t **pp = &bc->hash[hash_of(b->phys, b->key)];
    while (*pp && *pp != b)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = b->hnext;
}

static void unlink_other_page(struct block_cache *bc, block_t *b, uint64_t pfn)
{
    uint64_t other = (b->phys >> 12) == pfn ? (b->phys2 == ~0ull ? ~0ull : b->phys2 >> 12) : b->phys >> 12;
    if (other == ~0ull || other >= bc->npages)
        return;
    block_t **pp = &bc->page_head[other];
    while (*pp && *pp != b)
        pp = page_next(*pp, other);
    if (*pp)
        *pp = *page_next(b, other);
}

void machine_code_written(machine_t *m, uint64_t phys)
{
    struct block_cache *bc = m->blocks;
    uint64_t pfn = phys >> 12;
    if (!bc || pfn >= bc->npages)
        return;
    block_t *b = bc->page_head[pfn];
    bc->page_head[pfn] = NULL;
    m->mem.code_pages[pfn] &= (uint8_t)~PHYS_WATCH_CODE;
    while (b) {
        block_t *next = *page_next(b, pfn);
        b->valid = false;
        unhash(bc, b);
        unlink_other_page(bc, b, pfn);
        /* A running block sees its remaining instructions turn stale, so
         * the store's own block stops right after the store. */
        for (unsigned i = 0; i < b->n; i++)
            b->insn[i].fn = insn_stale;
        b = next;
    }
}

void insn_stale(cpu_t *cpu, const insn_t *in)
{
    cpu->r[R_RIP] -= in->len;
    cpu->unwind = UNWIND_STALE;
    longjmp(cpu->unwind_jmp, 1);
}

static void insn_gp_toolong(cpu_t *cpu, const insn_t *in)
{
    (void)in;
    cpu_gp0(cpu);
}

/* Decode the instruction at lin into *in, fetching across a page end when
 * needed. Returns false if it needs bytes of a next page that cannot be
 * fetched and `may_fault` is false. */
static bool decode_at(cpu_t *cpu, uint64_t lin, const uint8_t *page, insn_t *in, bool may_fault, uint64_t *phys2)
{
    unsigned off = lin & 0xfff;
    unsigned avail = 4096 - off;
    if (avail > 15)
        avail = 15;
    int len = insn_decode(cpu, page + off, avail, in);
    *phys2 = ~0ull;
    if (len == 0) {
        /* Straddles the page end: join the two pages' bytes. */
        uint8_t buf[16];
        memcpy(buf, page + off, avail);
        uint64_t nlin = (lin | 0xfff) + 1;
        if (cpu->code_mode != CM_64)
            nlin = (uint32_t)nlin;
        if (!may_fault) {
            tlb_entry_t *e = mmu_tlb_entry(cpu, nlin);
            if (e->tag_x != (nlin & ~0xfffull))
                return false;
        }
        uint64_t p2;
        const uint8_t *page2 = mmu_fetch_page(cpu, nlin, &p2);
        if (!page2)
            return false;
        memcpy(buf + avail, page2, 15 - avail);
        len = insn_decode(cpu, buf, 15, in);
        *phys2 = p2;
    }
    if (len < 0) {
        in->fn = insn_gp_toolong;
        in->len = 15;
    }
    return true;
}

/* A chain may follow only direct near branches and fall-through: every
 * other block end may change mode, mapping or segment base. */
static bool is_chain_exit(const insn_t *in)
{
    if (!(in->flags & INF_END))
        return true;
    if (in->map == MAP_1B)
        return (in->op >= 0x70 && in->op <= 0x7f) || in->op == 0xe8 || in->op == 0xe9 || in->op == 0xeb ||
               (in->op >= 0xe0 && in->op <= 0xe3);
    return in->map == MAP_0F && in->op >= 0x80 && in->op <= 0x8f;
}

static uint64_t current_lin(const cpu_t *cpu)
{
    uint64_t lin = cpu->seg[SEG_CS].base + cpu->r[R_RIP];
    return cpu->code_mode == CM_64 ? cpu->r[R_RIP] : (uint32_t)lin;
}

static block_t *decode_block(cpu_t *cpu, uint64_t lin, uint64_t phys, const uint8_t *page)
{
    machine_t *m = cpu->m;
    insn_t tmp[BLOCK_MAX_INSNS];
    unsigned n = 0;
    uint64_t phys2 = ~0ull;
    uint64_t at = lin;
    while (n < BLOCK_MAX_INSNS) {
        uint64_t p2;
        if (!decode_at(cpu, at, page, &tmp[n], n == 0, &p2))
            break;
        if (p2 != ~0ull && n > 0)
            break;          /* a straddling instruction gets a block of its own */
        phys2 = p2;
        at += tmp[n].len;
        n++;
        if (phys2 != ~0ull || insn_ends_block(&tmp[n - 1]) || (at & 0xfff) == 0 ||
            (at & ~0xfffull) != (lin & ~0xfffull))
            break;
    }
    if (m->blocks->used + sizeof(block_t) + n * sizeof(insn_t) + 16 > m->blocks->arena_size)
        flush_all(m);
    block_t *b = alloc_block(m, n);
    b->lin = lin;
    b->phys = phys;
    b->phys2 = phys2;
    b->key = cpu->decode_key;
    b->n = (uint16_t)n;
    b->valid = true;
    b->link[0] = b->link[1] = NULL;
    b->chainable = n > 0 && phys2 == ~0ull && is_chain_exit(&tmp[n - 1]);
    memcpy(b->insn, tmp, n * sizeof(insn_t));
    unsigned h = hash_of(phys, b->key);
    b->hnext = m->blocks->hash[h];
    m->blocks->hash[h] = b;
    b->pnext[0] = b->pnext[1] = NULL;
    link_page(m, b, phys, 0);
    if (phys2 != ~0ull)
        link_page(m, b, phys2, 1);
    return b;
}

/* A straddling block is only valid while its second page still maps to
 * the same frame. */
static bool tail_matches(cpu_t *cpu, const block_t *b)
{
    if (b->phys2 == ~0ull)
        return true;
    uint64_t nlin = (b->lin | 0xfff) + 1;
    if (cpu->code_mode != CM_64)
        nlin = (uint32_t)nlin;
    uint64_t p2;
    return mmu_fetch_page(cpu, nlin, &p2) && p2 == b->phys2;
}

block_t *block_lookup(cpu_t *cpu)
{
    uint64_t lin = current_lin(cpu);
    uint64_t page_phys;
    const uint8_t *page = mmu_fetch_page(cpu, lin, &page_phys);
    if (!page)
        cpu_raise_err(cpu, EXC_GP, 0);   /* executing from MMIO is not supported */
    uint64_t phys = page_phys | (lin & 0xfff);
    block_t **jc = &cpu->jcache[jc_index(lin)];
    block_t *b = *jc;
    if (b && b->valid && b->lin == lin && b->phys == phys && b->key == cpu->decode_key && tail_matches(cpu, b))
        return b;
    for (b = cpu->m->blocks->hash[hash_of(phys, cpu->decode_key)]; b; b = b->hnext)
        if (b->phys == phys && b->key == cpu->decode_key && b->lin == lin && tail_matches(cpu, b))
            break;
    if (!b)
        b = decode_block(cpu, lin, phys, page);
    *jc = b;
    return b;
}

/* Chaining skips the TLB and the hash: it is safe because a successor on
 * the same linear page shares the predecessor's translation, which was
 * checked when the chain began, and only instructions that end chains can
 * change translations or the decode key. */
block_t *block_next(cpu_t *cpu, block_t *prev)
{
    uint64_t lin = current_lin(cpu);
    block_t *b = block_lookup(cpu);
    if (prev && prev->chainable && prev->valid && b->phys2 == ~0ull &&
        (b->lin >> 12) == (prev->lin >> 12)) {
        int slot = prev->link[0] && prev->link[0]->lin != lin ? 1 : 0;
        prev->link[slot] = b;
    }
    return b;
}
