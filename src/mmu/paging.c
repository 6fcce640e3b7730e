/* Linear-to-physical translation: the page walks of SDM Vol.3A ch.4 in every
 * paging mode (32-bit with PSE, PAE, 4-level), permission checks, accessed
 * and dirty bits, and the software-TLB fill. In VMX non-root operation with
 * EPT every guest-physical address (paging-structure entries and the final
 * address) goes through the EPT walk (SDM Vol.3C §29.3.2); the TLB caches
 * the combined translation. */
#include <string.h>

#include "xenemu/machine.h"
#include "xenemu/mmu.h"
#include "xenemu/vmx.h"

#define MAXPHYADDR 40
#define PHYS_MASK (((1ull << MAXPHYADDR) - 1) & ~0xfffull)

enum {
    PTE_P = 1ull << 0, PTE_RW = 1ull << 1, PTE_US = 1ull << 2, PTE_A = 1ull << 5,
    PTE_D = 1ull << 6, PTE_PS = 1ull << 7, PTE_G = 1ull << 8,
};
#define PTE_NX (1ull << 63)

typedef struct walk {
    uint64_t phys;        /* translated address */
    uint64_t page;        /* physical 4 KiB frame holding it */
    bool user, writable, exec, global;
    bool dirty;           /* the leaf's D bit is set: a write needs no walk */
    bool ept_r, ept_w, ept_x;   /* what EPT lets the TLB cache (all true without EPT) */
} walk_t;

/* Reserved bits of a 64-bit entry at `level` (1 = PTE ... 4 = PML4E) when it
 * maps a large page or not (SDM Vol.3A §4.5, Tables 4-15 to 4-20; PAE also
 * reserves bits 62:52, Tables 4-9 to 4-11). */
static uint64_t rsvd_mask(const cpu_t *cpu, int level, bool large, bool pae)
{
    uint64_t m = ~((1ull << MAXPHYADDR) - 1) & ((1ull << 52) - 1);
    if (pae)
        m |= 0x7ff0000000000000ull;
    if (!(cpu->efer & EFER_NXE))
        m |= PTE_NX;
    if (level == 4)
        m |= PTE_PS;
    if (large && level == 3)
        m |= 0x3fffe000ull;      /* bits 29:13 */
    if (large && level == 2)
        m |= 0x1fe000ull;        /* bits 20:13 */
    return m;
}

/* A paging-structure entry's guest-physical address, through EPT when it
 * is active (a violation is a VM exit). */
static uint64_t pte_hpa(cpu_t *cpu, uint64_t lin, uint64_t addr, enum mmu_access acc)
{
    if (!vmx_ept_active(cpu))
        return addr;
    vmx_xlate_t x;
    vmx_ept_xlate(cpu, addr, acc, false, true, lin, &x);
    return x.hpa;
}

bool mmu_pdpte_ok(uint64_t e)
{
    return !(e & PTE_P) || !(e & (~((1ull << MAXPHYADDR) - 1) | 0x1e6ull));
}

void mmu_set_pdptes(cpu_t *cpu, const uint64_t e[4], uint64_t cr3)
{
    memcpy(cpu->pdpte, e, sizeof cpu->pdpte);
    cpu->pdpte_cr3 = cr3;
    cpu->pdpte_valid = true;
}

bool mmu_load_pdptes(cpu_t *cpu, uint64_t cr3)
{
    uint64_t base = cr3 & 0xffffffe0ull, e[4];
    for (unsigned i = 0; i < 4; i++) {
        uint64_t addr = base + 8 * i;
        if (vmx_ept_active(cpu)) {      /* no guest-linear address (Vol.3C Table 27-7) */
            vmx_xlate_t x;
            vmx_ept_xlate(cpu, addr, ACC_READ, false, false, 0, &x);
            addr = x.hpa;
        }
        e[i] = phys_read(&cpu->m->mem, addr, 8);
        if (!mmu_pdpte_ok(e[i]))
            return false;
    }
    mmu_set_pdptes(cpu, e, cr3);
    return true;
}

static uint64_t read_pte(cpu_t *cpu, uint64_t lin, uint64_t addr, unsigned size)
{
    return phys_read(&cpu->m->mem, pte_hpa(cpu, lin, addr, ACC_READ), size);
}

static void write_pte(cpu_t *cpu, uint64_t lin, uint64_t addr, uint64_t v, unsigned size)
{
    addr = pte_hpa(cpu, lin, addr, ACC_WRITE);
    phys_write(&cpu->m->mem, addr, v, size);
    machine_phys_written(cpu->m, addr, size);
}

/* Set A (and D for the leaf of a write) where missing (SDM Vol.3A §4.8). */
static void touch(cpu_t *cpu, uint64_t lin, uint64_t addr, uint64_t *e, uint64_t bits, unsigned size)
{
    if ((*e & bits) != bits) {
        *e |= bits;
        write_pte(cpu, lin, addr, *e, size);
    }
}

/* Fault unless the combined rights allow the access (SDM Vol.3A §4.6). */
static void check_rights(cpu_t *cpu, uint64_t lin, const walk_t *w, enum mmu_access acc, bool user, bool implicit)
{
    uint32_t err = PFE_P | (acc == ACC_WRITE ? PFE_W : 0) | (user ? PFE_U : 0) |
                   (acc == ACC_EXEC && (cpu->efer & EFER_NXE) ? PFE_I : 0);
    if (user) {
        if (!w->user || (acc == ACC_WRITE && !w->writable) || (acc == ACC_EXEC && !w->exec))
            cpu_raise_pf(cpu, lin, err);
        return;
    }
    if (acc == ACC_EXEC) {
        if (!w->exec || (w->user && (cpu->cr4 & CR4_SMEP)))
            cpu_raise_pf(cpu, lin, err);
        return;
    }
    if (acc == ACC_WRITE && !w->writable && (cpu->cr0 & CR0_WP))
        cpu_raise_pf(cpu, lin, err);
    if (w->user && (cpu->cr4 & CR4_SMAP) && (implicit || !(cpu->rflags & F_AC)))
        cpu_raise_pf(cpu, lin, err);
}

static void walk_fault(cpu_t *cpu, uint64_t lin, enum mmu_access acc, bool user, uint32_t extra)
{
    uint32_t err = extra | (acc == ACC_WRITE ? PFE_W : 0) | (user ? PFE_U : 0) |
                   (acc == ACC_EXEC && (cpu->efer & EFER_NXE) ? PFE_I : 0);
    cpu_raise_pf(cpu, lin, err);
}

/* 4-level and PAE walks share the 64-bit entry format. */
static void walk64(cpu_t *cpu, uint64_t lin, enum mmu_access acc, bool user, walk_t *w)
{
    bool pae = !(cpu->efer & EFER_LMA);
    int level = pae ? 3 : 4;
    uint64_t table = pae ? (cpu->cr3 & 0xffffffe0ull) : (cpu->cr3 & PHYS_MASK);
    uint64_t addrs[5], ents[5];
    w->user = w->writable = w->exec = true;
    for (;;) {
        unsigned shift = 12 + 9 * (level - 1);
        unsigned idx = pae && level == 3 ? (lin >> 30) & 3 : (lin >> shift) & 511;
        uint64_t ea = table + idx * 8;
        /* PAE PDPTEs come from the registers MOV CR3 or VM entry loaded
         * (§4.4.1, Vol.3C §27.3.2.4). */
        bool pdpte_reg = pae && level == 3 && cpu->pdpte_valid && cpu->pdpte_cr3 == cpu->cr3;
        uint64_t e = pdpte_reg ? cpu->pdpte[idx] : read_pte(cpu, lin, ea, 8);
        addrs[level] = ea;
        ents[level] = e;
        if (!(e & PTE_P))
            walk_fault(cpu, lin, acc, user, 0);
        bool large = (level == 2 || (level == 3 && !pae)) && (e & PTE_PS);
        uint64_t rsvd = rsvd_mask(cpu, level, large, pae);
        if (pae && level == 3)
            rsvd = ~((1ull << MAXPHYADDR) - 1) | 0x1e6ull;   /* PDPTE, SDM Vol.3A Table 4-8 */
        if (e & rsvd)
            walk_fault(cpu, lin, acc, user, PFE_P | PFE_RSVD);
        if (!(pae && level == 3)) {
            w->user &= !!(e & PTE_US);
            w->writable &= !!(e & PTE_RW);
            w->exec &= !(e & PTE_NX) || !(cpu->efer & EFER_NXE);
        }
        if (level == 1 || large) {
            uint64_t off_mask = (1ull << shift) - 1;
            w->phys = (e & PHYS_MASK & ~off_mask) | (lin & off_mask);
            w->global = (e & PTE_G) && (cpu->cr4 & CR4_PGE);
            break;
        }
        table = e & PHYS_MASK;
        level--;
    }
    check_rights(cpu, lin, w, acc, user, false);
    /* Accessed on every level, dirty on the leaf (PAE PDPTEs have no A bit). */
    int top = pae ? 2 : 4;
    int leaf = level;
    for (int l = top; l > leaf; l--)
        touch(cpu, lin, addrs[l], &ents[l], PTE_A, 8);
    touch(cpu, lin, addrs[leaf], &ents[leaf], PTE_A | (acc == ACC_WRITE ? PTE_D : 0), 8);
    w->dirty = !!(ents[leaf] & PTE_D);
    w->page = w->phys & ~0xfffull;
}

/* 32-bit paging (SDM Vol.3A §4.3). */
static void walk32(cpu_t *cpu, uint64_t lin, enum mmu_access acc, bool user, walk_t *w)
{
    uint64_t pde_a = (cpu->cr3 & 0xfffff000ull) + ((lin >> 22) & 1023) * 4;
    uint64_t pde = read_pte(cpu, lin, pde_a, 4);
    if (!(pde & PTE_P))
        walk_fault(cpu, lin, acc, user, 0);
    w->exec = true;
    w->user = !!(pde & PTE_US);
    w->writable = !!(pde & PTE_RW);
    if ((pde & PTE_PS) && (cpu->cr4 & CR4_PSE)) {
        /* 4 MiB page without PSE-36 (not in CPUID): bits 21:13 are
         * reserved (SDM Vol.3A Table 4-4, M = 32). */
        if (pde & 0x3fe000ull)
            walk_fault(cpu, lin, acc, user, PFE_P | PFE_RSVD);
        w->phys = (pde & 0xffc00000ull) | (lin & 0x3fffff);
        w->global = (pde & PTE_G) && (cpu->cr4 & CR4_PGE);
        check_rights(cpu, lin, w, acc, user, false);
        touch(cpu, lin, pde_a, &pde, PTE_A | (acc == ACC_WRITE ? PTE_D : 0), 4);
        w->dirty = !!(pde & PTE_D);
        w->page = w->phys & ~0xfffull;
        return;
    }
    uint64_t pte_a = (pde & 0xfffff000ull) + ((lin >> 12) & 1023) * 4;
    uint64_t pte = read_pte(cpu, lin, pte_a, 4);
    if (!(pte & PTE_P))
        walk_fault(cpu, lin, acc, user, 0);
    w->user &= !!(pte & PTE_US);
    w->writable &= !!(pte & PTE_RW);
    w->phys = (pte & 0xfffff000ull) | (lin & 0xfff);
    w->global = (pte & PTE_G) && (cpu->cr4 & CR4_PGE);
    check_rights(cpu, lin, w, acc, user, false);
    touch(cpu, lin, pde_a, &pde, PTE_A, 4);
    touch(cpu, lin, pte_a, &pte, PTE_A | (acc == ACC_WRITE ? PTE_D : 0), 4);
    w->dirty = !!(pte & PTE_D);
    w->page = w->phys & ~0xfffull;
}

/* The final guest-physical address through EPT (SDM Vol.3C §29.3.2). */
static void ept_final(cpu_t *cpu, uint64_t lin, enum mmu_access acc, walk_t *w)
{
    vmx_xlate_t x;
    vmx_ept_xlate(cpu, w->phys, acc, true, true, lin, &x);
    w->phys = x.hpa;
    w->page = x.hpa & ~0xfffull;
    w->ept_r = x.r;
    w->ept_w = x.w;
    w->ept_x = x.x;
}

static void translate(cpu_t *cpu, uint64_t lin, enum mmu_access acc, bool user, walk_t *w)
{
    w->ept_r = w->ept_w = w->ept_x = true;
    if (!(cpu->cr0 & CR0_PG)) {
        w->phys = (uint32_t)lin;
        w->page = w->phys & ~0xfffull;
        w->user = w->writable = w->exec = w->dirty = true;
        w->global = false;
    } else if (cpu->cr4 & CR4_PAE) {
        walk64(cpu, lin, acc, user, w);
    } else {
        walk32(cpu, lin, acc, user, w);
    }
    if (vmx_ept_active(cpu))
        ept_final(cpu, lin, acc, w);
}

/* Fill the TLB set of the current CPL. Watched pages (code, MONITOR
 * lines) are never writable through the TLB so stores reach
 * machine_phys_written; MMIO never hits. */
static void tlb_fill(cpu_t *cpu, uint64_t lin, const walk_t *w, bool user)
{
    phys_mem_t *pm = &cpu->m->mem;
    uint8_t *host = phys_ram_ptr(pm, w->page, 4096);
    if (cpu->tlb == cpu->tlb_nofill)
        return;
    tlb_entry_t *e = mmu_tlb_entry(cpu, lin);
    uint64_t page = lin & ~0xfffull;
    e->tag_r = e->tag_w = e->tag_x = TLB_INVALID;
    if (!host)
        return;
    bool smap_blocked = !user && w->user && (cpu->cr4 & CR4_SMAP);
    e->addend = (uintptr_t)host - (uintptr_t)page;
    e->phys = w->page;
    e->global = w->global;
    if (!smap_blocked && w->ept_r)
        e->tag_r = page;
    bool writable = (user ? w->writable : w->writable || !(cpu->cr0 & CR0_WP)) && w->dirty && w->ept_w;
    if (writable && !smap_blocked && !pm->code_pages[w->page >> 12])
        e->tag_w = page;
    bool exec = w->exec && (user ? w->user : !(w->user && (cpu->cr4 & CR4_SMEP))) && w->ept_x;
    if (exec)
        e->tag_x = page;
}

uint64_t mmu_translate(cpu_t *cpu, uint64_t lin, enum mmu_access acc)
{
    walk_t w;
    bool user = cpu->cpl == 3;
    translate(cpu, lin, acc, user, &w);
    tlb_fill(cpu, lin, &w, user);
    return w.phys;
}

uint64_t mmu_translate_sys(cpu_t *cpu, uint64_t lin, enum mmu_access acc)
{
    walk_t w;
    if (!(cpu->cr0 & CR0_PG) && !vmx_ept_active(cpu))
        return (uint32_t)lin;
    translate(cpu, lin, acc, false, &w);
    return w.phys;
}
