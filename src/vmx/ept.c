/* The EPT walk (SDM Vol.3C §29.3): 4-level translation of guest-physical
 * addresses with read/write/execute rights, memory types, 2 MiB and 1 GiB
 * pages, accessed and dirty flags (§29.3.5), misconfigurations (§29.3.3.1)
 * and violations with the exit qualification of Table 28-7. */
#include "vmx_int.h"

enum {
    EPT_R = 1, EPT_W = 2, EPT_X = 4, EPT_RWX = 7, EPT_LARGE = 1 << 7, EPT_A = 1 << 8, EPT_D = 1 << 9,
};
#define EPT_ADDR_MASK (((1ull << VMX_PHYS_BITS) - 1) & ~0xfffull)
/* Bits 51:MAXPHYADDR are reserved in every entry. */
#define EPT_HIGH_RSVD (((1ull << 52) - 1) & ~((1ull << VMX_PHYS_BITS) - 1))

/* EPTP (SDM Vol.3C §25.6.11): UC or WB, walk length 4, bits 11:7 zero. */
bool ept_eptp_valid(uint64_t eptp)
{
    unsigned type = eptp & 7;
    if (type != 0 && type != 6)
        return false;
    if (((eptp >> 3) & 7) != 3)
        return false;
    return !(eptp & 0xf80ull) && !(eptp & VMX_PHYS_RSVD);
}

/* Memory types 2, 3 and 7 are reserved in a leaf (§29.3.3.1). */
static bool bad_memtype(uint64_t e)
{
    unsigned t = (unsigned)(e >> 3) & 7;
    return t == 2 || t == 3 || t == 7;
}

/* Is a present entry misconfigured at this level (4 = PML4E)? */
static bool misconfigured(uint64_t e, int level, bool leaf)
{
    if ((e & EPT_RWX) == EPT_W || (e & EPT_RWX) == (EPT_W | EPT_X))
        return true;                      /* writable but not readable */
    if (e & EPT_HIGH_RSVD)
        return true;
    if (!leaf)
        return (e & 0xf8) != 0;           /* bits 7:3 reserved in non-leaf entries */
    if (bad_memtype(e))
        return true;
    if (level == 3 && (e & 0x3ffff000ull))
        return true;                      /* 1 GiB page: bits 29:12 reserved */
    if (level == 2 && (e & EPT_LARGE) && (e & 0x1ff000ull))
        return true;                      /* 2 MiB page: bits 20:12 reserved */
    return false;
}

/* Exit qualification of an EPT violation (Table 28-7). */
static uint64_t violation_qual(const ept_access_t *a, bool as_write, unsigned rights)
{
    uint64_t q = 0;
    if (a->acc == ACC_EXEC)
        q |= 4;
    else if (a->acc == ACC_WRITE || as_write)
        q |= 2;
    else
        q |= 1;
    q |= (uint64_t)(rights & EPT_RWX) << 3;
    if (a->gla_valid) {
        q |= 1u << 7;
        if (a->final)
            q |= 1u << 8;
    }
    return q;
}

int ept_walk(phys_mem_t *pm, uint64_t eptp, uint64_t gpa, const ept_access_t *a, ept_result_t *r,
             uint64_t *qual)
{
    bool ad = (eptp >> 6) & 1;
    /* With A/D on, accesses to guest paging structures count as writes (§29.3.5). */
    bool as_write = ad && !a->final && a->gla_valid;
    bool write = a->acc == ACC_WRITE || as_write;
    uint64_t table = eptp & EPT_ADDR_MASK;
    uint64_t addrs[5], ents[5];
    unsigned rights = EPT_RWX;
    int level = 4;
    uint64_t e;
    for (;;) {
        unsigned shift = 12 + 9 * (unsigned)(level - 1);
        uint64_t ea = table + ((gpa >> shift) & 511) * 8;
        e = phys_read(pm, ea, 8);
        addrs[level] = ea;
        ents[level] = e;
        if (!(e & EPT_RWX)) {
            *qual = violation_qual(a, as_write, 0);
            return EXIT_EPT_VIOLATION;
        }
        bool leaf = level == 1 || ((level == 2 || level == 3) && (e & EPT_LARGE));
        if ((level == 4 && (e & EPT_LARGE)) || misconfigured(e, level, leaf)) {
            *qual = 0;
            return EXIT_EPT_MISCONFIG;
        }
        rights &= (unsigned)e & EPT_RWX;
        if (leaf) {
            uint64_t off = (1ull << shift) - 1;
            r->hpa = (e & EPT_ADDR_MASK & ~off) | (gpa & off);
            break;
        }
        table = e & EPT_ADDR_MASK;
        level--;
    }
    /* W without R is a misconfiguration, so W implies R. */
    unsigned need = a->acc == ACC_EXEC ? EPT_X : write ? EPT_W : EPT_R;
    bool ok = (rights & need) != 0;
    if (!ok) {
        *qual = violation_qual(a, as_write, rights);
        return EXIT_EPT_VIOLATION;
    }
    if (ad) {
        for (int l = 4; l >= level; l--) {
            uint64_t bits = EPT_A | (l == level && write ? EPT_D : 0);
            if ((ents[l] & bits) != bits) {
                ents[l] |= bits;
                phys_write(pm, addrs[l], ents[l], 8);
            }
        }
    }
    r->r = rights & EPT_R;
    r->w = (rights & EPT_W) != 0;
    r->x = (rights & EPT_X) != 0;
    r->dirty = !ad || (ents[level] & EPT_D);
    return 0;
}

/* ---- the CPU side: guest-physical accesses of non-root operation ---- */

_Noreturn static void ept_exit(cpu_t *cpu, int reason, uint64_t qual, uint64_t gpa, const ept_access_t *a)
{
    exit_info_t e = {
        .reason = (uint32_t)reason, .qual = reason == EXIT_EPT_VIOLATION ? qual : 0,
        .gpa_valid = true, .gpa = gpa,
        .gla_valid = a->gla_valid, .gla = a->gla,
    };
    vmx_exit(cpu, &e);
}

void vmx_ept_xlate(cpu_t *cpu, uint64_t gpa, int acc, bool final, bool lin_valid, uint64_t lin,
                   vmx_xlate_t *out)
{
    ept_access_t a = { .acc = (enum mmu_access)acc, .gla_valid = lin_valid, .final = final, .gla = lin };
    ept_result_t r;
    uint64_t q = 0;
    int rc = ept_walk(&cpu->m->mem, cpu->vmx->eptp, gpa, &a, &r, &q);
    if (rc && (cpu->vmx->probing || !cpu->vmx->nonroot))
        cpu_raise(cpu, EXC_PF);       /* a probe (mmu_probe) fails; it restores cpu->exc */
    if (rc)
        ept_exit(cpu, rc, q, gpa, &a);
    out->hpa = r.hpa;
    out->r = r.r;
    out->w = r.w && r.dirty;
    out->x = r.x;
}
