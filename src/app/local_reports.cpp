// SPDX-License-Identifier: Apache-2.0
#include "app/local_reports.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/json_text.h"
#include "core/money.h"
#include "engine/alarm_policy.h"

namespace meterd {
namespace {

using json = nlohmann::json;

json age_s(std::optional<WallTime> then, WallTime now) {
  if (!then) return nullptr;
  return std::max<std::int64_t>(0, to_unix_ms(now) - to_unix_ms(*then)) / 1000;
}

json ms_or_null(std::optional<WallTime> time) {
  return time ? json(to_unix_ms(*time)) : json(nullptr);
}

json relay_object(const MeterFacts& facts, const std::string& meter) {
  if (!facts.relay_of) return nullptr;
  const std::optional<std::string> text = facts.relay_of(meter);
  if (!text) return nullptr;
  json relay = json::parse(*text, nullptr, false);
  return relay.is_discarded() ? json(nullptr) : relay;
}

json meter_row(const MeterBoardEntry& entry, const MeterFacts& facts, WallTime now) {
  const auto errors = facts.poll_errors.find(entry.meter_id);
  json row{{"meter", entry.meter_id},
           {"bus", entry.bus},
           {"state", meter_link_name(entry.link)},
           {"since", ms_or_null(entry.since)},
           {"since_age_s", age_s(entry.since, now)},
           {"last_reading", ms_or_null(entry.last_reading)},
           {"last_reading_age_s", age_s(entry.last_reading, now)},
           {"relay", relay_object(facts, entry.meter_id)},
           {"poll_errors", errors == facts.poll_errors.end() ? 0 : errors->second},
           {"account", facts.account_of ? facts.account_of(entry.meter_id) : ""}};
  if (entry.link == MeterLink::kOffline) row["offline_reason"] = entry.offline_reason;
  return row;
}

}  // namespace

std::string meters_report(const std::vector<MeterBoardEntry>& meters, const MeterFacts& facts,
                          WallTime now) {
  json rows = json::array();
  for (const MeterBoardEntry& entry : meters) rows.push_back(meter_row(entry, facts, now));
  return json_text(json{{"ts", to_unix_ms(now)}, {"meters", rows}});
}

std::string account_report(const AccountRuntime& account,
                           const std::vector<MeterBoardEntry>& meters, const MeterFacts& facts,
                           const std::vector<MoneyMovement>& recharges, WallTime now) {
  json meter_rows = json::array();
  for (const MeterBoardEntry& entry : meters) meter_rows.push_back(meter_row(entry, facts, now));
  json movements = json::array();
  for (const MoneyMovement& m : recharges) {
    movements.push_back({{"ts", m.ts_ms},
                         {"kind", m.kind},
                         {"amount", format_money(Money{m.amount})},
                         {"balance_after", format_money(Money{m.balance_after})},
                         {"order_id", m.order_id}});
  }
  return json_text(json{{"ts", to_unix_ms(now)},
                        {"account", account.id},
                        {"name", account.name},
                        {"mode", billing_mode_name(account.mode)},
                        {"closed", account.closed},
                        {"balance", format_money(account.balance)},
                        {"alarm_level", alarm_level_name(account.level)},
                        {"meters", meter_rows},
                        {"recent_recharges", movements}});
}

std::string backlog_report(const BacklogFigures& backlog, const StoreStats& store, WallTime now) {
  json oldest_age = nullptr;
  if (backlog.oldest_ts_ms) {
    oldest_age = std::max<std::int64_t>(0, to_unix_ms(now) - *backlog.oldest_ts_ms) / 1000;
  }
  return json_text(
      json{{"ts", to_unix_ms(now)},
           {"rows", backlog.rows},
           {"bytes", backlog.body_bytes},
           {"oldest_seq", backlog.oldest_seq ? json(*backlog.oldest_seq) : json(nullptr)},
           {"oldest_ts", backlog.oldest_ts_ms ? json(*backlog.oldest_ts_ms) : json(nullptr)},
           {"oldest_age_s", oldest_age},
           {"last_seq", store.last_seq},
           {"store_bytes", store.db_bytes},
           {"store_state", store_state(store)}});
}

}  // namespace meterd
