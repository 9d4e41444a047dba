// SPDX-License-Identifier: Apache-2.0
// meterctl's command line -> the JSON request line for meterd's control socket
// (docs/meterctl.md), parsed with CLI11. Pure: the id suffix and clock come in; any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace meterctl {

// What a request asks for: the reply is printed by its kind (human_output.h).
enum class ReplyKind { kStatus, kMeters, kAccount, kBacklog, kBackup, kCommand };

struct Invocation {
  std::string socket_path;               // --socket, else $METERCTL_SOCKET, else the default
  bool json = false;                     // --json: the reply as indented JSON, for scripts
  std::chrono::milliseconds timeout{0};  // for the reply; --timeout or the kind's default
  ReplyKind kind = ReplyKind::kStatus;
  nlohmann::json request;  // {"op":"status"} or {"op":"command","command":{...}}
  std::string send_file;   // `send FILE|-`: the envelope still has to be read
};

inline constexpr const char* kDefaultSocket = "/run/meterd/meterd.sock";
// Default reply waits: reports answer at once; a command waits for its final result, which
// the daemon bounds by local.command_timeout (30 s by default), and a backup copies the store.
inline constexpr std::chrono::seconds kReportTimeout{5};
inline constexpr std::chrono::seconds kCommandTimeout{40};

// Either an invocation, or the exit status to end with at once (help and version: 0, after
// printing them; usage errors: 2, after the message on stderr).
struct BuildResult {
  std::optional<Invocation> invocation;
  int exit_code = 0;
};

// `args` without the program name. `now_ms`: unix milliseconds; `nonce`: a random number for
// generated ids. `env_socket` is $METERCTL_SOCKET or null.
BuildResult build_invocation(const std::vector<std::string>& args, const char* env_socket,
                             std::int64_t now_ms, std::uint32_t nonce);

// "local-<now_ms>-<nonce as 8 hex digits>".
std::string local_id(std::int64_t now_ms, std::uint32_t nonce);

// Completes a raw envelope of `send`: adds "id" and "issued_at" when absent. Nullopt (with
// `why`) when it is not a JSON object.
std::optional<nlohmann::json> complete_envelope(const std::string& text, std::int64_t now_ms,
                                                std::uint32_t nonce, std::string& why);

}  // namespace meterctl
