/* The PV console ring, as xen/include/public/io/console.h defines it: one
 * page shared by the frontend (guest) and the backend (here). Indices are
 * free-running u32s; a byte lives at ring[idx & (size - 1)]. */
#ifndef XEN_ABI_IO_CONSOLE_H
#define XEN_ABI_IO_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

typedef uint32_t XENCONS_RING_IDX;

#define XENCONS_IN_SIZE  1024u
#define XENCONS_OUT_SIZE 2048u

struct xencons_interface {
    char in[XENCONS_IN_SIZE];        /* backend -> guest (keyboard) */
    char out[XENCONS_OUT_SIZE];      /* guest -> backend (output) */
    XENCONS_RING_IDX in_cons, in_prod;
    XENCONS_RING_IDX out_cons, out_prod;
};

#define MASK_XENCONS_IN(idx)  ((idx) & (XENCONS_IN_SIZE - 1u))
#define MASK_XENCONS_OUT(idx) ((idx) & (XENCONS_OUT_SIZE - 1u))

_Static_assert((XENCONS_IN_SIZE & (XENCONS_IN_SIZE - 1)) == 0, "in size is a power of 2");
_Static_assert((XENCONS_OUT_SIZE & (XENCONS_OUT_SIZE - 1)) == 0, "out size is a power of 2");
_Static_assert(offsetof(struct xencons_interface, in) == 0, "in");
_Static_assert(offsetof(struct xencons_interface, out) == 1024, "out");
_Static_assert(offsetof(struct xencons_interface, in_cons) == 3072, "in_cons");
_Static_assert(offsetof(struct xencons_interface, in_prod) == 3076, "in_prod");
_Static_assert(offsetof(struct xencons_interface, out_cons) == 3080, "out_cons");
_Static_assert(offsetof(struct xencons_interface, out_prod) == 3084, "out_prod");
_Static_assert(sizeof(struct xencons_interface) == 3088, "xencons_interface size");

#endif
