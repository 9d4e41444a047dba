// SPDX-License-Identifier: Apache-2.0
// The point vocabulary shared by every protocol: a point is a named value of a meter in a
// canonical unit. Energy is integer Wh, money integer 1/10000 currency units, counts integers,
// relay and alarm flags bool, analog measurements double in SI units (V, A, W, var, Hz, %).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"

namespace meterd {

using PointScalar = std::variant<std::int64_t, double, bool>;

enum class PointKind {
  kEnergyWh,  // int64 Wh, monotonic
  kMoney,     // int64 1/10000 currency units
  kCount,     // int64
  kFlag,      // bool
  kAnalog,    // double, unit given by PointInfo::unit
};

struct PointInfo {
  std::string_view name;
  PointKind kind;
  std::string_view unit;  // "Wh", "money", "V", "A", "W", "var", "Hz", "", "%"
};

// The known points. Plugins may only report points named here (or `harmonic_*` analogs).
const std::vector<PointInfo>& known_points();
std::optional<PointInfo> find_point(std::string_view name);

struct PointValue {
  std::string name;
  PointScalar value;
};

struct PointError {
  std::string name;
  Error error;
};

// One successful exchange with a meter: the values it returned and the points that failed
// individually (e.g. a Modbus exception on one register block). A meter that did not answer
// at all is an Error, not a MeterReading.
struct MeterReading {
  std::vector<PointValue> values;
  std::vector<PointError> errors;
};

}  // namespace meterd
