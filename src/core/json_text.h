// SPDX-License-Identifier: Apache-2.0
// Text out of JSON values and error messages that may carry bytes from the network or a bus.
// nlohmann's default dump throws on invalid UTF-8 (type_error.316); these never throw for
// encoding and never let raw control or non-ASCII bytes of hostile input into a message.
// Pure; any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace meterd {

// `value` as JSON text; an invalid UTF-8 sequence in a string becomes U+FFFD.
std::string json_text(const nlohmann::json& value, int indent = -1);

// `bytes` with every byte outside printable ASCII (0x20..0x7e) written as \xNN, and at most
// `max_bytes` of input shown (then "..."): for messages that quote what a peer sent.
std::string printable(std::string_view bytes, std::size_t max_bytes = 256);

// The offset of the first byte that does not belong to well-formed UTF-8 (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF), if any.
std::optional<std::size_t> first_invalid_utf8(std::string_view bytes);

// `bytes` with every byte that is not part of well-formed UTF-8 replaced by U+FFFD.
std::string valid_utf8(std::string_view bytes);

}  // namespace meterd
