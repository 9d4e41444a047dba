// SPDX-License-Identifier: Apache-2.0
#include "config/config_sections.h"

namespace meterd {

bool is_valid_name(std::string_view text, std::size_t max_length, std::string_view extra) {
  if (text.empty() || text.size() > max_length) return false;
  for (char c : text) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!plain && extra.find(c) == std::string_view::npos) return false;
  }
  return true;
}

std::string resolve_config_path(const std::string& path, const std::filesystem::path& base) {
  if (path.empty() || base.empty()) return path;
  const std::filesystem::path p(path);
  if (p.is_absolute()) return path;
  return (base / p).lexically_normal().string();
}

std::string read_path(SettingsReader& r, const std::string& key, const PathBases& bases,
                      bool required) {
  const std::string value = required ? r.required_string(key) : r.string(key);
  const SettingsNode* node = r.any(key);
  return resolve_config_path(value, node ? bases.of(node->pos) : bases.main());
}

std::string describe_item(const std::string& kind, const SettingsNode& item,
                          const std::string& key) {
  const SettingsNode* name = item.is_map() ? item.find(key) : nullptr;
  if (name && name->is_scalar() && !name->scalar.empty()) return kind + " '" + name->scalar + "'";
  return kind;
}

}  // namespace meterd
