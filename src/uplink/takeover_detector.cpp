// SPDX-License-Identifier: Apache-2.0
#include "uplink/takeover_detector.h"

namespace meterd {

void TakeoverDetector::on_connected(SteadyTime now) { connected_at_ = now; }

bool TakeoverDetector::on_lost(SteadyTime now) {
  const bool was_in_conflict = in_conflict(now);
  if (!was_in_conflict) conflict_ = false;  // a past episode is over
  const bool short_lived = connected_at_ && now - *connected_at_ < kShortSession;
  connected_at_.reset();
  if (!short_lived) return false;
  short_losses_.push_back(now);
  while (now - short_losses_.front() >= kWindow) short_losses_.pop_front();
  if (static_cast<int>(short_losses_.size()) < kShortLosses) return false;
  conflict_ = true;
  if (was_in_conflict) return false;
  ++episodes_;
  return true;
}

bool TakeoverDetector::in_conflict(SteadyTime now) const {
  return conflict_ && !short_losses_.empty() && now - short_losses_.back() < kWindow;
}

}  // namespace meterd
