// SPDX-License-Identifier: Apache-2.0
// Draining a shared line after a failed transaction. A meter that answers after the master
// gave up keeps sending; if those bytes are still arriving when the next request goes out they
// land in the next meter's transaction. drain_line() reads and drops input until the line has
// been silent for `quiet` (the protocol's inter-frame gap), no earlier than `window` and no
// later than `limit` after it starts. Blocks the calling thread (a bus thread) for that long.
#pragma once

#include <chrono>
#include <cstddef>

namespace meterd::line {

struct DrainPolicy {
  std::chrono::microseconds window{0};  // always listen at least this long (late-reply window)
  std::chrono::microseconds quiet{0};   // silence that ends the drain
  std::chrono::microseconds limit{0};   // never longer than this, even on a babbling line
};

struct DrainResult {
  std::size_t bytes = 0;  // bytes read and dropped
  bool quiet = true;      // false: `limit` ended it while bytes kept coming, or the fd failed
};

// `fd` is a non-blocking file descriptor (serial device, pty or socket).
DrainResult drain_line(int fd, const DrainPolicy& policy);

// Reads and drops what `fd` holds now, without waiting; returns the bytes dropped.
std::size_t drop_pending(int fd);

// 3.5 character times of `bits_per_char` at `baud`: the silence between two frames.
std::chrono::microseconds three_and_a_half_chars(int baud, int bits_per_char);

}  // namespace meterd::line
