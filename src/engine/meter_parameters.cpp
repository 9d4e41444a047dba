// SPDX-License-Identifier: Apache-2.0
#include "engine/meter_parameters.h"

namespace meterd {

std::vector<Action> threshold_actions(const AlarmThresholds& thresholds) {
  return {
      Action{"set_alarm_thresholds",
             {{"alarm_limit_1", thresholds.low_1.units}, {"alarm_limit_2", thresholds.low_2.units}},
             {}}};
}

std::vector<Action> price_actions(const Tariff& tariff) {
  if (!tariff.tou)
    return {Action{"set_price", {{"price_per_kwh", tariff.price_per_kwh.units}}, {}}};
  std::vector<Action> actions;
  actions.reserve(kTouPeriods);
  for (int period = 0; period < kTouPeriods; ++period) {
    actions.push_back(
        Action{"set_price",
               {{"price_per_kwh", tariff.tou->price_per_kwh[period].units}, {"tariff", period + 1}},
               {}});
  }
  return actions;
}

}  // namespace meterd
