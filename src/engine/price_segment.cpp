// SPDX-License-Identifier: Apache-2.0
#include "engine/price_segment.h"

#include <algorithm>
#include <limits>

#include "engine/local_time.h"
#include "engine/tou_schedule.h"

namespace meterd {
namespace {

WallTime from_unix_ms(std::int64_t ms) { return WallTime{Millis(ms)}; }

// A boundary between two ms slots: an instant inside a millisecond takes effect from the
// next whole one.
std::int64_t ceil_unix_ms(WallTime t) {
  return std::chrono::ceil<Millis>(t.time_since_epoch()).count();
}

}  // namespace

PriceSegment price_segment_at(const TariffHistory& tariffs, LocalZone offset, std::int64_t t_ms) {
  const WallTime t = from_unix_ms(t_ms);
  PriceSegment segment;
  segment.tariff = tariffs.at(t);
  const auto next_change = tariffs.next_change_after(t);
  segment.end_ms =
      next_change ? ceil_unix_ms(*next_change) : std::numeric_limits<std::int64_t>::max();
  const Tariff* tariff = segment.tariff;
  if (tariff == nullptr) return segment;

  const LocalDateTime local = to_local(t, offset);
  segment.base_price_per_kwh = tariff->price_per_kwh;
  if (tariff->tou) {
    // The local readings (and with them the TOU slots) may repeat after a DST change.
    const WallTime offset_change = next_offset_change(t, offset);
    if (offset_change != WallTime::max()) {
      segment.end_ms = std::min(segment.end_ms, ceil_unix_ms(offset_change));
    }
    const TouSlot slot = tou_slot(day_schedule_on(*tariff->tou, local.date), local.minute_of_day);
    segment.period = slot.period;
    segment.base_price_per_kwh = tariff->tou->price_per_kwh[static_cast<int>(slot.period)];
    segment.end_ms = std::min(
        segment.end_ms, to_unix_ms(next_local_instant(t, local.date, slot.until_minute, offset)));
  }
  if (tariff->tiers) {
    segment.tier_key = local_period_key(tariff->tiers->period, local.date);
    segment.end_ms = std::min(
        segment.end_ms, to_unix_ms(start_of_next_local_period(tariff->tiers->period, t, offset)));
  }
  if (tariff->allowance) {
    segment.allowance_key = local_period_key(tariff->allowance->period, local.date);
    segment.end_ms =
        std::min(segment.end_ms,
                 to_unix_ms(start_of_next_local_period(tariff->allowance->period, t, offset)));
  }
  return segment;
}

}  // namespace meterd
