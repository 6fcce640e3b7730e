/* What every test guest has: port I/O, the debug console, exit. */
#ifndef GUEST_H
#define GUEST_H

#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void putc_e9(char c)
{
    outb(0xe9, (uint8_t)c);
}

static inline void puts_e9(const char *s)
{
    while (*s)
        putc_e9(*s++);
}

void put_hex(uint64_t v);

/* Each guest defines this; its return value is written to the exit port. */
int guest_main(const void *start_info);

#endif
