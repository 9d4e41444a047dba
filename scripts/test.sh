#!/usr/bin/env bash
# Installs what is missing, builds, and runs the test suite: the bounded set (labels unit,
# component, system) in a normal build, then again under AddressSanitizer+UBSan.
# Long fault and soak tests carry the label `slow` and run with: scripts/test.sh --slow
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

exclude='slow'
if [ "${1:-}" = "--slow" ]; then exclude='^$'; fi
ctest_args=(--output-on-failure --timeout 900 -LE "$exclude")

echo "== build"
scripts/build.sh
echo "== tests"
(cd build && ctest "${ctest_args[@]}" -j 2)

if [ "${METERD_SKIP_ASAN:-0}" != "1" ]; then
  echo "== build (ASan+UBSan)"
  scripts/build.sh --asan
  echo "== tests (ASan+UBSan)"
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  (cd build-asan && ctest "${ctest_args[@]}" -j 2)
fi

# The parsers of untrusted input under libFuzzer for a bounded time, where clang is installed.
if command -v clang++ >/dev/null; then
  fuzz_seconds=${METERD_FUZZ_SECONDS:-30}
  echo "== fuzz (libFuzzer, ${fuzz_seconds} s per target)"
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DMETERD_FUZZ=ON -DMETERD_TESTS=ON >/dev/null
  cmake --build build-fuzz -j 2 --target command_parser_fuzz dlt645_frame_fuzz
  for target in command_parser_fuzz:tests/fuzz/corpus/command dlt645_frame_fuzz:plugins/dlt645/fuzz/corpus; do
    name=${target%%:*} seeds=${target#*:}
    corpus=build-fuzz/corpus-$name
    mkdir -p "$corpus"
    [ -d "$seeds" ] && cp -n "$seeds"/* "$corpus"/ 2>/dev/null || true
    binary=$(find build-fuzz -type f -name "$name" -perm -u+x | head -1)
    "$binary" -max_total_time="$fuzz_seconds" -max_len=4096 "$corpus" 2>&1 | tail -3
  done
else
  echo "== fuzz skipped (no clang++; the replay tests ran the harnesses over their corpora)"
fi

if command -v systemd-analyze >/dev/null; then
  echo "== systemd unit exposure"
  scripts/check-unit-security.sh
fi
echo "== all tests passed"
