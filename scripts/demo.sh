#!/usr/bin/env bash
# PLACEHOLDER until the demo exists: shows that the binary built and runs.
set -euo pipefail
cd "$(dirname "$0")/.."
exec build/xenemu --version
