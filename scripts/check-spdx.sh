#!/usr/bin/env bash
# Every source file of the project carries its license as an SPDX line near its top (C++:
# the first line; scripts: the line after the shebang). `--fix` adds the missing ones.
set -euo pipefail
cd "$(dirname "$0")/.."
tag="SPDX-License-Identifier: Apache-2.0"
fix=0
[ "${1:-}" = "--fix" ] && fix=1
missing=()
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
done < <(git ls-files '*.cpp' '*.h' '*.sh' '*.py' 'CMakeLists.txt' '*/CMakeLists.txt' '*.cmake' \
           'tools/*' 'scripts/*' '.ci/run' | grep -v '^tests/fuzz/corpus/' | sort -u |
         while read -r f; do [ -f "$f" ] && case "$f" in *.cpp|*.h|*.sh|*.py|*CMakeLists.txt|*.cmake|.ci/run) echo "$f" ;; *) head -c 2 "$f" | grep -q '#!' && echo "$f" ;; esac; done)
if [ ${#missing[@]} -gt 0 ]; then
  printf 'check-spdx: no "%s" line in:\n' "$tag" >&2
  printf '  %s\n' "${missing[@]}" >&2
  echo "check-spdx: scripts/check-spdx.sh --fix adds them" >&2
  exit 1
fi
echo "check-spdx: every source file names its license"
