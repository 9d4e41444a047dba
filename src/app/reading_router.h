// Takes what the bus threads produce (posted to the loop) onward: poll results become
// telemetry rows, meter state changes become meter_offline / meter_online events. The prepaid
// engine hooks in here. Runs on the loop thread.
#pragma once

#include "bus/bus_worker.h"
#include "store/store.h"

namespace meterd {

class ReadingRouter {
 public:
  explicit ReadingRouter(Store& store) : store_(store) {}
  void route(BusOutput output);

 private:
  Store& store_;
};

}  // namespace meterd
