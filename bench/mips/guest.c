/* The interpreter side of bench/mips: a flat machine in 64-bit mode at CPL 0
 * with identity paging (2 MiB pages), the workload ELF loaded into it. */
#include "guest.h"

#include <capstone/capstone.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xenemu/insn.h"
#include "xenemu/machine.h"
#include "xenemu/mmu.h"

/* Guest physical (= linear) layout. */
#define PT_BASE 0x1000ull           /* PML4, PDPT, PD: three pages */
#define STACK_TOP 0x200000ull       /* grows down below the image */
#define IMAGE_BASE 0x200000ull
#define BUF_BASE 0x1000000ull       /* the workload's buffer, 16 MiB up */
#define PAGE_2M 0x200000ull

enum { PTE_P = 1, PTE_RW = 2, PTE_PS = 0x80 };

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

static void load_symbols(guest_image_t *img, Elf *e)
{
    Elf_Scn *scn = NULL;
    while ((scn = elf_nextscn(e, scn)) != NULL) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || sh.sh_entsize == 0)
            continue;
        Elf_Data *d = elf_getdata(scn, NULL);
        if (!d)
            continue;
        size_t n = sh.sh_size / sh.sh_entsize;
        img->sym = calloc(n, sizeof *img->sym);
        if (!img->sym)
            return;
        for (size_t i = 0; i < n; i++) {
            GElf_Sym s;
            if (!gelf_getsym(d, (int)i, &s) || GELF_ST_TYPE(s.st_info) != STT_FUNC)
                continue;
            const char *name = elf_strptr(e, sh.sh_link, s.st_name);
            guest_sym_t *g = &img->sym[img->nsym];
            g->addr = s.st_value;
            g->size = s.st_size;
            g->name = xstrdup(name ? name : "?");
            if (g->name)
                img->nsym++;
        }
        return;
    }
}

bool guest_image_load(guest_image_t *img, const char *path)
{
    memset(img, 0, sizeof *img);
    if (elf_version(EV_CURRENT) == EV_NONE) {
        fprintf(stderr, "mips: libelf: %s\n", elf_errmsg(-1));
        return false;
    }
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        perror(path);
        return false;
    }
    bool ok = false;
    Elf *e = elf_begin(fd, ELF_C_READ, NULL);
    GElf_Ehdr eh;
    size_t nph = 0, fsize = 0;
    const char *file = e ? elf_rawfile(e, &fsize) : NULL;
    if (!e || elf_kind(e) != ELF_K_ELF || !file || gelf_getclass(e) != ELFCLASS64 ||
        !gelf_getehdr(e, &eh) || eh.e_machine != EM_X86_64 || eh.e_type != ET_EXEC ||
        elf_getphdrnum(e, &nph) != 0) {
        fprintf(stderr, "mips: %s: not a static x86-64 ELF executable\n", path);
        goto out;
    }
    img->entry = eh.e_entry;
    for (size_t i = 0; i < nph; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD || ph.p_memsz == 0)
            continue;
        if (img->nseg == GUEST_MAX_SEGS || ph.p_filesz > ph.p_memsz || ph.p_offset > fsize ||
            ph.p_filesz > fsize - ph.p_offset || ph.p_vaddr < IMAGE_BASE ||
            ph.p_memsz > BUF_BASE || ph.p_vaddr > BUF_BASE - ph.p_memsz) {
            fprintf(stderr, "mips: %s: a PT_LOAD segment is outside [0x%llx, 0x%llx)\n", path,
                    IMAGE_BASE, BUF_BASE);
            goto out;
        }
        guest_seg_t *s = &img->seg[img->nseg++];
        s->vaddr = ph.p_vaddr;
        s->filesz = ph.p_filesz;
        s->memsz = ph.p_memsz;
        s->flags = ph.p_flags;
        s->data = malloc(ph.p_filesz ? ph.p_filesz : 1);
        if (!s->data)
            goto out;
        memcpy(s->data, file + ph.p_offset, ph.p_filesz);
    }
    load_symbols(img, e);
    img->path = xstrdup(path);
    ok = img->path != NULL;
out:
    if (e)
        elf_end(e);
    close(fd);
    if (!ok)
        guest_image_free(img);
    return ok;
}

void guest_image_free(guest_image_t *img)
{
    for (int i = 0; i < img->nseg; i++)
        free(img->seg[i].data);
    for (int i = 0; i < img->nsym; i++)
        free(img->sym[i].name);
    free(img->sym);
    free(img->path);
    memset(img, 0, sizeof *img);
}

/* "name+0xoff" for an address, or "?" */
static void sym_name(const guest_image_t *img, uint64_t addr, char *out, size_t len)
{
    for (int i = 0; i < img->nsym; i++) {
        const guest_sym_t *s = &img->sym[i];
        if (addr >= s->addr && addr < s->addr + (s->size ? s->size : 1)) {
            snprintf(out, len, "%s+0x%llx", s->name, (unsigned long long)(addr - s->addr));
            return;
        }
    }
    snprintf(out, len, "?");
}

static uint64_t ram_size(uint64_t buf_bytes)
{
    return BUF_BASE + ((buf_bytes + PAGE_2M - 1) & ~(PAGE_2M - 1));
}

/* PML4[0] -> PDPT[0] -> PD of 2 MiB pages covering RAM (at most 1 GiB). */
static bool build_page_tables(phys_mem_t *pm, uint64_t ram)
{
    uint64_t pml4e = (PT_BASE + 0x1000) | PTE_P | PTE_RW;
    uint64_t pdpte = (PT_BASE + 0x2000) | PTE_P | PTE_RW;
    if (ram > 512 * PAGE_2M || !phys_copy_to(pm, PT_BASE, &pml4e, 8) ||
        !phys_copy_to(pm, PT_BASE + 0x1000, &pdpte, 8))
        return false;
    for (uint64_t i = 0; i < ram / PAGE_2M; i++) {
        uint64_t pde = i * PAGE_2M | PTE_P | PTE_RW | PTE_PS;
        if (!phys_copy_to(pm, PT_BASE + 0x2000 + i * 8, &pde, 8))
            return false;
    }
    return true;
}

static void set_seg(seg_t *s, uint16_t sel, uint32_t attr)
{
    s->sel = sel;
    s->base = 0;
    s->limit = 0xffffffff;
    s->attr = attr;
}

/* Long mode, CPL 0, flat segments (SDM Vol.3A §9.8.5 describes the way a
 * real CPU gets here; we set the end state directly). */
static void setup_cpu(cpu_t *cpu, uint64_t entry, uint64_t size)
{
    cpu->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
    cpu->cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
    cpu->efer = EFER_LME | EFER_LMA | EFER_NXE;
    cpu->cr3 = PT_BASE;
    set_seg(&cpu->seg[SEG_CS], 0x08, SEGA_P | SEGA_S | SEGA_L | SEGA_G | 0xb);
    static const int data_segs[] = { SEG_ES, SEG_SS, SEG_DS, SEG_FS, SEG_GS };
    for (size_t i = 0; i < sizeof data_segs / sizeof data_segs[0]; i++)
        set_seg(&cpu->seg[data_segs[i]], 0x10, SEGA_P | SEGA_S | SEGA_DB | SEGA_G | 0x3);
    cpu->rflags = 2;
    cpu->r[R_RIP] = entry;
    cpu->r[R_RSP] = STACK_TOP;
    cpu->r[R_RDI] = BUF_BASE;
    cpu->r[R_RSI] = size;
    cpu->deliver_exceptions = false;
    mmu_flush_all(cpu);
    cpu_update_mode(cpu);
}

static bool setup_machine(machine_t *m, const guest_image_t *img, uint64_t buf_bytes)
{
    if (machine_init(m, 1) < 0)
        return false;
    uint64_t ram = ram_size(buf_bytes);
    bool ok = phys_add_ram(&m->mem, 0, ram) == 0 && build_page_tables(&m->mem, ram);
    for (int i = 0; ok && i < img->nseg; i++)
        ok = phys_copy_to(&m->mem, img->seg[i].vaddr, img->seg[i].data, img->seg[i].filesz);
    if (!ok) {
        fprintf(stderr, "mips: cannot build the guest machine\n");
        machine_destroy(m);
    }
    return ok;
}

static const char *const vec_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "?9", "#TS", "#NP",
    "#SS", "#GP", "#PF", "?15", "#MF", "#AC", "#MC", "#XM", "#VE",
};

/* Disassemble one instruction; false if Capstone cannot. */
static bool disasm_one(const uint8_t *code, size_t len, uint64_t addr, char *out, size_t outlen)
{
    csh h;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
        return false;
    cs_insn *insn;
    size_t n = cs_disasm(h, code, len, addr, 1, &insn);
    if (n)
        snprintf(out, outlen, "%s %s", insn[0].mnemonic, insn[0].op_str);
    if (n)
        cs_free(insn, n);
    cs_close(&h);
    return n != 0;
}

static void report_stop(const guest_image_t *img, machine_t *m, cpu_t *cpu, enum cpu_stop why)
{
    uint64_t rip = cpu->r[R_RIP];
    char where[128];
    sym_name(img, rip, where, sizeof where);
    if (why == STOP_EXCEPTION) {
        int v = cpu->exc.vector;
        const char *name = v >= 0 && v < 32 && vec_names[v] ? vec_names[v] : "?";
        fprintf(stderr, "mips: %s: exception %s (vector %d", img->path, name, v);
        if (cpu->exc.has_error_code)
            fprintf(stderr, ", error code 0x%x", cpu->exc.error_code);
        if (v == EXC_PF)
            fprintf(stderr, ", cr2 0x%llx", (unsigned long long)cpu->exc.cr2);
        fprintf(stderr, ")");
    } else if (why == STOP_BUDGET) {
        fprintf(stderr, "mips: %s: no HLT within the instruction limit", img->path);
    } else {
        fprintf(stderr, "mips: %s: unexpected stop %d", img->path, (int)why);
    }
    fprintf(stderr, " at rip 0x%llx (%s) after %llu instructions\n", (unsigned long long)rip,
            where, (unsigned long long)cpu->icount);
    /* Identity mapping: linear = physical. */
    uint8_t code[15];
    size_t n = 0;
    while (n < sizeof code && phys_copy_from(&m->mem, code + n, rip + n, 1))
        n++;
    fprintf(stderr, "mips:   bytes:");
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, " %02x", code[i]);
    char text[208];
    if (n && disasm_one(code, n, rip, text, sizeof text))
        fprintf(stderr, "\nmips:   insn:  %s\n", text);
    else
        fprintf(stderr, "\nmips:   insn:  (Capstone cannot decode it)\n");
}

bool guest_run(const guest_image_t *img, void (*init)(void *, uint64_t), uint64_t size,
               uint64_t buf_bytes, uint64_t max_insns, guest_result_t *res)
{
    machine_t m;
    if (!setup_machine(&m, img, buf_bytes))
        return false;
    uint8_t *buf = phys_ram_ptr(&m.mem, BUF_BASE, buf_bytes);
    if (!buf) {
        machine_destroy(&m);
        return false;
    }
    init(buf, size);
    cpu_t *cpu = m.cpu[0];
    setup_cpu(cpu, img->entry, size);
    enum cpu_stop why;
    double t0 = bench_seconds();
    do
        why = cpu_run(cpu, max_insns - cpu->icount);
    while (why == STOP_EVENT && cpu->icount < max_insns);
    double t1 = bench_seconds();
    bool ok = why == STOP_HALT;
    res->checksum = ok ? cpu->r[R_RAX] : 0;
    res->icount = cpu->icount;
    res->seconds = t1 - t0;
    if (!ok)
        report_stop(img, &m, cpu, why);
    machine_destroy(&m);
    return ok;
}

/* One distinct instruction form in the listing. */
typedef struct form {
    char mnemonic[32];
    bool missing;
    unsigned count;
    uint64_t first;            /* address of the first occurrence */
    uint8_t bytes[16];
    uint8_t len;
    char text[208];
} form_t;

static form_t *find_form(form_t *forms, int *nforms, int cap, const char *mn, bool missing)
{
    for (int i = 0; i < *nforms; i++)
        if (forms[i].missing == missing && strcmp(forms[i].mnemonic, mn) == 0)
            return &forms[i];
    if (*nforms == cap)
        return NULL;
    form_t *f = &forms[(*nforms)++];
    memset(f, 0, sizeof *f);
    snprintf(f->mnemonic, sizeof f->mnemonic, "%s", mn);
    f->missing = missing;
    return f;
}

int guest_list_insns(const guest_image_t *img)
{
    machine_t m;
    if (!setup_machine(&m, img, PAGE_2M))
        return -1;
    cpu_t *cpu = m.cpu[0];
    setup_cpu(cpu, img->entry, 0);
    csh h;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK) {
        machine_destroy(&m);
        return -1;
    }
    enum { CAP = 512 };
    form_t *forms = calloc(CAP, sizeof *forms);
    int nforms = 0, nmissing = 0;
    cs_insn *ci = cs_malloc(h);
    for (int s = 0; forms && ci && s < img->nseg; s++) {
        const guest_seg_t *sg = &img->seg[s];
        if (!(sg->flags & PF_X))
            continue;
        const uint8_t *code = sg->data;
        size_t left = sg->filesz;
        uint64_t addr = sg->vaddr;
        while (left) {
            const uint8_t *at = code;
            uint64_t at_addr = addr;
            if (!cs_disasm_iter(h, &code, &left, &addr, ci)) {
                code++, left--, addr++;
                continue;
            }
            insn_t in;
            memset(&in, 0, sizeof in);
            int len = insn_decode(cpu, at, (unsigned)ci->size, &in);
            bool missing = len <= 0 || in.fn == insn_ud;
            form_t *f = find_form(forms, &nforms, CAP, ci->mnemonic, missing);
            if (!f)
                continue;
            if (f->count++ == 0) {
                f->first = at_addr;
                f->len = (uint8_t)ci->size;
                memcpy(f->bytes, at, ci->size);
                snprintf(f->text, sizeof f->text, "%s %s", ci->mnemonic, ci->op_str);
                nmissing += missing;
            }
        }
    }
    printf("%s: %d instruction forms", img->path, nforms);
    printf("\n  implemented:");
    for (int i = 0; i < nforms; i++)
        if (!forms[i].missing)
            printf(" %s", forms[i].mnemonic);
    printf("\n  #UD in the interpreter: %s\n", nmissing ? "" : "none");
    for (int i = 0; i < nforms; i++) {
        const form_t *f = &forms[i];
        if (!f->missing)
            continue;
        char where[128];
        sym_name(img, f->first, where, sizeof where);
        printf("    %-10s x%-4u e.g. %-32s [", f->mnemonic, f->count, f->text);
        for (unsigned b = 0; b < f->len; b++)
            printf(b ? " %02x" : "%02x", f->bytes[b]);
        printf("] at %s\n", where);
    }
    cs_free(ci, 1);
    free(forms);
    cs_close(&h);
    machine_destroy(&m);
    return nmissing;
}
