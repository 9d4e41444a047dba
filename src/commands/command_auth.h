// SPDX-License-Identifier: Apache-2.0
// Command authentication: an HMAC-SHA256 over the command's canonical form with a per-gateway
// key, and a window around the command's issued_at. Pure functions (load_hmac_key reads one
// file, at start-up); any thread. The recipe for the sending side is in docs/commands.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "commands/command.h"
#include "core/clock.h"

namespace meterd {

struct HmacKey {
  std::vector<std::uint8_t> bytes;
};

// The bytes that are signed: the command object without its "sig" member, serialized compactly
// (no whitespace) with object keys sorted. nlohmann::json keeps objects in a std::map, so keys
// come out in byte-wise (UTF-8 code point) order at every level; strings are escaped minimally
// (only '"', '\\' and control characters) and non-ASCII is written as UTF-8.
std::string canonical_payload(const nlohmann::json& command);

// Lowercase hex of HMAC-SHA256(key, data).
std::string hmac_sha256_hex(std::span<const std::uint8_t> key, std::string_view data);
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

// Nullopt when `command` carries a valid "sig" over its canonical payload and its "issued_at"
// (unix ms) lies within `window` of `now`; otherwise why not: "unauthenticated" (no or wrong
// signature; compared in constant time) or "expired". The signature is checked first, so a
// forged timestamp is never reported as merely expired.
std::optional<CommandError> verify_command(const nlohmann::json& command, const HmacKey& key,
                                           WallTime now, Millis window);

// Reads a key file: hex digits (an even number, e.g. from `openssl rand -hex 32`) are decoded;
// anything else is taken as raw bytes. One trailing newline ("\n" or "\r\n") is dropped.
// Throws std::runtime_error (start-up only) when the file is unreadable, readable by anyone
// other than its owner and group, or holds fewer than 16 key bytes.
HmacKey load_hmac_key(const std::filesystem::path& path);

}  // namespace meterd
