#include "app/config_validation.h"

#include <exception>
#include <set>

namespace meterd {

ValidatedConfig load_and_validate(const std::string& path, const DriverEnv& env) {
  ValidatedConfig result;
  ConfigLoad load = load_config(path);
  result.errors = load.errors;
  if (!load.config) return result;
  result.registry = std::make_shared<PluginRegistry>(load.config->plugin_dir);
  PluginRegistry& registry = *result.registry;

  for (const BusConfig& bus : load.config->buses) {
    const PluginDescriptor* plugin = nullptr;
    try {
      plugin = &registry.plugin_for(bus.spec.protocol);
    } catch (const std::exception& e) {
      result.errors.add(bus.pos, "bus '" + bus.spec.name + "': " + e.what());
      continue;
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
    result.errors.append(bus_errors);
    result.drivers.push_back(std::move(driver));
  }
  if (load.config->billing) {
    std::set<std::string> meters;
    for (const BusConfig& bus : load.config->buses) {
      for (const MeterSpec& meter : bus.spec.meters) meters.insert(meter.id);
    }
    result.billing = read_billing_config(*load.config->billing, meters, result.errors);
  }
  if (!load.config->commands.hmac_key_file.empty()) {
    try {
      result.command_key = load_hmac_key(load.config->commands.hmac_key_file);
    } catch (const std::exception& e) {
      result.errors.add({path, 0, 0}, std::string("commands.hmac_key_file: ") + e.what());
    }
  }
  if (result.errors.empty()) {
    result.config = std::move(load.config);
  } else {
    result.drivers.clear();
  }
  return result;
}

}  // namespace meterd
