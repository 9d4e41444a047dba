// SPDX-License-Identifier: Apache-2.0
#include "dlt645/codec/reply.h"

#include <algorithm>
#include <string>

namespace meterd::dlt645 {

namespace {

Error malformed(const std::string& message) {
  return make_error(ErrorKind::kMalformed, "DL/T 645 reply: " + message);
}

std::string hex(unsigned value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  return {kHex[(value >> 4) & 0xF], kHex[value & 0xF]};
}

Result<ReadReply> split_read(Reply reply, DataId expected, bool with_seq) {
  const std::size_t minimum = with_seq ? 5 : 4;
  if (reply.data.size() < minimum) return malformed("data field shorter than DI");
  ReadReply read;
  read.id = *decode_data_id(reply.data);
  if (read.id != expected) {
    return malformed("DI " + format_data_id(read.id) + " echoed for " + format_data_id(expected));
  }
  read.more_follows = reply.control.follow_up;
  const auto end = reply.data.end() - (with_seq ? 1 : 0);
  read.payload.assign(reply.data.begin() + 4, end);
  if (with_seq) read.seq = reply.data.back();
  return read;
}

}  // namespace

Result<Reply> check_reply(const Frame& frame, const Address& to, std::uint8_t function,
                          Version version) {
  const ControlByte control = decode_control(frame.control);
  if (!control.reply) return malformed("direction bit says request");
  if (control.function != function) {
    return malformed("function " + hex(control.function) + " answers " + hex(function));
  }
  if (!address_matches(to, frame.address)) {
    return malformed("from " + to_string(frame.address) + ", asked " + to_string(to));
  }
  if (control.abnormal) {
    if (frame.data.size() != 1) return malformed("abnormal reply without one ERR byte");
    const std::uint8_t err = frame.data[0];
    const ErrorKind kind = (err & err::kPassword) ? ErrorKind::kRejected : ErrorKind::kException;
    return make_error(kind, "meter error " + hex(err) + ": " + describe_err(err, version), err);
  }
  return Reply{control, frame.data};
}

Result<ReadReply> parse_read_reply(const Frame& frame, const Address& to, DataId expected) {
  auto reply = check_reply(frame, to, fn2007::kRead);
  if (!reply) return reply.error();
  return split_read(std::move(reply.value()), expected, false);
}

Result<ReadReply> parse_follow_up_reply(const Frame& frame, const Address& to, DataId expected) {
  auto reply = check_reply(frame, to, fn2007::kReadFollowUp);
  if (!reply) return reply.error();
  return split_read(std::move(reply.value()), expected, true);
}

Result<ReadReply> parse_read_reply_1997(const Frame& frame, const Address& to,
                                        DataId1997 expected) {
  auto reply = check_reply(frame, to, fn1997::kRead, Version::k1997);
  if (!reply) return reply.error();
  const auto& data = reply.value().data;
  if (data.size() < 2) return malformed("data field shorter than DI");
  ReadReply read;
  read.id = static_cast<DataId>(data[0] | data[1] << 8);
  if (read.id != expected) return malformed("1997 DI echo differs");
  read.more_follows = reply.value().control.follow_up;
  read.payload.assign(data.begin() + 2, data.end());
  return read;
}

Result<Address> parse_read_address_reply(const Frame& frame) {
  auto reply = check_reply(frame, kWildcardAddress, fn2007::kReadAddress);
  if (!reply) return reply.error();
  if (reply.value().data.size() != 6) return malformed("read-address reply without 6 bytes");
  Address address;
  std::copy_n(reply.value().data.begin(), 6, address.wire.begin());
  // The data field must agree with the header; a meter answering AA..AA is broken.
  if (address != frame.address || is_wildcard(address)) {
    return malformed("read-address reply disagrees with its header");
  }
  return address;
}

Status parse_write_reply(const Frame& frame, const Address& to, Version version) {
  auto reply =
      check_reply(frame, to, version == Version::k2007 ? fn2007::kWrite : fn1997::kWrite, version);
  if (!reply) return reply.error();
  return Ok{};
}

Status parse_control_reply(const Frame& frame, const Address& to) {
  auto reply = check_reply(frame, to, fn2007::kControl);
  if (!reply) return reply.error();
  return Ok{};
}

Frame make_reply(const Address& from, std::uint8_t function, std::vector<std::uint8_t> data,
                 bool more_follows) {
  return Frame{from, encode_control(ControlByte{true, false, more_follows, function}),
               std::move(data)};
}

Frame make_read_reply(const Address& from, DataId id, std::span<const std::uint8_t> payload,
                      bool more_follows) {
  const auto wire = encode_data_id(id);
  std::vector<std::uint8_t> data(wire.begin(), wire.end());
  data.insert(data.end(), payload.begin(), payload.end());
  return make_reply(from, fn2007::kRead, std::move(data), more_follows);
}

Frame make_follow_up_reply(const Address& from, DataId id, std::span<const std::uint8_t> payload,
                           std::uint8_t seq, bool more_follows) {
  const auto wire = encode_data_id(id);
  std::vector<std::uint8_t> data(wire.begin(), wire.end());
  data.insert(data.end(), payload.begin(), payload.end());
  data.push_back(seq);
  return make_reply(from, fn2007::kReadFollowUp, std::move(data), more_follows);
}

Frame make_abnormal_reply(const Address& from, std::uint8_t function, std::uint8_t err) {
  return Frame{from, encode_control(ControlByte{true, true, false, function}), {err}};
}

}  // namespace meterd::dlt645
