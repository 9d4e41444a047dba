// SPDX-License-Identifier: Apache-2.0
#include "app/config_validation.h"

#include <exception>
#include <filesystem>
#include <set>

#include "app/config_file_checks.h"
#include "config/error_report.h"

namespace meterd {
namespace {

// Has the bus's plugin validate the bus's own settings; the driver when they are good.
std::unique_ptr<MeterDriver> validate_bus(PluginRegistry& registry, const BusConfig& bus,
                                          const DriverEnv& env, ConfigErrors& errors) {
  const PluginDescriptor* plugin = nullptr;
  try {
    plugin = &registry.plugin_for(bus.spec.protocol);
  } catch (const std::exception& e) {
    errors.add(bus.pos, "bus '" + bus.spec.name + "': " + e.what());
    return nullptr;
  }
  ConfigErrors bus_errors;
  std::unique_ptr<MeterDriver> driver;
  try {
    driver = plugin->create(bus.spec, env, bus_errors);
  } catch (...) {
    bus_errors.add(bus.pos, "bus '" + bus.spec.name + "': plugin threw during validation");
  }
  if (!driver && bus_errors.empty()) {
    bus_errors.add(bus.pos, "bus '" + bus.spec.name + "': plugin '" + plugin->name +
                                "' refused the settings without saying why");
  }
  errors.append(bus_errors);
  return driver;
}

std::optional<HmacKey> load_command_key(const AppConfig& config, ConfigErrors& errors) {
  if (config.commands.hmac_key_file.empty()) return std::nullopt;
  try {
    return load_hmac_key(config.commands.hmac_key_file);
  } catch (const std::exception& e) {
    errors.add(file_key_position(config, "commands.hmac_key_file"),
               std::string("commands.hmac_key_file: ") + e.what());
    return std::nullopt;
  }
}

// The folder of the store's file: drivers keep their state files beside it.
std::string store_folder(const std::string& store_path) {
  const std::filesystem::path folder = std::filesystem::path(store_path).parent_path();
  return folder.empty() ? std::string(".") : folder.string();
}

}  // namespace

ValidatedConfig load_and_validate(const std::string& path, const DriverEnv& env,
                                  const PluginDirChoice& plugin_dirs) {
  ValidatedConfig result;
  ConfigLoad load = load_config(path);
  ConfigErrors errors = load.errors;
  // With errors in the file the checks below still run on what could be read, so that one
  // run reports every error; nothing built from a partial file is kept.
  std::optional<AppConfig>& config = load.config ? load.config : load.partial;
  if (!config) {
    result.errors = std::move(errors);
    return result;
  }
  config->plugin_dir = effective_plugin_dir(*config, plugin_dirs);
  result.registry = std::make_shared<PluginRegistry>(config->plugin_dir);
  DriverEnv bus_env = env;
  bus_env.state_dir = store_folder(config->store.path);
  for (const BusConfig& bus : config->buses) {
    // The loader leaves a refused protocol empty: nothing to load, its error is reported.
    if (bus.spec.protocol.empty()) continue;
    result.drivers.push_back(validate_bus(*result.registry, bus, bus_env, errors));
  }
  if (config->billing) {
    std::set<std::string> meters;
    for (const BusConfig& bus : config->buses) {
      for (const MeterSpec& meter : bus.spec.meters) meters.insert(meter.id);
    }
    result.billing = read_billing_config(*config->billing, meters, errors);
  }
  result.command_key = load_command_key(*config, errors);
  check_named_files(*config, errors);

  result.errors = folded_and_sorted(errors, config->source_files);
  if (result.errors.empty()) {
    result.config = std::move(load.config);
  } else {
    result.drivers.clear();
  }
  return result;
}

}  // namespace meterd
