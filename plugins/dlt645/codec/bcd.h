// SPDX-License-Identifier: Apache-2.0
// BCD number codecs of DL/T 645 data fields, on bytes already stripped of the +0x33 offset and
// in wire order (least significant byte first). Numbers decode to exact scaled integers, never
// doubles: XXXXXX.XX 123456.78 is {12345678, 2}. Signed formats keep the sign in the top bit
// of the most significant byte. Also the BCD civil time used by control deadlines. Pure.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/clock.h"

namespace meterd::dlt645 {

struct BcdFormat {
  std::uint8_t bytes = 4;     // 1..8
  std::uint8_t decimals = 0;  // digits after the point
  bool is_signed = false;

  friend bool operator==(const BcdFormat&, const BcdFormat&) = default;
};

// The formats of docs/dlt645.md.
inline constexpr BcdFormat kFmtEnergy{4, 2, false};      // XXXXXX.XX kWh
inline constexpr BcdFormat kFmtMoney{4, 2, false};       // XXXXXX.XX currency
inline constexpr BcdFormat kFmtPrice{4, 4, false};       // XXXX.XXXX per kWh
inline constexpr BcdFormat kFmtVoltage{2, 1, false};     // XXX.X V
inline constexpr BcdFormat kFmtCurrent{3, 3, true};      // XXX.XXX A
inline constexpr BcdFormat kFmtPower{3, 4, true};        // XX.XXXX kW (kvar)
inline constexpr BcdFormat kFmtPowerFactor{2, 3, true};  // X.XXX
inline constexpr BcdFormat kFmtFrequency{2, 2, false};   // XX.XX Hz
inline constexpr BcdFormat kFmtCount{2, 0, false};       // NNNN

// A decimal number: value / 10^decimals.
struct Scaled {
  std::int64_t value = 0;
  int decimals = 0;

  friend bool operator==(const Scaled&, const Scaled&) = default;
};

// nullopt when the size differs from format.bytes or a nibble is not a decimal digit.
std::optional<Scaled> decode_bcd(std::span<const std::uint8_t> wire, BcdFormat format);
// `value` counts units of 10^-format.decimals. nullopt when it does not fit the digits
// (or is negative for an unsigned format).
std::optional<std::vector<std::uint8_t>> encode_bcd(std::int64_t value, BcdFormat format);

// Rescales to `decimals`, truncating toward zero when digits are dropped; nullopt on overflow.
std::optional<std::int64_t> rescale(Scaled number, int decimals);

std::optional<std::uint8_t> bcd_byte_to_int(std::uint8_t byte);  // 0x59 -> 59
std::uint8_t int_to_bcd_byte(unsigned value);                    // 59 -> 0x59; value < 100

// Local civil time as meters keep it (no zone): years 2000..2099.
struct CivilTime {
  int year = 2000;
  int month = 1;
  int day = 1;
  int hour = 0;
  int minute = 0;
  int second = 0;

  friend auto operator<=>(const CivilTime&, const CivilTime&) = default;
};

bool is_valid(const CivilTime& time);
// `wall` shifted by the meter's zone offset (China: +8 h); the offset is a profile setting.
CivilTime civil_time(WallTime wall, std::chrono::minutes utc_offset);
CivilTime add_seconds(const CivilTime& time, std::int64_t seconds);
// ss mm hh DD MM YY, the control-command deadline. nullopt for an invalid time.
std::optional<std::vector<std::uint8_t>> encode_deadline(const CivilTime& time);
std::optional<CivilTime> decode_deadline(std::span<const std::uint8_t> wire);

}  // namespace meterd::dlt645
