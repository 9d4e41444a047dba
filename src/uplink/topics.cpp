// SPDX-License-Identifier: Apache-2.0
#include "uplink/topics.h"

#include <cstdio>

namespace meterd {

const char* to_string(OutboxKind kind) {
  switch (kind) {
    case OutboxKind::kTelemetry:
      return "telemetry";
    case OutboxKind::kEvent:
      return "event";
    case OutboxKind::kResult:
      return "result";
    case OutboxKind::kMeterStats:
    case OutboxKind::kAccountStats:
      return "stats";
  }
  return "unknown";
}

std::string topic_root(std::string_view gateway_id) {
  std::string root = "meterd/v1/";
  root.append(gateway_id);
  root.push_back('/');
  return root;
}

std::string command_topic(std::string_view root) {
  std::string topic(root);
  topic.append("cmd");
  return topic;
}

std::string batch_topic(std::string_view root) {
  std::string topic(root);
  topic.append("batch");
  return topic;
}

std::string outbox_topic(std::string_view root, const OutboxRow& row) {
  std::string topic(root);
  switch (row.kind) {
    case OutboxKind::kTelemetry:
      topic.append("meters/").append(row.meter_id).append("/telemetry");
      break;
    case OutboxKind::kEvent:
      if (row.meter_id.empty()) {
        topic.append("events");
      } else {
        topic.append("meters/").append(row.meter_id).append("/events");
      }
      break;
    case OutboxKind::kResult:
      topic.append("cmd/result");
      break;
    case OutboxKind::kMeterStats:
      topic.append("meters/").append(row.meter_id).append("/stats");
      break;
    case OutboxKind::kAccountStats:
      topic.append("accounts/").append(row.meter_id).append("/stats");
      break;
  }
  return topic;
}

std::string json_quote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  for (const char c : text) {
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
          out.append(escaped);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
  return out;
}

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

std::string outbox_payload(const MessageOrigin& origin, const OutboxRow& row) {
  std::string out;
  out.reserve(row.body_json.size() + 144);
  out.append("{\"seq\":").append(std::to_string(row.seq));
  out.append(",\"store_id\":").append(json_quote(origin.store_id));
  out.append(",\"gw\":").append(json_quote(origin.gateway_id));
  if (!row.meter_id.empty()) {
    // An account's summary names the account; every other row's id is a meter's.
    out.append(row.kind == OutboxKind::kAccountStats ? ",\"account\":" : ",\"meter\":")
        .append(json_quote(row.meter_id));
  }
  out.append(",\"ts\":").append(std::to_string(row.ts_ms));
  out.append(",\"kind\":\"").append(to_string(row.kind)).append("\"");

  std::string_view body = row.body_json;
  while (!body.empty() && is_space(body.front())) body.remove_prefix(1);
  while (!body.empty() && is_space(body.back())) body.remove_suffix(1);
  if (body.empty() || body.front() != '{') {
    out.push_back('}');
    return out;
  }
  body.remove_prefix(1);  // the body's own '{'
  std::string_view rest = body;
  while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
  if (!rest.empty() && rest.front() != '}') out.push_back(',');
  out.append(rest);
  return out;
}

std::string pack_payload(const MessageOrigin& origin, const std::vector<OutboxRow>& rows) {
  std::string out;
  std::size_t bytes = 2;
  for (const OutboxRow& row : rows) bytes += outbox_payload_bound(origin, row);
  out.reserve(bytes);
  out.push_back('[');
  for (const OutboxRow& row : rows) {
    if (out.size() > 1) out.push_back(',');
    out.append(outbox_payload(origin, row));
  }
  out.push_back(']');
  return out;
}

std::size_t outbox_payload_bound(const MessageOrigin& origin, const OutboxRow& row) {
  // The fixed text of the header: {"seq": ,"store_id": ,"gw": ,"meter": ,"ts": ,"kind":"telemetry"
  // (59 characters), two int64 of at most 20 characters each, the closing brace added to a body
  // that is not an object, and the separator. An account's summary says "account" (two more
  // than "meter") but its kind is "stats" (four fewer than "telemetry").
  constexpr std::size_t kFixed = 59 + 2 * 20 + 1 + 1;
  return kFixed + json_quote(origin.store_id).size() + json_quote(origin.gateway_id).size() +
         json_quote(row.meter_id).size() + row.body_json.size();
}

std::string status_payload(bool online, const MessageOrigin& origin, std::int64_t ts_ms,
                           std::string_view version) {
  std::string out = online ? "{\"state\":\"online\"" : "{\"state\":\"offline\"";
  out.append(",\"gw\":").append(json_quote(origin.gateway_id));
  out.append(",\"store_id\":").append(json_quote(origin.store_id));
  out.append(",\"ts\":").append(std::to_string(ts_ms));
  out.append(",\"version\":").append(json_quote(version));
  out.push_back('}');
  return out;
}

}  // namespace meterd
