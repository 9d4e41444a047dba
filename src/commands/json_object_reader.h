// SPDX-License-Identifier: Apache-2.0
// Reads the members of one JSON object of a command into typed values. The first problem
// (missing, wrong type, out of range, and on finish() a member nobody asked for) is kept as a
// CommandError whose path is the member's JSON pointer; later problems are ignored, and
// getters return empty values once one has failed. Pure; used by the command parser only.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>

#include "commands/command.h"

namespace meterd {

// A value, or why there is none.
template <typename T>
using Checked = std::variant<T, CommandError>;

// Which characters and how many make a valid name of some kind.
struct NameRule {
  std::size_t max_length = 64;
  std::string_view extra_chars;  // allowed besides [A-Za-z0-9]
  bool any_printable = false;    // any of 0x21..0x7e instead
};

inline constexpr NameRule kCommandIdRule{64, "._:-", false};
inline constexpr NameRule kMeterIdRule{64, "_.-", false};  // as meters are named in config
inline constexpr NameRule kAccountIdRule{64, "_.:-", false};
inline constexpr NameRule kOpNameRule{32, "_", false};
inline constexpr NameRule kOrderIdRule{128, "", true};
inline constexpr NameRule kPointNameRule{64, "_.-", false};
inline constexpr NameRule kTagKeyRule{64, "_.-", false};
inline constexpr NameRule kTagValueRule{128, "", true};

bool follows_rule(std::string_view text, const NameRule& rule);
// What `rule` allows, for messages: "1..64 characters of [A-Za-z0-9._:-]".
std::string describe_rule(const NameRule& rule);

// `base` + "/" + `token` with '~' and '/' escaped as RFC 6901 requires.
std::string json_pointer_child(std::string_view base, std::string_view token);
std::string json_pointer_child(std::string_view base, std::size_t index);

// Largest unix ms accepted: 9999-12-31T23:59:59.999Z.
inline constexpr std::int64_t kMaxUnixMs = 253'402'300'799'999;

class JsonObjectReader {
 public:
  // `object` must outlive the reader; `path` is its JSON pointer ("" for the payload).
  JsonObjectReader(const nlohmann::json& object, std::string path);

  bool failed() const { return error_.has_value(); }
  const CommandError& error() const { return *error_; }
  const std::string& path() const { return path_; }
  std::string member_path(std::string_view key) const { return json_pointer_child(path_, key); }

  // A member of any type, marked known; nullptr when absent.
  const nlohmann::json* any(std::string_view key);
  std::optional<std::string> name(std::string_view key, const NameRule& rule, bool required);
  // Any string (the caller checks its content).
  std::optional<std::string> string(std::string_view key, bool required);
  std::optional<Money> money(std::string_view key, bool required);
  std::optional<std::int64_t> unix_ms(std::string_view key, bool required);
  const nlohmann::json* object(std::string_view key, bool required);
  const nlohmann::json* array(std::string_view key, bool required);

  // Records an error unless one is already kept.
  void fail(std::string path, std::string message, std::string_view code = kCodeInvalid);
  // Reports the first member never asked for as "unknown member".
  void finish();

 private:
  const nlohmann::json* member(std::string_view key, bool required);
  bool expect_type(const nlohmann::json& value, std::string_view key, bool ok,
                   std::string_view wanted);

  const nlohmann::json& object_;
  std::string path_;
  std::set<std::string, std::less<>> known_;
  std::optional<CommandError> error_;
};

}  // namespace meterd
