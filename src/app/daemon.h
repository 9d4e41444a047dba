// SPDX-License-Identifier: Apache-2.0
// The composition root: builds store, uplink and buses from a validated configuration, runs
// the loop on the calling thread until SIGTERM/SIGINT, reloads on SIGHUP, and keeps systemd
// informed (READY, STATUS, WATCHDOG only while bus and store threads make progress).
#pragma once

#include <memory>
#include <string>

#include "app/config_validation.h"

namespace meterd {

class Daemon {
 public:
  // `plugin_dirs` is kept for SIGHUP reloads (app/plugin_dir.h).
  Daemon(std::string config_path, PluginDirChoice plugin_dirs, ValidatedConfig validated);
  ~Daemon();
  // Runs until a stop signal; returns the process exit code.
  int run();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace meterd
