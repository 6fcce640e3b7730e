/* The initial ramdisk: read from a file into guest RAM on the first page
 * boundary at or above a given address (above the kernel). */
#include <stdio.h>

#include "xenemu/loader.h"

int initrd_load(phys_mem_t *pm, const char *path, uint64_t at, uint64_t limit, boot_module_t *mod, char *err,
                size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open initrd '%s'", path);
        return -1;
    }
    at = (at + 0xfff) & ~0xfffull;
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    uint8_t *dst = size > 0 && fseek(f, 0, SEEK_SET) == 0 && at + (uint64_t)size <= limit
                       ? phys_ram_ptr(pm, at, (uint64_t)size)
                       : NULL;
    if (!dst || fread(dst, 1, (size_t)size, f) != (size_t)size) {
        fclose(f);
        if (size == 0)
            snprintf(err, errlen, "initrd '%s' is empty", path);
        else
            snprintf(err, errlen, "initrd '%s' (%ld bytes) does not fit in guest memory above the kernel",
                     path, size);
        return -1;
    }
    fclose(f);
    mod->paddr = at;
    mod->size = (uint64_t)size;
    return 0;
}
