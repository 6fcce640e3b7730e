/* Start-of-day structures: PVH hvm_start_info v1 (xen/include/public/
 * arch-x86/hvm/start_info.h) and Multiboot 1 information (Multiboot
 * Specification 0.6.96, §3.3). */
#include <string.h>

#include "xen-abi/hvm_start_info.h"
#include "xenemu/boot.h"

void boot_memmap_default(boot_memmap_t *map, uint64_t ram)
{
    map->n = 0;
    uint64_t low = ram < 0x9f000 ? ram : 0x9f000;
    map->e[map->n++] = (typeof(map->e[0])){ 0, low, XEN_HVM_MEMMAP_TYPE_RAM };
    if (ram > 0x100000) {
        map->e[map->n++] = (typeof(map->e[0])){ 0x9f000, 0x100000 - 0x9f000, XEN_HVM_MEMMAP_TYPE_RESERVED };
        map->e[map->n++] = (typeof(map->e[0])){ 0x100000, ram - 0x100000, XEN_HVM_MEMMAP_TYPE_RAM };
    }
}

/* Page layout: start info at +0, memory map at +0x100, modules at +0x400,
 * command line at +0x800 (up to 2 KiB). */
int boot_write_pvh_info(phys_mem_t *pm, uint64_t at, const boot_memmap_t *map, const char *cmdline,
                        const boot_module_t *mods, int nmods, uint64_t rsdp)
{
    uint8_t *page = phys_ram_ptr(pm, at, 4096);
    size_t clen = strlen(cmdline);
    if (!page || clen >= 2048 || nmods > 32 || map->n > BOOT_MAX_MEMMAP)
        return -1;
    memset(page, 0, 4096);
    struct hvm_start_info si = {
        .magic = XEN_HVM_START_MAGIC_VALUE,
        .version = 1,
        .nr_modules = (uint32_t)nmods,
        .modlist_paddr = nmods ? at + 0x400 : 0,
        .cmdline_paddr = at + 0x800,
        .rsdp_paddr = rsdp,
        .memmap_paddr = at + 0x100,
        .memmap_entries = (uint32_t)map->n,
    };
    memcpy(page, &si, sizeof si);
    for (int i = 0; i < map->n; i++) {
        struct hvm_memmap_table_entry e = { map->e[i].addr, map->e[i].size, map->e[i].type, 0 };
        memcpy(page + 0x100 + i * sizeof e, &e, sizeof e);
    }
    for (int i = 0; i < nmods; i++) {
        struct hvm_modlist_entry e = { mods[i].paddr, mods[i].size, 0, 0 };
        memcpy(page + 0x400 + i * sizeof e, &e, sizeof e);
    }
    memcpy(page + 0x800, cmdline, clen + 1);
    return 0;
}

enum { MB_INFO_MEM = 1 << 0, MB_INFO_CMDLINE = 1 << 2, MB_INFO_MMAP = 1 << 6 };

int boot_write_multiboot_info(phys_mem_t *pm, uint64_t at, const boot_memmap_t *map, const char *cmdline)
{
    uint8_t *page = phys_ram_ptr(pm, at, 4096);
    size_t clen = strlen(cmdline);
    if (!page || clen >= 2048 || at > 0xffffffffull - 4096)
        return -1;
    memset(page, 0, 4096);
    uint64_t upper = 0;
    for (int i = 0; i < map->n; i++)
        if (map->e[i].addr == 0x100000 && map->e[i].type == XEN_HVM_MEMMAP_TYPE_RAM)
            upper = map->e[i].size;
    uint32_t info[22] = { 0 };
    info[0] = MB_INFO_MEM | MB_INFO_CMDLINE | MB_INFO_MMAP;
    info[1] = 0x9f000 / 1024;                       /* mem_lower in KiB */
    info[2] = (uint32_t)(upper / 1024);             /* mem_upper in KiB */
    info[4] = (uint32_t)(at + 0x800);               /* cmdline */
    info[11] = (uint32_t)(map->n * 24);             /* mmap_length */
    info[12] = (uint32_t)(at + 0x100);              /* mmap_addr */
    memcpy(page, info, sizeof info);
    for (int i = 0; i < map->n; i++) {
        uint8_t e[24];
        uint32_t size = 20, type = map->e[i].type;
        memcpy(e, &size, 4);
        memcpy(e + 4, &map->e[i].addr, 8);
        memcpy(e + 12, &map->e[i].size, 8);
        memcpy(e + 20, &type, 4);
        memcpy(page + 0x100 + i * 24, e, 24);
    }
    memcpy(page + 0x800, cmdline, clen + 1);
    return 0;
}

static void flat32(seg_t *s, uint16_t sel, uint32_t type)
{
    s->sel = sel;
    s->base = 0;
    s->limit = 0xffffffff;
    s->attr = SEGA_P | SEGA_S | SEGA_DB | SEGA_G | type;
}

void boot_set_entry32(cpu_t *cpu, uint32_t entry, uint32_t ebx, uint32_t eax)
{
    cpu_reset(cpu);
    cpu->cr0 = CR0_PE | CR0_ET;
    cpu->cr4 = 0;
    cpu->efer = 0;
    flat32(&cpu->seg[SEG_CS], 0x10, 0xb);
    flat32(&cpu->seg[SEG_DS], 0x18, 0x3);
    flat32(&cpu->seg[SEG_ES], 0x18, 0x3);
    flat32(&cpu->seg[SEG_SS], 0x18, 0x3);
    flat32(&cpu->seg[SEG_FS], 0x18, 0x3);
    flat32(&cpu->seg[SEG_GS], 0x18, 0x3);
    cpu->seg[SEG_TR] = (seg_t){ .sel = 0x20, .base = 0, .limit = 0x67, .attr = SEGA_P | 0xb };
    cpu->seg[SEG_LDTR].attr = SEGA_UNUSABLE;
    cpu->r[R_RBX] = ebx;
    cpu->r[R_RAX] = eax;
    cpu->r[R_RIP] = entry;
    cpu_set_rflags(cpu, 2);
    cpu_update_mode(cpu);
}
