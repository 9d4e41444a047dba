// SPDX-License-Identifier: Apache-2.0
#include "engine/usage_rollup.h"

#include <algorithm>

namespace meterd {

const char* usage_scope_name(UsageScope scope) {
  return scope == UsageScope::kMeter ? "meter" : "account";
}

const char* usage_granularity_name(UsageGranularity g) {
  return g == UsageGranularity::kDay ? "day" : "month";
}

std::optional<UsageScope> usage_scope_named(std::string_view name) {
  if (name == "meter") return UsageScope::kMeter;
  if (name == "account") return UsageScope::kAccount;
  return std::nullopt;
}

std::optional<UsageGranularity> usage_granularity_named(std::string_view name) {
  if (name == "day") return UsageGranularity::kDay;
  if (name == "month") return UsageGranularity::kMonth;
  return std::nullopt;
}

UsageFigures& UsageFigures::operator+=(const UsageFigures& other) {
  for (int p = 0; p < kTouPeriods; ++p) {
    wh_by_period[p] += other.wh_by_period[p];
    cost_by_period[p] += other.cost_by_period[p];
  }
  cost += other.cost;
  free_wh += other.free_wh;
  cut_offs += other.cut_offs;
  load_trips += other.load_trips;
  relay_operations += other.relay_operations;
  offline_ms += other.offline_ms;
  tier_reached = std::max(tier_reached, other.tier_reached);
  if (other.demand_w > demand_w ||
      (other.demand_w == demand_w && other.demand_w > 0 && other.demand_at_ms < demand_at_ms)) {
    demand_w = other.demand_w;
    demand_at_ms = other.demand_at_ms;
  }
  if (other.voltage_min_dv > 0 && (voltage_min_dv == 0 || other.voltage_min_dv < voltage_min_dv)) {
    voltage_min_dv = other.voltage_min_dv;
  }
  voltage_max_dv = std::max(voltage_max_dv, other.voltage_max_dv);
  return *this;
}

}  // namespace meterd
