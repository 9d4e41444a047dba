// SPDX-License-Identifier: Apache-2.0
// Register values <-> canonical point values, pure. A value is 1 or 2 registers of a type
// (u16, s16, u32, s32, float32, or one bit of a u16) in a word order, times an exact
// rational scale that already folds in the unit conversion (0.01 kWh -> 10/1 Wh), so integer
// kinds (energy Wh, money 1/10000, counts) are computed without floating point.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/point.h"
#include "core/result.h"

namespace meterd::modbus {

enum class RegisterType { kU16, kS16, kU32, kS32, kFloat32, kBit };
enum class WordOrder { kHighFirst, kLowFirst };

std::optional<RegisterType> parse_register_type(std::string_view text);
int register_width(RegisterType type);  // 1 or 2

// An exact positive rational num/den.
struct Scale {
  std::int64_t num = 1;
  std::int64_t den = 1;
  Scale times(std::int64_t factor) const;
};
// "0.01", "10", "1", "0.001": decimals only (no exponent, no sign); nullopt otherwise.
std::optional<Scale> parse_scale(std::string_view text);

struct ValueFormat {
  RegisterType type = RegisterType::kU16;
  WordOrder order = WordOrder::kHighFirst;
  int bit = 0;          // kBit: 0..15
  bool invert = false;  // kBit: 1 means false
  Scale scale;          // register units -> canonical units
  PointKind kind = PointKind::kAnalog;
};

// `registers` holds exactly register_width(type) words. Integer kinds: raw * num / den,
// truncated toward zero; float registers for integer kinds round to nearest.
Result<PointScalar> decode_value(std::span<const std::uint16_t> registers,
                                 const ValueFormat& format);
// The inverse, for simulators and action arguments: the registers holding `value`
// (rounded to the register's resolution, clamped to the type's range).
std::vector<std::uint16_t> encode_value(const PointScalar& value, const ValueFormat& format);
// An action argument (canonical integer units) as registers, exactly or not at all:
// kInvalidArgument when it is finer than the register's resolution or outside the type's
// range, so a command never writes a rounded or clamped value. Float registers take any value.
Result<std::vector<std::uint16_t>> encode_exact(std::int64_t value, const ValueFormat& format);

}  // namespace meterd::modbus
