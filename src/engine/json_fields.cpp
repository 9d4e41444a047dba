// SPDX-License-Identifier: Apache-2.0
#include "engine/json_fields.h"

#include <algorithm>

namespace meterd {
namespace {

Error range_error(const std::string& prefix, const std::string& key, std::int64_t min,
                  std::int64_t max) {
  return make_error(
      ErrorKind::kInvalidArgument,
      prefix + key + ": an integer " + std::to_string(min) + ".." + std::to_string(max));
}

}  // namespace

bool is_clear_request(const nlohmann::json& args) {
  return args.is_object() && args.size() == 1 && args.contains("clear") && args["clear"] == true;
}

Status only_keys(const nlohmann::json& object, std::initializer_list<std::string_view> allowed,
                 const std::string& prefix) {
  if (!object.is_object()) {
    return make_error(ErrorKind::kInvalidArgument,
                      prefix.substr(0, prefix.empty() ? 0 : prefix.size() - 1) + ": an object");
  }
  for (const auto& [key, value] : object.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return make_error(ErrorKind::kInvalidArgument, prefix + key + ": unknown member");
    }
  }
  return Ok{};
}

Result<std::optional<std::int64_t>> optional_int_field(const nlohmann::json& object,
                                                       const std::string& key, std::int64_t min,
                                                       std::int64_t max,
                                                       const std::string& prefix) {
  auto found = object.find(key);
  if (found == object.end()) return std::optional<std::int64_t>{};
  if (!found->is_number_integer()) return range_error(prefix, key, min, max);
  const std::int64_t value = found->get<std::int64_t>();
  if (value < min || value > max) return range_error(prefix, key, min, max);
  return std::optional<std::int64_t>{value};
}

Result<std::int64_t> int_field(const nlohmann::json& object, const std::string& key,
                               std::int64_t min, std::int64_t max, std::int64_t fallback,
                               const std::string& prefix) {
  Result<std::optional<std::int64_t>> value = optional_int_field(object, key, min, max, prefix);
  if (!value) return value.error();
  return value.value().value_or(fallback);
}

}  // namespace meterd
