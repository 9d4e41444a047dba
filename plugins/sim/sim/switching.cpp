// SPDX-License-Identifier: Apache-2.0
#include "sim/sim/switching.h"

#include <algorithm>

#include "sim/sim/local_clock.h"
#include "sim/sim/seeded_hash.h"

namespace meterd::sim {
namespace {

constexpr std::int64_t kMsPerSecond = 1000;

WallTime at_ms(std::int64_t ms) { return WallTime{} + Millis(ms); }

bool in_window(const DailyWindow& w, int minute) {
  if (w.from_minute < w.to_minute) return minute >= w.from_minute && minute < w.to_minute;
  return minute >= w.from_minute || minute < w.to_minute;  // past midnight
}

}  // namespace

Switching::Switching(std::vector<RelativePeriod> periods, std::vector<DailyWindow> daily,
                     std::optional<RandomUse> random, std::uint64_t key)
    : periods_(std::move(periods)), daily_(std::move(daily)), random_(random), key_(key) {}

std::optional<Switching::Run> Switching::random_run(std::int64_t index) const {
  const RandomUse& r = *random_;
  const std::uint64_t h = mix(key_, static_cast<std::uint64_t>(index));
  if (unit(h) >= r.chance) return std::nullopt;
  const std::int64_t min_s = r.min_for.count() / kMsPerSecond;
  const std::int64_t max_s = r.max_for.count() / kMsPerSecond;
  const std::int64_t every_s = r.every.count() / kMsPerSecond;
  const std::int64_t span = max_s - min_s + 1;
  const std::int64_t duration_s = std::min(
      max_s, min_s + static_cast<std::int64_t>(unit(mix(h, 1)) * static_cast<double>(span)));
  const std::int64_t slack = every_s - duration_s + 1;
  const std::int64_t offset_s =
      static_cast<std::int64_t>(unit(mix(h, 2)) * static_cast<double>(slack));
  const std::int64_t begin =
      index * r.every.count() + std::min(offset_s, every_s - duration_s) * kMsPerSecond;
  return Run{begin, begin + duration_s * kMsPerSecond};
}

bool Switching::on_at(WallTime t, WallTime start) const {
  const std::int64_t now = to_unix_ms(t);
  for (const RelativePeriod& p : periods_) {
    std::int64_t x = now - to_unix_ms(start) - p.after.count();
    if (x < 0) continue;
    if (p.every) x %= p.every->count();
    if (x < p.duration.count()) return true;
  }
  if (!daily_.empty()) {
    const int minute = local_minute_of_day(t);
    for (const DailyWindow& w : daily_) {
      if (in_window(w, minute)) return true;
    }
  }
  if (random_) {
    const std::int64_t index = floor_div(now, random_->every.count());
    if (auto run = random_run(index); run && now >= run->begin_ms && now < run->end_ms) return true;
  }
  return false;
}

std::optional<WallTime> Switching::next_change(WallTime t, WallTime start) const {
  const std::int64_t now = to_unix_ms(t);
  std::optional<std::int64_t> next;
  auto consider = [&](std::int64_t ms) {
    if (ms > now && (!next || ms < *next)) next = ms;
  };
  for (const RelativePeriod& p : periods_) {
    const std::int64_t base = to_unix_ms(start) + p.after.count();
    const std::int64_t x = now - base;
    if (x < 0) {
      consider(base);
    } else if (p.every) {
      const std::int64_t cycle = x / p.every->count();
      const std::int64_t cycle_start = base + cycle * p.every->count();
      consider(cycle_start + p.duration.count());
      consider(cycle_start + p.every->count());
    } else {
      consider(base + p.duration.count());
    }
  }
  if (random_) {
    const std::int64_t index = floor_div(now, random_->every.count());
    if (auto run = random_run(index)) {
      consider(run->begin_ms);
      consider(run->end_ms);
    }
    consider((index + 1) * random_->every.count());  // the next period's dice
  }
  if (!next) return std::nullopt;
  return at_ms(*next);
}

}  // namespace meterd::sim
