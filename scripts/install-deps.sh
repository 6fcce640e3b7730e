#!/usr/bin/env bash
# Installs the Debian 12 packages xenemu builds and tests with; only the missing ones.
set -euo pipefail

packages=(
    build-essential cmake clang pkg-config gdb busybox-static check
    libcapstone-dev libsdl2-dev libelf-dev
    zlib1g-dev liblz4-dev liblzma-dev libzstd-dev libbz2-dev
)

die() {
    echo "install-deps: error: $*" >&2
    exit 1
}

command -v dpkg-query >/dev/null 2>&1 ||
    die "dpkg-query not found; xenemu builds on Debian 12 (or a derivative)"

missing=()
for pkg in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [[ $status == "install ok installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
    echo "install-deps: all ${#packages[@]} packages are installed"
    exit 0
fi

echo "install-deps: installing ${missing[*]}"
if [[ $(id -u) -eq 0 ]]; then
    as_root=(env DEBIAN_FRONTEND=noninteractive)
elif command -v sudo >/dev/null 2>&1; then
    # sudo may reset the environment, so the variable goes on its command line.
    as_root=(sudo env DEBIAN_FRONTEND=noninteractive)
else
    die "not root and sudo is missing; as root run: apt-get install ${missing[*]}"
fi

"${as_root[@]}" apt-get update || die "apt-get update failed"
"${as_root[@]}" apt-get install -y --no-install-recommends "${missing[@]}" ||
    die "apt-get install failed for: ${missing[*]}"

for pkg in "${missing[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [[ $status == "install ok installed" ]] || die "$pkg is still not installed"
done
echo "install-deps: done"
