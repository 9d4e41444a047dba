// SPDX-License-Identifier: Apache-2.0
// Money and energy as exact integers: money is a count of 1/10000 currency units (prices have
// four decimals), energy a count of Wh. No floating point touches either. Decimal strings are
// parsed and formatted exactly ("12.3456" <-> 123456 units).
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace meterd {

struct Money {
  std::int64_t units = 0;  // 1/10000 currency units

  static constexpr std::int64_t kUnitsPerCurrency = 10'000;
  friend constexpr auto operator<=>(Money, Money) = default;
  friend constexpr Money operator+(Money a, Money b) { return Money{a.units + b.units}; }
  friend constexpr Money operator-(Money a, Money b) { return Money{a.units - b.units}; }
  friend constexpr Money operator-(Money a) { return Money{-a.units}; }
  constexpr Money& operator+=(Money b) {
    units += b.units;
    return *this;
  }
  constexpr Money& operator-=(Money b) {
    units -= b.units;
    return *this;
  }
};

struct Energy {
  std::int64_t wh = 0;

  friend constexpr auto operator<=>(Energy, Energy) = default;
  friend constexpr Energy operator+(Energy a, Energy b) { return Energy{a.wh + b.wh}; }
  friend constexpr Energy operator-(Energy a, Energy b) { return Energy{a.wh - b.wh}; }
  constexpr Energy& operator+=(Energy b) {
    wh += b.wh;
    return *this;
  }
};

// "12.3456", "-0.5", "7": at most 4 decimals, optional leading '-', no exponent, no spaces,
// |value| < 10^14 currency units. Anything else is kInvalidArgument with the reason.
Result<Money> parse_money(std::string_view text);
// Always 4 decimals: 123456 -> "12.3456", -500 -> "-0.0500".
std::string format_money(Money money);

// kWh with at most 3 decimals ("200", "0.5") -> Wh; negative is an error.
Result<Energy> parse_kwh(std::string_view text);
// 1500 -> "1.500"
std::string format_kwh(Energy energy);

}  // namespace meterd
