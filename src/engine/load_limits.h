// SPDX-License-Identifier: Apache-2.0
// Load-control limits of one meter, as a `set_load_limits` command gives them (see
// docs/load-and-time-control.md): an over-power limit with a grace time, malignant-load
// detection (a resistive step in active power) with a whitelist of allowed appliance steps that
// can be learned on site, and auto-restore after a delay at most N times a local day. Pure
// values and their JSON form; any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace meterd {

// An allowed step in active power (a kettle, a heater the landlord permits): a rise of
// step_w ± tolerance_w is not a malignant load.
struct ApplianceSignature {
  std::int64_t step_w = 0;
  std::int64_t tolerance_w = 0;
  bool operator==(const ApplianceSignature&) const = default;
};

struct MalignantLoadRule {
  std::int64_t min_step_w = 300;    // smaller rises are ordinary switching
  std::int64_t min_pf_milli = 950;  // the step's own power factor at least this: resistive
  std::vector<ApplianceSignature> whitelist;
  // Until then every resistive step is learned into the whitelist instead of tripping.
  std::optional<WallTime> learn_until;
  bool operator==(const MalignantLoadRule&) const = default;
};

struct LoadLimits {
  std::optional<std::int64_t> max_power_w;  // none: no over-power trip
  std::chrono::seconds grace{10};           // over the limit this long before a trip
  std::chrono::seconds restore_after{300};  // 0: never restored automatically
  int max_restores_per_day = 3;             // then off until a person restores
  std::optional<MalignantLoadRule> malignant;
  bool operator==(const LoadLimits&) const = default;
};

// Reads a command's args. `now` anchors `malignant.learn_s`. Errors name the member:
// "max_power_w: an integer 1..1000000". `{"clear": true}` is not handled here.
Result<LoadLimits> parse_load_limits(const nlohmann::json& args, WallTime now);

// A command's limits before they take effect: a learning period (`malignant.learn_s`)
// counts from when they are applied, not from when the command was read.
struct LoadLimitsOrder {
  LoadLimits limits;  // malignant->learn_until unset
  std::chrono::seconds learn_for{0};
  LoadLimits applied_at(WallTime now) const;
  bool operator==(const LoadLimitsOrder&) const = default;
};
// A `set_load_limits` command's args (not `{"clear": true}`), checked once at intake.
Result<LoadLimitsOrder> parse_load_limits_order(const nlohmann::json& args);

// The stored form: what parse_load_limits reads back (learn_until as `learn_until_ms`).
nlohmann::json load_limits_json(const LoadLimits& limits);
Result<LoadLimits> load_limits_from_stored(const nlohmann::json& stored);

}  // namespace meterd
