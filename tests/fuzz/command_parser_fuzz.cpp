// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the command parser (and the canonical form of what it accepts). Build
// with clang and -DMETERD_FUZZ=ON; the same file also builds with fuzz_replay_main.cpp as a
// plain replay test. Checks, beyond "no crash": every refusal has a known code and a JSON
// pointer path, a recovered id is a valid id, and an accepted command's canonical form parses
// to an accepted command with the same id (so what is signed is what is executed).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "commands/command_auth.h"
#include "commands/command_parser.h"

using namespace meterd;

namespace {

bool is_known_code(std::string_view code) {
  return code == kCodeMalformed || code == kCodeInvalid || code == kCodeUnknownOp ||
         code == kCodeTooLarge;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  const ParsedCommand parsed = parse_command(payload);
  if (parsed.id && (parsed.id->empty() || parsed.id->size() > 64)) std::abort();
  if (!parsed.ok()) {
    const CommandError& error = parsed.error();
    if (!is_known_code(error.code) || error.message.empty()) std::abort();
    if (!error.path.empty() && error.path.front() != '/') std::abort();
    return 0;
  }
  if (!parsed.id || *parsed.id != parsed.command().id) std::abort();

  // Accepted: the document is JSON, so this parse cannot fail.
  const auto document = nlohmann::json::parse(payload, nullptr, false);
  if (document.is_discarded()) std::abort();
  const std::string canonical = canonical_payload(document);
  ParseLimits roomy;  // "1e5" in a tariff is written back as "100000.0": allow for growth
  roomy.max_payload_bytes *= 4;
  const ParsedCommand again = parse_command(canonical, roomy);
  if (!again.ok() || again.command().id != parsed.command().id ||
      again.command().op != parsed.command().op) {
    std::abort();
  }
  return 0;
}
