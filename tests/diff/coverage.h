/* Generator coverage of the interpreter's forms (see coverage.c). */
#ifndef XENEMU_DIFF_COVERAGE_H
#define XENEMU_DIFF_COVERAGE_H

#include <stdint.h>

#include "xenemu/cpu.h"

/* The interpreter's vCPU in the tester's 64-bit user-mode setup, for
 * decoding (interp.c). NULL if the machine cannot be built. */
cpu_t *diff_interp_cpu(void);

/* Writes the first 15 bytes of generated case number i. */
typedef void (*diff_case_bytes_fn)(uint64_t i, uint8_t bytes[16]);

/* Generate `cases` cases and report every interpreter form none of them
 * reaches; returns the exit status (0: all covered). */
int diff_coverage(uint64_t cases, diff_case_bytes_fn next_case);

#endif
