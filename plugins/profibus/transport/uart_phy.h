// SPDX-License-Identifier: Apache-2.0
// A Linux UART (or a pty in tests) as the PROFIBUS PHY: raw 8 data bits, even parity and one
// stop bit by default (parity is a setting: a pty carries bytes only, tests run 8N1). Any
// rate the driver takes: 9600, 19200, 45450 and 93750 bit/s, the last two through termios2
// BOTHER since they have no Bxxx constant. The RS-485 direction is left to the adapter
// (auto-direction) or the kernel's TIOCSRS485 settings. One thread.
#pragma once

#include <string>

#include "profibus/transport/phy.h"

namespace meterd::profibus {

struct UartSettings {
  std::string device;
  int baud = 19200;
  bool even_parity = true;
};

bool is_uart_baud(int baud);  // 9600, 19200, 45450, 93750

class UartPhy final : public Phy {
 public:
  explicit UartPhy(UartSettings settings);
  ~UartPhy() override;
  UartPhy(const UartPhy&) = delete;
  UartPhy& operator=(const UartPhy&) = delete;

  Status open() override;
  void close() override;
  bool is_open() const override { return fd_ >= 0; }
  Status write(std::span<const std::uint8_t> bytes) override;
  Result<std::size_t> read(std::span<std::uint8_t> into, std::chrono::microseconds wait) override;
  void flush_input() override;
  int baud() const override { return settings_.baud; }
  int bits_per_char() const override { return settings_.even_parity ? 11 : 10; }

 private:
  UartSettings settings_;
  int fd_ = -1;
};

}  // namespace meterd::profibus
