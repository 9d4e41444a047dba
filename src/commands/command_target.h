// SPDX-License-Identifier: Apache-2.0
// The target of a command: reading the one of "meter", "account", "meters", "select" that is
// present, and which forms each op accepts. Pure; used by the command parser.
#pragma once

#include <string>

#include "commands/command.h"
#include "commands/command_parser.h"
#include "commands/json_object_reader.h"

namespace meterd {

// Reads the target members of `reader`'s object: NoTarget when none is present; an error (kept
// in `reader`) when two are, or when the one present is malformed.
CommandTarget read_target(JsonObjectReader& reader, const ParseLimits& limits);

bool op_accepts_target(CommandOp op, const CommandTarget& target);
// For messages: "an account", "meter, meters or select", "no target".
std::string describe_accepted_targets(CommandOp op);

}  // namespace meterd
