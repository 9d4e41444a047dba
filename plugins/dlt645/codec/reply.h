// SPDX-License-Identifier: Apache-2.0
// Replies of DL/T 645 meters: checks every reply needs (direction, function, address, abnormal
// flag) and the payloads of read, follow-up, read-address, write and control replies. An
// abnormal reply becomes an Error whose code is the ERR byte: kRejected when the password bit
// is set, kException otherwise. Also the reply builders the simulator and tests use. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/result.h"
#include "dlt645/codec/address.h"
#include "dlt645/codec/control.h"
#include "dlt645/codec/data_id.h"
#include "dlt645/codec/frame.h"
#include "dlt645/codec/request.h"

namespace meterd::dlt645 {

struct Reply {
  ControlByte control;
  std::vector<std::uint8_t> data;  // the whole data field
};

// `to` is the address the request went to (AA bytes match any meter).
Result<Reply> check_reply(const Frame& frame, const Address& to, std::uint8_t function,
                          Version version = Version::k2007);

struct ReadReply {
  DataId id = 0;  // the echoed DI (2 bytes for 1997)
  std::vector<std::uint8_t> payload;
  bool more_follows = false;        // fetch the rest with read follow-up
  std::optional<std::uint8_t> seq;  // 2007 follow-up replies only
};

// Each fails with kMalformed on a DI echo that differs from `expected` or a short field.
Result<ReadReply> parse_read_reply(const Frame& frame, const Address& to, DataId expected);
Result<ReadReply> parse_follow_up_reply(const Frame& frame, const Address& to, DataId expected);
Result<ReadReply> parse_read_reply_1997(const Frame& frame, const Address& to, DataId1997 expected);
Result<Address> parse_read_address_reply(const Frame& frame);
Status parse_write_reply(const Frame& frame, const Address& to, Version version = Version::k2007);
Status parse_control_reply(const Frame& frame, const Address& to);

// Reply frames as a 2007 meter sends them.
Frame make_reply(const Address& from, std::uint8_t function, std::vector<std::uint8_t> data,
                 bool more_follows = false);
Frame make_read_reply(const Address& from, DataId id, std::span<const std::uint8_t> payload,
                      bool more_follows = false);
Frame make_follow_up_reply(const Address& from, DataId id, std::span<const std::uint8_t> payload,
                           std::uint8_t seq, bool more_follows = false);
Frame make_abnormal_reply(const Address& from, std::uint8_t function, std::uint8_t err);

}  // namespace meterd::dlt645
