// SPDX-License-Identifier: Apache-2.0
// When each (meter, poll group) of one bus is due, and which meters are offline. Pure logic
// over steady time, no I/O and no threads: the BusWorker asks it for the most overdue job and
// reports each result back. Used by the bus thread only.
//
// Rules: initial phases are spread across each group's interval; a slot keeps its phase
// (next = previous due + interval), and when the bus falls behind each slot has at most one
// pending poll (the skipped ones are counted as overruns). After `offline_after_failures`
// failed polls in a row a meter is offline: its groups are no longer polled, one probe (one
// group read, rotating over the groups) runs every `backoff_interval` until one succeeds.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <queue>
#include <vector>

#include "core/clock.h"

namespace meterd {

struct PollJob {
  std::size_t meter = 0;
  std::size_t group = 0;
  bool probe = false;  // a backoff probe of an offline meter
  SteadyTime due;
  std::uint64_t generation = 0;  // the meter's state generation when scheduled
};

enum class PollOutcome { kOk, kFailed, kBusError };
enum class MeterTransition { kNone, kWentOffline, kCameOnline };

class PollSchedule {
 public:
  PollSchedule(std::size_t meters, std::vector<Millis> group_intervals, int offline_after_failures,
               Millis backoff_interval);

  // Schedules every (meter, group) with phases spread over its interval, starting at `now`.
  void start(SteadyTime now);
  // The earliest due time, or nullopt when nothing is scheduled.
  std::optional<SteadyTime> next_due();
  // Removes and returns the most overdue job due at `now`, if any.
  std::optional<PollJob> take_due(SteadyTime now);
  // Reschedules `job` according to its outcome; a bus error is not the meter's fault.
  MeterTransition complete(const PollJob& job, PollOutcome outcome, SteadyTime finished);

  bool offline(std::size_t meter) const { return meters_[meter].offline; }
  std::size_t offline_count() const { return offline_count_; }
  std::int64_t overruns() const { return overruns_; }

 private:
  struct MeterState {
    int failures = 0;
    bool offline = false;
    std::uint64_t generation = 0;
    std::size_t next_probe_group = 0;
  };
  struct Later {
    bool operator()(const PollJob& a, const PollJob& b) const { return a.due > b.due; }
  };

  void push(std::size_t meter, std::size_t group, bool probe, SteadyTime due);
  void drop_stale();
  std::size_t take_probe_group(MeterState& meter);

  std::vector<Millis> intervals_;
  int offline_after_;
  Millis backoff_;
  std::vector<MeterState> meters_;
  std::priority_queue<PollJob, std::vector<PollJob>, Later> queue_;
  std::size_t offline_count_ = 0;
  std::int64_t overruns_ = 0;
};

}  // namespace meterd
