// SPDX-License-Identifier: Apache-2.0
// Reading a plugin's own keys (BusSpec::settings, MeterSpec::settings) with SettingsReader.
#pragma once

#include "core/settings.h"

namespace meterd::plugin {

// A bus or meter may give no plugin keys at all (a null node); SettingsReader wants a map.
// Returns `node` when it is not null, otherwise `empty` made an empty map at `node`'s position
// (so "required key" errors point at the bus or meter). `empty` must outlive the reader.
const SettingsNode& map_or_empty(const SettingsNode& node, SettingsNode& empty);

}  // namespace meterd::plugin
