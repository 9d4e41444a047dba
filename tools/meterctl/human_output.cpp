// SPDX-License-Identifier: Apache-2.0
#include "human_output.h"

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <vector>

namespace meterctl {
namespace {

using json = nlohmann::json;
using Row = std::vector<std::string>;

const json& member(const json& object, const char* key) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  const auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

// Any scalar as a person reads it; "-" for null or a missing member.
std::string text(const json& value) {
  if (value.is_null()) return "-";
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "yes" : "no";
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string text(const json& object, const char* key) { return text(member(object, key)); }

std::string age_of(const json& seconds) {
  if (!seconds.is_number_integer()) return "-";
  return format_age(seconds.get<std::int64_t>());
}

std::string bytes(const json& value) {
  if (!value.is_number()) return "-";
  const double b = value.get<double>();
  char out[32];
  if (b >= 1e9) {
    std::snprintf(out, sizeof out, "%.1f GB", b / 1e9);
  } else if (b >= 1e6) {
    std::snprintf(out, sizeof out, "%.1f MB", b / 1e6);
  } else if (b >= 1e3) {
    std::snprintf(out, sizeof out, "%.1f kB", b / 1e3);
  } else {
    std::snprintf(out, sizeof out, "%.0f B", b);
  }
  return out;
}

std::string table(const std::vector<Row>& rows) {
  std::vector<std::size_t> widths;
  for (const Row& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  std::string out;
  for (const Row& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line += std::string(widths[c] - row[c].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

std::string field(const std::string& name, const std::string& value) {
  return name + std::string(name.size() < 13 ? 13 - name.size() : 1, ' ') + value + "\n";
}

std::string relay_text(const json& relay) {
  if (!relay.is_object()) return "-";
  std::string out = text(relay, "reported");
  if (out == "-") out = "?";
  const std::string state = text(relay, "state");
  if (state != "settled" && state != "-")
    out += " (" + state + ", wanted " + text(relay, "wanted") + ")";
  return out;
}

std::string meters_table(const json& meters) {
  std::vector<Row> rows{
      {"METER", "BUS", "STATE", "SINCE", "LAST READING", "RELAY", "ERRORS", "ACCOUNT"}};
  if (meters.is_array()) {
    for (const json& m : meters) {
      rows.push_back(
          {text(m, "meter"), text(m, "bus"), text(m, "state"),
           age_of(member(m, "since_age_s")) + (member(m, "since_age_s").is_null() ? "" : " ago"),
           age_of(member(m, "last_reading_age_s")) +
               (member(m, "last_reading_age_s").is_null() ? "" : " ago"),
           relay_text(member(m, "relay")), text(m, "poll_errors"), text(m, "account")});
    }
  }
  return table(rows);
}

std::string status_text(const json& r, std::int64_t) {
  std::string out;
  out += field("gateway", text(r, "gw") + " (store " + text(r, "store_id") + ")");
  const json& versions = member(r, "versions");
  out +=
      field("version", "meterd " + text(versions, "meterd") + ", plugin ABI " +
                           text(versions, "plugin_abi") + ", schema " + text(versions, "schema"));
  out += field("uptime", age_of(member(r, "uptime_s")));
  out += field("uplink", member(r, "connected").is_boolean() && member(r, "connected").get<bool>()
                             ? "connected to " + text(r, "server") + ", " + text(r, "reconnects") +
                                   " reconnects"
                             : "down (" + text(r, "reconnects") + " reconnects so far)");
  out += field("backlog",
               text(r, "backlog_rows") + " rows, oldest " + age_of(member(r, "backlog_age_s")));
  out += field("store", text(r, "store_state") + ", " + bytes(member(r, "store_bytes")) +
                            " used, " + bytes(member(r, "disk_free_bytes")) + " free on disk, " +
                            text(r, "evicted_rows") + " evicted");
  const json& clock = member(r, "clock");
  out += field("clock", (member(clock, "synchronized").is_boolean() &&
                                 member(clock, "synchronized").get<bool>()
                             ? std::string("synchronized")
                             : std::string("NOT synchronized (time-of-use prices may be wrong)")) +
                            " [" + text(clock, "source") + "]");
  const json& meters = member(r, "meters");
  out += field("meters", text(meters, "online") + " online, " + text(meters, "offline") +
                             " offline, " + text(meters, "unknown") + " not yet polled, " +
                             text(meters, "cut_off") + " cut off");
  const json& commands = member(r, "commands");
  out += field("commands", text(commands, "received") + " received, " + text(commands, "done") +
                               " done, " + text(commands, "failed") + " failed, " +
                               text(commands, "rejected") + " rejected");
  out += field("config", text(r, "config_hash"));
  std::string flags;
  if (member(r, "flags").is_array()) {
    for (const json& f : member(r, "flags")) flags += (flags.empty() ? "" : ", ") + text(f);
  }
  out += field("flags", flags.empty() ? "none" : flags);
  out += field("errors", text(r, "internal_errors") + " internal");
  std::vector<Row> rows{{"BUS", "POLLS", "ERRORS", "TIMEOUTS", "OFFLINE", "LATENCY AVG/MAX ms"}};
  if (member(r, "buses").is_array()) {
    for (const json& b : member(r, "buses")) {
      char latency[64];
      std::snprintf(
          latency, sizeof latency, "%.0f/%.0f",
          member(b, "latency_avg_ms").is_number() ? member(b, "latency_avg_ms").get<double>() : 0.0,
          member(b, "latency_max_ms").is_number() ? member(b, "latency_max_ms").get<double>()
                                                  : 0.0);
      rows.push_back({text(b, "name"), text(b, "polls"), text(b, "poll_errors"),
                      text(b, "timeouts"), text(b, "offline_meters"), latency});
    }
  }
  if (rows.size() == 1) return out + "buses        figures come with the first health interval\n";
  return out + "\n" + table(rows);
}

std::string account_text(const json& r) {
  std::string out;
  const std::string name = text(r, "name");
  const bool named = name != "-" && !name.empty() && name != text(r, "account");
  out += field("account", text(r, "account") + (named ? " (" + name + ")" : ""));
  out += field("balance", text(r, "balance"));
  out += field("alarm level", text(r, "alarm_level"));
  out += field("billing", text(r, "mode") + (member(r, "closed") == true ? ", closed" : ""));
  out += "\n" + meters_table(member(r, "meters"));
  std::vector<Row> rows{{"RECENT", "KIND", "AMOUNT", "BALANCE AFTER", "ORDER"}};
  if (member(r, "recent_recharges").is_array()) {
    for (const json& m : member(r, "recent_recharges")) {
      std::string when = "-";
      if (member(m, "ts").is_number_integer()) {
        const std::time_t t = member(m, "ts").get<std::int64_t>() / 1000;
        char buffer[32];
        std::tm tm{};
        ::gmtime_r(&t, &tm);
        std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%SZ", &tm);
        when = buffer;
      }
      rows.push_back({when, text(m, "kind"), text(m, "amount"), text(m, "balance_after"),
                      text(m, "order_id")});
    }
  }
  out += "\n";
  out += rows.size() == 1 ? std::string("no recharges yet\n") : table(rows);
  return out;
}

std::string backlog_text(const json& r) {
  std::string out;
  out += field("rows", text(r, "rows"));
  out += field("bytes", bytes(member(r, "bytes")));
  out += field("oldest", member(r, "oldest_seq").is_null()
                             ? std::string("- (nothing waits)")
                             : "seq " + text(r, "oldest_seq") + ", " +
                                   age_of(member(r, "oldest_age_s")) + " old");
  out += field("last seq", text(r, "last_seq"));
  out += field("store", text(r, "store_state") + ", " + bytes(member(r, "store_bytes")) + " used");
  return out;
}

// A stats result: one line per period, the total and the comparison.
std::string stats_text(const json& result) {
  if (!member(result, "periods").is_array()) return "";
  std::vector<Row> rows{{"  period", "energy", "cost", "max demand"}};
  auto line = [&rows](const std::string& name, const json& figures) {
    const json& demand = member(figures, "demand");
    rows.push_back({"  " + name, text(figures, "energy_wh") + " Wh", text(figures, "cost"),
                    demand.is_object() ? text(demand, "w") + " W" : std::string("-")});
  };
  for (const json& period : member(result, "periods")) line(text(period, "period"), period);
  line("total", member(result, "total"));
  const json& compare = member(result, "compare");
  if (compare.is_object()) {
    line(text(compare, "kind") + " " + text(compare, "from") + ".." + text(compare, "to"),
         member(compare, "total"));
    const json& change = member(compare, "change");
    auto pct = [&change](const char* key) {
      return member(change, key).is_null() ? std::string("n/a") : text(change, key) + "%";
    };
    rows.push_back({"  change", text(change, "energy_wh") + " Wh (" + pct("energy_pct") + ")",
                    text(change, "cost") + " (" + pct("cost_pct") + ")",
                    text(change, "demand_w") + " W (" + pct("demand_pct") + ")"});
  }
  return table(rows);
}

std::string command_text(const json& r) {
  std::string out = text(r, "op") + " " + text(r, "id") + ": " + text(r, "state") + "\n";
  if (member(r, "error").is_object()) {
    const json& e = member(r, "error");
    out += "  " + text(e, "code") + ": " + text(e, "message") + "\n";
  }
  if (!member(r, "results").is_array()) return out;
  std::vector<Row> rows;
  for (const json& result : member(r, "results")) {
    Row row{"  " + text(result, "target"), member(result, "ok") == true ? "ok" : "FAILED"};
    std::string detail;
    auto add = [&detail](const std::string& part) {
      detail += (detail.empty() ? "" : "  ") + part;
    };
    if (member(result, "ok") != true) add(text(result, "code") + ": " + text(result, "message"));
    for (const char* key : {"amount", "balance_after"}) {
      if (!member(result, key).is_null()) add(std::string(key) + "=" + text(result, key));
    }
    if (member(result, "order_applied_before") == true) add("(order applied before: nothing new)");
    if (member(result, "values").is_object()) {
      for (const auto& [name, value] : member(result, "values").items())
        add(name + "=" + text(value));
    }
    if (member(result, "errors").is_object()) {
      for (const auto& [name, value] : member(result, "errors").items())
        add(name + ": " + text(value));
    }
    row.push_back(detail);
    rows.push_back(std::move(row));
  }
  out += table(rows);
  for (const json& result : member(r, "results")) out += stats_text(result);
  return out;
}

}  // namespace

std::string format_age(std::int64_t s) {
  if (s < 0) s = 0;
  char out[32];
  if (s < 60) {
    std::snprintf(out, sizeof out, "%llds", static_cast<long long>(s));
  } else if (s < 3600) {
    std::snprintf(out, sizeof out, "%lldm%02llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  } else if (s < 86400) {
    std::snprintf(out, sizeof out, "%lldh%02lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>(s % 3600 / 60));
  } else {
    std::snprintf(out, sizeof out, "%lldd%02lldh", static_cast<long long>(s / 86400),
                  static_cast<long long>(s % 86400 / 3600));
  }
  return out;
}

std::string human_text(ReplyKind kind, const json& reply, std::int64_t now_ms) {
  switch (kind) {
    case ReplyKind::kStatus:
      return status_text(reply, now_ms);
    case ReplyKind::kMeters:
      return meters_table(member(reply, "meters"));
    case ReplyKind::kAccount:
      return account_text(reply);
    case ReplyKind::kBacklog:
      return backlog_text(reply);
    case ReplyKind::kBackup:
      return "backup written to " + text(reply, "backup") + ": " + bytes(member(reply, "bytes")) +
             ", last seq " + text(reply, "last_seq") + ", new store_id " + text(reply, "store_id") +
             " (source " + text(reply, "source_store_id") + ")\n";
    case ReplyKind::kCommand:
      return command_text(reply);
  }
  return "";
}

}  // namespace meterctl
