#!/usr/bin/env bash
# Configures and builds meterd. Usage: scripts/build.sh [--asan] [build-dir]
# Without a build dir: build/ (or build-asan/ with --asan).
set -euo pipefail
cd "$(dirname "$0")/.."
sanitize=OFF
dir=build
if [ "${1:-}" = "--asan" ]; then sanitize=ON; dir=build-asan; shift; fi
dir=${1:-$dir}
jobs=$(nproc)
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMETERD_SANITIZE=$sanitize >/dev/null
cmake --build "$dir" -j "$jobs"
