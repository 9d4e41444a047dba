// SPDX-License-Identifier: Apache-2.0
// The outermost guard of the handlers that run on the loop: an exception that reaches it is
// logged as "internal error in <handler>: <what>" and counted (health `internal_errors`), and
// the loop keeps serving. Nothing thrown by one handler may end the daemon. Loop thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <exception>
#include <utility>

namespace meterd {

class LoopGuard {
 public:
  // Runs `fn`; returns false when it threw (then it was logged and counted).
  template <typename Fn>
  bool run(const char* handler, Fn&& fn) noexcept {
    try {
      std::forward<Fn>(fn)();
      return true;
    } catch (const std::exception& e) {
      record(handler, e.what());
    } catch (...) {
      record(handler, "unknown exception");
    }
    return false;
  }

  // `fn` behind this guard, as a handler to post or to hand to a timer.
  template <typename Fn>
  auto wrap(const char* handler, Fn fn) {
    return [this, handler, fn = std::move(fn)](auto&&... args) mutable {
      this->run(handler, [&] { fn(std::forward<decltype(args)>(args)...); });
    };
  }

  // Runs `loop` until it runs out of work or is stopped. A handler without a guard of its own
  // that throws is caught here ("a loop handler") and the loop goes on with the next one.
  void serve(boost::asio::io_context& loop) noexcept;

  std::int64_t count() const { return count_; }

 private:
  void record(const char* handler, const char* what) noexcept;

  std::int64_t count_ = 0;
};

}  // namespace meterd
