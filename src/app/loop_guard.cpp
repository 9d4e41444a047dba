// SPDX-License-Identifier: Apache-2.0
#include "app/loop_guard.h"

#include <spdlog/spdlog.h>

#include "core/json_text.h"

namespace meterd {

void LoopGuard::record(const char* handler, const char* what) noexcept {
  ++count_;
  try {
    spdlog::error("internal error in {}: {} (the daemon goes on; {} so far)", handler,
                  printable(what), count_);
  } catch (...) {
    // Logging itself failed (out of memory): the count still shows it in health.
  }
}

void LoopGuard::serve(boost::asio::io_context& loop) noexcept {
  for (;;) {
    try {
      loop.run();
      return;
    } catch (...) {
      run("a loop handler", [] { throw; });
    }
  }
}

}  // namespace meterd
