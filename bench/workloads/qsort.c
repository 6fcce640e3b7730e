/* Workload 2: quicksort (median of three, Hoare-style partition, insertion
 * sort below 16 elements) of pseudo-random 32-bit integers. The checksum
 * is an FNV-1a hash of the sorted array, or 0 if it is not sorted. */
#include "workload.h"

static void insertion_sort(int32_t *a, long n)
{
    for (long i = 1; i < n; i++) {
        int32_t v = a[i];
        long j = i;
        while (j > 0 && a[j - 1] > v) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = v;
    }
}

static int32_t median3(int32_t x, int32_t y, int32_t z)
{
    if (x > y) {
        int32_t t = x;
        x = y;
        y = t;
    }
    if (y > z)
        y = z;
    return x > y ? x : y;
}

/* Recurse into the smaller side, loop on the larger: depth stays log2(n). */
static void quicksort(int32_t *a, long n)
{
    while (n > 16) {
        int32_t pivot = median3(a[0], a[n / 2], a[n - 1]);
        long i = 0, j = n - 1;
        while (i <= j) {
            while (a[i] < pivot)
                i++;
            while (a[j] > pivot)
                j--;
            if (i <= j) {
                int32_t t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                j--;
            }
        }
        /* Now [0, j] <= pivot <= [i, n). */
        if (j + 1 < n - i) {
            quicksort(a, j + 1);
            a += i;
            n -= i;
        } else {
            quicksort(a + i, n - i);
            n = j + 1;
        }
    }
    insertion_sort(a, n);
}

uint64_t wl_qsort_run(void *mem, uint64_t size)
{
    int32_t *a = mem;
    long n = (long)size;
    quicksort(a, n);
    uint64_t h = 0xcbf29ce484222325ull;
    for (long i = 0; i < n; i++) {
        if (i > 0 && a[i - 1] > a[i])
            return 0;
        h = (h ^ (uint32_t)a[i]) * 0x100000001b3ull;
    }
    return h;
}

#ifndef WL_GUEST
void wl_qsort_init(void *mem, uint64_t size)
{
    int32_t *a = mem;
    uint64_t s = 0x9507;
    for (uint64_t i = 0; i < size; i++)
        a[i] = (int32_t)(uint32_t)wl_rand(&s);
}
#endif
