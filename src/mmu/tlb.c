/* The software TLB's contexts and every invalidation of it (DESIGN.md,
 * "Software TLB"). A context holds the translations of one address space,
 * tagged as the SDM tags them: PCID (Vol.3A §4.10.1), VPID and, for the
 * combined mappings of a guest under EPT, EP4TA (Vol.3C §29.1, §29.3.1).
 * What each instruction must invalidate is in Vol.3A §4.10.4.1 and Vol.3C
 * §29.3.3; a context may always be dropped whole, as hardware may drop any
 * entry at any time. */
#include "xenemu/machine.h"
#include "xenemu/mmu.h"

static void clear_entries(tlb_entry_t *set, bool keep_global)
{
    for (unsigned i = 0; i < TLB_SIZE; i++) {
        tlb_entry_t *e = &set[i];
        if (!keep_global || !e->global)
            e->tag_r = e->tag_w = e->tag_x = TLB_INVALID;
    }
}

static void clear_ctx(tlb_ctx_t *c, bool keep_global)
{
    clear_entries(c->sets[0], keep_global);
    clear_entries(c->sets[1], keep_global);
    if (!keep_global)
        c->live = false;
}

void mmu_tlb_init(cpu_t *cpu)
{
    for (unsigned i = 0; i < TLB_CTXS; i++)
        clear_ctx(&cpu->tlb_ctx[i], false);
    clear_entries(cpu->tlb_nofill, false);
    cpu->tlb_cur = &cpu->tlb_ctx[0];
    cpu->tlb_cur->live = true;
}

/* The PCID in use: CR3[11:0] with CR4.PCIDE, else 0 (§4.10.1). */
static uint16_t cur_pcid(const cpu_t *cpu)
{
    return (cpu->cr4 & CR4_PCIDE) ? (uint16_t)(cpu->cr3 & 0xfff) : 0;
}

static bool ctx_is(const tlb_ctx_t *c, uint16_t vpid, uint16_t pcid, uint64_t ep4ta)
{
    return c->vpid == vpid && c->pcid == pcid && c->ep4ta == ep4ta;
}

void mmu_tlb_select(cpu_t *cpu)
{
    uint16_t vpid = cpu->tlb_vpid, pcid = cur_pcid(cpu);
    uint64_t ep4ta = cpu->tlb_ep4ta;
    tlb_ctx_t *c = cpu->tlb_cur;
    if (ctx_is(c, vpid, pcid, ep4ta))
        return;
    tlb_ctx_t *victim = NULL;
    for (unsigned i = 0; i < TLB_CTXS; i++) {
        tlb_ctx_t *t = &cpu->tlb_ctx[i];
        if (t->live && ctx_is(t, vpid, pcid, ep4ta)) {
            c = t;
            goto found;
        }
        if (!victim || (victim->live && (!t->live || t->last_used < victim->last_used)))
            victim = t;
    }
    c = victim;
    clear_ctx(c, false);
    c->vpid = vpid;
    c->pcid = pcid;
    c->ep4ta = ep4ta;
found:
    c->live = true;
    c->last_used = ++cpu->tlb_clock;
    cpu->tlb_cur = c;
}

/* ---- invalidation ---- */

static bool matches(const tlb_ctx_t *c, const tlb_inv_t *w)
{
    return c->live && (w->vpid < 0 || c->vpid == w->vpid) && (!w->guests_only || c->vpid) &&
           (w->pcid < 0 || c->pcid == w->pcid) &&
           (w->ep4ta == TLB_ANY || c->ep4ta == w->ep4ta) && (!w->ept_only || c->ep4ta);
}

static void clear_page(tlb_ctx_t *c, uint64_t lin, bool keep_global)
{
    for (int s = 0; s < 2; s++) {
        tlb_entry_t *e = &c->sets[s][(lin >> 12) & (TLB_SIZE - 1)];
        if (!keep_global || !e->global)
            e->tag_r = e->tag_w = e->tag_x = TLB_INVALID;
    }
}

void mmu_tlb_invalidate(cpu_t *cpu, const tlb_inv_t *w)
{
    for (unsigned i = 0; i < TLB_CTXS; i++) {
        tlb_ctx_t *c = &cpu->tlb_ctx[i];
        if (!matches(c, w))
            continue;
        if (w->lin != TLB_ANY)
            clear_page(c, w->lin, w->keep_global);
        else
            clear_ctx(c, w->keep_global);
    }
    cpu->tlb_cur->live = true;        /* the current context stays in use */
}

/* Everything, global translations and every tag included: for changes
 * to what the TLB bakes into its entries (CR0.WP, CR4.SMEP/SMAP, EFER.NXE,
 * paging modes) and to the P2M behind the Xen model's EPT. */
void mmu_flush_all(cpu_t *cpu)
{
    tlb_inv_t w = { .vpid = -1, .pcid = -1, .ep4ta = TLB_ANY, .lin = TLB_ANY };
    mmu_tlb_invalidate(cpu, &w);
}

/* INVLPG: the page for the current VPID, in every PCID, global entries
 * included (§4.10.4.1; other PCIDs may be invalidated too). */
void mmu_flush_page(cpu_t *cpu, uint64_t lin)
{
    tlb_inv_t w = { .vpid = cpu->tlb_vpid, .pcid = -1, .ep4ta = TLB_ANY, .lin = lin & ~0xfffull };
    mmu_tlb_invalidate(cpu, &w);
}

/* MOV to CR3 (§4.10.4.1): without PCIDs, or with bit 63 clear, the new
 * PCID's non-global translations go. */
void mmu_flush_cr3(cpu_t *cpu, uint64_t new_cr3, bool no_flush)
{
    if (no_flush)
        return;
    int pcid = (cpu->cr4 & CR4_PCIDE) ? (int)(new_cr3 & 0xfff) : 0;
    tlb_inv_t w = { .vpid = cpu->tlb_vpid, .pcid = pcid, .ep4ta = TLB_ANY, .lin = TLB_ANY,
                    .keep_global = true };
    mmu_tlb_invalidate(cpu, &w);
}

/* The current VPID's translations in every PCID (CR4.PGE or PCIDE
 * changes, INVPCID all-context, VM entries and exits without VPIDs). */
void mmu_flush_vpid(cpu_t *cpu, uint16_t vpid, bool keep_global)
{
    tlb_inv_t w = { .vpid = vpid, .pcid = -1, .ep4ta = TLB_ANY, .lin = TLB_ANY,
                    .keep_global = keep_global };
    mmu_tlb_invalidate(cpu, &w);
}

/* Stores into a watched page (predecoded code, a MONITOR line) must reach
 * machine_phys_written, in every context (another may map it writable). */
void mmu_protect_code_page(cpu_t *cpu, uint64_t phys)
{
    uint64_t page = phys & ~0xfffull;
    for (unsigned i = 0; i < TLB_CTXS; i++) {
        tlb_ctx_t *c = &cpu->tlb_ctx[i];
        if (!c->live)
            continue;
        for (int s = 0; s < 2; s++)
            for (unsigned j = 0; j < TLB_SIZE; j++) {
                tlb_entry_t *e = &c->sets[s][j];
                if (e->tag_w != TLB_INVALID && e->phys == page)
                    e->tag_w = TLB_INVALID;
            }
    }
}
