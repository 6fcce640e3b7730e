#!/bin/sh
# run_xen_guest.sh XENEMU GUEST.elf NAME: runs a test guest on the default
# (Xen host) machine; passes only when it exits with status 0 and the last
# line it prints is "NAME: all checks passed" (a count in parentheses may
# follow).
xenemu=$1
elf=$2
name=$3
out=$(timeout 100 "$xenemu" run --memory 64M "$elf" 2>&1)
status=$?
printf '%s\n' "$out"
if [ "$status" -ne 0 ]; then
    echo "run_xen_guest: $elf exited with status $status (want 0)"
    exit 1
fi
last=$(printf '%s\n' "$out" | sed '/^[[:space:]]*$/d' | tail -n 1)
case $last in
"$name: all checks passed" | "$name: all checks passed ("*")") ;;
*)
    echo "run_xen_guest: last line of $elf is not \"$name: all checks passed\""
    exit 1 ;;
esac
exit 0
