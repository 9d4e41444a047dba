// SPDX-License-Identifier: Apache-2.0
// One named point of a reading, by type: nullopt when the reading lacks it or it has another
// type (analog_point takes an integer too). Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/driver.h"

namespace meterd {

std::optional<std::int64_t> integer_point(const MeterReading& reading, const std::string& name);
std::optional<bool> flag_point(const MeterReading& reading, const std::string& name);
std::optional<double> analog_point(const MeterReading& reading, const std::string& name);

}  // namespace meterd
