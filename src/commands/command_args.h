// SPDX-License-Identifier: Apache-2.0
// The "args" object of every op but batch: typed where the gateway acts on the values itself,
// kept as JSON (after a shape check) where an engine reads them later. Pure; used by the
// command parser.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "commands/command.h"
#include "commands/command_parser.h"
#include "commands/json_object_reader.h"

namespace meterd {

// `args` is an object at JSON pointer `path`; `op` is not kBatch.
Checked<CommandArgs> parse_args(CommandOp op, const nlohmann::json& args, const std::string& path,
                                const ParseLimits& limits);

}  // namespace meterd
