/* A guest for the gdb test: a function to break on, a variable to read
 * and watch, a loop to step through. */
#include "guest.h"

volatile unsigned long counter;
volatile unsigned long result;

__attribute__((noinline)) unsigned long compute(unsigned long n)
{
    unsigned long sum = 0;
    for (unsigned long i = 1; i <= n; i++)
        sum += i;
    counter++;
    return sum;
}

int guest_main(const void *start_info)
{
    (void)start_info;
    counter = 41;
    result = compute(100);
    puts_e9("gdbtarget done\n");
    return result == 5050 ? 0 : 1;
}
