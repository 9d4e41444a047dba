// SPDX-License-Identifier: Apache-2.0
// Helpers for the bus and plugin tests: settings trees with positions, bus specs of simulated
// meters, and a sink that records the bus output and lets a test wait on a condition.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "bus/bus_worker.h"
#include "core/driver.h"

namespace meterd::testing {

inline SettingsNode scalar(const std::string& value, int line, int column = 5) {
  SettingsNode n;
  n.kind = SettingsNode::Kind::kScalar;
  n.scalar = value;
  n.pos = {"t.yaml", line, column};
  return n;
}

// A map at `line` whose keys sit at the line of their value, column 3.
inline SettingsNode map_node(std::vector<std::pair<std::string, SettingsNode>> entries,
                             int line = 1) {
  SettingsNode n;
  n.kind = SettingsNode::Kind::kMap;
  n.pos = {"t.yaml", line, 1};
  for (auto& [key, value] : entries) {
    n.entries.push_back({key, {"t.yaml", value.pos.line, 3}, value});
  }
  return n;
}

inline MeterSpec sim_meter(const std::string& id, SettingsNode settings = map_node({}),
                           std::chrono::milliseconds timeout = std::chrono::milliseconds(50)) {
  MeterSpec meter;
  meter.id = id;
  meter.timeout = timeout;
  meter.settings = std::move(settings);
  return meter;
}

inline const PointValue* find_value(const MeterReading& reading, const std::string& name) {
  for (const auto& v : reading.values) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

inline std::int64_t int_value(const MeterReading& reading, const std::string& name) {
  const PointValue* v = find_value(reading, name);
  return v ? std::get<std::int64_t>(v->value) : -1;
}

// Records everything a BusWorker emits; thread-safe.
class RecordingSink {
 public:
  BusWorker::Sink sink() {
    return [this](BusOutput out) {
      if (on_output) on_output(out);
      {
        std::lock_guard lock(mu_);
        outputs_.push_back(std::move(out));
      }
      cv_.notify_all();
    };
  }

  // Runs on the bus thread before an output is recorded; set before the worker starts.
  std::function<void(const BusOutput&)> on_output;

  // Waits until `pred(outputs)` holds or `timeout` passes; returns whether it held.
  bool wait_for(const std::function<bool(const std::vector<BusOutput>&)>& pred,
                std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return pred(outputs_); });
  }

  std::vector<BusOutput> outputs() const {
    std::lock_guard lock(mu_);
    return outputs_;
  }

  std::size_t size() const {
    std::lock_guard lock(mu_);
    return outputs_.size();
  }

  static std::size_t polls_of(const std::vector<BusOutput>& outputs, const std::string& meter,
                              const std::string& group = {}) {
    std::size_t n = 0;
    for (const auto& out : outputs) {
      const auto* polled = std::get_if<MeterPolled>(&out);
      if (polled && polled->meter_id == meter && (group.empty() || polled->group == group)) ++n;
    }
    return n;
  }

  static std::vector<bool> states_of(const std::vector<BusOutput>& outputs,
                                     const std::string& meter) {
    std::vector<bool> states;
    for (const auto& out : outputs) {
      const auto* changed = std::get_if<MeterStateChanged>(&out);
      if (changed && changed->meter_id == meter) states.push_back(changed->online);
    }
    return states;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<BusOutput> outputs_;
};

}  // namespace meterd::testing
