/* The VMCS: supported fields and their widths (SDM Vol.3C §25.11.2,
 * Appendix B), the processor-side cache of VMCS data keyed by region
 * address, and the implementation-defined region layout it is flushed to
 * on VMCLEAR (§25.11.1, §25.11.3). */
#include <stdlib.h>
#include <string.h>

#include "vmx_int.h"

/* Every supported field, in region order. */
static const uint16_t fields[] = {
    VMCS_VPID, VMCS_GUEST_ES_SEL, VMCS_GUEST_CS_SEL, VMCS_GUEST_SS_SEL, VMCS_GUEST_DS_SEL,
    VMCS_GUEST_FS_SEL, VMCS_GUEST_GS_SEL, VMCS_GUEST_LDTR_SEL, VMCS_GUEST_TR_SEL,
    VMCS_HOST_ES_SEL, VMCS_HOST_CS_SEL, VMCS_HOST_SS_SEL, VMCS_HOST_DS_SEL, VMCS_HOST_FS_SEL,
    VMCS_HOST_GS_SEL, VMCS_HOST_TR_SEL,
    VMCS_IO_BITMAP_A, VMCS_IO_BITMAP_B, VMCS_MSR_BITMAP, VMCS_EXIT_MSR_STORE_ADDR,
    VMCS_EXIT_MSR_LOAD_ADDR, VMCS_ENTRY_MSR_LOAD_ADDR, VMCS_EXEC_VMCS_PTR, VMCS_TSC_OFFSET,
    VMCS_TSC_MULTIPLIER,
    VMCS_EPTP, VMCS_GUEST_PHYS_ADDR, VMCS_LINK_PTR, VMCS_GUEST_DEBUGCTL, VMCS_GUEST_PAT,
    VMCS_GUEST_EFER, VMCS_GUEST_PDPTE0, VMCS_GUEST_PDPTE1, VMCS_GUEST_PDPTE2, VMCS_GUEST_PDPTE3,
    VMCS_HOST_PAT, VMCS_HOST_EFER,
    VMCS_PIN_CTLS, VMCS_PROC_CTLS, VMCS_EXC_BITMAP, VMCS_PF_ERR_MASK, VMCS_PF_ERR_MATCH,
    VMCS_CR3_TARGET_COUNT, VMCS_EXIT_CTLS, VMCS_EXIT_MSR_STORE_COUNT, VMCS_EXIT_MSR_LOAD_COUNT,
    VMCS_ENTRY_CTLS, VMCS_ENTRY_MSR_LOAD_COUNT, VMCS_ENTRY_INTR_INFO, VMCS_ENTRY_EXC_ERR,
    VMCS_ENTRY_INSN_LEN, VMCS_TPR_THRESHOLD, VMCS_PROC_CTLS2,
    VMCS_INSN_ERROR, VMCS_EXIT_REASON, VMCS_EXIT_INTR_INFO, VMCS_EXIT_INTR_ERR, VMCS_IDT_VEC_INFO,
    VMCS_IDT_VEC_ERR, VMCS_EXIT_INSN_LEN, VMCS_EXIT_INSN_INFO,
    VMCS_GUEST_ES_LIMIT, VMCS_GUEST_CS_LIMIT, VMCS_GUEST_SS_LIMIT, VMCS_GUEST_DS_LIMIT,
    VMCS_GUEST_FS_LIMIT, VMCS_GUEST_GS_LIMIT, VMCS_GUEST_LDTR_LIMIT, VMCS_GUEST_TR_LIMIT,
    VMCS_GUEST_GDTR_LIMIT, VMCS_GUEST_IDTR_LIMIT, VMCS_GUEST_ES_AR, VMCS_GUEST_CS_AR,
    VMCS_GUEST_SS_AR, VMCS_GUEST_DS_AR, VMCS_GUEST_FS_AR, VMCS_GUEST_GS_AR, VMCS_GUEST_LDTR_AR,
    VMCS_GUEST_TR_AR, VMCS_GUEST_INTERRUPTIBILITY, VMCS_GUEST_ACTIVITY, VMCS_GUEST_SMBASE,
    VMCS_GUEST_SYSENTER_CS, VMCS_PREEMPT_TIMER, VMCS_HOST_SYSENTER_CS,
    VMCS_CR0_MASK, VMCS_CR4_MASK, VMCS_CR0_SHADOW, VMCS_CR4_SHADOW, VMCS_CR3_TARGET0,
    VMCS_CR3_TARGET0 + 2, VMCS_CR3_TARGET0 + 4, VMCS_CR3_TARGET0 + 6,
    VMCS_EXIT_QUAL, VMCS_IO_RCX, VMCS_IO_RSI, VMCS_IO_RDI, VMCS_IO_RIP, VMCS_GUEST_LINEAR_ADDR,
    VMCS_GUEST_CR0, VMCS_GUEST_CR3, VMCS_GUEST_CR4, VMCS_GUEST_ES_BASE, VMCS_GUEST_CS_BASE,
    VMCS_GUEST_SS_BASE, VMCS_GUEST_DS_BASE, VMCS_GUEST_FS_BASE, VMCS_GUEST_GS_BASE,
    VMCS_GUEST_LDTR_BASE, VMCS_GUEST_TR_BASE, VMCS_GUEST_GDTR_BASE, VMCS_GUEST_IDTR_BASE,
    VMCS_GUEST_DR7, VMCS_GUEST_RSP, VMCS_GUEST_RIP, VMCS_GUEST_RFLAGS, VMCS_GUEST_PENDING_DBG,
    VMCS_GUEST_SYSENTER_ESP, VMCS_GUEST_SYSENTER_EIP,
    VMCS_HOST_CR0, VMCS_HOST_CR3, VMCS_HOST_CR4, VMCS_HOST_FS_BASE, VMCS_HOST_GS_BASE,
    VMCS_HOST_TR_BASE, VMCS_HOST_GDTR_BASE, VMCS_HOST_IDTR_BASE, VMCS_HOST_SYSENTER_ESP,
    VMCS_HOST_SYSENTER_EIP, VMCS_HOST_RSP, VMCS_HOST_RIP,
};
#define NFIELDS (sizeof fields / sizeof fields[0])
_Static_assert(NFIELDS <= VMCS_NFIELDS, "vmcs_t too small");

/* Region layout: revision (4), abort indicator (4), launch state (4),
 * pad (4), then the fields in table order, 8 bytes each. */
#define REGION_LAUNCH 8
#define REGION_DATA 16
_Static_assert(REGION_DATA + NFIELDS * 8 <= 4096, "VMCS region too small");

/* Field width from encoding bits 14:13 (SDM Vol.3C §25.11.2). */
enum { W16 = 0, W64 = 1, W32 = 2, WNAT = 3 };
static unsigned width_of(uint32_t enc) { return (enc >> 13) & 3; }

/* Encoding -> table position: width, type and index (bits 14:13, 11:10,
 * 5:1; every supported index is below 32), built on first use. */
static int16_t slot_map[512];
static bool slot_map_ready;

static unsigned slot_of(uint32_t full)
{
    return ((full >> 13) & 3) << 7 | ((full >> 10) & 3) << 5 | ((full >> 1) & 31);
}

static void build_slot_map(void)
{
    for (unsigned i = 0; i < 512; i++)
        slot_map[i] = -1;
    for (unsigned i = 0; i < NFIELDS; i++)
        slot_map[slot_of(fields[i])] = (int16_t)i;
    slot_map_ready = true;
}

int vmcs_field_index(uint32_t enc)
{
    if ((enc >> 15) || (enc & 0x1000) || ((enc >> 1) & 0x1ff) >= 32)
        return -1;
    if ((enc & 1) && width_of(enc) != W64)
        return -1;                   /* access type "high" exists for 64-bit fields only */
    if (!slot_map_ready)
        build_slot_map();
    return slot_map[slot_of(enc & ~1u)];
}

uint32_t vmcs_max_index(void)
{
    uint32_t m = 0;
    for (unsigned i = 0; i < NFIELDS; i++)
        if (((fields[i] >> 1) & 0x1ff) > m)
            m = (fields[i] >> 1) & 0x1ff;
    return m;
}

/* Type bits 11:10 = 1: VM-exit information, read-only while
 * IA32_VMX_MISC bit 29 is clear (SDM Vol.3C §31.3 VMWRITE). */
bool vmcs_field_readonly(uint32_t enc)
{
    return ((enc >> 10) & 3) == 1;
}

static uint64_t width_mask(uint32_t enc)
{
    switch (width_of(enc)) {
    case W16: return 0xffff;
    case W32: return 0xffffffffull;
    default: return ~0ull;
    }
}

uint64_t vmcs_get(const vmcs_t *v, uint32_t enc)
{
    int i = vmcs_field_index(enc);
    return i < 0 ? 0 : v->f[i];
}

void vmcs_set(vmcs_t *v, uint32_t enc, uint64_t val)
{
    int i = vmcs_field_index(enc);
    if (i >= 0)
        v->f[i] = val & width_mask(enc);
}

bool vmcs_read_field(const vmcs_t *v, uint32_t enc, uint64_t *val)
{
    int i = vmcs_field_index(enc);
    if (i < 0)
        return false;
    *val = (enc & 1) ? v->f[i] >> 32 : v->f[i];
    return true;
}

bool vmcs_write_field(vmcs_t *v, uint32_t enc, uint64_t val)
{
    int i = vmcs_field_index(enc);
    if (i < 0)
        return false;
    if (enc & 1)
        v->f[i] = (v->f[i] & 0xffffffffull) | (val << 32);
    else
        v->f[i] = val & width_mask(enc);
    return true;
}

/* ---- the cache ---- */

static vmcs_t *find(vmx_t *x, uint64_t addr)
{
    for (unsigned i = 0; i < VMX_CACHE_SLOTS; i++)
        if (x->cache[i].addr == addr)
            return &x->cache[i];
    return NULL;
}

static void flush(cpu_t *cpu, vmcs_t *v)
{
    phys_mem_t *pm = &cpu->m->mem;
    phys_write(pm, v->addr + REGION_LAUNCH, v->launched, 4);
    for (unsigned i = 0; i < NFIELDS; i++)
        phys_write(pm, v->addr + REGION_DATA + 8 * i, v->f[i], 8);
}

/* A free slot, writing back the least recently used non-current one. */
static vmcs_t *victim(cpu_t *cpu, vmx_t *x)
{
    vmcs_t *best = NULL;
    for (unsigned i = 0; i < VMX_CACHE_SLOTS; i++) {
        vmcs_t *v = &x->cache[i];
        if (v->addr == VMX_NO_VMCS)
            return v;
        if (v != x->cur && (!best || v->lru < best->lru))
            best = v;
    }
    flush(cpu, best);
    best->addr = VMX_NO_VMCS;
    return best;
}

vmcs_t *vmcs_load(cpu_t *cpu, vmx_t *x, uint64_t addr)
{
    vmcs_t *v = find(x, addr);
    if (!v) {
        phys_mem_t *pm = &cpu->m->mem;
        v = victim(cpu, x);
        v->addr = addr;
        v->launched = phys_read(pm, addr + REGION_LAUNCH, 4) == 1;
        for (unsigned i = 0; i < NFIELDS; i++)
            v->f[i] = phys_read(pm, addr + REGION_DATA + 8 * i, 8) & width_mask(fields[i]);
    }
    v->lru = ++x->tick;
    return v;
}

void vmcs_clear(cpu_t *cpu, vmx_t *x, uint64_t addr)
{
    vmcs_t *v = find(x, addr);
    if (v) {
        v->launched = false;
        flush(cpu, v);
        v->addr = VMX_NO_VMCS;
    } else {
        phys_write(&cpu->m->mem, addr + REGION_LAUNCH, 0, 4);
    }
    if (x->cur == v && v)
        x->cur = NULL;
}

uint32_t vmcs_region_revision(cpu_t *cpu, uint64_t addr)
{
    return (uint32_t)phys_read(&cpu->m->mem, addr, 4) & 0x7fffffffu;
}

/* ---- per-vCPU state ---- */

vmx_t *vmx_state(cpu_t *cpu)
{
    if (!cpu->vmx) {
        vmx_t *x = calloc(1, sizeof *x);
        if (!x)
            return NULL;
        for (unsigned i = 0; i < VMX_CACHE_SLOTS; i++)
            x->cache[i].addr = VMX_NO_VMCS;
        x->vmxon_ptr = VMX_NO_VMCS;
        cpu->vmx = x;
    }
    return cpu->vmx;
}

void vmx_free(cpu_t *cpu)
{
    free(cpu->vmx);
    cpu->vmx = NULL;
}
