// SPDX-License-Identifier: Apache-2.0
#include "engine/usage_figures_json.h"

#include "core/money.h"

namespace meterd {

nlohmann::json usage_figures_json(const UsageFigures& f) {
  nlohmann::json by_period = nlohmann::json::object();
  for (int p = 0; p < kTouPeriods; ++p) {
    if (f.wh_by_period[p] == 0 && f.cost_by_period[p] == 0) continue;
    by_period[tou_period_name(static_cast<TouPeriod>(p))] = {
        {"energy_wh", f.wh_by_period[p]}, {"cost", format_money(Money{f.cost_by_period[p]})}};
  }
  return {{"energy_wh", f.energy_wh()},
          {"cost", format_money(Money{f.cost})},
          {"by_period", by_period},
          {"free_wh", f.free_wh},
          {"cut_offs", f.cut_offs},
          {"load_trips", f.load_trips},
          {"relay_operations", f.relay_operations}};
}

}  // namespace meterd
