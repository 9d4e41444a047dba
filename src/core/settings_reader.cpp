// SPDX-License-Identifier: Apache-2.0
#include "core/settings_reader.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace meterd {
namespace {

std::string describe_ms(std::chrono::milliseconds ms) {
  if (ms.count() % 1000 == 0) return std::to_string(ms.count() / 1000) + "s";
  return std::to_string(ms.count()) + "ms";
}

}  // namespace

std::optional<std::int64_t> parse_integer(const std::string& text) {
  if (text.empty()) return std::nullopt;
  // Decimal, or hex with 0x. Not base 0: a leading zero must not turn "010" into octal 8.
  const bool hex = text.starts_with("0x") || text.starts_with("0X") || text.starts_with("-0x") ||
                   text.starts_with("-0X");
  errno = 0;
  char* end = nullptr;
  long long value = std::strtoll(text.c_str(), &end, hex ? 16 : 10);
  if (errno != 0 || end == text.c_str() || *end != '\0') return std::nullopt;
  return static_cast<std::int64_t>(value);
}

std::optional<std::chrono::milliseconds> parse_duration(const std::string& text) {
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  // At most 10 digits, so even days in milliseconds stay far inside int64.
  if (digits == 0 || digits > 10) return std::nullopt;
  const std::int64_t n = std::stoll(text.substr(0, digits));
  const std::string unit = text.substr(digits);
  if (unit.empty() || unit == "s") return std::chrono::milliseconds(n * 1000);
  if (unit == "ms") return std::chrono::milliseconds(n);
  if (unit == "m" || unit == "min") return std::chrono::milliseconds(n * 60'000);
  if (unit == "h") return std::chrono::milliseconds(n * 3'600'000);
  if (unit == "d") return std::chrono::milliseconds(n * 86'400'000);
  return std::nullopt;
}

std::optional<std::uint64_t> parse_size(const std::string& text) {
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0 || digits > 15) return std::nullopt;
  const std::uint64_t n = std::stoull(text.substr(0, digits));
  std::string unit = text.substr(digits);
  if (!unit.empty() && unit.front() == ' ') unit.erase(0, 1);
  std::uint64_t factor = 0;
  if (unit.empty() || unit == "B") factor = 1;
  if (unit == "KiB") factor = 1ull << 10;
  if (unit == "MiB") factor = 1ull << 20;
  if (unit == "GiB") factor = 1ull << 30;
  if (unit == "kB" || unit == "KB") factor = 1000;
  if (unit == "MB") factor = 1000ull * 1000;
  if (unit == "GB") factor = 1000ull * 1000 * 1000;
  // A product that wraps around would pass any range check.
  if (factor == 0 || n > UINT64_MAX / factor) return std::nullopt;
  return n * factor;
}

SettingsReader::SettingsReader(const SettingsNode& node, ConfigErrors& errors, std::string what)
    : node_(node), errors_(errors), what_(std::move(what)) {
  if (!node_.is_map()) {
    error(node_.pos, what_ + " must be a map, not a " + node_.kind_name());
  }
}

void SettingsReader::error(const SourcePos& pos, const std::string& message) {
  valid_ = false;
  errors_.add(pos, message);
}

bool SettingsReader::has(const std::string& key) const { return node_.find(key) != nullptr; }

const SettingsNode* SettingsReader::scalar_node(const std::string& key, bool required) {
  known_.insert(key);
  const SettingsNode* value = node_.is_map() ? node_.find(key) : nullptr;
  if (value == nullptr) {
    if (required && node_.is_map())
      error(node_.pos, what_ + ": missing required key '" + key + "'");
    return nullptr;
  }
  if (!value->is_scalar()) {
    error(value->pos, "'" + key + "' must be a scalar, not a " + value->kind_name());
    return nullptr;
  }
  return value;
}

std::string SettingsReader::string(const std::string& key, const std::string& fallback) {
  const SettingsNode* value = scalar_node(key, false);
  return value ? value->scalar : fallback;
}

std::string SettingsReader::required_string(const std::string& key) {
  const SettingsNode* value = scalar_node(key, true);
  if (value && value->scalar.empty()) error(value->pos, "'" + key + "' must not be empty");
  return value ? value->scalar : std::string{};
}

std::int64_t SettingsReader::integer(const std::string& key, std::int64_t fallback,
                                     std::int64_t min, std::int64_t max) {
  const SettingsNode* value = scalar_node(key, false);
  if (!value) return fallback;
  auto parsed = parse_integer(value->scalar);
  if (!parsed) {
    error(value->pos, "'" + key + "' must be an integer, got '" + value->scalar + "'");
    return fallback;
  }
  if (*parsed < min || *parsed > max) {
    error(value->pos, "'" + key + "' = " + std::to_string(*parsed) + " is out of range [" +
                          std::to_string(min) + ", " + std::to_string(max) + "]");
    return fallback;
  }
  return *parsed;
}

std::int64_t SettingsReader::required_integer(const std::string& key, std::int64_t min,
                                              std::int64_t max) {
  if (!has(key)) scalar_node(key, true);
  return integer(key, min, min, max);
}

double SettingsReader::number(const std::string& key, double fallback, double min, double max) {
  const SettingsNode* value = scalar_node(key, false);
  if (!value) return fallback;
  errno = 0;
  char* end = nullptr;
  double parsed = std::strtod(value->scalar.c_str(), &end);
  if (errno != 0 || end == value->scalar.c_str() || *end != '\0' || !std::isfinite(parsed)) {
    error(value->pos, "'" + key + "' must be a number, got '" + value->scalar + "'");
    return fallback;
  }
  if (parsed < min || parsed > max) {
    error(value->pos, "'" + key + "' = " + value->scalar + " is out of range [" +
                          std::to_string(min) + ", " + std::to_string(max) + "]");
    return fallback;
  }
  return parsed;
}

bool SettingsReader::boolean(const std::string& key, bool fallback) {
  const SettingsNode* value = scalar_node(key, false);
  if (!value) return fallback;
  const std::string& s = value->scalar;
  if (s == "true" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "no" || s == "off") return false;
  error(value->pos, "'" + key + "' must be true or false, got '" + s + "'");
  return fallback;
}

std::chrono::milliseconds SettingsReader::duration(const std::string& key,
                                                   std::chrono::milliseconds fallback,
                                                   std::chrono::milliseconds min,
                                                   std::chrono::milliseconds max) {
  const SettingsNode* value = scalar_node(key, false);
  if (!value) return fallback;
  auto parsed = parse_duration(value->scalar);
  if (!parsed) {
    error(value->pos,
          "'" + key + "' must be a duration like 500ms, 2s, 5m, got '" + value->scalar + "'");
    return fallback;
  }
  if (*parsed < min || *parsed > max) {
    error(value->pos, "'" + key + "' = " + value->scalar + " is out of range [" + describe_ms(min) +
                          ", " + describe_ms(max) + "]");
    return fallback;
  }
  return *parsed;
}

std::uint64_t SettingsReader::size_bytes(const std::string& key, std::uint64_t fallback,
                                         std::uint64_t min, std::uint64_t max) {
  const SettingsNode* value = scalar_node(key, false);
  if (!value) return fallback;
  auto parsed = parse_size(value->scalar);
  if (!parsed) {
    error(value->pos, "'" + key + "' must be a size like 64MiB, got '" + value->scalar + "'");
    return fallback;
  }
  if (*parsed < min || *parsed > max) {
    error(value->pos, "'" + key + "' = " + value->scalar + " is out of range [" +
                          std::to_string(min) + ", " + std::to_string(max) + "] bytes");
    return fallback;
  }
  return *parsed;
}

std::string SettingsReader::one_of(const std::string& key, const std::string& fallback,
                                   const std::vector<std::string>& allowed) {
  const SettingsNode* value = scalar_node(key, false);
  if (!value) return fallback;
  for (const auto& a : allowed) {
    if (a == value->scalar) return a;
  }
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  error(value->pos, "'" + key + "' must be one of " + list + ", got '" + value->scalar + "'");
  return fallback;
}

std::vector<std::string> SettingsReader::string_list(const std::string& key) {
  const SettingsNode* seq = sequence(key);
  std::vector<std::string> out;
  if (!seq) return out;
  for (const auto& item : seq->items) {
    if (!item.is_scalar()) {
      error(item.pos, "'" + key + "' entries must be scalars");
      continue;
    }
    out.push_back(item.scalar);
  }
  return out;
}

const SettingsNode* SettingsReader::map(const std::string& key, bool required) {
  known_.insert(key);
  const SettingsNode* value = node_.is_map() ? node_.find(key) : nullptr;
  if (!value) {
    if (required && node_.is_map())
      error(node_.pos, what_ + ": missing required key '" + key + "'");
    return nullptr;
  }
  if (!value->is_map()) {
    error(value->pos, "'" + key + "' must be a map, not a " + value->kind_name());
    return nullptr;
  }
  return value;
}

const SettingsNode* SettingsReader::sequence(const std::string& key, bool required) {
  known_.insert(key);
  const SettingsNode* value = node_.is_map() ? node_.find(key) : nullptr;
  if (!value) {
    if (required && node_.is_map())
      error(node_.pos, what_ + ": missing required key '" + key + "'");
    return nullptr;
  }
  if (!value->is_sequence()) {
    error(value->pos, "'" + key + "' must be a list, not a " + value->kind_name());
    return nullptr;
  }
  return value;
}

const SettingsNode* SettingsReader::any(const std::string& key) {
  known_.insert(key);
  return node_.is_map() ? node_.find(key) : nullptr;
}

SettingsNode SettingsReader::rest() {
  SettingsNode out;
  out.kind = SettingsNode::Kind::kMap;
  out.pos = node_.pos;
  for (const auto& entry : node_.entries) {
    if (known_.count(entry.key)) continue;
    out.entries.push_back(entry);
    known_.insert(entry.key);
  }
  return out;
}

void SettingsReader::finish() {
  for (const auto& entry : node_.entries) {
    if (!known_.count(entry.key)) {
      error(entry.key_pos, what_ + ": unknown key '" + entry.key + "'");
    }
  }
}

}  // namespace meterd
