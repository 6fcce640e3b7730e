/* Helpers of the 32-bit test guests (lib/start32.S calls guest_main32):
 * control registers and MSRs, port 0xE9 output, the 0xF4 exit port, and
 * "ok NAME" / "FAIL NAME: got X, want Y" checks counted in failures and
 * checks. */
#ifndef XENEMU_GUEST32_H
#define XENEMU_GUEST32_H

#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

#define DEFINE_CR(n)                                                          \
    static inline uint32_t read_cr##n(void)                                   \
    {                                                                         \
        uint32_t v;                                                           \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                     \
        return v;                                                             \
    }                                                                         \
    static inline void write_cr##n(uint32_t v)                                \
    {                                                                         \
        __asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory");            \
    }
DEFINE_CR(0)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

void puts_e9(const char *s);
void put_hex(uint64_t v);
void put_dec(unsigned v);
__attribute__((noreturn)) void exit_now(uint8_t status);
void *memset(void *d, int c, unsigned long n);
void *memcpy(void *d, const void *s, unsigned long n);

/* The frame exc32.S's stubs build; esp and ss are there only when the
 * exception came from an outer ring. Each guest defines trap32. */
struct trap32_frame {
    uint32_t es, ds, edi, esi, ebp, esp0, ebx, edx, ecx, eax;
    uint32_t vector, error, eip, cs, eflags, esp, ss;
};
extern const uint32_t exc32_table[32];
void trap32(struct trap32_frame *f);

extern unsigned failures, checks;
void check(const char *what, int ok);
void check_eq(const char *what, uint64_t got, uint64_t want);

#endif
