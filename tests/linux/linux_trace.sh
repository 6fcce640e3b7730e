#!/usr/bin/env bash
# linux_trace.sh XENEMU: tracing a full Linux boot (the kernel and /init of
# linux_pvh.sh, one vCPU) with `--trace hypercall,vmexit,exception`.
#   1. Two boots writing binary traces A.xtr and B.xtr: both power off with
#      status 0, the traces are byte-identical and `xenemu trace diff` finds
#      no divergence (determinism, DESIGN.md).
#   2. `xenemu trace summary A.xtr` lists, with non-zero counts and names
#      (no "exit reason N", no "op N"), the VM-exit reasons and hypercall
#      sub-ops a PVH Linux boot uses (pvh-boot-contract.md §20), and its
#      counts add up: the per-reason, per-sub-op and per-vector counts sum
#      to the class and kind totals, and every hypercall is a VMCALL exit.
#   3. A third boot with the same classes traced as text (stderr): its
#      lines, counted per exit reason and per hypercall sub-op, give the
#      same counts as the summary of the binary trace.
#   4. `xenemu trace export --perfetto A.xtr` is Chrome trace-event JSON:
#      traceEvents with ph/ts/name, one instant per trace event, B/E slices
#      for the VM exits, and timestamps that never go back on a track.
set -uo pipefail
xenemu=$1
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
classes=hypercall,vmexit,exception
failures=0

die() { echo "linux_trace: $*"; exit 1; }
fail() {
    echo "linux_trace: FAIL: $*"
    failures=$((failures + 1))
}

kernel="$("$root/images/fetch-kernel.sh")" || die "cannot fetch Debian's cloud kernel (images/fetch-kernel.sh)"
"$root/images/build-initramfs.sh" "$work/initrd.gz" "$here/init.sh" >/dev/null || die "cannot build the initramfs"

# boot NAME TRACE-OPTIONS...: one boot; status in NAME.status, console in NAME.txt.
boot() {
    local name=$1
    shift
    local start end
    start=$(date +%s.%N)
    "$xenemu" run --memory 512M --vcpus 1 --initrd "$work/initrd.gz" --cmdline "console=hvc0" \
        --timeout 900 --console-log "$work/$name.log" --trace "$classes" "$@" "$kernel" \
        >"$work/$name.out" 2>"$work/$name.err"
    echo $? >"$work/$name.status"
    end=$(date +%s.%N)
    echo "linux_trace: boot $name: status $(cat "$work/$name.status") after $(echo "$end - $start" | bc) s of host time"
    tr -d '\r' <"$work/$name.log" >"$work/$name.txt"
    [ "$(cat "$work/$name.status")" = 0 ] || { tail -20 "$work/$name.out"; fail "boot $name: status $(cat "$work/$name.status") (want 0)"; }
    grep -q "^xenemu-test: init done\$" "$work/$name.txt" || fail "boot $name: /init did not finish"
    grep -q "reboot: Power down" "$work/$name.txt" || fail "boot $name: the kernel did not power down"
}

boot A --trace-file "$work/A.xtr"
boot B --trace-file "$work/B.xtr"
boot text
[ "$failures" = 0 ] || die "$failures failure(s) in the boots"

# ---- 1. determinism ----
[ -s "$work/A.xtr" ] || fail "no trace written"
cmp "$work/A.xtr" "$work/B.xtr" || fail "the two binary traces differ"
"$xenemu" trace diff "$work/A.xtr" "$work/B.xtr" >"$work/diff"
st=$?
[ "$st" = 0 ] || fail "xenemu trace diff: status $st (want 0)"
grep -Eq '^the traces do not diverge \([1-9][0-9]* events\)$' "$work/diff" || { fail "diff says:"; cat "$work/diff"; }
cmp -s "$work/A.txt" "$work/B.txt" || fail "the two boots printed different consoles"

# ---- 2. the summary ----
"$xenemu" trace summary "$work/A.xtr" >"$work/summary" || die "xenemu trace summary failed"
cat "$work/summary"
section() { # section TITLE: the lines of one "TITLE:" block of the summary
    awk -v t="$1" 'index($0, t) == 1 { on = 1; next } on && /^$/ { exit } on' "$work/summary"
}
section "VM exits by reason:" >"$work/exits"
section "hypercalls by name and sub-op:" >"$work/hcalls"
section "exceptions and interrupts by vector:" >"$work/vectors"
# count FILE LABEL: the count printed after LABEL (exits: the first number).
count() { awk -v l="$2" 'substr($0, 3, length(l)) == l && substr($0, 3 + length(l)) ~ /^ +[0-9]/ {
    split(substr($0, 3 + length(l)), f, " "); print f[1]; found = 1 } END { if (!found) print 0 }' "$1"; }
for reason in VMCALL CPUID "I/O instruction" HLT "Control-register accesses"; do
    n=$(count "$work/exits" "$reason")
    [ "$n" -gt 0 ] || fail "the summary lists no '$reason' VM exit"
done
for op in "xen_version(version)" "xen_version(get_features)" "memory_op(add_to_physmap)" \
          "hvm_op(set_param)" "hvm_op(get_param)" "grant_table_op(query_size)" \
          "vcpu_op(register_vcpu_info)" "vcpu_op(register_runstate_memory_area)" \
          "vcpu_op(set_singleshot_timer)" "event_channel_op(bind_virq)" \
          "event_channel_op(bind_ipi)" "event_channel_op(send)"; do
    n=$(count "$work/hcalls" "$op")
    [ "$n" -gt 0 ] || fail "the summary lists no $op hypercall"
done
grep -E '^  exit reason [0-9]' "$work/exits" && fail "the summary has VM-exit reasons without names"
grep -E '\(op [>0-9]|^  hypercall [0-9]' "$work/hcalls" && fail "the summary has hypercalls or sub-ops without names"
total() { awk -v k="$1" '$1 == k && NF == 5 && !seen[$0]++ { print $2; exit }' "$work/summary"; }
# The class table comes first, the kind table second; total() takes the first.
class_hc=$(total hypercall)
kind_vmexit=$(awk '/^  kind /{ on = 1 } on && $1 == "vmexit" { print $2; exit }' "$work/summary")
kind_vmentry=$(awk '/^  kind /{ on = 1 } on && $1 == "vmentry" { print $2; exit }' "$work/summary")
class_vmexit=$(total vmexit)
class_exc=$(total exception)
# Exit rows: label, then count, time, mean; the count is the third number from the end.
exits_sum=$(awk '{ s += $(NF-2) } END { print s + 0 }' "$work/exits")
hc_sum=$(awk '{ s += $NF } END { print s + 0 }' "$work/hcalls")
vec_sum=$(awk '{ s += $NF } END { print s + 0 }' "$work/vectors")
vmcalls=$(count "$work/exits" VMCALL)
echo "linux_trace: hypercalls $class_hc (sub-ops sum $hc_sum, VMCALL exits $vmcalls)," \
     "VM exits $kind_vmexit (reasons sum $exits_sum), entries $kind_vmentry, exception class $class_exc (vectors sum $vec_sum)"
[ "${class_hc:-0}" -gt 0 ] || fail "no hypercall events in the class table"
[ "$hc_sum" = "$class_hc" ] || fail "hypercall sub-op counts sum to $hc_sum, the class total is $class_hc"
[ "$vmcalls" = "$class_hc" ] || fail "$vmcalls VMCALL exits but $class_hc hypercalls"
[ "$exits_sum" = "$kind_vmexit" ] || fail "VM-exit reason counts sum to $exits_sum, the vmexit kind total is $kind_vmexit"
[ $((kind_vmexit + kind_vmentry)) = "$class_vmexit" ] || fail "vmexit + vmentry kinds ($kind_vmexit + $kind_vmentry) != the vmexit class ($class_vmexit)"
[ "$vec_sum" = "$class_exc" ] || fail "vector counts sum to $vec_sum, the exception class total is $class_exc"
events=$(awk '/^events /{ sub(",", "", $2); print $2; exit }' "$work/summary")
[ $((class_hc + class_vmexit + class_exc)) = "$events" ] || fail "class totals do not add up to $events events"

# ---- 3. the text trace of a third boot ----
grep -E '^ *[0-9]+ vcpu[0-9]+ PVH ' "$work/text.err" >"$work/text.trace"
tlines=$(wc -l <"$work/text.trace")
[ "$tlines" = "$events" ] || fail "the text trace has $tlines events, the binary one $events"
# Per exit reason: "vmexit reason N (NAME) ..."; per hypercall: "hypercall NAME(SUB) args".
sed -nE 's/^ *[0-9]+ vcpu[0-9]+ PVH vmexit reason [0-9]+ \((.*)\) qualification .*/\1/p' "$work/text.trace" |
    sort | uniq -c | awk '{ n = $1; $1 = ""; sub(/^ /, ""); print $0 "\t" n }' | sort >"$work/text.exits"
sed -nE 's/^ *[0-9]+ vcpu[0-9]+ PVH hypercall ([^ ]+) args .*/\1/p' "$work/text.trace" |
    sort | uniq -c | awk '{ print $2 "\t" $1 }' | sort >"$work/text.hcalls"
awk '{ n = $(NF-2); $(NF-2) = $(NF-1) = $NF = ""; sub(/^ +/, ""); sub(/ +$/, ""); print $0 "\t" n }' "$work/exits" |
    sort >"$work/sum.exits"
awk '{ print $1 "\t" $2 }' "$work/hcalls" | sort >"$work/sum.hcalls"
diff -u "$work/sum.exits" "$work/text.exits" || fail "VM exits per reason: the summary and the text trace disagree"
diff -u "$work/sum.hcalls" "$work/text.hcalls" || fail "hypercalls per sub-op: the summary and the text trace disagree"

# ---- 4. Perfetto ----
"$xenemu" trace export --perfetto "$work/A.xtr" -o "$work/A.json" || fail "xenemu trace export --perfetto failed"
python3 - "$work/A.json" "$events" "$kind_vmexit" <<'EOF' || fail "the Perfetto export is not a usable timeline"
import json, sys
doc = json.load(open(sys.argv[1]))
events, exits = int(sys.argv[2]), int(sys.argv[3])
ev = doc["traceEvents"]
assert isinstance(ev, list) and ev, "no traceEvents"
last, depth, count = {}, {}, {}
for i, e in enumerate(ev):
    for f in ("ph", "name", "pid", "tid"):
        assert f in e, "event %d has no %s: %r" % (i, f, e)
    ph = e["ph"]
    count[ph] = count.get(ph, 0) + 1
    if ph == "M":
        continue
    ts = e["ts"]
    assert isinstance(ts, (int, float)) and ts >= 0, "event %d: bad ts %r" % (i, e)
    track = (e["pid"], e["tid"])
    assert ts >= last.get(track, 0), "event %d goes back in time on its track: %r" % (i, e)
    last[track] = ts
    if ph == "B":
        depth[track] = depth.get(track, 0) + 1
        assert depth[track] == 1, "nested VM-exit slice at event %d" % i
    elif ph == "E":
        depth[track] = depth.get(track, 0) - 1
        assert depth[track] == 0, "E without B at event %d" % i
    else:
        assert ph == "i", "unexpected ph %r" % ph
assert all(d == 0 for d in depth.values()), "a slice is left open"
assert count.get("i") == events, "%s instant events, the trace has %d" % (count.get("i"), events)
assert count.get("B") == exits == count.get("E"), "%s/%s slices for %d VM exits" % (count.get("B"), count.get("E"), exits)
assert any(e["ph"] == "M" and e["name"] == "thread_name" for e in ev), "no thread names"
assert any(e["ph"] == "B" and e["name"] == "VMCALL" for e in ev), "no VMCALL slice"
print("linux_trace: perfetto export: %d events %r, %d track(s)" % (len(ev), count, len(last)))
EOF

echo "linux_trace: $failures failure(s)"
[ "$failures" = 0 ]
