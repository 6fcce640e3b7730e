/* ELF kernels through libelf: program headers, Xen ELF notes, the Multiboot
 * header; every field of the file is checked before it is used. */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "xenemu/bzimage.h"
#include "xenemu/decompress.h"
#include "xenemu/loader.h"

#define MAX_KERNEL_FILE (1ull << 30)
#define MULTIBOOT_MAGIC 0x1badb002u
#define MULTIBOOT_SEARCH 8192

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

void kernel_free(kernel_image_t *k)
{
    free(k->file);
    memset(k, 0, sizeof *k);
}

static void find_multiboot(kernel_image_t *k)
{
    size_t end = k->file_size < MULTIBOOT_SEARCH ? k->file_size : MULTIBOOT_SEARCH;
    for (size_t off = 0; off + 12 <= end; off += 4) {
        uint32_t w[3];
        memcpy(w, k->file + off, sizeof w);
        if (w[0] == MULTIBOOT_MAGIC && (uint32_t)(w[0] + w[1] + w[2]) == 0) {
            k->has_multiboot = true;
            k->multiboot_flags = w[1];
            return;
        }
    }
}

static bool is_string_note(unsigned type)
{
    switch (type) {
    case XEN_ELFNOTE_INFO: case XEN_ELFNOTE_XEN_VERSION: case XEN_ELFNOTE_GUEST_OS:
    case XEN_ELFNOTE_GUEST_VERSION: case XEN_ELFNOTE_LOADER: case XEN_ELFNOTE_PAE_MODE:
    case XEN_ELFNOTE_FEATURES: case XEN_ELFNOTE_BSD_SYMTAB:
        return true;
    default:
        return false;
    }
}

static void record_note(kernel_image_t *k, unsigned type, const uint8_t *desc, size_t len)
{
    if (type > XEN_ELFNOTE_MAX)
        return;
    xen_note_t *n = &k->note[type];
    n->present = true;
    if (is_string_note(type)) {
        size_t c = len < sizeof n->text - 1 ? len : sizeof n->text - 1;
        memcpy(n->text, desc, c);
        n->text[c] = 0;
        return;
    }
    n->value = 0;
    if (len == 1 || len == 2 || len == 4 || len == 8)
        memcpy(&n->value, desc, len);     /* little-endian numeric */
}

static int read_notes(Elf *e, const GElf_Phdr *ph, kernel_image_t *k, char *err, size_t errlen)
{
    Elf_Data *d = elf_getdata_rawchunk(e, (int64_t)ph->p_offset, ph->p_filesz, ELF_T_NHDR);
    if (!d)
        return fail(err, errlen, "corrupt ELF note segment: %s", elf_errmsg(-1));
    size_t off = 0, name_off, desc_off;
    GElf_Nhdr nh;
    while (off < d->d_size) {
        size_t next = gelf_getnote(d, off, &nh, &name_off, &desc_off);
        if (next == 0)
            return fail(err, errlen, "corrupt ELF note at offset %zu of its segment", off);
        const char *name = (const char *)d->d_buf + name_off;
        if (nh.n_namesz == 4 && !memcmp(name, "Xen", 4))
            record_note(k, nh.n_type, (const uint8_t *)d->d_buf + desc_off, nh.n_descsz);
        off = next;
    }
    return 0;
}

static int check_segment(const kernel_image_t *k, const GElf_Phdr *ph, char *err, size_t errlen)
{
    if (ph->p_filesz > ph->p_memsz)
        return fail(err, errlen, "malformed ELF: a segment's file size exceeds its memory size");
    if (ph->p_offset > k->file_size || ph->p_filesz > k->file_size - ph->p_offset)
        return fail(err, errlen, "truncated ELF: a segment extends past the end of the file");
    if (ph->p_paddr + ph->p_memsz < ph->p_paddr)
        return fail(err, errlen, "malformed ELF: a segment wraps around the address space");
    for (int i = 0; i < k->nseg; i++) {
        const load_segment_t *s = &k->seg[i];
        if (ph->p_memsz && s->memsz && ph->p_paddr < s->paddr + s->memsz && s->paddr < ph->p_paddr + ph->p_memsz)
            return fail(err, errlen, "malformed ELF: load segments overlap at physical 0x%llx",
                        (unsigned long long)ph->p_paddr);
    }
    return 0;
}

static int read_program_headers(Elf *e, kernel_image_t *k, char *err, size_t errlen)
{
    size_t n;
    if (elf_getphdrnum(e, &n) != 0 || n == 0)
        return fail(err, errlen, "malformed ELF: no program headers");
    k->lowest = ~0ull;
    for (size_t i = 0; i < n; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(e, (int)i, &ph))
            return fail(err, errlen, "malformed ELF: unreadable program header %zu", i);
        if (ph.p_type == PT_NOTE) {
            if (ph.p_offset > k->file_size || ph.p_filesz > k->file_size - ph.p_offset)
                return fail(err, errlen, "truncated ELF: a note segment extends past the end of the file");
            if (read_notes(e, &ph, k, err, errlen) < 0)
                return -1;
        }
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
            continue;
        if (k->nseg == LOADER_MAX_SEGMENTS)
            return fail(err, errlen, "malformed ELF: more than %d load segments", LOADER_MAX_SEGMENTS);
        if (check_segment(k, &ph, err, errlen) < 0)
            return -1;
        k->seg[k->nseg++] = (load_segment_t){ ph.p_paddr, ph.p_vaddr, ph.p_filesz, ph.p_memsz, ph.p_offset };
        if (ph.p_paddr < k->lowest)
            k->lowest = ph.p_paddr;
        if (ph.p_paddr + ph.p_memsz > k->highest)
            k->highest = ph.p_paddr + ph.p_memsz;
    }
    if (k->nseg == 0)
        return fail(err, errlen, "malformed ELF: nothing to load");
    return 0;
}

int kernel_parse(uint8_t *data, size_t size, kernel_image_t *k, char *err, size_t errlen)
{
    memset(k, 0, sizeof *k);
    k->file = data;
    k->file_size = size;
    if (size < 16 || memcmp(data, ELFMAG, SELFMAG) != 0)
        return fail(err, errlen, "not an ELF kernel");
    elf_version(EV_CURRENT);
    Elf *e = elf_memory((char *)data, size);
    if (!e)
        return fail(err, errlen, "malformed ELF: %s", elf_errmsg(-1));
    int rc = -1;
    GElf_Ehdr eh;
    if (!gelf_getehdr(e, &eh)) {
        fail(err, errlen, "malformed ELF header: %s", elf_errmsg(-1));
    } else if (eh.e_machine != EM_X86_64 && eh.e_machine != EM_386) {
        fail(err, errlen, "not an x86 kernel (ELF machine %u)", eh.e_machine);
    } else if (eh.e_type != ET_EXEC) {
        fail(err, errlen, "not an executable ELF (type %u)", eh.e_type);
    } else {
        k->is64 = gelf_getclass(e) == ELFCLASS64;
        k->entry = eh.e_entry;
        rc = read_program_headers(e, k, err, errlen);
        find_multiboot(k);
    }
    elf_end(e);
    return rc;
}

/* Replace a bzImage by the ELF kernel its payload holds. */
static int unwrap_bzimage(uint8_t **data, size_t *size, char *err, size_t errlen)
{
    size_t off, len, elf_size;
    uint8_t *elf;
    if (bzimage_payload(*data, *size, &off, &len, err, errlen) < 0 ||
        payload_unpack(*data + off, len, &elf, &elf_size, err, errlen) < 0)
        return -1;
    free(*data);
    *data = elf;
    *size = elf_size;
    return 0;
}

int kernel_open(const char *path, kernel_image_t *k, char *err, size_t errlen)
{
    memset(k, 0, sizeof *k);
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail(err, errlen, "cannot open kernel '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > MAX_KERNEL_FILE) {
        fclose(f);
        return fail(err, errlen, "kernel '%s' is not a regular file of at most 1 GiB", path);
    }
    size_t size = (size_t)st.st_size;
    uint8_t *data = malloc(size ? size : 1);
    if (!data || fread(data, 1, size, f) != size) {
        free(data);
        fclose(f);
        return fail(err, errlen, "cannot read kernel '%s'", path);
    }
    fclose(f);
    if (bzimage_detect(data, size) && unwrap_bzimage(&data, &size, err, errlen) < 0) {
        free(data);
        return -1;
    }
    if (kernel_parse(data, size, k, err, errlen) < 0) {
        kernel_free(k);
        return -1;
    }
    return 0;
}

int kernel_load(const kernel_image_t *k, phys_mem_t *pm, char *err, size_t errlen)
{
    for (int i = 0; i < k->nseg; i++) {
        const load_segment_t *s = &k->seg[i];
        uint8_t *dst = phys_ram_ptr(pm, s->paddr, s->memsz);
        if (!dst)
            return fail(err, errlen, "kernel segment at physical 0x%llx-0x%llx does not fit in guest memory",
                        (unsigned long long)s->paddr, (unsigned long long)(s->paddr + s->memsz));
        memcpy(dst, k->file + s->offset, s->filesz);
        memset(dst + s->filesz, 0, s->memsz - s->filesz);
    }
    return 0;
}

static const char *note_name(unsigned t)
{
    static const char *names[] = {
        "INFO", "ENTRY", "HYPERCALL_PAGE", "VIRT_BASE", "PADDR_OFFSET", "XEN_VERSION", "GUEST_OS",
        "GUEST_VERSION", "LOADER", "PAE_MODE", "FEATURES", "BSD_SYMTAB", "HV_START_LOW", "L1_MFN_VALID",
        "SUSPEND_CANCEL", "INIT_P2M", "MOD_START_PFN", "SUPPORTED_FEATURES", "PHYS32_ENTRY",
    };
    return t <= XEN_ELFNOTE_MAX ? names[t] : "?";
}

void kernel_describe(const kernel_image_t *k, void (*print)(void *ctx, const char *line), void *ctx)
{
    char line[256];
    snprintf(line, sizeof line, "ELF%d, entry 0x%llx", k->is64 ? 64 : 32, (unsigned long long)k->entry);
    print(ctx, line);
    for (int i = 0; i < k->nseg; i++) {
        const load_segment_t *s = &k->seg[i];
        snprintf(line, sizeof line, "load: paddr 0x%llx vaddr 0x%llx filesz 0x%llx memsz 0x%llx",
                 (unsigned long long)s->paddr, (unsigned long long)s->vaddr, (unsigned long long)s->filesz,
                 (unsigned long long)s->memsz);
        print(ctx, line);
    }
    for (unsigned t = 0; t <= XEN_ELFNOTE_MAX; t++) {
        const xen_note_t *n = &k->note[t];
        if (!n->present)
            continue;
        if (is_string_note(t))
            snprintf(line, sizeof line, "note %s: \"%s\"", note_name(t), n->text);
        else
            snprintf(line, sizeof line, "note %s: 0x%llx", note_name(t), (unsigned long long)n->value);
        print(ctx, line);
    }
    if (k->has_multiboot) {
        snprintf(line, sizeof line, "multiboot header, flags 0x%x", k->multiboot_flags);
        print(ctx, line);
    }
}
