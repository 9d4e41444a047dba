// SPDX-License-Identifier: Apache-2.0
// Reads one map of a SettingsNode into typed values, reporting every problem to ConfigErrors
// with its position: missing required keys, wrong types, out-of-range values, and (on
// finish()) keys nobody asked for. Used by the core config and by plugins alike.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/settings.h"

namespace meterd {

class SettingsReader {
 public:
  // `what` names the map in messages, e.g. "bus 'line1'".
  SettingsReader(const SettingsNode& node, ConfigErrors& errors, std::string what);

  bool valid() const { return valid_; }
  const SourcePos& pos() const { return node_.pos; }
  bool has(const std::string& key) const;

  // Each getter marks the key as known. A missing key yields the fallback (or an error when
  // required); a malformed or out-of-range one yields the fallback and an error.
  std::string string(const std::string& key, const std::string& fallback = {});
  std::string required_string(const std::string& key);
  std::int64_t integer(const std::string& key, std::int64_t fallback, std::int64_t min,
                       std::int64_t max);
  std::int64_t required_integer(const std::string& key, std::int64_t min, std::int64_t max);
  double number(const std::string& key, double fallback, double min, double max);
  bool boolean(const std::string& key, bool fallback);
  // Durations accept "250ms", "2s", "5m", "1h" or a bare integer of seconds.
  std::chrono::milliseconds duration(const std::string& key, std::chrono::milliseconds fallback,
                                     std::chrono::milliseconds min, std::chrono::milliseconds max);
  // Sizes accept "512KiB", "64MiB", "1GiB", "10MB" or bare bytes.
  std::uint64_t size_bytes(const std::string& key, std::uint64_t fallback, std::uint64_t min,
                           std::uint64_t max);
  std::string one_of(const std::string& key, const std::string& fallback,
                     const std::vector<std::string>& allowed);
  std::vector<std::string> string_list(const std::string& key);
  // Child nodes, checked for kind; nullptr (and an error if required) when absent/wrong.
  const SettingsNode* map(const std::string& key, bool required = false);
  const SettingsNode* sequence(const std::string& key, bool required = false);
  // A node of any kind, marked known; nullptr when absent.
  const SettingsNode* any(const std::string& key);
  // A map of the keys not asked for so far (for handing on to a plugin), and marks them known.
  SettingsNode rest();
  // Reports every key that was never asked for as "unknown key".
  void finish();

  ConfigErrors& errors() { return errors_; }

 private:
  const SettingsNode* scalar_node(const std::string& key, bool required);
  void error(const SourcePos& pos, const std::string& message);

  const SettingsNode& node_;
  ConfigErrors& errors_;
  std::string what_;
  std::set<std::string> known_;
  bool valid_ = true;
};

// Parses strings the way SettingsReader does; exposed for tests and command arguments.
std::optional<std::int64_t> parse_integer(const std::string& text);
std::optional<std::chrono::milliseconds> parse_duration(const std::string& text);
std::optional<std::uint64_t> parse_size(const std::string& text);

}  // namespace meterd
