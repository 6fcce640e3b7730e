#!/usr/bin/env bash
# Fetch Debian's cloud kernel (linux-image-cloud-amd64) with apt-get
# download, unpack it into images/cache/ (nothing is installed into /boot)
# and print the path of its vmlinuz. Does nothing when it is cached.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="$here/cache"
mkdir -p "$cache"

# The metapackage depends on the versioned image package.
pkg="$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')"
if [ -z "$pkg" ]; then
    echo "fetch-kernel: cannot resolve linux-image-cloud-amd64 (run 'apt-get update' first?)" >&2
    exit 1
fi
kver="${pkg#linux-image-}"
vmlinuz="$cache/kernel/boot/vmlinuz-$kver"
if [ -f "$vmlinuz" ]; then
    echo "$vmlinuz"
    exit 0
fi
(cd "$cache" && apt-get download "$pkg" >/dev/null 2>&1) || {
    echo "fetch-kernel: apt-get download $pkg failed" >&2
    exit 1
}
deb="$(ls -t "$cache"/"$pkg"_*.deb | head -n 1)"
rm -rf "$cache/kernel"
dpkg-deb -x "$deb" "$cache/kernel"
[ -f "$vmlinuz" ] || { echo "fetch-kernel: $deb holds no $vmlinuz" >&2; exit 1; }
echo "$vmlinuz"
