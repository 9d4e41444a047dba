// SPDX-License-Identifier: Apache-2.0
// Builds the JSON of the periodic `health` message (see docs/mqtt-api.md). Pure.
#pragma once

#include <string>
#include <vector>

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
  std::int64_t loop_internal_errors = 0;  // caught by the loop's outermost guards
};

std::string health_json(const HealthSnapshot& snapshot);
// One line for systemd's STATUS=.
std::string status_line(const HealthSnapshot& snapshot, std::size_t meters);

}  // namespace meterd
