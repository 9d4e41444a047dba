// SPDX-License-Identifier: Apache-2.0
// Engine tests stand an io_context in for the daemon's loop: these run what is ready on it,
// or keep running it until a condition holds (committed callbacks come from the store thread).
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>

#include "support/wait.h"

namespace meterd::test {

inline void drain_loop(boost::asio::io_context& io) {
  io.restart();
  while (io.poll() > 0) io.restart();
}

template <typename Condition>
bool pump_loop_until(boost::asio::io_context& io, Condition condition) {
  return wait_for(
      [&] {
        drain_loop(io);
        return condition();
      },
      std::chrono::milliseconds(5000), std::chrono::milliseconds(1));
}

}  // namespace meterd::test
