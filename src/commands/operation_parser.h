// SPDX-License-Identifier: Apache-2.0
// One operation - op, target and args - read from a command object: the envelope itself or a
// step of a batch (where it recurses). Pure; used by the command parser.
#pragma once

#include "commands/command.h"
#include "commands/command_parser.h"
#include "commands/json_object_reader.h"

namespace meterd {

// Reads "op", the target members and "args" of `reader`'s object, marking them known (the
// caller reads the other members and calls finish()). Errors are returned. `in_batch`: batch,
// cancel and get_result are refused, as a batch step cannot be one.
Checked<BatchStep> parse_operation(JsonObjectReader& reader, const ParseLimits& limits,
                                   bool in_batch);

}  // namespace meterd
