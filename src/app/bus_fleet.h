// SPDX-License-Identifier: Apache-2.0
// The set of running bus workers built from one validated configuration. Owned by the
// daemon on the loop thread; the workers' sinks run on their bus threads.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "app/config_validation.h"
#include "bus/bus_worker.h"

namespace meterd {

class BusFleet {
 public:
  // Takes the drivers (and the registry keeping their code loaded) out of `validated`.
  BusFleet(ValidatedConfig& validated, const Clock& clock, const BusWorker::Sink& sink,
           const BusWorker::BurstEnd& burst_end = {});
  ~BusFleet();

  void start();
  // Stops every worker in parallel. Returns false if some bus thread did not finish its
  // transaction within `deadline` (it is then left to the process exit).
  bool stop(std::chrono::milliseconds deadline);

  std::vector<BusWorker*> workers();
  // The worker polling `meter_id`, or nullptr.
  BusWorker* worker_for(const std::string& meter_id) const;
  std::size_t meter_count() const { return meter_count_; }
  // True when every bus thread made progress within its stall limit.
  bool all_progressing(SteadyTime now) const;

 private:
  std::shared_ptr<PluginRegistry> registry_;  // outlives the workers' drivers
  std::vector<std::unique_ptr<BusWorker>> workers_;
  std::vector<std::chrono::milliseconds> stall_limits_;
  std::map<std::string, BusWorker*> meter_workers_;
  std::size_t meter_count_ = 0;
  bool stopped_ = false;
};

}  // namespace meterd
