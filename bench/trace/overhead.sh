#!/usr/bin/env bash
# Cost of tracing compiled in but off: bench/mips (interpreter MIPS) and a
# bare-machine guest run, in the normal build against a build whose hooks
# compile to nothing (-DXENEMU_NO_TRACE=ON).
#   overhead.sh SOURCE_DIR BUILD_DIR [RUNS]
# The second build goes to BUILD_DIR-notrace (configured and built here).
set -euo pipefail
src=$1
build=$2
runs=${3:-3}
notrace=$build-notrace
jobs=${JOBS:-2}

cmake -S "$src" -B "$notrace" -DXENEMU_NO_TRACE=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$notrace" -j"$jobs" --target bench_mips xenemu guest_apic_timer >/dev/null
cmake --build "$build" -j"$jobs" --target bench_mips xenemu guest_apic_timer >/dev/null

# mips_of BUILD: "sha256 MIPS qsort MIPS search MIPS" (median of RUNS runs).
mips_of() {
    "$1/bench/mips" --runs "$runs" --no-native | awk '$1 ~ /^(sha256|qsort|search)$/ { printf "%s %s ", $1, $(NF-6) }'
}

# guest_seconds BUILD: best of RUNS, user CPU seconds of a bare-machine run.
guest_seconds() {
    local best=
    for _ in $(seq "$runs"); do
        local t
        t=$( { /usr/bin/env time -f %U "$1/xenemu" run --machine bare --memory 64M \
              "$1/tests/guests/apic_timer.elf" >/dev/null 2>/dev/null; } 2>&1 | tail -1)
        if [ -z "$best" ] || awk "BEGIN { exit !($t < $best) }"; then best=$t; fi
    done
    echo "$best"
}

read -r -a on <<<"$(mips_of "$build")"
read -r -a off <<<"$(mips_of "$notrace")"
echo "bench/trace: tracing compiled in but off vs. hooks compiled out (XENEMU_NO_TRACE)"
printf "%-10s %14s %14s %10s\n" workload "MIPS (hooks)" "MIPS (none)" overhead
for i in 0 2 4; do
    awk -v n="${on[i]}" -v a="${on[i+1]}" -v b="${off[i+1]}" \
        'BEGIN { printf "%-10s %14.1f %14.1f %9.2f%%\n", n, a, b, (b - a) / b * 100 }'
done
if command -v time >/dev/null 2>&1 || [ -x /usr/bin/time ]; then
    a=$(guest_seconds "$build")
    b=$(guest_seconds "$notrace")
    awk -v a="$a" -v b="$b" 'BEGIN { printf "%-10s %13.3fs %13.3fs %9.2f%%\n", "apic_timer", a, b, b > 0 ? (a - b) / b * 100 : 0 }'
fi
