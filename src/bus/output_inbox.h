// SPDX-License-Identifier: Apache-2.0
// Bus outputs on their way from the bus threads to the loop. A bus thread pushes; a drain is
// posted to the loop only when the inbox was empty, and the drain takes everything waiting, so
// outputs that arrive together cost the loop one wake-up instead of one each. Every output
// pushed is taken by a drain posted at or after its push. push(): any thread; take(): the loop.
#pragma once

#include <functional>
#include <mutex>
#include <utility>
#include <vector>

#include "bus/bus_worker.h"

namespace meterd {

class OutputInbox {
 public:
  // `post_drain` hands a call of take() (and the routing of what it returns) to the loop.
  explicit OutputInbox(std::function<void()> post_drain) : post_drain_(std::move(post_drain)) {}

  void push(BusOutput output) {
    bool was_empty = false;
    {
      std::lock_guard lock(mu_);
      was_empty = waiting_.empty();
      waiting_.push_back(std::move(output));
    }
    if (was_empty) post_drain_();
  }

  std::vector<BusOutput> take() {
    std::vector<BusOutput> out;
    std::lock_guard lock(mu_);
    out.swap(waiting_);
    return out;
  }

 private:
  std::function<void()> post_drain_;
  std::mutex mu_;
  std::vector<BusOutput> waiting_;  // guarded by mu_
};

}  // namespace meterd
