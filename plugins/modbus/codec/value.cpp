// SPDX-License-Identifier: Apache-2.0
#include "modbus/codec/value.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <numeric>

namespace meterd::modbus {
namespace {

std::uint32_t join(std::span<const std::uint16_t> r, WordOrder order) {
  const std::uint32_t hi = order == WordOrder::kHighFirst ? r[0] : r[1];
  const std::uint32_t lo = order == WordOrder::kHighFirst ? r[1] : r[0];
  return (hi << 16) | lo;
}

std::vector<std::uint16_t> split(std::uint32_t v, WordOrder order) {
  const auto hi = static_cast<std::uint16_t>(v >> 16);
  const auto lo = static_cast<std::uint16_t>(v & 0xFFFF);
  return order == WordOrder::kHighFirst ? std::vector<std::uint16_t>{hi, lo}
                                        : std::vector<std::uint16_t>{lo, hi};
}

bool integer_kind(PointKind kind) {
  return kind == PointKind::kEnergyWh || kind == PointKind::kMoney || kind == PointKind::kCount;
}

std::int64_t raw_integer(std::span<const std::uint16_t> r, const ValueFormat& f) {
  switch (f.type) {
    case RegisterType::kU16:
      return r[0];
    case RegisterType::kS16:
      return static_cast<std::int16_t>(r[0]);
    case RegisterType::kU32:
      return join(r, f.order);
    case RegisterType::kS32:
      return static_cast<std::int32_t>(join(r, f.order));
    default:
      return 0;
  }
}

std::int64_t clamp_raw(double raw, RegisterType type) {
  double lo = 0, hi = 0;
  switch (type) {
    case RegisterType::kU16:
      hi = 65535;
      break;
    case RegisterType::kS16:
      lo = -32768;
      hi = 32767;
      break;
    case RegisterType::kU32:
      hi = 4294967295.0;
      break;
    default:
      lo = -2147483648.0;
      hi = 2147483647.0;
      break;
  }
  return static_cast<std::int64_t>(std::llround(std::clamp(raw, lo, hi)));
}

}  // namespace

std::optional<RegisterType> parse_register_type(std::string_view t) {
  if (t == "u16") return RegisterType::kU16;
  if (t == "s16") return RegisterType::kS16;
  if (t == "u32") return RegisterType::kU32;
  if (t == "s32") return RegisterType::kS32;
  if (t == "float32") return RegisterType::kFloat32;
  if (t == "bit") return RegisterType::kBit;
  return std::nullopt;
}

int register_width(RegisterType type) {
  return type == RegisterType::kU32 || type == RegisterType::kS32 || type == RegisterType::kFloat32
             ? 2
             : 1;
}

Scale Scale::times(std::int64_t factor) const {
  Scale s{num * factor, den};
  const std::int64_t g = std::gcd(s.num, s.den);
  return {s.num / g, s.den / g};
}

std::optional<Scale> parse_scale(std::string_view text) {
  if (text.empty() || text.size() > 15) return std::nullopt;
  std::int64_t num = 0, den = 1;
  bool dot = false, digits = false;
  for (char c : text) {
    if (c == '.' && !dot) {
      dot = true;
    } else if (c >= '0' && c <= '9') {
      num = num * 10 + (c - '0');
      if (dot) den *= 10;
      digits = true;
    } else {
      return std::nullopt;
    }
  }
  if (!digits || num == 0) return std::nullopt;
  const std::int64_t g = std::gcd(num, den);
  return Scale{num / g, den / g};
}

Result<PointScalar> decode_value(std::span<const std::uint16_t> r, const ValueFormat& f) {
  if (r.size() != static_cast<std::size_t>(register_width(f.type))) {
    return make_error(ErrorKind::kInternal, "wrong register count for the value type");
  }
  if (f.type == RegisterType::kBit) {
    const bool set = ((r[0] >> f.bit) & 1) != 0;
    return PointScalar{set != f.invert};
  }
  if (f.type == RegisterType::kFloat32) {
    const float v = std::bit_cast<float>(join(r, f.order));
    if (!std::isfinite(v)) return make_error(ErrorKind::kMalformed, "register holds no number");
    const double scaled = static_cast<double>(v) * f.scale.num / f.scale.den;
    if (integer_kind(f.kind)) {
      if (std::fabs(scaled) > 9.0e18) return make_error(ErrorKind::kMalformed, "out of range");
      return PointScalar{static_cast<std::int64_t>(std::llround(scaled))};
    }
    return PointScalar{scaled};
  }
  const std::int64_t raw = raw_integer(r, f);
  if (integer_kind(f.kind)) {
    const __int128 v = static_cast<__int128>(raw) * f.scale.num / f.scale.den;
    return PointScalar{static_cast<std::int64_t>(v)};
  }
  if (f.kind == PointKind::kFlag) return PointScalar{raw != 0};
  return PointScalar{static_cast<double>(raw) * f.scale.num / f.scale.den};
}

std::vector<std::uint16_t> encode_value(const PointScalar& value, const ValueFormat& f) {
  double canonical = 0;
  if (const auto* i = std::get_if<std::int64_t>(&value)) canonical = static_cast<double>(*i);
  if (const auto* d = std::get_if<double>(&value)) canonical = *d;
  if (const auto* b = std::get_if<bool>(&value)) canonical = *b ? 1 : 0;
  if (f.type == RegisterType::kBit) {
    const bool set = (canonical != 0) != f.invert;
    return {static_cast<std::uint16_t>(set ? (1u << f.bit) : 0u)};
  }
  // Exact for integers: raw = v * den / num.
  double raw = 0;
  if (const auto* i = std::get_if<std::int64_t>(&value)) {
    const __int128 n = static_cast<__int128>(*i) * f.scale.den;
    // The integer quotient first, then the remainder as a fraction: exact where it can be.
    // NOLINTNEXTLINE(bugprone-integer-division)
    raw = static_cast<double>(n / f.scale.num) +
          static_cast<double>(n % f.scale.num) / static_cast<double>(f.scale.num);
  } else {
    raw = canonical * f.scale.den / f.scale.num;
  }
  if (f.type == RegisterType::kFloat32) {
    return split(std::bit_cast<std::uint32_t>(static_cast<float>(raw)), f.order);
  }
  const std::int64_t r = clamp_raw(raw, f.type);
  if (register_width(f.type) == 1) return {static_cast<std::uint16_t>(r & 0xFFFF)};
  return split(static_cast<std::uint32_t>(r), f.order);
}

Result<std::vector<std::uint16_t>> encode_exact(std::int64_t value, const ValueFormat& f) {
  if (f.type == RegisterType::kFloat32 || f.type == RegisterType::kBit) {
    return encode_value(PointScalar{value}, f);
  }
  const __int128 scaled = static_cast<__int128>(value) * f.scale.den;
  if (scaled % f.scale.num != 0) {
    return make_error(ErrorKind::kInvalidArgument,
                      std::to_string(value) + " is finer than the register's resolution");
  }
  const __int128 raw = scaled / f.scale.num;
  if (static_cast<double>(raw) !=
      static_cast<double>(clamp_raw(static_cast<double>(raw), f.type))) {
    return make_error(ErrorKind::kInvalidArgument,
                      std::to_string(value) + " does not fit the register");
  }
  return encode_value(PointScalar{value}, f);
}

}  // namespace meterd::modbus
