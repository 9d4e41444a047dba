#include "app/fleet_action_port.h"

#include <boost/asio/post.hpp>

namespace meterd {

void FleetActionPort::submit(const std::string& meter_id, Action action,
                             std::function<void(Result<MeterReading>)> done) {
  BusFleet* fleet = fleet_();
  BusWorker* worker = fleet ? fleet->worker_for(meter_id) : nullptr;
  if (!worker) {
    Result<MeterReading> missing =
        make_error(ErrorKind::kInvalidArgument, "meter '" + meter_id + "' is on no running bus");
    boost::asio::post(loop_, [done = std::move(done), missing] { done(missing); });
    return;
  }
  worker->submit_action(meter_id, std::move(action),
                        [&loop = loop_, done = std::move(done)](Result<MeterReading> result) {
                          boost::asio::post(loop, [done, result = std::move(result)] {
                            done(result);
                          });
                        });
}

}  // namespace meterd
