/* Physical memory map: RAM regions backed by anonymous mmap (sparse: pages
 * cost host memory only once touched) and MMIO regions with handlers. */
#include "xenemu/phys.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

void phys_init(phys_mem_t *pm)
{
    memset(pm, 0, sizeof *pm);
}

void phys_destroy(phys_mem_t *pm)
{
    for (int i = 0; i < pm->nregion; i++)
        if (pm->region[i].host && !pm->region[i].external)
            munmap(pm->region[i].host, pm->region[i].size);
    if (pm->code_pages)
        munmap(pm->code_pages, pm->ram_top >> 12);
    memset(pm, 0, sizeof *pm);
}

static bool overlaps(const phys_mem_t *pm, uint64_t start, uint64_t size)
{
    for (int i = 0; i < pm->nregion; i++) {
        const phys_region_t *r = &pm->region[i];
        if (start < r->start + r->size && r->start < start + size)
            return true;
    }
    return false;
}

static int insert_region(phys_mem_t *pm, const phys_region_t *nr)
{
    if (pm->nregion == PHYS_MAX_REGIONS || nr->size == 0 || nr->start + nr->size < nr->start ||
        overlaps(pm, nr->start, nr->size))
        return -1;
    int i = pm->nregion;
    while (i > 0 && pm->region[i - 1].start > nr->start) {
        pm->region[i] = pm->region[i - 1];
        i--;
    }
    pm->region[i] = *nr;
    pm->nregion++;
    return 0;
}

/* The code-page map covers every RAM page; grow it when RAM grows. */
static int grow_code_map(phys_mem_t *pm, uint64_t new_top)
{
    if (new_top <= pm->ram_top)
        return 0;
    size_t n = (size_t)(new_top >> 12);
    uint8_t *map = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (map == MAP_FAILED)
        return -1;
    if (pm->code_pages) {
        memcpy(map, pm->code_pages, (size_t)(pm->ram_top >> 12));
        munmap(pm->code_pages, (size_t)(pm->ram_top >> 12));
    }
    pm->code_pages = map;
    pm->ram_top = new_top;
    return 0;
}

int phys_add_ram(phys_mem_t *pm, uint64_t start, uint64_t size)
{
    if ((start | size) & 0xfff)
        return -1;
    phys_region_t r = { .start = start, .size = size };
    r.host = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (r.host == MAP_FAILED)
        return -1;
    if (insert_region(pm, &r) < 0 || grow_code_map(pm, start + size) < 0) {
        munmap(r.host, size);
        return -1;
    }
    return 0;
}

int phys_add_ram_host(phys_mem_t *pm, uint64_t start, uint64_t size, void *host)
{
    if ((start | size) & 0xfff || !host)
        return -1;
    phys_region_t r = { .start = start, .size = size, .host = host, .external = true };
    return insert_region(pm, &r) < 0 || grow_code_map(pm, start + size) < 0 ? -1 : 0;
}

int phys_add_mmio(phys_mem_t *pm, uint64_t start, uint64_t size, const mmio_ops_t *ops, void *opaque)
{
    phys_region_t r = { .start = start, .size = size, .ops = ops, .opaque = opaque };
    return insert_region(pm, &r);
}

const phys_region_t *phys_find(const phys_mem_t *pm, uint64_t addr)
{
    int lo = 0, hi = pm->nregion - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        const phys_region_t *r = &pm->region[mid];
        if (addr < r->start)
            hi = mid - 1;
        else if (addr - r->start >= r->size)
            lo = mid + 1;
        else
            return r;
    }
    return NULL;
}

uint8_t *phys_ram_ptr(const phys_mem_t *pm, uint64_t addr, uint64_t len)
{
    const phys_region_t *r = phys_find(pm, addr);
    if (!r || !r->host || len > r->size - (addr - r->start))
        return NULL;
    return r->host + (addr - r->start);
}

uint64_t phys_read(phys_mem_t *pm, uint64_t addr, unsigned size)
{
    const phys_region_t *r = phys_find(pm, addr);
    if (r && r->host && size <= r->size - (addr - r->start)) {
        uint64_t v = 0;
        memcpy(&v, r->host + (addr - r->start), size);
        return v;
    }
    if (r && r->ops && size <= r->size - (addr - r->start))
        return r->ops->read(r->opaque, addr - r->start, size);
    /* Straddles regions or hits nothing: assemble byte by byte. */
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        const phys_region_t *b = phys_find(pm, addr + i);
        uint64_t byte = 0xff;
        if (b && b->host)
            byte = b->host[addr + i - b->start];
        else if (b && b->ops)
            byte = b->ops->read(b->opaque, addr + i - b->start, 1) & 0xff;
        v |= byte << (8 * i);
    }
    return v;
}

void phys_write(phys_mem_t *pm, uint64_t addr, uint64_t value, unsigned size)
{
    const phys_region_t *r = phys_find(pm, addr);
    if (r && r->host && size <= r->size - (addr - r->start)) {
        memcpy(r->host + (addr - r->start), &value, size);
        return;
    }
    if (r && r->ops && size <= r->size - (addr - r->start)) {
        r->ops->write(r->opaque, addr - r->start, value, size);
        return;
    }
    for (unsigned i = 0; i < size; i++) {
        const phys_region_t *b = phys_find(pm, addr + i);
        uint8_t byte = (uint8_t)(value >> (8 * i));
        if (b && b->host)
            b->host[addr + i - b->start] = byte;
        else if (b && b->ops)
            b->ops->write(b->opaque, addr + i - b->start, byte, 1);
    }
}

bool phys_copy_to(phys_mem_t *pm, uint64_t addr, const void *src, size_t len)
{
    uint8_t *p = phys_ram_ptr(pm, addr, len);
    if (!p)
        return false;
    memcpy(p, src, len);
    return true;
}

bool phys_copy_from(phys_mem_t *pm, void *dst, uint64_t addr, size_t len)
{
    const uint8_t *p = phys_ram_ptr(pm, addr, len);
    if (!p)
        return false;
    memcpy(dst, p, len);
    return true;
}
