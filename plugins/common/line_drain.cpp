// SPDX-License-Identifier: Apache-2.0
#include "common/line_drain.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

namespace meterd::line {

DrainResult drain_line(int fd, const DrainPolicy& policy) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto give_up = start + policy.limit;
  auto last_byte = start;
  DrainResult result;
  for (;;) {
    const auto now = Clock::now();
    const auto silent_enough = std::max(start + policy.window, last_byte + policy.quiet);
    if (now >= silent_enough) return result;
    if (now >= give_up) {
      result.quiet = false;
      return result;
    }
    const auto wait =
        std::chrono::ceil<std::chrono::milliseconds>(std::min(silent_enough, give_up) - now);
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(wait.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) continue;  // the deadlines above decide
    if (ready < 0) {
      result.quiet = false;
      return result;
    }
    unsigned char chunk[256];
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n > 0) {
      result.bytes += static_cast<std::size_t>(n);
      last_byte = Clock::now();
      continue;
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    // Closed or failing: nothing more can arrive; the next transaction reports the fault.
    result.quiet = false;
    return result;
  }
}

std::size_t drop_pending(int fd) {
  std::size_t dropped = 0;
  unsigned char chunk[256];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n > 0) {
      dropped += static_cast<std::size_t>(n);
    } else if (!(n < 0 && errno == EINTR)) {
      return dropped;
    }
  }
}

std::chrono::microseconds three_and_a_half_chars(int baud, int bits_per_char) {
  return std::chrono::microseconds(
      (static_cast<std::int64_t>(bits_per_char) * 3'500'000 + baud - 1) / baud);
}

}  // namespace meterd::line
