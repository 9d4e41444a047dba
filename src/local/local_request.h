// SPDX-License-Identifier: Apache-2.0
// One request line of the technician's control socket (docs/meterctl.md), judged before
// anything acts on it: a report (`status`, `meters`, `account` of an id, `backlog`), `backup`
// of the store to a path, a command envelope to hand to the command intake, or a refusal with
// the reply line that says why. Total over every byte string; never throws
// for the content of the line. Pure; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace meterd {

struct LocalRequest {
  enum class Kind { kStatus, kMeters, kAccount, kBacklog, kBackup, kCommand, kRefused };
  Kind kind = Kind::kRefused;
  std::string command;            // kCommand: the envelope as JSON text
  std::optional<std::string> id;  // kCommand: its id when readable (a result will name it)
  std::string backup_path;        // kBackup: an absolute path
  std::string account_id;         // kAccount: a non-empty id
  std::string refusal;            // kRefused, or kCommand without an id: the reply line
};

LocalRequest read_local_request(std::string_view line);

// kStatus, kMeters, kAccount and kBacklog: a report answered from the daemon's state.
bool is_report(const LocalRequest& request);

// {"error": code, "message": message} as one line of JSON.
std::string local_error_line(const std::string& code, const std::string& message);

}  // namespace meterd
