// SPDX-License-Identifier: Apache-2.0
#include "engine/pricing.h"

#include "engine/price_segment.h"
#include "engine/segment_charge.h"

namespace meterd {
namespace {

using Wide = __int128;

std::int64_t floor_unix_ms(WallTime t) {
  return std::chrono::floor<Millis>(t.time_since_epoch()).count();
}

// The Wh consumed before `t`: floor(wh * (t - from) / (to - from)); 128-bit so neither a
// large increment nor a long interval overflows.
std::int64_t consumed_before(std::int64_t t, std::int64_t from, std::int64_t to, std::int64_t wh) {
  return static_cast<std::int64_t>(Wide{wh} * (t - from) / (to - from));
}

// The ms slot in which the `k`-th Wh is consumed: the first t with consumed_before(t) >= k,
// minus one.
std::int64_t slot_of_wh(std::int64_t k, std::int64_t from, std::int64_t to, std::int64_t wh) {
  const Wide scaled = Wide{k} * (to - from);
  return from + static_cast<std::int64_t>((scaled + wh - 1) / wh) - 1;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

}  // namespace

PricedIncrement price_increment(const TariffHistory& tariffs, LocalZone offset,
                                BillingCounters& counters, WallTime from, WallTime to, Energy wh) {
  PricedIncrement priced;
  if (wh.wh <= 0) return priced;
  const std::int64_t from_ms = floor_unix_ms(from);
  const std::int64_t to_ms = floor_unix_ms(to);
  if (to_ms <= from_ms) {
    charge_segment(price_segment_at(tariffs, offset, to_ms), wh.wh, counters, priced);
  } else {
    std::int64_t t = from_ms;
    std::int64_t consumed = 0;
    while (consumed < wh.wh) {
      // Skip stretches with no Wh in them (long gaps with little energy) in one step.
      const std::int64_t next_wh_slot = slot_of_wh(consumed + 1, from_ms, to_ms, wh.wh);
      if (next_wh_slot > t) t = next_wh_slot;
      const PriceSegment segment = price_segment_at(tariffs, offset, t);
      const std::int64_t end = segment.end_ms < to_ms ? segment.end_ms : to_ms;
      const std::int64_t before_end =
          end == to_ms ? wh.wh : consumed_before(end, from_ms, to_ms, wh.wh);
      charge_segment(segment, before_end - consumed, counters, priced);
      consumed = before_end;
      t = end;
    }
  }
  std::int64_t total_milli = counters.carry_milli;
  for (std::int64_t cost : priced.cost_milli_by_period) total_milli += cost;
  priced.charge.units = floor_div(total_milli, 1000);
  counters.carry_milli = total_milli - priced.charge.units * 1000;
  return priced;
}

}  // namespace meterd
