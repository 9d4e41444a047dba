// SPDX-License-Identifier: Apache-2.0
#include "app/fleet_action_port.h"

#include <boost/asio/post.hpp>

namespace meterd {

namespace {

// The bus thread's answer, handed back on the loop.
std::function<void(Result<MeterReading>)> on_loop(boost::asio::io_context& loop,
                                                  std::function<void(Result<MeterReading>)> done) {
  return [&loop, done = std::move(done)](Result<MeterReading> result) {
    boost::asio::post(loop, [done, result = std::move(result)] { done(result); });
  };
}

}  // namespace

BusWorker* FleetActionPort::worker_or_fail(const std::string& meter_id,
                                           std::function<void(Result<MeterReading>)>& done) {
  BusFleet* fleet = fleet_();
  BusWorker* worker = fleet ? fleet->worker_for(meter_id) : nullptr;
  if (!worker) {
    Result<MeterReading> missing =
        make_error(ErrorKind::kInvalidArgument, "meter '" + meter_id + "' is on no running bus");
    boost::asio::post(loop_, [done = std::move(done), missing] { done(missing); });
  }
  return worker;
}

void FleetActionPort::submit(const std::string& meter_id, Action action,
                             std::function<void(Result<MeterReading>)> done) {
  if (BusWorker* worker = worker_or_fail(meter_id, done)) {
    worker->submit_action(meter_id, std::move(action), on_loop(loop_, std::move(done)));
  }
}

void FleetActionPort::read(const std::string& meter_id, std::vector<std::string> points,
                           std::function<void(Result<MeterReading>)> done) {
  if (BusWorker* worker = worker_or_fail(meter_id, done)) {
    worker->submit_read(meter_id, points, on_loop(loop_, std::move(done)));
  }
}

}  // namespace meterd
