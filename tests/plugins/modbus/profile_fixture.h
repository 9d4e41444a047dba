// SPDX-License-Identifier: Apache-2.0
// Test helpers: a profile tree from YAML text or from config/profiles/<name>.yaml.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "config/yaml_to_settings.h"
#include "modbus/driver/profile.h"

namespace meterd::modbus::testing {

inline std::shared_ptr<const SettingsNode> profile_tree(const std::string& text,
                                                        const std::string& file = "p.yaml") {
  ConfigErrors errors;
  auto tree = yaml_to_settings(text, file, errors);
  EXPECT_TRUE(tree.has_value());
  return tree ? std::make_shared<const SettingsNode>(std::move(*tree)) : nullptr;
}

inline std::string shipped_profile_text(const std::string& name) {
  std::ifstream in(std::string(METERD_SOURCE_DIR) + "/config/profiles/" + name + ".yaml");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::shared_ptr<const Profile> shipped_profile(const std::string& name) {
  ConfigErrors errors;
  auto tree = profile_tree(shipped_profile_text(name), name + ".yaml");
  auto profile = parse_profile(*tree, name, errors);
  for (const auto& e : errors.all()) ADD_FAILURE() << e.to_string();
  return profile;
}

}  // namespace meterd::modbus::testing
