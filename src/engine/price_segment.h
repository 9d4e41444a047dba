// SPDX-License-Identifier: Apache-2.0
// The facts that decide the price of a Wh at one instant (tariff, TOU period, tier and
// allowance periods) and the instant they stop holding, so pricing can split an increment at
// every boundary and nowhere else. Internal to the engine; pure, any thread.
#pragma once

#include <cstdint>

#include "engine/tariff.h"

namespace meterd {

struct PriceSegment {
  const Tariff* tariff = nullptr;  // nullptr: before the first tariff, nothing is priced
  TouPeriod period = TouPeriod::kFlat;
  Money base_price_per_kwh;
  std::int32_t tier_key = 0;       // set when the tariff has tiers
  std::int32_t allowance_key = 0;  // set when the tariff has an allowance
  std::int64_t end_ms = 0;         // unix ms, exclusive; the facts hold on [t, end_ms)
};

// The segment starting at unix ms `t_ms`; end_ms > t_ms always.
PriceSegment price_segment_at(const TariffHistory& tariffs, LocalZone offset, std::int64_t t_ms);

}  // namespace meterd
