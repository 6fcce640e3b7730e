#!/usr/bin/env bash
# The main job: boot the bundled test guest on the bare machine. It enters
# at its PVH entry in 32-bit mode, switches to 64-bit long mode, greets
# through the 0xE9 debug console and exits through port 0xF4.
# (The Xen-host work makes this boot Linux.)
set -euo pipefail
cd "$(dirname "$0")/.."
guest=build/tests/guests/hello.elf
echo "+ build/xenemu run --machine bare --memory 64M $guest"
exec build/xenemu run --machine bare --memory 64M "$guest"
