// SPDX-License-Identifier: Apache-2.0
// One appliance of a simulated room: its active power and power factor while it runs, and
// when it runs. Resistive heaters and kettles sit near pf 1.0, motors and compressors at
// 0.7..0.85, chargers and LED drivers lower still. Immutable value; any thread.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "sim/sim/switching.h"

namespace meterd::sim {

struct Appliance {
  std::string name;
  double power_w = 0;  // active power while on
  double pf = 1.0;     // 0 < pf <= 1, lagging
  Switching switching;

  // Reactive power while on (var): P * tan(acos(pf)).
  double reactive_var() const { return power_w * std::tan(std::acos(pf)); }
};

// What a set of appliances draws together at one moment.
struct ApplianceLoad {
  double power_w = 0;
  double reactive_var = 0;
};

ApplianceLoad appliance_load(const std::vector<Appliance>& appliances, WallTime t, WallTime start);
// The earliest switching of any appliance after `t` (see Switching::next_change).
std::optional<WallTime> next_switching(const std::vector<Appliance>& appliances, WallTime t,
                                       WallTime start);

}  // namespace meterd::sim
