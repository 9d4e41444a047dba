// SPDX-License-Identifier: Apache-2.0
#include "commands/stats_period.h"

#include <algorithm>
#include <chrono>

#include "engine/period_summary.h"

namespace meterd {
namespace {

using namespace std::chrono;

bool digits(std::string_view text, std::size_t from, std::size_t count, int& out) {
  out = 0;
  for (std::size_t i = from; i < from + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

year_month_day date_of(std::int32_t key, UsageGranularity g) {
  if (g == UsageGranularity::kMonth) key = key * 100 + 1;
  return year{key / 10000} / month{static_cast<unsigned>(key / 100 % 100)} /
         day{static_cast<unsigned>(key % 100)};
}

}  // namespace

std::optional<std::int32_t> parse_stats_period(std::string_view text, UsageGranularity g) {
  const bool is_day = g == UsageGranularity::kDay;
  if (text.size() != (is_day ? 10u : 7u) || text[4] != '-' || (is_day && text[7] != '-')) {
    return std::nullopt;
  }
  int y = 0, m = 0, d = 1;
  if (!digits(text, 0, 4, y) || !digits(text, 5, 2, m) || (is_day && !digits(text, 8, 2, d))) {
    return std::nullopt;
  }
  const year_month_day date{year{y}, month{static_cast<unsigned>(m)},
                            day{static_cast<unsigned>(d)}};
  if (!date.ok() || y < 1970) return std::nullopt;
  return is_day ? y * 10000 + m * 100 + d : y * 100 + m;
}

std::string format_stats_period(std::int32_t key, UsageGranularity g) {
  return local_period_text(key, g);
}

int stats_period_count(std::int32_t from, std::int32_t to, UsageGranularity g) {
  if (g == UsageGranularity::kMonth) {
    return (to / 100 * 12 + to % 100) - (from / 100 * 12 + from % 100) + 1;
  }
  return static_cast<int>((sys_days{date_of(to, g)} - sys_days{date_of(from, g)}).count()) + 1;
}

std::int32_t shift_stats_period(std::int32_t key, UsageGranularity g, int months) {
  const year_month_day date = date_of(key, g);
  const year_month shifted = year_month{date.year(), date.month()} + std::chrono::months{months};
  const unsigned last = static_cast<unsigned>(
      year_month_day_last{shifted.year(), month_day_last{shifted.month()}}.day());
  const unsigned d = std::min(static_cast<unsigned>(date.day()), last);
  const std::int32_t month_key = static_cast<int>(shifted.year()) * 100 +
                                 static_cast<int>(static_cast<unsigned>(shifted.month()));
  return g == UsageGranularity::kMonth ? month_key : month_key * 100 + static_cast<std::int32_t>(d);
}

}  // namespace meterd
