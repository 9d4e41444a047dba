// SPDX-License-Identifier: Apache-2.0
// The journal's line for a finished command: who asked for what, and how it ended, so
// `journalctl -u meterd` answers "what happened to room 301" without the store. Pure.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace meterd {

// "command c-81 recharge by cloud: done: A101 ok amount=50.0000" or
// "command local-1 relay_open by local:tech1: failed: m1 meter_timeout (no reply ...), m2 ok".
// `body` is the result body (`results`, or `error` for a refusal). At most 8 targets are
// named; the rest are counted. Text from the command is quoted printable.
std::string command_log_line(const std::string& id, const std::string& op,
                             const std::string& operator_id, const std::string& state,
                             const nlohmann::json& body);

}  // namespace meterd
