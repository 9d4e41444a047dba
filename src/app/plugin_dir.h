// SPDX-License-Identifier: Apache-2.0
// Where the daemon loads its protocol plugins from. In order: `--plugin-dir`, then the
// METERD_PLUGIN_DIR environment variable, then `plugin_dir:` in the configuration file; with
// none of those, a binary running from its build tree takes the plugins built beside it, and an
// installed binary the compiled-in install folder (lib/<arch>/meterd/plugins).
#pragma once

#include <filesystem>
#include <string>

#include "config/app_config.h"

namespace meterd {

struct PluginDirChoice {
  std::string forced;         // from --plugin-dir or METERD_PLUGIN_DIR; wins over the file
  std::string beside_binary;  // the build tree's plugin folder when the binary runs from there
};

// `cli_value` empty and `env_value` null or empty mean "not given". `exe` is the running
// binary (/proc/self/exe); it is compared with the build tree this binary was compiled in.
PluginDirChoice choose_plugin_dir(const std::string& cli_value, const char* env_value,
                                  const std::filesystem::path& exe);

// The folder to load plugins from for `config` read from its file.
std::string effective_plugin_dir(const AppConfig& config, const PluginDirChoice& choice);

// The running binary's path, resolved; empty when /proc is not mounted.
std::filesystem::path running_binary();

}  // namespace meterd
