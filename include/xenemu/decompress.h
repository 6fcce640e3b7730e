/* Kernel payload decompression (src/loader/decompress.c). */
#ifndef XENEMU_DECOMPRESS_H
#define XENEMU_DECOMPRESS_H

#include <stddef.h>
#include <stdint.h>

/* Unpack a gzip, xz, lzma, lz4 (legacy frame), zstd or bzip2 payload into a
 * malloc'ed buffer. Returns 0, or -1 with a one-line reason. */
int payload_unpack(const uint8_t *in, size_t len, uint8_t **out, size_t *outlen, char *err, size_t errlen);

/* The compressor's name, or NULL when the magic is unknown. */
const char *payload_format(const uint8_t *in, size_t len);

#endif
