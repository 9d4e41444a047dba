// SPDX-License-Identifier: Apache-2.0
// Standard network variable types (SNVTs) a meter exposes, as data: each is a wire encoding
// (big-endian integer or float32, or the SNVT_switch structure), a scale to a canonical unit
// and that unit. Sizes, signedness and scales per Echelon's SNVT master list (see
// docs/lonworks.md for the table and where each came from). Pure.
#pragma once

#include <climits>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace meterd::lonworks {

enum class SnvtEncoding { kU16, kS16, kS32, kF32, kSwitch };

struct SnvtInfo {
  std::string_view name;  // "SNVT_elec_kwh"
  int number;             // the SNVT index
  SnvtEncoding encoding;
  std::size_t size;  // bytes on the wire
  // canonical = raw * numerator / denominator, in `unit`
  std::int64_t numerator;
  std::int64_t denominator;
  std::string_view unit;  // "Wh", "W", "V", "A", "Hz", "" (ratio), "switch"
  // Raw integers outside [raw_min, raw_max] are no reading (the type's invalid value or out
  // of its defined range); floats below float_min likewise.
  std::int64_t raw_min = INT64_MIN;
  std::int64_t raw_max = INT64_MAX;
  double float_min = -1e300;
};

const std::vector<SnvtInfo>& snvt_table();
const SnvtInfo* find_snvt(std::string_view name);  // by name ("SNVT_volt" or "volt")

// A decoded value in the canonical unit. Energy SNVTs decode exactly to integer Wh
// (`wh`); SNVT_switch gives `on` (state 1 with a nonzero level) and `level` (0..100 %).
struct SnvtValue {
  double value = 0;
  std::optional<std::int64_t> wh;
  std::optional<bool> on;
};

// Errors: wrong length, NaN/inf floats, values outside the type's range (SNVT_elec_kwh_l's
// invalid 0x7FFFFFFF, a power factor beyond +-1, a negative SNVT_elec_whr_f), a switch state other
// than 0/1 (-1 is SNVT_switch's null value: no reading either).
Result<SnvtValue> decode_snvt(const SnvtInfo& info, std::span<const std::uint8_t> bytes);
// The nearest wire value of a canonical value (for the simulator and NV updates); errors when
// out of the type's range.
Result<std::vector<std::uint8_t>> encode_snvt(const SnvtInfo& info, double canonical);
std::vector<std::uint8_t> encode_switch(bool on);

}  // namespace meterd::lonworks
