#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every source file of the project carries its license as an SPDX line near its top (C++:
# the first line; scripts: the line after the shebang). `--fix` adds the missing ones.
set -euo pipefail
cd "$(dirname "$0")/.."
tag="SPDX-License-Identifier: Apache-2.0"
fix=0
[ "${1:-}" = "--fix" ] && fix=1
missing=()

# The tracked files (every file when this is not a git checkout, build folders left out).
candidates() {
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files
  else
    find . -type f -not -path './build*' -not -path './.git/*' | sed 's|^\./||'
  fi
}
# C++, CMake, shell and Python sources, and scripts by their shebang; not fuzz corpora.
source_files() {
  candidates | grep -v '^tests/fuzz/corpus/\|/fuzz/corpus/' | sort -u | while read -r f; do
    [ -f "$f" ] || continue
    case "$f" in
      *.cpp|*.h|*.sh|*.py|*CMakeLists.txt|*.cmake|.ci/run) echo "$f" ;;
      tools/*|scripts/*) head -c 2 "$f" | grep -q '#!' && echo "$f" ;;
    esac
  done
}
while IFS= read -r file; do
  head -n 3 "$file" | grep -q "$tag" && continue
  if [ "$fix" = 0 ]; then missing+=("$file"); continue; fi
  case "$file" in
    *.cpp|*.h) sed -i "1i // $tag" "$file" ;;
    *)
      if head -n 1 "$file" | grep -q '^#!'; then
        sed -i "1a # $tag" "$file"
      else
        sed -i "1i # $tag" "$file"
      fi ;;
  esac
done < <(source_files)
if [ ${#missing[@]} -gt 0 ]; then
  printf 'check-spdx: no "%s" line in:\n' "$tag" >&2
  printf '  %s\n' "${missing[@]}" >&2
  echo "check-spdx: scripts/check-spdx.sh --fix adds them" >&2
  exit 1
fi
echo "check-spdx: every source file names its license"
