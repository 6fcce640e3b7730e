/* Generator coverage (`--coverage N`): every handler the decoder can choose
 * in 64-bit mode, for every opcode that reaches it, must be chosen by at
 * least one of the first N generated cases — unless the instruction is
 * excluded from native comparison for a stated reason. So the tester
 * provably covers every user-mode form the interpreter (and so the CPUID
 * model) implements. */
#include <capstone/capstone.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coverage.h"
#include "xenemu/insn.h"

/* (handler, map, opcode, VEX) identifies a form of the interpreter. */
typedef struct key {
    uintptr_t fn;
    uint16_t mapop;
    uint8_t vex;
} form_key;

#define SET_BITS 20
#define SET_SIZE (1u << SET_BITS)

typedef struct keyset {
    form_key *k;
    bool *used;
} keyset_t;

static unsigned key_hash(form_key k)
{
    uint64_t h = (uint64_t)k.fn * 0x9e3779b97f4a7c15ull ^ ((uint64_t)k.mapop << 8 | k.vex) * 0xc2b2ae3d27d4eb4full;
    return (unsigned)(h >> (64 - SET_BITS));
}

static bool key_eq(form_key a, form_key b)
{
    return a.fn == b.fn && a.mapop == b.mapop && a.vex == b.vex;
}

/* Returns true if k was new. */
static bool set_add(keyset_t *s, form_key k)
{
    for (unsigned i = key_hash(k);; i = (i + 1) & (SET_SIZE - 1)) {
        if (!s->used[i]) {
            s->used[i] = true;
            s->k[i] = k;
            return true;
        }
        if (key_eq(s->k[i], k))
            return false;
    }
}

static bool set_has(const keyset_t *s, form_key k)
{
    for (unsigned i = key_hash(k);; i = (i + 1) & (SET_SIZE - 1)) {
        if (!s->used[i])
            return false;
        if (key_eq(s->k[i], k))
            return true;
    }
}

static form_key key_of(const insn_t *in)
{
    return (form_key){ (uintptr_t)in->fn, (uint16_t)(in->map << 8 | in->op), (uint8_t)((in->flags & INF_VEX) != 0) };
}

/* Instructions the tester leaves out by design (see README.md): their
 * results depend on the host, or running them would leave the sandbox. */
static const char *excluded(const insn_t *in)
{
    unsigned m = in->modrm;
    if (in->map == MAP_1B) {
        switch (in->op) {
        case 0x8e: return "segment loads can succeed on host descriptors";
        case 0x9a: case 0xea: case 0xca: case 0xcb: return "far transfers depend on the host GDT";
        default: return NULL;
        }
    }
    if (in->map == MAP_0F) {
        switch (in->op) {
        case 0x05: return "SYSCALL enters the host kernel";
        case 0x34: return "SYSENTER enters the host kernel";
        case 0x31: return "RDTSC is not deterministic";
        case 0x33: return "RDPMC is not deterministic";
        case 0xa2: return "CPUID describes the host, not the model";
        case 0x02: case 0x03: return "LAR/LSL read the host descriptor tables";
        case 0x00: return "SLDT/STR/VERR/VERW read host state (UMIP emulation)";
        case 0xa1: case 0xa9: case 0xb2: case 0xb4: case 0xb5: return "FS/GS/SS loads change glibc's state";
        case 0x01:
            if (m == 0xf9) return "RDTSCP is not deterministic";
            if (m == 0xd0) return "XGETBV reports the host's XCR0";
            if ((m >> 6) != 3 && ((m >> 3) & 7) <= 1) return "SGDT/SIDT are emulated by the host kernel (UMIP)";
            if (((m >> 3) & 7) == 4) return "SMSW is emulated by the host kernel (UMIP)";
            if (m >= 0xc0 && m <= 0xc4) return "VMX instructions would reach the host hypervisor";
            return NULL;
        case 0xae:
            if ((m >> 6) == 3 && in->pfx == PFX_F3 && ((m >> 3) & 7) <= 1) return "RDFSBASE/WRFSBASE touch glibc's TLS";
            return NULL;
        case 0xc7:
            if ((m >> 6) == 3) return "RDRAND/RDSEED/RDPID are not deterministic";
            if (((m >> 3) & 7) >= 6) return "VMX instructions would reach the host hypervisor";
            return NULL;
        case 0x78: case 0x79: return "VMREAD/VMWRITE would reach the host hypervisor";
        default:
            return NULL;
        }
    }
    if (in->map == MAP_0F38 && (in->op == 0x80 || in->op == 0x81))
        return "INVEPT/INVVPID would reach the host hypervisor";
    return NULL;
}

/* Every prefix, escape and ModRM shape of one opcode, decoded. */
typedef void (*visit_fn)(const insn_t *in, const uint8_t *bytes, unsigned len, void *ctx);

static void try_bytes(cpu_t *cpu, const uint8_t *b, unsigned n, visit_fn visit, void *ctx)
{
    insn_t in;
    uint8_t buf[16] = { 0 };
    memcpy(buf, b, n);
    int len = insn_decode(cpu, buf, 15, &in);
    if (len > 0 && in.fn != insn_ud)
        visit(&in, buf, (unsigned)len, ctx);
}

static bool is_prefix_1b(unsigned op)
{
    return op == 0x26 || op == 0x2e || op == 0x36 || op == 0x3e || (op >= 0x40 && op <= 0x4f) || op == 0x64 ||
           op == 0x65 || op == 0x66 || op == 0x67 || op == 0xf0 || op == 0xf2 || op == 0xf3 || op == 0x0f ||
           op == 0xc4 || op == 0xc5 || op == 0x62;
}

static void enumerate(cpu_t *cpu, visit_fn visit, void *ctx)
{
    static const uint8_t pfx[4] = { 0, 0x66, 0xf3, 0xf2 };
    for (int map = 0; map < 4; map++)
        for (int p = 0; p < 4; p++)
            for (unsigned op = 0; op < 256; op++) {
                if (map == 0 && is_prefix_1b(op))
                    continue;
                for (unsigned modrm = 0; modrm < 256; modrm++) {
                    if ((modrm >> 6) == 1 || (modrm >> 6) == 2 || ((modrm >> 6) == 0 && (modrm & 7) != 0))
                        continue;   /* mod=0 rm=0 ([rax]) stands for every memory form */
                    uint8_t b[8];
                    unsigned n = 0;
                    if (pfx[p])
                        b[n++] = pfx[p];
                    for (int w = 0; w < 2; w++) {
                        unsigned k = n;
                        if (w)
                            b[k++] = 0x48;   /* REX.W */
                        if (map >= 1)
                            b[k++] = 0x0f;
                        if (map == 2)
                            b[k++] = 0x38;
                        if (map == 3)
                            b[k++] = 0x3a;
                        b[k++] = (uint8_t)op;
                        b[k++] = (uint8_t)modrm;
                        try_bytes(cpu, b, k, visit, ctx);
                    }
                }
            }
    /* VEX: maps 0F38 and 0F3A, every pp and W, vvvv = 0. */
    for (unsigned mmmmm = 2; mmmmm <= 3; mmmmm++)
        for (unsigned pp = 0; pp < 4; pp++)
            for (unsigned w = 0; w < 2; w++)
                for (unsigned op = 0; op < 256; op++)
                    for (unsigned modrm = 0; modrm < 256; modrm++) {
                        if ((modrm >> 6) == 1 || (modrm >> 6) == 2 || ((modrm >> 6) == 0 && (modrm & 7) != 0))
                            continue;
                        uint8_t b[6] = { 0xc4, (uint8_t)(0xe0 | mmmmm), (uint8_t)(w << 7 | 0x78 | pp), (uint8_t)op,
                                         (uint8_t)modrm, 0 };
                        try_bytes(cpu, b, 6, visit, ctx);
                    }
}

struct report {
    keyset_t *covered;
    keyset_t seen;
    csh cs;
    unsigned total, missing, skipped;
};

static void check_form(const insn_t *in, const uint8_t *bytes, unsigned len, void *ctx)
{
    struct report *r = ctx;
    form_key k = key_of(in);
    if (!set_add(&r->seen, k))
        return;
    const char *why = excluded(in);
    if (why) {
        r->skipped++;
        return;
    }
    r->total++;
    if (set_has(r->covered, k))
        return;
    r->missing++;
    cs_insn *ci = NULL;
    size_t n = cs_disasm(r->cs, bytes, len, 0, 1, &ci);
    printf("UNCOVERED map %d opcode %02x%s:", in->map, in->op, (in->flags & INF_VEX) ? " (VEX)" : "");
    for (unsigned i = 0; i < len; i++)
        printf(" %02x", bytes[i]);
    printf(" | %s %s\n", n ? ci->mnemonic : "(capstone: invalid)", n ? ci->op_str : "");
    if (n)
        cs_free(ci, n);
}

static bool set_init(keyset_t *s)
{
    s->k = calloc(SET_SIZE, sizeof *s->k);
    s->used = calloc(SET_SIZE, sizeof *s->used);
    return s->k && s->used;
}

static void set_free(keyset_t *s)
{
    free(s->k);
    free(s->used);
}

int diff_coverage(uint64_t cases, diff_case_bytes_fn next_case)
{
    keyset_t covered;
    struct report r = { .covered = &covered };
    if (!set_init(&covered) || !set_init(&r.seen))
        return 2;
    cpu_t *cpu = diff_interp_cpu();
    if (!cpu)
        return 2;
    for (uint64_t i = 0; i < cases; i++) {
        insn_t in;
        uint8_t buf[16] = { 0 };
        next_case(i, buf);
        if (insn_decode(cpu, buf, 15, &in) > 0)
            set_add(&covered, key_of(&in));
    }
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &r.cs) != CS_ERR_OK)
        return 2;
    enumerate(cpu, check_form, &r);
    cs_close(&r.cs);
    printf("%u interpreter forms, %u excluded by design; %u covered by %" PRIu64 " generated cases\n",
           r.total + r.skipped, r.skipped, r.total - r.missing, cases);
    printf("%u passed, %u failed\n", r.total - r.missing, r.missing);
    set_free(&covered);
    set_free(&r.seen);
    return r.missing ? 1 : 0;
}
