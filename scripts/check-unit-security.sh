#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fails when the unit's systemd-analyze exposure is above 2.0.
set -euo pipefail
cd "$(dirname "$0")/.."
line=$(systemd-analyze security --offline=true systemd/meterd.service 2>&1 | grep 'Overall exposure')
echo "$line"
score=$(echo "$line" | grep -oE '[0-9]+\.[0-9]+' | head -1)
awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || { echo "exposure $score > 2.0"; exit 1; }
