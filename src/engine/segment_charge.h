// SPDX-License-Identifier: Apache-2.0
// Charges the Wh that fall in one price segment against the account's counters: the free
// allowance first, then the base price plus the surcharge of the tier block each Wh falls in
// (a block threshold may split the Wh of one segment). Internal to the engine; pure, any thread.
#pragma once

#include <cstdint>

#include "engine/price_segment.h"
#include "engine/pricing.h"

namespace meterd {

// Adds `wh` (> 0) consumed in `segment` to `priced` (energy, free energy, milli-unit cost by
// period) and advances `counters`; leaves the carry alone.
void charge_segment(const PriceSegment& segment, std::int64_t wh, BillingCounters& counters,
                    PricedIncrement& priced);

// The tier block (1-based) the counters' last Wh fell in under the segment's tariff; 0 when
// the tariff has no tiers or nothing was counted yet.
std::int32_t tier_reached(const PriceSegment& segment, const BillingCounters& counters);

}  // namespace meterd
