// SPDX-License-Identifier: Apache-2.0
#include "lonworks/codec/snvt.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace meterd::lonworks {

const std::vector<SnvtInfo>& snvt_table() {
  // name, number, encoding, size, numerator, denominator, unit
  static const std::vector<SnvtInfo> table = {
      {"SNVT_amp", 1, SnvtEncoding::kS16, 2, 1, 10, "A"},
      {"SNVT_elec_kwh", 13, SnvtEncoding::kU16, 2, 1000, 1, "Wh"},
      {"SNVT_power", 27, SnvtEncoding::kU16, 2, 1, 10, "W"},
      {"SNVT_power_kilo", 28, SnvtEncoding::kU16, 2, 100, 1, "W"},
      {"SNVT_volt", 44, SnvtEncoding::kS16, 2, 1, 10, "V"},
      {"SNVT_elec_whr_f", 68, SnvtEncoding::kF32, 4, 1, 1, "Wh", INT64_MIN, INT64_MAX, 0.0},
      {"SNVT_freq_hz", 76, SnvtEncoding::kU16, 2, 1, 10, "Hz"},
      {"SNVT_switch", 95, SnvtEncoding::kSwitch, 2, 1, 1, "switch"},
      {"SNVT_pwr_fact", 98, SnvtEncoding::kS16, 2, 1, 20000, "", -20000, 20000},
      {"SNVT_elec_kwh_l", 146, SnvtEncoding::kS32, 4, 100, 1, "Wh", INT32_MIN, INT32_MAX - 1},
  };
  return table;
}

const SnvtInfo* find_snvt(std::string_view name) {
  for (const auto& info : snvt_table()) {
    if (info.name == name || info.name.substr(5) == name) return &info;
  }
  return nullptr;
}

namespace {

Error malformed(std::string message) {
  return make_error(ErrorKind::kMalformed, std::move(message));
}

std::int64_t raw_integer(SnvtEncoding encoding, std::span<const std::uint8_t> b) {
  switch (encoding) {
    case SnvtEncoding::kU16:
      return b[0] << 8 | b[1];
    case SnvtEncoding::kS16:
      return static_cast<std::int16_t>(b[0] << 8 | b[1]);
    case SnvtEncoding::kS32:
      return static_cast<std::int32_t>(static_cast<std::uint32_t>(b[0]) << 24 | b[1] << 16 |
                                       b[2] << 8 | b[3]);
    default:
      return 0;
  }
}

}  // namespace

Result<SnvtValue> decode_snvt(const SnvtInfo& info, std::span<const std::uint8_t> bytes) {
  if (bytes.size() != info.size) {
    return malformed(std::string(info.name) + " is " + std::to_string(info.size) +
                     " bytes, the NV carried " + std::to_string(bytes.size()));
  }
  SnvtValue out;
  if (info.encoding == SnvtEncoding::kSwitch) {
    const auto state = static_cast<std::int8_t>(bytes[1]);
    if (state < -1 || state > 1) return malformed("SNVT_switch state " + std::to_string(state));
    if (state == -1) return malformed("SNVT_switch is null (state -1)");
    out.value = bytes[0] / 2.0;  // 0..200 = 0..100 % in 0.5 % steps
    out.on = state == 1 && bytes[0] != 0;
    return out;
  }
  if (info.encoding == SnvtEncoding::kF32) {
    const std::uint32_t bits =
        static_cast<std::uint32_t>(bytes[0]) << 24 | bytes[1] << 16 | bytes[2] << 8 | bytes[3];
    const float value = std::bit_cast<float>(bits);
    if (!std::isfinite(value)) return malformed(std::string(info.name) + " is not a finite number");
    if (value < info.float_min) return malformed(std::string(info.name) + " below its range");
    out.value = static_cast<double>(value) * static_cast<double>(info.numerator) /
                static_cast<double>(info.denominator);
    if (info.unit == "Wh") {
      if (std::fabs(out.value) > 9.0e15) return malformed(std::string(info.name) + " out of range");
      out.wh = std::llround(out.value);
    }
    return out;
  }
  const std::int64_t raw = raw_integer(info.encoding, bytes);
  if (raw < info.raw_min || raw > info.raw_max) {
    return malformed(std::string(info.name) + " raw value " + std::to_string(raw) +
                     " is invalid or out of the type's range");
  }
  out.value = static_cast<double>(raw) * static_cast<double>(info.numerator) /
              static_cast<double>(info.denominator);
  if (info.unit == "Wh") out.wh = raw * info.numerator / info.denominator;
  return out;
}

Result<std::vector<std::uint8_t>> encode_snvt(const SnvtInfo& info, double canonical) {
  if (info.encoding == SnvtEncoding::kSwitch) return encode_switch(canonical != 0);
  const double raw =
      canonical * static_cast<double>(info.denominator) / static_cast<double>(info.numerator);
  if (info.encoding == SnvtEncoding::kF32) {
    // A double beyond float's range (or NaN) has no float32 to become.
    if (!(std::fabs(raw) <= std::numeric_limits<float>::max()) || raw < info.float_min) {
      return make_error(ErrorKind::kInvalidArgument,
                        std::to_string(canonical) + " does not fit " + std::string(info.name));
    }
    const auto bits = std::bit_cast<std::uint32_t>(static_cast<float>(raw));
    return std::vector<std::uint8_t>{
        static_cast<std::uint8_t>(bits >> 24), static_cast<std::uint8_t>(bits >> 16),
        static_cast<std::uint8_t>(bits >> 8), static_cast<std::uint8_t>(bits)};
  }
  const double rounded = std::round(raw);
  double lo = 0, hi = 0;
  switch (info.encoding) {
    case SnvtEncoding::kU16:
      lo = 0;
      hi = 65535;
      break;
    case SnvtEncoding::kS16:
      lo = -32768;
      hi = 32767;
      break;
    default:
      lo = std::numeric_limits<std::int32_t>::min();
      hi = std::numeric_limits<std::int32_t>::max();
  }
  lo = std::max(lo, static_cast<double>(info.raw_min));
  hi = std::min(hi, static_cast<double>(info.raw_max));
  if (!(rounded >= lo && rounded <= hi)) {
    return make_error(ErrorKind::kInvalidArgument,
                      std::to_string(canonical) + " does not fit " + std::string(info.name));
  }
  const auto value = static_cast<std::uint32_t>(static_cast<std::int64_t>(rounded));
  if (info.size == 2) {
    return std::vector<std::uint8_t>{static_cast<std::uint8_t>(value >> 8),
                                     static_cast<std::uint8_t>(value)};
  }
  return std::vector<std::uint8_t>{
      static_cast<std::uint8_t>(value >> 24), static_cast<std::uint8_t>(value >> 16),
      static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value)};
}

std::vector<std::uint8_t> encode_switch(bool on) {
  return on ? std::vector<std::uint8_t>{200, 1} : std::vector<std::uint8_t>{0, 0};
}

}  // namespace meterd::lonworks
