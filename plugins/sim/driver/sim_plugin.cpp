// SPDX-License-Identifier: Apache-2.0
// The `sim` protocol plugin: simulated meters answering in-process, with appliances that switch
// on a schedule or at random (the demo default, the bus tests' meters and the load-control
// system tests). Every key is in docs/sim.md.
#include <memory>

#include "common/plugin_entry.h"
#include "core/driver.h"
#include "sim/driver/sim_driver.h"
#include "sim/sim/state_file.h"

namespace meterd::sim {
namespace {

std::unique_ptr<MeterDriver> create_sim(const BusSpec& bus, const DriverEnv& env,
                                        ConfigErrors& errors) {
  return guard_plugin_factory("sim", bus, errors, [&]() -> std::unique_ptr<MeterDriver> {
    const std::size_t errors_before = errors.size();
    if (env.clock == nullptr) {
      errors.add(bus.settings.pos, "sim: the daemon passed no clock");
      return nullptr;
    }
    SimSettings settings = read_sim_settings(bus, errors);
    if (errors.size() != errors_before) return nullptr;
    std::string state_path;
    if (settings.bus.keep_state && !env.state_dir.empty()) {
      state_path = state_file_path(env.state_dir, bus.name);
    }
    return std::make_unique<SimDriver>(std::move(settings), bus.groups, *env.clock,
                                       std::move(state_path));
  });
}

}  // namespace
}  // namespace meterd::sim

METERD_PLUGIN_ENTRY("sim", &meterd::sim::create_sim)
