#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the Debian packages (packaging/cpack.cmake) into a folder: meterd, meterd-sim and their
# -dbgsym debug symbols (.ddeb). Usage: scripts/package.sh [output-dir] (default build/packages).
# Builds build/ first (scripts/build.sh) when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build/packages}
[ -f build/CMakeCache.txt ] || scripts/build.sh
mkdir -p "$out"
out=$(cd "$out" && pwd)
cmake --build build -j "$(nproc)" >/dev/null
rm -rf "$out/cpack"
(cd build && cpack -G DEB -B "$out/cpack" >/dev/null)
mv -f "$out"/cpack/*.deb "$out"/cpack/*.ddeb "$out"/
rm -rf "$out/cpack"
ls -1 "$out"
