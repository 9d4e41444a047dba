// SPDX-License-Identifier: Apache-2.0
// What one reply line of meterd's control socket means for meterctl: its exit status and, for
// anything but success, one readable line for the technician. Total over every JSON value (a
// reply of any shape is judged, never thrown on). Pure; any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace meterctl {

inline constexpr int kExitDone = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;  // and connection errors, a reply not in time included

struct ReplyOutcome {
  int exit_code = kExitFailed;
  std::string message;  // empty when done; otherwise why, e.g. "refused: invalid_amount at ..."
};

// `is_report`: the request was a report (`status`, `meters`, ...) or `backup`, whose reply is a
// report (the health JSON, the backup's summary) rather than a command's result.
ReplyOutcome judge_reply(const nlohmann::json& reply, bool is_report);

}  // namespace meterctl
