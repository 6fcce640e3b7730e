/* Locating the compressed kernel inside a bzImage (src/loader/bzimage.c). */
#ifndef XENEMU_BZIMAGE_H
#define XENEMU_BZIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

bool bzimage_detect(const uint8_t *data, size_t size);
/* Offset and length of the payload; -1 with a reason if malformed. */
int bzimage_payload(const uint8_t *data, size_t size, size_t *off, size_t *len, char *err, size_t errlen);

#endif
