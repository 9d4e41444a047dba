// SPDX-License-Identifier: Apache-2.0
#include "bus/poll_schedule.h"

#include <algorithm>

namespace meterd {

PollSchedule::PollSchedule(std::size_t meters, std::vector<Millis> group_intervals,
                           int offline_after_failures, Millis backoff_interval)
    : intervals_(std::move(group_intervals)),
      offline_after_(std::max(1, offline_after_failures)),
      backoff_(std::max(Millis(1), backoff_interval)),
      meters_(meters) {
  // A zero interval would make a slot due forever; config rejects it, this only guards.
  for (auto& interval : intervals_) interval = std::max(Millis(1), interval);
}

void PollSchedule::start(SteadyTime now) {
  const std::size_t groups = intervals_.size();
  const std::int64_t slots = static_cast<std::int64_t>(meters_.size() * groups);
  for (std::size_t m = 0; m < meters_.size(); ++m) {
    for (std::size_t g = 0; g < groups; ++g) {
      // Spread slot k at k/slots of its interval, so a thousand meters do not fire at once.
      const auto k = static_cast<std::int64_t>(m * groups + g);
      const Millis phase(intervals_[g].count() * k / slots);
      push(m, g, false, now + phase);
    }
  }
}

void PollSchedule::push(std::size_t meter, std::size_t group, bool probe, SteadyTime due) {
  queue_.push(PollJob{meter, group, probe, due, meters_[meter].generation});
}

std::size_t PollSchedule::take_probe_group(MeterState& meter) {
  // Probes rotate over the groups so every group is read now and then while offline.
  const std::size_t group = meter.next_probe_group;
  meter.next_probe_group = (group + 1) % intervals_.size();
  return group;
}

void PollSchedule::drop_stale() {
  // Jobs scheduled before the meter changed state (online <-> offline) are dropped lazily.
  while (!queue_.empty() && queue_.top().generation != meters_[queue_.top().meter].generation) {
    queue_.pop();
  }
}

std::optional<SteadyTime> PollSchedule::next_due() {
  drop_stale();
  if (queue_.empty()) return std::nullopt;
  return queue_.top().due;
}

std::optional<PollJob> PollSchedule::take_due(SteadyTime now) {
  drop_stale();
  if (queue_.empty() || queue_.top().due > now) return std::nullopt;
  PollJob job = queue_.top();
  queue_.pop();
  return job;
}

MeterTransition PollSchedule::complete(const PollJob& job, PollOutcome outcome,
                                       SteadyTime finished) {
  MeterState& meter = meters_[job.meter];
  if (job.probe) {
    if (outcome != PollOutcome::kOk) {
      push(job.meter, take_probe_group(meter), true, finished + backoff_);
      return MeterTransition::kNone;
    }
    meter.offline = false;
    meter.failures = 0;
    ++meter.generation;
    --offline_count_;
    // The probed group just answered; the others are due at once.
    for (std::size_t g = 0; g < intervals_.size(); ++g) {
      push(job.meter, g, false, g == job.group ? finished + intervals_[g] : finished);
    }
    return MeterTransition::kCameOnline;
  }

  // Keep the slot's phase; when behind, keep one pending poll and count the skipped ones.
  const Millis interval = intervals_[job.group];
  SteadyTime next = job.due + interval;
  if (next + interval <= finished) {
    const std::int64_t skipped = (finished - next) / interval;
    next += interval * skipped;
    overruns_ += skipped;
  }

  if (outcome == PollOutcome::kOk) meter.failures = 0;
  if (outcome == PollOutcome::kFailed && ++meter.failures >= offline_after_) {
    meter.offline = true;
    ++meter.generation;
    ++offline_count_;
    push(job.meter, take_probe_group(meter), true, finished + backoff_);
    return MeterTransition::kWentOffline;
  }
  push(job.meter, job.group, false, next);
  return MeterTransition::kNone;
}

}  // namespace meterd
