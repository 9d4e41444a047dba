// SPDX-License-Identifier: Apache-2.0
// Test helper: serves a LineSim on one side of a pty pair from its own thread, so a driver on
// the other side talks to simulated meters through a real tty. The line is shared with the
// test thread under a mutex (with_line). An optional reply filter rewrites the bytes of the
// next replies (truncation, noise, another meter's frame); an optional wire delay holds each
// reply back for the wire time of request + reply at a baud rate, plus a latency.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "dlt645/sim/line_sim.h"

namespace meterd::dlt645::testing {

using ReplyFilter = std::function<std::vector<std::uint8_t>(std::vector<std::uint8_t>)>;

struct WireDelay {
  int baud = 2400;
  int bits_per_char = 11;  // 8E1
  std::chrono::microseconds latency{0};
};

class PtyLineServer {
 public:
  // Opens `device` raw 8N1 and starts serving; throws std::runtime_error if it cannot.
  PtyLineServer(const std::string& device, const Clock& clock);
  ~PtyLineServer();
  PtyLineServer(const PtyLineServer&) = delete;
  PtyLineServer& operator=(const PtyLineServer&) = delete;

  template <typename Fn>
  auto with_line(Fn&& fn) {
    std::lock_guard lock(mutex_);
    return fn(line_);
  }
  // Applies `filter` to the next `replies` replies (-1: all, until cleared with nullptr).
  void set_reply_filter(ReplyFilter filter, int replies = -1);
  void set_wire_delay(WireDelay delay);
  std::uint64_t requests_with_reply() const { return replies_.load(); }

 private:
  void serve();

  int fd_ = -1;
  std::mutex mutex_;
  LineSim line_;
  ReplyFilter filter_;
  int filter_replies_ = 0;
  bool wire_delay_on_ = false;
  WireDelay wire_delay_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> replies_{0};
  std::thread thread_;
};

}  // namespace meterd::dlt645::testing
