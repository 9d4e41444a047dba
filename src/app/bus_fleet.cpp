// SPDX-License-Identifier: Apache-2.0
#include "app/bus_fleet.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>
#include <thread>

namespace meterd {
namespace {

// A bus thread is stuck when it has not turned for longer than its slowest possible
// transaction plus a generous margin (it wakes at least every 500 ms when idle).
std::chrono::milliseconds stall_limit(const BusConfig& bus) {
  std::chrono::milliseconds slowest{0};
  for (const auto& meter : bus.spec.meters) slowest = std::max(slowest, meter.timeout);
  return slowest * 3 + std::chrono::seconds(10);
}

}  // namespace

BusFleet::BusFleet(ValidatedConfig& validated, const Clock& clock, const BusWorker::Sink& sink,
                   const BusWorker::BurstEnd& burst_end)
    : registry_(validated.registry) {
  const AppConfig& config = *validated.config;
  for (std::size_t i = 0; i < config.buses.size(); ++i) {
    workers_.push_back(std::make_unique<BusWorker>(config.buses[i], std::move(validated.drivers[i]),
                                                   clock, sink, burst_end));
    stall_limits_.push_back(stall_limit(config.buses[i]));
    for (const MeterSpec& meter : config.buses[i].spec.meters) {
      meter_workers_[meter.id] = workers_.back().get();
    }
    meter_count_ += config.buses[i].spec.meters.size();
  }
  validated.drivers.clear();
}

BusFleet::~BusFleet() {
  if (!stopped_) stop(std::chrono::seconds(10));
}

BusWorker* BusFleet::worker_for(const std::string& meter_id) const {
  auto found = meter_workers_.find(meter_id);
  return found == meter_workers_.end() ? nullptr : found->second;
}

void BusFleet::start() {
  for (auto& worker : workers_) worker->start();
}

bool BusFleet::stop(std::chrono::milliseconds deadline) {
  stopped_ = true;
  std::vector<std::future<void>> stops;
  for (auto& worker : workers_) {
    stops.push_back(std::async(std::launch::async, [w = worker.get()] { w->stop(); }));
  }
  const auto until = std::chrono::steady_clock::now() + deadline;
  bool all_done = true;
  for (std::size_t i = 0; i < stops.size(); ++i) {
    if (stops[i].wait_until(until) != std::future_status::ready) {
      spdlog::error("bus '{}' did not stop within {} ms", workers_[i]->name(), deadline.count());
      all_done = false;
    }
  }
  if (!all_done) {
    // The stuck threads still reference the workers: never free them.
    for (auto& worker : workers_) worker.release();  // NOLINT: deliberate leak at exit
    for (auto& stop : stops) new std::future<void>(std::move(stop));  // NOLINT: keep alive
    new std::shared_ptr<PluginRegistry>(registry_);  // NOLINT: plugin code stays mapped
  }
  return all_done;
}

std::vector<BusWorker*> BusFleet::workers() {
  std::vector<BusWorker*> out;
  for (auto& worker : workers_) out.push_back(worker.get());
  return out;
}

bool BusFleet::all_progressing(SteadyTime now) const {
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    if (now - workers_[i]->last_progress() > stall_limits_[i]) return false;
  }
  return true;
}

}  // namespace meterd
