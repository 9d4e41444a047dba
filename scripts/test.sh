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

if command -v systemd-analyze >/dev/null; then
  echo "== systemd unit exposure"
  scripts/check-unit-security.sh
fi
echo "== all tests passed"
