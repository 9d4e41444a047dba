// SPDX-License-Identifier: Apache-2.0
// The golden opening exchange of PROTOCOLS.md §4 (master 2, slave 8, ident 4D44, cfg 5F 20),
// captured between pyprofibus 1.13 and an independent slave, as byte vectors for the tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace meterd::profibus::golden {

inline std::vector<std::uint8_t> hex(const std::string& text) {
  std::vector<std::uint8_t> out;
  std::string digits;
  for (char c : text) {
    if (c != ' ') digits += c;
  }
  for (std::size_t i = 0; i + 1 < digits.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(digits.substr(i, 2), nullptr, 16)));
  }
  return out;
}

inline std::vector<std::uint8_t> inputs32() {
  std::vector<std::uint8_t> in(32);
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<std::uint8_t>(0x10 + i);
  return in;
}

inline const std::string kFdlStatusReq = "10 08 02 49 53 16";
inline const std::string kFdlStatusCon = "10 02 08 00 0A 16";
inline const std::string kDiag1Req = "68 05 05 68 88 82 6D 3C 3E F1 16";
inline const std::string kDiag1Con = "A2 82 88 08 3E 3C 02 05 00 FF 4D 44 23 16";
inline const std::string kSetPrmReq = "68 0C 0C 68 88 82 5D 3D 3E B8 64 01 00 4D 44 01 91 16";
inline const std::string kChkCfgReq = "68 07 07 68 88 82 7D 3E 3E 5F 20 82 16";
inline const std::string kDiag2Req = "68 05 05 68 88 82 5D 3C 3E E1 16";
inline const std::string kDiag2Con = "A2 82 88 08 3E 3C 00 0C 00 02 4D 44 2B 16";
inline const std::string kDataExchangeReq = "68 04 04 68 08 02 7D 01 88 16";
inline const std::string kSetPrm4224Req =
    "68 10 10 68 88 82 5D 3D 3E B8 1E 01 00 42 24 01 00 00 00 42 62 16";
inline const std::string kChkCfg4Req = "68 09 09 68 88 82 7D 3E 3E 00 20 20 10 53 16";

// 68 23 23 68 02 08 08 <32 input bytes> FCS 16, with inputs32().
inline std::vector<std::uint8_t> data_exchange_con() {
  std::vector<std::uint8_t> out = hex("68 23 23 68 02 08 08");
  const auto in = inputs32();
  out.insert(out.end(), in.begin(), in.end());
  unsigned sum = 0x02 + 0x08 + 0x08;
  for (auto b : in) sum += b;
  out.push_back(static_cast<std::uint8_t>(sum));
  out.push_back(0x16);
  return out;
}

}  // namespace meterd::profibus::golden
