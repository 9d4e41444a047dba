// The prepaid engine's way to the meters: an action for a meter goes to the bus worker that
// polls it, and its outcome comes back on the loop. Loop thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>

#include "app/bus_fleet.h"
#include "engine/engine.h"

namespace meterd {

class FleetActionPort final : public ActionPort {
 public:
  // `fleet` is asked at each call: the fleet is replaced on reload.
  FleetActionPort(boost::asio::io_context& loop, std::function<BusFleet*()> fleet)
      : loop_(loop), fleet_(std::move(fleet)) {}
  void submit(const std::string& meter_id, Action action,
              std::function<void(Result<MeterReading>)> done) override;

 private:
  boost::asio::io_context& loop_;
  std::function<BusFleet*()> fleet_;
};

}  // namespace meterd
