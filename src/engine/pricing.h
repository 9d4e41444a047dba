// SPDX-License-Identifier: Apache-2.0
// Pricing an energy increment: the Wh consumed between two readings of a meter (at `from` and
// `to`) is spread evenly over that time, split at every boundary that changes its price (TOU
// switch, season, holiday, day/month/year boundary of tiers and allowance, tariff change),
// then each piece is priced: free allowance first, then the base price plus the tier block's
// surcharge. Exact: the split is integer (the Wh consumed before instant t is
// floor(wh * (t - from) / (to - from)) with times in ms, so the pieces sum to the increment)
// and costs are in 1/1000 of a Money unit, the remainder carried to the next increment.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "core/money.h"
#include "engine/tariff.h"

namespace meterd {

// Per-account state that pricing reads and advances; persisted with the ledger.
struct BillingCounters {
  std::int32_t tier_period = 0;       // local yyyymm (month tiers) or yyyy (year tiers)
  std::int64_t tier_wh = 0;           // Wh consumed so far in tier_period
  std::int32_t allowance_period = 0;  // local yyyymmdd (daily) or yyyymm (monthly)
  std::int64_t allowance_used_wh = 0;
  std::int64_t carry_milli = 0;  // cost not yet deducted, 1/1000 Money unit, in [0, 1000)

  friend bool operator==(const BillingCounters&, const BillingCounters&) = default;
};

struct PricedIncrement {
  Money charge;  // whole Money units to deduct now (carry applied)
  Energy free;   // Wh covered by the allowance
  // All Wh, free and unpriced ones included (single tariff and unpriced: flat).
  std::array<std::int64_t, kTouPeriods> wh_by_period{};
  std::array<std::int64_t, kTouPeriods> cost_milli_by_period{};  // before carry
  bool unpriced = false;  // some energy fell before the first tariff: priced at nothing
};

// The share of an increment that falls in one local day and TOU period, for the statistics
// rollups. `cost` is in whole Money units: the increment's charge handed out piece by piece in
// time order, each piece getting the whole units its cost completes on top of the carry, so
// the pieces' costs sum exactly to the charge.
struct PricedPiece {
  std::int32_t day = 0;  // local yyyymmdd
  TouPeriod period = TouPeriod::kFlat;
  std::int64_t wh = 0;
  std::int64_t free_wh = 0;
  std::int64_t cost_milli = 0;  // before carry
  std::int64_t cost = 0;
  std::int32_t tier = 0;  // the highest tier block (1-based) its Wh reached; 0: no tiers
};

// Prices `wh` consumed over [from, to) and advances `counters`. `to <= from` puts it all at
// `to`. A period key older than the counters' (readings out of order across a boundary)
// counts into the current period rather than resetting it back; a key of another kind (yyyy
// after yyyymm, when a tariff's tier period changes) starts afresh. Counters move only under a
// tariff with tiers (allowance). `wh` <= 0 prices nothing and changes nothing. Times are taken
// in whole ms (floored); a tariff change inside a ms takes effect from the next whole ms.
// With `pieces`, also splits at local midnights (which changes no price: the Wh before each
// instant are the same) and replaces `*pieces` with the increment by day and period.
PricedIncrement price_increment(const TariffHistory& tariffs, LocalZone offset,
                                BillingCounters& counters, WallTime from, WallTime to, Energy wh,
                                std::vector<PricedPiece>* pieces = nullptr);

}  // namespace meterd
