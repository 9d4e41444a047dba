// SPDX-License-Identifier: Apache-2.0
// Reads a meter's `appliances:` list (see docs/sim.md) into Appliances, reporting every
// problem with its file:line:col. Start-up only (the plugin's factory).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/settings.h"
#include "sim/sim/appliance.h"

namespace meterd::sim {

// `key` seeds the random processes (a hash of the bus seed and the meter); each appliance
// mixes in its name, so two appliances of one room switch independently.
std::vector<Appliance> read_appliances(const SettingsNode& list, std::uint64_t key,
                                       ConfigErrors& errors);

// "HH:MM" (00:00..24:00) as minutes of the day; nullopt when malformed.
std::optional<int> parse_clock_minute(const std::string& text);

}  // namespace meterd::sim
