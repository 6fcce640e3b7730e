/* The PVH start-of-day structure, as xen/include/public/arch-x86/hvm/
 * start_info.h defines it (version 1). All addresses are physical. */
#ifndef XEN_ABI_HVM_START_INFO_H
#define XEN_ABI_HVM_START_INFO_H

#include <stddef.h>
#include <stdint.h>

#define XEN_HVM_START_MAGIC_VALUE 0x336ec578u

struct hvm_start_info {
    uint32_t magic;
    uint32_t version;
    uint32_t flags;
    uint32_t nr_modules;
    uint64_t modlist_paddr;
    uint64_t cmdline_paddr;
    uint64_t rsdp_paddr;
    uint64_t memmap_paddr;      /* version >= 1 */
    uint32_t memmap_entries;    /* version >= 1 */
    uint32_t reserved;
};

struct hvm_modlist_entry {
    uint64_t paddr;
    uint64_t size;
    uint64_t cmdline_paddr;
    uint64_t reserved;
};

struct hvm_memmap_table_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;              /* E820 types: 1 RAM, 2 reserved, 3 ACPI, 4 NVS, 5 unusable */
    uint32_t reserved;
};

enum { XEN_HVM_MEMMAP_TYPE_RAM = 1, XEN_HVM_MEMMAP_TYPE_RESERVED = 2, XEN_HVM_MEMMAP_TYPE_ACPI = 3 };

_Static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info size");
_Static_assert(offsetof(struct hvm_start_info, modlist_paddr) == 16, "modlist_paddr");
_Static_assert(offsetof(struct hvm_start_info, cmdline_paddr) == 24, "cmdline_paddr");
_Static_assert(offsetof(struct hvm_start_info, rsdp_paddr) == 32, "rsdp_paddr");
_Static_assert(offsetof(struct hvm_start_info, memmap_paddr) == 40, "memmap_paddr");
_Static_assert(offsetof(struct hvm_start_info, memmap_entries) == 48, "memmap_entries");
_Static_assert(sizeof(struct hvm_modlist_entry) == 32, "hvm_modlist_entry size");
_Static_assert(sizeof(struct hvm_memmap_table_entry) == 24, "hvm_memmap_table_entry size");

#endif
