// SPDX-License-Identifier: Apache-2.0
// A POSIX serial port in raw mode for a DL/T 645 master: opens a tty at one of the supported
// line settings, writes request frames and reads the next frame found by content (codec
// find_frame), with an overall deadline and an inter-byte silence timeout that ends a
// truncated frame. Garbage and frames with a bad checksum are dropped and counted; so are
// frames from another address than the one asked (late replies to earlier requests). After a
// failed transaction drain() drops input until the line has been quiet for 3.5 characters,
// at most `max_drain`. One per driver instance; used by the bus thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/serial_port.h"
#include "core/result.h"
#include "dlt645/codec/frame.h"

namespace meterd::dlt645 {

using line::Parity;

struct LineSettings {
  std::string device;
  int baud = 2400;  // 1200, 2400, 4800, 9600 or 19200
  int data_bits = 8;
  Parity parity = Parity::kEven;
  int stop_bits = 1;
  // A frame whose bytes stop arriving for this long is truncated.
  std::chrono::milliseconds inter_byte_timeout{200};
  // A drain after a failed transaction ends after this long even if bytes keep coming.
  std::chrono::milliseconds max_drain{500};
};

bool is_supported_baud(int baud);
// Bits one character takes on the wire: start + data + parity + stop.
int bits_per_char(const LineSettings& settings);

struct LineStats {
  std::uint64_t garbage_bytes = 0;
  std::uint64_t bad_checksum = 0;
  std::uint64_t truncated = 0;
  std::uint64_t stray_frames = 0;   // valid frames from another address than the one asked
  std::uint64_t drained_bytes = 0;  // dropped by flush_input() and drain()
  std::uint64_t noisy_drains = 0;   // drains ended by `max_drain` with bytes still coming
};

class SerialLine {
 public:
  explicit SerialLine(LineSettings settings);
  ~SerialLine();
  SerialLine(const SerialLine&) = delete;
  SerialLine& operator=(const SerialLine&) = delete;

  Status open();  // kBusError when the device cannot be opened or configured
  void close();
  bool is_open() const { return fd_ >= 0; }

  // Drops whatever is pending in the input (a late reply to an earlier request).
  void flush_input();
  // After a timeout or a broken reply: drops input until the line has been quiet for 3.5
  // characters, so the rest of a late reply cannot reach the next request.
  void drain();
  Status write(std::span<const std::uint8_t> bytes);
  // The next complete frame with a valid checksum, from a meter that answers address `from`
  // when given (frames from other addresses are dropped and counted). kTimeout when none arrives
  // before `deadline`; kChecksum for a frame with a wrong CS; kMalformed for a frame cut off by
  // inter-byte silence; kBusError on an I/O error.
  Result<Frame> read_frame(std::chrono::steady_clock::time_point deadline,
                           const Address* from = nullptr);

  const LineStats& stats() const { return stats_; }
  const LineSettings& settings() const { return settings_; }

 private:
  LineSettings settings_;
  int fd_ = -1;
  std::vector<std::uint8_t> buffer_;
  LineStats stats_;
};

}  // namespace meterd::dlt645
