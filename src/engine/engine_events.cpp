// SPDX-License-Identifier: Apache-2.0
#include "engine/engine_events.h"

#include <nlohmann/json.hpp>

#include "core/json_text.h"
#include "engine/local_time.h"

namespace meterd {

std::string alarm_details(const AccountRuntime& account, AlarmLevel from) {
  nlohmann::json details{{"account", account.id},
                         {"meters", account.meters},
                         {"balance", format_money(account.balance)},
                         {"level", alarm_level_name(account.level)},
                         {"from", alarm_level_name(from)}};
  return json_text(details);
}

std::string deduction_details(const PendingDeduction& d, LocalZone zone) {
  nlohmann::json by_period = nlohmann::json::object();
  for (int p = 0; p < kTouPeriods; ++p) {
    if (d.wh_by_period[p] != 0)
      by_period[tou_period_name(static_cast<TouPeriod>(p))] = d.wh_by_period[p];
  }
  nlohmann::json details{{"wh", d.energy.wh},
                         {"free_wh", d.free.wh},
                         {"from_ms", to_unix_ms(d.from)},
                         {"to_ms", to_unix_ms(d.to)},
                         {"by_period", by_period}};
  // A span across local midnights: how the charge splits by day (what the rollups took).
  const bool crosses =
      d.to > d.from &&
      to_local(d.from, zone).date != to_local(d.to - std::chrono::milliseconds(1), zone).date;
  if (crosses || d.usage.size() > 1) {
    nlohmann::json by_day = nlohmann::json::object();
    for (const DayUsage& day : d.usage) by_day[std::to_string(day.day)] = day.figures.cost;
    details["cost_by_day"] = by_day;
  }
  return json_text(details);
}

std::string order_details(const std::string& order_id, Money amount, const std::string& who) {
  nlohmann::json details{
      {"order_id", order_id}, {"amount", format_money(amount)}, {"operator", who}};
  return json_text(details);
}

}  // namespace meterd
