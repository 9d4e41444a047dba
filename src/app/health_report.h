// SPDX-License-Identifier: Apache-2.0
// Builds the JSON of the periodic `health` message (see docs/mqtt-api.md). Pure.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "app/clock_state.h"
#include "bus/bus_worker.h"
#include "commands/command_service.h"
#include "engine/engine.h"
#include "store/store.h"
#include "uplink/uplink.h"

namespace meterd {

struct BusHealth {
  std::string name;
  BusStats stats;
};

struct HealthSnapshot {
  std::string gateway_id;
  std::string store_id;
  WallTime time;
  std::chrono::seconds uptime{0};
  std::vector<BusHealth> buses;
  StoreStats store;
  UplinkStats uplink;
  EngineStats engine;
  CommandStats commands;
  std::int64_t loop_internal_errors = 0;             // caught by the loop's outermost guards
  std::optional<std::int64_t> backlog_oldest_ts_ms;  // the oldest unsent outbox row's time
  std::int64_t meters_online = 0;                    // by the meter board (app/meter_board.h)
  std::int64_t meters_offline = 0;
  std::int64_t meters_unknown = 0;  // no poll result yet
  std::int64_t meters_cut_off = 0;  // meters whose account is at the cut-off level
  ClockState clock;
  std::optional<std::int64_t> disk_free_bytes;  // free to meterd on the store's filesystem
  std::string config_hash;                      // app/config_fingerprint.h
};

std::string health_json(const HealthSnapshot& snapshot);
// One line for systemd's STATUS=.
std::string status_line(const HealthSnapshot& snapshot, std::size_t meters);

}  // namespace meterd
