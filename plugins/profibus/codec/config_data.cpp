// SPDX-License-Identifier: Apache-2.0
#include "profibus/codec/config_data.h"

#include <algorithm>
#include <cstdio>

namespace meterd::profibus {

namespace {

std::size_t length_of(std::uint8_t byte) {
  const std::size_t units = (byte & 0x3F) + 1u;
  return (byte & 0x40) ? units * 2 : units;
}

}  // namespace

Result<std::vector<CfgModule>> decode_cfg(std::span<const std::uint8_t> cfg) {
  std::vector<CfgModule> modules;
  std::size_t at = 0;
  while (at < cfg.size()) {
    const std::uint8_t id = cfg[at++];
    CfgModule m;
    const std::uint8_t direction = id & 0x30;
    if (direction != 0) {
      const std::size_t units = (id & 0x0F) + 1u;
      const std::size_t bytes = (id & 0x40) ? units * 2 : units;
      if (direction & 0x10) m.inputs = bytes;
      if (direction & 0x20) m.outputs = bytes;
      m.consistent = (id & 0x80) != 0;
      modules.push_back(m);
      continue;
    }
    // Special format: length bytes (output first), then manufacturer data.
    const std::uint8_t which = id >> 6;
    m.manufacturer_bytes = id & 0x0F;
    if (m.manufacturer_bytes == 15) {
      return make_error(ErrorKind::kMalformed,
                        "reserved special cfg identifier 0x" + hex_bytes(cfg.subspan(at - 1, 1)));
    }
    const std::size_t lengths = which == 3 ? 2 : (which == 0 ? 0 : 1);
    if (at + lengths + m.manufacturer_bytes > cfg.size()) {
      return make_error(ErrorKind::kMalformed, "cfg identifier cut short");
    }
    if (which == 2 || which == 3) {
      m.outputs = length_of(cfg[at]);
      m.consistent = (cfg[at] & 0x80) != 0;
      ++at;
    }
    if (which == 1 || which == 3) {
      m.inputs = length_of(cfg[at]);
      m.consistent = m.consistent || (cfg[at] & 0x80) != 0;
      ++at;
    }
    at += m.manufacturer_bytes;
    modules.push_back(m);
  }
  return modules;
}

IoSizes io_sizes(const std::vector<CfgModule>& modules) {
  IoSizes sizes;
  for (const auto& m : modules) {
    sizes.inputs += m.inputs;
    sizes.outputs += m.outputs;
  }
  return sizes;
}

std::string hex_bytes(std::span<const std::uint8_t> bytes) {
  std::string out;
  char buf[4];
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    std::snprintf(buf, sizeof buf, i ? " %02X" : "%02X", bytes[i]);
    out += buf;
  }
  return out;
}

std::vector<std::uint8_t> encode_prm(const PrmData& p) {
  // Sized up front and filled by index: GCC 12 misreads insert() after a 7-byte init list as
  // an out-of-bounds copy (-Warray-bounds).
  std::vector<std::uint8_t> out(7 + p.user.size());
  out[0] = p.station_status;
  out[1] = p.wd_fact_1;
  out[2] = p.wd_fact_2;
  out[3] = p.min_tsdr;
  out[4] = static_cast<std::uint8_t>(p.ident >> 8);
  out[5] = static_cast<std::uint8_t>(p.ident & 0xFF);
  out[6] = p.group;
  std::copy(p.user.begin(), p.user.end(), out.begin() + 7);
  return out;
}

Result<PrmData> decode_prm(std::span<const std::uint8_t> d) {
  if (d.size() < 7) {
    return make_error(ErrorKind::kMalformed,
                      "Set_Prm of " + std::to_string(d.size()) + " bytes (at least 7)");
  }
  PrmData p;
  p.station_status = d[0];
  p.wd_fact_1 = d[1];
  p.wd_fact_2 = d[2];
  p.min_tsdr = d[3];
  p.ident = static_cast<std::uint16_t>(d[4] << 8 | d[5]);
  p.group = d[6];
  p.user.assign(d.begin() + 7, d.end());
  return p;
}

}  // namespace meterd::profibus
