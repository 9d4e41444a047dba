// SPDX-License-Identifier: Apache-2.0
// Merges a drop-in file's tree into the configuration read so far (docs/config-format.md,
// "Drop-ins"). Pure function on SettingsNode trees; any thread.
#pragma once

#include "core/settings.h"

namespace meterd {

// Merges `later` (the root of a drop-in) into `merged`, by these rules:
//  - maps merge key by key, recursively; a key new to `merged` is added;
//  - a list of maps (buses, meters, poll groups, tariffs, accounts, ...) appends its items:
//    the readers then report a name given twice as a duplicate with both positions;
//  - a scalar, or a list of plain values (mqtt.servers, points, an account's meters), in the
//    later file replaces the earlier value whole; an empty key (null) written earlier is
//    replaced by anything;
//  - anything else (a map against a list, a scalar against a map, ...) is an error at the
//    later value naming where the earlier one is written, and the earlier value stays.
// Every node keeps the position of the file it was written in.
void merge_drop_in(SettingsNode& merged, const SettingsNode& later, ConfigErrors& errors);

}  // namespace meterd
