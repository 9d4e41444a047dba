// SPDX-License-Identifier: Apache-2.0
// Test helper: "68 01 00" <-> bytes, so golden frames read as in docs/dlt645.md.
#pragma once

#include <cstdint>
#include <cstdio>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace meterd::dlt645::testing {

inline std::vector<std::uint8_t> bytes(std::string_view text) {
  std::vector<std::uint8_t> out;
  std::istringstream in{std::string(text)};
  std::string pair;
  while (in >> pair) out.push_back(static_cast<std::uint8_t>(std::stoul(pair, nullptr, 16)));
  return out;
}

inline std::string hex(std::span<const std::uint8_t> data) {
  std::string out;
  char buf[4];
  for (std::uint8_t b : data) {
    std::snprintf(buf, sizeof buf, out.empty() ? "%02X" : " %02X", b);
    out += buf;
  }
  return out;
}

}  // namespace meterd::dlt645::testing
