#!/usr/bin/env bash
# Cost of tracing compiled in but off: bench/mips (interpreter MIPS), a
# bare-machine guest run and a full Linux boot (Debian's cloud kernel as a
# PVH domU with tests/linux/init.sh as /init, as in tests/linux/linux_pvh.sh),
# built with the hooks (tracing off at run time) and with
# -DXENEMU_NO_TRACE=ON (hooks compiled to nothing). The Linux boot is
# skipped when images/fetch-kernel.sh cannot get the kernel.
#   overhead.sh SOURCE_DIR WORK_DIR [RUNS]
# Both trees are configured and built under WORK_DIR/{hooks,none}. Code
# placement alone moves bench/mips by up to ~25% between two builds of the
# same code, so both are built with functions and loops aligned to 64
# bytes (CFLAGS overrides that) and the difference left is the hooks'.
set -euo pipefail
src=$1
work=$2
runs=${3:-3}
jobs=${JOBS:-2}
cflags=${CFLAGS:--falign-functions=64 -falign-loops=64}

for v in hooks none; do
    opt=OFF
    [ "$v" = none ] && opt=ON
    cmake -S "$src" -B "$work/$v" -DCMAKE_BUILD_TYPE=Release -DXENEMU_NO_TRACE=$opt \
          -DCMAKE_C_FLAGS="$cflags" >/dev/null
    cmake --build "$work/$v" -j"$jobs" --target bench_mips xenemu guest_spin >/dev/null
done

# mips_of TREE: "sha256 MIPS qsort MIPS search MIPS" (median of RUNS runs).
mips_of() {
    "$1/bench/mips" --runs "$runs" --no-native |
        awk '$1 ~ /^(sha256|qsort|search)$/ { printf "%s %s ", $1, $(NF-6) }'
}

# guest_seconds TREE: best user CPU seconds of RUNS bare-machine runs of
# spin.elf for 300M instructions (it ends with status 124).
guest_seconds() {
    local best=999999 t
    for _ in $(seq "$runs"); do
        /usr/bin/time -o "$work/time" -f %U "$1/xenemu" run --machine bare --memory 64M \
            --max-insns 300000000 "$1/tests/guests/spin.elf" >/dev/null 2>&1 || true
        t=$(tail -1 "$work/time")
        best=$(awk -v a="$t" -v b="$best" 'BEGIN { print (a < b ? a : b) }')
    done
    echo "$best"
}

# linux_seconds TREE: user+sys CPU seconds of one Linux boot to power-off
# (status 0; anything else fails the benchmark).
linux_seconds() {
    local st=0
    /usr/bin/time -o "$work/time" -f "%U %S" "$1/xenemu" run --memory 512M --vcpus 1 \
        --initrd "$work/initrd.gz" --cmdline console=hvc0 --timeout 900 "$kernel" >"$work/linux.log" 2>&1 || st=$?
    if [ "$st" != 0 ]; then
        echo "bench/trace: the Linux boot on $1 ended with status $st (log: $work/linux.log)" >&2
        return 1
    fi
    tail -1 "$work/time" | awk '{ print $1 + $2 }'
}

read -r -a on <<<"$(mips_of "$work/hooks")"
read -r -a off <<<"$(mips_of "$work/none")"
echo "bench/trace: hooks compiled in, tracing off vs. hooks compiled out (XENEMU_NO_TRACE); CFLAGS '$cflags'"
printf "%-10s %14s %14s %10s\n" workload "hooks" "no hooks" overhead
for i in 0 2 4; do
    awk -v n="${on[i]}" -v a="${on[i+1]}" -v b="${off[i+1]}" \
        'BEGIN { printf "%-10s %9.1f MIPS %9.1f MIPS %9.2f%%\n", n, a, b, (b - a) / b * 100 }'
done
if [ -x /usr/bin/time ]; then
    a=$(guest_seconds "$work/hooks")
    b=$(guest_seconds "$work/none")
    awk -v a="$a" -v b="$b" \
        'BEGIN { printf "%-10s %12.2f s  %12.2f s  %9.2f%%\n", "spin (run)", a, b, (b > 0 ? (a - b) / b * 100 : 0) }'
fi
kernel=
if [ -x /usr/bin/time ] && kernel=$("$src/images/fetch-kernel.sh" 2>"$work/fetch.log") &&
    "$src/images/build-initramfs.sh" "$work/initrd.gz" "$src/tests/linux/init.sh" >/dev/null 2>&1; then
    # Best of RUNS each, the two trees alternating so that a slow spell of
    # the host hits both.
    a=999999
    b=999999
    for _ in $(seq "$runs"); do
        t=$(linux_seconds "$work/hooks")
        a=$(awk -v x="$t" -v y="$a" 'BEGIN { print (x < y ? x : y) }')
        t=$(linux_seconds "$work/none")
        b=$(awk -v x="$t" -v y="$b" 'BEGIN { print (x < y ? x : y) }')
    done
    awk -v a="$a" -v b="$b" \
        'BEGIN { printf "%-10s %12.2f s  %12.2f s  %9.2f%%\n", "linux boot", a, b, (b > 0 ? (a - b) / b * 100 : 0) }'
else
    echo "linux boot: skipped (no kernel from images/fetch-kernel.sh or no initramfs; see $work/fetch.log)"
fi
