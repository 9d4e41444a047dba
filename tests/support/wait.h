// SPDX-License-Identifier: Apache-2.0
// Waiting on conditions in tests: poll a predicate until it holds or a deadline passes, so no
// test sleeps blindly. Header-only; any thread.
#pragma once

#include <chrono>
#include <thread>

namespace meterd::test {

// True as soon as `predicate()` holds; false when it still does not after `timeout`.
template <typename Predicate>
bool wait_for(Predicate&& predicate, std::chrono::milliseconds timeout,
              std::chrono::milliseconds poll_interval = std::chrono::milliseconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (predicate()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(poll_interval);
  }
}

}  // namespace meterd::test
