// SPDX-License-Identifier: Apache-2.0
#include "local/local_request.h"

#include <nlohmann/json.hpp>

#include "commands/command_parser.h"
#include "core/json_text.h"

namespace meterd {

using json = nlohmann::json;

std::string local_error_line(const std::string& code, const std::string& message) {
  return json_text(json{{"error", code}, {"message", message}});
}

bool is_report(const LocalRequest& request) {
  using Kind = LocalRequest::Kind;
  return request.kind == Kind::kStatus || request.kind == Kind::kMeters ||
         request.kind == Kind::kAccount || request.kind == Kind::kBacklog;
}

LocalRequest read_local_request(std::string_view line) {
  LocalRequest request;
  const json document = json::parse(line, nullptr, false);
  const auto op = document.is_object() ? document.find("op") : document.end();
  if (!document.is_object() || op == document.end() || !op->is_string()) {
    request.refusal =
        local_error_line("bad_request", "expected one JSON object with a string \"op\"");
    return request;
  }
  const std::string& name = op->get_ref<const std::string&>();
  if (name == "status" || name == "meters" || name == "backlog") {
    request.kind = name == "status"   ? LocalRequest::Kind::kStatus
                   : name == "meters" ? LocalRequest::Kind::kMeters
                                      : LocalRequest::Kind::kBacklog;
    return request;
  }
  if (name == "account") {
    const auto id = document.find("account");
    if (id == document.end() || !id->is_string() || id->get_ref<const std::string&>().empty() ||
        id->get_ref<const std::string&>().size() > 256) {
      request.refusal = local_error_line("bad_request", "\"account\" must be an account id");
      return request;
    }
    request.kind = LocalRequest::Kind::kAccount;
    request.account_id = id->get<std::string>();
    return request;
  }
  if (name == "backup") {
    const auto path = document.find("path");
    const std::string* text = path != document.end() && path->is_string()
                                  ? &path->get_ref<const std::string&>()
                                  : nullptr;
    if (!text || !text->starts_with('/') || text->find('\0') != std::string::npos) {
      request.refusal = local_error_line("bad_request", "\"path\" must be an absolute file path");
      return request;
    }
    request.kind = LocalRequest::Kind::kBackup;
    request.backup_path = *text;
    return request;
  }
  if (name != "command") {
    request.refusal = local_error_line("bad_request", "unknown op '" + printable(name, 32) + "'");
    return request;
  }
  const auto command = document.find("command");
  if (command == document.end() || !command->is_object()) {
    request.refusal = local_error_line("bad_request", "\"command\" must be a command object");
    return request;
  }
  request.kind = LocalRequest::Kind::kCommand;
  request.command = json_text(*command);
  const ParsedCommand parsed = parse_command(request.command);
  request.id = parsed.id;
  if (!parsed.id) {
    // Refused without an id, so no result will come: the reply says why at once.
    json reply{{"error", "rejected"}, {"message", "the command has no usable id"}};
    if (!parsed.ok()) {
      reply["code"] = parsed.error().code;
      reply["path"] = parsed.error().path;
      reply["message"] = parsed.error().message;
    }
    request.refusal = json_text(reply);
  }
  return request;
}

}  // namespace meterd
