/* Unpacking a bzImage payload: the compressors Linux's Kconfig offers for
 * the kernel image (gzip, xz, lzma, lz4, zstd, bzip2), told apart by their
 * magic bytes. Linux appends the uncompressed size as 4 little-endian bytes
 * (scripts/Makefile.lib, size_append); it is only a hint here. */
#include <bzlib.h>
#include <lz4.h>
#include <lzma.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "xenemu/decompress.h"

#define MAX_OUTPUT (1ull << 30)          /* no kernel image is larger than 1 GiB */
#define LZ4_LEGACY_MAGIC 0x184c2102u
#define LZ4_LEGACY_BLOCK (8u << 20)      /* legacy frames hold blocks of at most 8 MiB */

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* A growable output buffer, capped at MAX_OUTPUT. */
typedef struct outbuf {
    uint8_t *p;
    size_t len, cap;
} outbuf_t;

static bool out_reserve(outbuf_t *o, size_t more)
{
    if (more > MAX_OUTPUT - o->len)
        return false;
    if (o->len + more <= o->cap)
        return true;
    size_t cap = o->cap ? o->cap : (1u << 20);
    while (cap < o->len + more)
        cap *= 2;
    if (cap > MAX_OUTPUT)
        cap = MAX_OUTPUT;
    uint8_t *n = realloc(o->p, cap);
    if (!n)
        return false;
    o->p = n;
    o->cap = cap;
    return true;
}

static size_t size_hint(const uint8_t *in, size_t len)
{
    if (len < 4)
        return 0;
    uint32_t v;
    memcpy(&v, in + len - 4, 4);
    return v <= MAX_OUTPUT ? v : 0;
}

enum { CHUNK = 1u << 20 };

static int gunzip(const uint8_t *in, size_t len, outbuf_t *o, char *err, size_t errlen)
{
    z_stream z = { 0 };
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        return fail(err, errlen, "cannot start the gzip decoder");
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)len;
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        if (!out_reserve(o, CHUNK)) {
            inflateEnd(&z);
            return fail(err, errlen, "gzip payload unpacks to more than 1 GiB");
        }
        z.next_out = o->p + o->len;
        z.avail_out = CHUNK;
        rc = inflate(&z, Z_NO_FLUSH);
        o->len += CHUNK - z.avail_out;
        if (rc != Z_OK && rc != Z_STREAM_END) {
            inflateEnd(&z);
            return fail(err, errlen, "corrupt gzip payload (%s)", z.msg ? z.msg : "truncated");
        }
        if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
            inflateEnd(&z);
            return fail(err, errlen, "truncated gzip payload");
        }
    }
    inflateEnd(&z);
    return 0;
}

/* xz and the legacy .lzma ("alone") format both go through liblzma. */
static int unlzma(const uint8_t *in, size_t len, outbuf_t *o, bool xz, char *err, size_t errlen)
{
    lzma_stream s = LZMA_STREAM_INIT;
    /* One stream: the kernel's size trailer after it is not xz padding. */
    lzma_ret r = xz ? lzma_stream_decoder(&s, UINT64_MAX, 0) : lzma_alone_decoder(&s, UINT64_MAX);
    const char *name = xz ? "xz" : "lzma";
    if (r != LZMA_OK)
        return fail(err, errlen, "cannot start the %s decoder", name);
    s.next_in = in;
    s.avail_in = len;
    for (;;) {
        if (!out_reserve(o, CHUNK)) {
            lzma_end(&s);
            return fail(err, errlen, "%s payload unpacks to more than 1 GiB", name);
        }
        s.next_out = o->p + o->len;
        s.avail_out = CHUNK;
        r = lzma_code(&s, s.avail_in ? LZMA_RUN : LZMA_FINISH);
        o->len += CHUNK - s.avail_out;
        if (r == LZMA_STREAM_END)
            break;
        if (r != LZMA_OK) {
            lzma_end(&s);
            return fail(err, errlen, "corrupt %s payload (liblzma error %d)", name, (int)r);
        }
    }
    lzma_end(&s);
    return 0;
}

static int unzstd(const uint8_t *in, size_t len, outbuf_t *o, char *err, size_t errlen)
{
    ZSTD_DStream *z = ZSTD_createDStream();
    if (!z)
        return fail(err, errlen, "cannot start the zstd decoder");
    ZSTD_inBuffer ib = { in, len, 0 };
    size_t rc = 1;
    while (rc != 0) {
        if (!out_reserve(o, CHUNK)) {
            ZSTD_freeDStream(z);
            return fail(err, errlen, "zstd payload unpacks to more than 1 GiB");
        }
        ZSTD_outBuffer ob = { o->p + o->len, CHUNK, 0 };
        rc = ZSTD_decompressStream(z, &ob, &ib);
        o->len += ob.pos;
        if (ZSTD_isError(rc)) {
            ZSTD_freeDStream(z);
            return fail(err, errlen, "corrupt zstd payload (%s)", ZSTD_getErrorName(rc));
        }
        if (rc != 0 && ib.pos == ib.size && ob.pos < ob.size) {
            ZSTD_freeDStream(z);
            return fail(err, errlen, "truncated zstd payload");
        }
    }
    ZSTD_freeDStream(z);
    return 0;
}

static int bunzip2(const uint8_t *in, size_t len, outbuf_t *o, char *err, size_t errlen)
{
    bz_stream b;
    memset(&b, 0, sizeof b);
    if (BZ2_bzDecompressInit(&b, 0, 0) != BZ_OK)
        return fail(err, errlen, "cannot start the bzip2 decoder");
    b.next_in = (char *)in;
    b.avail_in = len > UINT32_MAX ? UINT32_MAX : (unsigned)len;
    int rc = BZ_OK;
    while (rc != BZ_STREAM_END) {
        if (!out_reserve(o, CHUNK)) {
            BZ2_bzDecompressEnd(&b);
            return fail(err, errlen, "bzip2 payload unpacks to more than 1 GiB");
        }
        b.next_out = (char *)(o->p + o->len);
        b.avail_out = CHUNK;
        rc = BZ2_bzDecompress(&b);
        o->len += CHUNK - b.avail_out;
        if (rc != BZ_OK && rc != BZ_STREAM_END) {
            BZ2_bzDecompressEnd(&b);
            return fail(err, errlen, "corrupt bzip2 payload (error %d)", rc);
        }
        if (rc == BZ_OK && b.avail_in == 0 && b.avail_out != 0) {
            BZ2_bzDecompressEnd(&b);
            return fail(err, errlen, "truncated bzip2 payload");
        }
    }
    BZ2_bzDecompressEnd(&b);
    return 0;
}

/* The LZ4 legacy frame ("lz4 -l", what Linux uses): the magic, then blocks
 * of a 4-byte compressed size and data; a repeated magic starts a new
 * frame, and the kernel's 4-byte size trailer ends it. */
static int unlz4(const uint8_t *in, size_t len, outbuf_t *o, char *err, size_t errlen)
{
    size_t pos = 4;
    while (pos + 4 <= len) {
        uint32_t bsize;
        memcpy(&bsize, in + pos, 4);
        if (bsize == LZ4_LEGACY_MAGIC) {
            pos += 4;
            continue;
        }
        if (pos + 4 == len)
            break;          /* the size trailer */
        pos += 4;
        if (bsize == 0 || bsize > len - pos || bsize > (uint32_t)LZ4_compressBound(LZ4_LEGACY_BLOCK))
            return fail(err, errlen, "corrupt lz4 payload: bad block size at offset %zu", pos - 4);
        if (!out_reserve(o, LZ4_LEGACY_BLOCK))
            return fail(err, errlen, "lz4 payload unpacks to more than 1 GiB");
        int n = LZ4_decompress_safe((const char *)in + pos, (char *)o->p + o->len, (int)bsize, LZ4_LEGACY_BLOCK);
        if (n < 0)
            return fail(err, errlen, "corrupt lz4 payload at offset %zu", pos);
        o->len += (size_t)n;
        pos += bsize;
    }
    return 0;
}

static const char *format_of(const uint8_t *in, size_t len)
{
    if (len >= 2 && in[0] == 0x1f && (in[1] == 0x8b || in[1] == 0x9e))
        return "gzip";
    if (len >= 6 && !memcmp(in, "\xfd" "7zXZ\0", 6))
        return "xz";
    if (len >= 3 && in[0] == 0x5d && in[1] == 0 && in[2] == 0)
        return "lzma";
    if (len >= 4 && !memcmp(in, "\x02\x21\x4c\x18", 4))
        return "lz4";
    if (len >= 4 && !memcmp(in, "\x28\xb5\x2f\xfd", 4))
        return "zstd";
    if (len >= 3 && !memcmp(in, "BZh", 3))
        return "bzip2";
    return NULL;
}

int payload_unpack(const uint8_t *in, size_t len, uint8_t **out, size_t *outlen, char *err, size_t errlen)
{
    outbuf_t o = { 0 };
    const char *fmt = format_of(in, len);
    if (!fmt)
        return fail(err, errlen, "unknown compression of the bzImage payload");
    size_t hint = size_hint(in, len);
    if (hint && !out_reserve(&o, hint))
        return fail(err, errlen, "cannot allocate %zu bytes for the kernel", hint);
    int rc;
    if (!strcmp(fmt, "gzip"))
        rc = gunzip(in, len, &o, err, errlen);
    else if (!strcmp(fmt, "xz"))
        rc = unlzma(in, len, &o, true, err, errlen);
    else if (!strcmp(fmt, "lzma"))
        rc = unlzma(in, len, &o, false, err, errlen);
    else if (!strcmp(fmt, "lz4"))
        rc = unlz4(in, len, &o, err, errlen);
    else if (!strcmp(fmt, "zstd"))
        rc = unzstd(in, len, &o, err, errlen);
    else
        rc = bunzip2(in, len, &o, err, errlen);
    if (rc < 0) {
        free(o.p);
        return -1;
    }
    *out = o.p;
    *outlen = o.len;
    return 0;
}

const char *payload_format(const uint8_t *in, size_t len)
{
    return format_of(in, len);
}
