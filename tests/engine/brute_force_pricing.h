// SPDX-License-Identifier: Apache-2.0
// The independent reference for pricing: every single Wh of an increment is put in the ms slot
// where the proportional rule (docs/tariffs.md) makes the count reach it, and priced there by
// brute force with its own civil-time arithmetic, sharing no code with the engine. Shared by
// pricing_property_test (increments alone) and engine_property_test (through the engine).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <vector>

#include "engine/pricing.h"

namespace meterd::brute_force {

inline constexpr std::int64_t kMsPerMinute = 60'000;
inline constexpr std::int64_t kMsPerDay = 86'400'000;

// ---- the reference: civil time (Howard Hinnant's civil_from_days) -------------------------

struct Civil {
  std::int64_t year;
  int month;
  int day;
  int minute_of_day;
};

inline std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

inline Civil civil_at(std::int64_t unix_ms, std::int64_t offset_minutes) {
  const std::int64_t local_ms = unix_ms + offset_minutes * kMsPerMinute;
  const std::int64_t day_number = floor_div(local_ms, kMsPerDay);
  const std::int64_t z = day_number + 719468;
  const std::int64_t era = floor_div(z, 146097);
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  const std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const int minute = static_cast<int>((local_ms - day_number * kMsPerDay) / kMsPerMinute);
  return Civil{year, month, day, minute};
}

inline std::int32_t key_of(CalendarPeriod period, const Civil& c) {
  const auto y = static_cast<std::int32_t>(c.year);
  if (period == CalendarPeriod::kYear) return y;
  if (period == CalendarPeriod::kMonth) return y * 100 + c.month;
  return (y * 100 + c.month) * 100 + c.day;
}

// 0 year (yyyy), 1 month (yyyymm), 2 day (yyyymmdd), -1 none yet.
inline int key_kind(std::int32_t key) {
  if (key == 0) return -1;
  return key >= 10'000'000 ? 2 : key >= 100'000 ? 1 : 0;
}

// ---- the reference: pricing one Wh at a time ----------------------------------------------

struct ReferenceHistory {
  std::vector<TariffChange> changes;  // any order
  const Tariff* at(std::int64_t unix_ms) const {
    const WallTime t{Millis(unix_ms)};
    const TariffChange* best = nullptr;
    for (const auto& c : changes) {
      if (c.effective_from <= t && (!best || c.effective_from > best->effective_from)) best = &c;
    }
    return best ? &best->tariff : nullptr;
  }
};

inline TouPeriod period_in(const DaySchedule& day, int minute) {
  TouPeriod period = TouPeriod::kValley;
  for (const auto& s : day) {
    if (s.minute_of_day <= minute) period = s.period;
  }
  return period;
}

inline TouPeriod tou_period_at(const TimeOfUse& tou, const Civil& c) {
  const std::int32_t date = static_cast<std::int32_t>(c.year) * 10000 + c.month * 100 + c.day;
  if (tou.holidays.count(date)) return period_in(tou.holiday_day, c.minute_of_day);
  const int md = c.month * 100 + c.day;
  for (const auto& season : tou.seasons) {
    const bool in = season.from_month_day <= season.to_month_day
                        ? (md >= season.from_month_day && md <= season.to_month_day)
                        : !(md > season.to_month_day && md < season.from_month_day);
    if (in) return period_in(season.day, c.minute_of_day);
  }
  return period_in(tou.default_day, c.minute_of_day);
}

inline void move_to_period(std::int32_t& period, std::int64_t& used, std::int32_t key) {
  if (key_kind(key) != key_kind(period) || key > period) {
    period = key;
    used = 0;
  }
}

// Prices the single Wh consumed in the ms slot starting at `slot_ms`.
inline void price_one_wh(const ReferenceHistory& history, std::int64_t offset_minutes,
                         std::int64_t slot_ms, BillingCounters& counters, PricedIncrement& out) {
  const Tariff* tariff = history.at(slot_ms);
  if (tariff == nullptr) {
    out.unpriced = true;
    out.wh_by_period[static_cast<int>(TouPeriod::kFlat)] += 1;
    return;
  }
  const Civil c = civil_at(slot_ms, offset_minutes);
  TouPeriod period = TouPeriod::kFlat;
  std::int64_t price = tariff->price_per_kwh.units;
  if (tariff->tou) {
    period = tou_period_at(*tariff->tou, c);
    price = tariff->tou->price_per_kwh[static_cast<int>(period)].units;
  }
  const int p = static_cast<int>(period);
  out.wh_by_period[p] += 1;
  bool free = false;
  if (tariff->allowance) {
    move_to_period(counters.allowance_period, counters.allowance_used_wh,
                   key_of(tariff->allowance->period, c));
    if (counters.allowance_used_wh < tariff->allowance->free.wh) {
      counters.allowance_used_wh += 1;
      free = true;
      out.free.wh += 1;
    }
  }
  if (tariff->tiers) {
    move_to_period(counters.tier_period, counters.tier_wh, key_of(tariff->tiers->period, c));
    if (!free) {
      std::int64_t floor = 0;
      for (const auto& block : tariff->tiers->blocks) {
        if (!block.up_to || (counters.tier_wh >= floor && counters.tier_wh < block.up_to->wh)) {
          price += block.surcharge_per_kwh.units;
          break;
        }
        floor = block.up_to->wh;
      }
    }
    counters.tier_wh += 1;
  }
  if (!free) out.cost_milli_by_period[p] += price;
}

inline PricedIncrement reference_price(const ReferenceHistory& history, std::int64_t offset_minutes,
                                       BillingCounters& counters, std::int64_t from,
                                       std::int64_t to, std::int64_t wh) {
  PricedIncrement out;
  for (std::int64_t k = 1; k <= wh; ++k) {
    std::int64_t slot = to;
    if (to > from) {
      const std::int64_t d = to - from;
      // The first ms t with floor(wh * (t - from) / d) >= k is the end of the k-th Wh's slot.
      const std::int64_t t = from + (k * d + wh - 1) / wh;
      EXPECT_GE(wh * (t - from) / d, k);
      EXPECT_LT(wh * (t - 1 - from) / d, k);
      slot = t - 1;
    }
    price_one_wh(history, offset_minutes, slot, counters, out);
  }
  std::int64_t total = counters.carry_milli;
  for (auto cost : out.cost_milli_by_period) total += cost;
  out.charge.units = floor_div(total, 1000);
  counters.carry_milli = total - out.charge.units * 1000;
  return out;
}

}  // namespace meterd::brute_force
