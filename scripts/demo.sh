#!/usr/bin/env bash
# The main job: boot Debian's cloud kernel, unmodified, as a Xen PVH domU
# on the emulated Xen host, to an interactive busybox shell on this
# terminal. 'poweroff -f' leaves it (ACPI S5, exit status 0); so does
# Ctrl-a x. Without a terminal on stdin the shell ends at once and the
# guest powers off.
set -euo pipefail
cd "$(dirname "$0")/.."
kernel="$(images/fetch-kernel.sh)"
initrd=images/cache/initramfs-shell.gz
[ -f "$initrd" ] || images/build-initramfs.sh "$initrd" >/dev/null
echo "+ build/xenemu run --memory 512M --initrd $initrd --cmdline console=hvc0 $kernel"
exec build/xenemu run --memory 512M --initrd "$initrd" --cmdline "console=hvc0" "$kernel"
