/* Linear-address memory access for instructions: segmentation, paging and
 * the software TLB (DESIGN.md, "Software TLB"; SDM Vol.3A ch.3-4). The fast
 * paths are inline; anything unusual takes the out-of-line slow path. */
#ifndef XENEMU_MMU_H
#define XENEMU_MMU_H

#include <stdint.h>
#include <string.h>

#include "xenemu/cpu.h"

enum mmu_access { ACC_READ = 0, ACC_WRITE = 1, ACC_EXEC = 2 };

/* #PF error code bits (SDM Vol.3A §4.7). */
enum { PFE_P = 1, PFE_W = 2, PFE_U = 4, PFE_RSVD = 8, PFE_I = 16, PFE_PK = 32 };

uint64_t mmu_read_slow(cpu_t *cpu, int seg, uint64_t ea, unsigned size);
uint64_t mmu_rmw_read_slow(cpu_t *cpu, int seg, uint64_t ea, unsigned size);
void mmu_write_slow(cpu_t *cpu, int seg, uint64_t ea, uint64_t val, unsigned size);
/* Check that [ea, ea+size) may be written, faulting as a write would. */
void mmu_probe_write(cpu_t *cpu, int seg, uint64_t ea, unsigned size);

/* Translate a linear address for an access at the current CPL; faults (#PF)
 * through cpu_raise_pf. Returns the physical address. */
uint64_t mmu_translate(cpu_t *cpu, uint64_t lin, enum mmu_access acc);
/* Same, but for an implicit supervisor access (descriptor tables, TSS). */
uint64_t mmu_translate_sys(cpu_t *cpu, uint64_t lin, enum mmu_access acc);

/* Translate with supervisor rights without faulting the guest (debugger,
 * hypercall arguments): false where the access would fault. Callable
 * inside and outside cpu_run. */
bool mmu_probe(cpu_t *cpu, uint64_t lin, enum mmu_access acc, uint64_t *phys);
/* Copy to/from linear memory through mmu_probe: 0, or -1 if any byte is
 * unmapped or not RAM (nothing is partially reported). Writes invalidate
 * predecoded code. */
int mmu_read_linear(cpu_t *cpu, uint64_t lin, void *dst, size_t len);
int mmu_write_linear(cpu_t *cpu, uint64_t lin, const void *src, size_t len);

/* Host pointer to the executable page holding lin (filling the TLB), for
 * the decoder. Faults like an instruction fetch. *phys gets the page's
 * physical address. NULL if the page is not RAM. */
const uint8_t *mmu_fetch_page(cpu_t *cpu, uint64_t lin, uint64_t *phys);

/* Linear address of ea in segment seg, with the limit, type and canonical
 * checks of SDM Vol.3A §3.4.5 and §5.3; faults with #GP or #SS. */
uint64_t mmu_linear(cpu_t *cpu, int seg, uint64_t ea, unsigned size, enum mmu_access acc);

/* PAE paging's four PDPTE registers (SDM Vol.3A §4.4.1): load them from
 * the table CR3 points at (through EPT in non-root operation), or false
 * and nothing loaded if a present one has reserved bits set. */
bool mmu_load_pdptes(cpu_t *cpu, uint64_t cr3);
bool mmu_pdpte_ok(uint64_t e);
void mmu_set_pdptes(cpu_t *cpu, const uint64_t e[4], uint64_t cr3);

/* ---- the tagged TLB (tlb.c; SDM Vol.3A §4.10, Vol.3C §29) ---- */

void mmu_tlb_init(cpu_t *cpu);
/* Make the context of the current (VPID, PCID, EP4TA) the one in use;
 * cpu_update_mode calls it. */
void mmu_tlb_select(cpu_t *cpu);

#define TLB_ANY (~0ull)
/* Which translations an invalidation drops: -1 / TLB_ANY match all. */
typedef struct tlb_inv {
    int vpid, pcid;
    bool guests_only;     /* every VPID but 0 */
    uint64_t ep4ta;
    bool ept_only;        /* only combined mappings (any EP4TA but 0) */
    uint64_t lin;         /* one page, or TLB_ANY */
    bool keep_global;
} tlb_inv_t;
void mmu_tlb_invalidate(cpu_t *cpu, const tlb_inv_t *w);
void mmu_flush_all(cpu_t *cpu);
void mmu_flush_page(cpu_t *cpu, uint64_t lin);
void mmu_flush_cr3(cpu_t *cpu, uint64_t new_cr3, bool no_flush);
void mmu_flush_vpid(cpu_t *cpu, uint16_t vpid, bool keep_global);
/* Drop write permission from every TLB entry mapping this physical page
 * (it is now watched: predecoded code or a MONITOR line). */
void mmu_protect_code_page(cpu_t *cpu, uint64_t phys);

static inline tlb_entry_t *mmu_tlb_entry(cpu_t *cpu, uint64_t lin)
{
    return &cpu->tlb[(lin >> 12) & (TLB_SIZE - 1)];
}

/* A load through the TLB tag `tag` (tag_r for reads, tag_w for the read
 * half of a read-modify-write), else the slow path `slow`. */
#define MMU_FAST_LOAD(name, tag, slow, bits)                                         \
    static inline uint##bits##_t name##bits(cpu_t *cpu, int seg, uint64_t ea)       \
    {                                                                                \
        if (__builtin_expect(cpu->code_mode == CM_64, 1)) {                          \
            uint64_t lin = ea + cpu->seg_lin_base[seg];                              \
            tlb_entry_t *e = mmu_tlb_entry(cpu, lin);                                \
            if (__builtin_expect(e->tag == (lin & ~0xfffull) &&                      \
                                     (lin & 0xfff) <= 4096 - (bits) / 8, 1)) {       \
                uint##bits##_t v;                                                    \
                memcpy(&v, (const void *)(uintptr_t)(lin + e->addend), sizeof v);   \
                return v;                                                            \
            }                                                                        \
        }                                                                            \
        return (uint##bits##_t)slow(cpu, seg, ea, (bits) / 8);                       \
    }
#define MMU_FAST_READ(bits) MMU_FAST_LOAD(mmu_read, tag_r, mmu_read_slow, bits)

#define MMU_FAST_WRITE(bits)                                                         \
    static inline void mmu_write##bits(cpu_t *cpu, int seg, uint64_t ea, uint##bits##_t v) \
    {                                                                                \
        if (__builtin_expect(cpu->code_mode == CM_64, 1)) {                          \
            uint64_t lin = ea + cpu->seg_lin_base[seg];                              \
            tlb_entry_t *e = mmu_tlb_entry(cpu, lin);                                \
            if (__builtin_expect(e->tag_w == (lin & ~0xfffull) &&                    \
                                     (lin & 0xfff) <= 4096 - (bits) / 8, 1)) {       \
                memcpy((void *)(uintptr_t)(lin + e->addend), &v, sizeof v);          \
                return;                                                              \
            }                                                                        \
        }                                                                            \
        mmu_write_slow(cpu, seg, ea, v, (bits) / 8);                                 \
    }

/* The read half of a read-modify-write instruction checks write access: a
 * fault reports W=1 even though nothing was written yet (as the host CPU
 * does for ADD [mem], reg on a not-present page). */
#define MMU_FAST_RMW(bits) MMU_FAST_LOAD(mmu_rmw_read, tag_w, mmu_rmw_read_slow, bits)

MMU_FAST_READ(8)
MMU_FAST_READ(16)
MMU_FAST_READ(32)
MMU_FAST_READ(64)
MMU_FAST_WRITE(8)
MMU_FAST_WRITE(16)
MMU_FAST_WRITE(32)
MMU_FAST_WRITE(64)
MMU_FAST_RMW(8)
MMU_FAST_RMW(16)
MMU_FAST_RMW(32)
MMU_FAST_RMW(64)

/* Size-generic forms for handlers written once for all operand sizes. */
static inline uint64_t mmu_read(cpu_t *cpu, int seg, uint64_t ea, unsigned size)
{
    switch (size) {
    case 1: return mmu_read8(cpu, seg, ea);
    case 2: return mmu_read16(cpu, seg, ea);
    case 4: return mmu_read32(cpu, seg, ea);
    default: return mmu_read64(cpu, seg, ea);
    }
}

static inline uint64_t mmu_rmw_read(cpu_t *cpu, int seg, uint64_t ea, unsigned size)
{
    switch (size) {
    case 1: return mmu_rmw_read8(cpu, seg, ea);
    case 2: return mmu_rmw_read16(cpu, seg, ea);
    case 4: return mmu_rmw_read32(cpu, seg, ea);
    default: return mmu_rmw_read64(cpu, seg, ea);
    }
}

static inline void mmu_write(cpu_t *cpu, int seg, uint64_t ea, uint64_t v, unsigned size)
{
    switch (size) {
    case 1: mmu_write8(cpu, seg, ea, (uint8_t)v); break;
    case 2: mmu_write16(cpu, seg, ea, (uint16_t)v); break;
    case 4: mmu_write32(cpu, seg, ea, (uint32_t)v); break;
    default: mmu_write64(cpu, seg, ea, v); break;
    }
}

/* Alignment is a property of the linear address (segment base included). */
static inline bool mmu_misaligned(const cpu_t *cpu, int seg, uint64_t ea, unsigned align)
{
    uint64_t base = cpu->code_mode == CM_64 ? cpu->seg_lin_base[seg] : cpu->seg[seg].base;
    return ((ea + base) & (align - 1)) != 0;
}

/* 128-bit access for SSE: `aligned` demands 16-byte alignment (#GP(0)). */
void mmu_read128(cpu_t *cpu, int seg, uint64_t ea, void *dst, bool aligned);
void mmu_write128(cpu_t *cpu, int seg, uint64_t ea, const void *src, bool aligned);
/* Arbitrary-length access (FXSAVE, FSAVE, ...), all-or-nothing on faults. */
void mmu_read_bytes(cpu_t *cpu, int seg, uint64_t ea, void *dst, unsigned len);
void mmu_write_bytes(cpu_t *cpu, int seg, uint64_t ea, const void *src, unsigned len);

#endif
