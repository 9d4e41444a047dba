// SPDX-License-Identifier: Apache-2.0
// meterctl's command line -> the JSON request line for meterd's control socket
// (docs/meterctl.md). Pure: the id suffix and clock come in; any thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace meterctl {

struct Invocation {
  std::string socket_path;  // --socket, else $METERCTL_SOCKET, else the default
  nlohmann::json request;   // {"op":"status"} or {"op":"command","command":{...}}
  std::string send_file;    // `send FILE|-`: the envelope still has to be read
};

struct Usage {
  std::string message;  // why the arguments were refused
};

inline constexpr const char* kDefaultSocket = "/run/meterd/meterd.sock";
std::string usage_text();

// `now_ms`: unix milliseconds; `nonce`: a random number for generated ids. `env_socket` is
// $METERCTL_SOCKET or null.
struct BuildResult {
  std::optional<Invocation> invocation;
  std::optional<Usage> usage;  // set instead when the arguments are wrong, or for --help
  bool help = false;
};
BuildResult build_invocation(const std::vector<std::string>& args, const char* env_socket,
                             std::int64_t now_ms, std::uint32_t nonce);

// "local-<now_ms>-<nonce as 8 hex digits>".
std::string local_id(std::int64_t now_ms, std::uint32_t nonce);

// Completes a raw envelope of `send`: adds "id" and "issued_at" when absent. Nullopt (with
// `why`) when it is not a JSON object.
std::optional<nlohmann::json> complete_envelope(const std::string& text, std::int64_t now_ms,
                                                std::uint32_t nonce, std::string& why);

}  // namespace meterctl
