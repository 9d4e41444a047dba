// SPDX-License-Identifier: Apache-2.0
#include "config/drop_in_merge.h"

#include <algorithm>

namespace meterd {
namespace {

std::string where(const SourcePos& pos) {
  return pos.file + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column);
}

bool holds_only_plain_values(const SettingsNode& list) {
  return std::all_of(list.items.begin(), list.items.end(),
                     [](const SettingsNode& item) { return item.is_scalar() || item.is_null(); });
}

// A value the later file may simply put in place of the earlier one.
bool is_value(const SettingsNode& node) {
  return node.is_scalar() || node.is_null() ||
         (node.is_sequence() && holds_only_plain_values(node));
}

const char* shape(const SettingsNode& node) {
  if (node.is_sequence()) return holds_only_plain_values(node) ? "list of values" : "list";
  return node.kind_name();
}

void merge_node(SettingsNode& merged, const SettingsNode& later, const std::string& path,
                ConfigErrors& errors) {
  if (merged.is_map() && later.is_map()) {
    for (const auto& entry : later.entries) {
      auto same = std::find_if(merged.entries.begin(), merged.entries.end(),
                               [&](const SettingsNode::Entry& e) { return e.key == entry.key; });
      if (same == merged.entries.end()) {
        merged.entries.push_back(entry);
      } else {
        const std::size_t before = errors.size();
        merge_node(same->value, entry.value, path.empty() ? entry.key : path + "." + entry.key,
                   errors);
        // The key now in force is the later one, unless the merge was refused.
        if (errors.size() == before && !same->value.is_map()) same->key_pos = entry.key_pos;
      }
    }
    return;
  }
  if (merged.is_sequence() && later.is_sequence() &&
      !(holds_only_plain_values(merged) && holds_only_plain_values(later))) {
    merged.items.insert(merged.items.end(), later.items.begin(), later.items.end());
    return;
  }
  if (merged.is_null() || (is_value(merged) && is_value(later))) {
    merged = later;
    return;
  }
  errors.add(later.pos, "'" + path + "' is a " + shape(later) + " here but a " + shape(merged) +
                            " at " + where(merged.pos) +
                            "; a later file can only merge a map into a map, append to a list "
                            "of maps, or replace a value");
}

}  // namespace

void merge_drop_in(SettingsNode& merged, const SettingsNode& later, ConfigErrors& errors) {
  if (later.is_null()) return;  // an empty drop-in adds nothing
  if (!later.is_map()) {
    errors.add(later.pos, std::string("a drop-in must be a map of top-level keys, not a ") +
                              later.kind_name());
    return;
  }
  if (merged.is_null()) {
    merged = later;
    return;
  }
  merge_node(merged, later, "", errors);
}

}  // namespace meterd
