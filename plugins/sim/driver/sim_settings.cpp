// SPDX-License-Identifier: Apache-2.0
#include "sim/driver/sim_settings.h"

#include <limits>
#include <set>

#include "common/plugin_settings.h"
#include "core/settings_reader.h"
#include "sim/sim/appliance_settings.h"
#include "sim/sim/seeded_hash.h"

namespace meterd::sim {
namespace {

constexpr std::int64_t kMaxMoney = 1'000'000'000'000;  // 10^8 currency units

SimBusConfig read_bus(const BusSpec& bus, ConfigErrors& errors, std::uint64_t& seed) {
  SettingsNode empty;
  SettingsReader r(plugin::map_or_empty(bus.settings, empty), errors, "bus '" + bus.name + "'");
  SimBusConfig config;
  config.name = bus.name;
  seed =
      static_cast<std::uint64_t>(r.integer("seed", 1, 0, std::numeric_limits<std::int64_t>::max()));
  config.control_dir = r.string("control_dir");
  config.latency = r.duration("latency", Millis(0), Millis(0), Millis(10'000));
  config.keep_state = r.boolean("keep_state", true);
  config.state_interval =
      r.duration("state_interval", config.state_interval, Millis(1'000), Millis(3'600'000));
  config.max_catch_up =
      r.duration("max_catch_up", config.max_catch_up, Millis(0), Millis(7LL * 24 * 3'600'000));
  r.finish();
  return config;
}

// `phases`: 1 or 3.
std::optional<int> read_phases(SettingsReader& r) {
  if (!r.has("phases")) return std::nullopt;
  const auto phases = static_cast<int>(r.integer("phases", 3, 1, 3));
  if (phases == 2) {
    r.errors().add(r.any("phases")->pos, "'phases' must be 1 or 3");
    return std::nullopt;
  }
  return phases;
}

// The meter model's shared part (`profile: NAME`): phases, base load and the appliances every
// meter of the model has.
struct ProfileParts {
  std::optional<int> phases;
  std::optional<std::int64_t> base_load_w;
  std::vector<Appliance> appliances;
};

ProfileParts read_profile(const MeterSpec& meter, std::uint64_t key, ConfigErrors& errors) {
  ProfileParts parts;
  if (!meter.profile_settings) return parts;
  SettingsNode empty;
  SettingsReader r(plugin::map_or_empty(*meter.profile_settings, empty), errors,
                   "profile '" + meter.profile + "'");
  r.string("model");
  parts.phases = read_phases(r);
  if (r.has("base_load_w")) parts.base_load_w = r.integer("base_load_w", 0, 0, 100'000);
  if (const SettingsNode* list = r.any("appliances")) {
    parts.appliances = read_appliances(*list, key, errors);
  }
  r.finish();
  return parts;
}

// `profile_errors` takes the profile's problems: the caller reports them once per profile, not
// once per meter of the model.
SimMeterConfig read_meter(const MeterSpec& meter, std::size_t index, std::uint64_t seed,
                          ConfigErrors& errors, ConfigErrors& profile_errors) {
  const std::uint64_t key = meter_key(seed, index);
  ProfileParts profile = read_profile(meter, key, profile_errors);
  SettingsNode empty;
  SettingsReader r(plugin::map_or_empty(meter.settings, empty), errors, "meter '" + meter.id + "'");
  SimMeterConfig config;
  config.id = meter.id;
  config.timeout = meter.timeout;
  SimMeterParams& p = config.params;
  p.seed = seed;
  p.index = index;
  p.base_load_w = r.integer(
      "base_load_w", profile.base_load_w.value_or(default_base_load_w(seed, index)), 0, 100'000);
  p.initial_energy_wh = r.integer("initial_energy_wh", default_initial_energy_wh(seed, index), 0,
                                  std::numeric_limits<std::int64_t>::max() / 2);
  if (r.has("balance")) p.balance = r.integer("balance", 0, -kMaxMoney, kMaxMoney);
  p.price_per_kwh = r.integer("price_per_kwh", 10'000, 1, 100'000'000);
  p.phases = read_phases(r).value_or(profile.phases.value_or(3));
  p.appliances = std::move(profile.appliances);
  if (const SettingsNode* list = r.any("appliances")) {
    std::set<std::string> names;
    for (const Appliance& a : p.appliances) names.insert(a.name);
    for (Appliance& a : read_appliances(*list, key, errors)) {
      if (names.count(a.name) != 0) {
        errors.add(list->pos,
                   "appliance '" + a.name + "' is already in profile '" + meter.profile + "'");
      }
      p.appliances.push_back(std::move(a));
    }
  }
  const std::string fail = r.one_of("fail", "none", {"none", "dead", "flaky"});
  config.fault = fail == "dead" ? Fault::kDead : fail == "flaky" ? Fault::kFlaky : Fault::kNone;
  r.finish();
  return config;
}

}  // namespace

SimSettings read_sim_settings(const BusSpec& bus, ConfigErrors& errors) {
  SimSettings settings;
  std::uint64_t seed = 1;
  settings.bus = read_bus(bus, errors, seed);
  std::set<const SettingsNode*> profiles_read;
  settings.meters.reserve(bus.meters.size());
  for (std::size_t i = 0; i < bus.meters.size(); ++i) {
    const MeterSpec& meter = bus.meters[i];
    ConfigErrors profile_errors;
    settings.meters.push_back(read_meter(meter, i, seed, errors, profile_errors));
    if (profiles_read.insert(meter.profile_settings.get()).second) errors.append(profile_errors);
  }
  return settings;
}

}  // namespace meterd::sim
