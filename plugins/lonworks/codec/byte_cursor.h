// SPDX-License-Identifier: Apache-2.0
// Bounds-checked reading of a byte span: every read says whether the bytes were there, so a
// decoder on hostile input never reads past the end. Pure, header-only.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace meterd::lonworks {

class ByteCursor {
 public:
  explicit ByteCursor(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  bool u8(std::uint8_t& out) {
    if (pos_ >= bytes_.size()) return false;
    out = bytes_[pos_++];
    return true;
  }
  bool u16(std::uint16_t& out) {
    if (remaining() < 2) return false;
    out = static_cast<std::uint16_t>(bytes_[pos_] << 8 | bytes_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool u32(std::uint32_t& out) {
    if (remaining() < 4) return false;
    out = 0;
    for (int i = 0; i < 4; ++i) out = out << 8 | bytes_[pos_++];
    return true;
  }
  template <std::size_t N>
  bool bytes(std::uint8_t (&out)[N]) {
    return copy(out, N);
  }
  bool copy(std::uint8_t* out, std::size_t n) {
    if (remaining() < n) return false;
    for (std::size_t i = 0; i < n; ++i) out[i] = bytes_[pos_++];
    return true;
  }
  bool skip(std::size_t n) {
    if (remaining() < n) return false;
    pos_ += n;
    return true;
  }
  std::size_t remaining() const { return bytes_.size() - pos_; }
  std::span<const std::uint8_t> rest() const { return bytes_.subspan(pos_); }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
};

inline void put_u16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

inline void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

}  // namespace meterd::lonworks
