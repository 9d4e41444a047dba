// SPDX-License-Identifier: Apache-2.0
#include "engine/segment_charge.h"

#include <algorithm>
#include <limits>

namespace meterd {
namespace {

int digit_count(std::int32_t key) {
  int digits = 1;
  while (key >= 10) {
    key /= 10;
    ++digits;
  }
  return digits;
}

// Moves a counter into the period `key`. A later period starts from zero, and so does one of
// another kind (yyyy after yyyymm when a tariff switches from monthly to yearly tiers); an
// earlier one (readings out of order across a boundary) counts into the current period rather
// than resetting it back.
void enter_period(std::int32_t& period, std::int64_t& used_wh, std::int32_t key) {
  if (key > period || digit_count(key) != digit_count(period)) {
    period = key;
    used_wh = 0;
  }
}

// Takes up to `wh` from the allowance; returns the free Wh.
std::int64_t take_allowance(const Allowance& allowance, std::int32_t key, std::int64_t wh,
                            BillingCounters& counters) {
  enter_period(counters.allowance_period, counters.allowance_used_wh, key);
  const std::int64_t left =
      std::max<std::int64_t>(0, allowance.free.wh - counters.allowance_used_wh);
  const std::int64_t free = std::min(wh, left);
  counters.allowance_used_wh += free;
  return free;
}

// The cost of `wh` charged Wh starting at cumulative position `position` of the tier period.
std::int64_t tiered_cost(const Tiers& tiers, Money base, std::int64_t position, std::int64_t wh) {
  std::int64_t cost = 0;
  for (const TierBlock& block : tiers.blocks) {
    if (wh == 0) break;
    const std::int64_t block_end =
        block.up_to ? block.up_to->wh : std::numeric_limits<std::int64_t>::max();
    if (position >= block_end) continue;
    const std::int64_t in_block = std::min(wh, block_end - position);
    cost += (base.units + block.surcharge_per_kwh.units) * in_block;
    position += in_block;
    wh -= in_block;
  }
  // Past the last bounded block of a malformed tier list: the base price alone.
  return cost + base.units * wh;
}

}  // namespace

void charge_segment(const PriceSegment& segment, std::int64_t wh, BillingCounters& counters,
                    PricedIncrement& priced) {
  const int period = static_cast<int>(segment.period);
  priced.wh_by_period[period] += wh;
  const Tariff* tariff = segment.tariff;
  if (tariff == nullptr) {
    priced.unpriced = true;
    return;
  }
  std::int64_t free = 0;
  if (tariff->allowance)
    free = take_allowance(*tariff->allowance, segment.allowance_key, wh, counters);
  priced.free.wh += free;
  const std::int64_t charged = wh - free;
  std::int64_t cost = segment.base_price_per_kwh.units * charged;
  if (tariff->tiers) {
    enter_period(counters.tier_period, counters.tier_wh, segment.tier_key);
    // Free Wh are consumption too: they take the first tier positions.
    cost =
        tiered_cost(*tariff->tiers, segment.base_price_per_kwh, counters.tier_wh + free, charged);
    counters.tier_wh += wh;
  }
  priced.cost_milli_by_period[period] += cost;
}

std::int32_t tier_reached(const PriceSegment& segment, const BillingCounters& counters) {
  const Tariff* tariff = segment.tariff;
  if (tariff == nullptr || !tariff->tiers || counters.tier_wh <= 0) return 0;
  const std::int64_t last_wh = counters.tier_wh - 1;  // its position in the tier period
  std::int32_t tier = 0;
  for (const TierBlock& block : tariff->tiers->blocks) {
    ++tier;
    if (!block.up_to || last_wh < block.up_to->wh) return tier;
  }
  return tier;  // past the last bounded block of a malformed list
}

}  // namespace meterd
