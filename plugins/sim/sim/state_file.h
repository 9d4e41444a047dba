// SPDX-License-Identifier: Apache-2.0
// The sim bus's state file (`sim-<bus>.json` in the daemon's state folder): its JSON form,
// checked field by field on the way in (a corrupt file is an error value, never an exception
// or a crash), and an atomic replace (temporary file, fsync, rename) on the way out.
// Bus thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "sim/sim/meter_state.h"

namespace meterd::sim {

std::string encode_bus_state(const BusState& state);
Result<BusState> decode_bus_state(std::string_view text);

// `sim-<bus>.json` in `dir`, with any character of the bus name that is not [A-Za-z0-9._-]
// replaced by '_'.
std::string state_file_path(const std::string& dir, const std::string& bus_name);

// The file's contents; nullopt when it does not exist; an error when it cannot be read.
Result<std::optional<std::string>> read_state_file(const std::string& path);
// Replaces `path` with `text` so that a crash leaves either the old or the new file.
Status write_state_file(const std::string& path, const std::string& text);

}  // namespace meterd::sim
