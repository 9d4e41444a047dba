// SPDX-License-Identifier: Apache-2.0
#include "dlt645/codec/request.h"

#include <cstdlib>
#include <string>

#include "dlt645/codec/control.h"

namespace meterd::dlt645 {

namespace {

std::uint8_t request_control(std::uint8_t function) {
  return encode_control(ControlByte{false, false, false, function});
}

// Request frames built here have at most 16 + caller data bytes; the only way encode fails is
// caller data over 255 bytes, which build_write reports.
std::vector<std::uint8_t> encode_small(const Frame& frame, std::size_t preamble) {
  return encode_frame(frame, preamble).value();
}

void append(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

std::vector<std::uint8_t> di_bytes(DataId id) {
  const auto wire = encode_data_id(id);
  return {wire.begin(), wire.end()};
}

std::vector<std::uint8_t> di_bytes_1997(DataId1997 id) {
  return {static_cast<std::uint8_t>(id), static_cast<std::uint8_t>(id >> 8)};
}

}  // namespace

std::optional<Password> parse_password(std::string_view text) {
  if (text.size() != 8) return std::nullopt;
  for (char c : text) {
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex) return std::nullopt;
  }
  const std::string digits(text);
  return Password{static_cast<std::uint8_t>(std::stoul(digits.substr(0, 2), nullptr, 16)),
                  static_cast<std::uint32_t>(std::stoul(digits.substr(2), nullptr, 16))};
}

std::vector<std::uint8_t> encode_password(const Password& password) {
  return {password.level, static_cast<std::uint8_t>(password.code),
          static_cast<std::uint8_t>(password.code >> 8),
          static_cast<std::uint8_t>(password.code >> 16)};
}

Password decode_password(std::span<const std::uint8_t, 4> wire) {
  return Password{wire[0], static_cast<std::uint32_t>(wire[1]) |
                               static_cast<std::uint32_t>(wire[2]) << 8 |
                               static_cast<std::uint32_t>(wire[3]) << 16};
}

std::vector<std::uint8_t> build_read(const Address& to, DataId id, std::size_t preamble) {
  return encode_small(Frame{to, request_control(fn2007::kRead), di_bytes(id)}, preamble);
}

std::vector<std::uint8_t> build_read_follow_up(const Address& to, DataId id, std::uint8_t seq,
                                               std::size_t preamble) {
  auto data = di_bytes(id);
  data.push_back(seq);
  return encode_small(Frame{to, request_control(fn2007::kReadFollowUp), data}, preamble);
}

std::vector<std::uint8_t> build_read_address(std::size_t preamble) {
  return encode_small(Frame{kWildcardAddress, request_control(fn2007::kReadAddress), {}}, preamble);
}

Result<std::vector<std::uint8_t>> build_write(const Address& to, DataId id,
                                              const Password& password, OperatorCode op,
                                              std::span<const std::uint8_t> data,
                                              std::size_t preamble) {
  auto payload = di_bytes(id);
  append(payload, encode_password(password));
  append(payload, encode_data_id(op));  // the operator code is 4 bytes LSB first like a DI
  append(payload, data);
  return encode_frame(Frame{to, request_control(fn2007::kWrite), std::move(payload)}, preamble);
}

Result<std::vector<std::uint8_t>> build_relay_control(const Address& to, const Password& password,
                                                      OperatorCode op, RelayCommand command,
                                                      const CivilTime& deadline,
                                                      std::size_t preamble) {
  auto deadline_bytes = encode_deadline(deadline);
  if (!deadline_bytes) {
    return make_error(ErrorKind::kInvalidArgument, "invalid relay control deadline");
  }
  auto payload = encode_password(password);
  append(payload, encode_data_id(op));
  payload.push_back(static_cast<std::uint8_t>(command));
  payload.push_back(0x00);  // N2, reserved
  append(payload, *deadline_bytes);
  return encode_small(Frame{to, request_control(fn2007::kControl), std::move(payload)}, preamble);
}

std::vector<std::uint8_t> build_read_1997(const Address& to, DataId1997 id, std::size_t preamble) {
  return encode_small(Frame{to, request_control(fn1997::kRead), di_bytes_1997(id)}, preamble);
}

std::vector<std::uint8_t> build_read_follow_up_1997(const Address& to, DataId1997 id,
                                                    std::size_t preamble) {
  return encode_small(Frame{to, request_control(fn1997::kReadFollowUp), di_bytes_1997(id)},
                      preamble);
}

Result<std::vector<std::uint8_t>> build_write_1997(const Address& to, DataId1997 id,
                                                   const Password& password,
                                                   std::span<const std::uint8_t> data,
                                                   std::size_t preamble) {
  auto payload = di_bytes_1997(id);
  append(payload, encode_password(password));
  append(payload, data);
  return encode_frame(Frame{to, request_control(fn1997::kWrite), std::move(payload)}, preamble);
}

}  // namespace meterd::dlt645
