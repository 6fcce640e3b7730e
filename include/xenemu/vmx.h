/* VMX: the VMCS, VM entries and exits, EPT (SDM Vol.3C ch.24-29), and the
 * root-mode C API the Xen model uses to run a guest in VMX non-root
 * operation without executing host instructions (DESIGN.md, src/vmx/). */
#ifndef XENEMU_VMX_H
#define XENEMU_VMX_H

#include <stdbool.h>
#include <stdint.h>

#include "xenemu/cpu.h"

/* ---- VMCS field encodings (SDM Vol.3C Appendix B) ---- */
enum vmcs_field {
    /* 16-bit control, guest, host (B.1) */
    VMCS_VPID = 0x0000, VMCS_POSTED_INT_VECTOR = 0x0002, VMCS_EPTP_INDEX = 0x0004,
    VMCS_GUEST_ES_SEL = 0x0800, VMCS_GUEST_CS_SEL = 0x0802, VMCS_GUEST_SS_SEL = 0x0804,
    VMCS_GUEST_DS_SEL = 0x0806, VMCS_GUEST_FS_SEL = 0x0808, VMCS_GUEST_GS_SEL = 0x080a,
    VMCS_GUEST_LDTR_SEL = 0x080c, VMCS_GUEST_TR_SEL = 0x080e, VMCS_GUEST_INTR_STATUS = 0x0810,
    VMCS_GUEST_PML_INDEX = 0x0812,
    VMCS_HOST_ES_SEL = 0x0c00, VMCS_HOST_CS_SEL = 0x0c02, VMCS_HOST_SS_SEL = 0x0c04,
    VMCS_HOST_DS_SEL = 0x0c06, VMCS_HOST_FS_SEL = 0x0c08, VMCS_HOST_GS_SEL = 0x0c0a,
    VMCS_HOST_TR_SEL = 0x0c0c,
    /* 64-bit (B.2) */
    VMCS_IO_BITMAP_A = 0x2000, VMCS_IO_BITMAP_B = 0x2002, VMCS_MSR_BITMAP = 0x2004,
    VMCS_EXIT_MSR_STORE_ADDR = 0x2006, VMCS_EXIT_MSR_LOAD_ADDR = 0x2008,
    VMCS_ENTRY_MSR_LOAD_ADDR = 0x200a, VMCS_EXEC_VMCS_PTR = 0x200c, VMCS_PML_ADDR = 0x200e,
    VMCS_TSC_OFFSET = 0x2010, VMCS_VAPIC_ADDR = 0x2012, VMCS_APIC_ACCESS_ADDR = 0x2014,
    VMCS_VMFUNC_CTLS = 0x2018, VMCS_EPTP = 0x201a, VMCS_EPTP_LIST = 0x2024,
    VMCS_TSC_MULTIPLIER = 0x2032,
    VMCS_GUEST_PHYS_ADDR = 0x2400,
    VMCS_LINK_PTR = 0x2800, VMCS_GUEST_DEBUGCTL = 0x2802, VMCS_GUEST_PAT = 0x2804,
    VMCS_GUEST_EFER = 0x2806, VMCS_GUEST_PERF_GLOBAL = 0x2808, VMCS_GUEST_PDPTE0 = 0x280a,
    VMCS_GUEST_PDPTE1 = 0x280c, VMCS_GUEST_PDPTE2 = 0x280e, VMCS_GUEST_PDPTE3 = 0x2810,
    VMCS_HOST_PAT = 0x2c00, VMCS_HOST_EFER = 0x2c02, VMCS_HOST_PERF_GLOBAL = 0x2c04,
    /* 32-bit (B.3) */
    VMCS_PIN_CTLS = 0x4000, VMCS_PROC_CTLS = 0x4002, VMCS_EXC_BITMAP = 0x4004,
    VMCS_PF_ERR_MASK = 0x4006, VMCS_PF_ERR_MATCH = 0x4008, VMCS_CR3_TARGET_COUNT = 0x400a,
    VMCS_EXIT_CTLS = 0x400c, VMCS_EXIT_MSR_STORE_COUNT = 0x400e, VMCS_EXIT_MSR_LOAD_COUNT = 0x4010,
    VMCS_ENTRY_CTLS = 0x4012, VMCS_ENTRY_MSR_LOAD_COUNT = 0x4014, VMCS_ENTRY_INTR_INFO = 0x4016,
    VMCS_ENTRY_EXC_ERR = 0x4018, VMCS_ENTRY_INSN_LEN = 0x401a, VMCS_TPR_THRESHOLD = 0x401c,
    VMCS_PROC_CTLS2 = 0x401e, VMCS_PLE_GAP = 0x4020, VMCS_PLE_WINDOW = 0x4022,
    VMCS_INSN_ERROR = 0x4400, VMCS_EXIT_REASON = 0x4402, VMCS_EXIT_INTR_INFO = 0x4404,
    VMCS_EXIT_INTR_ERR = 0x4406, VMCS_IDT_VEC_INFO = 0x4408, VMCS_IDT_VEC_ERR = 0x440a,
    VMCS_EXIT_INSN_LEN = 0x440c, VMCS_EXIT_INSN_INFO = 0x440e,
    VMCS_GUEST_ES_LIMIT = 0x4800, VMCS_GUEST_CS_LIMIT = 0x4802, VMCS_GUEST_SS_LIMIT = 0x4804,
    VMCS_GUEST_DS_LIMIT = 0x4806, VMCS_GUEST_FS_LIMIT = 0x4808, VMCS_GUEST_GS_LIMIT = 0x480a,
    VMCS_GUEST_LDTR_LIMIT = 0x480c, VMCS_GUEST_TR_LIMIT = 0x480e, VMCS_GUEST_GDTR_LIMIT = 0x4810,
    VMCS_GUEST_IDTR_LIMIT = 0x4812,
    VMCS_GUEST_ES_AR = 0x4814, VMCS_GUEST_CS_AR = 0x4816, VMCS_GUEST_SS_AR = 0x4818,
    VMCS_GUEST_DS_AR = 0x481a, VMCS_GUEST_FS_AR = 0x481c, VMCS_GUEST_GS_AR = 0x481e,
    VMCS_GUEST_LDTR_AR = 0x4820, VMCS_GUEST_TR_AR = 0x4822,
    VMCS_GUEST_INTERRUPTIBILITY = 0x4824, VMCS_GUEST_ACTIVITY = 0x4826, VMCS_GUEST_SMBASE = 0x4828,
    VMCS_GUEST_SYSENTER_CS = 0x482a, VMCS_PREEMPT_TIMER = 0x482e,
    VMCS_HOST_SYSENTER_CS = 0x4c00,
    /* natural width (B.4) */
    VMCS_CR0_MASK = 0x6000, VMCS_CR4_MASK = 0x6002, VMCS_CR0_SHADOW = 0x6004,
    VMCS_CR4_SHADOW = 0x6006, VMCS_CR3_TARGET0 = 0x6008,
    VMCS_EXIT_QUAL = 0x6400, VMCS_IO_RCX = 0x6402, VMCS_IO_RSI = 0x6404, VMCS_IO_RDI = 0x6406,
    VMCS_IO_RIP = 0x6408, VMCS_GUEST_LINEAR_ADDR = 0x640a,
    VMCS_GUEST_CR0 = 0x6800, VMCS_GUEST_CR3 = 0x6802, VMCS_GUEST_CR4 = 0x6804,
    VMCS_GUEST_ES_BASE = 0x6806, VMCS_GUEST_CS_BASE = 0x6808, VMCS_GUEST_SS_BASE = 0x680a,
    VMCS_GUEST_DS_BASE = 0x680c, VMCS_GUEST_FS_BASE = 0x680e, VMCS_GUEST_GS_BASE = 0x6810,
    VMCS_GUEST_LDTR_BASE = 0x6812, VMCS_GUEST_TR_BASE = 0x6814, VMCS_GUEST_GDTR_BASE = 0x6816,
    VMCS_GUEST_IDTR_BASE = 0x6818, VMCS_GUEST_DR7 = 0x681a, VMCS_GUEST_RSP = 0x681c,
    VMCS_GUEST_RIP = 0x681e, VMCS_GUEST_RFLAGS = 0x6820, VMCS_GUEST_PENDING_DBG = 0x6822,
    VMCS_GUEST_SYSENTER_ESP = 0x6824, VMCS_GUEST_SYSENTER_EIP = 0x6826,
    VMCS_HOST_CR0 = 0x6c00, VMCS_HOST_CR3 = 0x6c02, VMCS_HOST_CR4 = 0x6c04,
    VMCS_HOST_FS_BASE = 0x6c06, VMCS_HOST_GS_BASE = 0x6c08, VMCS_HOST_TR_BASE = 0x6c0a,
    VMCS_HOST_GDTR_BASE = 0x6c0c, VMCS_HOST_IDTR_BASE = 0x6c0e, VMCS_HOST_SYSENTER_ESP = 0x6c10,
    VMCS_HOST_SYSENTER_EIP = 0x6c12, VMCS_HOST_RSP = 0x6c14, VMCS_HOST_RIP = 0x6c16,
};

/* ---- controls (SDM Vol.3C §25.6, §25.7, §25.8) ---- */
enum {
    PIN_EXT_INT = 1u << 0, PIN_NMI = 1u << 3, PIN_VIRT_NMI = 1u << 5, PIN_PREEMPT_TIMER = 1u << 6,
};
enum {
    PROC_INT_WINDOW = 1u << 2, PROC_TSC_OFFSET = 1u << 3, PROC_HLT = 1u << 7, PROC_INVLPG = 1u << 9,
    PROC_MWAIT = 1u << 10, PROC_RDPMC = 1u << 11, PROC_RDTSC = 1u << 12, PROC_CR3_LOAD = 1u << 15,
    PROC_CR3_STORE = 1u << 16, PROC_CR8_LOAD = 1u << 19, PROC_CR8_STORE = 1u << 20,
    PROC_TPR_SHADOW = 1u << 21, PROC_NMI_WINDOW = 1u << 22, PROC_MOV_DR = 1u << 23,
    PROC_UNCOND_IO = 1u << 24, PROC_IO_BITMAPS = 1u << 25, PROC_MTF = 1u << 27,
    PROC_MSR_BITMAPS = 1u << 28, PROC_MONITOR = 1u << 29, PROC_PAUSE = 1u << 30,
    PROC_SECONDARY = 1u << 31,
};
enum {
    PROC2_EPT = 1u << 1, PROC2_DESC_TABLE = 1u << 2, PROC2_RDTSCP = 1u << 3, PROC2_VPID = 1u << 5,
    PROC2_WBINVD = 1u << 6, PROC2_UNRESTRICTED = 1u << 7, PROC2_INVPCID = 1u << 12,
    PROC2_TSC_SCALING = 1u << 25,
};
enum {
    EXIT_SAVE_DEBUG = 1u << 2, EXIT_HOST_64 = 1u << 9, EXIT_ACK_INT = 1u << 15, EXIT_SAVE_PAT = 1u << 18,
    EXIT_LOAD_PAT = 1u << 19, EXIT_SAVE_EFER = 1u << 20, EXIT_LOAD_EFER = 1u << 21,
    EXIT_SAVE_TIMER = 1u << 22,
};
enum {
    ENTRY_LOAD_DEBUG = 1u << 2, ENTRY_IA32E = 1u << 9, ENTRY_LOAD_PAT = 1u << 14,
    ENTRY_LOAD_EFER = 1u << 15,
};

/* ---- basic exit reasons (SDM Vol.3C Appendix C) ---- */
enum vmx_exit_reason {
    EXIT_EXCEPTION = 0, EXIT_EXTINT = 1, EXIT_TRIPLE_FAULT = 2, EXIT_INIT = 3, EXIT_SIPI = 4,
    EXIT_INT_WINDOW = 7, EXIT_NMI_WINDOW = 8, EXIT_TASK_SWITCH = 9, EXIT_CPUID = 10,
    EXIT_HLT = 12, EXIT_INVD = 13, EXIT_INVLPG = 14, EXIT_RDPMC = 15, EXIT_RDTSC = 16,
    EXIT_VMCALL = 18, EXIT_VMCLEAR = 19, EXIT_VMLAUNCH = 20, EXIT_VMPTRLD = 21,
    EXIT_VMPTRST = 22, EXIT_VMREAD = 23, EXIT_VMRESUME = 24, EXIT_VMWRITE = 25,
    EXIT_VMXOFF = 26, EXIT_VMXON = 27, EXIT_CR_ACCESS = 28, EXIT_DR_ACCESS = 29, EXIT_IO = 30,
    EXIT_RDMSR = 31, EXIT_WRMSR = 32, EXIT_BAD_GUEST = 33, EXIT_MSR_LOAD_FAIL = 34,
    EXIT_MWAIT = 36, EXIT_MTF = 37, EXIT_MONITOR = 39, EXIT_PAUSE = 40, EXIT_GDTR_IDTR = 46,
    EXIT_LDTR_TR = 47, EXIT_EPT_VIOLATION = 48, EXIT_EPT_MISCONFIG = 49, EXIT_INVEPT = 50,
    EXIT_RDTSCP = 51, EXIT_PREEMPT_TIMER = 52, EXIT_INVVPID = 53, EXIT_WBINVD = 54,
    EXIT_XSETBV = 55, EXIT_INVPCID = 58,
};
#define EXIT_REASON_ENTRY_FAIL (1u << 31)

/* VM-instruction error numbers (SDM Vol.3C §31.4, Table 31-1). */
enum vmx_insn_error {
    VMERR_VMCALL_IN_ROOT = 1, VMERR_VMCLEAR_BAD_ADDR = 2, VMERR_VMCLEAR_VMXON = 3,
    VMERR_LAUNCH_NOT_CLEAR = 4, VMERR_RESUME_NOT_LAUNCHED = 5, VMERR_RESUME_AFTER_VMXOFF = 6,
    VMERR_BAD_CONTROLS = 7, VMERR_BAD_HOST_STATE = 8, VMERR_VMPTRLD_BAD_ADDR = 9,
    VMERR_VMPTRLD_VMXON = 10, VMERR_VMPTRLD_BAD_REVISION = 11, VMERR_BAD_FIELD = 12,
    VMERR_READONLY_FIELD = 13, VMERR_VMXON_IN_ROOT = 15, VMERR_ENTRY_BAD_EXEC_PTR = 16,
    VMERR_INVALID_OPERAND = 28,
};

/* Interruption-information fields (SDM Vol.3C §25.8.3, §25.9.2). */
enum {
    INTR_TYPE_EXT = 0, INTR_TYPE_NMI = 2, INTR_TYPE_HW_EXC = 3, INTR_TYPE_SW_INT = 4,
    INTR_TYPE_PRIV_SW_EXC = 5, INTR_TYPE_SW_EXC = 6, INTR_TYPE_OTHER = 7,
};
#define INTR_INFO_ERR_VALID (1u << 11)
#define INTR_INFO_VALID (1u << 31)

#define VMX_REVISION 0x58454e31u     /* "XEN1": implementation-defined */
#define VMX_NO_VMCS (~0ull)
#define VMX_CACHE_SLOTS 8
#define VMCS_NFIELDS 160

/* One VMCS held by the processor (SDM Vol.3C §25.11.1: "data may be cached
 * on the processor"); flushed to its region by VMCLEAR. */
typedef struct vmcs {
    uint64_t addr;          /* physical address of the region, VMX_NO_VMCS if free */
    uint64_t lru;
    bool launched;
    uint64_t f[VMCS_NFIELDS];
} vmcs_t;

/* The VM exit handed to the root side (DESIGN.md, "The two upward interfaces"). */
typedef struct vmx_exit {
    uint32_t reason;        /* full exit-reason field, bit 31 = entry failure */
    uint64_t qual;
    uint64_t guest_phys, guest_linear;
    uint32_t intr_info, intr_err, idt_info, idt_err, insn_len, insn_info;
} vmx_exit_t;

typedef struct vmx {
    bool on;                /* in VMX operation (after VMXON) */
    bool nonroot;
    bool api;               /* root side is C code (vmx_run) rather than guest instructions */
    bool exited;            /* a VM exit happened since vmx_run entered the guest */
    bool nmi_blocked;
    bool injecting;         /* the next delivery is the VM-entry event (its instruction length) */
    bool window_watch;      /* interrupt window requested while IF = 0: check after each instruction */
    bool probing;           /* inside mmu_probe (vmx_set_probing) */
    uint16_t sipi_exit;     /* 0x100 | vector: a SIPI reached the wait-for-SIPI guest */
    uint32_t vec_info, vec_err, vec_len;   /* event being delivered (IDT-vectoring format) */
    uint64_t entry_icount;  /* retired instructions at VM entry (monitor trap flag) */
    uint64_t vmxon_ptr;
    vmcs_t *cur;            /* current VMCS, or NULL */
    uint64_t tick;
    /* Controls of the running guest, cached at VM entry. */
    uint32_t pin, proc, proc2, exit_ctl, entry_ctl, exc_bitmap, pf_mask, pf_match;
    uint64_t eptp;
    bool ept;
    uint64_t timer_deadline;   /* retired-instruction count of the preemption-timer exit */
    vmcs_t cache[VMX_CACHE_SLOTS];
} vmx_t;

/* ---- used by the CPU core ---- */

static inline bool vmx_nonroot(const cpu_t *cpu)
{
    return cpu->vmx && cpu->vmx->nonroot;
}

/* Run-loop hooks (exec.c): where the run must stop for the preemption
 * timer or an interrupt window, and, between blocks, take those VM exits
 * when due (no return then). */
uint64_t vmx_stop_limit(const cpu_t *cpu, uint64_t stop);
void vmx_between_blocks(cpu_t *cpu);

/* External interrupts and NMIs that are VM exits under "external-interrupt
 * exiting" / "NMI exiting" (SDM Vol.3C §26.2), with "acknowledge interrupt
 * on exit"; called between instructions, no return when exiting. */
void vmx_interrupt_exits(cpu_t *cpu);

/* A VM exit happened whose root side is C code (vmx_run): the vCPU holds
 * no host state to run, so the run loop must stop. */
static inline bool vmx_api_exited(const cpu_t *cpu)
{
    return cpu->vmx && cpu->vmx->api && cpu->vmx->exited;
}

/* INIT is blocked in VMX root operation (SDM Vol.3C §24.8); in non-root
 * operation it is a VM exit (vmx_between_blocks). */
static inline bool vmx_init_blocked(const cpu_t *cpu)
{
    return cpu->vmx && cpu->vmx->on && (!cpu->vmx->nonroot || cpu->apic.wait_sipi);
}

/* A SIPI to a guest in the wait-for-SIPI activity state: a VM exit
 * (SDM Vol.3C §26.2); other guests discard SIPIs. */
static inline void vmx_sipi(cpu_t *cpu, unsigned vector)
{
    if (!cpu->apic.wait_sipi)
        return;
    cpu->apic.wait_sipi = false;
    cpu->halted = false;
    cpu->vmx->sipi_exit = (uint16_t)(0x100 | (vector & 0xff));
    cpu->pending_events = true;
}

/* Exception and software-event intercepts (interrupt.c): a VM exit through
 * the exception bitmap (no return), or false to deliver to the guest. kind
 * is an enum ev_kind. Events injected at VM entry never come here. */
bool vmx_event_intercept(cpu_t *cpu, int vector, int kind, uint32_t err);
/* The event being delivered (vector -1: delivery finished), reported as
 * IDT-vectoring information if delivering it causes a VM exit (§28.2.4). */
void vmx_note_delivery(cpu_t *cpu, int vector, int kind, bool has_err, uint32_t err);
/* A triple fault in non-root operation: VM exit reason 2 (no return). */
_Noreturn void vmx_triple_fault(cpu_t *cpu);

/* ---- instruction intercepts in non-root operation (SDM Vol.3C §26.1.3,
 * §26.3); callers check vmx_nonroot() first. Each either performs the VM
 * exit (no return) or returns for normal execution. ---- */
struct insn;

/* Exits decided by one control bit or unconditional (VEV_*). */
enum vmx_event {
    VEV_CPUID, VEV_HLT, VEV_INVD, VEV_WBINVD, VEV_RDPMC, VEV_RDTSC, VEV_RDTSCP, VEV_XSETBV,
    VEV_PAUSE, VEV_INVLPG, VEV_MONITOR, VEV_MWAIT,
};
void vmx_intercept(cpu_t *cpu, enum vmx_event ev, uint64_t qual);
/* RDTSC/RDTSCP value with TSC offsetting. */
uint64_t vmx_guest_tsc(const cpu_t *cpu, uint64_t tsc);
/* MOV from CR0/3/4/8 (also SMSW): the value the guest reads. */
uint64_t vmx_cr_read(cpu_t *cpu, unsigned cr, unsigned gpr, uint64_t val);
/* MOV to CR0/3/4/8: the value to load (bits the host owns keep their
 * current value). */
uint64_t vmx_cr_write(cpu_t *cpu, unsigned cr, unsigned gpr, uint64_t val);
/* CLTS: exits, or returns whether CR0.TS may be cleared. */
bool vmx_clts(cpu_t *cpu);
/* LMSW with its source (the low 4 bits count): the new CR0 to load. */
uint64_t vmx_lmsw(cpu_t *cpu, uint16_t src, bool mem, uint64_t lin, uint64_t new_cr0);
/* In VMX operation CR0 and CR4 keep their fixed bits (SDM Vol.3C §24.8). */
bool vmx_cr_fixed_ok(const cpu_t *cpu, unsigned cr, uint64_t val);
void vmx_intercept_dr(cpu_t *cpu, unsigned dr, unsigned gpr, bool read);
/* IN/OUT/INS/OUTS after the privilege checks passed; uses cpu->cur. */
void vmx_intercept_io(cpu_t *cpu, uint16_t port, unsigned size);
void vmx_intercept_msr(cpu_t *cpu, uint32_t index, bool write);
/* A task switch: source 0 CALL, 1 IRET, 2 JMP, 3 task gate in the IDT
 * (qualification Table 28-2). Always a VM exit. */
_Noreturn void vmx_task_switch(cpu_t *cpu, uint16_t sel, unsigned source);
/* SGDT/SIDT/LGDT/LIDT (identity 0-3) or SLDT/STR/LLDT/LTR (ldt_tr). */
void vmx_intercept_desc(cpu_t *cpu, const struct insn *in, unsigned identity, bool ldt_tr);
/* INVPCID: #UD unless "enable INVPCID", #GP(0) above CPL 0, then a VM
 * exit under "INVLPG exiting". */
void vmx_intercept_invpcid(cpu_t *cpu, const struct insn *in);

/* The vmx state of a vCPU, created on first use; NULL if out of memory. */
vmx_t *vmx_state(cpu_t *cpu);
void vmx_free(cpu_t *cpu);

/* Guest-physical to host-physical through the guest's EPT (paging.c calls
 * this for every guest-physical access of a walk and for the final
 * address). acc is an enum mmu_access; a violation or misconfiguration is
 * a VM exit and does not return. w and x tell what the TLB may cache. */
typedef struct vmx_xlate {
    uint64_t hpa;
    bool r, w, x;
} vmx_xlate_t;

/* EPT applies in non-root operation, and, for the C root side, to the
 * guest state the vCPU still holds after a VM exit (so mmu_probe reads
 * guest memory by guest-linear address). */
static inline bool vmx_ept_active(const cpu_t *cpu)
{
    return cpu->vmx && cpu->vmx->ept;
}

/* mmu_probe is translating: an EPT violation or misconfiguration fails
 * the probe (unwinding like a fault) instead of causing a VM exit. */
static inline void vmx_set_probing(cpu_t *cpu, bool on)
{
    if (cpu->vmx)
        cpu->vmx->probing = on;
}

void vmx_ept_xlate(cpu_t *cpu, uint64_t gpa, int acc, bool final, bool lin_valid, uint64_t lin,
                   vmx_xlate_t *out);

/* IA32_VMX_* capability MSRs (0x480-0x491); false: no such MSR. */
bool vmx_cap_msr(uint32_t index, uint64_t *val);

/* ---- root-mode C API ---- */

/* VMXON/VMCLEAR/VMPTRLD/VMREAD/VMWRITE for C code: 0, or a VM-instruction
 * error number (-1 for VMfailInvalid). The regions live in emulated
 * physical memory as they would for a hypervisor. */
int vmx_api_vmxon(cpu_t *cpu, uint64_t region);
int vmx_api_vmclear(cpu_t *cpu, uint64_t vmcs);
int vmx_api_vmptrld(cpu_t *cpu, uint64_t vmcs);
int vmx_api_vmread(cpu_t *cpu, uint32_t field, uint64_t *val);
int vmx_api_vmwrite(cpu_t *cpu, uint32_t field, uint64_t val);

/* Enter the guest of the current VMCS (VMLAUNCH or VMRESUME by its launch
 * state) and run it until a VM exit or until `budget` instructions retired.
 * The vCPU should deliver exceptions itself (cpu->deliver_exceptions), so
 * that guest faults reach the guest's IDT or the exception bitmap; after a
 * VM exit it still holds the guest's registers (GPRs are not in the VMCS).
 * Returns 1 with *exit filled on a VM exit (entry failures included), 0 when
 * the vCPU stopped without one (budget spent, or cpu->halted: HLT without
 * HLT exiting; the guest stays in non-root mode: call again), -1 for
 * VMfailInvalid, or minus a VM-instruction error when VM entry failed
 * before loading the guest (VMfailValid). */
int vmx_run(cpu_t *cpu, uint64_t budget, vmx_exit_t *exit);

/* Between vmx_run calls, with the guest still in non-root operation: the
 * VM exit a host interrupt (timer tick, IPI) would cause, reason 1 without
 * interruption information, so the root side can inject events or
 * reschedule. Returns 1 with *exit filled, 0 if no guest is running. */
int vmx_api_kick(cpu_t *cpu, vmx_exit_t *exit);

#endif
