// SPDX-License-Identifier: Apache-2.0
// The meter's own copy of an account's parameters, for accounts billed in meter mode (the meter
// keeps the balance, raises its own alarms and prices energy itself): the actions that carry
// alarm thresholds and prices to it, as profiles name them (docs/billing.md). Pure.
#pragma once

#include <vector>

#include "core/driver.h"
#include "engine/alarm_policy.h"
#include "engine/tariff.h"

namespace meterd {

// set_alarm_thresholds with alarm_limit_1 / alarm_limit_2 (1/10000 units): low_1 and low_2.
std::vector<Action> threshold_actions(const AlarmThresholds& thresholds);
// set_price with price_per_kwh (1/10000 units per kWh): one for a single price; for time of
// use one per period with `tariff` 1..4 = sharp, peak, flat, valley (the DL/T 645 rate
// order). Tiers and allowances cannot be carried: those stay at the gateway.
std::vector<Action> price_actions(const Tariff& tariff);

}  // namespace meterd
