#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The include graph between the project's folders (DESIGN: a one-way reading path, a small
# plugin contract). An include names a project folder when its first component is one of
# src/* or plugins/* ("core/driver.h" is src/core, "dlt645/codec/frame.h" is plugins/dlt645);
# anything else (<vector>, <modbus.h>, <nlohmann/json.hpp>) is the system's or a third
# party's and is not judged here. Prints each include that breaks a rule as
#   file:line: #include "..." (the rule)
# and exits non-zero when there is any.
set -euo pipefail
cd "$(dirname "$0")/.."

# One rule a line: "FOLDER only|never FOLDERS...".
#   only:  files under FOLDER include project headers of these folders and their own only;
#   never: files under FOLDER include no header of these folders.
# FOLDER "plugins/*" is each plugin on its own: a plugin, its simulator and fuzz target
# include the plugin's own folder, the plugin support library (plugins/common) and the
# contract's vocabulary (src/core), nothing else of the daemon or of another plugin.
rules=(
  "plugins/* only core common"
  "src/bus never uplink engine"
  "src/store never uplink"
  # The prepaid rules talk to the store through a port (engine/engine_store.h) and take
  # their bus inputs from src/core.
  "src/engine only core"
)

# The tracked files (every file when this is not a git checkout, build folders left out).
candidates() {
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -- "$1"
  else
    find "$1" -type f | sed 's|^\./||'
  fi
}

# The project folders an include can name, by their short name.
declare -A project_folder=()
for dir in src/*/ plugins/*/; do
  dir=${dir%/}
  project_folder[${dir##*/}]=$dir
done

violations=0

known=""
for name in "${!project_folder[@]}"; do known+="$name=${project_folder[$name]} "; done

# check_folder FOLDER OWN MODE LIST...: judges every C++ file under FOLDER; prints the
# violations and counts them.
check_folder() {
  local folder=$1 own=$2 mode=$3
  shift 3
  local found
  found=$(candidates "$folder" | grep -E '\.(cpp|h|hpp|cc)$' | while IFS= read -r f; do
            [ -f "$f" ] && printf '%s\0' "$f"
          done | xargs -0 -r grep -nHE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]' |
          awk -v folder="$folder" -v own="$own" -v mode="$mode" -v list="$*" -v known="$known" '
            BEGIN {
              n = split(known, pairs, " ")
              for (i = 1; i <= n; i++) { split(pairs[i], kv, "="); dir[kv[1]] = kv[2] }
              m = split(list, items, " ")
              names = ""
              for (i = 1; i <= m; i++) {
                listed[items[i]] = 1
                names = names (i > 1 ? ", " : "") (items[i] in dir ? dir[items[i]] : items[i])
              }
            }
            {
              # file:line:text; the text may hold colons of its own.
              file = $0; sub(/:.*/, "", file)
              rest = substr($0, length(file) + 2)
              line = rest; sub(/:.*/, "", line)
              text = substr(rest, length(line) + 2)
              path = text
              sub(/^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]/, "", path)
              sub(/[>"].*/, "", path)
              slash = index(path, "/")
              if (slash == 0) next  # no folder: a neighbour of the file or a system header
              top = substr(path, 1, slash - 1)
              if (!(top in dir) || top == own) next
              if (mode == "only" && !(top in listed)) {
                print file ":" line ": " text " (under " folder ": only " names " and its own folder)"
              } else if (mode == "never" && (top in listed)) {
                print file ":" line ": " text " (under " folder ": never " names ")"
              }
            }')
  if [ -n "$found" ]; then
    echo "$found"
    violations=$((violations + $(wc -l <<<"$found")))
  fi
}

for rule in "${rules[@]}"; do
  read -r folder mode list <<<"$rule"
  if [[ $folder == */\* ]]; then
    for dir in "${folder%/\*}"/*/; do
      dir=${dir%/}
      # shellcheck disable=SC2086  # the folder list splits into words on purpose
      check_folder "$dir" "${dir##*/}" "$mode" $list
    done
  else
    # shellcheck disable=SC2086
    check_folder "$folder" "${folder##*/}" "$mode" $list
  fi
done

if [ "$violations" -gt 0 ]; then
  echo "check-includes: $violations include(s) break the folder rules (scripts/check-includes.sh)" >&2
  exit 1
fi
