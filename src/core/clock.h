// SPDX-License-Identifier: Apache-2.0
// Time is injected: everything that waits, backs off or schedules asks a Clock, so tests can
// run rules in virtual time. Thread-safe: a Clock may be read from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace meterd {

using WallTime = std::chrono::system_clock::time_point;
using SteadyTime = std::chrono::steady_clock::time_point;
using Millis = std::chrono::milliseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual WallTime wall_now() const = 0;
  virtual SteadyTime steady_now() const = 0;
};

class SystemClock final : public Clock {
 public:
  WallTime wall_now() const override { return std::chrono::system_clock::now(); }
  SteadyTime steady_now() const override { return std::chrono::steady_clock::now(); }
};

// Virtual time for tests: starts at a given wall time and moves only when advanced.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(WallTime start = WallTime{}) : offset_ns_(0), wall_start_(start) {}
  WallTime wall_now() const override {
    return wall_start_ + std::chrono::duration_cast<WallTime::duration>(
                             std::chrono::nanoseconds(offset_ns_.load()));
  }
  SteadyTime steady_now() const override {
    return SteadyTime{} + std::chrono::nanoseconds(offset_ns_.load());
  }
  void advance(std::chrono::nanoseconds by) { offset_ns_ += by.count(); }

 private:
  std::atomic<std::int64_t> offset_ns_;
  WallTime wall_start_;
};

inline std::int64_t to_unix_ms(WallTime t) {
  return std::chrono::duration_cast<Millis>(t.time_since_epoch()).count();
}

}  // namespace meterd
