// SPDX-License-Identifier: Apache-2.0
// The loop's outermost guard: a handler that throws is logged and counted, and the loop goes on
// with the next handler instead of ending the daemon ("start-up failed").
#include "app/loop_guard.h"

#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <stdexcept>

namespace meterd {
namespace {

namespace asio = boost::asio;

TEST(LoopGuard, AnUnguardedHandlerThatThrowsIsCountedAndTheLoopRunsTheNextOnes) {
  asio::io_context loop;
  LoopGuard guard;
  int ran = 0;
  asio::post(loop, [] { throw std::runtime_error("bad"); });
  asio::post(loop, [&] { ++ran; });
  asio::post(loop, [] { throw 42; });  // not even a std::exception
  asio::post(loop, [&] { ++ran; });
  guard.serve(loop);
  EXPECT_EQ(ran, 2);
  EXPECT_EQ(guard.count(), 2);
}

TEST(LoopGuard, AWrappedHandlerThatThrowsLeavesTheLoopAndItsTimersRunning) {
  asio::io_context loop;
  LoopGuard guard;
  asio::steady_timer timer(loop);
  int ticks = 0;
  std::function<void()> arm = [&] {
    timer.expires_after(std::chrono::milliseconds(1));
    timer.async_wait(guard.wrap("tick", [&](const boost::system::error_code& ec) {
      if (ec) return;
      if (++ticks < 3) arm();
      throw std::logic_error("tick failed");  // after re-arming, as the daemon's timers do
    }));
  };
  arm();
  guard.serve(loop);
  EXPECT_EQ(ticks, 3);
  EXPECT_EQ(guard.count(), 3);
}

TEST(LoopGuard, RunReportsWhetherTheHandlerThrew) {
  LoopGuard guard;
  EXPECT_TRUE(guard.run("fine", [] {}));
  EXPECT_FALSE(guard.run("broken", [] { throw std::bad_alloc(); }));
  EXPECT_EQ(guard.count(), 1);
}

}  // namespace
}  // namespace meterd
