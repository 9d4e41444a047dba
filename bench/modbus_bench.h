// SPDX-License-Identifier: Apache-2.0
// Shared pieces of the Modbus benchmarks: the modbus-sim tool as a child process (so the
// measuring process's CPU is the driver's alone), the modbus plugin loaded as the daemon loads
// it, and process CPU/RSS figures. Use from one thread.
#pragma once

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "bus/plugin_loader.h"
#include "config/yaml_to_settings.h"
#include "support/process.h"
#include "support/wait.h"

namespace meterd::bench {

inline long cores() { return sysconf(_SC_NPROCESSORS_ONLN); }

// User + system CPU seconds of this process so far.
inline double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Resident set size of this process in KiB ("VmRSS" or "VmHWM" from /proc/self/status).
inline long status_kib(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  }
  return -1;
}

inline SettingsNode scalar(const std::string& v) {
  SettingsNode n;
  n.kind = SettingsNode::Kind::kScalar;
  n.scalar = v;
  n.pos = {"bench.yaml", 1, 1};
  return n;
}

inline SettingsNode map_of(std::vector<std::pair<std::string, std::string>> kv) {
  SettingsNode n;
  n.kind = SettingsNode::Kind::kMap;
  n.pos = {"bench.yaml", 1, 1};
  for (auto& [k, v] : kv) n.entries.push_back({k, {"bench.yaml", 1, 1}, scalar(v)});
  return n;
}

inline std::shared_ptr<const SettingsNode> read_tree(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  ConfigErrors errors;
  auto tree = yaml_to_settings(text.str(), path, errors);
  if (!tree) throw std::runtime_error("cannot read profile " + path);
  return std::make_shared<const SettingsNode>(std::move(*tree));
}

// Starts modbus-sim with `args` and waits for its "ready" line.
inline std::unique_ptr<test::ChildProcess> start_simulator(std::vector<std::string> args,
                                                           const std::string& log) {
  args.insert(args.begin(), MODBUS_SIM_BINARY);
  auto sim = std::make_unique<test::ChildProcess>(args, log);
  test::wait_for(
      [&] { return sim->log().find("ready") != std::string::npos || !sim->is_running(); },
      std::chrono::seconds(10));
  if (!sim->is_running()) throw std::runtime_error("modbus-sim failed: " + sim->log());
  return sim;
}

// A modbus bus of `units` meters 1..units with one poll group of `points`.
inline std::unique_ptr<MeterDriver> make_driver(PluginRegistry& registry, const DriverEnv& env,
                                                SettingsNode bus_settings,
                                                std::shared_ptr<const SettingsNode> profile,
                                                int units, const std::vector<std::string>& points,
                                                std::chrono::milliseconds timeout) {
  BusSpec bus;
  bus.name = "bench";
  bus.protocol = "modbus";
  bus.settings = std::move(bus_settings);
  for (int u = 1; u <= units; ++u) {
    MeterSpec m;
    m.id = "m" + std::to_string(u);
    m.timeout = timeout;
    m.settings = map_of({{"address", std::to_string(u)}});
    m.profile = "bench";
    m.profile_settings = profile;
    bus.meters.push_back(std::move(m));
  }
  bus.groups = {{"g", points, std::chrono::seconds(1)}};
  ConfigErrors errors;
  auto driver = registry.plugin_for("modbus").create(bus, env, errors);
  for (const auto& e : errors.all()) std::fprintf(stderr, "%s\n", e.to_string().c_str());
  if (!driver || !driver->open().ok()) throw std::runtime_error("cannot open the modbus bus");
  return driver;
}

}  // namespace meterd::bench
