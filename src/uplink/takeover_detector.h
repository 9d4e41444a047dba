// SPDX-License-Identifier: Apache-2.0
// Notices another client using our client id. An MQTT broker closes an existing connection
// when a client connects with the same id (a session takeover), without telling either why;
// two gateways configured with one gateway_id therefore take the id in turns, each connection
// ending seconds after it was made. From the session's connects and losses this says when
// such a fight starts (kShortLosses losses within kWindow, each within kShortSession of its
// connect) and whether it still goes on (a short loss within the last kWindow).
// Pure value type in steady time; the loop owns it.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>

#include "core/clock.h"

namespace meterd {

class TakeoverDetector {
 public:
  static constexpr std::chrono::seconds kShortSession{10};
  static constexpr std::chrono::seconds kWindow{60};
  static constexpr int kShortLosses = 3;

  void on_connected(SteadyTime now);
  // The connection was lost. True when this loss starts a conflict episode (once per episode).
  bool on_lost(SteadyTime now);

  bool in_conflict(SteadyTime now) const;
  // Short losses within kWindow before the last one.
  int recent_short_losses() const { return static_cast<int>(short_losses_.size()); }
  std::int64_t episodes() const { return episodes_; }

 private:
  std::optional<SteadyTime> connected_at_;
  std::deque<SteadyTime> short_losses_;
  bool conflict_ = false;
  std::int64_t episodes_ = 0;
};

}  // namespace meterd
