// SPDX-License-Identifier: Apache-2.0
// Turns YAML text into a SettingsNode tree with a 1-based file:line:col on every node and map
// key. The only file in the project that includes yaml-cpp. Pure function; any thread.
#pragma once

#include <optional>
#include <string>

#include "core/settings.h"

namespace meterd {

// Parses the single YAML document in `text`; `file` names it in positions.
// A syntax error is fatal: it becomes one error with its position and the result is nullopt.
// Duplicate map keys, non-scalar or empty map keys and extra documents are reported as errors
// but do not stop the parse (the first occurrence of a duplicate key wins), so the caller can
// go on validating and report everything in one run.
// An empty document yields a null node. Aliases are expanded into copies of their anchor.
std::optional<SettingsNode> yaml_to_settings(const std::string& text, const std::string& file,
                                             ConfigErrors& errors);

}  // namespace meterd
