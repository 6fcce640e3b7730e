/* String instructions MOVS CMPS SCAS LODS STOS INS OUTS with REP, REPE and
 * REPNE (SDM Vol.2 "MOVS/MOVSB...", "REP/REPE/REPZ/REPNE/REPNZ"; Vol.1
 * §7.3.9).
 *
 * The address size picks SI/ESI/RSI, DI/EDI/RDI and CX/ECX/RCX; the source
 * segment may be overridden, the destination is always ES. DF chooses the
 * direction.
 *
 * REP is restartable: the registers are written back after every element
 * (and after every bulk run), so a fault leaves RCX/RSI/RDI describing the
 * remaining work with RIP at the instruction (cpu_raise rewinds it).
 *
 * REP is also interruptible: one dispatch does a bounded amount of work
 * (REP_BUDGET), less when an event is pending. When it stops with RCX
 * still nonzero, the handler points RIP back at itself and ends the block
 * (cpu_stop_after: this slice of the instruction counts as retired); the
 * run loop then checks its budget and pending events and re-enters the
 * instruction, which resumes from the registers. The result is
 * deterministic: the split depends only on guest state.
 *
 * REP MOVS and REP STOS over plain RAM run as bulk copies, one page at a
 * time (DESIGN.md): a run of elements that lies in one source page and one
 * destination page, passes the segment checks and is mapped by the
 * software TLB (tags exclude MMIO and pages holding predecoded code) is
 * copied with memmove/memset. Anything else - a page crossing, MMIO, code
 * pages, alignment checking, a TLB entry the walk will not fill, a fault -
 * goes element by element through the ordinary access path, which is exact
 * about faults. */
#include "ops.h"

#define AI static inline __attribute__((always_inline))

/* Work per dispatch: bytes moved by bulk runs, REP_ELEM_COST per element
 * done one at a time (a few thousand elements). */
#define REP_BUDGET 65536u
#define REP_ELEM_COST 16u

/* ---- registers by address size ---- */

AI uint64_t areg(const cpu_t *cpu, unsigned r, unsigned ad)
{
    uint64_t v = cpu->r[r];
    return ad == 8 ? v : ad == 4 ? (uint32_t)v : (uint16_t)v;
}

/* 16-bit writes keep the upper bits, 32-bit ones zero-extend. */
AI void areg_set(cpu_t *cpu, unsigned r, unsigned ad, uint64_t v)
{
    if (ad == 8)
        cpu->r[r] = v;
    else if (ad == 4)
        cpu->r[r] = (uint32_t)v;
    else
        cpu->r[r] = (cpu->r[r] & ~0xffffull) | (uint16_t)v;
}

AI void areg_add(cpu_t *cpu, unsigned r, unsigned ad, int64_t delta)
{
    areg_set(cpu, r, ad, cpu->r[r] + (uint64_t)delta);
}

AI int64_t str_step(const cpu_t *cpu, unsigned sz)
{
    return (cpu->rflags & F_DF) ? -(int64_t)sz : (int64_t)sz;
}

/* ---- one element of each instruction ---- */

AI void movs_one(cpu_t *cpu, const insn_t *in, unsigned sz, unsigned ad)
{
    uint64_t v = mmu_read(cpu, in->seg, areg(cpu, R_RSI, ad), sz);
    mmu_write(cpu, SEG_ES, areg(cpu, R_RDI, ad), v, sz);
    int64_t st = str_step(cpu, sz);
    areg_add(cpu, R_RSI, ad, st);
    areg_add(cpu, R_RDI, ad, st);
}

AI void stos_one(cpu_t *cpu, unsigned sz, unsigned ad)
{
    mmu_write(cpu, SEG_ES, areg(cpu, R_RDI, ad), gpr_get(cpu, R_RAX, sz), sz);
    areg_add(cpu, R_RDI, ad, str_step(cpu, sz));
}

AI void lods_one(cpu_t *cpu, const insn_t *in, unsigned sz, unsigned ad)
{
    uint64_t v = mmu_read(cpu, in->seg, areg(cpu, R_RSI, ad), sz);
    gpr_set(cpu, R_RAX, sz, v);
    areg_add(cpu, R_RSI, ad, str_step(cpu, sz));
}

/* CMPS compares [RSI] - ES:[RDI] (the Intel host reads ES:[RDI] first: it
 * reports that fault when both operands fault), SCAS rAX - ES:[RDI]. They
 * return the two operands; the caller records the flags of SUB. */
typedef struct cmp_pair {
    uint64_t a, b;
} cmp_pair_t;

AI cmp_pair_t cmps_one(cpu_t *cpu, const insn_t *in, unsigned sz, unsigned ad)
{
    uint64_t b = mmu_read(cpu, SEG_ES, areg(cpu, R_RDI, ad), sz);
    uint64_t a = mmu_read(cpu, in->seg, areg(cpu, R_RSI, ad), sz);
    int64_t st = str_step(cpu, sz);
    areg_add(cpu, R_RSI, ad, st);
    areg_add(cpu, R_RDI, ad, st);
    return (cmp_pair_t){ a, b };
}

AI cmp_pair_t scas_one(cpu_t *cpu, unsigned sz, unsigned ad)
{
    uint64_t b = mmu_read(cpu, SEG_ES, areg(cpu, R_RDI, ad), sz);
    areg_add(cpu, R_RDI, ad, str_step(cpu, sz));
    return (cmp_pair_t){ gpr_get(cpu, R_RAX, sz), b };
}

AI void cmp_flags(cpu_t *cpu, unsigned sz, cmp_pair_t p)
{
    cc_set(cpu, CC_SUB + cc_size_log(sz), p.a - p.b, p.b);
}

/* INS/OUTS: the I/O permission check (IOPL or the TSS bitmap) comes first;
 * INS checks its destination before reading the port so a faulting store
 * cannot lose a port read. */
AI void io_check(cpu_t *cpu, unsigned sz)
{
    if (!io_permitted(cpu, (uint16_t)cpu->r[R_RDX], sz))
        cpu_gp0(cpu);
}

AI void ins_one(cpu_t *cpu, unsigned sz, unsigned ad)
{
    uint64_t di = areg(cpu, R_RDI, ad);
    mmu_probe_write(cpu, SEG_ES, di, sz);
    uint32_t v = io_in(cpu, (uint16_t)cpu->r[R_RDX], sz);
    mmu_write(cpu, SEG_ES, di, v, sz);
    areg_add(cpu, R_RDI, ad, str_step(cpu, sz));
}

AI void outs_one(cpu_t *cpu, const insn_t *in, unsigned sz, unsigned ad)
{
    uint64_t v = mmu_read(cpu, in->seg, areg(cpu, R_RSI, ad), sz);
    io_out(cpu, (uint16_t)cpu->r[R_RDX], sz, (uint32_t)v);
    areg_add(cpu, R_RSI, ad, str_step(cpu, sz));
}

/* ---- bulk runs for REP MOVS / REP STOS ---- */

static bool canonical(uint64_t a)
{
    return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

/* Segment checks of SDM Vol.3A §5.3 for offsets up to hi, for the simple
 * case only: an expand-up data segment (any segment in real mode). False
 * sends the access to the per-element path, which judges it exactly. */
static bool seg_ok(const cpu_t *cpu, int seg, uint64_t hi, bool write)
{
    const seg_t *s = &cpu->seg[seg];
    if ((cpu->cr0 & CR0_PE) && !(cpu->rflags & F_VM)) {
        unsigned type = s->attr & SEGA_TYPE;
        if ((s->attr & SEGA_UNUSABLE) || (type & 0xc) || (write && !(type & 2)))
            return false;
    }
    return hi <= s->limit;
}

/* How many of the next n elements of size sz at seg:ea (element k at
 * ea + k*sz, or ea - k*sz going down) lie in one page that the TLB maps for
 * this access, without wrapping the address size or leaving the segment.
 * *host gets the host address of element 0. A TLB miss is filled by a walk
 * (which faults exactly as the first element's access would: the caller
 * asks for the source before the destination). 0: take the per-element
 * path for the next element. */
AI uint64_t span(cpu_t *cpu, int seg, uint64_t ea, unsigned ad, unsigned sz, uint64_t n, bool down, bool write,
                 uint8_t **host)
{
    uint64_t lin;
    if (cpu->tlb == cpu->tlb_nofill)
        return 0;                      /* alignment checking: per element */
    if (ad != 8) {
        uint64_t amask = size_mask(ad);
        if (ea + sz - 1 > amask)
            return 0;
        uint64_t room = down ? ea / sz + 1 : (amask - ea - (sz - 1)) / sz + 1;
        if (n > room)
            n = room;
    }
    if (cpu->code_mode == CM_64) {
        lin = ea + cpu->seg_lin_base[seg];
        if (!canonical(lin))
            return 0;
    } else {
        lin = (uint32_t)(cpu->seg[seg].base + ea);
    }
    unsigned off = lin & 0xfff;
    if (off + sz > 4096)
        return 0;
    uint64_t room = down ? off / sz + 1 : (4096 - off) / sz;
    if (n > room)
        n = room;
    if (cpu->code_mode != CM_64) {
        uint64_t lo = down ? ea - (n - 1) * sz : ea;
        if (!seg_ok(cpu, seg, lo + n * sz - 1, write))
            return 0;
    }
    tlb_entry_t *e = mmu_tlb_entry(cpu, lin);
    uint64_t page = lin & ~0xfffull;
    if ((write ? e->tag_w : e->tag_r) != page) {
        mmu_translate(cpu, lin, write ? ACC_WRITE : ACC_READ);
        if ((write ? e->tag_w : e->tag_r) != page)
            return 0;
    }
    *host = (uint8_t *)(uintptr_t)(lin + e->addend);
    return n;
}

/* Copy up to n elements at once; returns how many (0: none). Sequential
 * element copies equal memmove unless the destination lies ahead of the
 * source in the direction of travel, closer than the run length: then the
 * run is cut to the distance so that no element reads what this run
 * wrote (the pattern-replicating overlap of REP MOVSB stays exact). */
AI uint64_t movs_bulk(cpu_t *cpu, const insn_t *in, unsigned sz, uint64_t n)
{
    unsigned ad = in->adsz;
    bool down = cpu->rflags & F_DF;
    uint64_t si = areg(cpu, R_RSI, ad), di = areg(cpu, R_RDI, ad);
    uint8_t *hs, *hd;
    n = span(cpu, in->seg, si, ad, sz, n, down, false, &hs);
    if (n)
        n = span(cpu, SEG_ES, di, ad, sz, n, down, true, &hd);
    if (!n)
        return 0;
    uintptr_t s = (uintptr_t)hs, d = (uintptr_t)hd;
    uintptr_t ahead = down ? s - d : d - s;            /* distance in the direction of travel */
    if ((down ? d < s : d > s) && ahead < n * sz) {
        n = ahead / sz;
        if (!n)
            return 0;
    }
    uint64_t len = n * sz;
    if (down) {
        hs -= len - sz;
        hd -= len - sz;
    }
    memmove(hd, hs, len);
    int64_t delta = down ? -(int64_t)len : (int64_t)len;
    areg_add(cpu, R_RSI, ad, delta);
    areg_add(cpu, R_RDI, ad, delta);
    return n;
}

AI uint64_t stos_bulk(cpu_t *cpu, const insn_t *in, unsigned sz, uint64_t n)
{
    unsigned ad = in->adsz;
    bool down = cpu->rflags & F_DF;
    uint8_t *hd;
    n = span(cpu, SEG_ES, areg(cpu, R_RDI, ad), ad, sz, n, down, true, &hd);
    if (!n)
        return 0;
    uint64_t len = n * sz, v = gpr_get(cpu, R_RAX, sz);
    if (down)
        hd -= len - sz;
    if (v == (v & 0xff) * (0x0101010101010101ull & size_mask(sz))) {
        memset(hd, (int)(v & 0xff), len);
    } else {
        for (uint64_t i = 0; i < len; i += sz)
            memcpy(hd + i, &v, sz);    /* little-endian host: the low sz bytes */
    }
    areg_add(cpu, R_RDI, ad, down ? -(int64_t)len : (int64_t)len);
    return n;
}

/* ---- REP loops ---- */

/* Out of budget with work left: re-execute this instruction later. */
_Noreturn static void rep_yield(cpu_t *cpu, const insn_t *in)
{
    cpu->r[R_RIP] -= in->len;
    cpu_stop_after(cpu);
}

/* Yield when the budget is spent, or early when an event is pending (a
 * device behind OUTS may raise one), but only after some progress. */
AI bool rep_must_yield(const cpu_t *cpu, uint32_t budget)
{
    return budget < REP_ELEM_COST || (cpu->pending_events && budget != REP_BUDGET);
}

/* With a 32-bit address size ECX is written (zero-extending RCX) even when
 * it is already 0; REP MOVS/STOS also zero-extend their pointers (as the
 * Intel host does). */
AI void rep_zext(cpu_t *cpu, unsigned ad, bool si, bool di)
{
    if (ad != 4)
        return;
    cpu->r[R_RCX] = (uint32_t)cpu->r[R_RCX];
    if (si)
        cpu->r[R_RSI] = (uint32_t)cpu->r[R_RSI];
    if (di)
        cpu->r[R_RDI] = (uint32_t)cpu->r[R_RDI];
}

enum { S_MOVS, S_STOS, S_LODS, S_INS, S_OUTS };

AI uint64_t bulk(cpu_t *cpu, const insn_t *in, unsigned op, unsigned sz, uint64_t n)
{
    switch (op) {
    case S_MOVS: return movs_bulk(cpu, in, sz, n);
    case S_STOS: return stos_bulk(cpu, in, sz, n);
    default: return 0;
    }
}

AI void elem(cpu_t *cpu, const insn_t *in, unsigned op, unsigned sz, unsigned ad)
{
    switch (op) {
    case S_MOVS: movs_one(cpu, in, sz, ad); break;
    case S_STOS: stos_one(cpu, sz, ad); break;
    case S_LODS: lods_one(cpu, in, sz, ad); break;
    case S_INS: ins_one(cpu, sz, ad); break;
    default: outs_one(cpu, in, sz, ad); break;
    }
}

/* REP (F3 or F2) on MOVS, STOS, LODS, INS, OUTS: repeat while rCX != 0.
 * The I/O permission cannot change between elements: checked once, before
 * anything else, even for a zero count (the host faults then too). */
AI void rep_plain(cpu_t *cpu, const insn_t *in, unsigned op, unsigned sz)
{
    unsigned ad = in->adsz;
    uint32_t budget = REP_BUDGET;
    if (op == S_INS || op == S_OUTS)
        io_check(cpu, sz);
    rep_zext(cpu, ad, op == S_MOVS, op == S_MOVS || op == S_STOS);
    for (;;) {
        uint64_t n = areg(cpu, R_RCX, ad);
        if (n == 0)
            return;
        if (rep_must_yield(cpu, budget))
            rep_yield(cpu, in);
        uint64_t k = bulk(cpu, in, op, sz, n < budget / sz ? n : budget / sz);
        if (k) {
            budget -= (uint32_t)(k * sz);
        } else {
            elem(cpu, in, op, sz, ad);
            k = 1;
            budget -= REP_ELEM_COST;
        }
        areg_set(cpu, R_RCX, ad, n - k);
    }
}

/* REPE/REPNE on CMPS and SCAS: also stop when ZF = 0 (REPE) or ZF = 1
 * (REPNE) after an element. The flags are written once, when the
 * instruction ends: after a fault or a yield they are still those from
 * before it, as the Intel host shows for a fault in the middle. */
AI void rep_cmp(cpu_t *cpu, const insn_t *in, bool scas, bool repne, unsigned sz)
{
    unsigned ad = in->adsz;
    uint32_t budget = REP_BUDGET;
    rep_zext(cpu, ad, false, false);
    for (;;) {
        uint64_t n = areg(cpu, R_RCX, ad);
        if (n == 0)
            return;
        if (rep_must_yield(cpu, budget))
            rep_yield(cpu, in);
        cmp_pair_t p = scas ? scas_one(cpu, sz, ad) : cmps_one(cpu, in, sz, ad);
        budget -= REP_ELEM_COST;
        areg_set(cpu, R_RCX, ad, n - 1);
        if ((p.a == p.b) == repne || n == 1) {
            cmp_flags(cpu, sz, p);
            return;
        }
    }
}

/* ---- handlers ---- */

#define PLAIN_HANDLERS(OP, NAME, SZ)                                                     \
    static void NAME##SZ(cpu_t *cpu, const insn_t *in)                                   \
    {                                                                                    \
        if (OP == S_INS || OP == S_OUTS)                                                 \
            io_check(cpu, SZ);                                                           \
        elem(cpu, in, OP, SZ, in->adsz);                                                 \
    }                                                                                    \
    static void rep_##NAME##SZ(cpu_t *cpu, const insn_t *in)                             \
    {                                                                                    \
        rep_plain(cpu, in, OP, SZ);                                                      \
    }

#define CMP_HANDLERS(SCAS, NAME, SZ)                                                     \
    static void NAME##SZ(cpu_t *cpu, const insn_t *in)                                   \
    {                                                                                    \
        cmp_flags(cpu, SZ, SCAS ? scas_one(cpu, SZ, in->adsz) : cmps_one(cpu, in, SZ, in->adsz)); \
    }                                                                                    \
    static void repe_##NAME##SZ(cpu_t *cpu, const insn_t *in)                            \
    {                                                                                    \
        rep_cmp(cpu, in, SCAS, false, SZ);                                               \
    }                                                                                    \
    static void repne_##NAME##SZ(cpu_t *cpu, const insn_t *in)                           \
    {                                                                                    \
        rep_cmp(cpu, in, SCAS, true, SZ);                                                \
    }

#define ALL_SIZES(MAC, OP, NAME) MAC(OP, NAME, 1) MAC(OP, NAME, 2) MAC(OP, NAME, 4) MAC(OP, NAME, 8)

ALL_SIZES(PLAIN_HANDLERS, S_MOVS, movs)
ALL_SIZES(PLAIN_HANDLERS, S_STOS, stos)
ALL_SIZES(PLAIN_HANDLERS, S_LODS, lods)
PLAIN_HANDLERS(S_INS, ins, 1)
PLAIN_HANDLERS(S_INS, ins, 2)
PLAIN_HANDLERS(S_INS, ins, 4)
PLAIN_HANDLERS(S_OUTS, outs, 1)
PLAIN_HANDLERS(S_OUTS, outs, 2)
PLAIN_HANDLERS(S_OUTS, outs, 4)
ALL_SIZES(CMP_HANDLERS, false, cmps)
ALL_SIZES(CMP_HANDLERS, true, scas)

#define BY_SIZE(NAME) { NAME##1, NAME##2, NAME##4, NAME##8 }
/* INS/OUTS have no 64-bit form: REX.W leaves them at 32 bits. */
#define BY_SIZE_IO(NAME) { NAME##1, NAME##2, NAME##4, NAME##4 }

/* [instruction][repeat: none, REP/REPE, REPNE][size log] */
static const insn_fn str_fn[7][3][4] = {
    { BY_SIZE(movs), BY_SIZE(rep_movs), BY_SIZE(rep_movs) },
    { BY_SIZE(stos), BY_SIZE(rep_stos), BY_SIZE(rep_stos) },
    { BY_SIZE(lods), BY_SIZE(rep_lods), BY_SIZE(rep_lods) },
    { BY_SIZE_IO(ins), BY_SIZE_IO(rep_ins), BY_SIZE_IO(rep_ins) },
    { BY_SIZE_IO(outs), BY_SIZE_IO(rep_outs), BY_SIZE_IO(rep_outs) },
    { BY_SIZE(cmps), BY_SIZE(repe_cmps), BY_SIZE(repne_cmps) },
    { BY_SIZE(scas), BY_SIZE(repe_scas), BY_SIZE(repne_scas) },
};

enum { SI_MOVS, SI_STOS, SI_LODS, SI_INS, SI_OUTS, SI_CMPS, SI_SCAS };

static unsigned string_index(uint8_t op)
{
    switch (op & ~1u) {
    case 0xa4: return SI_MOVS;
    case 0xa6: return SI_CMPS;
    case 0xaa: return SI_STOS;
    case 0xac: return SI_LODS;
    case 0xae: return SI_SCAS;
    case 0x6c: return SI_INS;
    default: return SI_OUTS;
    }
}

/* A4-A7, AA-AF, 6C-6F. F2 repeats MOVS/STOS/LODS/INS/OUTS like F3 (as on
 * the Intel host); on CMPS/SCAS F3 is REPE and F2 REPNE. */
void sel_string(dctx_t *d, insn_t *in)
{
    (void)d;
    unsigned rep = (in->flags & INF_REP) ? 1 : (in->flags & INF_REPNE) ? 2 : 0;
    in->fn = str_fn[string_index(in->op)][rep][opsz_log(in)];
}
