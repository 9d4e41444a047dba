// SPDX-License-Identifier: Apache-2.0
#include "app/health_report.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/driver.h"
#include "core/json_text.h"
#include "store/migrations.h"

namespace meterd {

std::string health_json(const HealthSnapshot& s) {
  nlohmann::json buses = nlohmann::json::array();
  std::int64_t internal_errors = s.loop_internal_errors + s.store.internal_errors;
  for (const auto& bus : s.buses) {
    internal_errors += bus.stats.internal_errors;
    buses.push_back({{"name", bus.name},
                     {"polls", bus.stats.polls},
                     {"poll_errors", bus.stats.poll_errors},
                     {"timeouts", bus.stats.timeouts},
                     {"actions", bus.stats.actions},
                     {"action_errors", bus.stats.action_errors},
                     {"offline_meters", bus.stats.offline_meters},
                     {"internal_errors", bus.stats.internal_errors},
                     {"latency_avg_ms", bus.stats.latency_avg_ms},
                     {"latency_max_ms", bus.stats.latency_max_ms}});
  }
  nlohmann::json j = {{"gw", s.gateway_id},
                      {"store_id", s.store_id},
                      {"ts", to_unix_ms(s.time)},
                      {"uptime_s", s.uptime.count()},
                      {"buses", buses},
                      {"backlog_rows", s.store.backlog_rows},
                      {"store_bytes", s.store.db_bytes},
                      {"evicted_rows", s.store.evicted_rows},
                      {"write_errors", s.store.write_errors},
                      {"store_state", store_state(s.store)},
                      {"internal_errors", internal_errors},
                      {"last_seq", s.store.last_seq},
                      {"connected", s.uplink.connected},
                      {"server", s.uplink.server},
                      {"published", s.uplink.published},
                      {"publish_failures", s.uplink.publish_failures},
                      {"reconnects", s.uplink.reconnects},
                      {"commands_subscribed", s.uplink.commands_subscribed},
                      {"client_id_conflict", s.uplink.client_id_conflict},
                      {"client_id_conflicts", s.uplink.client_id_conflicts},
                      {"engine",
                       {{"increments", s.engine.increments},
                        {"ledger_entries", s.engine.ledger_entries},
                        {"relay_actions", s.engine.relay_actions},
                        {"relay_failures", s.engine.relay_failures},
                        {"energy_reversals", s.engine.energy_reversals},
                        {"load_trips", s.engine.load_trips},
                        {"auto_restores", s.engine.auto_restores},
                        {"relay_states", s.engine.relay_states}}},
                      {"commands",
                       {{"received", s.commands.received},
                        {"accepted", s.commands.accepted},
                        {"duplicates", s.commands.duplicates},
                        {"rejected", s.commands.rejected},
                        {"done", s.commands.done},
                        {"failed", s.commands.failed}}}};
  const std::int64_t now_ms = to_unix_ms(s.time);
  j["backlog_oldest_ts"] =
      s.backlog_oldest_ts_ms ? nlohmann::json(*s.backlog_oldest_ts_ms) : nullptr;
  j["backlog_age_s"] =
      s.backlog_oldest_ts_ms
          ? nlohmann::json(std::max<std::int64_t>(0, now_ms - *s.backlog_oldest_ts_ms) / 1000)
          : nlohmann::json(0);
  j["meters"] = {{"online", s.meters_online},
                 {"offline", s.meters_offline},
                 {"unknown", s.meters_unknown},
                 {"cut_off", s.meters_cut_off}};
  j["clock"] = {{"synchronized", s.clock.synchronized}, {"source", s.clock.source}};
  nlohmann::json flags = nlohmann::json::array();
  if (!s.clock.synchronized) flags.push_back("clock_unsynchronized");
  j["flags"] = flags;
  j["disk_free_bytes"] = s.disk_free_bytes ? nlohmann::json(*s.disk_free_bytes) : nullptr;
  j["config_hash"] = s.config_hash;
  j["versions"] = {{"meterd", METERD_VERSION},
                   {"plugin_abi", kDriverAbiVersion},
                   {"schema", latest_schema_version()}};
  return json_text(j);
}

std::string status_line(const HealthSnapshot& s, std::size_t meters) {
  std::int64_t offline = 0;
  for (const auto& bus : s.buses) offline += bus.stats.offline_meters;
  return std::to_string(meters) + " meters on " + std::to_string(s.buses.size()) + " buses, " +
         std::to_string(offline) + " offline; uplink " +
         (s.uplink.connected ? "up (" + s.uplink.server + ")" : std::string("down")) +
         "; backlog " + std::to_string(s.store.backlog_rows) + " rows" +
         (s.clock.synchronized ? "" : "; clock unsynchronized");
}

}  // namespace meterd
