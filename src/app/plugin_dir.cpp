// SPDX-License-Identifier: Apache-2.0
#include "app/plugin_dir.h"

#include <system_error>

namespace meterd {
namespace {

// True when `path` lies inside folder `root` (both resolved, compared element by element).
bool is_inside(const std::filesystem::path& path, const std::filesystem::path& root) {
  if (path.empty() || root.empty()) return false;
  auto p = path.begin();
  for (auto r = root.begin(); r != root.end(); ++r, ++p) {
    if (r->empty()) continue;  // a trailing separator in `root`
    if (p == path.end() || *p != *r) return false;
  }
  return true;
}

std::filesystem::path resolved(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::path out = std::filesystem::weakly_canonical(path, ec);
  return ec ? path : out;
}

}  // namespace

PluginDirChoice choose_plugin_dir(const std::string& cli_value, const char* env_value,
                                  const std::filesystem::path& exe) {
  PluginDirChoice choice;
  if (!cli_value.empty()) {
    choice.forced = cli_value;
  } else if (env_value != nullptr && *env_value != '\0') {
    choice.forced = env_value;
  }
  const std::filesystem::path build_root = resolved(METERD_BUILD_ROOT);
  std::error_code ec;
  if (is_inside(resolved(exe), build_root) &&
      std::filesystem::is_directory(METERD_BUILD_PLUGIN_DIR, ec)) {
    choice.beside_binary = METERD_BUILD_PLUGIN_DIR;
  }
  return choice;
}

std::string effective_plugin_dir(const AppConfig& config, const PluginDirChoice& choice) {
  if (!choice.forced.empty()) return choice.forced;
  if (config.plugin_dir_configured) return config.plugin_dir;
  if (!choice.beside_binary.empty()) return choice.beside_binary;
  return config.plugin_dir;
}

std::filesystem::path running_binary() {
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : exe;
}

}  // namespace meterd
