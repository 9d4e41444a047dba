// SPDX-License-Identifier: Apache-2.0
#include "reply_outcome.h"

namespace meterctl {
namespace {

using json = nlohmann::json;

// The string member `key` of `object`, or "" when it is absent or not a string.
std::string text_of(const json& object, const char* key) {
  if (!object.is_object()) return "";
  const auto member = object.find(key);
  return member != object.end() && member->is_string() ? member->get<std::string>() : "";
}

// "code at /path: message" from an object with any of those members.
std::string describe_error(const json& error) {
  std::string out = text_of(error, "code");
  if (const std::string path = text_of(error, "path"); !path.empty()) out += " at " + path;
  if (const std::string message = text_of(error, "message"); !message.empty()) {
    out += (out.empty() ? "" : ": ") + message;
  }
  return out.empty() ? "no reason given" : out;
}

// The failed targets of a command's results, "; "-joined.
std::string describe_failed_results(const json& reply) {
  const auto results = reply.find("results");
  if (results == reply.end() || !results->is_array()) return "";
  std::string out;
  for (const json& result : *results) {
    if (!result.is_object()) continue;
    const auto ok = result.find("ok");
    if (ok != result.end() && ok->is_boolean() && ok->get<bool>()) continue;
    const std::string target = text_of(result, "target");
    const auto nested = result.find("error");
    const json& reason = nested != result.end() && nested->is_object() ? *nested : result;
    out +=
        (out.empty() ? "" : "; ") + (target.empty() ? "" : target + ": ") + describe_error(reason);
  }
  return out;
}

}  // namespace

ReplyOutcome judge_reply(const json& reply, bool is_report) {
  if (!reply.is_object()) return {kExitFailed, "meterd sent a reply that is not a JSON object"};
  if (const auto error = reply.find("error"); error != reply.end()) {
    // The socket's own refusals carry a string code; a refused command's result an object.
    if (error->is_string()) {
      const std::string code = error->get<std::string>();
      const std::string detail = describe_error(reply);
      // The command is journaled and may still finish: a failure to confirm, not to connect.
      if (code == "timeout") return {kExitFailed, "timeout: " + text_of(reply, "message")};
      return {kExitFailed, code + (detail == code ? "" : ": " + detail)};
    }
    return {kExitFailed, "refused: " + describe_error(*error)};
  }
  if (is_report) return {kExitDone, ""};
  const std::string state = text_of(reply, "state");
  if (state == "done") return {kExitDone, ""};
  std::string why = describe_failed_results(reply);
  if (state.empty()) return {kExitFailed, "meterd sent a reply without a state"};
  return {kExitFailed, state + (why.empty() ? "" : ": " + why)};
}

}  // namespace meterctl
