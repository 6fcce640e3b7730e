#!/usr/bin/env bash
# linux_pvh.sh XENEMU [VCPUS]: boots Debian's cloud kernel (the bzImage as
# Debian ships it) as a Xen PVH domU with a busybox initramfs whose /init
# (init.sh) runs busybox commands and powers off. Passes when the run ends
# with status 0, /init's lines show it ran on Xen and computed the right
# answers, the kernel says it booted on Xen PVH, and the log has no
# warning, BUG or call trace.
set -uo pipefail
xenemu=$1
vcpus=${2:-1}
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fail() { echo "linux_pvh: $*"; exit 1; }

kernel="$("$root/images/fetch-kernel.sh")" || fail "cannot fetch Debian's cloud kernel (images/fetch-kernel.sh)"
"$root/images/build-initramfs.sh" "$work/initrd.gz" "$here/init.sh" >/dev/null || fail "cannot build the initramfs"

start=$(date +%s.%N)
"$xenemu" run --stats --memory 512M --vcpus "$vcpus" --initrd "$work/initrd.gz" --cmdline "console=hvc0" \
    --timeout 900 --console-log "$work/console.log" "$kernel" >"$work/out.log" 2>&1
status=$?
end=$(date +%s.%N)
cat "$work/out.log"
echo "linux_pvh: exit status $status after $(echo "$end - $start" | bc) s of host time"
[ "$status" -eq 0 ] || fail "xenemu exited with status $status (want 0)"
grep -Eq "^xenemu: [0-9]+ instructions retired on $vcpus vCPU" "$work/out.log" || fail "no --stats line"
# The guest's tty turns "\n" into "\r\n".
log="$work/console.txt"
tr -d '\r' <"$work/console.log" >"$log"
want() { grep -Eq -- "$1" "$log" || fail "the console never showed /$1/"; }
want "Booting kernel on Xen PVH"
want "Hypervisor detected: Xen HVM"
want "Run /init as init process"
want "^xenemu-test: hypervisor=xen\$"
want "^xenemu-test: kernel 6\\.1\\..*, $vcpus cpu\\(s\\)\$"
# The answers busybox must compute: sum of 1..2000, the largest of 1..500,
# and the md5 of "1\n2\n...1000\n" (the same pipeline run on the host).
md5=$(seq 1 1000 | md5sum | cut -d' ' -f1)
want "^xenemu-test: sum=2001000 max=500 md5=$md5\$"
if [ "$vcpus" -gt 1 ]; then
    last=$((vcpus - 1))
    want "^xenemu-test: cpu$last offline\$"
    want "^xenemu-test: cpu$last online\$"
    want "^xenemu-test: on cpu$last: $(seq 1 100 | md5sum | cut -c1-8)\$"
fi
want "^xenemu-test: init done\$"
want "reboot: Power down"
if grep -Eq -- "WARNING:|BUG:|Call Trace:|Kernel panic|Oops" "$log"; then
    grep -En -- "WARNING:|BUG:|Call Trace:|Kernel panic|Oops" "$log" | head -5
    fail "the boot log holds a warning, BUG or call trace"
fi
echo "linux_pvh: passed"
