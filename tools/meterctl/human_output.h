// SPDX-License-Identifier: Apache-2.0
// meterctl's default output: a reply of meterd's control socket as plain lines and aligned
// tables for a person (docs/meterctl.md); `--json` prints the reply itself instead. Total over
// every JSON value: a member missing or of another type prints as "-", never throws. Pure.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "request_builder.h"

namespace meterctl {

// `now_ms`: unix milliseconds, for ages ("3m20s ago").
std::string human_text(ReplyKind kind, const nlohmann::json& reply, std::int64_t now_ms);

// "45s", "3m20s", "2h05m", "3d04h".
std::string format_age(std::int64_t seconds);

}  // namespace meterctl
