/* Shared helpers of the test guests. */
#include "guest.h"

void put_hex(uint64_t v)
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 60; i >= 0; i -= 4)
        putc_e9(digits[(v >> i) & 15]);
}
