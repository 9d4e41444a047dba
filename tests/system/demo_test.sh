#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Drives scripts/demo.sh non-interactively on an existing build: within two minutes it must
# show room-b01's cut_off event, then (after its meterctl recharge) the restored event.
# Usage: demo_test.sh BUILD_DIR
set -euo pipefail
build=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp /tmp/meterd-demo-test.XXXXXX)
trap 'rm -f "$out"' EXIT
start=$(date +%s)
DEMO_NO_SETUP=1 DEMO_BUILD_DIR="$build" DEMO_SECONDS=120 DEMO_UNTIL_RESTORED=1 \
  timeout 170 "$root/scripts/demo.sh" >"$out" 2>&1 </dev/null || true
elapsed=$(( $(date +%s) - start ))
fail() { echo "FAIL: $1 (after ${elapsed}s)"; cat "$out"; exit 1; }
grep -q 'EVENT cut_off gateway {"account":"room-b01"' "$out" || fail "no cut_off event"
grep -q 'EVENT restored gateway {"account":"room-b01"' "$out" || fail "no restored event"
grep -q '\$ meterctl recharge room-b01' "$out" || fail "no meterctl recharge shown"
# Cut off before restored, and within the first minute of the view.
cut=$(grep -n 'EVENT cut_off gateway' "$out" | head -1 | cut -d: -f1)
restored=$(grep -n 'EVENT restored gateway' "$out" | head -1 | cut -d: -f1)
[ "$cut" -lt "$restored" ] || fail "restored before cut_off"
cut_at=$(grep 'EVENT cut_off gateway' "$out" | head -1 | sed 's/^\[ *\([0-9]*\)s\].*/\1/')
[ "$cut_at" -le 60 ] || fail "cut_off only at ${cut_at}s"
# No float noise in the telemetry shown (232.70000000000002).
if grep -Eq '[0-9]\.[0-9]*0000000[0-9]|[0-9]\.[0-9]*9999999[0-9]' "$out"; then fail "float noise"; fi
echo "demo: cut_off at ${cut_at}s, restored, in ${elapsed}s"
echo "1 passed, 0 failed"
