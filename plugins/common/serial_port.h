// SPDX-License-Identifier: Apache-2.0
// A tty in raw mode at a given framing: the settings table shared by the serial transports and
// the simulators that answer them on the other end of a line (tools/). Any thread; no state.
#pragma once

namespace meterd::line {

enum class Parity { kNone, kEven, kOdd };

struct SerialFraming {
  int baud = 9600;
  int data_bits = 8;  // 5..8
  Parity parity = Parity::kNone;
  int stop_bits = 1;  // 1 or 2
};

// A standard rate set_raw_mode() can apply: 1200, 2400, 4800, 9600, 19200, 38400, 57600,
// 115200.
bool is_standard_baud(int baud);

enum class RawModeResult {
  kSet,
  kNotATty,     // tcgetattr failed (errno tells why)
  kNotApplied,  // tcsetattr failed, or the rate is not a standard one
};

// Raw mode, receiver on, modem lines ignored, no flow control, `framing`'s character size,
// parity and stop bits and speed in both directions; reads return at once with what is there
// (VMIN = VTIME = 0). The fd's blocking mode is the caller's.
RawModeResult set_raw_mode(int fd, const SerialFraming& framing);

}  // namespace meterd::line
