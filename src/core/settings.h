// SPDX-License-Identifier: Apache-2.0
// A neutral configuration tree with source positions. src/config turns YAML into it; the
// core config and every plugin read it through SettingsReader, so errors always carry
// file:line:col and no plugin needs the YAML library. Pure value types.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace meterd {

struct SourcePos {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based
};

// Where an earlier occurrence of something found again at `here` is, for "(first at ...)":
// "line 12" in the same file, "other.yaml:12:9" in another (a drop-in beside the main file).
std::string first_at(const SourcePos& first, const SourcePos& here);

struct ConfigError {
  SourcePos pos;
  std::string message;
  // "file:line:col: message"
  std::string to_string() const;
};

// Collects every configuration error of a run instead of stopping at the first.
class ConfigErrors {
 public:
  void add(const SourcePos& pos, std::string message) {
    errors_.push_back({pos, std::move(message)});
  }
  bool empty() const { return errors_.empty(); }
  std::size_t size() const { return errors_.size(); }
  const std::vector<ConfigError>& all() const { return errors_; }
  void append(const ConfigErrors& other) {
    errors_.insert(errors_.end(), other.errors_.begin(), other.errors_.end());
  }

 private:
  std::vector<ConfigError> errors_;
};

class SettingsNode {
 public:
  enum class Kind { kNull, kScalar, kMap, kSequence };
  struct Entry;  // a map entry: key with its own position, and the value

  Kind kind = Kind::kNull;
  SourcePos pos;
  std::string scalar;               // kScalar
  std::vector<Entry> entries;       // kMap, in document order, keys unique
  std::vector<SettingsNode> items;  // kSequence

  bool is_map() const { return kind == Kind::kMap; }
  bool is_sequence() const { return kind == Kind::kSequence; }
  bool is_scalar() const { return kind == Kind::kScalar; }
  bool is_null() const { return kind == Kind::kNull; }
  const SettingsNode* find(const std::string& key) const;
  const char* kind_name() const;
};

struct SettingsNode::Entry {
  std::string key;
  SourcePos key_pos;
  SettingsNode value;
};

}  // namespace meterd
