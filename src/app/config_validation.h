// SPDX-License-Identifier: Apache-2.0
// Loads a configuration file, has each bus's plugin validate its own settings, reads the
// billing section, loads the command key and checks the files the configuration names
// (app/config_file_checks.h), so that --check-config, start-up and SIGHUP reload all refuse
// the same files and report every error of a file at once.
// Start-up/reload only; runs on the calling thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/plugin_dir.h"
#include "bus/plugin_loader.h"
#include "commands/command_auth.h"
#include "config/app_config.h"
#include "core/driver.h"
#include "engine/billing_config.h"

namespace meterd {

struct ValidatedConfig {
  std::optional<AppConfig> config;  // set only when there are no errors
  ConfigErrors errors;
  // The plugins of config.plugin_dir; declared before `drivers` so it outlives them.
  std::shared_ptr<PluginRegistry> registry;
  // One driver per bus of `config`, in order, created (not opened) during validation.
  std::vector<std::unique_ptr<MeterDriver>> drivers;
  // The prepaid engine's configuration (empty without a `billing:` section).
  BillingConfig billing;
  // The command signing key (commands.hmac_key_file), loaded and checked.
  std::optional<HmacKey> command_key;
};

// A missing or mismatched plugin is an error at the bus's position. Errors come folded and
// sorted like the loader's (config/error_report.h); with any, `drivers` is empty.
// Plugins load from effective_plugin_dir(config, plugin_dirs) (app/plugin_dir.h).
ValidatedConfig load_and_validate(const std::string& path, const DriverEnv& env,
                                  const PluginDirChoice& plugin_dirs = {});

}  // namespace meterd
