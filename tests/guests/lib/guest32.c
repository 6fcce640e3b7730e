/* The 32-bit test guests' helpers (guest32.h). */
#include "guest32.h"

void puts_e9(const char *s)
{
    while (*s)
        outb(0xe9, (uint8_t)*s++);
}

void put_hex(uint64_t v)
{
    static const char digits[] = "0123456789abcdef";
    int started = 0;
    puts_e9("0x");
    for (int i = 60; i >= 0; i -= 4) {
        unsigned d = (unsigned)(v >> i) & 15;
        if (d || started || i == 0) {
            outb(0xe9, (uint8_t)digits[d]);
            started = 1;
        }
    }
}

void put_dec(unsigned v)
{
    char buf[12];
    int n = 0;
    do {
        buf[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        outb(0xe9, (uint8_t)buf[--n]);
}

__attribute__((noreturn)) void exit_now(uint8_t status)
{
    outb(0xf4, status);
    for (;;)
        __asm__ volatile("hlt");
}

void *memset(void *d, int c, unsigned long n)
{
    volatile uint8_t *p = d;
    while (n--)
        *p++ = (uint8_t)c;
    return d;
}

void *memcpy(void *d, const void *s, unsigned long n)
{
    volatile uint8_t *p = d;
    const uint8_t *q = s;
    while (n--)
        *p++ = *q++;
    return d;
}

/* ---- checks ---- */

unsigned failures, checks;

void check(const char *what, int ok)
{
    checks++;
    if (!ok)
        failures++;
    puts_e9(ok ? "ok " : "FAIL ");
    puts_e9(what);
    puts_e9("\n");
}

void check_eq(const char *what, uint64_t got, uint64_t want)
{
    checks++;
    if (got != want)
        failures++;
    puts_e9(got == want ? "ok " : "FAIL ");
    puts_e9(what);
    if (got != want) {
        puts_e9(": got ");
        put_hex(got);
        puts_e9(", want ");
        put_hex(want);
    }
    puts_e9("\n");
}
