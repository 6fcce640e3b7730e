/* Start-of-day information handed to a kernel: the PVH start info with its
 * memory map, or Multiboot 1 information, and the 32-bit entry state. */
#ifndef XENEMU_BOOT_H
#define XENEMU_BOOT_H

#include <stdint.h>

#include "xenemu/cpu.h"
#include "xenemu/phys.h"

#define BOOT_MAX_MEMMAP 16

typedef struct boot_memmap {
    struct { uint64_t addr, size; uint32_t type; } e[BOOT_MAX_MEMMAP];
    int n;
} boot_memmap_t;

typedef struct boot_module {
    uint64_t paddr, size;
} boot_module_t;

/* The E820-style map of a machine with `ram` bytes of RAM from 0: low RAM,
 * the legacy hole 0x9F000-0x100000 reserved, RAM above 1 MiB. */
void boot_memmap_default(boot_memmap_t *map, uint64_t ram);

/* Write hvm_start_info v1, its memory map, module list and command line
 * at `at` (one 4 KiB page). Returns 0 or -1 if it does not fit in RAM. */
int boot_write_pvh_info(phys_mem_t *pm, uint64_t at, const boot_memmap_t *map, const char *cmdline,
                        const boot_module_t *mods, int nmods, uint64_t rsdp);

/* Write Multiboot 1 information (memory, command line, memory map) at `at`. */
int boot_write_multiboot_info(phys_mem_t *pm, uint64_t at, const boot_memmap_t *map, const char *cmdline);

/* The register state of the PVH entry (Xen's docs/misc/pvh.pandoc): 32-bit
 * protected mode, paging off, flat CS/DS/ES/SS, a 32-bit busy TSS, IF and
 * TF clear, EBX = start info. Multiboot uses the same with EAX = magic. */
void boot_set_entry32(cpu_t *cpu, uint32_t entry, uint32_t ebx, uint32_t eax);

#endif
