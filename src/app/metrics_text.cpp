// SPDX-License-Identifier: Apache-2.0
#include "app/metrics_text.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace meterd {

namespace {

// Backslash and newline are escaped in HELP text and label values; a double quote only in
// label values (`quotes`), which it would end (OpenMetrics ABNF).
std::string escape(const std::string& text, bool quotes) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quotes) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 9.0e15) {
    return std::to_string(static_cast<std::int64_t>(value));
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", value);
  // Shortest text that reads back as the same double.
  for (int precision = 1; precision <= 17; ++precision) {
    char shorter[32];
    std::snprintf(shorter, sizeof shorter, "%.*g", precision, value);
    if (std::strtod(shorter, nullptr) == value) return shorter;
  }
  return buf;
}

}  // namespace

void MetricSet::add(Type type, const std::string& name, const std::string& help, double value,
                    const Labels& labels, const std::string& unit) {
  auto [it, inserted] = families_.try_emplace(name, Family{type, help, unit, {}});
  if (inserted) order_.push_back(name);
  std::string sample = type == Type::counter ? name + "_total" : name;
  if (!labels.empty()) {
    sample += '{';
    bool first = true;
    for (const auto& [key, label_value] : labels) {
      if (!first) sample += ',';
      first = false;
      sample += key + "=\"" + escape(label_value, true) + '"';
    }
    sample += '}';
  }
  sample += ' ' + format_value(value);
  it->second.samples.push_back(std::move(sample));
}

std::string MetricSet::text(Format format) const {
  const bool openmetrics = format == Format::openmetrics;
  std::string out;
  for (const std::string& name : order_) {
    const Family& family = families_.at(name);
    const bool counter = family.type == Type::counter;
    // The 0.0.4 format names a counter's family by its sample name.
    const std::string family_name = counter && !openmetrics ? name + "_total" : name;
    out += "# HELP " + family_name + ' ' + escape(family.help, false) + '\n';
    out += "# TYPE " + family_name + (counter ? " counter\n" : " gauge\n");
    if (openmetrics && !family.unit.empty()) out += "# UNIT " + name + ' ' + family.unit + '\n';
    for (const std::string& sample : family.samples) out += sample + '\n';
  }
  if (openmetrics) out += "# EOF\n";
  return out;
}

void health_metrics(const HealthSnapshot& s, MetricSet& m) {
  using T = MetricSet::Type;
  m.add(T::gauge, "meterd_info", "The gateway's identity (value 1).", 1,
        {{"gateway", s.gateway_id}, {"store_id", s.store_id}, {"version", METERD_VERSION}});
  m.gauge("meterd_uptime_seconds", "Seconds since the daemon started.",
          static_cast<double>(s.uptime.count()), {}, "seconds");

  std::int64_t internal_errors = s.loop_internal_errors + s.store.internal_errors;
  for (const BusHealth& bus : s.buses) {
    const MetricSet::Labels l{{"bus", bus.name}};
    const BusStats& b = bus.stats;
    internal_errors += b.internal_errors;
    m.counter("meterd_bus_polls", "Meter polls done on the bus.", b.polls, l);
    m.counter("meterd_bus_poll_errors", "Meter polls that failed.", b.poll_errors, l);
    m.counter("meterd_bus_timeouts", "Meter polls that timed out.", b.timeouts, l);
    m.counter("meterd_bus_actions", "Relay actions sent on the bus.", b.actions, l);
    m.counter("meterd_bus_action_errors", "Relay actions that failed.", b.action_errors, l);
    m.counter("meterd_bus_overruns", "Poll cycles that overran their interval.", b.overruns, l);
    m.counter("meterd_bus_internal_errors", "Exceptions caught by the bus thread.",
              b.internal_errors, l);
    m.gauge("meterd_bus_offline_meters", "Meters of the bus offline now.",
            static_cast<double>(b.offline_meters), l);
    m.gauge("meterd_bus_poll_latency_avg_seconds",
            "Mean poll latency over the last health interval.", b.latency_avg_ms / 1000.0, l,
            "seconds");
    m.gauge("meterd_bus_poll_latency_max_seconds",
            "Longest poll latency over the last health interval.", b.latency_max_ms / 1000.0, l,
            "seconds");
  }

  m.gauge("meterd_store_backlog_rows", "Rows in the outbox waiting for the broker.",
          static_cast<double>(s.store.backlog_rows));
  m.gauge("meterd_store_size_bytes", "Bytes the store's database uses.",
          static_cast<double>(s.store.db_bytes), {}, "bytes");
  m.counter("meterd_store_evicted_rows", "Telemetry rows evicted for the store budget.",
            s.store.evicted_rows);
  m.counter("meterd_store_committed_rows", "Rows committed to the store.", s.store.committed_rows);
  m.counter("meterd_store_write_errors", "Store commits that failed.", s.store.write_errors);
  m.gauge("meterd_store_last_seq", "Highest sequence number committed.",
          static_cast<double>(s.store.last_seq));
  for (const char* state : {"ok", "over_budget", "write_failing", "disk_full"}) {
    m.gauge("meterd_store_state", "The store's condition (1 for the current one).",
            std::string(store_state(s.store)) == state ? 1 : 0, {{"state", state}});
  }
  m.counter("meterd_internal_errors", "Exceptions caught by the daemon's outermost guards.",
            internal_errors);
  if (s.backlog_oldest_ts_ms) {
    const double age_s =
        static_cast<double>(s.time.time_since_epoch() / std::chrono::milliseconds(1) -
                            *s.backlog_oldest_ts_ms) /
        1000.0;
    m.gauge("meterd_store_backlog_oldest_seconds",
            "Age of the oldest row waiting for the broker (absent without a backlog).",
            age_s < 0 ? 0 : age_s, {}, "seconds");
  }
  if (s.disk_free_bytes) {
    m.gauge("meterd_store_disk_free_bytes", "Bytes free to meterd on the store's filesystem.",
            static_cast<double>(*s.disk_free_bytes), {}, "bytes");
  }
  m.gauge("meterd_clock_synchronized", "1 while the system clock is synchronized.",
          s.clock.synchronized ? 1 : 0);
  for (const auto& [state, count] :
       {std::pair{"online", s.meters_online}, std::pair{"offline", s.meters_offline},
        std::pair{"unknown", s.meters_unknown}, std::pair{"cut_off", s.meters_cut_off}}) {
    m.gauge("meterd_meters", "Meters by link state (cut_off: whose account is cut off).",
            static_cast<double>(count), {{"state", state}});
  }

  m.gauge("meterd_uplink_connected", "1 while connected to an MQTT broker.",
          s.uplink.connected ? 1 : 0);
  m.counter("meterd_uplink_published", "Outbox rows acknowledged by the broker.",
            s.uplink.published);
  m.counter("meterd_uplink_publish_failures", "Publishes that failed.", s.uplink.publish_failures);
  m.counter("meterd_uplink_reconnects", "Connections to the broker after the first.",
            s.uplink.reconnects);
  m.gauge("meterd_uplink_inflight", "Outbox rows published, awaiting their PUBACK.",
          static_cast<double>(s.uplink.inflight));
  m.counter("meterd_uplink_volatile_dropped", "Health messages dropped while disconnected.",
            s.uplink.volatile_dropped);
  m.gauge("meterd_uplink_commands_subscribed", "1 while the cmd subscription is granted.",
          s.uplink.commands_subscribed ? 1 : 0);
  m.gauge("meterd_uplink_client_id_conflict", "1 while another client seems to use our id.",
          s.uplink.client_id_conflict ? 1 : 0);
  m.counter("meterd_uplink_client_id_conflicts", "Client id conflict episodes.",
            s.uplink.client_id_conflicts);

  m.counter("meterd_engine_increments", "Energy increments billed.", s.engine.increments);
  m.counter("meterd_engine_ledger_entries", "Ledger entries written.", s.engine.ledger_entries);
  m.counter("meterd_engine_relay_actions", "Relay actions the engine asked for.",
            s.engine.relay_actions);
  m.counter("meterd_engine_relay_failures", "Relay actions that failed.", s.engine.relay_failures);
  m.counter("meterd_engine_energy_reversals", "Energy registers seen going backwards.",
            s.engine.energy_reversals);
  m.counter("meterd_engine_load_trips", "Cut-offs for load over the limit.", s.engine.load_trips);
  m.counter("meterd_engine_auto_restores", "Relays restored automatically.",
            s.engine.auto_restores);
  for (const auto& [state, count] : s.engine.relay_states) {
    m.gauge("meterd_engine_relays", "Relays the engine drives, by relay state.",
            static_cast<double>(count), {{"state", state}});
  }

  m.counter("meterd_commands_received", "Commands received.", s.commands.received);
  m.counter("meterd_commands_accepted", "Commands accepted.", s.commands.accepted);
  m.counter("meterd_commands_duplicates", "Commands received again.", s.commands.duplicates);
  m.counter("meterd_commands_rejected", "Commands refused before the journal.",
            s.commands.rejected);
  m.counter("meterd_commands_done", "Commands done.", s.commands.done);
  m.counter("meterd_commands_failed", "Commands failed.", s.commands.failed);
}

std::string metrics_text(const HealthSnapshot& snapshot, MetricSet::Format format) {
  MetricSet set;
  health_metrics(snapshot, set);
  return set.text(format);
}

}  // namespace meterd
