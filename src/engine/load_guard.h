// SPDX-License-Identifier: Apache-2.0
// Load control of one meter: watches its active power and power factor readings against its
// LoadLimits, trips on over-power held past the grace time or on a malignant (resistive)
// step in power that no whitelisted appliance explains, and schedules the automatic restore
// (at most max_restores_per_day restores a local day, then the meter stays off until a person
// restores it). Pure logic over readings and times (no I/O, no clock); loop thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/clock.h"
#include "engine/load_limits.h"

namespace meterd {

enum class LoadTripReason { kOverload, kMalignantLoad };
const char* load_trip_event(LoadTripReason reason);  // overload_trip, malignant_load_trip
std::optional<LoadTripReason> load_trip_reason_named(const std::string& event);

// What survives a restart (the load_trips table).
struct LoadTripState {
  bool tripped = false;
  LoadTripReason reason = LoadTripReason::kOverload;
  WallTime tripped_at{};
  std::optional<WallTime> restore_at;  // none while tripped: off until a person restores
  int restores_today = 0;              // automatic restores on local day `restores_day`
  std::int32_t restores_day = 0;       // yyyymmdd
  bool operator==(const LoadTripState&) const = default;
};

struct LoadVerdict {
  enum class Kind { kNone, kTrip, kLearned };
  Kind kind = Kind::kNone;
  LoadTripReason reason = LoadTripReason::kOverload;
  double power_w = 0;     // the reading that decided
  double step_w = 0;      // malignant load / learned: the rise in active power
  double step_pf = 0;     // ... and its own power factor
  WallTime over_since{};  // overload: the first reading over the limit (grace counts from it)
};

class LoadGuard {
 public:
  // One reading of the meter (power and pf as far as it reported them), taken at `t`, on the
  // local day `today` (yyyymmdd). Learned signatures are added to `limits`.
  LoadVerdict on_reading(LoadLimits& limits, std::optional<double> power_w,
                         std::optional<double> pf, WallTime t, std::int32_t today);
  bool restore_due(WallTime now) const;
  // The automatic restore, once due: counts it for `today`.
  void restore_automatically(std::int32_t today);
  // A person restored supply (relay_close), or the limits were cleared.
  void reset();

  const LoadTripState& state() const { return state_; }
  void load(const LoadTripState& state) { state_ = state; }

 private:
  void trip(const LoadLimits& limits, LoadTripReason reason, WallTime t, std::int32_t today);
  std::optional<LoadVerdict> judge_step(LoadLimits& limits, double power_w, double pf, WallTime t);

  LoadTripState state_;
  std::optional<WallTime> over_since_;
  std::optional<double> last_power_w_;
  std::optional<double> last_pf_;
};

}  // namespace meterd
