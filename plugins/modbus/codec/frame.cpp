// SPDX-License-Identifier: Apache-2.0
#include "modbus/codec/frame.h"

namespace meterd::modbus {
namespace {

void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v & 0xFF));
}

std::uint16_t get16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}

Error malformed(const char* what) { return make_error(ErrorKind::kMalformed, what); }

std::optional<Error> exception_of(std::span<const std::uint8_t> pdu, std::uint8_t fc) {
  if (pdu.empty()) return malformed("empty reply");
  // A vendor code with the high bit set (0xAA) cannot be told from its exception by the
  // code alone: the exception reply is the 2-byte one.
  if (pdu[0] == (fc | 0x80) && (!(fc & 0x80) || pdu.size() == 2)) {
    if (pdu.size() != 2) return malformed("exception reply of wrong length");
    return make_error(ErrorKind::kException, "modbus exception " + std::to_string(pdu[1]), pdu[1]);
  }
  if (pdu[0] != fc) return malformed("reply to another function code");
  return std::nullopt;
}

}  // namespace

std::uint16_t crc16(std::span<const std::uint8_t> bytes) {
  std::uint16_t crc = 0xFFFF;
  for (std::uint8_t b : bytes) {
    crc ^= b;
    for (int i = 0; i < 8; ++i)
      crc = (crc & 1) ? static_cast<std::uint16_t>((crc >> 1) ^ 0xA001)
                      : static_cast<std::uint16_t>(crc >> 1);
  }
  return crc;
}

std::vector<std::uint8_t> rtu_frame(std::uint8_t unit, std::span<const std::uint8_t> pdu) {
  std::vector<std::uint8_t> out;
  out.reserve(pdu.size() + 3);
  out.push_back(unit);
  out.insert(out.end(), pdu.begin(), pdu.end());
  const std::uint16_t crc = crc16(out);
  out.push_back(static_cast<std::uint8_t>(crc & 0xFF));
  out.push_back(static_cast<std::uint8_t>(crc >> 8));
  return out;
}

Result<RtuAdu> parse_rtu(std::span<const std::uint8_t> frame) {
  if (frame.size() < 4) return malformed("RTU frame shorter than 4 bytes");
  const std::size_t n = frame.size() - 2;
  const std::uint16_t sent = static_cast<std::uint16_t>(frame[n] | (frame[n + 1] << 8));
  if (crc16(frame.first(n)) != sent) return make_error(ErrorKind::kChecksum, "CRC mismatch");
  return RtuAdu{frame[0], frame.subspan(1, n - 1)};
}

std::vector<std::uint8_t> read_request(std::uint8_t fc, std::uint16_t address,
                                       std::uint16_t count) {
  std::vector<std::uint8_t> out{fc};
  put16(out, address);
  put16(out, count);
  return out;
}

std::vector<std::uint8_t> write_single_request(std::uint16_t address, std::uint16_t value) {
  std::vector<std::uint8_t> out{kWriteSingle};
  put16(out, address);
  put16(out, value);
  return out;
}

std::vector<std::uint8_t> write_multiple_request(std::uint8_t fc, std::uint16_t address,
                                                 std::span<const std::uint16_t> values) {
  std::vector<std::uint8_t> out{fc};
  put16(out, address);
  put16(out, static_cast<std::uint16_t>(values.size()));
  out.push_back(static_cast<std::uint8_t>(values.size() * 2));
  for (std::uint16_t v : values) put16(out, v);
  return out;
}

Result<std::vector<std::uint16_t>> parse_read_reply(std::span<const std::uint8_t> pdu,
                                                    std::uint8_t fc, std::uint16_t count) {
  if (auto error = exception_of(pdu, fc)) return *error;
  if (pdu.size() < 2 || pdu[1] != count * 2 || pdu.size() != 2u + count * 2u) {
    return malformed("read reply with the wrong byte count");
  }
  std::vector<std::uint16_t> regs(count);
  for (std::size_t i = 0; i < count; ++i) regs[i] = get16(pdu, 2 + 2 * i);
  return regs;
}

Status parse_write_reply(std::span<const std::uint8_t> pdu, std::uint8_t fc, std::uint16_t address,
                         std::uint16_t value_or_count) {
  if (auto error = exception_of(pdu, fc)) return *error;
  if (pdu.size() != 5 || get16(pdu, 1) != address || get16(pdu, 3) != value_or_count) {
    return malformed("write reply does not echo the request");
  }
  return Ok{};
}

std::optional<std::size_t> rtu_reply_length(std::span<const std::uint8_t> prefix,
                                            std::uint8_t request_fc) {
  if (prefix.size() < 2) return std::nullopt;
  const std::uint8_t fc = prefix[1];
  if ((request_fc & 0x80) && fc == request_fc) {
    if (prefix.size() < 5) return std::nullopt;
    return parse_rtu(prefix.first(5)).ok() ? 5 : 8;
  }
  if (fc & 0x80) return 5;
  if (fc == kReadHolding || fc == kReadInput) {
    if (prefix.size() < 3) return std::nullopt;
    return 5u + prefix[2];
  }
  return 8;  // FC 06 and the 0x10 layout echo 4 bytes
}

std::optional<std::size_t> rtu_request_length(std::span<const std::uint8_t> prefix,
                                              bool (*multiple_layout)(std::uint8_t fc)) {
  if (prefix.size() < 2) return std::nullopt;
  const std::uint8_t fc = prefix[1];
  if (fc == kReadHolding || fc == kReadInput || fc == kWriteSingle) return 8;
  if (multiple_layout(fc)) {
    if (prefix.size() < 7) return std::nullopt;
    return 9u + prefix[6];
  }
  return 0;
}

std::vector<std::uint8_t> tcp_frame(std::uint16_t transaction, std::uint8_t unit,
                                    std::span<const std::uint8_t> pdu) {
  std::vector<std::uint8_t> out;
  out.reserve(kMbapSize + pdu.size());
  put16(out, transaction);
  put16(out, 0);
  put16(out, static_cast<std::uint16_t>(pdu.size() + 1));
  out.push_back(unit);
  out.insert(out.end(), pdu.begin(), pdu.end());
  return out;
}

std::optional<std::size_t> tcp_frame_length(std::span<const std::uint8_t> prefix) {
  if (prefix.size() < kMbapSize) return std::nullopt;
  const std::uint16_t length = get16(prefix, 4);
  if (get16(prefix, 2) != 0 || length < 2 || length > 254) return 0;
  return 6u + length;
}

Result<TcpAdu> parse_tcp(std::span<const std::uint8_t> frame) {
  const auto length = tcp_frame_length(frame);
  if (!length || *length == 0 || *length != frame.size()) {
    return malformed("not one Modbus TCP frame");
  }
  return TcpAdu{get16(frame, 0), frame[6], frame.subspan(kMbapSize)};
}

Result<Request> parse_request(std::span<const std::uint8_t> pdu,
                              bool (*multiple_layout)(std::uint8_t fc)) {
  if (pdu.size() < 5) return malformed("request shorter than 5 bytes");
  Request r;
  r.fc = pdu[0];
  r.address = get16(pdu, 1);
  if (r.fc == kReadHolding || r.fc == kReadInput) {
    if (pdu.size() != 5) return malformed("read request of wrong length");
    r.count = get16(pdu, 3);
    if (r.count == 0 || r.count > kMaxReadRegisters) {
      return make_error(ErrorKind::kException, "bad count", 3);
    }
    return r;
  }
  if (r.fc == kWriteSingle) {
    if (pdu.size() != 5) return malformed("write request of wrong length");
    r.count = 1;
    r.values = {get16(pdu, 3)};
    return r;
  }
  if (multiple_layout(r.fc)) {
    if (pdu.size() < 6 || pdu.size() != 6u + pdu[5]) return malformed("bad 0x10-layout length");
    r.count = get16(pdu, 3);
    if (r.count == 0 || r.count > kMaxWriteRegisters || pdu[5] != r.count * 2) {
      return make_error(ErrorKind::kException, "bad count", 3);
    }
    for (std::size_t i = 0; i < r.count; ++i) r.values.push_back(get16(pdu, 6 + 2 * i));
    return r;
  }
  return make_error(ErrorKind::kException, "illegal function", 1);
}

std::vector<std::uint8_t> read_reply(std::uint8_t fc, std::span<const std::uint16_t> registers) {
  std::vector<std::uint8_t> out{fc, static_cast<std::uint8_t>(registers.size() * 2)};
  for (std::uint16_t v : registers) put16(out, v);
  return out;
}

std::vector<std::uint8_t> write_reply(const Request& request) {
  std::vector<std::uint8_t> out{request.fc};
  put16(out, request.address);
  put16(out, request.fc == kWriteSingle ? request.values.at(0) : request.count);
  return out;
}

std::vector<std::uint8_t> exception_reply(std::uint8_t fc, std::uint8_t code) {
  return {static_cast<std::uint8_t>(fc | 0x80), code};
}

LineTiming line_timing(int baud, bool parity, int stop_bits) {
  const double bits = 1 + 8 + (parity ? 1 : 0) + stop_bits;
  LineTiming t;
  t.char_seconds = bits / baud;
  t.t35_seconds = baud > 19200 ? 0.00175 : 3.5 * t.char_seconds;
  return t;
}

}  // namespace meterd::modbus
