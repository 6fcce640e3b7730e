#!/bin/sh
# run_guest.sh XENEMU GUEST.elf REGEX: runs a test guest on the bare machine;
# passes only when it exits with status 0 and its output matches REGEX (ERE).
xenemu=$1
elf=$2
regex=$3
out=$(timeout 100 "$xenemu" run --machine bare --memory 64M "$elf" 2>&1)
status=$?
printf '%s\n' "$out"
if [ "$status" -ne 0 ]; then
    echo "run_guest: $elf exited with status $status (want 0)"
    exit 1
fi
if ! printf '%s\n' "$out" | grep -Eq -- "$regex"; then
    echo "run_guest: output of $elf does not match /$regex/"
    exit 1
fi
exit 0
