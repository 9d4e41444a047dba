// SPDX-License-Identifier: Apache-2.0
// Typed reads of members of a JSON object for the engine's command parameters. An error's
// message is "<JSON pointer>: <reason>" ("/malignant/min_step_w: an integer 50..1000000"),
// `prefix` being the pointer of the object with a trailing "/". Pure; any thread.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace meterd {

// `{"clear": true}`: a command's request to remove load limits or a schedule.
bool is_clear_request(const nlohmann::json& args);
// Every key of `object` is one of `allowed`; the error names the first stranger.
Status only_keys(const nlohmann::json& object, std::initializer_list<std::string_view> allowed,
                 const std::string& prefix);
// The integer member `key` within [min, max], or `fallback` when absent.
Result<std::int64_t> int_field(const nlohmann::json& object, const std::string& key,
                               std::int64_t min, std::int64_t max, std::int64_t fallback,
                               const std::string& prefix);
// Present and an integer within [min, max]: the value; absent: nullopt.
Result<std::optional<std::int64_t>> optional_int_field(const nlohmann::json& object,
                                                       const std::string& key, std::int64_t min,
                                                       std::int64_t max, const std::string& prefix);

}  // namespace meterd
