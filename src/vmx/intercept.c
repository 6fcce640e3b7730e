/* Instructions and events that cause VM exits in VMX non-root operation
 * (SDM Vol.3C §26.1), the exit qualifications of §28.2.1 and the
 * instruction-information field of §28.2.5, plus the CR0/CR4 guest/host
 * masks and read shadows (§26.3) and TSC offsetting (§26.6.5). */
#include "../cpu/system.h"
#include "vmx_int.h"

/* ---- shared helpers ---- */

static unsigned addr_size_code(unsigned adsz)
{
    return adsz == 2 ? 0 : adsz == 4 ? 1 : 2;
}

uint32_t vmx_mem_info(const insn_t *in)
{
    uint32_t info = in->scale | addr_size_code(in->adsz) << 7 | (uint32_t)in->seg << 15;
    if (in->index == R_ZERO)
        info |= 1u << 22;
    else
        info |= (uint32_t)in->index << 18;
    if (in->base == R_ZERO || in->base == R_RIP)
        info |= 1u << 27;
    else
        info |= (uint32_t)in->base << 23;
    return info;
}

/* ---- one-bit and unconditional exits ---- */

typedef struct simple_exit {
    uint8_t reason;
    uint8_t word;      /* 0: unconditional, 1: primary, 2: secondary controls */
    uint32_t bit;
} simple_exit_t;

static const simple_exit_t simple[] = {
    [VEV_CPUID] = { EXIT_CPUID, 0, 0 },
    [VEV_HLT] = { EXIT_HLT, 1, PROC_HLT },
    [VEV_INVD] = { EXIT_INVD, 0, 0 },
    [VEV_WBINVD] = { EXIT_WBINVD, 2, PROC2_WBINVD },
    [VEV_RDPMC] = { EXIT_RDPMC, 1, PROC_RDPMC },
    [VEV_RDTSC] = { EXIT_RDTSC, 1, PROC_RDTSC },
    [VEV_RDTSCP] = { EXIT_RDTSCP, 1, PROC_RDTSC },
    [VEV_XSETBV] = { EXIT_XSETBV, 0, 0 },
    [VEV_PAUSE] = { EXIT_PAUSE, 1, PROC_PAUSE },
    [VEV_INVLPG] = { EXIT_INVLPG, 1, PROC_INVLPG },
    [VEV_MONITOR] = { EXIT_MONITOR, 1, PROC_MONITOR },
    [VEV_MWAIT] = { EXIT_MWAIT, 1, PROC_MWAIT },
};

void vmx_intercept(cpu_t *cpu, enum vmx_event ev, uint64_t qual)
{
    const vmx_t *x = cpu->vmx;
    const simple_exit_t *s = &simple[ev];
    bool exits = s->word == 0 || (s->word == 1 ? (x->proc & s->bit) : (x->proc2 & s->bit));
    if (ev == VEV_RDTSCP && !(x->proc2 & PROC2_RDTSCP))
        cpu_ud(cpu);                  /* "enable RDTSCP" clear: #UD (§26.3) */
    if (exits)
        vmx_exit_insn(cpu, s->reason, qual, 0);
}

/* RDTSC, RDTSCP and RDMSR of IA32_TSC (§26.3): with "use TSC offsetting"
 * the offset is added, after scaling by the multiplier (a fixed-point
 * value with 48 fraction bits) under "use TSC scaling" (§26.6.5). */
uint64_t vmx_guest_tsc(const cpu_t *cpu, uint64_t tsc)
{
    const vmx_t *x = cpu->vmx;
    if (!(x->proc & PROC_TSC_OFFSET))
        return tsc;
    if (x->proc2 & PROC2_TSC_SCALING)
        tsc = (uint64_t)(((unsigned __int128)tsc * vmcs_get(x->cur, VMCS_TSC_MULTIPLIER)) >> 48);
    return tsc + vmcs_get(x->cur, VMCS_TSC_OFFSET);
}

/* ---- control registers (§26.1.3, qualification Table 28-3) ---- */

enum { CR_MOV_TO = 0, CR_MOV_FROM = 1, CR_CLTS = 2, CR_LMSW = 3 };

static _Noreturn void cr_exit(cpu_t *cpu, unsigned cr, unsigned type, unsigned gpr, uint64_t extra)
{
    vmx_exit_insn(cpu, EXIT_CR_ACCESS, cr | type << 4 | gpr << 8 | extra, 0);
}

static uint64_t mask_of(const vmx_t *x, unsigned cr)
{
    return vmcs_get(x->cur, cr == 0 ? VMCS_CR0_MASK : VMCS_CR4_MASK);
}

static uint64_t shadow_of(const vmx_t *x, unsigned cr)
{
    return vmcs_get(x->cur, cr == 0 ? VMCS_CR0_SHADOW : VMCS_CR4_SHADOW);
}

uint64_t vmx_cr_read(cpu_t *cpu, unsigned cr, unsigned gpr, uint64_t val)
{
    const vmx_t *x = cpu->vmx;
    if (cr == 0 || cr == 4) {
        uint64_t m = mask_of(x, cr);
        return (val & ~m) | (shadow_of(x, cr) & m);
    }
    if ((cr == 3 && (x->proc & PROC_CR3_STORE)) || (cr == 8 && (x->proc & PROC_CR8_STORE)))
        cr_exit(cpu, cr, CR_MOV_FROM, gpr, 0);
    return val;
}

static bool cr3_target(const vmx_t *x, uint64_t val)
{
    uint64_t n = vmcs_get(x->cur, VMCS_CR3_TARGET_COUNT);
    for (uint64_t i = 0; i < n && i < 4; i++)
        if (vmcs_get(x->cur, VMCS_CR3_TARGET0 + 2 * (uint32_t)i) == val)
            return true;
    return false;
}

uint64_t vmx_cr_write(cpu_t *cpu, unsigned cr, unsigned gpr, uint64_t val)
{
    const vmx_t *x = cpu->vmx;
    if (cr == 0 || cr == 4) {
        uint64_t m = mask_of(x, cr);
        if ((val ^ shadow_of(x, cr)) & m)
            cr_exit(cpu, cr, CR_MOV_TO, gpr, 0);
        uint64_t cur = cr == 0 ? cpu->cr0 : cpu->cr4;
        return (val & ~m) | (cur & m);
    }
    if (cr == 3 && (x->proc & PROC_CR3_LOAD) && !cr3_target(x, val))
        cr_exit(cpu, cr, CR_MOV_TO, gpr, 0);
    if (cr == 8 && (x->proc & PROC_CR8_LOAD))
        cr_exit(cpu, cr, CR_MOV_TO, gpr, 0);
    return val;
}

bool vmx_clts(cpu_t *cpu)
{
    const vmx_t *x = cpu->vmx;
    if (!(mask_of(x, 0) & CR0_TS))
        return true;
    if (shadow_of(x, 0) & CR0_TS)
        cr_exit(cpu, 0, CR_CLTS, 0, 0);
    return false;
}

/* LMSW exits when a masked bit among PE, MP, EM, TS would differ from the
 * shadow (PE only when being set) (§26.1.3). */
uint64_t vmx_lmsw(cpu_t *cpu, uint16_t src, bool mem, uint64_t lin, uint64_t new_cr0)
{
    vmx_t *x = cpu->vmx;
    uint64_t m = mask_of(x, 0), sh = shadow_of(x, 0);
    bool pe_set = (m & CR0_PE) && !(sh & CR0_PE) && (src & CR0_PE);
    if (pe_set || (m & 0xe & (src ^ sh))) {
        if (mem)
            vmw(x, VMCS_GUEST_LINEAR_ADDR, lin);
        cr_exit(cpu, 0, CR_LMSW, 0, (uint64_t)(mem ? 1 : 0) << 6 | (uint64_t)src << 16);
    }
    return (new_cr0 & ~(m & 0xf)) | (cpu->cr0 & m & 0xf);
}

bool vmx_cr_fixed_ok(const cpu_t *cpu, unsigned cr, uint64_t val)
{
    const vmx_t *x = cpu->vmx;
    if (cr == 4)
        return (val & CR4_VMXE) != 0;
    uint64_t fixed0 = vmx_cr0_fixed0();
    if (x->nonroot && (x->proc2 & PROC2_UNRESTRICTED))
        fixed0 &= ~(uint64_t)(CR0_PE | CR0_PG);
    return (val & fixed0) == fixed0;
}

/* ---- MOV DR (Table 28-4) ---- */

void vmx_intercept_dr(cpu_t *cpu, unsigned dr, unsigned gpr, bool read)
{
    if (cpu->vmx->proc & PROC_MOV_DR)
        vmx_exit_insn(cpu, EXIT_DR_ACCESS, dr | (read ? 1u : 0) << 4 | gpr << 8, 0);
}

/* ---- I/O (§26.1.3, bitmaps §25.6.4, qualification Table 28-5) ---- */

static bool io_bitmap_says_exit(cpu_t *cpu, const vmx_t *x, uint16_t port, unsigned size)
{
    for (unsigned i = 0; i < size; i++) {
        uint32_t p = (uint32_t)port + i;
        if (p > 0xffff)
            return true;                      /* wraps around: exit */
        uint64_t map = vmcs_get(x->cur, p < 0x8000 ? VMCS_IO_BITMAP_A : VMCS_IO_BITMAP_B);
        uint64_t byte = phys_read(&cpu->m->mem, map + ((p & 0x7fff) >> 3), 1);
        if (byte & (1u << (p & 7)))
            return true;
    }
    return false;
}

void vmx_intercept_io(cpu_t *cpu, uint16_t port, unsigned size)
{
    vmx_t *x = cpu->vmx;
    bool exits = (x->proc & PROC_IO_BITMAPS) ? io_bitmap_says_exit(cpu, x, port, size)
                                              : (x->proc & PROC_UNCOND_IO) != 0;
    const insn_t *in = cpu->cur;
    if (!exits || !in)
        return;
    bool string = in->map == MAP_1B && in->op >= 0x6c && in->op <= 0x6f;
    bool in_dir = !(in->op & 2);           /* E4 E5 EC ED 6C 6D */
    bool imm = !string && !(in->op & 8);
    uint64_t q = (size - 1) | (in_dir ? 8u : 0) | (string ? 16u : 0) |
                 ((in->flags & INF_REP) ? 32u : 0) | (imm ? 64u : 0) | (uint64_t)port << 16;
    uint32_t info = 0;
    if (string) {
        info = addr_size_code(in->adsz) << 7 | (uint32_t)(in_dir ? SEG_ES : in->seg) << 15;
        uint64_t off = cpu->r[in_dir ? R_RDI : R_RSI];
        int seg = in_dir ? SEG_ES : in->seg;
        uint64_t base = cpu->code_mode == CM_64 ? cpu->seg_lin_base[seg] : cpu->seg[seg].base;
        vmw(x, VMCS_GUEST_LINEAR_ADDR, base + (off & size_mask(in->adsz)));
    }
    vmx_exit_insn(cpu, EXIT_IO, q, info);
}

/* ---- RDMSR/WRMSR (MSR bitmaps §25.6.9) ---- */

void vmx_intercept_msr(cpu_t *cpu, uint32_t index, bool write)
{
    const vmx_t *x = cpu->vmx;
    uint32_t reason = write ? EXIT_WRMSR : EXIT_RDMSR;
    if (!(x->proc & PROC_MSR_BITMAPS))
        vmx_exit_insn(cpu, reason, 0, 0);
    uint64_t base;
    if (index <= 0x1fff)
        base = 0;
    else if (index >= 0xc0000000u && index <= 0xc0001fffu)
        base = 1024;
    else
        vmx_exit_insn(cpu, reason, 0, 0);
    uint32_t n = index & 0x1fff;
    uint64_t at = vmcs_get(x->cur, VMCS_MSR_BITMAP) + base + (write ? 2048 : 0) + n / 8;
    if (phys_read(&cpu->m->mem, at, 1) & (1u << (n & 7)))
        vmx_exit_insn(cpu, reason, 0, 0);
}

/* ---- descriptor tables (§26.1.3, "descriptor-table exiting") ---- */

void vmx_intercept_desc(cpu_t *cpu, const insn_t *in, unsigned identity, bool ldt_tr)
{
    if (!(cpu->vmx->proc2 & PROC2_DESC_TABLE))
        return;
    uint32_t info = identity << 28;
    uint64_t qual = 0;
    if (in->flags & INF_MEM) {
        info |= vmx_mem_info(in);
        qual = (uint64_t)(int64_t)in->disp;
        if (!ldt_tr && in->opsz != 2)
            info |= 1u << 11;
    } else {
        info |= 1u << 10 | (uint32_t)in->rm << 3;
    }
    vmx_exit_insn(cpu, ldt_tr ? EXIT_LDTR_TR : EXIT_GDTR_IDTR, qual, info);
}

/* ---- INVPCID (§26.3, §26.1.3; information as for INVEPT, §28.2.5) ---- */

void vmx_intercept_invpcid(cpu_t *cpu, const insn_t *in)
{
    const vmx_t *x = cpu->vmx;
    if (!(x->proc2 & PROC2_INVPCID))
        cpu_ud(cpu);
    if (cpu->cpl)
        cpu_gp0(cpu);                 /* privilege faults come before the exit (§26.1.1) */
    if (x->proc & PROC_INVLPG)
        vmx_exit_insn(cpu, EXIT_INVPCID, (uint64_t)(int64_t)in->disp, vmx_mem_info(in) | (uint32_t)in->reg << 28);
}

/* ---- task switches (§26.1.2, qualification Table 28-2) ---- */

_Noreturn void vmx_task_switch(cpu_t *cpu, uint16_t sel, unsigned source)
{
    exit_info_t e = { .reason = EXIT_TASK_SWITCH, .qual = sel | (uint64_t)source << 30 };
    if (source != 3 && cpu->cur)
        e.insn_len = cpu->cur->len;
    vmx_exit(cpu, &e);
}

/* ---- exceptions (§26.2, exception bitmap §25.6.3) ---- */

/* #PF consults the error-code mask and match: with bitmap bit 14 set it
 * exits when they match, with it clear when they do not (§26.2). */
static bool bitmap_exits(const vmx_t *x, int vector, uint32_t err)
{
    bool bit = (x->exc_bitmap >> vector) & 1;
    if (vector != EXC_PF)
        return bit;
    return ((err & x->pf_mask) == x->pf_match) == bit;
}

bool vmx_event_intercept(cpu_t *cpu, int vector, int kind, uint32_t err)
{
    vmx_t *x = cpu->vmx;
    if (vector > 31)
        return false;
    unsigned type = INTR_TYPE_HW_EXC;
    if (kind == EV_SOFT) {
        const insn_t *in = cpu->cur;
        if (!in || in->map != MAP_1B || (in->op != 0xcc && in->op != 0xce))
            return false;                     /* INT n: a software interrupt, no bitmap */
        type = INTR_TYPE_SW_EXC;
    } else if (kind == EV_ICEBP) {
        type = INTR_TYPE_PRIV_SW_EXC;
    } else if (kind != EV_EXC) {
        return false;
    }
    bool has_err = kind == EV_EXC && (vector == EXC_DF || (vector >= EXC_TS && vector <= EXC_PF) || vector == EXC_AC);
    bool pf = vector == EXC_PF;
    if (!bitmap_exits(x, vector, err))
        return false;
    exit_info_t e = {
        .reason = EXIT_EXCEPTION,
        .intr_info = (uint32_t)vector | type << 8 | INTR_INFO_VALID | (has_err ? INTR_INFO_ERR_VALID : 0),
        .intr_err = has_err ? err : 0,
        .qual = pf ? cpu->exc.cr2 : vector == EXC_DB ? (cpu->dr[6] & 0x600full) : 0,
        .insn_len = (kind != EV_EXC && cpu->cur) ? cpu->cur->len : 0,
    };
    vmx_exit(cpu, &e);
}

/* Interruption type of an event in the IDT-vectoring format (§25.9.3). */
static unsigned event_type(const cpu_t *cpu, int vector, int kind)
{
    const insn_t *in = cpu->cur;
    switch (kind) {
    case EV_EXC: return INTR_TYPE_HW_EXC;
    case EV_EXTINT: return vector == EXC_NMI ? INTR_TYPE_NMI : INTR_TYPE_EXT;
    case EV_ICEBP: return INTR_TYPE_PRIV_SW_EXC;
    default:
        return in && in->map == MAP_1B && (in->op == 0xcc || in->op == 0xce) ? INTR_TYPE_SW_EXC : INTR_TYPE_SW_INT;
    }
}

void vmx_note_delivery(cpu_t *cpu, int vector, int kind, bool has_err, uint32_t err)
{
    vmx_t *x = cpu->vmx;
    if (vector < 0) {
        x->vec_info = x->vec_err = x->vec_len = 0;
        return;
    }
    unsigned type = event_type(cpu, vector, kind);
    x->vec_info = (uint32_t)(vector & 0xff) | type << 8 | INTR_INFO_VALID | (has_err ? INTR_INFO_ERR_VALID : 0);
    x->vec_err = has_err ? err : 0;
    x->vec_len = (type >= INTR_TYPE_SW_INT && cpu->cur) ? cpu->cur->len : 0;
    if (x->injecting && type >= INTR_TYPE_SW_INT)
        x->vec_len = (uint32_t)vmcs_get(x->cur, VMCS_ENTRY_INSN_LEN);
    x->injecting = false;                     /* only the first delivery is the injected event */
}

_Noreturn void vmx_triple_fault(cpu_t *cpu)
{
    exit_info_t e = { .reason = EXIT_TRIPLE_FAULT };
    cpu->delivering = 0;
    cpu->vmx->vec_info = 0;
    vmx_exit(cpu, &e);
}

/* ---- external interrupts and NMIs (§26.2) ---- */

void vmx_interrupt_exits(cpu_t *cpu)
{
    vmx_t *x = cpu->vmx;
    if (cpu->apic.nmi_pending && (x->pin & PIN_NMI)) {
        cpu->apic.nmi_pending = false;
        exit_info_t e = { .reason = EXIT_EXCEPTION,
                          .intr_info = EXC_NMI | INTR_TYPE_NMI << 8 | INTR_INFO_VALID };
        vmx_exit(cpu, &e);
    }
    /* RFLAGS.IF does not mask interrupts that exit; the STI/MOV SS shadow does. */
    if (!(x->pin & PIN_EXT_INT) || cpu->icount < cpu->irq_shadow_end)
        return;
    int v = lapic_pending_vector(cpu);
    if (v < 0)
        return;
    exit_info_t e = { .reason = EXIT_EXTINT };
    if (x->exit_ctl & EXIT_ACK_INT) {
        lapic_ack(cpu, v);
        e.intr_info = (uint32_t)v | INTR_TYPE_EXT << 8 | INTR_INFO_VALID;
    }
    vmx_exit(cpu, &e);
}
