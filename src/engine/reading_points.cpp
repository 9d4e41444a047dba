// SPDX-License-Identifier: Apache-2.0
#include "engine/reading_points.h"

#include <variant>

namespace meterd {

std::optional<std::int64_t> integer_point(const MeterReading& reading, const std::string& name) {
  for (const PointValue& value : reading.values) {
    if (value.name != name) continue;
    if (const auto* i = std::get_if<std::int64_t>(&value.value)) return *i;
  }
  return std::nullopt;
}

std::optional<bool> flag_point(const MeterReading& reading, const std::string& name) {
  for (const PointValue& value : reading.values) {
    if (value.name != name) continue;
    if (const auto* b = std::get_if<bool>(&value.value)) return *b;
  }
  return std::nullopt;
}

std::optional<double> analog_point(const MeterReading& reading, const std::string& name) {
  for (const PointValue& value : reading.values) {
    if (value.name != name) continue;
    if (const auto* d = std::get_if<double>(&value.value)) return *d;
    if (const auto* i = std::get_if<std::int64_t>(&value.value)) return static_cast<double>(*i);
  }
  return std::nullopt;
}

}  // namespace meterd
