// SPDX-License-Identifier: Apache-2.0
// The prepaid engine's way to the meters: an action for a meter goes to the bus worker that
// polls it, and its outcome comes back on the loop. Loop thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>

#include "app/bus_fleet.h"
#include "commands/step_runner.h"
#include "engine/engine.h"

namespace meterd {

class FleetActionPort final : public ActionPort, public LiveReadPort {
 public:
  // `fleet` is asked at each call: the fleet is replaced on reload.
  FleetActionPort(boost::asio::io_context& loop, std::function<BusFleet*()> fleet)
      : loop_(loop), fleet_(std::move(fleet)) {}
  void submit(const std::string& meter_id, Action action,
              std::function<void(Result<MeterReading>)> done) override;
  void read(const std::string& meter_id, std::vector<std::string> points,
            std::function<void(Result<MeterReading>)> done) override;

 private:
  BusWorker* worker_or_fail(const std::string& meter_id,
                            std::function<void(Result<MeterReading>)>& done);

  boost::asio::io_context& loop_;
  std::function<BusFleet*()> fleet_;
};

}  // namespace meterd
