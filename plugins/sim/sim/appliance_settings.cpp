// SPDX-License-Identifier: Apache-2.0
#include "sim/sim/appliance_settings.h"

#include <set>

#include "core/settings_reader.h"
#include "sim/sim/seeded_hash.h"

namespace meterd::sim {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

constexpr Millis kMaxSpan = hours(24 * 366);

std::optional<RelativePeriod> read_period(SettingsReader& r) {
  RelativePeriod p;
  p.after = r.duration("after", Millis(0), Millis(0), kMaxSpan);
  if (!r.has("for")) {
    r.errors().add(r.pos(), "schedule entry: 'for' is required with 'after'/'every'");
    r.any("every");
    return std::nullopt;
  }
  p.duration = r.duration("for", seconds(1), Millis(1), kMaxSpan);
  if (r.has("every")) {
    p.every = r.duration("every", hours(1), Millis(2), kMaxSpan);
    if (*p.every <= p.duration) {
      r.errors().add(r.pos(), "schedule entry: 'every' must be longer than 'for'");
      return std::nullopt;
    }
  }
  return p;
}

std::optional<DailyWindow> read_window(SettingsReader& r) {
  DailyWindow w;
  bool ok = true;
  for (const char* key : {"from", "to"}) {
    const std::string text = r.required_string(key);
    const std::optional<int> minute = parse_clock_minute(text);
    if (!minute) {
      if (!text.empty()) {
        r.errors().add(r.any(key)->pos,
                       std::string("'") + key + "' must be a local time HH:MM, got '" + text + "'");
      }
      ok = false;
      continue;
    }
    (std::string(key) == "from" ? w.from_minute : w.to_minute) = *minute;
  }
  if (ok && w.from_minute == w.to_minute) {
    r.errors().add(r.pos(), "schedule entry: 'from' and 'to' are the same time");
    ok = false;
  }
  if (!ok) return std::nullopt;
  return w;
}

void read_schedule(const SettingsNode& list, std::vector<RelativePeriod>& periods,
                   std::vector<DailyWindow>& daily, ConfigErrors& errors) {
  for (const SettingsNode& item : list.items) {
    if (!item.is_map()) {
      errors.add(item.pos, "a schedule entry must be a map");
      continue;
    }
    SettingsReader r(item, errors, "schedule entry");
    const bool relative = r.has("after") || r.has("for") || r.has("every");
    const bool clock = r.has("from") || r.has("to");
    if (relative && clock) {
      errors.add(item.pos, "schedule entry: either {after, for, every} or {from, to}, not both");
      for (const char* key : {"after", "for", "every", "from", "to"}) r.any(key);
    } else if (clock) {
      if (auto w = read_window(r)) daily.push_back(*w);
    } else {
      if (auto p = read_period(r)) periods.push_back(*p);
    }
    r.finish();
  }
}

std::optional<RandomUse> read_random(const SettingsNode& node, ConfigErrors& errors) {
  SettingsReader r(node, errors, "random");
  RandomUse use;
  use.every = r.duration("every", hours(1), seconds(2), hours(24));
  use.chance = r.number("chance", 0.5, 0.0, 1.0);
  use.min_for = r.duration("min_for", std::chrono::minutes(1), seconds(1), hours(24));
  use.max_for = r.duration("max_for", std::max<Millis>(use.min_for, std::chrono::minutes(5)),
                           seconds(1), hours(24));
  r.finish();
  if (use.every.count() % 1000 != 0 || use.min_for.count() % 1000 != 0 ||
      use.max_for.count() % 1000 != 0) {
    errors.add(node.pos, "random: 'every', 'min_for' and 'max_for' are whole seconds");
    return std::nullopt;
  }
  if (use.min_for > use.max_for || use.max_for > use.every) {
    errors.add(node.pos, "random: needs min_for <= max_for <= every");
    return std::nullopt;
  }
  return use;
}

}  // namespace

std::optional<int> parse_clock_minute(const std::string& text) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  for (int i : {0, 1, 3, 4}) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  }
  const int hour = (text[0] - '0') * 10 + (text[1] - '0');
  const int minute = (text[3] - '0') * 10 + (text[4] - '0');
  if (minute > 59 || hour > 24 || (hour == 24 && minute != 0)) return std::nullopt;
  return hour * 60 + minute;
}

std::vector<Appliance> read_appliances(const SettingsNode& list, std::uint64_t key,
                                       ConfigErrors& errors) {
  std::vector<Appliance> appliances;
  if (!list.is_sequence()) {
    errors.add(list.pos, "'appliances' must be a list");
    return appliances;
  }
  std::set<std::string> names;
  for (const SettingsNode& item : list.items) {
    if (!item.is_map()) {
      errors.add(item.pos, "an appliance must be a map");
      continue;
    }
    SettingsReader r(item, errors, "appliance");
    Appliance a;
    a.name = r.required_string("name");
    if (!a.name.empty() && !names.insert(a.name).second) {
      errors.add(r.any("name")->pos, "appliance '" + a.name + "' is listed twice");
    }
    a.power_w = static_cast<double>(r.required_integer("power_w", 1, 100'000));
    a.pf = r.number("pf", 1.0, 0.05, 1.0);
    std::vector<RelativePeriod> periods;
    std::vector<DailyWindow> daily;
    std::optional<RandomUse> random;
    if (const SettingsNode* schedule = r.sequence("schedule")) {
      read_schedule(*schedule, periods, daily, errors);
    }
    if (const SettingsNode* node = r.map("random")) random = read_random(*node, errors);
    r.finish();
    a.switching = Switching(std::move(periods), std::move(daily), random,
                            mix(key, name_hash(a.name.c_str())));
    appliances.push_back(std::move(a));
  }
  return appliances;
}

}  // namespace meterd::sim
