// SPDX-License-Identifier: Apache-2.0
// Pieces of read_tariff shared by its files. Internal to the engine; report every problem to
// the reader's ConfigErrors with a position and go on, so one run lists them all.
#pragma once

#include <optional>
#include <string>

#include "core/settings_reader.h"
#include "engine/tariff.h"

namespace meterd {

// Prices and surcharges per kWh: 0..10000 currency units.
inline constexpr Money kMaxPricePerKwh{10'000 * Money::kUnitsPerCurrency};

// A money value under `key`, from the scalar's text (a YAML number or string, never via
// double); nullopt when absent (an error if required) or invalid (always an error).
std::optional<Money> read_price(SettingsReader& reader, const std::string& key, bool required);

// `tou:` (a map).
std::optional<TimeOfUse> read_time_of_use(const SettingsNode& node, ConfigErrors& errors);

}  // namespace meterd
