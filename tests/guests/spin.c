/* A guest that never stops: for the harness's budgets and timeouts. */
#include "guest.h"

int guest_main(const void *start_info)
{
    (void)start_info;
    puts_e9("spinning\n");
    for (volatile unsigned long i = 0;; i++)
        ;
    return 0;
}
