// SPDX-License-Identifier: Apache-2.0
#include "commands/command_log.h"

#include "core/json_text.h"

namespace meterd {
namespace {

constexpr std::size_t kNamedTargets = 8;
constexpr std::size_t kTextLimit = 64;

// JSON text that never throws: bytes that are not UTF-8 become U+FFFD.
std::string dumped(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string text_at(const nlohmann::json& object, const char* key) {
  const auto found = object.find(key);
  if (found == object.end()) return "";
  return printable(found->is_string() ? found->get<std::string>() : dumped(*found), kTextLimit);
}

// "A101 ok amount=50.0000" / "m1 meter_timeout (no reply within 500 ms)".
std::string describe_target(const nlohmann::json& result) {
  if (!result.is_object()) return "?";
  std::string line = text_at(result, "target");
  if (const auto ok = result.find("ok");
      ok != result.end() && ok->is_boolean() && ok->get<bool>()) {
    line += " ok";
    for (const char* key : {"amount", "balance", "relay"}) {
      if (result.contains(key)) line += std::string(" ") + key + "=" + text_at(result, key);
    }
    return line;
  }
  line += " " + text_at(result, "code");
  if (const std::string message = text_at(result, "message"); !message.empty()) {
    line += " (" + message + ")";
  }
  return line;
}

}  // namespace

std::string command_log_line(const std::string& id, const std::string& op,
                             const std::string& operator_id, const std::string& state,
                             const nlohmann::json& body) {
  std::string line = "command " + printable(id, kTextLimit) + " " + printable(op, kTextLimit) +
                     " by " + printable(operator_id.empty() ? "unknown" : operator_id, kTextLimit) +
                     ": " + state;
  const auto results = body.is_object() ? body.find("results") : body.end();
  if (results != body.end() && results->is_array() && !results->empty()) {
    line += ":";
    std::size_t named = 0;
    for (const auto& result : *results) {
      if (named == kNamedTargets) break;
      line += (named++ ? ", " : " ") + describe_target(result);
    }
    if (results->size() > named) {
      line += " and " + std::to_string(results->size() - named) + " more";
    }
  } else if (body.is_object() && body.contains("error")) {
    const nlohmann::json& error = body["error"];
    line += ": " + (error.is_object() ? text_at(error, "code") + " " + text_at(error, "message")
                                      : printable(dumped(error), kTextLimit));
  }
  return line;
}

}  // namespace meterd
