// A POSIX serial port in raw mode for a DL/T 645 master: opens a tty at one of the supported
// line settings, writes request frames and reads the next frame found by content (codec
// find_frame), with an overall deadline and an inter-byte silence timeout that ends a
// truncated frame. Garbage and frames with a bad checksum are dropped and counted. One per
// driver instance; used by the bus thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"
#include "dlt645/codec/frame.h"

namespace meterd::dlt645 {

enum class Parity { kNone, kEven, kOdd };

struct LineSettings {
  std::string device;
  int baud = 2400;  // 1200, 2400, 4800, 9600 or 19200
  int data_bits = 8;
  Parity parity = Parity::kEven;
  int stop_bits = 1;
  // A frame whose bytes stop arriving for this long is truncated.
  std::chrono::milliseconds inter_byte_timeout{200};
};

bool is_supported_baud(int baud);
// Bits one character takes on the wire: start + data + parity + stop.
int bits_per_char(const LineSettings& settings);

struct LineStats {
  std::uint64_t garbage_bytes = 0;
  std::uint64_t bad_checksum = 0;
  std::uint64_t truncated = 0;
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
  Status write(std::span<const std::uint8_t> bytes);
  // The next complete frame with a valid checksum. kTimeout when none arrives before
  // `deadline`; kChecksum for a frame with a wrong CS; kMalformed for a frame cut off by
  // inter-byte silence; kBusError on an I/O error.
  Result<Frame> read_frame(std::chrono::steady_clock::time_point deadline);

  const LineStats& stats() const { return stats_; }
  const LineSettings& settings() const { return settings_; }

 private:
  LineSettings settings_;
  int fd_ = -1;
  std::vector<std::uint8_t> buffer_;
  LineStats stats_;
};

}  // namespace meterd::dlt645
