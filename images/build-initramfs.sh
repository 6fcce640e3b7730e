#!/usr/bin/env bash
# Build a busybox initramfs (gzip'd newc cpio) from Debian's busybox-static.
#   build-initramfs.sh OUTPUT [INIT_SCRIPT]
# INIT_SCRIPT becomes /init; the default starts an interactive shell on
# the console and powers off when it exits.
set -euo pipefail
out="${1:?usage: build-initramfs.sh OUTPUT [INIT_SCRIPT]}"
init="${2:-}"
busybox=/bin/busybox
[ -x "$busybox" ] || { echo "build-initramfs: $busybox missing (install busybox-static)" >&2; exit 1; }
"$busybox" --list >/dev/null 2>&1 || { echo "build-initramfs: $busybox does not run" >&2; exit 1; }

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,etc,usr/bin,usr/sbin}
cp "$busybox" "$root/bin/busybox"
for app in $("$busybox" --list); do
    [ "$app" = busybox ] || ln -sf busybox "$root/bin/$app"
done
if [ -n "$init" ]; then
    cp "$init" "$root/init"
else
    cat > "$root/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo "xenemu: busybox shell on $(cat /sys/hypervisor/type 2>/dev/null || echo '?'); 'poweroff -f' to leave"
setsid cttyhack sh
poweroff -f
INIT
fi
chmod 755 "$root/init"
mkdir -p "$(dirname "$out")"
(cd "$root" && find . | LC_ALL=C sort | "$busybox" cpio -o -H newc 2>/dev/null) | gzip -9 > "$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
