// SPDX-License-Identifier: Apache-2.0
// Takes what the bus threads produce (posted to the loop) onward: poll results become
// telemetry rows and go to the prepaid engine, meter state changes become meter_offline /
// meter_online events. Runs on the loop thread.
#pragma once

#include "app/meter_board.h"
#include "bus/bus_worker.h"
#include "engine/engine.h"
#include "store/store.h"

namespace meterd {

class ReadingRouter {
 public:
  ReadingRouter(Store& store, MeterBoard& board) : store_(store), board_(board) {}
  void route(BusOutput output);
  // The engine readings also go to (replaced on reload); nullptr for none.
  void set_engine(Engine* engine) { engine_ = engine; }

 private:
  Store& store_;
  MeterBoard& board_;
  Engine* engine_ = nullptr;
};

}  // namespace meterd
