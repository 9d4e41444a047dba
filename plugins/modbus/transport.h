// One Modbus line or connection on libmodbus: one context per bus thread (per driver
// instance). Enforces the RTU inter-frame silence (t3.5) before every request, flushes stale
// input before each request, and after a timeout, CRC error or malformed reply waits
// `recovery_wait` and flushes again, so a late reply cannot poison the next transaction.
// Used by the bus thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"

typedef struct _modbus modbus_t;

namespace meterd::modbus {

struct LineSettings {
  bool tcp = false;
  // RTU
  std::string device;
  int baud = 9600;
  char parity = 'N';  // N, E, O
  int data_bits = 8;
  int stop_bits = 1;
  bool rs485 = false;  // kernel RS-485 mode (TIOCSRS485)
  // TCP
  std::string host;
  int port = 502;
  // Both
  std::chrono::milliseconds recovery_wait{50};
  std::chrono::milliseconds broadcast_turnaround{100};
};

class ModbusLink {
 public:
  explicit ModbusLink(LineSettings settings);
  ~ModbusLink();
  ModbusLink(const ModbusLink&) = delete;
  ModbusLink& operator=(const ModbusLink&) = delete;

  Status open();
  void close();
  bool is_open() const { return ctx_ != nullptr; }

  Result<std::vector<std::uint16_t>> read(std::uint8_t unit, std::uint8_t fc, std::uint16_t address,
                                          std::uint16_t count, std::chrono::milliseconds timeout);
  // FC 06 (one value), 0x10, or a vendor code in 0x10 layout. Unit 0 broadcasts: no reply,
  // then the turnaround delay.
  Status write(std::uint8_t unit, std::uint8_t fc, std::uint16_t address,
               std::span<const std::uint16_t> values, std::chrono::milliseconds timeout);

 private:
  void before_request(std::uint8_t unit, std::chrono::milliseconds timeout);
  Error failure(const char* what);  // maps errno, recovers the line
  Status raw_write(std::uint8_t unit, std::uint8_t fc, std::uint16_t address,
                   std::span<const std::uint16_t> values, std::chrono::milliseconds timeout);
  Result<std::vector<std::uint8_t>> raw_receive(std::uint8_t fc, std::chrono::milliseconds timeout);

  LineSettings settings_;
  modbus_t* ctx_ = nullptr;
  std::chrono::nanoseconds t35_{0};
  std::chrono::steady_clock::time_point idle_since_{};
};

}  // namespace meterd::modbus
