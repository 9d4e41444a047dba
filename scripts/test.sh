#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what is missing, builds, and runs the test suite: the bounded set (labels unit,
# component, system) in a normal build, then again under AddressSanitizer+UBSan, then every
# fuzz target for a bounded time where clang is installed.
#   scripts/test.sh --slow   adds the tests labelled `slow` (long fault and soak runs), a
#                            ThreadSanitizer build and run, the bounded set under full CPU
#                            load (stress-ng on every core), clang-tidy, and 10-minute fuzz
#                            runs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh "${1:-}"
scripts/check-spdx.sh
scripts/check-includes.sh
scripts/check-format.sh

slow=0
if [ "${1:-}" = "--slow" ]; then slow=1; fi
exclude='slow'
if [ "$slow" = 1 ]; then exclude='^$'; fi
ctest_args=(--output-on-failure --timeout 900 -LE "$exclude")
bounded=(--output-on-failure --timeout 900 -LE slow)

echo "== build"
scripts/build.sh
echo "== tests"
(cd build && ctest "${ctest_args[@]}" -j 2)
echo "== package"
tests/packaging/check_package.sh

if [ "$slow" = 1 ]; then
  echo "== clang-tidy (.clang-tidy)"
  scripts/check-tidy.sh build
fi

if [ "$slow" = 1 ] && command -v stress-ng >/dev/null; then
  # Load-proof: the bounded set must pass with both cores saturated by another process.
  for run in $(seq 1 "${METERD_LOAD_RUNS:-3}"); do
    echo "== tests under full CPU load (run $run)"
    stress-ng --cpu "$(nproc)" --timeout 3600s --quiet &
    stress=$!
    status=0
    (cd build && ctest "${bounded[@]}" -j 2) || status=$?
    kill "$stress" 2>/dev/null || true
    wait "$stress" 2>/dev/null || true
    [ "$status" = 0 ] || exit "$status"
  done
fi

if [ "${METERD_SKIP_ASAN:-0}" != "1" ]; then
  echo "== build (ASan+UBSan)"
  scripts/build.sh --asan
  echo "== tests (ASan+UBSan)"
  (
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    cd build-asan && ctest "${ctest_args[@]}" -j 2
  )
fi

if [ "$slow" = 1 ]; then
  echo "== build (ThreadSanitizer)"
  scripts/build.sh --tsan
  echo "== tests (ThreadSanitizer: unit, component, system)"
  (
    export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tests/tsan.supp"
    cd build-tsan && ctest --output-on-failure --timeout 900 -L 'unit|component|system' -LE slow -j 2
  )
fi

# The decoders of untrusted input under libFuzzer for a bounded time, where clang is installed:
# two targets at a time (one per core). The replay tests above ran each harness over its corpus.
fuzz_targets=(
  command_intake_fuzz:tests/fuzz/corpus/intake
  command_parser_fuzz:tests/fuzz/corpus/command
  local_request_fuzz:tests/fuzz/corpus/local
  config_loader_fuzz:tests/fuzz/corpus/config
  dlt645_frame_fuzz:plugins/dlt645/fuzz/corpus
  sim_state_fuzz:plugins/sim/fuzz/corpus
  modbus_frame_fuzz:tests/fuzz/corpus/modbus_frame
  profibus_telegram_fuzz:tests/fuzz/corpus/profibus_telegram
  lonworks_codec_fuzz:tests/fuzz/corpus/lonworks_codec
)
if command -v clang++ >/dev/null; then
  fuzz_seconds=${METERD_FUZZ_SECONDS:-45}
  if [ "$slow" = 1 ]; then fuzz_seconds=${METERD_FUZZ_SECONDS:-600}; fi
  echo "== fuzz (libFuzzer, ${fuzz_seconds} s per target)"
  source scripts/compiler-cache.sh
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DMETERD_FUZZ=ON -DMETERD_TESTS=ON "${launcher[@]}" >/dev/null
  cmake --build build-fuzz -j 2 --target "${fuzz_targets[@]%%:*}"
  fuzz_one() {
    local name=${1%%:*} seeds=${1#*:}
    local corpus=build-fuzz/corpus-$name binary
    mkdir -p "$corpus"
    [ -d "$seeds" ] && cp -n "$seeds"/* "$corpus"/ 2>/dev/null || true
    binary=$(find build-fuzz -type f -name "$name" -perm -u+x | head -1)
    "$binary" -max_total_time="$fuzz_seconds" -max_len=4096 -artifact_prefix="build-fuzz/$name-" \
      "$corpus" >"build-fuzz/$name.log" 2>&1
  }
  pids=()
  failed=0
  for target in "${fuzz_targets[@]}"; do
    fuzz_one "$target" & pids+=("$!:${target%%:*}")
    if [ ${#pids[@]} -ge 2 ]; then
      for p in "${pids[@]}"; do
        wait "${p%%:*}" || { failed=1; echo "fuzz: ${p#*:} found a failure"; }
        tail -3 "build-fuzz/${p#*:}.log"
      done
      pids=()
    fi
  done
  for p in "${pids[@]}"; do
    wait "${p%%:*}" || { failed=1; echo "fuzz: ${p#*:} found a failure"; }
    tail -3 "build-fuzz/${p#*:}.log"
  done
  [ "$failed" = 0 ] || exit 1
else
  echo "== fuzz skipped (no clang++; the replay tests ran the harnesses over their corpora)"
fi

if command -v systemd-analyze >/dev/null; then
  echo "== systemd unit exposure"
  scripts/check-unit-security.sh
fi
echo "== all tests passed"
