// SPDX-License-Identifier: Apache-2.0
// Request frames a DL/T 645 master sends: read, read follow-up, read address, write and relay
// control for 2007; read, follow-up and write for 1997 (2-byte DI, no operator code). Each
// returns the wire bytes after `preamble` FE bytes. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "dlt645/codec/address.h"
#include "dlt645/codec/bcd.h"
#include "dlt645/codec/data_id.h"
#include "dlt645/codec/frame.h"

namespace meterd::dlt645 {

// PA P0 P1 P2 on the wire: the privilege level, then the 6-digit code low byte first.
struct Password {
  std::uint8_t level = 0;
  std::uint32_t code = 0;  // 0x123456 for "123456"; only the low 24 bits are sent

  friend bool operator==(const Password&, const Password&) = default;
};

// "02123456": level 02, code 123456 (8 hex digits, as printed in meter manuals).
std::optional<Password> parse_password(std::string_view text);
std::vector<std::uint8_t> encode_password(const Password& password);  // 4 bytes
Password decode_password(std::span<const std::uint8_t, 4> wire);

using OperatorCode = std::uint32_t;  // C0..C3, C0 (low byte) first

// N1 of the control command (C=1C).
enum class RelayCommand : std::uint8_t {
  kTrip = 0x1A,
  kCloseAllowed = 0x1B,  // the user closes it at the meter
  kCloseDirect = 0x1C,
  kAlarm = 0x2A,
  kAlarmRelease = 0x2B,
  kKeepPower = 0x3A,
  kKeepPowerRelease = 0x3B,
};

// DL/T 645-2007.
std::vector<std::uint8_t> build_read(const Address& to, DataId id, std::size_t preamble = 0);
std::vector<std::uint8_t> build_read_follow_up(const Address& to, DataId id, std::uint8_t seq,
                                               std::size_t preamble = 0);
std::vector<std::uint8_t> build_read_address(std::size_t preamble = 0);  // to AA..AA
// DI | PA P0 P1 P2 | C0..C3 | data (data as meant, LSB first). kInvalidArgument if too long.
Result<std::vector<std::uint8_t>> build_write(const Address& to, DataId id,
                                              const Password& password, OperatorCode op,
                                              std::span<const std::uint8_t> data,
                                              std::size_t preamble = 0);
// PA P0 P1 P2 | C0..C3 | N1 | N2=00 | ss mm hh DD MM YY. kInvalidArgument for a bad deadline.
Result<std::vector<std::uint8_t>> build_relay_control(const Address& to, const Password& password,
                                                      OperatorCode op, RelayCommand command,
                                                      const CivilTime& deadline,
                                                      std::size_t preamble = 0);

// DL/T 645-1997: DI is 2 bytes (0x9010 = "90 10", sent 10 first).
using DataId1997 = std::uint16_t;
std::vector<std::uint8_t> build_read_1997(const Address& to, DataId1997 id,
                                          std::size_t preamble = 0);
std::vector<std::uint8_t> build_read_follow_up_1997(const Address& to, DataId1997 id,
                                                    std::size_t preamble = 0);
// DI | PA P0 P1 P2 | data.
Result<std::vector<std::uint8_t>> build_write_1997(const Address& to, DataId1997 id,
                                                   const Password& password,
                                                   std::span<const std::uint8_t> data,
                                                   std::size_t preamble = 0);

}  // namespace meterd::dlt645
