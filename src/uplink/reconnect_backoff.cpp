// SPDX-License-Identifier: Apache-2.0
#include "uplink/reconnect_backoff.h"

#include <algorithm>

namespace meterd {

ReconnectBackoff::ReconnectBackoff(std::chrono::milliseconds min, std::chrono::milliseconds max,
                                   std::size_t servers)
    : min_(std::max(min, std::chrono::milliseconds(1))),
      max_(std::max(max, min_)),
      servers_(std::max<std::size_t>(servers, 1)) {}

std::chrono::milliseconds ReconnectBackoff::jittered(std::chrono::milliseconds base,
                                                     double jitter) const {
  jitter = std::clamp(jitter, 0.0, 1.0);
  const auto half = base.count() / 2;
  return std::chrono::milliseconds(base.count() - half +
                                   static_cast<std::int64_t>(static_cast<double>(half) * jitter));
}

ReconnectBackoff::Next ReconnectBackoff::on_failure(double jitter) {
  ++failures_;
  server_ = (server_ + 1) % servers_;
  if (failures_ % static_cast<int>(servers_) != 0) return {server_, std::chrono::milliseconds(0)};
  // A whole round failed: back off, doubling per completed round.
  const int rounds = failures_ / static_cast<int>(servers_);
  auto base = min_;
  for (int i = 1; i < rounds && base < max_; ++i) base *= 2;
  return {server_, jittered(std::min(base, max_), jitter)};
}

ReconnectBackoff::Next ReconnectBackoff::on_lost(double jitter) {
  failures_ = 0;
  return {server_, jittered(min_, jitter)};
}

}  // namespace meterd
