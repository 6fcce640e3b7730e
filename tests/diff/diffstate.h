/* Shared contract between the differential tester (tests/diff) and the
 * interpreter side (tests/diff/interp.c): one instruction, one state in,
 * one outcome out. */
#ifndef XENEMU_DIFFSTATE_H
#define XENEMU_DIFFSTATE_H

#include <stddef.h>
#include <stdint.h>

#define DIFF_CODE_ADDR 0x10000000ULL   /* one 4 KiB code page, mapped r-x; instruction at DIFF_CODE_ADDR + code_off */
#define DIFF_DATA_ADDR 0x20000000ULL   /* DIFF_DATA_PAGES 4 KiB pages, mapped rw-; the page just below and just above are unmapped guard pages */
#define DIFF_DATA_PAGES 4
#define DIFF_DATA_SIZE (DIFF_DATA_PAGES * 4096)

/* The 512-byte FXSAVE64 image, SDM Vol.1 Table 10-2: fcw, fsw, ftw
 * (abridged), fop, fip, fdp, mxcsr, mxcsr_mask, st[8] 16 bytes each,
 * xmm[16], reserved. */
struct diff_fxsave {
    uint8_t raw[512];
} __attribute__((aligned(16)));

/* Byte offsets inside diff_fxsave.raw (64-bit layout). */
#define DIFF_FX_FCW 0
#define DIFF_FX_FSW 2
#define DIFF_FX_FTW 4      /* abridged: one bit per physical register, 1 = valid */
#define DIFF_FX_FOP 6
#define DIFF_FX_FIP 8
#define DIFF_FX_FDP 16
#define DIFF_FX_MXCSR 24
#define DIFF_FX_MXCSR_MASK 28
#define DIFF_FX_ST(i) (32 + 16 * (i))    /* 10 bytes used of 16; also MMX mm(i) in the low 8 */
#define DIFF_FX_XMM(i) (160 + 16 * (i))

enum {
    DIFF_RAX, DIFF_RCX, DIFF_RDX, DIFF_RBX, DIFF_RSP, DIFF_RBP, DIFF_RSI, DIFF_RDI,
    DIFF_R8, DIFF_R9, DIFF_R10, DIFF_R11, DIFF_R12, DIFF_R13, DIFF_R14, DIFF_R15
};

struct diff_state {
    uint64_t gpr[16];        /* RAX RCX RDX RBX RSP RBP RSI RDI R8..R15 */
    uint64_t rip;
    uint64_t rflags;
    uint64_t fs_base, gs_base;
    struct diff_fxsave fx;
    uint8_t mem[DIFF_DATA_SIZE];   /* contents of the data pages */
};

struct diff_outcome {
    struct diff_state st;    /* state after the instruction (or at the fault) */
    int vector;              /* -1: none; else the exception vector raised by the instruction (0 #DE, 1 #DB, 3 #BP, 4 #OF, 5 #BR, 6 #UD, 7 #NM, 10 #TS, 11 #NP, 12 #SS, 13 #GP, 14 #PF, 16 #MF, 17 #AC, 19 #XM) */
    uint32_t error_code;     /* when the vector pushes one */
    uint64_t fault_addr;     /* CR2 for #PF */
};

/* Run ONE instruction (bytes code[0..len) placed at DIFF_CODE_ADDR +
 * code_off, the rest of the code page filled with 0xCC) in xenemu's
 * interpreter: 64-bit mode, CPL 3, flat segments (CS=0x33, SS=0x2b,
 * DS=ES=FS=GS selectors 0), paging mapping exactly the pages above,
 * CR0.AM=0. Implemented by the lead in tests/diff/interp.c.
 *
 * What the tester expects (see tests/diff/README.md for the full list):
 * - return 0 when the case ran; any other value means "the interpreter
 *   cannot run this case" and the case is counted as skipped;
 * - out->vector -1 and out->st.rip = address of the next instruction when
 *   the instruction completed (a branch leaves rip at its target, even if
 *   that target is unmapped or not executable: the fetch fault there
 *   belongs to the next instruction);
 * - a fault leaves the state as it was before the instruction (except
 *   what the architecture says a fault keeps, e.g. REP progress) and rip
 *   at the faulting instruction; a trap (INT n, INT3, INT1) leaves rip
 *   after it;
 * - error_code 0 and fault_addr 0 when the vector pushes none / is not #PF;
 * - IDT gates as Linux sets them: vectors 3 and 4 have DPL 3, every other
 *   vector DPL 0, so INT n for those gives #GP(n*8+2);
 * - CR4 as Linux sets it on the host: UMIP, FSGSBASE, OSFXSR,
 *   OSXMMEXCPT, SMEP, SMAP; EFER.NXE=1 (an instruction fetch fault has
 *   the I/D bit 4 in the #PF error code; every #PF error code has U bit 2).
 */
int diff_interp_run(const struct diff_state *in, const uint8_t *code, size_t len,
                    unsigned code_off, struct diff_outcome *out);

#endif
