// SPDX-License-Identifier: Apache-2.0
// The physical layer under the FDL master: a byte pipe with a known character time. A native
// UART (UartPhy) serves 9.6 .. 93.75 kbit/s; an ASIC or FPGA card for 1.5 Mbit/s would be
// another Phy. Used by one thread (the bus thread, or the simulator's loop).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/result.h"

namespace meterd::profibus {

class Phy {
 public:
  virtual ~Phy() = default;
  virtual Status open() = 0;
  virtual void close() = 0;
  virtual bool is_open() const = 0;
  virtual Status write(std::span<const std::uint8_t> bytes) = 0;
  // Reads what is available, waiting at most `wait` for the first byte; 0 bytes on timeout.
  virtual Result<std::size_t> read(std::span<std::uint8_t> into,
                                   std::chrono::microseconds wait) = 0;
  // Drops pending input.
  virtual void flush_input() = 0;
  virtual int baud() const = 0;
  virtual int bits_per_char() const = 0;  // 11 for 8E1
};

// Wire time of `chars` characters, or of `bits` bit times, at the Phy's rate.
inline std::chrono::microseconds char_time(const Phy& phy, std::size_t chars) {
  return std::chrono::microseconds(static_cast<std::int64_t>(chars) * phy.bits_per_char() *
                                   1'000'000 / phy.baud());
}
inline std::chrono::microseconds bit_time(const Phy& phy, std::int64_t bits) {
  return std::chrono::microseconds(bits * 1'000'000 / phy.baud());
}

}  // namespace meterd::profibus
