// SPDX-License-Identifier: Apache-2.0
#include "dlt645/codec/control.h"

#include <array>

namespace meterd::dlt645 {

ControlByte decode_control(std::uint8_t byte) {
  return ControlByte{(byte & 0x80) != 0, (byte & 0x40) != 0, (byte & 0x20) != 0,
                     static_cast<std::uint8_t>(byte & 0x1F)};
}

std::uint8_t encode_control(const ControlByte& control) {
  return static_cast<std::uint8_t>((control.reply ? 0x80 : 0) | (control.abnormal ? 0x40 : 0) |
                                   (control.follow_up ? 0x20 : 0) | (control.function & 0x1F));
}

std::string describe_err(std::uint8_t err, Version version) {
  static constexpr std::array<const char*, 8> k2007 = {"other error",
                                                       "no data requested",
                                                       "password wrong/unauthorised",
                                                       "baud rate not changeable",
                                                       "too many year zones",
                                                       "too many daily periods",
                                                       "too many tariffs",
                                                       "reserved bit 7"};
  static constexpr std::array<const char*, 8> k1997 = {
      "illegal data",        "wrong data identifier",  "password wrong",   "reserved bit 3",
      "too many year zones", "too many daily periods", "too many tariffs", "reserved bit 7"};
  const auto& names = version == Version::k2007 ? k2007 : k1997;
  if (err == 0) return "no error bits";
  std::string text;
  for (unsigned bit = 0; bit < 8; ++bit) {
    if ((err & (1u << bit)) == 0) continue;
    if (!text.empty()) text += ", ";
    text += names[bit];
  }
  return text;
}

}  // namespace meterd::dlt645
