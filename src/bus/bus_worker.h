// SPDX-License-Identifier: Apache-2.0
// One bus, one thread. The worker owns a MeterDriver and polls each meter's groups at their
// intervals, runs queued actions and live reads ahead of polls, and backs off a meter that failed
// `offline_after_failures` polls in a row (polled every backoff_interval until it answers).
// Results go to the sink on the bus thread; the daemon posts them onward to the loop.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "config/app_config.h"
#include "core/clock.h"
#include "core/driver.h"
#include "core/meter_polled.h"

namespace meterd {

struct MeterStateChanged {
  std::string meter_id;
  bool online = false;
  WallTime time;
  std::string reason;  // the last error for offline
};

// An event a driver reported (MeterDriver::take_events), with its meter's id (empty for the
// bus as a whole) and the bus's name in the details.
struct DriverEventSeen {
  std::string meter_id;
  WallTime time;
  DriverEvent event;
};

using BusOutput = std::variant<MeterPolled, MeterStateChanged, DriverEventSeen>;

// Counters are totals since start; polls counts every read attempt (probes of offline meters
// and the group reads of live reads included), overruns counts scheduled polls skipped because
// the bus was too busy to run them.
struct BusStats {
  std::int64_t polls = 0;
  std::int64_t poll_errors = 0;
  std::int64_t timeouts = 0;
  std::int64_t actions = 0;
  std::int64_t action_errors = 0;
  std::int64_t offline_meters = 0;  // a gauge: meters offline now
  std::int64_t overruns = 0;
  std::int64_t internal_errors = 0;  // exceptions caught by the bus thread's outermost guard
  double latency_avg_ms = 0;         // mean poll latency since the last snapshot
  double latency_max_ms = 0;
};

class BusWorker {
 public:
  using Sink = std::function<void(BusOutput)>;
  // Called on the bus thread when the worker has no further output in hand for now: before it
  // waits, and before it calls an action's or a live read's done. A sink that holds outputs to
  // hand them over together hands them over then (so a done never overtakes an output).
  using BurstEnd = std::function<void()>;
  using ActionDone = std::function<void(Result<MeterReading>)>;
  using ReadDone = std::function<void(Result<MeterReading>)>;

  BusWorker(const BusConfig& config, std::unique_ptr<MeterDriver> driver, const Clock& clock,
            Sink sink, BurstEnd burst_end = {});
  ~BusWorker();  // stops and joins
  BusWorker(const BusWorker&) = delete;
  BusWorker& operator=(const BusWorker&) = delete;

  // Starts the bus thread: opens the driver (reopening with backoff while it fails) and polls.
  void start();
  // Finishes the transaction in progress and joins the thread. Actions still queued get an
  // error, and so do queued reads. Idempotent; the worker cannot be restarted.
  void stop();
  // Queues an action ahead of polls; `done` runs on the bus thread. Unknown meter: done gets
  // kInvalidArgument at once.
  void submit_action(const std::string& meter_id, Action action, ActionDone done);
  // Queues a live read of named points, in one queue with actions (ahead of polls). On the bus
  // thread it reads, fresh from the meter, each poll group that polls a requested point (once
  // each), and `done` gets a MeterReading of only the requested points (values and per-point
  // errors); a point no group polls is a per-point kNotSupported. The first group read that
  // fails ends the read, and `done` gets its error. Each group read counts as a poll in the
  // stats and is forwarded to the sink as a MeterPolled (so the engine bills energy from it
  // like any poll), but it leaves the schedule and the meter's online state untouched (an
  // offline meter is still read). Unknown meter or no points: done gets kInvalidArgument at
  // once; no requested point polled at all: done gets the per-point errors at once.
  void submit_read(const std::string& meter_id, const std::vector<std::string>& points,
                   ReadDone done);
  const std::string& name() const;
  // Stats since the previous snapshot for the rates, totals for the counters. Any thread.
  // `reset_rates` false (a Prometheus scrape) leaves the rates' interval running.
  BusStats snapshot(bool reset_rates = true);
  // Steady time of the last transaction or idle wake (at least every 500 ms while running);
  // the watchdog uses it to tell a stuck bus. Any thread.
  SteadyTime last_progress() const;
  // Failed scheduled polls of each meter (by id) since start. Any thread.
  std::map<std::string, std::int64_t> meter_poll_errors();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace meterd
