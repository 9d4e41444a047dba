// SPDX-License-Identifier: Apache-2.0
// One simulated DL/T 645 prepaid meter: its registers and how it answers read (11),
// write (14) and control (1C) requests. A 1997 meter answers only 1997 reads (01) of the
// 2-byte DIs it maps onto the same registers, and stays silent on 2007 frames (and a 2007
// meter on 1997 frames), so both can share a line. Passwords, control deadlines and the vendor
// recharge DI 04 90 00 00 (applied only when the purchase count is the current one + 1) are checked
// as a meter would. Pure state machine: a request frame in, a reply frame (or none) out;
// single-threaded.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

#include "dlt645/codec/address.h"
#include "dlt645/codec/bcd.h"
#include "dlt645/codec/control.h"
#include "dlt645/codec/data_id.h"
#include "dlt645/codec/frame.h"
#include "dlt645/codec/request.h"

namespace meterd::dlt645 {

class SimMeter {
 public:
  // Starts with plausible values: 1234.56 kWh, 220 V, balance 100.00, purchase count 3,
  // relay closed, money-prepaid type.
  explicit SimMeter(const Address& address, const Password& password = {0x02, 0x000000},
                    Version variant = Version::k2007);

  Version variant() const { return variant_; }
  const Address& address() const { return address_; }
  const Password& password() const { return password_; }

  // Numeric registers in the DI's own unit, as scaled integers: energy in 0.01 kWh, voltage
  // 0.1 V, current 0.001 A, power 0.0001 kW, money 0.01, prices 0.0001, counts 1. set()
  // returns false for a DI without a numeric format or a value that does not fit it.
  bool set(DataId id, std::int64_t value);
  std::optional<std::int64_t> get(DataId id) const;

  std::uint16_t status_word3() const { return status3_; }
  void set_status_word3(std::uint16_t word) { status3_ = word; }
  bool relay_closed() const { return (status3_ & status3::kRelayOpen) == 0; }

  // The reply to a request frame already addressed to this meter, at meter-local time `now`.
  std::optional<Frame> handle(const Frame& request, const CivilTime& now);

 private:
  Frame read(DataId id, const CivilTime& now) const;
  Frame read_1997(std::span<const std::uint8_t> data) const;
  Frame write(const Frame& request);
  Frame recharge(std::span<const std::uint8_t> payload);
  Frame control(const Frame& request, const CivilTime& now);

  Address address_;
  Password password_;
  Version variant_;
  std::map<DataId, std::int64_t> registers_;
  std::uint16_t status3_ = status3::kMoneyPrepaid;
};

}  // namespace meterd::dlt645
