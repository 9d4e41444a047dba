// SPDX-License-Identifier: Apache-2.0
#include "engine/alarm_policy.h"

#include <algorithm>

namespace meterd {

AlarmLevel level_of(Money balance, const AlarmThresholds& t) {
  if (balance <= t.cut_off - t.credit_limit) return AlarmLevel::kCutOff;
  if (balance < t.low_2) return AlarmLevel::kLow2;
  if (balance < t.low_1) return AlarmLevel::kLow1;
  return AlarmLevel::kNormal;
}

AlarmLevel next_level(AlarmLevel current, Money balance, const AlarmThresholds& t) {
  const AlarmLevel plain = level_of(balance, t);
  if (plain >= current) return plain;
  // Better: only as far as the balance clears each threshold by the hysteresis.
  return std::min(current, level_of(balance - t.hysteresis, t));
}

const char* alarm_event(AlarmLevel from, AlarmLevel to) {
  if (to == from) return nullptr;
  if (to > from) {
    switch (to) {
      case AlarmLevel::kLow1:
        return "balance_low_1";
      case AlarmLevel::kLow2:
        return "balance_low_2";
      case AlarmLevel::kCutOff:
        return "cut_off";
      case AlarmLevel::kNormal:
      case AlarmLevel::kUnknown:
        return nullptr;
    }
  }
  if (from == AlarmLevel::kCutOff) return "restored";
  if (to == AlarmLevel::kNormal) return "balance_ok";
  return nullptr;
}

const char* alarm_level_name(AlarmLevel level) {
  switch (level) {
    case AlarmLevel::kUnknown:
      return "unknown";
    case AlarmLevel::kNormal:
      return "normal";
    case AlarmLevel::kLow1:
      return "low_1";
    case AlarmLevel::kLow2:
      return "low_2";
    case AlarmLevel::kCutOff:
      return "cut_off";
  }
  return "normal";
}

}  // namespace meterd
