// The `sim` protocol plugin: simulated meters answering in-process (the demo default and the
// bus tests' meters).
//
// Bus keys:   seed (int, default 1), control_dir (string), latency (duration, default 0).
// Meter keys: base_load_w (0..100000 W), initial_energy_wh (>= 0), balance (1/10000 units;
//             enables the meter-side balance), price_per_kwh (1/10000 units, default 10000),
//             fail (none|dead|flaky).
// Control files, checked before every exchange when control_dir is set:
//   <meter-id>.dead   the meter never answers (each exchange costs its timeout)
//   <meter-id>.flaky  every other read times out
//   <bus-name>.down   the bus itself fails: open() and every exchange return kBusError
#include <limits>
#include <memory>

#include "core/driver.h"
#include "core/settings_reader.h"
#include "sim_driver.h"

namespace meterd::sim {
namespace {

constexpr std::int64_t kMaxMoney = 1'000'000'000'000;  // 10^8 currency units

// Plugin keys may be absent altogether (a null node); read that as an empty map.
const SettingsNode& map_or_empty(const SettingsNode& node, SettingsNode& empty) {
  if (!node.is_null()) return node;
  empty.kind = SettingsNode::Kind::kMap;
  empty.pos = node.pos;
  return empty;
}

SimBusConfig read_bus(const BusSpec& bus, ConfigErrors& errors, std::uint64_t& seed) {
  SettingsNode empty;
  SettingsReader r(map_or_empty(bus.settings, empty), errors, "bus '" + bus.name + "'");
  SimBusConfig config;
  config.name = bus.name;
  seed =
      static_cast<std::uint64_t>(r.integer("seed", 1, 0, std::numeric_limits<std::int64_t>::max()));
  config.control_dir = r.string("control_dir");
  config.latency = r.duration("latency", Millis(0), Millis(0), Millis(10'000));
  r.finish();
  return config;
}

SimMeterConfig read_meter(const MeterSpec& meter, std::size_t index, std::uint64_t seed,
                          ConfigErrors& errors) {
  SettingsNode empty;
  SettingsReader r(map_or_empty(meter.settings, empty), errors, "meter '" + meter.id + "'");
  SimMeterConfig config;
  config.id = meter.id;
  config.timeout = meter.timeout;
  SimMeterParams& p = config.params;
  p.seed = seed;
  p.index = index;
  p.base_load_w = r.integer("base_load_w", default_base_load_w(seed, index), 0, 100'000);
  p.initial_energy_wh = r.integer("initial_energy_wh", default_initial_energy_wh(seed, index), 0,
                                  std::numeric_limits<std::int64_t>::max() / 2);
  if (r.has("balance")) p.balance = r.integer("balance", 0, -kMaxMoney, kMaxMoney);
  p.price_per_kwh = r.integer("price_per_kwh", 10'000, 1, 100'000'000);
  const std::string fail = r.one_of("fail", "none", {"none", "dead", "flaky"});
  config.fault = fail == "dead" ? Fault::kDead : fail == "flaky" ? Fault::kFlaky : Fault::kNone;
  r.finish();
  return config;
}

std::unique_ptr<MeterDriver> create_sim(const BusSpec& bus, const DriverEnv& env,
                                        ConfigErrors& errors) {
  return guard_plugin_factory("sim", bus, errors, [&]() -> std::unique_ptr<MeterDriver> {
    const std::size_t errors_before = errors.size();
    if (env.clock == nullptr) {
      errors.add(bus.settings.pos, "sim: the daemon passed no clock");
      return nullptr;
    }
    std::uint64_t seed = 1;
    SimBusConfig config = read_bus(bus, errors, seed);
    std::vector<SimMeterConfig> meters;
    for (std::size_t i = 0; i < bus.meters.size(); ++i) {
      meters.push_back(read_meter(bus.meters[i], i, seed, errors));
    }
    if (errors.size() != errors_before) return nullptr;
    return std::make_unique<SimDriver>(std::move(config), std::move(meters), bus.groups,
                                       *env.clock);
  });
}

constexpr const char* kProtocols[] = {"sim", nullptr};

constexpr PluginDescriptor kDescriptor{kDriverAbiVersion, "sim", kProtocols, &create_sim};

}  // namespace
}  // namespace meterd::sim

extern "C" __attribute__((visibility("default"))) const meterd::PluginDescriptor*
meterd_plugin_descriptor() {
  return &meterd::sim::kDescriptor;
}
