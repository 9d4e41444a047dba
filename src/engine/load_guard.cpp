// SPDX-License-Identifier: Apache-2.0
#include "engine/load_guard.h"

#include <algorithm>
#include <cmath>

namespace meterd {
namespace {

constexpr std::size_t kMaxSignatures = 64;

bool whitelisted(const MalignantLoadRule& rule, double step_w) {
  return std::any_of(rule.whitelist.begin(), rule.whitelist.end(),
                     [&](const ApplianceSignature& s) {
                       return std::abs(step_w - static_cast<double>(s.step_w)) <=
                              static_cast<double>(s.tolerance_w);
                     });
}

}  // namespace

const char* load_trip_event(LoadTripReason reason) {
  return reason == LoadTripReason::kOverload ? "overload_trip" : "malignant_load_trip";
}

std::optional<LoadTripReason> load_trip_reason_named(const std::string& event) {
  if (event == "overload_trip") return LoadTripReason::kOverload;
  if (event == "malignant_load_trip") return LoadTripReason::kMalignantLoad;
  return std::nullopt;
}

LoadVerdict LoadGuard::on_reading(LoadLimits& limits, std::optional<double> power_w,
                                  std::optional<double> pf, WallTime t, std::int32_t today) {
  if (state_.tripped || !power_w) {
    // Nothing to judge while the relay is open; the rise when supply returns is judged
    // against the power before the trip no more.
    if (state_.tripped) {
      last_power_w_.reset();
      over_since_.reset();
    }
    return {};
  }
  const double power = *power_w;
  LoadVerdict verdict;
  if (limits.max_power_w && power > static_cast<double>(*limits.max_power_w)) {
    if (!over_since_) over_since_ = t;
    if (t - *over_since_ >= limits.grace) {
      verdict = LoadVerdict{
          LoadVerdict::Kind::kTrip, LoadTripReason::kOverload, power, 0, 0, *over_since_};
    }
  } else {
    over_since_.reset();
  }
  if (verdict.kind == LoadVerdict::Kind::kNone && limits.malignant && pf) {
    if (std::optional<LoadVerdict> step = judge_step(limits, power, *pf, t)) verdict = *step;
  }
  last_power_w_ = power;
  if (pf) last_pf_ = *pf;
  if (verdict.kind == LoadVerdict::Kind::kTrip) trip(limits, verdict.reason, t, today);
  return verdict;
}

// A rise in active power judged by its own power factor: with apparent power S = P / pf
// before and after, the step's pf is dP / dS. Resistive heating (a hot plate, an electric
// heater) is close to 1; motors and electronics are well below.
std::optional<LoadVerdict> LoadGuard::judge_step(LoadLimits& limits, double power_w, double pf,
                                                 WallTime t) {
  MalignantLoadRule& rule = *limits.malignant;
  if (!last_power_w_ || pf <= 0) return std::nullopt;
  const double step_w = power_w - *last_power_w_;
  if (step_w < static_cast<double>(rule.min_step_w)) return std::nullopt;
  const double pf_before = last_pf_.value_or(pf) > 0 ? last_pf_.value_or(pf) : pf;
  const double apparent_step = power_w / pf - *last_power_w_ / pf_before;
  if (apparent_step <= 0) return std::nullopt;
  const double step_pf = std::min(1.0, step_w / apparent_step);
  if (step_pf * 1000 < static_cast<double>(rule.min_pf_milli)) return std::nullopt;
  if (whitelisted(rule, step_w)) return std::nullopt;
  if (rule.learn_until && t < *rule.learn_until) {
    if (rule.whitelist.size() >= kMaxSignatures) return std::nullopt;
    const auto rounded = static_cast<std::int64_t>(std::llround(step_w));
    rule.whitelist.push_back(ApplianceSignature{rounded, std::max<std::int64_t>(50, rounded / 10)});
    return LoadVerdict{LoadVerdict::Kind::kLearned, LoadTripReason::kMalignantLoad, power_w, step_w,
                       step_pf};
  }
  return LoadVerdict{LoadVerdict::Kind::kTrip, LoadTripReason::kMalignantLoad, power_w, step_w,
                     step_pf};
}

void LoadGuard::trip(const LoadLimits& limits, LoadTripReason reason, WallTime t,
                     std::int32_t today) {
  if (state_.restores_day != today) {
    state_.restores_day = today;
    state_.restores_today = 0;
  }
  state_.tripped = true;
  state_.reason = reason;
  state_.tripped_at = t;
  state_.restore_at.reset();
  if (limits.restore_after.count() > 0 && state_.restores_today < limits.max_restores_per_day) {
    state_.restore_at = t + limits.restore_after;
  }
  over_since_.reset();
  last_power_w_.reset();
}

bool LoadGuard::restore_due(WallTime now) const {
  return state_.tripped && state_.restore_at && now >= *state_.restore_at;
}

void LoadGuard::restore_automatically(std::int32_t today) {
  if (state_.restores_day != today) {
    state_.restores_day = today;
    state_.restores_today = 0;
  }
  ++state_.restores_today;
  state_.tripped = false;
  state_.restore_at.reset();
}

void LoadGuard::reset() {
  state_.tripped = false;
  state_.restore_at.reset();
  over_since_.reset();
  last_power_w_.reset();
}

}  // namespace meterd
