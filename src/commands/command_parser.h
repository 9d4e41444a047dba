// SPDX-License-Identifier: Apache-2.0
// Turns a payload from meterd/v1/<gw>/cmd into a Command or a CommandError with the JSON
// pointer and reason of the first problem found. Pure and thread-compatible; never throws,
// whatever the bytes. Authentication is separate (command_auth.h).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "commands/command.h"

namespace meterd {

struct ParseLimits {
  std::size_t max_payload_bytes = std::size_t{64} * 1024;  // larger: too_large, not parsed at all
  int max_depth = 32;                                      // deeper nesting of [ and {: too_large
  std::size_t max_batch_steps = 1000;
  std::size_t max_meters = 1000;                           // in a "meters" target
  std::size_t max_points = 64;                             // in query args
  Money max_amount{1'000'000 * Money::kUnitsPerCurrency};  // recharge/refund, thresholds
};

struct ParsedCommand {
  // The command's id whenever it could be read, even if the rest was refused, so that a failed
  // result can be sent for it.
  std::optional<std::string> id;
  // The "op" member as sent, when it was a string of name characters (known op or not).
  std::optional<std::string> op;
  std::variant<Command, CommandError> outcome;

  bool ok() const { return outcome.index() == 0; }
  const Command& command() const { return std::get<Command>(outcome); }
  const CommandError& error() const { return std::get<CommandError>(outcome); }
};

ParsedCommand parse_command(std::string_view payload, const ParseLimits& limits = {});

}  // namespace meterd
