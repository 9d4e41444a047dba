// SPDX-License-Identifier: Apache-2.0
// One Modbus line or connection: one per bus thread (per driver instance). libmodbus opens
// the serial line (termios, kernel RS-485 mode) or the TCP connection; frames are built,
// sent, received and checked by this class with the pure codec, one outstanding request at a
// time. Line discipline:
//  - RTU: the t3.5 silence before every request, stale input flushed before each request;
//  - a frame that is not the answer to this request (RTU: another unit's reply; TCP: another
//    transaction id) is a late reply to an earlier request: dropped, counted, and the wait
//    for the real answer goes on within the same timeout;
//  - after a timeout, CRC error or malformed reply the line is drained: input is dropped until
//    the line has been silent for t3.5 (RTU) at least `recovery_wait` after the failure, at
//    most `max_drain`, so the rest of a late or broken reply cannot reach the next meter.
// Used by the bus thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"

// libmodbus's own name for its context, declared as modbus.h declares it.
typedef struct _modbus modbus_t;  // NOLINT(bugprone-reserved-identifier)

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
  std::chrono::milliseconds recovery_wait{50};  // drain listens at least this long
  std::chrono::milliseconds max_drain{500};     // and never longer than this
  std::chrono::milliseconds broadcast_turnaround{100};
  // TCP: requests of one meter read in flight at once (distinct transaction ids); 1 = one at
  // a time. Only for servers that queue requests (docs/modbus.md, "Pipelining").
  int pipeline = 1;
};

// One register read of a pipelined batch.
struct BlockRead {
  std::uint8_t fc = 3;
  std::uint16_t address = 0;
  std::uint16_t count = 0;
};

struct LinkStats {
  std::uint64_t drained_bytes = 0;  // dropped by drains after failed transactions
  std::uint64_t stray_frames = 0;   // well-formed frames that answered an earlier request
  std::uint64_t noisy_drains = 0;   // drains that hit `max_drain` with bytes still coming
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
  // TCP: every block's request in one write, the replies matched by transaction id (in any
  // order), each within `timeout` of the one before. One result per block, in block order:
  // after a timeout or a malformed reply the line is drained once and every block still
  // unanswered carries that error.
  std::vector<Result<std::vector<std::uint16_t>>> read_pipelined(std::uint8_t unit,
                                                                 std::span<const BlockRead> blocks,
                                                                 std::chrono::milliseconds timeout);
  // FC 06 (one value), 0x10, or a vendor code in 0x10 layout. Unit 0 broadcasts: no reply,
  // then the turnaround delay.
  Status write(std::uint8_t unit, std::uint8_t fc, std::uint16_t address,
               std::span<const std::uint16_t> values, std::chrono::milliseconds timeout);

  const LinkStats& stats() const { return stats_; }

 private:
  // Sends `pdu` to `unit` and returns the reply PDU (exception replies included).
  Result<std::vector<std::uint8_t>> transact(std::uint8_t unit, std::span<const std::uint8_t> pdu,
                                             std::chrono::milliseconds timeout);
  struct Reply {
    std::uint16_t transaction = 0;  // TCP: the transaction id it answers
    std::vector<std::uint8_t> pdu;
  };
  Status send(std::uint8_t unit, std::span<const std::uint8_t> pdu);
  Status send_adu(std::span<const std::uint8_t> adu);
  // The next reply for `unit`; on TCP one that answers a transaction in [first, transaction_].
  Result<Reply> receive(std::uint8_t unit, std::uint8_t fc, std::uint16_t first,
                        std::chrono::steady_clock::time_point deadline);
  // The next complete frame in `pending_` as a reply for (unit, fc); nullopt: need more.
  std::optional<Result<Reply>> take_frame(std::uint8_t unit, std::uint8_t fc, std::uint16_t first);
  Error failed(Error error);  // drains the line, or closes it on a bus error

  LineSettings settings_;
  modbus_t* ctx_ = nullptr;
  int fd_ = -1;
  std::chrono::microseconds t35_{0};
  std::chrono::steady_clock::time_point idle_since_{};
  std::uint16_t transaction_ = 0;
  std::vector<std::uint8_t> pending_;  // received, not yet framed
  LinkStats stats_;
};

}  // namespace meterd::modbus
