// SPDX-License-Identifier: Apache-2.0
#include "sim/sim/appliance.h"

namespace meterd::sim {

ApplianceLoad appliance_load(const std::vector<Appliance>& appliances, WallTime t, WallTime start) {
  ApplianceLoad load;
  for (const Appliance& a : appliances) {
    if (!a.switching.on_at(t, start)) continue;
    load.power_w += a.power_w;
    load.reactive_var += a.reactive_var();
  }
  return load;
}

std::optional<WallTime> next_switching(const std::vector<Appliance>& appliances, WallTime t,
                                       WallTime start) {
  std::optional<WallTime> next;
  for (const Appliance& a : appliances) {
    const std::optional<WallTime> change = a.switching.next_change(t, start);
    if (change && (!next || *change < *next)) next = change;
  }
  return next;
}

}  // namespace meterd::sim
