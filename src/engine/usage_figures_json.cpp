// SPDX-License-Identifier: Apache-2.0
#include "engine/usage_figures_json.h"

#include <chrono>
#include <cmath>

#include "core/money.h"

namespace meterd {

namespace {

nlohmann::json demand_json(const UsageFigures& f) {
  if (f.demand_w == 0) return nullptr;
  return {{"w", f.demand_w}, {"at_ms", f.demand_at_ms}};
}

nlohmann::json voltage_json(const UsageFigures& f) {
  if (f.voltage_max_dv == 0) return nullptr;
  return {{"min_v", static_cast<double>(f.voltage_min_dv) / 10.0},
          {"max_v", static_cast<double>(f.voltage_max_dv) / 10.0}};
}

}  // namespace

std::int64_t calendar_period_ms(std::int32_t key, UsageGranularity granularity) {
  using namespace std::chrono;
  constexpr std::int64_t kDayMs = 86'400'000;
  if (granularity == UsageGranularity::kDay) return kDayMs;
  const year_month_day_last month_end{year{key / 100} / month{static_cast<unsigned>(key % 100)} /
                                      std::chrono::last};
  return kDayMs * static_cast<unsigned>(month_end.day());
}

nlohmann::json usage_figures_json(const UsageFigures& f, std::int64_t offline_base_ms) {
  nlohmann::json by_period = nlohmann::json::object();
  for (int p = 0; p < kTouPeriods; ++p) {
    if (f.wh_by_period[p] == 0 && f.cost_by_period[p] == 0) continue;
    by_period[tou_period_name(static_cast<TouPeriod>(p))] = {
        {"energy_wh", f.wh_by_period[p]}, {"cost", format_money(Money{f.cost_by_period[p]})}};
  }
  nlohmann::json json = {{"energy_wh", f.energy_wh()},
                         {"cost", format_money(Money{f.cost})},
                         {"by_period", by_period},
                         {"free_wh", f.free_wh},
                         {"cut_offs", f.cut_offs},
                         {"load_trips", f.load_trips},
                         {"relay_operations", f.relay_operations},
                         {"tier_reached", f.tier_reached},
                         {"demand", demand_json(f)},
                         {"voltage", voltage_json(f)},
                         {"offline_s", f.offline_ms / 1000}};
  if (offline_base_ms > 0) {
    json["offline_share"] = std::round(static_cast<double>(f.offline_ms) * 10000.0 /
                                       static_cast<double>(offline_base_ms)) /
                            10000.0;
  }
  return json;
}

}  // namespace meterd
