// SPDX-License-Identifier: Apache-2.0
// Tariffs as data: a single price, or time-of-use prices (sharp/peak/flat/valley periods by
// local time of day, seasons by date range, a holiday calendar), optionally tiered block
// surcharges on cumulative monthly or yearly consumption, optionally a free base allowance per
// day or month consumed before anything is charged. Prices are per kWh in Money units.
//
// Local time is the site's fixed UTC offset (no DST: the sites we serve keep none); every
// period, day, month and year boundary is a local-time boundary.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/money.h"
#include "core/result.h"
#include "core/settings.h"

namespace date {
class time_zone;
}  // namespace date

namespace meterd {

enum class TouPeriod { kSharp = 0, kPeak = 1, kFlat = 2, kValley = 3 };
inline constexpr int kTouPeriods = 4;
const char* tou_period_name(TouPeriod period);  // "sharp", "peak", "flat", "valley"

// From `minute_of_day` (local, 0..1439) until the next switch, `period` applies.
struct TouSwitch {
  int minute_of_day = 0;
  TouPeriod period = TouPeriod::kFlat;
};

// Sorted by minute; the first switch is at minute 0.
using DaySchedule = std::vector<TouSwitch>;

// A season applies on local dates from..to inclusive, as month*100+day (e.g. 701..930);
// from > to wraps the year end (1101..0228).
struct Season {
  int from_month_day = 101;
  int to_month_day = 1231;
  DaySchedule day;
};

struct TimeOfUse {
  std::array<Money, kTouPeriods> price_per_kwh{};  // indexed by TouPeriod
  DaySchedule default_day;                         // when no season matches
  std::vector<Season> seasons;                     // first match wins
  DaySchedule holiday_day;                         // on holidays (empty: all day valley)
  std::set<std::int32_t> holidays;                 // local dates as yyyymmdd
};

enum class CalendarPeriod { kDay, kMonth, kYear };

// Blocks on cumulative consumption within the period (month or year, local): the block whose
// range the Wh falls in adds its surcharge to the base (single or TOU) price. Blocks are
// sorted; the last has no upper bound.
struct TierBlock {
  std::optional<Energy> up_to;  // cumulative Wh at which this block ends (exclusive)
  Money surcharge_per_kwh;
};
struct Tiers {
  CalendarPeriod period = CalendarPeriod::kMonth;  // kMonth or kYear
  std::vector<TierBlock> blocks;
};

// Free energy per day or month, consumed before any charge (and counted in tiers too).
struct Allowance {
  CalendarPeriod period = CalendarPeriod::kMonth;  // kDay or kMonth
  Energy free;
};

struct Tariff {
  std::string id;
  Money price_per_kwh;  // the single price; ignored when `tou` is set
  std::optional<TimeOfUse> tou;
  std::optional<Tiers> tiers;
  std::optional<Allowance> allowance;
};

struct TariffChange {
  WallTime effective_from;
  Tariff tariff;
};

// The tariffs an account has had, by effective time. Energy is priced by the change in force
// when it was consumed. Empty history: nothing can be priced.
class TariffHistory {
 public:
  // Keeps the changes sorted; a change at the same instant as an existing one replaces it.
  void add(TariffChange change);
  // The tariff in force at `t` (nullptr before the first change).
  const Tariff* at(WallTime t) const;
  // The first effective_from strictly after `t`, if any.
  std::optional<WallTime> next_change_after(WallTime t) const;
  const std::vector<TariffChange>& changes() const { return changes_; }

 private:
  std::vector<TariffChange> changes_;
};

// The site's local time, which TOU periods, days, months and holidays follow: a fixed UTC
// offset (`utc_offset: "+08:00"` = 480 minutes), or an IANA time zone from the system's tz
// database (`timezone: Europe/Berlin`) whose offset follows its DST rules. Cheap to copy; the
// zone is owned by the tz database, which lives as long as the process.
class LocalZone {
 public:
  constexpr LocalZone() = default;
  // Whole minutes in real zones; seconds only from an offset written with them (test benches).
  constexpr explicit LocalZone(std::chrono::seconds fixed_offset) : offset_(fixed_offset) {}
  static LocalZone named(const date::time_zone* zone) {
    LocalZone local;
    local.zone_ = zone;
    return local;
  }

  std::chrono::seconds fixed_offset() const { return offset_; }
  const date::time_zone* zone() const { return zone_; }  // null: the fixed offset applies

 private:
  std::chrono::seconds offset_{0};
  const date::time_zone* zone_ = nullptr;
};
// "+08:00", "-03:30", "Z" / "+00:00"; "+05:29:45" with seconds (for test benches that need
// local midnight at a chosen instant).
Result<LocalZone> parse_utc_offset(std::string_view text);
// An IANA name ("Asia/Shanghai", "Europe/Berlin") from the system tz database
// (/usr/share/zoneinfo); an error names the zone when there is no such zone or no database.
Result<LocalZone> find_time_zone(const std::string& name);

// Reads a tariff from a settings map (YAML in a site file; JSON from a command through the
// same tree), reporting every problem with its position:
//   id: tou-2026                     # required
//   price: "0.6500"                  # single tariff: price per kWh (string or number)
//   tou:                             # or time of use
//     prices: {sharp: "1.2", peak: "0.9", flat: "0.6", valley: "0.3"}
//     day: [{from: "00:00", period: valley}, {from: "08:00", period: peak}, ...]
//     seasons: [{from: "07-01", to: "09-30", day: [...]}]
//     holiday_day: [...]             # default: valley all day
//     holidays: ["2026-10-01", ...]
//   tiers:
//     period: month | year
//     blocks: [{up_to_kwh: "200", surcharge: "0"}, {up_to_kwh: "400", surcharge: "0.05"},
//              {surcharge: "0.30"}]
//   allowance: {period: day | month, kwh: "5"}
// `price` and `tou` are mutually exclusive and one is required.
std::optional<Tariff> read_tariff(const SettingsNode& node, ConfigErrors& errors);

// A tariff from a command: its JSON as given (stored with the change), and what reading it
// like a site file's tariff gave: the tariff, or why it is not one (config/tariff_json.h).
struct CommandTariff {
  std::string json;
  Result<Tariff> tariff;
};

}  // namespace meterd
