// SPDX-License-Identifier: Apache-2.0
#include "profibus/codec/diagnosis.h"

#include <algorithm>
#include <cstdio>

namespace meterd::profibus {

namespace {

constexpr std::uint8_t kBlockTypeMask = 0xC0;
constexpr std::uint8_t kDeviceBlock = 0x00;
constexpr std::uint8_t kIdentifierBlock = 0x40;
constexpr std::uint8_t kChannelBlock = 0x80;

std::string hex(std::span<const std::uint8_t> bytes) {
  std::string out;
  char buf[3];
  for (auto b : bytes) {
    std::snprintf(buf, sizeof buf, "%02X", b);
    out += buf;
  }
  return out;
}

}  // namespace

Result<SlaveDiag> decode_diag(std::span<const std::uint8_t> data) {
  if (data.size() < 6) {
    return make_error(ErrorKind::kMalformed,
                      "Slave_Diag of " + std::to_string(data.size()) + " bytes (at least 6)");
  }
  SlaveDiag d;
  d.stat1 = data[0];
  d.stat2 = data[1];
  d.stat3 = data[2];
  d.master = data[3];
  d.ident = static_cast<std::uint16_t>(data[4] << 8 | data[5]);
  std::size_t at = 6;
  while (at < data.size()) {
    const std::uint8_t header = data[at];
    const std::uint8_t type = header & kBlockTypeMask;
    if (type == kChannelBlock) {
      if (at + 3 > data.size()) {
        return make_error(ErrorKind::kMalformed, "channel diagnosis cut short");
      }
      ChannelDiag c;
      c.module = header & 0x3F;
      c.io = data[at + 1] >> 6;
      c.channel = data[at + 1] & 0x3F;
      c.type = data[at + 2] >> 5;
      c.error = data[at + 2] & 0x1F;
      d.channels.push_back(c);
      at += 3;
      continue;
    }
    const std::size_t length = header & 0x3F;  // header included
    if (length < 2 || at + length > data.size()) {
      return make_error(ErrorKind::kMalformed,
                        "extended diagnosis block of bad length " + std::to_string(length));
    }
    const auto body = data.subspan(at + 1, length - 1);
    if (type == kDeviceBlock) {
      d.device.emplace_back(body.begin(), body.end());
    } else if (type == kIdentifierBlock) {
      for (std::size_t byte = 0; byte < body.size(); ++byte) {
        for (int bit = 0; bit < 8; ++bit) {
          if (body[byte] & (1u << bit)) {
            d.modules_with_diag.push_back(static_cast<std::uint16_t>(byte * 8 + bit));
          }
        }
      }
    } else {
      d.unknown.insert(d.unknown.end(), data.begin() + static_cast<std::ptrdiff_t>(at),
                       data.begin() + static_cast<std::ptrdiff_t>(at + length));
    }
    at += length;
  }
  return d;
}

std::vector<std::uint8_t> encode_diag(const SlaveDiag& d) {
  std::vector<std::uint8_t> out{d.stat1,
                                d.stat2,
                                d.stat3,
                                d.master,
                                static_cast<std::uint8_t>(d.ident >> 8),
                                static_cast<std::uint8_t>(d.ident & 0xFF)};
  for (const auto& block : d.device) {
    out.push_back(static_cast<std::uint8_t>(kDeviceBlock | ((block.size() + 1) & 0x3F)));
    out.insert(out.end(), block.begin(), block.end());
  }
  if (!d.modules_with_diag.empty()) {
    std::size_t bytes = 0;
    // A block holds at most 62 bitmap bytes; modules past them cannot be told.
    for (auto m : d.modules_with_diag) {
      if (m < 62 * 8) bytes = std::max<std::size_t>(bytes, m / 8 + 1u);
    }
    std::vector<std::uint8_t> bits(bytes, 0);
    for (auto m : d.modules_with_diag) {
      if (m < 62 * 8) bits[m / 8] |= static_cast<std::uint8_t>(1u << (m % 8));
    }
    out.push_back(static_cast<std::uint8_t>(kIdentifierBlock | ((bytes + 1) & 0x3F)));
    out.insert(out.end(), bits.begin(), bits.end());
  }
  for (const auto& c : d.channels) {
    out.push_back(static_cast<std::uint8_t>(kChannelBlock | (c.module & 0x3F)));
    out.push_back(static_cast<std::uint8_t>((c.io & 0x03) << 6 | (c.channel & 0x3F)));
    out.push_back(static_cast<std::uint8_t>((c.type & 0x07) << 5 | (c.error & 0x1F)));
  }
  out.insert(out.end(), d.unknown.begin(), d.unknown.end());
  return out;
}

std::string diag_json(const SlaveDiag& d) {
  std::string j =
      "{\"stat1\":" + std::to_string(d.stat1) + ",\"stat2\":" + std::to_string(d.stat2) +
      ",\"stat3\":" + std::to_string(d.stat3) + ",\"master\":" + std::to_string(d.master) +
      ",\"ident\":" + std::to_string(d.ident);
  j += ",\"device\":[";
  for (std::size_t i = 0; i < d.device.size(); ++i) {
    j += (i ? ",\"" : "\"") + hex(d.device[i]) + "\"";
  }
  j += "],\"modules\":[";
  for (std::size_t i = 0; i < d.modules_with_diag.size(); ++i) {
    j += (i ? "," : "") + std::to_string(d.modules_with_diag[i]);
  }
  j += "],\"channels\":[";
  for (std::size_t i = 0; i < d.channels.size(); ++i) {
    const auto& c = d.channels[i];
    j += std::string(i ? "," : "") + "{\"module\":" + std::to_string(c.module) +
         ",\"channel\":" + std::to_string(c.channel) + ",\"io\":" + std::to_string(c.io) +
         ",\"type\":" + std::to_string(c.type) + ",\"error\":" + std::to_string(c.error) + "}";
  }
  j += "]";
  if (!d.unknown.empty()) j += ",\"unknown\":\"" + hex(d.unknown) + "\"";
  if (d.stat3 & stat3::kExtDiagOverflow) j += ",\"overflow\":true";
  return j + "}";
}

}  // namespace meterd::profibus
