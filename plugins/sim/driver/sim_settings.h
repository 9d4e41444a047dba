// SPDX-License-Identifier: Apache-2.0
// The sim plugin's YAML: bus keys, meter keys and the optional meter profile (docs/sim.md),
// read into typed configs with every error reported at its file:line:col. Start-up only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/driver.h"
#include "sim/sim/sim_meter.h"

namespace meterd::sim {

enum class Fault { kNone, kDead, kFlaky };

struct SimMeterConfig {
  std::string id;
  Millis timeout{500};
  Fault fault = Fault::kNone;
  SimMeterParams params;
};

struct SimBusConfig {
  std::string name;
  std::string control_dir;  // empty: no control files
  Millis latency{0};        // simulated transaction time, slept on the bus thread
  bool keep_state = true;   // the state file in DriverEnv::state_dir
  Millis state_interval{60'000};
  Millis max_catch_up{24 * 3'600'000};
};

struct SimSettings {
  SimBusConfig bus;
  std::vector<SimMeterConfig> meters;
};

// Reads everything of `bus`; check `errors` for what went wrong.
SimSettings read_sim_settings(const BusSpec& bus, ConfigErrors& errors);

}  // namespace meterd::sim
