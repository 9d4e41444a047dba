// SPDX-License-Identifier: Apache-2.0
#include "engine/pricing.h"

#include <algorithm>
#include <limits>

#include "engine/local_time.h"
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

// Charges one segment's `wh` and, when pieces are wanted, records them as the share of `day`.
void charge_piece(const PriceSegment& segment, std::int64_t wh, std::int32_t day,
                  BillingCounters& counters, PricedIncrement& priced,
                  std::vector<PricedPiece>* pieces) {
  const int p = static_cast<int>(segment.period);
  const std::int64_t cost_before = priced.cost_milli_by_period[p];
  const std::int64_t free_before = priced.free.wh;
  charge_segment(segment, wh, counters, priced);
  if (pieces == nullptr) return;
  const std::int64_t cost = priced.cost_milli_by_period[p] - cost_before;
  const std::int64_t free = priced.free.wh - free_before;
  const std::int32_t tier = tier_reached(segment, counters);
  if (!pieces->empty() && pieces->back().day == day && pieces->back().period == segment.period) {
    pieces->back().wh += wh;
    pieces->back().free_wh += free;
    pieces->back().cost_milli += cost;
    pieces->back().tier = std::max(pieces->back().tier, tier);
    return;
  }
  pieces->push_back(PricedPiece{day, segment.period, wh, free, cost, 0, tier});
}

}  // namespace

PricedIncrement price_increment(const TariffHistory& tariffs, LocalZone offset,
                                BillingCounters& counters, WallTime from, WallTime to, Energy wh,
                                std::vector<PricedPiece>* pieces) {
  PricedIncrement priced;
  if (pieces) pieces->clear();
  if (wh.wh <= 0) return priced;
  const std::int64_t carry_before = counters.carry_milli;
  const std::int64_t from_ms = floor_unix_ms(from);
  const std::int64_t to_ms = floor_unix_ms(to);
  if (to_ms <= from_ms) {
    const std::int32_t day = pieces ? local_day_key(WallTime{Millis(to_ms)}, offset) : 0;
    charge_piece(price_segment_at(tariffs, offset, to_ms), wh.wh, day, counters, priced, pieces);
  } else {
    std::int64_t t = from_ms;
    std::int64_t consumed = 0;
    std::int32_t day = 0;
    std::int64_t day_end_ms = std::numeric_limits<std::int64_t>::min();
    while (consumed < wh.wh) {
      // Skip stretches with no Wh in them (long gaps with little energy) in one step.
      const std::int64_t next_wh_slot = slot_of_wh(consumed + 1, from_ms, to_ms, wh.wh);
      if (next_wh_slot > t) t = next_wh_slot;
      const PriceSegment segment = price_segment_at(tariffs, offset, t);
      std::int64_t end = segment.end_ms < to_ms ? segment.end_ms : to_ms;
      if (pieces) {
        if (t >= day_end_ms) {
          const WallTime at{Millis(t)};
          day = local_day_key(at, offset);
          day_end_ms = to_unix_ms(start_of_next_local_day(at, offset));
        }
        end = std::min(end, day_end_ms);
      }
      const std::int64_t before_end =
          end == to_ms ? wh.wh : consumed_before(end, from_ms, to_ms, wh.wh);
      if (before_end > consumed) {
        charge_piece(segment, before_end - consumed, day, counters, priced, pieces);
      }
      consumed = before_end;
      t = end;
    }
  }
  std::int64_t total_milli = counters.carry_milli;
  for (std::int64_t cost : priced.cost_milli_by_period) total_milli += cost;
  priced.charge.units = floor_div(total_milli, 1000);
  counters.carry_milli = total_milli - priced.charge.units * 1000;
  if (pieces) {
    // Whole units in time order: each piece gets what its cost completes on top of the carry.
    std::int64_t running = carry_before;
    for (PricedPiece& piece : *pieces) {
      piece.cost = floor_div(running + piece.cost_milli, 1000) - floor_div(running, 1000);
      running += piece.cost_milli;
    }
  }
  return priced;
}

}  // namespace meterd
