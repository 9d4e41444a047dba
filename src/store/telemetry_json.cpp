// SPDX-License-Identifier: Apache-2.0
#include "store/telemetry_json.h"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "store/store.h"

namespace meterd {
namespace {

void append_int(std::string& out, std::int64_t value) {
  char buffer[24];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, end);
}

// Shortest text that reads back as the same double; a '.0' keeps whole numbers doubles. A value
// that is exactly a 32-bit float (a float32 register read unscaled) is written at the float's
// resolution: the shortest text that reads back as the same float (230.1, not the double
// 230.10000610351562 the float holds), which is all the meter said.
void append_double(std::string& out, double value) {
  char buffer[32];
  const auto as_float = static_cast<float>(value);
  auto [end, ec] = static_cast<double>(as_float) == value
                       ? std::to_chars(buffer, buffer + sizeof buffer, as_float)
                       : std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, end);
  if (std::string_view(buffer, static_cast<std::size_t>(end - buffer)).find_first_of(".e") ==
      std::string_view::npos) {
    out += ".0";
  }
}

void append_key(std::string& out, bool& first, std::string_view key) {
  if (!first) out += ',';
  first = false;
  append_json_string(out, key);
  out += ':';
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  // Runs of characters that need no escape go in whole (names and ids are all such).
  const auto plain = [](char c) {
    return c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20;
  };
  while (!text.empty()) {
    std::size_t run = 0;
    while (run < text.size() && plain(text[run])) ++run;
    out.append(text.data(), run);
    if (run == text.size()) break;
    const char c = text[run];
    text.remove_prefix(run + 1);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += kHex[(c >> 4) & 0xf];
        out += kHex[c & 0xf];
    }
  }
  out += '"';
}

std::string encode_telemetry_body(const Telemetry& telemetry) {
  std::string out;
  out.reserve(48 + telemetry.values.size() * 32 + telemetry.errors.size() * 48);
  out += "{\"group\":";
  append_json_string(out, telemetry.group);
  out += ",\"values\":{";
  bool first = true;
  bool any_non_finite = false;
  for (const PointValue& point : telemetry.values) {
    if (const double* d = std::get_if<double>(&point.value); d && !std::isfinite(*d)) {
      any_non_finite = true;
      continue;
    }
    append_key(out, first, point.name);
    std::visit(
        [&out](auto value) {
          using T = decltype(value);
          if constexpr (std::is_same_v<T, bool>) {
            out += value ? "true" : "false";
          } else if constexpr (std::is_same_v<T, double>) {
            append_double(out, value);
          } else {
            append_int(out, value);
          }
        },
        point.value);
  }
  out += '}';
  if (!telemetry.errors.empty() || any_non_finite) {
    out += ",\"errors\":{";
    first = true;
    for (const PointError& error : telemetry.errors) {
      append_key(out, first, error.name);
      std::string text = to_string(error.error.kind);
      if (!error.error.message.empty()) text += ": " + error.error.message;
      append_json_string(out, text);
    }
    for (const PointValue& point : telemetry.values) {
      const double* d = std::get_if<double>(&point.value);
      if (!d || std::isfinite(*d)) continue;
      append_key(out, first, point.name);
      append_json_string(out, std::isnan(*d) ? "non_finite: nan"
                                             : (*d > 0 ? "non_finite: inf" : "non_finite: -inf"));
    }
    out += '}';
  }
  if (!telemetry.relay_json.empty()) {  // already a JSON object (the engine's relay state)
    out += ",\"relay\":";
    out += telemetry.relay_json;
  }
  out += '}';
  return out;
}

std::string sanitize_details(std::string_view details_json) {
  const auto parsed = nlohmann::json::parse(details_json, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_object()) return std::string(details_json);
  std::string out = "{\"invalid_details\":";
  append_json_string(out, details_json);
  out += '}';
  return out;
}

std::string encode_event_body(const Event& event) {
  std::string out = "{\"event\":";
  append_json_string(out, event.type);
  out += ",\"details\":";
  out += sanitize_details(event.details_json);
  out += '}';
  return out;
}

}  // namespace meterd
