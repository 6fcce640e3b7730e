#!/usr/bin/env bash
# The gdb stub with the real gdb in batch mode: break on a function, read
# variables, step, hit a watchpoint, continue to the guest's exit.
#   gdb.sh XENEMU GUEST_ELF [MACHINE]   (MACHINE: bare, the default, or xen)
set -uo pipefail
xenemu=$1
elf=$2
machine=${3:-bare}
tmp=$(mktemp -d)
trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
command -v gdb >/dev/null || { echo "FAIL: gdb is not installed" >&2; exit 1; }

# A free port: retry when another process took it first.
for attempt in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 40000))
    "$xenemu" run --machine "$machine" --memory 64M --gdb "$port" --gdb-wait "$elf" >"$tmp/guest" 2>&1 &
    pid=$!
    sleep 0.3
    kill -0 $pid 2>/dev/null && break
done

cat >"$tmp/cmds" <<CMDS
set architecture i386:x86-64
target remote :$port
break compute
continue
print counter
print n
next
next
watch counter
continue
print counter
delete
continue
CMDS
timeout 120 gdb -batch -nx -x "$tmp/cmds" "$elf" >"$tmp/gdb" 2>&1
wait $pid
status=$?

fail=0
for want in 'Breakpoint 1, compute' '\$1 = 41' '\$2 = 100' 'sum \+= i' 'Old value = 41' 'New value = 42' \
            '\$3 = 42' 'exited normally'; do
    grep -Eq "$want" "$tmp/gdb" || { echo "FAIL: gdb output lacks '$want'" >&2; fail=1; }
done
grep -q 'gdbtarget done' "$tmp/guest" || { echo "FAIL: the guest did not finish" >&2; fail=1; }
[ "$status" = 0 ] || { echo "FAIL: xenemu exited with $status" >&2; fail=1; }
if [ "$fail" != 0 ]; then
    echo "--- gdb:" >&2; cat "$tmp/gdb" >&2
    echo "--- guest:" >&2; cat "$tmp/guest" >&2
    exit 1
fi
echo "gdb: all checks passed"
