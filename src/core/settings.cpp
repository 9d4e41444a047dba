// SPDX-License-Identifier: Apache-2.0
#include "core/settings.h"

namespace meterd {

std::string first_at(const SourcePos& first, const SourcePos& here) {
  if (first.file == here.file) return "line " + std::to_string(first.line);
  return first.file + ":" + std::to_string(first.line) + ":" + std::to_string(first.column);
}

std::string ConfigError::to_string() const {
  return pos.file + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column) + ": " +
         message;
}

const SettingsNode* SettingsNode::find(const std::string& key) const {
  for (const auto& entry : entries) {
    if (entry.key == key) return &entry.value;
  }
  return nullptr;
}

const char* SettingsNode::kind_name() const {
  switch (kind) {
    case Kind::kNull:
      return "null";
    case Kind::kScalar:
      return "scalar";
    case Kind::kMap:
      return "map";
    case Kind::kSequence:
      return "list";
  }
  return "unknown";
}

}  // namespace meterd
