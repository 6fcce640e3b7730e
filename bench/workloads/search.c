/* Workload 3: naive byte-wise substring search in pseudo-random text (26
 * letters and space), for a pattern planted in the last sixteenth. The
 * checksum is (match offset + 1) << 32 | positions whose first byte matched,
 * or 0 if the pattern was not found. */
#include "workload.h"

static const char pattern[] = "the quick brown fox jumps over the lazy dog";
#define PATTERN_LEN (sizeof pattern - 1)

uint64_t wl_search_run(void *mem, uint64_t size)
{
    const uint8_t *text = mem;
    uint32_t partial = 0;
    for (uint64_t i = 0; i + PATTERN_LEN <= size; i++) {
        uint64_t j = 0;
        while (j < PATTERN_LEN && text[i + j] == (uint8_t)pattern[j])
            j++;
        if (j == PATTERN_LEN)
            return (i + 1) << 32 | partial;
        if (j > 0)
            partial++;
    }
    return 0;
}

#ifndef WL_GUEST
void wl_search_init(void *mem, uint64_t size)
{
    uint8_t *p = mem;
    uint64_t s = 0x5ea4c;
    for (uint64_t i = 0; i < size; i++) {
        unsigned c = (unsigned)(wl_rand(&s) % 27);
        p[i] = (uint8_t)(c == 26 ? ' ' : 'a' + c);
    }
    uint64_t at = size - size / 16 + 7;
    if (at + PATTERN_LEN > size)
        at = size - PATTERN_LEN;
    for (uint64_t j = 0; j < PATTERN_LEN; j++)
        p[at + j] = (uint8_t)pattern[j];
}
#endif
