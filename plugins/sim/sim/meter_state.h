// SPDX-License-Identifier: Apache-2.0
// What a simulated meter keeps across a daemon restart, as a real meter keeps it in its own
// memory: its registers (energy, TOU bands, balance, purchase count, price) and its relay,
// which latches. Plain values; any thread.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace meterd::sim {

struct MeterState {
  std::int64_t energy_wh = 0;
  std::array<std::int64_t, 4> band_wh{};  // sharp, peak, flat, valley
  std::int64_t carry_wms = 0;             // W*ms not yet a whole Wh
  std::optional<std::int64_t> balance;    // 1/10000 units; none: no meter-side balance
  std::int64_t cost_carry = 0;            // price*Wh not yet a whole 1/10000 unit (per 1000)
  std::int64_t price_per_kwh = 0;
  std::int64_t purchase_count = 0;
  bool relay_closed = true;
  bool operator==(const MeterState&) const = default;
};

// One bus's state file: when its simulated world started (relative schedules count from it),
// when it was saved, and each meter's registers by meter id.
struct BusState {
  std::int64_t started_ms = 0;
  std::int64_t saved_ms = 0;
  std::map<std::string, MeterState> meters;
  bool operator==(const BusState&) const = default;
};

}  // namespace meterd::sim
