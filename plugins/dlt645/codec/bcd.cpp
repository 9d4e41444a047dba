// SPDX-License-Identifier: Apache-2.0
#include "dlt645/codec/bcd.h"

#include <limits>

namespace meterd::dlt645 {

namespace {

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

std::optional<std::int64_t> pow10(int exponent) {
  if (exponent < 0 || exponent > 18) return std::nullopt;
  std::int64_t result = 1;
  for (int i = 0; i < exponent; ++i) result *= 10;
  return result;
}

}  // namespace

std::optional<std::uint8_t> bcd_byte_to_int(std::uint8_t byte) {
  const unsigned high = byte >> 4;
  const unsigned low = byte & 0x0F;
  if (high > 9 || low > 9) return std::nullopt;
  return static_cast<std::uint8_t>(high * 10 + low);
}

std::uint8_t int_to_bcd_byte(unsigned value) {
  return static_cast<std::uint8_t>(((value / 10 % 10) << 4) | (value % 10));
}

std::optional<Scaled> decode_bcd(std::span<const std::uint8_t> wire, BcdFormat format) {
  if (format.bytes == 0 || format.bytes > 8 || wire.size() != format.bytes) return std::nullopt;
  bool negative = false;
  std::int64_t value = 0;
  for (std::size_t i = wire.size(); i-- > 0;) {
    std::uint8_t byte = wire[i];
    if (format.is_signed && i + 1 == wire.size()) {
      negative = (byte & 0x80) != 0;
      byte &= 0x7F;
    }
    auto digits = bcd_byte_to_int(byte);
    if (!digits) return std::nullopt;
    value = value * 100 + *digits;  // 8 bytes = 16 digits: fits in int64
  }
  return Scaled{negative ? -value : value, format.decimals};
}

std::optional<std::vector<std::uint8_t>> encode_bcd(std::int64_t value, BcdFormat format) {
  if (format.bytes == 0 || format.bytes > 8) return std::nullopt;
  if (value < 0 && !format.is_signed) return std::nullopt;
  if (value == std::numeric_limits<std::int64_t>::min()) return std::nullopt;
  const bool negative = value < 0;
  std::uint64_t magnitude = static_cast<std::uint64_t>(negative ? -value : value);
  std::vector<std::uint8_t> wire(format.bytes);
  for (auto& byte : wire) {
    byte = int_to_bcd_byte(static_cast<unsigned>(magnitude % 100));
    magnitude /= 100;
  }
  if (magnitude != 0) return std::nullopt;
  if (format.is_signed) {
    if (wire.back() & 0x80) return std::nullopt;  // top digit 8 or 9 collides with the sign
    if (negative) wire.back() |= 0x80;
  }
  return wire;
}

std::optional<std::int64_t> rescale(Scaled number, int decimals) {
  if (decimals >= number.decimals) {
    auto factor = pow10(decimals - number.decimals);
    if (!factor) return std::nullopt;
    const std::int64_t limit = kMax / *factor;
    if (number.value > limit || number.value < -limit) return std::nullopt;
    return number.value * *factor;
  }
  auto divisor = pow10(number.decimals - decimals);
  if (!divisor) return 0;          // more than 18 digits dropped from an int64: nothing is left
  return number.value / *divisor;  // C++ division truncates toward zero
}

bool is_valid(const CivilTime& t) {
  using namespace std::chrono;
  if (t.year < 2000 || t.year > 2099) return false;
  const year_month_day date{year{t.year}, month{static_cast<unsigned>(t.month)},
                            day{static_cast<unsigned>(t.day)}};
  return date.ok() && t.hour >= 0 && t.hour < 24 && t.minute >= 0 && t.minute < 60 &&
         t.second >= 0 && t.second < 60;
}

CivilTime civil_time(WallTime wall, std::chrono::minutes utc_offset) {
  using namespace std::chrono;
  const auto local = floor<seconds>(wall) + utc_offset;
  const auto days = floor<std::chrono::days>(local);
  const year_month_day date{days};
  const hh_mm_ss clock{local - days};
  return CivilTime{static_cast<int>(date.year()),
                   static_cast<int>(static_cast<unsigned>(date.month())),
                   static_cast<int>(static_cast<unsigned>(date.day())),
                   static_cast<int>(clock.hours().count()),
                   static_cast<int>(clock.minutes().count()),
                   static_cast<int>(clock.seconds().count())};
}

CivilTime add_seconds(const CivilTime& t, std::int64_t seconds) {
  using namespace std::chrono;
  const sys_days date{year{t.year} / month{static_cast<unsigned>(t.month)} /
                      day{static_cast<unsigned>(t.day)}};
  const auto wall = date + hours{t.hour} + minutes{t.minute} + std::chrono::seconds{t.second} +
                    std::chrono::seconds{seconds};
  return civil_time(WallTime{duration_cast<WallTime::duration>(wall.time_since_epoch())},
                    minutes{0});
}

std::optional<std::vector<std::uint8_t>> encode_deadline(const CivilTime& t) {
  if (!is_valid(t)) return std::nullopt;
  return std::vector<std::uint8_t>{int_to_bcd_byte(static_cast<unsigned>(t.second)),
                                   int_to_bcd_byte(static_cast<unsigned>(t.minute)),
                                   int_to_bcd_byte(static_cast<unsigned>(t.hour)),
                                   int_to_bcd_byte(static_cast<unsigned>(t.day)),
                                   int_to_bcd_byte(static_cast<unsigned>(t.month)),
                                   int_to_bcd_byte(static_cast<unsigned>(t.year - 2000))};
}

std::optional<CivilTime> decode_deadline(std::span<const std::uint8_t> wire) {
  if (wire.size() != 6) return std::nullopt;
  int fields[6];
  for (std::size_t i = 0; i < 6; ++i) {
    auto value = bcd_byte_to_int(wire[i]);
    if (!value) return std::nullopt;
    fields[i] = *value;
  }
  CivilTime t{2000 + fields[5], fields[4], fields[3], fields[2], fields[1], fields[0]};
  if (!is_valid(t)) return std::nullopt;
  return t;
}

}  // namespace meterd::dlt645
