// SPDX-License-Identifier: Apache-2.0
#include "commands/json_object_reader.h"

#include <utility>

#include "core/money.h"

namespace meterd {

bool follows_rule(std::string_view text, const NameRule& rule) {
  if (text.empty() || text.size() > rule.max_length) return false;
  for (char c : text) {
    if (rule.any_printable) {
      if (c < 0x21 || c > 0x7e) return false;
      continue;
    }
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!plain && rule.extra_chars.find(c) == std::string_view::npos) return false;
  }
  return true;
}

std::string describe_rule(const NameRule& rule) {
  const std::string count = "1.." + std::to_string(rule.max_length);
  if (rule.any_printable) return count + " printable ASCII characters, no spaces";
  return count + " characters of [A-Za-z0-9" + std::string(rule.extra_chars) + "]";
}

std::string json_pointer_child(std::string_view base, std::string_view token) {
  std::string out(base);
  out += '/';
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string json_pointer_child(std::string_view base, std::size_t index) {
  return std::string(base) + "/" + std::to_string(index);
}

JsonObjectReader::JsonObjectReader(const nlohmann::json& object, std::string path)
    : object_(object), path_(std::move(path)) {}

void JsonObjectReader::fail(std::string path, std::string message, std::string_view code) {
  if (!error_) error_ = CommandError{std::string(code), std::move(path), std::move(message)};
}

const nlohmann::json* JsonObjectReader::member(std::string_view key, bool required) {
  known_.emplace(key);
  if (failed()) return nullptr;
  const auto it = object_.find(key);
  if (it == object_.end()) {
    if (required) fail(member_path(key), "required");
    return nullptr;
  }
  return &*it;
}

bool JsonObjectReader::expect_type(const nlohmann::json& value, std::string_view key, bool ok,
                                   std::string_view wanted) {
  if (!ok) {
    fail(member_path(key),
         "must be " + std::string(wanted) + ", not " + std::string(value.type_name()));
  }
  return ok;
}

const nlohmann::json* JsonObjectReader::any(std::string_view key) { return member(key, false); }

std::optional<std::string> JsonObjectReader::name(std::string_view key, const NameRule& rule,
                                                  bool required) {
  const nlohmann::json* value = member(key, required);
  if (!value || !expect_type(*value, key, value->is_string(), "a string")) return std::nullopt;
  const auto& text = value->get_ref<const std::string&>();
  if (!follows_rule(text, rule)) {
    fail(member_path(key), "must be " + describe_rule(rule));
    return std::nullopt;
  }
  return text;
}

std::optional<std::string> JsonObjectReader::string(std::string_view key, bool required) {
  const nlohmann::json* value = member(key, required);
  if (!value || !expect_type(*value, key, value->is_string(), "a string")) return std::nullopt;
  return value->get<std::string>();
}

std::optional<Money> JsonObjectReader::money(std::string_view key, bool required) {
  const nlohmann::json* value = member(key, required);
  if (!value) return std::nullopt;
  if (value->is_number()) {
    // Numbers would pass through binary floating point on many senders; refuse them outright.
    fail(member_path(key), "must be a decimal string like \"50.0000\", not a number");
    return std::nullopt;
  }
  if (!expect_type(*value, key, value->is_string(), "a decimal string")) return std::nullopt;
  auto parsed = parse_money(value->get_ref<const std::string&>());
  if (!parsed) {
    fail(member_path(key), parsed.error().message);
    return std::nullopt;
  }
  return parsed.value();
}

std::optional<std::int64_t> JsonObjectReader::unix_ms(std::string_view key, bool required) {
  const nlohmann::json* value = member(key, required);
  if (!value ||
      !expect_type(*value, key, value->is_number_integer(), "an integer (unix milliseconds)")) {
    return std::nullopt;
  }
  const bool in_range = value->is_number_unsigned()
                            ? value->get<std::uint64_t>() <= std::uint64_t{kMaxUnixMs}
                            : value->get<std::int64_t>() >= 0;
  if (!in_range) {
    fail(member_path(key), "unix milliseconds must be between 0 and " + std::to_string(kMaxUnixMs));
    return std::nullopt;
  }
  return value->get<std::int64_t>();
}

const nlohmann::json* JsonObjectReader::object(std::string_view key, bool required) {
  const nlohmann::json* value = member(key, required);
  if (!value || !expect_type(*value, key, value->is_object(), "an object")) return nullptr;
  return value;
}

const nlohmann::json* JsonObjectReader::array(std::string_view key, bool required) {
  const nlohmann::json* value = member(key, required);
  if (!value || !expect_type(*value, key, value->is_array(), "an array")) return nullptr;
  return value;
}

void JsonObjectReader::finish() {
  for (const auto& [key, value] : object_.items()) {
    if (!known_.contains(key)) {
      fail(member_path(key), "unknown member");
      return;
    }
  }
}

}  // namespace meterd
