#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# clang-tidy with the checks of .clang-tidy (bugprone, performance, a few modernize) over the
# project's own C++ sources (src, plugins, tools; not tests, bench or fuzz), every finding an
# error. It needs a configured build folder (compile_commands.json): scripts/build.sh makes one.
#   scripts/check-tidy.sh [BUILD_DIR] [FILE...]   default: build, every source file
# Costly (about as long as a build), so scripts/test.sh runs it with --slow only. Skipped, and
# said so, where clang-tidy is not installed.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
if ! command -v run-clang-tidy >/dev/null || ! command -v clang-tidy >/dev/null; then
  echo "check-tidy: clang-tidy is not installed; skipped" >&2
  exit 0
fi
if [ ! -f "$build/compile_commands.json" ]; then
  echo "check-tidy: no $build/compile_commands.json; run scripts/build.sh first" >&2
  exit 2
fi
files=("$@")
if [ "${#files[@]}" = 0 ]; then
  mapfile -t files < <(git ls-files 'src/*.cpp' 'plugins/*.cpp' 'tools/*.cpp' | grep -v '/fuzz/')
fi
# run-clang-tidy takes regular expressions: anchor each path.
patterns=()
for file in "${files[@]}"; do patterns+=("$PWD/${file//./\\.}\$"); done
run-clang-tidy -quiet -p "$build" -j "$(nproc)" "${patterns[@]}"
