#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Configures and builds meterd. Usage: scripts/build.sh [--asan|--tsan] [build-dir]
# Without a build dir: build/ (build-asan/ with --asan, build-tsan/ with --tsan).
set -euo pipefail
cd "$(dirname "$0")/.."
sanitize=OFF
tsan=OFF
dir=build
if [ "${1:-}" = "--asan" ]; then sanitize=ON; dir=build-asan; shift; fi
if [ "${1:-}" = "--tsan" ]; then tsan=ON; dir=build-tsan; shift; fi
dir=${1:-$dir}
jobs=$(nproc)
source scripts/compiler-cache.sh
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMETERD_SANITIZE=$sanitize -DMETERD_TSAN=$tsan \
  "${launcher[@]}" >/dev/null
cmake --build "$dir" -j "$jobs"
