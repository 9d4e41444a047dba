#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs every Debian 12 package meterd needs to build, test and run its demo.
# Idempotent: only missing packages are installed. Run as root (or with sudo available).
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git ccache
  libboost-dev libboost-system-dev
  libmodbus-dev
  libpaho-mqttpp-dev libpaho-mqtt-dev
  libsqlite3-dev sqlite3
  libyaml-cpp-dev
  libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev
  libsystemd-dev systemd
  libssl-dev
  nlohmann-json3-dev
  libcli11-dev
  # IANA time zones for billing (date/tz.h over the system's tz database).
  libhowardhinnant-date-dev tzdata
  mosquitto mosquitto-clients
  socat python3 python3-pymodbus mbpoll
  # The pymodbus peer test (serial RTU over a pty) and its MQTT side.
  python3-serial python3-serial-asyncio python3-paho-mqtt
  # The /metrics test parses the exposition with the reference OpenMetrics parser.
  python3-prometheus-client
  # Load runs (tests proven under a loaded CPU).
  stress-ng
  # The Debian package (scripts/package.sh) and its check: dpkg-shlibdeps, lintian.
  dpkg-dev lintian file
  # Independent dissectors the protocol tests check captures against.
  tshark
  # Fuzz targets (-DMETERD_FUZZ=ON): clang with its libFuzzer runtime.
  clang libclang-rt-dev
  # The layout check (scripts/check-format.sh, .clang-format).
  clang-format
)

# The broker interop tests (scripts/test.sh --slow) also run against RabbitMQ's MQTT plugin
# and ejabberd's; the bounded run does not need them, nor clang-tidy (scripts/check-tidy.sh).
if [ "${1:-}" = "--slow" ]; then PACKAGES+=(rabbitmq-server ejabberd clang-tidy); fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
# The packaged broker starts itself on port 1883 on some systems; meterd's scripts and
# tests run their own broker on a free port, so the system one is left as the admin set it.
