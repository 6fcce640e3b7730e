/* Native side of the differential tester: a persistent worker process that
 * runs batches of single instructions on the host CPU. */
#ifndef XENEMU_DIFF_NATIVE_H
#define XENEMU_DIFF_NATIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "diffstate.h"

#define NATIVE_BATCH 64
#define NATIVE_CODE_MAX 32   /* longer than 15 so that too-long encodings can be tested */

struct native_job {
    struct diff_state st;
    uint8_t code[NATIVE_CODE_MAX];
    uint32_t len, code_off;
};

enum native_status {
    NATIVE_OK = 0,
    NATIVE_CRASHED,   /* the worker died on this case */
    NATIVE_HUNG,      /* the worker made no progress on this case */
    NATIVE_BAD_INPUT, /* state the worker refuses to load (generator bug) */
};

/* Forks the worker; returns false (with a message on stderr) when the
 * fixed addresses cannot be mapped. */
bool native_init(void);
void native_shutdown(void);
bool native_have_fsgsbase(void);

/* Two slots for double buffering: fill jobs of one slot while the worker
 * runs the other. Slots must be posted alternately, 0 first. */
struct native_job *native_job(int slot, unsigned i);
const struct diff_outcome *native_out(int slot, unsigned i);
enum native_status native_status(int slot, unsigned i);
void native_post(int slot, unsigned n);
void native_wait(int slot);

#endif
