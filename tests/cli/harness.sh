#!/usr/bin/env bash
# The CI harness of `xenemu run` on real guests:
#   harness.sh XENEMU GUEST_DIR
# Each check runs the bare machine and asserts the exit status, the
# messages, and the files the options write.
set -uo pipefail
xenemu=$1
guests=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

# check STATUS STDERR_REGEX -- ARGS...   (STDERR_REGEX "-": stderr must be empty)
check() {
    local want=$1 pattern=$2
    shift 3
    "$xenemu" run --machine bare --memory 64M "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$? ok=1
    if [ "$pattern" = - ]; then
        [ -s "$tmp/err" ] && ok=0
    elif ! grep -Eq -- "$pattern" "$tmp/err"; then
        ok=0
    fi
    if [ "$got" != "$want" ] || [ "$ok" = 0 ]; then
        echo "FAIL: xenemu run $*: status $got (want $want), stderr:" >&2
        cat "$tmp/err" >&2
        failures=$((failures + 1))
    fi
}

hello=$guests/hello.elf
spin=$guests/spin.elf
check 0 - -- --expect 'hello from a 64-bit' "$hello"
check 1 'never matched --expect' -- --expect 'no such line' "$hello"
check 1 'matched --fail-on' -- --fail-on 'PVH guest' "$hello"
check 124 'instruction budget.*ran out' -- --max-insns 5000000 "$spin"
check 124 'time budget.*ran out' -- --timeout 0.5 "$spin"
check 2 'bad --expect regex' -- --expect '(' "$hello"

# A budget stop dumps every vCPU.
"$xenemu" run --machine bare --memory 64M --vcpus 2 --max-insns 3000000 "$spin" >/dev/null 2>"$tmp/err"
[ "$(grep -c '^vcpu [0-9]' "$tmp/err")" = 2 ] || { echo "FAIL: budget dump not per vCPU" >&2; failures=$((failures + 1)); }

# --console-log and --junit.
"$xenemu" run --machine bare --memory 64M --console-log "$tmp/con.log" --junit "$tmp/j.xml" --expect nope "$hello" \
    >/dev/null 2>&1
grep -q 'hello from a 64-bit PVH guest' "$tmp/con.log" || { echo "FAIL: console log" >&2; failures=$((failures + 1)); }
grep -q '<failure message="exit status 1' "$tmp/j.xml" &&
    grep -q '<system-out>hello from a 64-bit' "$tmp/j.xml" || { echo "FAIL: junit report" >&2; failures=$((failures + 1)); }
"$xenemu" run --machine bare --memory 64M --junit "$tmp/ok.xml" "$hello" >/dev/null 2>&1
grep -q 'failures="0"' "$tmp/ok.xml" || { echo "FAIL: junit pass report" >&2; failures=$((failures + 1)); }

[ "$failures" = 0 ] && echo "harness: all checks passed"
exit $((failures != 0))
