/* Private interface of src/vmx/: the VMCS cache, VM entry and exit, EPT,
 * and the capability values the checks are made against. */
#ifndef XENEMU_VMX_INT_H
#define XENEMU_VMX_INT_H

#include "xenemu/insn.h"
#include "xenemu/machine.h"
#include "xenemu/mmu.h"
#include "xenemu/vmx.h"

#define VMX_PHYS_BITS 40
#define VMX_PHYS_RSVD (~0ull << VMX_PHYS_BITS)
#define VMX_EP4TA_MASK (~VMX_PHYS_RSVD & ~0xfffull)    /* EPTP bits 51:12 tag combined mappings */

/* ---- vmcs.c (SDM Vol.3C §25.11, Appendix B) ---- */

/* Dense index of a supported field (either half of a 64-bit one), or -1. */
int vmcs_field_index(uint32_t enc);
/* Highest field index (bits 9:1) among supported fields: IA32_VMX_VMCS_ENUM. */
uint32_t vmcs_max_index(void);
bool vmcs_field_readonly(uint32_t enc);
/* Whole-field access by full encoding; unsupported fields read 0. */
uint64_t vmcs_get(const vmcs_t *v, uint32_t enc);
void vmcs_set(vmcs_t *v, uint32_t enc, uint64_t val);
/* VMREAD/VMWRITE semantics: widths, the high half of 64-bit fields. */
bool vmcs_read_field(const vmcs_t *v, uint32_t enc, uint64_t *val);
bool vmcs_write_field(vmcs_t *v, uint32_t enc, uint64_t val);
/* The cached VMCS for a region, loading it from memory when absent. */
vmcs_t *vmcs_load(cpu_t *cpu, vmx_t *x, uint64_t addr);
/* Write a region's data back to memory, mark it clear and drop it. */
void vmcs_clear(cpu_t *cpu, vmx_t *x, uint64_t addr);
/* Revision identifier stored in a region (bits 30:0 of its first dword). */
uint32_t vmcs_region_revision(cpu_t *cpu, uint64_t addr);

static inline uint64_t vmr(const vmx_t *x, uint32_t enc) { return vmcs_get(x->cur, enc); }
static inline void vmw(vmx_t *x, uint32_t enc, uint64_t v) { vmcs_set(x->cur, enc, v); }

/* ---- vmx_caps.c ---- */

/* Allowed-0 (low) and allowed-1 (high) halves of a control capability MSR. */
uint64_t vmx_ctl_cap(uint32_t msr);
bool vmx_ctl_ok(uint32_t msr, uint32_t val);
uint64_t vmx_cr0_fixed0(void);
uint64_t vmx_cr4_fixed0(void);
uint64_t vmx_cr0_fixed1(void);
uint64_t vmx_cr4_fixed1(void);
enum {
    MSR_VMX_BASIC = 0x480, MSR_VMX_PINBASED = 0x481, MSR_VMX_PROCBASED = 0x482,
    MSR_VMX_EXIT = 0x483, MSR_VMX_ENTRY = 0x484, MSR_VMX_MISC = 0x485,
    MSR_VMX_CR0_FIXED0 = 0x486, MSR_VMX_CR0_FIXED1 = 0x487, MSR_VMX_CR4_FIXED0 = 0x488,
    MSR_VMX_CR4_FIXED1 = 0x489, MSR_VMX_VMCS_ENUM = 0x48a, MSR_VMX_PROCBASED2 = 0x48b,
    MSR_VMX_EPT_VPID_CAP = 0x48c, MSR_VMX_TRUE_PINBASED = 0x48d, MSR_VMX_TRUE_PROCBASED = 0x48e,
    MSR_VMX_TRUE_EXIT = 0x48f, MSR_VMX_TRUE_ENTRY = 0x490, MSR_VMX_VMFUNC = 0x491,
};
/* Preemption-timer rate: the timer counts down every 2^N TSC ticks. */
#define VMX_TIMER_SHIFT 5

/* ---- vmentry.c ---- */

/* VM entry with a current VMCS whose launch state the caller checked: 0 on
 * entry (guest loaded, or an entry failure turned into a VM exit already),
 * or a VM-instruction error for VMfailValid. */
int vmx_enter(cpu_t *cpu);
/* With the guest loaded: inject the entry event, take window exits, arm
 * the preemption timer. May end in a VM exit (longjmp). */
void vmx_after_entry(cpu_t *cpu);

/* ---- vmexit.c ---- */

typedef struct exit_info {
    uint32_t reason;
    uint64_t qual;
    uint32_t insn_len, insn_info;
    uint32_t intr_info, intr_err;
    bool gpa_valid, gla_valid;
    uint64_t gpa, gla;
} exit_info_t;

/* Perform a VM exit (SDM Vol.3C ch.28): save the guest, load the host, and
 * leave the current instruction by longjmp (UNWIND_VMEXIT). The guest RIP
 * saved is that of the current instruction (cpu->cur), if any. */
_Noreturn void vmx_exit(cpu_t *cpu, const exit_info_t *e);
/* An instruction exit with a qualification and the instruction's length. */
_Noreturn void vmx_exit_insn(cpu_t *cpu, uint32_t reason, uint64_t qual, uint32_t info);
/* Load host state after a failed VM entry (no guest state saved). */
void vmx_exit_load_host(cpu_t *cpu);
/* Save guest state into the current VMCS. */
void vmx_save_guest(cpu_t *cpu);
/* Exit reason, qualification and information fields; the trace event. */
void vmx_record_exit(cpu_t *cpu, const exit_info_t *e);
/* The TLB flush of a VM entry or exit without VPIDs (§27.3.2.5, §28.5.5). */
void vmx_entry_exit_flush(cpu_t *cpu);

/* ---- intercept.c ---- */

/* Instruction-information bits for a memory operand (§28.2.5): scaling,
 * address size, segment, index and base registers. */
uint32_t vmx_mem_info(const insn_t *in);

/* ---- ept.c (SDM Vol.3C §29.3) ---- */

typedef struct ept_result {
    uint64_t hpa;
    bool r, w, x;       /* rights of the whole translation */
    bool dirty;         /* A/D on: the leaf's dirty flag is set */
} ept_result_t;

/* What the access was, for the violation qualification. */
typedef struct ept_access {
    enum mmu_access acc;
    bool gla_valid;     /* the access came from a linear address */
    bool final;         /* the translated address, not a paging-structure entry */
    uint64_t gla;
} ept_access_t;

/* Walk the EPT paging structures of eptp for gpa. Returns 0 and fills *r,
 * or EXIT_EPT_VIOLATION / EXIT_EPT_MISCONFIG with the qualification in *qual.
 * Sets A/D flags when eptp enables them. */
int ept_walk(phys_mem_t *pm, uint64_t eptp, uint64_t gpa, const ept_access_t *a, ept_result_t *r,
             uint64_t *qual);
/* Is an EPTP value acceptable for VM entry and INVEPT (SDM §27.2.1.1)? */
bool ept_eptp_valid(uint64_t eptp);

#endif
