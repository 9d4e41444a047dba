// SPDX-License-Identifier: Apache-2.0
#include "core/money.h"

namespace meterd {
namespace {

Error invalid(std::string_view text, const std::string& why) {
  // Appended rather than chained with operator+, which trips GCC 12's -Wrestrict at -O2.
  std::string message = "'";
  message += text;
  message += "' ";
  message += why;
  return make_error(ErrorKind::kInvalidArgument, std::move(message));
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A decimal with at most `decimals` fraction digits as an integer count of 10^-decimals;
// the whole part must stay below `whole_limit`.
Result<std::int64_t> parse_fixed(std::string_view text, int decimals, std::int64_t whole_limit,
                                 bool allow_negative) {
  const std::string_view original = text;
  const bool negative = !text.empty() && text.front() == '-';
  if (negative) {
    if (!allow_negative) return invalid(original, "must not be negative");
    text.remove_prefix(1);
  }
  const std::size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  if (whole.empty()) return invalid(original, "needs digits before any decimal point");
  if (dot != std::string_view::npos && fraction.empty()) {
    return invalid(original, "needs digits after the decimal point");
  }
  std::int64_t value = 0;
  for (char c : whole) {
    if (!is_digit(c)) return invalid(original, "is not a plain decimal number");
    value = value * 10 + (c - '0');
    if (value >= whole_limit) {
      return invalid(original, "is too large (limit " + std::to_string(whole_limit) + ")");
    }
  }
  if (fraction.size() > static_cast<std::size_t>(decimals)) {
    return invalid(original, "has more than " + std::to_string(decimals) + " decimals");
  }
  std::int64_t scaled_fraction = 0;
  for (int i = 0; i < decimals; ++i) {
    const char c = i < static_cast<int>(fraction.size()) ? fraction[i] : '0';
    if (!is_digit(c)) return invalid(original, "is not a plain decimal number");
    scaled_fraction = scaled_fraction * 10 + (c - '0');
    value *= 10;
  }
  value += scaled_fraction;
  return negative ? -value : value;
}

std::string format_fixed(std::int64_t value, std::uint64_t scale, int decimals) {
  // Unsigned magnitude: -INT64_MIN does not fit an int64.
  const std::uint64_t magnitude =
      value < 0 ? 0 - static_cast<std::uint64_t>(value) : static_cast<std::uint64_t>(value);
  const std::string fraction = std::to_string(magnitude % scale);
  std::string text = value < 0 ? "-" : "";
  text += std::to_string(magnitude / scale);
  text += '.';
  text.append(static_cast<std::size_t>(decimals) - fraction.size(), '0');
  text += fraction;
  return text;
}

}  // namespace

Result<Money> parse_money(std::string_view text) {
  auto units = parse_fixed(text, 4, 100'000'000'000'000, true);
  if (!units) return units.error();
  return Money{units.value()};
}

std::string format_money(Money money) { return format_fixed(money.units, 10'000, 4); }

Result<Energy> parse_kwh(std::string_view text) {
  auto wh = parse_fixed(text, 3, 1'000'000'000'000, false);
  if (!wh) return wh.error();
  return Energy{wh.value()};
}

std::string format_kwh(Energy energy) { return format_fixed(energy.wh, 1000, 3); }

}  // namespace meterd
