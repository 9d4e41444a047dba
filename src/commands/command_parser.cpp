// SPDX-License-Identifier: Apache-2.0
#include "commands/command_parser.h"

#include <exception>
#include <string>

#include "commands/json_object_reader.h"
#include "commands/operation_parser.h"
#include "core/json_text.h"

namespace meterd {
namespace {

constexpr std::size_t kSigHexLength = 64;  // HMAC-SHA256

CommandError make_command_error(std::string_view code, std::string path, std::string message) {
  return CommandError{std::string(code), std::move(path), std::move(message)};
}

// The byte offset of the first '[' or '{' nested deeper than `max_depth`, if any. Scans the
// way a JSON lexer does (brackets inside strings do not count) so that nothing deeper reaches
// the recursive parts of the JSON library.
std::optional<std::size_t> find_nesting_deeper_than(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return i;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return std::nullopt;
}

// "[json.exception.parse_error.101] parse error at line 1, ..." -> "parse error at line 1, ...".
// The library quotes the bytes it last read, which may be anything: they are escaped.
std::string describe_parse_error(const char* what) {
  std::string text(what);
  const auto bracket = text.find("] ");
  if (text.starts_with("[json.exception.") && bracket != std::string::npos) {
    text.erase(0, bracket + 2);
  }
  return printable(text);
}

// The "op" member when it is a string of name characters (known op or not).
std::optional<std::string> op_name(const nlohmann::json& document) {
  const auto op = document.find("op");
  if (op == document.end() || !op->is_string()) return std::nullopt;
  const auto& name = op->get_ref<const std::string&>();
  return follows_rule(name, kOpNameRule) ? std::optional<std::string>(name) : std::nullopt;
}

// The id and op of a payload refused as a whole, where they read.
void recover_names(const std::string& payload, ParsedCommand& parsed) {
  const auto document = nlohmann::json::parse(payload, nullptr, false);
  if (!document.is_object()) return;
  const auto id = document.find("id");
  if (id != document.end() && id->is_string() &&
      follows_rule(id->get_ref<const std::string&>(), kCommandIdRule)) {
    parsed.id = id->get<std::string>();
  }
  parsed.op = op_name(document);
}

void parse_envelope(const nlohmann::json& document, const ParseLimits& limits,
                    ParsedCommand& parsed) {
  if (!document.is_object()) {
    parsed.outcome = make_command_error(
        kCodeMalformed, "", "a command is a JSON object, not " + std::string(document.type_name()));
    return;
  }
  JsonObjectReader reader(document, "");
  // The id first, on its own, so a failed result can name the command whatever else is wrong.
  Command command;
  if (auto id = reader.name("id", kCommandIdRule, true)) {
    command.id = *id;
    parsed.id = std::move(*id);
  }
  parsed.op = op_name(document);
  auto operation = parse_operation(reader, limits, false);
  command.issued_at = reader.unix_ms("issued_at", true).value_or(0);
  if (const nlohmann::json* sig = reader.any("sig")) {
    if (!sig->is_string() || sig->get_ref<const std::string&>().size() != kSigHexLength ||
        sig->get_ref<const std::string&>().find_first_not_of("0123456789abcdefABCDEF") !=
            std::string::npos) {
      reader.fail("/sig", "must be 64 hex digits (HMAC-SHA256)");
    } else {
      command.sig = sig->get<std::string>();
    }
  }
  if (reader.failed()) {
    parsed.outcome = reader.error();
    return;
  }
  if (auto* error = std::get_if<CommandError>(&operation)) {
    parsed.outcome = std::move(*error);
    return;
  }
  reader.finish();
  if (reader.failed()) {
    parsed.outcome = reader.error();
    return;
  }
  auto& step = std::get<BatchStep>(operation);
  command.op = step.op;
  command.target = std::move(step.target);
  command.args = std::move(step.args);
  parsed.outcome = std::move(command);
}

}  // namespace

ParsedCommand parse_command(std::string_view payload, const ParseLimits& limits) {
  ParsedCommand parsed{std::nullopt, std::nullopt, CommandError{}};
  if (payload.size() > limits.max_payload_bytes) {
    parsed.outcome =
        make_command_error(kCodeTooLarge, "",
                           "payload of " + std::to_string(payload.size()) + " bytes; at most " +
                               std::to_string(limits.max_payload_bytes));
    return parsed;
  }
  if (const auto offset = find_nesting_deeper_than(payload, limits.max_depth)) {
    parsed.outcome = make_command_error(kCodeTooLarge, "",
                                        "nested deeper than " + std::to_string(limits.max_depth) +
                                            " at byte " + std::to_string(*offset));
    return parsed;
  }
  if (const auto offset = first_invalid_utf8(payload)) {
    // Refused as a whole, but named when it can be: with the bad bytes replaced, the id and
    // op may still read, so that the cloud gets a failed result for its command.
    parsed.outcome = make_command_error(kCodeMalformed, "",
                                        "not valid UTF-8 at byte " + std::to_string(*offset));
    recover_names(valid_utf8(payload), parsed);
    return parsed;
  }
  try {
    const auto document = nlohmann::json::parse(payload.begin(), payload.end());
    parse_envelope(document, limits, parsed);
  } catch (const nlohmann::json::parse_error& e) {
    parsed.outcome = make_command_error(kCodeMalformed, "", describe_parse_error(e.what()));
  } catch (const std::exception& e) {
    // Only allocation failure is expected here; the command is refused, the daemon goes on.
    parsed.outcome =
        make_command_error(kCodeMalformed, "", std::string("not processed: ") + e.what());
  }
  return parsed;
}

}  // namespace meterd
