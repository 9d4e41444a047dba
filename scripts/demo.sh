#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The demo: installs what is missing, builds, starts a local mosquitto on a free port and
# meterd on config/demo.yaml (simulated meters, SQLite), and tells what happens: events and
# command results in full, telemetry summarized; at the first cut-off it recharges the account
# with meterctl and shows it. Ctrl-C stops everything.
# DEMO_SECONDS=N: stop by itself after N seconds. DEMO_BUILD_DIR: the build to run (default
# build/). DEMO_NO_SETUP=1: install and build nothing (the binaries are there already).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${DEMO_BUILD_DIR:-$root/build}
if [ -z "${DEMO_NO_SETUP:-}" ]; then
  scripts/install-deps.sh
  # Only what the demo runs: the daemon, the sim plugin and meterctl.
  source scripts/compiler-cache.sh
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" >/dev/null
  cmake --build "$build" -j "$(nproc)" --target meterd meterd-sim meterctl
fi

work=$(mktemp -d /tmp/meterd-demo.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "demo stopped; files kept in $work"
}
trap cleanup EXIT INT TERM

cat > "$work/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
persistence false
CONF
/usr/sbin/mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
pids+=($!)

# The demo config, pointed at this broker, the build's plugins and a store in $work.
sed -e "s#tcp://127.0.0.1:1883#tcp://127.0.0.1:$port#" \
    -e "s#^store:#plugin_dir: $build/plugins\nstore:#" \
    config/demo.yaml > "$work/demo.yaml"
printf 'local:\n  socket: %s\n' "$work/meterd.sock" >> "$work/demo.yaml"
sed -i "s#^\(  path:\).*#\1 $work/meterd-demo.db#" "$work/demo.yaml"

for _ in $(seq 50); do
  mosquitto_sub -h 127.0.0.1 -p "$port" -t '$SYS/#' -C 1 -W 1 >/dev/null 2>&1 && break
  sleep 0.1
done
echo "== broker on 127.0.0.1:$port; meterd log in $work/meterd.log"
"$build/src/app/meterd" --config "$work/demo.yaml" >"$work/meterd.log" 2>&1 &
pids+=($!)
# Load limits for building A, as the cloud would send them once the gateway is online: over
# 3.5 kW for 10 s trips, and so does a resistive rise of 300 W or more (the kettle in a-03,
# 45 s after the start); restored automatically after 2 minutes, at most 3 times a day.
mosquitto_sub -h 127.0.0.1 -p "$port" -t meterd/v1/demo-gw/status -C 1 -W 30 >/dev/null 2>&1 || true
mosquitto_pub -h 127.0.0.1 -p "$port" -q 1 -t meterd/v1/demo-gw/cmd -m "{\"id\":\"limits-$(date +%s)\",\"op\":\"set_load_limits\",\"select\":{\"tags\":{\"building\":\"A\"}},\"issued_at\":$(date +%s%3N),\"args\":{\"max_power_w\":3500,\"grace_s\":10,\"restore_after_s\":120,\"max_restores_per_day\":3,\"malignant\":{\"min_step_w\":300,\"min_pf\":\"0.95\"}}}"
cat <<HINT
== room-b01 (meter b-01) runs out of credit within a minute: balance_low_1, balance_low_2,
   cut_off (its relay opens). Five seconds later the demo recharges it with meterctl, as a
   cashier would, and the restored event follows. From another terminal, the cloud's way:
   mosquitto_pub -h 127.0.0.1 -p $port -t meterd/v1/demo-gw/cmd -m "{\"id\":\"pay-\$(date +%s)\",\"op\":\"recharge\",\"account\":\"room-b01\",\"issued_at\":\$(date +%s%3N),\"args\":{\"order_id\":\"wx-\$(date +%s)\",\"amount\":\"20.0000\"}}"
   or the technician's: $build/tools/meterctl/meterctl --socket $work/meterd.sock status
== building A has load limits: the kettle in room a-03 switches on 45 s after the start and
   trips it (malignant_load_trip; auto_restore two minutes later). The appliances are in
   config/demo.yaml (docs/sim.md).
HINT
echo "== what happens (all traffic: mosquitto_sub -h 127.0.0.1 -p $port -v -t 'meterd/#'); Ctrl-C to stop"
view=(/usr/bin/python3 -u scripts/demo_view.py "$build/tools/meterctl/meterctl" "$work/meterd.sock")
if [ -n "${DEMO_SECONDS:-}" ]; then
  (mosquitto_sub -h 127.0.0.1 -p "$port" -v -t 'meterd/#' -W "$DEMO_SECONDS" || true) | "${view[@]}"
else
  mosquitto_sub -h 127.0.0.1 -p "$port" -v -t 'meterd/#' | "${view[@]}"
fi
