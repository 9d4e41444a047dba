// SPDX-License-Identifier: Apache-2.0
// Bus outputs on their way from the bus threads to the loop. A bus thread pushes its outputs
// and calls hand_over() at the end of each burst (the worker's BurstEnd); the inbox posts one
// drain to the loop then, and the drain takes everything waiting, so the outputs of a burst
// (all the meters of a bus polled one after another) cost the loop one wake-up instead of one
// each. Outputs are never held long: a push posts the drain at once when what waits is
// kHandOverRows outputs or older than kHandOverAge (a saturated bus never ends a burst).
// push() and hand_over(): any thread; take(): the loop.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

#include "bus/bus_worker.h"

namespace meterd {

class OutputInbox {
 public:
  static constexpr std::size_t kHandOverRows = 256;
  static constexpr std::chrono::milliseconds kHandOverAge{20};

  // `post_drain` hands a call of take() (and the routing of what it returns) to the loop.
  explicit OutputInbox(std::function<void()> post_drain) : post_drain_(std::move(post_drain)) {}

  void push(BusOutput output) {
    const auto now = std::chrono::steady_clock::now();
    bool post = false;
    {
      std::lock_guard lock(mu_);
      if (waiting_.empty()) first_waiting_ = now;
      waiting_.push_back(std::move(output));
      post = !drain_posted_ &&
             (waiting_.size() >= kHandOverRows || now - first_waiting_ >= kHandOverAge);
      if (post) drain_posted_ = true;
    }
    if (post) post_drain_();
  }

  // The end of a burst: whatever waits goes to the loop now.
  void hand_over() {
    {
      std::lock_guard lock(mu_);
      if (drain_posted_ || waiting_.empty()) return;
      drain_posted_ = true;
    }
    post_drain_();
  }

  std::vector<BusOutput> take() {
    std::vector<BusOutput> out;
    std::lock_guard lock(mu_);
    out.swap(waiting_);
    drain_posted_ = false;
    return out;
  }

 private:
  std::function<void()> post_drain_;
  std::mutex mu_;
  std::vector<BusOutput> waiting_;  // guarded by mu_
  std::chrono::steady_clock::time_point first_waiting_;
  bool drain_posted_ = false;  // a drain is on its way to the loop; guarded by mu_
};

}  // namespace meterd
