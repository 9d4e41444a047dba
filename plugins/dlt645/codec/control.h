// SPDX-License-Identifier: Apache-2.0
// The DL/T 645 control byte (bit7 direction, bit6 abnormal reply, bit5 follow-up frames,
// bits 4..0 function) and the ERR byte of abnormal replies. Pure functions; no I/O.
#pragma once

#include <cstdint>
#include <string>

namespace meterd::dlt645 {

enum class Version { k2007, k1997 };

// Function codes (bits 4..0 of the control byte), DL/T 645-2007.
namespace fn2007 {
inline constexpr std::uint8_t kBroadcastTime = 0x08;
inline constexpr std::uint8_t kRead = 0x11;
inline constexpr std::uint8_t kReadFollowUp = 0x12;
inline constexpr std::uint8_t kReadAddress = 0x13;
inline constexpr std::uint8_t kWrite = 0x14;
inline constexpr std::uint8_t kControl = 0x1C;  // relay / alarm / keep-power
}  // namespace fn2007

// Function codes, DL/T 645-1997.
namespace fn1997 {
inline constexpr std::uint8_t kRead = 0x01;
inline constexpr std::uint8_t kReadFollowUp = 0x02;
inline constexpr std::uint8_t kWrite = 0x04;
inline constexpr std::uint8_t kBroadcastTime = 0x08;
}  // namespace fn1997

struct ControlByte {
  bool reply = false;         // bit7: 1 = sent by the meter
  bool abnormal = false;      // bit6: the data field is an ERR byte
  bool follow_up = false;     // bit5: more frames follow
  std::uint8_t function = 0;  // bits 4..0

  friend bool operator==(const ControlByte&, const ControlByte&) = default;
};

ControlByte decode_control(std::uint8_t byte);
std::uint8_t encode_control(const ControlByte& control);  // function is masked to 5 bits

// ERR bits of DL/T 645-2007 abnormal replies.
namespace err {
inline constexpr std::uint8_t kOther = 0x01;
inline constexpr std::uint8_t kNoData = 0x02;    // no data requested / unknown DI
inline constexpr std::uint8_t kPassword = 0x04;  // password wrong / unauthorised
inline constexpr std::uint8_t kBaud = 0x08;      // baud rate not changeable
inline constexpr std::uint8_t kYearZones = 0x10;
inline constexpr std::uint8_t kDailyPeriods = 0x20;
inline constexpr std::uint8_t kTariffs = 0x40;
}  // namespace err

// "password wrong/unauthorised, no data requested"; "no error bits" for 0. The 1997 table
// names b0 "illegal data" and b1 "wrong data identifier" (from the 1997 text, unconfirmed).
std::string describe_err(std::uint8_t err, Version version = Version::k2007);

}  // namespace meterd::dlt645
