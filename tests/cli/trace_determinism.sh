#!/usr/bin/env bash
# Determinism (DESIGN.md): the same guest run twice with --trace all gives
# byte-identical binary traces, and tracing does not change the run.
#   trace_determinism.sh XENEMU GUEST.elf
set -uo pipefail
xenemu=$1
guest=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

for i in 1 2; do
    "$xenemu" run --machine bare --memory 64M --trace all --trace-file "$tmp/run$i.xtr" "$guest" >"$tmp/out$i" 2>"$tmp/err$i"
    echo $? >"$tmp/status$i"
done
"$xenemu" run --machine bare --memory 64M "$guest" >"$tmp/out0" 2>"$tmp/err0"
echo $? >"$tmp/status0"

[ "$(cat "$tmp/status1")" = 0 ] || fail "traced run: status $(cat "$tmp/status1")"
cmp -s "$tmp/status0" "$tmp/status1" || fail "tracing changed the exit status"
cmp -s "$tmp/out0" "$tmp/out1" || fail "tracing changed the console output"
[ -s "$tmp/run1.xtr" ] || fail "no trace written"
cmp "$tmp/run1.xtr" "$tmp/run2.xtr" || fail "the two traces differ"
"$xenemu" trace diff "$tmp/run1.xtr" "$tmp/run2.xtr" >"$tmp/diff" || fail "xenemu trace diff: status $?"
grep -Eq '^the traces do not diverge \([1-9][0-9]* events\)$' "$tmp/diff" || { fail "diff says:"; cat "$tmp/diff" >&2; }
# The trace saw the timer and its interrupts.
"$xenemu" trace summary "$tmp/run1.xtr" >"$tmp/summary" || fail "summary failed"
grep -Eq '^  timer-fire +[1-9]' "$tmp/summary" || fail "no timer expiry in the trace"
grep -Eq '^  interrupt [0-9]+ +[1-9]' "$tmp/summary" || fail "no interrupt in the trace"
grep -Eq '^  insn +[1-9]' "$tmp/summary" || fail "no instructions in the trace"

echo "trace_determinism.sh: $failures failure(s)"
[ "$failures" = 0 ]
