// SPDX-License-Identifier: Apache-2.0
// When to try the next connection: servers of the list are tried in turn, the next one right
// after a failure; once every server of the list has failed in a round, the wait doubles from
// `min` up to `max`, with "equal jitter" (half fixed, half random) so 200 gateways that lost
// the same broker do not come back in lockstep. Pure value type; the caller owns the clock.
#pragma once

#include <chrono>
#include <cstddef>

namespace meterd {

class ReconnectBackoff {
 public:
  ReconnectBackoff(std::chrono::milliseconds min, std::chrono::milliseconds max,
                   std::size_t servers);

  // Records a failed attempt; returns the index of the server to try next and how long to
  // wait first. `jitter` is a uniform random number in [0, 1].
  struct Next {
    std::size_t server = 0;
    std::chrono::milliseconds delay{0};
  };
  Next on_failure(double jitter);
  // The connection was up and is now lost: retry the same server after the minimum wait.
  Next on_lost(double jitter);
  void on_connected() { failures_ = 0; }

  std::size_t server() const { return server_; }
  int failures() const { return failures_; }

 private:
  std::chrono::milliseconds jittered(std::chrono::milliseconds base, double jitter) const;

  std::chrono::milliseconds min_;
  std::chrono::milliseconds max_;
  std::size_t servers_;
  std::size_t server_ = 0;
  int failures_ = 0;
};

}  // namespace meterd
