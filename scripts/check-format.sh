#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every C++ file of the project is laid out as .clang-format says. Prints the files that are
# not; `--fix` rewrites them in place. Skipped, and said so, where clang-format is not installed.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v clang-format >/dev/null; then
  echo "check-format: clang-format is not installed; skipped" >&2
  exit 0
fi
mapfile -t files < <(git ls-files '*.cpp' '*.h' | grep -v '/corpus/')
if [ "${1:-}" = "--fix" ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
# One run over every file; each finding starts "path:line:col: error:".
mapfile -t drift < <(clang-format --dry-run "${files[@]}" 2>&1 | grep -o '^[^:]*:[0-9]*:[0-9]*: ' |
                     cut -d: -f1 | sort -u)
if [ "${#drift[@]}" != 0 ]; then
  printf '%s\n' "${drift[@]}" >&2
  echo "check-format: ${#drift[@]} file(s) differ from .clang-format (scripts/check-format.sh --fix)" >&2
  exit 1
fi
