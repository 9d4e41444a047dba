// SPDX-License-Identifier: Apache-2.0
// meterd: parses the command line, validates the configuration (with every plugin's own
// settings), then hands over to the Daemon.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>

#include "app/cli_options.h"
#include "app/config_validation.h"
#include "app/daemon.h"
#include "app/logging.h"
#include "app/plugin_dir.h"
#include "core/clock.h"
#include "store/migrations.h"
#include "store/store_lock.h"

namespace {

int print_errors(const meterd::ConfigErrors& errors) {
  for (const auto& error : errors.all()) std::cerr << error.to_string() << "\n";
  std::cerr << errors.size() << " configuration error" << (errors.size() == 1 ? "" : "s") << "\n";
  return meterd::kExitConfig;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace meterd;
  const CliOptions options = parse_cli(std::vector<std::string>(argv + 1, argv + argc));
  if (!options.error.empty()) {
    std::cerr << "meterd: " << options.error << "\n\n" << usage_text();
    return kExitUsage;
  }
  if (options.show_help) {
    std::cout << usage_text();
    return 0;
  }
  if (options.show_version) {
    std::cout << "meterd " << METERD_VERSION << " (plugin ABI " << kDriverAbiVersion << ")\n";
    return 0;
  }

  SystemClock validation_clock;
  const PluginDirChoice plugin_dirs =
      choose_plugin_dir(options.plugin_dir, std::getenv("METERD_PLUGIN_DIR"), running_binary());
  ValidatedConfig validated =
      load_and_validate(options.config_path, DriverEnv{&validation_clock}, plugin_dirs);
  if (!validated.config) return print_errors(validated.errors);
  if (options.check_config) {
    // The drop-ins and the gateway id as filled in from the host: what a fleet tool checks.
    const AppConfig& config = *validated.config;
    std::cout << options.config_path << ": OK (gateway_id " << config.gateway_id << ", "
              << config.buses.size() << " buses";
    for (std::size_t i = 1; i < config.source_files.size(); ++i) {
      std::cout << (i == 1 ? "; drop-ins " : ", ") << config.source_files[i];
    }
    std::cout << ")\n";
    return 0;
  }

  setup_logging(validated.config->log_level);
  try {
    Daemon daemon(options.config_path, plugin_dirs, std::move(validated));
    return daemon.run();
  } catch (const StoreLockedError& e) {
    spdlog::critical("start-up refused: {}", e.what());
    return kExitStoreLocked;
  } catch (const StoreSchemaTooNewError& e) {
    spdlog::critical("start-up refused: {}", e.what());
    return kExitConfig;  // a downgrade: restarting cannot help (RestartPreventExitStatus)
  } catch (const std::exception& e) {
    spdlog::critical("start-up failed: {}", e.what());
    return 1;
  }
}
