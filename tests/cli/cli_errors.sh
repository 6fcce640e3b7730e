#!/usr/bin/env bash
# Runs the real xenemu binary and checks its exit status and output shape.
#   cli_errors.sh XENEMU error ARGS...        status 2, one "xenemu: error: " line on stderr, empty stdout
#   cli_errors.sh XENEMU ok PATTERN ARGS...   status 0, empty stderr, PATTERN in stdout
set -uo pipefail

if (($# < 2)); then
    echo "usage: $0 XENEMU error|ok [PATTERN] ARGS..." >&2
    exit 2
fi
xenemu=$1
mode=$2
shift 2

out=$(mktemp) && err=$(mktemp) || exit 1
trap 'rm -f "$out" "$err"' EXIT

complain() {
    echo "FAIL: xenemu $*" >&2
    echo "--- status $status; stdout:" >&2
    cat "$out" >&2
    echo "--- stderr:" >&2
    cat "$err" >&2
    exit 1
}

case $mode in
error)
    "$xenemu" "$@" >"$out" 2>"$err"
    status=$?
    lines=$(wc -l <"$err")
    [[ $status -eq 2 ]] || complain "$@" "(want status 2)"
    [[ $lines -eq 1 ]] || complain "$@" "(want exactly one stderr line, got $lines)"
    grep -q '^xenemu: error: ' "$err" || complain "$@" "(want 'xenemu: error: ' prefix)"
    [[ ! -s $out ]] || complain "$@" "(want empty stdout)"
    ;;
ok)
    pattern=$1
    shift
    "$xenemu" "$@" >"$out" 2>"$err"
    status=$?
    [[ $status -eq 0 ]] || complain "$@" "(want status 0)"
    [[ ! -s $err ]] || complain "$@" "(want empty stderr)"
    grep -qF -- "$pattern" "$out" || complain "$@" "(want '$pattern' in stdout)"
    ;;
*)
    echo "$0: unknown mode '$mode'" >&2
    exit 2
    ;;
esac
