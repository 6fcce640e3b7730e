/* The kernel loader: ELF parsing, Xen notes, every malformed input it must
 * refuse with a reason, and bzImage payloads in each compression format
 * (made at test time with the compressors' own libraries). */
#include <bzlib.h>
#include <check.h>
#include <elf.h>
#include <lz4.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "xenemu/decompress.h"
#include "xenemu/loader.h"

/* An ELF64 kernel: one PT_LOAD at paddr 0x100000 (0x100 bytes of code and
 * 0x1000 of BSS) and a PT_NOTE with PHYS32_ENTRY and GUEST_OS. */
typedef struct image {
    uint8_t b[0x1000];
    size_t len;
} image_t;

static size_t put_note(uint8_t *p, uint32_t type, const void *desc, uint32_t dlen)
{
    uint32_t h[3] = { 4, dlen, type };
    memcpy(p, h, 12);
    memcpy(p + 12, "Xen", 4);
    memcpy(p + 16, desc, dlen);
    return 16 + ((dlen + 3) & ~3u);
}

static void make_elf(image_t *im)
{
    memset(im, 0, sizeof *im);
    Elf64_Ehdr *eh = (Elf64_Ehdr *)im->b;
    memcpy(eh->e_ident, ELFMAG, SELFMAG);
    eh->e_ident[EI_CLASS] = ELFCLASS64;
    eh->e_ident[EI_DATA] = ELFDATA2LSB;
    eh->e_ident[EI_VERSION] = EV_CURRENT;
    eh->e_type = ET_EXEC;
    eh->e_machine = EM_X86_64;
    eh->e_version = EV_CURRENT;
    eh->e_entry = 0x100000;
    eh->e_phoff = sizeof *eh;
    eh->e_ehsize = sizeof *eh;
    eh->e_phentsize = sizeof(Elf64_Phdr);
    eh->e_phnum = 2;
    Elf64_Phdr *ph = (Elf64_Phdr *)(im->b + sizeof *eh);
    ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0x400, .p_vaddr = 0x100000,
                          .p_paddr = 0x100000, .p_filesz = 0x100, .p_memsz = 0x1100, .p_align = 0x1000 };
    uint8_t *notes = im->b + 0x200;
    uint32_t entry = 0x100010;
    size_t n = put_note(notes, XEN_ELFNOTE_PHYS32_ENTRY, &entry, 4);
    n += put_note(notes + n, XEN_ELFNOTE_GUEST_OS, "linux", 6);
    ph[1] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_flags = PF_R, .p_offset = 0x200, .p_filesz = n, .p_align = 4 };
    for (int i = 0; i < 0x100; i++)
        im->b[0x400 + i] = (uint8_t)i;
    im->len = 0x500;
}

static int parse(const image_t *im, kernel_image_t *k, char *err)
{
    uint8_t *copy = malloc(im->len);
    memcpy(copy, im->b, im->len);
    int rc = kernel_parse(copy, im->len, k, err, 256);
    if (rc < 0)
        kernel_free(k);
    return rc;
}

START_TEST(good_elf_and_notes)
{
    image_t im;
    kernel_image_t k;
    char err[256];
    make_elf(&im);
    ck_assert_int_eq(parse(&im, &k, err), 0);
    ck_assert(k.is64);
    ck_assert_int_eq(k.nseg, 1);
    ck_assert_uint_eq(k.seg[0].paddr, 0x100000);
    ck_assert(k.note[XEN_ELFNOTE_PHYS32_ENTRY].present);
    ck_assert_uint_eq(k.note[XEN_ELFNOTE_PHYS32_ENTRY].value, 0x100010);
    ck_assert_str_eq(k.note[XEN_ELFNOTE_GUEST_OS].text, "linux");
    phys_mem_t pm;
    phys_init(&pm);
    ck_assert_int_eq(phys_add_ram(&pm, 0, 4 << 20), 0);
    uint8_t *bss = phys_ram_ptr(&pm, 0x100100, 1);
    *bss = 0xaa;
    ck_assert_int_eq(kernel_load(&k, &pm, err, sizeof err), 0);
    ck_assert_uint_eq(*phys_ram_ptr(&pm, 0x100005, 1), 5);
    ck_assert_uint_eq(*bss, 0);          /* BSS zeroed */
    kernel_free(&k);
    /* Too little memory for the segment. */
    phys_destroy(&pm);
    phys_init(&pm);
    ck_assert_int_eq(phys_add_ram(&pm, 0, 1 << 20), 0);
    ck_assert_int_eq(parse(&im, &k, err), 0);
    ck_assert_int_eq(kernel_load(&k, &pm, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "does not fit"));
    kernel_free(&k);
    phys_destroy(&pm);
}
END_TEST

/* Each corruption is refused with a reason; none may crash (ASan build). */
START_TEST(malformed_inputs)
{
    static const struct { const char *what, *reason; } cases[] = {
        { "not elf", "not an ELF" },       { "wrong machine", "not an x86" },  { "not exec", "not an executable" },
        { "past eof", "truncated" },       { "filesz>memsz", "file size" },   { "overlap", "overlap" },
        { "no load", "nothing to load" },  { "note past eof", "truncated" },  { "wrap", "wraps" },
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        image_t im;
        kernel_image_t k;
        char err[256] = "";
        make_elf(&im);
        Elf64_Ehdr *eh = (Elf64_Ehdr *)im.b;
        Elf64_Phdr *ph = (Elf64_Phdr *)(im.b + sizeof *eh);
        switch (i) {
        case 0: im.b[1] = 'X'; break;
        case 1: eh->e_machine = EM_AARCH64; break;
        case 2: eh->e_type = ET_DYN; break;
        case 3: ph[0].p_filesz = 0x10000; ph[0].p_memsz = 0x10000; break;
        case 4: ph[0].p_memsz = 0x10; break;
        case 5:
            eh->e_phnum = 3;
            memcpy(&ph[2], &ph[0], sizeof ph[0]);
            ph[2].p_paddr += 0x80;
            break;
        case 6: ph[0].p_type = PT_NULL; break;
        case 7: ph[1].p_offset = 0x4f0; ph[1].p_filesz = 0x100; break;
        case 8: ph[0].p_paddr = ~0ull - 0x10; break;
        }
        ck_assert_msg(parse(&im, &k, err) == -1, "%s accepted", cases[i].what);
        ck_assert_msg(strstr(err, cases[i].reason), "%s: '%s'", cases[i].what, err);
        ck_assert_ptr_null(strchr(err, '\n'));
    }
    /* Truncations at every length never crash and never succeed short of the segment. */
    image_t im;
    make_elf(&im);
    for (size_t len = 0; len < 0x500; len += 7) {
        kernel_image_t k;
        char err[256];
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, im.b, len);
        int rc = kernel_parse(copy, len, &k, err, sizeof err);
        kernel_free(&k);
        ck_assert_int_eq(rc, -1);
    }
}
END_TEST

/* ---- bzImage payloads ---- */

static size_t compress_with(const char *fmt, const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
    size_t n = 0;
    if (!strcmp(fmt, "gzip")) {
        z_stream z = { 0 };
        deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
        z.next_in = (Bytef *)in;
        z.avail_in = (uInt)len;
        z.next_out = out;
        z.avail_out = (uInt)cap;
        deflate(&z, Z_FINISH);
        n = z.total_out;
        deflateEnd(&z);
    } else if (!strcmp(fmt, "xz") || !strcmp(fmt, "lzma")) {
        lzma_stream s = LZMA_STREAM_INIT;
        lzma_options_lzma opt;
        lzma_lzma_preset(&opt, 6);
        lzma_ret r = !strcmp(fmt, "xz") ? lzma_easy_encoder(&s, 6, LZMA_CHECK_CRC32) : lzma_alone_encoder(&s, &opt);
        ck_assert_int_eq(r, LZMA_OK);
        s.next_in = in;
        s.avail_in = len;
        s.next_out = out;
        s.avail_out = cap;
        while (lzma_code(&s, LZMA_FINISH) == LZMA_OK)
            ;
        n = s.total_out;
        lzma_end(&s);
    } else if (!strcmp(fmt, "lz4")) {
        memcpy(out, "\x02\x21\x4c\x18", 4);
        int c = LZ4_compress_default((const char *)in, (char *)out + 8, (int)len, (int)cap - 8);
        uint32_t c32 = (uint32_t)c;
        memcpy(out + 4, &c32, 4);
        n = 8 + (size_t)c;
    } else if (!strcmp(fmt, "zstd")) {
        n = ZSTD_compress(out, cap, in, len, 3);
    } else {
        unsigned dl = (unsigned)cap;
        BZ2_bzBuffToBuffCompress((char *)out, &dl, (char *)in, (unsigned)len, 9, 0, 0);
        n = dl;
    }
    uint32_t size = (uint32_t)len;      /* Linux appends the uncompressed size */
    memcpy(out + n, &size, 4);
    return n + 4;
}

/* A bzImage: setup header with protocol 2.15, setup_sects 1, payload after. */
static size_t make_bzimage(uint8_t *b, size_t cap, const uint8_t *payload, size_t plen)
{
    memset(b, 0, 1024);
    b[0x1f1] = 1;
    memcpy(b + 0x202, "HdrS", 4);
    b[0x206] = 0x0f;
    b[0x207] = 0x02;
    uint32_t off = 0x10, len = (uint32_t)plen;
    memcpy(b + 0x248, &off, 4);
    memcpy(b + 0x24c, &len, 4);
    ck_assert(1024 + off + plen <= cap);
    memcpy(b + 1024 + off, payload, plen);
    return 1024 + off + plen;
}

START_TEST(bzimage_every_compressor)
{
    static const char *fmts[] = { "gzip", "xz", "lzma", "lz4", "zstd", "bzip2" };
    image_t im;
    make_elf(&im);
    char path[] = "/tmp/xenemu-test-bzimage-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    for (unsigned i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
        static uint8_t packed[0x4000], bz[0x8000];
        size_t plen = compress_with(fmts[i], im.b, im.len, packed, sizeof packed - 4);
        ck_assert_str_eq(payload_format(packed, plen), fmts[i]);
        size_t blen = make_bzimage(bz, sizeof bz, packed, plen);
        FILE *f = fopen(path, "wb");
        fwrite(bz, 1, blen, f);
        fclose(f);
        kernel_image_t k;
        char err[256];
        ck_assert_msg(kernel_open(path, &k, err, sizeof err) == 0, "%s: %s", fmts[i], err);
        ck_assert_uint_eq(k.note[XEN_ELFNOTE_PHYS32_ENTRY].value, 0x100010);
        kernel_free(&k);
        /* A corrupt payload is refused with a reason naming the format. */
        bz[1024 + 0x10 + plen / 2] ^= 0x5a;
        bz[1024 + 0x10 + plen / 2 + 1] ^= 0xa5;
        f = fopen(path, "wb");
        fwrite(bz, 1, blen, f);
        fclose(f);
        int rc = kernel_open(path, &k, err, sizeof err);
        if (rc == 0)
            kernel_free(&k);     /* a flipped byte may survive in stored data; it must not crash */
        else
            ck_assert_ptr_null(strchr(err, '\n'));
        /* A payload cut short is refused. */
        blen = make_bzimage(bz, sizeof bz, packed, plen / 2);
        f = fopen(path, "wb");
        fwrite(bz, 1, blen, f);
        fclose(f);
        ck_assert_msg(kernel_open(path, &k, err, sizeof err) == -1, "%s: truncated payload accepted", fmts[i]);
    }
    unlink(path);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("loader");
    TCase *t = tcase_create("elf");
    tcase_add_test(t, good_elf_and_notes);
    tcase_add_test(t, malformed_inputs);
    tcase_add_test(t, bzimage_every_compressor);
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
