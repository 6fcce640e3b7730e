/* The bzImage container (Linux Documentation/x86/boot.rst): a real-mode
 * setup header whose protocol-2.08+ fields locate the compressed payload,
 * which holds the kernel's ELF image. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "xenemu/bzimage.h"

#define HDR_SETUP_SECTS 0x1f1
#define HDR_MAGIC 0x202            /* "HdrS" */
#define HDR_VERSION 0x206
#define HDR_PAYLOAD_OFFSET 0x248
#define HDR_PAYLOAD_LENGTH 0x24c
#define MIN_PROTOCOL 0x0208         /* first version with payload_offset */

static uint32_t le32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

bool bzimage_detect(const uint8_t *data, size_t size)
{
    return size >= HDR_PAYLOAD_LENGTH + 4 && !memcmp(data + HDR_MAGIC, "HdrS", 4);
}

int bzimage_payload(const uint8_t *data, size_t size, size_t *off, size_t *len, char *err, size_t errlen)
{
    uint16_t version = (uint16_t)(data[HDR_VERSION] | data[HDR_VERSION + 1] << 8);
    if (version < MIN_PROTOCOL) {
        snprintf(err, errlen, "bzImage boot protocol %u.%02u is older than 2.08 (no payload fields)", version >> 8,
                 version & 0xff);
        return -1;
    }
    unsigned sects = data[HDR_SETUP_SECTS] ? data[HDR_SETUP_SECTS] : 4;
    uint64_t start = (uint64_t)(sects + 1) * 512 + le32(data + HDR_PAYLOAD_OFFSET);
    uint64_t length = le32(data + HDR_PAYLOAD_LENGTH);
    if (start > size || length > size - start || length == 0) {
        snprintf(err, errlen, "truncated bzImage: the payload lies outside the file");
        return -1;
    }
    *off = (size_t)start;
    *len = (size_t)length;
    return 0;
}
