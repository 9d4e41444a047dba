// SPDX-License-Identifier: Apache-2.0
#include <array>
#include <chrono>
#include <string>

#include "core/settings_reader.h"
#include "engine/tariff_settings_parts.h"

namespace meterd {
namespace {

constexpr std::array<TouPeriod, kTouPeriods> kAllPeriods = {TouPeriod::kSharp, TouPeriod::kPeak,
                                                            TouPeriod::kFlat, TouPeriod::kValley};

std::optional<int> digits(const std::string& text, std::size_t at, std::size_t count) {
  int value = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (i >= text.size() || text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

// "HH:MM" -> minute of day.
std::optional<int> parse_clock(const std::string& text) {
  auto hours = digits(text, 0, 2);
  auto minutes = digits(text, 3, 2);
  if (text.size() != 5 || text[2] != ':' || !hours || !minutes || *hours > 23 || *minutes > 59) {
    return std::nullopt;
  }
  return *hours * 60 + *minutes;
}

bool valid_date(int year, int month, int day) {
  return std::chrono::year_month_day{std::chrono::year{year},
                                     std::chrono::month{static_cast<unsigned>(month)},
                                     std::chrono::day{static_cast<unsigned>(day)}}
      .ok();
}

// "MM-DD" -> month*100+day; 02-29 is a valid season edge.
std::optional<int> parse_month_day(const std::string& text) {
  auto month = digits(text, 0, 2);
  auto day = digits(text, 3, 2);
  if (text.size() != 5 || text[2] != '-' || !month || !day || !valid_date(2000, *month, *day)) {
    return std::nullopt;
  }
  return *month * 100 + *day;
}

// "YYYY-MM-DD" -> yyyymmdd.
std::optional<std::int32_t> parse_date(const std::string& text) {
  auto year = digits(text, 0, 4);
  auto month = digits(text, 5, 2);
  auto day = digits(text, 8, 2);
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !year || !month || !day ||
      !valid_date(*year, *month, *day)) {
    return std::nullopt;
  }
  return *year * 10000 + *month * 100 + *day;
}

std::optional<TouPeriod> period_named(const std::string& name) {
  for (TouPeriod period : kAllPeriods) {
    if (name == tou_period_name(period)) return period;
  }
  return std::nullopt;
}

using UsedPeriods = std::array<const SettingsNode*, kTouPeriods>;  // first use, for positions

// [{from: "00:00", period: valley}, ...]: starts at 00:00, strictly increasing.
DaySchedule read_day(const SettingsNode& list, const std::string& what, UsedPeriods& used,
                     ConfigErrors& errors) {
  DaySchedule day;
  if (list.items.empty()) errors.add(list.pos, what + " must list at least one switch");
  for (const SettingsNode& item : list.items) {
    SettingsReader r(item, errors, what + " switch");
    if (!item.is_map()) continue;
    const std::string from = r.required_string("from");
    const std::string name = r.required_string("period");
    r.finish();
    const auto minute = parse_clock(from);
    const auto period = period_named(name);
    if (r.has("from") && !from.empty() && !minute) {
      errors.add(r.any("from")->pos,
                 "'from' must be a local time like \"08:00\", got '" + from + "'");
    }
    if (r.has("period") && !name.empty() && !period) {
      errors.add(r.any("period")->pos,
                 "'period' must be one of sharp, peak, flat, valley, got '" + name + "'");
    }
    if (!minute || !period) continue;
    if (day.empty() && *minute != 0) {
      errors.add(r.any("from")->pos, what + " must start at \"00:00\"");
    } else if (!day.empty() && *minute <= day.back().minute_of_day) {
      errors.add(r.any("from")->pos,
                 "switch times must increase; '" + from + "' is not after the switch before");
    }
    const int index = static_cast<int>(*period);
    if (used[index] == nullptr) used[index] = r.any("period");
    day.push_back({*minute, *period});
  }
  return day;
}

std::optional<DaySchedule> read_day_key(SettingsReader& r, const std::string& key, bool required,
                                        UsedPeriods& used, ConfigErrors& errors) {
  const SettingsNode* list = r.sequence(key, required);
  if (list == nullptr) return std::nullopt;
  return read_day(*list, "'" + key + "'", used, errors);
}

std::vector<Season> read_seasons(const SettingsNode& list, UsedPeriods& used,
                                 ConfigErrors& errors) {
  std::vector<Season> seasons;
  for (const SettingsNode& item : list.items) {
    SettingsReader r(item, errors, "season");
    if (!item.is_map()) continue;
    Season season;
    for (const char* key : {"from", "to"}) {
      const std::string text = r.required_string(key);
      const auto md = parse_month_day(text);
      if (r.has(key) && !md) {
        errors.add(r.any(key)->pos,
                   std::string("'") + key + "' must be a date like \"07-01\", got '" + text + "'");
      }
      (std::string(key) == "from" ? season.from_month_day : season.to_month_day) = md.value_or(0);
    }
    season.day = read_day_key(r, "day", true, used, errors).value_or(DaySchedule{});
    r.finish();
    seasons.push_back(std::move(season));
  }
  return seasons;
}

std::set<std::int32_t> read_holidays(const SettingsNode& list, ConfigErrors& errors) {
  std::set<std::int32_t> holidays;
  for (const SettingsNode& item : list.items) {
    const auto date = item.is_scalar() ? parse_date(item.scalar) : std::nullopt;
    if (!date) {
      errors.add(item.pos, "holidays must be dates like \"2026-10-01\"" +
                               (item.is_scalar() ? ", got '" + item.scalar + "'" : std::string()));
    } else if (!holidays.insert(*date).second) {
      errors.add(item.pos, "holiday " + item.scalar + " is listed twice");
    }
  }
  return holidays;
}

// Every period a schedule uses needs a price; the others default to zero.
std::array<Money, kTouPeriods> read_prices(const SettingsNode& node, const UsedPeriods& used,
                                           ConfigErrors& errors) {
  std::array<Money, kTouPeriods> prices{};
  SettingsReader r(node, errors, "'prices'");
  for (TouPeriod period : kAllPeriods) {
    const int index = static_cast<int>(period);
    const std::string name = tou_period_name(period);
    const bool given = r.has(name);
    prices[index] = read_price(r, name, false).value_or(Money{});
    if (!given && used[index] != nullptr) {
      errors.add(used[index]->pos, "period '" + name + "' has no price in 'prices'");
    }
  }
  r.finish();
  return prices;
}

}  // namespace

std::optional<TimeOfUse> read_time_of_use(const SettingsNode& node, ConfigErrors& errors) {
  SettingsReader r(node, errors, "tou");
  TimeOfUse tou;
  UsedPeriods used{};
  tou.default_day = read_day_key(r, "day", true, used, errors).value_or(DaySchedule{});
  if (const SettingsNode* seasons = r.sequence("seasons")) {
    tou.seasons = read_seasons(*seasons, used, errors);
  }
  tou.holiday_day = read_day_key(r, "holiday_day", false, used, errors).value_or(DaySchedule{});
  if (const SettingsNode* holidays = r.sequence("holidays")) {
    tou.holidays = read_holidays(*holidays, errors);
    // An empty holiday day is valley all day.
    if (!tou.holidays.empty() && tou.holiday_day.empty() &&
        used[static_cast<int>(TouPeriod::kValley)] == nullptr) {
      used[static_cast<int>(TouPeriod::kValley)] = holidays;
    }
  }
  if (const SettingsNode* prices = r.map("prices", true)) {
    tou.price_per_kwh = read_prices(*prices, used, errors);
  }
  r.finish();
  return tou;
}

}  // namespace meterd
