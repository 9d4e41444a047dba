// SPDX-License-Identifier: Apache-2.0
#include "engine/supply_schedule.h"

#include <array>
#include <charconv>
#include <string>

#include "core/json_text.h"
#include "engine/json_fields.h"
#include "engine/local_time.h"

namespace meterd {
namespace {

constexpr std::array<const char*, 7> kDayNames = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

std::optional<int> parse_two(std::string_view text) {
  int value = -1;
  if (text.size() != 2) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + 2, value);
  if (ec != std::errc{} || end != text.data() + 2) return std::nullopt;
  return value;
}

// "HH:MM", 00:00..24:00.
std::optional<int> parse_minute(const nlohmann::json& json) {
  if (!json.is_string()) return std::nullopt;
  const std::string text = json.get<std::string>();
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  std::optional<int> hours = parse_two(std::string_view(text).substr(0, 2));
  std::optional<int> minutes = parse_two(std::string_view(text).substr(3, 2));
  if (!hours || !minutes || *minutes > 59 || *hours > 24 || (*hours == 24 && *minutes != 0)) {
    return std::nullopt;
  }
  return *hours * 60 + *minutes;
}

std::string format_minute(int minute) {
  std::string out = std::to_string(minute / 60 + 100).substr(1) + ":" +
                    std::to_string(minute % 60 + 100).substr(1);
  return out;
}

// "2026-10-01" -> 20261001.
std::optional<std::int32_t> parse_date(const nlohmann::json& json) {
  if (!json.is_string()) return std::nullopt;
  const std::string text = json.get<std::string>();
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  int y = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + 4, y);
  std::optional<int> m = parse_two(std::string_view(text).substr(5, 2));
  std::optional<int> d = parse_two(std::string_view(text).substr(8, 2));
  if (ec != std::errc{} || end != text.data() + 4 || !m || !d) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year(y),
                                         std::chrono::month(static_cast<unsigned>(*m)),
                                         std::chrono::day(static_cast<unsigned>(*d))};
  if (!date.ok()) return std::nullopt;
  return yyyymmdd(date);
}

Error invalid(const std::string& message) {
  return make_error(ErrorKind::kInvalidArgument, message);
}

Result<SupplyWindow> read_window(const nlohmann::json& json, const std::string& prefix) {
  if (Status s = only_keys(json, {"days", "from", "to"}, prefix); !s) return s.error();
  SupplyWindow window;
  std::optional<int> from = parse_minute(json.value("from", nlohmann::json()));
  std::optional<int> to = parse_minute(json.value("to", nlohmann::json()));
  if (!from || *from == 1440) return invalid(prefix + "from: a local time HH:MM, 00:00..23:59");
  if (!to) return invalid(prefix + "to: a local time HH:MM, 00:00..24:00");
  if (*from == *to) return invalid(prefix + "to: the same as from (a window of no time)");
  window.from_minute = *from;
  window.to_minute = *to;
  if (json.contains("days")) {
    const nlohmann::json& days = json["days"];
    if (!days.is_array() || days.empty())
      return invalid(prefix + "days: a non-empty list of sun..sat");
    window.weekdays = 0;
    for (std::size_t at = 0; at < days.size(); ++at) {
      const nlohmann::json& day = days[at];
      int index = -1;
      for (int i = 0; i < 7; ++i) {
        if (day.is_string() && day.get<std::string>() == kDayNames[i]) index = i;
      }
      if (index < 0) {  // the offending element, as holidays and the whitelist report theirs
        return invalid(prefix + "days/" + std::to_string(at) + ": " + json_text(day) +
                       " is not one of sun..sat");
      }
      window.weekdays |= static_cast<std::uint8_t>(1u << index);
    }
  }
  return window;
}

int weekday_of(std::chrono::year_month_day date) {
  return static_cast<int>(std::chrono::weekday(std::chrono::sys_days(date)).c_encoding());
}

bool window_covers(const SupplyWindow& w, int weekday, int minute) {
  const auto on = [&](int day) { return (w.weekdays >> ((day + 7) % 7)) & 1u; };
  if (w.from_minute < w.to_minute) {
    return on(weekday) && minute >= w.from_minute && minute < w.to_minute;
  }
  // Past midnight: the evening part belongs to today, the morning part to yesterday's window.
  return (on(weekday) && minute >= w.from_minute) || (on(weekday - 1) && minute < w.to_minute);
}

}  // namespace

bool SupplySchedule::allows(WallTime t, LocalZone offset) const {
  if (effective_from && t < *effective_from) return true;
  if (effective_to && t >= *effective_to) return true;
  const LocalDateTime local = to_local(t, offset);
  if (holidays.count(yyyymmdd(local.date))) {
    if (on_holidays == HolidaySupply::kOn) return true;
    if (on_holidays == HolidaySupply::kOff) return false;
  }
  if (windows.empty()) return true;
  const int weekday = weekday_of(local.date);
  for (const SupplyWindow& w : windows) {
    if (window_covers(w, weekday, local.minute_of_day)) return true;
  }
  return false;
}

Result<SupplySchedule> parse_supply_schedule(const nlohmann::json& args) {
  if (Status s = only_keys(
          args, {"windows", "holidays", "on_holidays", "effective_from", "effective_to"}, "/");
      !s) {
    return s.error();
  }
  SupplySchedule schedule;
  if (args.contains("windows")) {
    const nlohmann::json& list = args["windows"];
    if (!list.is_array() || list.size() > 32)
      return invalid("/windows: a list of at most 32 windows");
    for (std::size_t i = 0; i < list.size(); ++i) {
      Result<SupplyWindow> window = read_window(list[i], "/windows/" + std::to_string(i) + "/");
      if (!window) return window.error();
      schedule.windows.push_back(window.value());
    }
  }
  if (args.contains("holidays")) {
    const nlohmann::json& list = args["holidays"];
    if (!list.is_array() || list.size() > 366)
      return invalid("/holidays: a list of at most 366 dates");
    for (std::size_t i = 0; i < list.size(); ++i) {
      std::optional<std::int32_t> date = parse_date(list[i]);
      if (!date) return invalid("/holidays/" + std::to_string(i) + ": a date YYYY-MM-DD");
      schedule.holidays.insert(*date);
    }
  }
  if (args.contains("on_holidays")) {
    const std::string rule =
        args["on_holidays"].is_string() ? args["on_holidays"].get<std::string>() : "";
    if (rule == "on")
      schedule.on_holidays = HolidaySupply::kOn;
    else if (rule == "off")
      schedule.on_holidays = HolidaySupply::kOff;
    else if (rule == "windows")
      schedule.on_holidays = HolidaySupply::kWindows;
    else
      return invalid("/on_holidays: one of on, off, windows");
  }
  for (auto [key, field] : {std::pair{"effective_from", &schedule.effective_from},
                            std::pair{"effective_to", &schedule.effective_to}}) {
    Result<std::optional<std::int64_t>> ms = optional_int_field(args, key, 0, 253402300799999, "/");
    if (!ms) return ms.error();
    if (ms.value()) *field = WallTime{} + std::chrono::milliseconds(*ms.value());
  }
  if (schedule.effective_from && schedule.effective_to &&
      *schedule.effective_to <= *schedule.effective_from) {
    return invalid("/effective_to: not after effective_from");
  }
  if (schedule.windows.empty() &&
      (schedule.holidays.empty() || schedule.on_holidays != HolidaySupply::kOff)) {
    return invalid(
        "/windows: at least one window (or holidays with on_holidays off, or {\"clear\": true})");
  }
  return schedule;
}

nlohmann::json supply_schedule_json(const SupplySchedule& schedule) {
  nlohmann::json windows = nlohmann::json::array();
  for (const SupplyWindow& w : schedule.windows) {
    nlohmann::json days = nlohmann::json::array();
    for (int i = 0; i < 7; ++i) {
      if ((w.weekdays >> i) & 1u) days.push_back(kDayNames[i]);
    }
    windows.push_back({{"days", days},
                       {"from", format_minute(w.from_minute)},
                       {"to", format_minute(w.to_minute)}});
  }
  nlohmann::json holidays = nlohmann::json::array();
  for (std::int32_t d : schedule.holidays) {
    holidays.push_back(std::to_string(d / 10000) + "-" +
                       std::to_string(d / 100 % 100 + 100).substr(1) + "-" +
                       std::to_string(d % 100 + 100).substr(1));
  }
  const char* rule = schedule.on_holidays == HolidaySupply::kOn    ? "on"
                     : schedule.on_holidays == HolidaySupply::kOff ? "off"
                                                                   : "windows";
  nlohmann::json out{{"windows", windows}, {"holidays", holidays}, {"on_holidays", rule}};
  if (schedule.effective_from) out["effective_from"] = to_unix_ms(*schedule.effective_from);
  if (schedule.effective_to) out["effective_to"] = to_unix_ms(*schedule.effective_to);
  return out;
}

}  // namespace meterd
