// SPDX-License-Identifier: Apache-2.0
#include "config/profile_library.h"

#include <fstream>
#include <sstream>

#include "config/config_sections.h"
#include "config/yaml_to_settings.h"

namespace meterd {

std::shared_ptr<const SettingsNode> ProfileLibrary::load(const std::string& name,
                                                         const SourcePos& used_at,
                                                         ConfigErrors& errors) {
  if (auto it = loaded_.find(name); it != loaded_.end()) return it->second;
  std::shared_ptr<const SettingsNode> profile;
  if (!is_valid_name(name, 64, "_.-")) {
    errors.add(used_at, "profile name '" + name + "' may only hold letters, digits, '_', '.', '-'");
  } else {
    const std::string path = dir_ + "/" + name + ".yaml";
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      errors.add(used_at, "profile '" + name + "': cannot read " + path);
    } else {
      std::ostringstream text;
      text << in.rdbuf();
      std::optional<SettingsNode> root = yaml_to_settings(text.str(), path, errors);
      if (root && !root->is_map()) {
        errors.add(root->pos, "profile '" + name + "' must be a map");
      } else if (root) {
        profile = std::make_shared<const SettingsNode>(std::move(*root));
      }
    }
  }
  loaded_[name] = profile;  // a failed profile is reported once, not per meter
  return profile;
}

}  // namespace meterd
