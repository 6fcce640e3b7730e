#!/usr/bin/env bash
# Tracing on real guests (bare machine) and every `xenemu trace` verb on the
# traces they write:   trace.sh XENEMU GUEST_DIR
set -uo pipefail
xenemu=$1
guests=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# run STATUS ARGS...: xenemu ARGS must exit with STATUS.
run() {
    local want=$1
    shift
    "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    [ "$got" = "$want" ] || { fail "$*: status $got (want $want)"; cat "$tmp/err" >&2; }
}

# has FILE REGEX: the file has a line matching REGEX.
has() {
    grep -Eq -- "$2" "$1" || { fail "$1 has no line matching '$2'"; head -40 "$1" >&2; }
}

# usage_error ARGS...: status 2 and exactly one "xenemu: error:" line.
usage_error() {
    run 2 "$xenemu" "$@"
    [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q '^xenemu: error: ' "$tmp/err" || { fail "$*: not one error line"; cat "$tmp/err" >&2; }
}

exc=$guests/exceptions.elf
pg=$guests/paging.elf
hello=$guests/hello.elf

# Binary traces of two guests.
run 0 "$xenemu" run --machine bare --memory 64M --trace exception,io,mode --trace-file "$tmp/exc.xtr" "$exc"
run 0 "$xenemu" run --machine bare --memory 64M --trace exception,io,mode --trace-file "$tmp/pg.xtr" "$pg"
run 0 "$xenemu" run --machine bare --memory 64M --trace exception,io,mode,pagefault --trace-file "$tmp/exc.txt" "$exc"
has "$tmp/exc.txt" 'vcpu0 bare mode cr0 .* paging on'
has "$tmp/exc.txt" 'efer .* protected->long'
has "$tmp/exc.txt" 'exception vector 13 #GP'
has "$tmp/exc.txt" 'pio write port 0xe9'

# summary: classes, vectors, ports; its counts agree with the text trace.
run 0 "$xenemu" trace summary "$tmp/exc.xtr"
cp "$tmp/out" "$tmp/summary"
has "$tmp/summary" 'guest model bare, 1 vCPU'
has "$tmp/summary" '^  exception +[0-9]+'
has "$tmp/summary" 'exception #GP \(13\) +[0-9]+'
has "$tmp/summary" 'exception #PF \(14\) +[0-9]+'
has "$tmp/summary" 'port 0x00e9 write +[0-9]+'
has "$tmp/summary" 'port 0x00f4 write +1$'
gp_sum=$(sed -nE 's/.*exception #GP \(13\) +([0-9]+)$/\1/p' "$tmp/summary")
gp_txt=$(grep -c 'exception exception vector 13 #GP' "$tmp/exc.txt")
[ "$gp_sum" = "$gp_txt" ] || fail "summary counts $gp_sum #GP, the text trace $gp_txt"
mode_sum=$(sed -nE 's/^  mode +([0-9]+) .*/\1/p' "$tmp/summary" | head -1)
mode_txt=$(grep -c ' bare mode ' "$tmp/exc.txt")
[ "$mode_sum" = "$mode_txt" ] || fail "summary counts $mode_sum mode events, the text trace $mode_txt"

# diff: a trace against itself, and two guests that part early.
run 0 "$xenemu" trace diff "$tmp/exc.xtr" "$tmp/exc.xtr"
has "$tmp/out" '^the traces do not diverge \([0-9]+ events\)'
run 1 "$xenemu" trace diff "$tmp/exc.xtr" "$tmp/pg.xtr"
has "$tmp/out" '^the traces diverge at event [0-9]+ \(virtual time [0-9]+\)'
has "$tmp/out" '^  A #'
has "$tmp/out" '^  B #'

# compare: one column per run.
run 0 "$xenemu" trace compare "$tmp/exc.xtr" "$tmp/pg.xtr"
has "$tmp/out" 'exc\.xtr +pg\.xtr'
has "$tmp/out" '^class exception +[0-9]+ +[0-9]+$'

# export: JSON with instant events and metadata.
run 0 "$xenemu" trace export --perfetto "$tmp/exc.xtr" -o "$tmp/exc.json"
if command -v python3 >/dev/null; then
    python3 - "$tmp/exc.json" <<'PY' || fail "the Perfetto export is not valid trace-event JSON"
import json, sys
d = json.load(open(sys.argv[1]))
ev = d["traceEvents"]
assert any(e["ph"] == "i" and e["name"] == "#GP" for e in ev)
assert any(e["ph"] == "M" and e["name"] == "thread_name" for e in ev)
assert all("ts" in e for e in ev if e["ph"] == "i")
PY
else
    has "$tmp/exc.json" '"ph":"i"'
fi

# insn: every instruction, disassembled, in a virtual-time window.
run 0 "$xenemu" run --machine bare --memory 64M --trace insn --trace-from 0 --trace-until 99 --trace-file "$tmp/insn.txt" "$hello"
[ "$(wc -l <"$tmp/insn.txt")" = 100 ] || fail "insn trace of 100 instructions has $(wc -l <"$tmp/insn.txt") lines"
has "$tmp/insn.txt" '^ +0 vcpu0 bare insn 0x[0-9a-f]+: '
has "$tmp/insn.txt" ' mov '
# A window runs fast up to --trace-from, then steps: the same events as
# the same window of a trace stepped from the start.
timer=$guests/apic_timer.elf
run 0 "$xenemu" run --machine bare --memory 64M --trace insn --trace-until 60000 --trace-file "$tmp/full.txt" "$timer"
run 0 "$xenemu" run --machine bare --memory 64M --trace insn --trace-from 50000 --trace-until 50100 --trace-file "$tmp/win.txt" "$timer"
[ "$(wc -l <"$tmp/win.txt")" = 101 ] || fail "the insn window 50000..50100 has $(wc -l <"$tmp/win.txt") lines"
awk '$1 >= 50000 && $1 <= 50100' "$tmp/full.txt" | cmp -s - "$tmp/win.txt" || fail "the insn window differs from the full trace"
# --trace-range keeps insn events inside the range only.
run 0 "$xenemu" run --machine bare --memory 64M --trace insn --trace-until 999 --trace-range 0x100000-0x100010 --trace-file "$tmp/range.txt" "$hello"
while read -r _ _ _ _ addr _; do
    a=$((${addr%:}))
    if [ "$a" -lt $((0x100000)) ] || [ "$a" -gt $((0x100010)) ]; then
        fail "--trace-range let an instruction at $addr through"
        break
    fi
done <"$tmp/range.txt"
[ -s "$tmp/range.txt" ] || fail "--trace-range traced nothing"

# Bad values: one error line, status 2.
usage_error run --machine bare --trace bogus "$hello"
usage_error run --machine bare --trace exception,nope "$hello"
usage_error run --machine bare --trace-file "$tmp/x.xtr" "$hello"
usage_error run --machine bare --trace io --trace-from 10 --trace-until 5 "$hello"
usage_error run --machine bare --trace io --trace-from soon "$hello"
usage_error run --machine bare --trace io --trace-range 0x2000-0x1000 "$hello"
usage_error run --machine bare --trace io --trace-range 0x2000 "$hello"
usage_error run --machine bare --trace io --trace-file /nonexistent/dir/x.xtr "$hello"
usage_error trace
usage_error trace frob
usage_error trace summary "$tmp/missing.xtr"
usage_error trace summary "$tmp/exc.txt"
usage_error trace diff "$tmp/exc.xtr"
usage_error trace export "$tmp/exc.xtr"

echo "trace.sh: $failures failure(s)"
[ "$failures" = 0 ]
