/* Kernel images: ELF32/ELF64 through libelf, their Xen ELF notes and
 * Multiboot header (DESIGN.md, src/loader/). */
#ifndef XENEMU_LOADER_H
#define XENEMU_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xenemu/boot.h"
#include "xenemu/phys.h"

#define LOADER_MAX_SEGMENTS 32

typedef struct load_segment {
    uint64_t paddr, vaddr;
    uint64_t filesz, memsz;
    uint64_t offset;
} load_segment_t;

/* Xen ELF notes (xen/include/public/elfnote.h); numeric notes are 4 or 8
 * bytes, string notes NUL-terminated. */
enum {
    XEN_ELFNOTE_INFO = 0, XEN_ELFNOTE_ENTRY = 1, XEN_ELFNOTE_HYPERCALL_PAGE = 2,
    XEN_ELFNOTE_VIRT_BASE = 3, XEN_ELFNOTE_PADDR_OFFSET = 4, XEN_ELFNOTE_XEN_VERSION = 5,
    XEN_ELFNOTE_GUEST_OS = 6, XEN_ELFNOTE_GUEST_VERSION = 7, XEN_ELFNOTE_LOADER = 8,
    XEN_ELFNOTE_PAE_MODE = 9, XEN_ELFNOTE_FEATURES = 10, XEN_ELFNOTE_BSD_SYMTAB = 11,
    XEN_ELFNOTE_HV_START_LOW = 12, XEN_ELFNOTE_L1_MFN_VALID = 13, XEN_ELFNOTE_SUSPEND_CANCEL = 14,
    XEN_ELFNOTE_INIT_P2M = 15, XEN_ELFNOTE_MOD_START_PFN = 16, XEN_ELFNOTE_SUPPORTED_FEATURES = 17,
    XEN_ELFNOTE_PHYS32_ENTRY = 18, XEN_ELFNOTE_MAX = 18,
};

typedef struct xen_note {
    bool present;
    uint64_t value;          /* numeric notes */
    char text[128];          /* string notes, truncated */
} xen_note_t;

typedef struct kernel_image {
    bool is64;
    uint64_t entry;                       /* ELF e_entry */
    load_segment_t seg[LOADER_MAX_SEGMENTS];
    int nseg;
    uint64_t lowest, highest;             /* physical span of the loaded segments */
    xen_note_t note[XEN_ELFNOTE_MAX + 1];
    bool has_multiboot;                   /* Multiboot 1 header in the first 8 KiB */
    uint32_t multiboot_flags;
    uint8_t *file;                        /* the ELF bytes (owned) */
    size_t file_size;
} kernel_image_t;

/* Parse an ELF kernel from memory (takes ownership of `data`, which must be
 * malloc'ed). Returns 0, or -1 with a one-line reason in err. */
int kernel_parse(uint8_t *data, size_t size, kernel_image_t *k, char *err, size_t errlen);
/* Read and parse a kernel file (bzImage payloads are unpacked). */
int kernel_open(const char *path, kernel_image_t *k, char *err, size_t errlen);
void kernel_free(kernel_image_t *k);

/* Copy the segments into guest RAM at their physical addresses, zeroing the
 * BSS. Returns 0, or -1 with a reason (a segment outside RAM). */
int kernel_load(const kernel_image_t *k, phys_mem_t *pm, char *err, size_t errlen);

/* Reads the initrd at path into RAM on the first page boundary at or above
 * `at`, ending at or below `limit`; fills *mod. 0, or -1 with a one-line
 * reason (unreadable, empty, does not fit). */
int initrd_load(phys_mem_t *pm, const char *path, uint64_t at, uint64_t limit, boot_module_t *mod, char *err,
                size_t errlen);

/* Human-readable summary for `xenemu info`. */
void kernel_describe(const kernel_image_t *k, void (*print)(void *ctx, const char *line), void *ctx);

#endif
