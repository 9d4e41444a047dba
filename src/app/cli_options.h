// SPDX-License-Identifier: Apache-2.0
// Command-line options of the meterd binary. Pure parsing; no I/O.
#pragma once

#include <string>
#include <vector>

namespace meterd {

struct CliOptions {
  std::string config_path = "/etc/meterd/meterd.yaml";
  std::string plugin_dir;  // --plugin-dir; empty: not given (app/plugin_dir.h)
  bool check_config = false;
  bool show_version = false;
  bool show_help = false;
  std::string error;  // non-empty when the arguments are invalid
};

CliOptions parse_cli(const std::vector<std::string>& args);
std::string usage_text();

// sysexits.h EX_CONFIG: the exit code for a bad configuration.
inline constexpr int kExitConfig = 78;
inline constexpr int kExitUsage = 64;
// sysexits.h EX_CANTCREAT: the store is held by another running meterd (store/store_lock.h).
// Not EX_TEMPFAIL (75): retrying does not help, the holder is another service or a manual run
// that does not end by itself, so systemd must not restart on it (RestartPreventExitStatus).
inline constexpr int kExitStoreLocked = 73;

}  // namespace meterd
