// SPDX-License-Identifier: Apache-2.0
// price_increment against an independent per-Wh recomputation: random tariff histories
// (single / TOU with seasons and holidays / tiers / allowance, changing over time), random UTC
// offsets and random increments (gaps, multi-day spans, zero-length and backwards ones). The
// reference (brute_force_pricing.h) finds the ms slot of every single Wh under the proportional
// rule and prices it by brute force with its own civil-time arithmetic, so it shares no code
// with the engine.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "engine/brute_force_pricing.h"
#include "engine/pricing.h"

namespace meterd {
namespace {

using namespace brute_force;  // NOLINT(google-build-using-namespace): the reference, in full

// ---- random scenarios ---------------------------------------------------------------------

using Rng = std::mt19937_64;

std::int64_t uniform(Rng& rng, std::int64_t lo, std::int64_t hi) {
  return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
}
bool chance(Rng& rng, int percent) { return uniform(rng, 1, 100) <= percent; }

DaySchedule random_day(Rng& rng) {
  DaySchedule day;
  std::set<int> minutes;
  if (!chance(rng, 10)) minutes.insert(0);  // read_tariff demands 00:00; the engine copes
  const int switches = static_cast<int>(uniform(rng, 1, 6));
  const bool on_hours = chance(rng, 50);
  while (static_cast<int>(minutes.size()) < switches) {
    minutes.insert(on_hours ? 60 * uniform(rng, 0, 23) : uniform(rng, 0, 1439));
  }
  for (int m : minutes) day.push_back({m, static_cast<TouPeriod>(uniform(rng, 0, 3))});
  return day;
}

int random_month_day(Rng& rng) {
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const int month = static_cast<int>(uniform(rng, 1, 12));
  return month * 100 + static_cast<int>(uniform(rng, 1, kDays[month - 1]));
}

Tariff random_tariff(Rng& rng, int index, std::int64_t around_ms, std::int64_t offset_minutes) {
  Tariff t;
  t.id = "t" + std::to_string(index);
  t.price_per_kwh = Money{uniform(rng, 0, 20000)};
  if (chance(rng, 60)) {
    TimeOfUse tou;
    for (auto& price : tou.price_per_kwh) price = Money{uniform(rng, 0, 20000)};
    tou.default_day = random_day(rng);
    for (int s = static_cast<int>(uniform(rng, 0, 2)); s > 0; --s) {
      tou.seasons.push_back({random_month_day(rng), random_month_day(rng), random_day(rng)});
    }
    if (chance(rng, 50)) tou.holiday_day = random_day(rng);
    for (int h = static_cast<int>(uniform(rng, 0, 5)); h > 0; --h) {
      const Civil c = civil_at(around_ms + uniform(rng, -2, 20) * kMsPerDay, offset_minutes);
      tou.holidays.insert(static_cast<std::int32_t>(c.year) * 10000 + c.month * 100 + c.day);
    }
    t.tou = tou;
  }
  if (chance(rng, 50)) {
    Tiers tiers;
    tiers.period = chance(rng, 70) ? CalendarPeriod::kMonth : CalendarPeriod::kYear;
    std::int64_t up_to = 0;
    for (int b = static_cast<int>(uniform(rng, 0, 3)); b > 0; --b) {
      up_to += uniform(rng, 1, 3000);
      tiers.blocks.push_back({Energy{up_to}, Money{uniform(rng, 0, 5000)}});
    }
    tiers.blocks.push_back({std::nullopt, Money{uniform(rng, 0, 5000)}});
    t.tiers = tiers;
  }
  if (chance(rng, 40)) {
    t.allowance = Allowance{chance(rng, 50) ? CalendarPeriod::kDay : CalendarPeriod::kMonth,
                            Energy{uniform(rng, 0, 3000)}};
  }
  return t;
}

std::int64_t random_duration_ms(Rng& rng) {
  const std::int64_t kind = uniform(rng, 1, 100);
  if (kind <= 5) return 0;
  if (kind <= 8) return -uniform(rng, 1, 3 * 3'600'000);  // backwards
  if (kind <= 50) return kMsPerMinute + uniform(rng, -50, 50);
  if (kind <= 90) return uniform(rng, 1, 2 * 3'600'000);
  return uniform(rng, 1, 3 * kMsPerDay);
}

std::string describe(const PricedIncrement& p, const BillingCounters& c) {
  std::string s = "charge=" + std::to_string(p.charge.units) +
                  " free=" + std::to_string(p.free.wh) + " unpriced=" + std::to_string(p.unpriced) +
                  " wh=[";
  for (auto v : p.wh_by_period) s += std::to_string(v) + " ";
  s += "] cost=[";
  for (auto v : p.cost_milli_by_period) s += std::to_string(v) + " ";
  return s + "] tier=" + std::to_string(c.tier_period) + "/" + std::to_string(c.tier_wh) +
         " allowance=" + std::to_string(c.allowance_period) + "/" +
         std::to_string(c.allowance_used_wh) + " carry=" + std::to_string(c.carry_milli);
}

// One random sequence; returns false after the first mismatch (already reported).
bool run_sequence(std::uint64_t seed) {
  Rng rng(seed);
  const std::int64_t offset_minutes =
      chance(rng, 50) ? 60 * uniform(rng, -12, 14) : 15 * uniform(rng, -12 * 4, 14 * 4);
  const LocalZone offset{std::chrono::minutes(offset_minutes)};
  // Somewhere in 2025..2027, on any ms.
  const std::int64_t start = 1'735'689'600'000 + uniform(rng, 0, 3 * 365 * kMsPerDay);
  const int increments = static_cast<int>(uniform(rng, 20, 60));
  const std::int64_t span = increments * 3'600'000 + 2 * kMsPerDay;

  TariffHistory engine_history;
  ReferenceHistory reference_history;
  const int changes = static_cast<int>(uniform(rng, 1, 4));
  for (int i = 0; i < changes; ++i) {
    // The first usually precedes the readings; a few start late so some energy is unpriced.
    std::int64_t at_ms = i == 0 && chance(rng, 85) ? start - uniform(rng, 0, 2 * kMsPerDay)
                                                   : start + uniform(rng, 0, span);
    if (chance(rng, 50)) at_ms -= at_ms % kMsPerMinute;  // on a minute, like real tariffs
    WallTime at = WallTime{Millis(at_ms)};
    if (chance(rng, 10)) at += std::chrono::microseconds(uniform(rng, 1, 999));  // sub-ms
    Tariff tariff = random_tariff(rng, i, start, offset_minutes);
    bool duplicate = false;
    for (const auto& c : reference_history.changes) duplicate |= c.effective_from == at;
    if (duplicate) continue;
    engine_history.add({at, tariff});
    reference_history.changes.push_back({at, tariff});
  }

  BillingCounters engine_counters;
  BillingCounters reference_counters;
  std::int64_t charged = 0;
  std::int64_t reference_milli = 0;
  std::int64_t t = start;
  for (int i = 0; i < increments; ++i) {
    if (chance(rng, 25)) t += uniform(rng, 1, chance(rng, 20) ? 4 * kMsPerDay : 3'600'000);
    if (chance(rng, 4)) t -= uniform(rng, 1, kMsPerDay);  // a reading out of order
    std::int64_t duration = random_duration_ms(rng);
    std::int64_t wh = chance(rng, 10) ? 0 : uniform(rng, 1, chance(rng, 30) ? 2000 : 300);
    if (chance(rng, 10)) {
      // A few Wh over whole hours from a whole hour: Wh slots end exactly on boundaries.
      t = floor_div(t, 3'600'000) * 3'600'000;
      wh = uniform(rng, 1, 4);
      duration = wh * uniform(rng, 1, 48) * 3'600'000;
    } else if (chance(rng, 50)) {
      // On whole minutes, as real readings often are.
      t = floor_div(t, kMsPerMinute) * kMsPerMinute;
      duration = floor_div(duration, kMsPerMinute) * kMsPerMinute;
    }
    const std::int64_t from = t;
    const std::int64_t to = from + duration;
    const PricedIncrement got =
        price_increment(engine_history, offset, engine_counters, WallTime{Millis(from)},
                        WallTime{Millis(to)}, Energy{wh});
    const PricedIncrement want =
        reference_price(reference_history, offset_minutes, reference_counters, from, to, wh);
    charged += got.charge.units;
    for (auto cost : want.cost_milli_by_period) reference_milli += cost;
    const bool same = got.charge == want.charge && got.free == want.free &&
                      got.unpriced == want.unpriced && got.wh_by_period == want.wh_by_period &&
                      got.cost_milli_by_period == want.cost_milli_by_period &&
                      engine_counters == reference_counters;
    if (!same) {
      ADD_FAILURE() << "seed " << seed << " increment " << i << " [" << from << ", " << to
                    << ") wh=" << wh << " offset=" << offset_minutes
                    << "min\n  engine:    " << describe(got, engine_counters)
                    << "\n  reference: " << describe(want, reference_counters);
      return false;
    }
    t = std::max(from, to);
  }
  if (charged * 1000 + engine_counters.carry_milli != reference_milli) {
    ADD_FAILURE() << "seed " << seed << ": charged " << charged << " units + carry "
                  << engine_counters.carry_milli << " milli != reference " << reference_milli;
    return false;
  }
  return true;
}

std::uint64_t base_seed() {
  const char* env = std::getenv("METERD_PRICING_SEED");
  return env ? std::strtoull(env, nullptr, 10) : 20260101;
}

TEST(PricingProperty, MatchesAPerWhRecomputationOnRandomSequences) {
  const std::uint64_t base = base_seed();
  constexpr int kSequences = 400;
  for (int i = 0; i < kSequences; ++i) {
    if (!run_sequence(base + i)) break;  // the first failure says everything, with its seed
  }
}

}  // namespace
}  // namespace meterd
