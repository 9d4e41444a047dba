// SPDX-License-Identifier: Apache-2.0
#include "core/point.h"

#include <algorithm>

namespace meterd {

const std::vector<PointInfo>& known_points() {
  static const std::vector<PointInfo> points = {
      {"energy_total", PointKind::kEnergyWh, "Wh"},
      {"energy_sharp", PointKind::kEnergyWh, "Wh"},
      {"energy_peak", PointKind::kEnergyWh, "Wh"},
      {"energy_flat", PointKind::kEnergyWh, "Wh"},
      {"energy_valley", PointKind::kEnergyWh, "Wh"},
      {"energy_reverse", PointKind::kEnergyWh, "Wh"},
      {"power_total", PointKind::kAnalog, "W"},
      {"power_a", PointKind::kAnalog, "W"},
      {"power_b", PointKind::kAnalog, "W"},
      {"power_c", PointKind::kAnalog, "W"},
      {"reactive_power_total", PointKind::kAnalog, "var"},
      {"voltage_a", PointKind::kAnalog, "V"},
      {"voltage_b", PointKind::kAnalog, "V"},
      {"voltage_c", PointKind::kAnalog, "V"},
      {"current_a", PointKind::kAnalog, "A"},
      {"current_b", PointKind::kAnalog, "A"},
      {"current_c", PointKind::kAnalog, "A"},
      {"pf_total", PointKind::kAnalog, ""},
      {"frequency", PointKind::kAnalog, "Hz"},
      {"voltage_imbalance", PointKind::kAnalog, "%"},
      {"current_imbalance", PointKind::kAnalog, "%"},
      {"thd_voltage_a", PointKind::kAnalog, "%"},
      {"thd_current_a", PointKind::kAnalog, "%"},
      {"balance", PointKind::kMoney, "money"},
      {"purchase_count", PointKind::kCount, ""},
      {"relay_closed", PointKind::kFlag, ""},
      // The meter lets its relay close (DL/T 645 relay command state); while the relay is open:
      // it took "close allowed" and waits for the customer.
      {"relay_close_allowed", PointKind::kFlag, ""},
      {"alarm_low_1", PointKind::kFlag, ""},
      {"alarm_low_2", PointKind::kFlag, ""},
      {"alarm_arrears", PointKind::kFlag, ""},
      {"alarm_over_limit", PointKind::kFlag, ""},
      {"meter_fault", PointKind::kFlag, ""},
  };
  return points;
}

std::optional<PointInfo> find_point(std::string_view name) {
  const auto& points = known_points();
  auto it = std::find_if(points.begin(), points.end(),
                         [&](const PointInfo& p) { return p.name == name; });
  if (it != points.end()) return *it;
  if (name.starts_with("harmonic_")) return PointInfo{name, PointKind::kAnalog, "%"};
  return std::nullopt;
}

}  // namespace meterd
