/* Xen's CPUID leaves (xen/include/public/arch-x86/cpuid.h). Leaf i lives at
 * base + i, base = 0x40000000 (0x40000100 when Viridian takes the first). */
#ifndef XEN_ABI_ARCH_X86_CPUID_H
#define XEN_ABI_ARCH_X86_CPUID_H

#define XEN_CPUID_FIRST_LEAF 0x40000000u
#define XEN_CPUID_LEAF(i)    (XEN_CPUID_FIRST_LEAF + (i))

/* base+0: EAX = last leaf; EBX:ECX:EDX = "XenVMMXenVMM". */
#define XEN_CPUID_SIGNATURE_EBX 0x566e6558u /* "XenV" */
#define XEN_CPUID_SIGNATURE_ECX 0x65584d4du /* "MMXe" */
#define XEN_CPUID_SIGNATURE_EDX 0x4d4d566eu /* "nVMM" */

/* base+1: EAX = major << 16 | minor. */
/* base+2: EAX = hypercall pages, EBX = MSR base, ECX = features. */
#define XEN_CPUID_FEAT1_MMU_PT_UPDATE_PRESERVE_AD (1u << 0)
/* base+3: time, subleaves 0 (mode, khz), 1 (offset, mul, shift), 2 (host khz). */
/* base+4: HVM features in EAX; vCPU id in EBX, domid in ECX. */
#define XEN_HVM_CPUID_APIC_ACCESS_VIRT (1u << 0)
#define XEN_HVM_CPUID_X2APIC_VIRT      (1u << 1)
#define XEN_HVM_CPUID_IOMMU_MAPPINGS   (1u << 2)
#define XEN_HVM_CPUID_VCPU_ID_PRESENT  (1u << 3)
#define XEN_HVM_CPUID_DOMID_PRESENT    (1u << 4)
#define XEN_HVM_CPUID_EXT_DEST_ID      (1u << 5)
#define XEN_HVM_CPUID_UPCALL_VECTOR    (1u << 6)
/* base+5: PV parameters (all zero for HVM/PVH). */

#define XEN_CPUID_MAX_NUM_LEAVES 5

/* The hypercall-page MSR Xen announces in base+2 EBX. */
#define XEN_HYPERCALL_MSR 0x40000000u

#endif
