// SPDX-License-Identifier: Apache-2.0
// The engine's events, and the JSON details of its events and ledger entries. Pure.
#pragma once

#include <string>

#include "core/clock.h"
#include "core/event.h"
#include "engine/account_runtime.h"

namespace meterd {

// An event raised now (the clock's wall time).
inline Event event_now(const Clock& clock, std::string type, std::string meter_id,
                       std::string details) {
  return Event{std::move(type), std::move(meter_id), clock.wall_now(), std::move(details)};
}

// {"account":..,"meters":[..],"balance":"12.3400","level":"low_1","from":"normal"}
std::string alarm_details(const AccountRuntime& account, AlarmLevel from);
// {"wh":..,"free_wh":..,"from_ms":..,"to_ms":..,"by_period":{"peak":..}}
// `zone`: the local time the row's days are reckoned in (cost_by_day).
std::string deduction_details(const PendingDeduction& deduction, LocalZone zone);
// {"order_id":..,"amount":..,"operator":..}
std::string order_details(const std::string& order_id, Money amount, const std::string& who);

}  // namespace meterd
