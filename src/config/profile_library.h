// SPDX-License-Identifier: Apache-2.0
// Meter profiles: `<profile_dir>/<name>.yaml`, parsed once per configuration load and shared
// by every meter naming the model. Only the YAML is checked here; the plugin serving the
// meter validates what the profile says. Start-up/reload only; one thread.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "core/settings.h"

namespace meterd {

class ProfileLibrary {
 public:
  explicit ProfileLibrary(std::string dir) : dir_(std::move(dir)) {}
  // The profile's tree, or nullptr (with an error at `used_at`) when it cannot be read.
  std::shared_ptr<const SettingsNode> load(const std::string& name, const SourcePos& used_at,
                                           ConfigErrors& errors);

 private:
  std::string dir_;
  std::map<std::string, std::shared_ptr<const SettingsNode>> loaded_;
};

}  // namespace meterd
