/* The smallest guest: reach 64-bit mode from the PVH entry, read the start
 * info, say hello, exit with status 0. */
#include "guest.h"

struct start_info { uint32_t magic, version, flags, nr_modules; };

int guest_main(const void *start_info)
{
    const struct start_info *si = start_info;
    if (si->magic != 0x336ec578u) {
        puts_e9("bad start info magic\n");
        return 1;
    }
    puts_e9("hello from a 64-bit PVH guest on xenemu\n");
    return 0;
}
