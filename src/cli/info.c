/* `xenemu info KERNEL`: what the loader sees in a kernel image. */
#include <stdio.h>

#include "xenemu/loader.h"
#include "xenemu/run.h"

static void print_line(void *ctx, const char *line)
{
    fprintf((FILE *)ctx, "%s\n", line);
}

int xenemu_info(const struct cli_options *opt)
{
    kernel_image_t k;
    char err[512];
    if (kernel_open(opt->kernel, &k, err, sizeof err) < 0) {
        fprintf(stderr, "xenemu: error: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    printf("%s:\n", opt->kernel);
    kernel_describe(&k, print_line, stdout);
    if (!k.note[XEN_ELFNOTE_PHYS32_ENTRY].present)
        printf("no PVH entry (XEN_ELFNOTE_PHYS32_ENTRY): cannot boot as a PVH guest\n");
    kernel_free(&k);
    return 0;
}
