// SPDX-License-Identifier: Apache-2.0
// The `dlt645` driver: DL/T 645-2007 and -1997 meters on one serial line (multi-drop by
// address). Reads map meterd points to DIs through each meter's Profile; actions are relay
// control (C=1C), the profile's vendor recharge (idempotent by purchase count) and parameter
// writes (C=14) of tariff prices and alarm limits. A reply is only ever taken from the meter
// asked, for the DI asked; another meter's frame is a late reply, skipped. Used by the bus thread
// only; all state lives in the instance.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/driver.h"
#include "dlt645/codec/address.h"
#include "dlt645/codec/request.h"
#include "dlt645/driver/profile.h"
#include "dlt645/transport/serial_line.h"

namespace meterd::dlt645 {

struct Dlt645BusConfig {
  std::string name;
  LineSettings line;
  std::size_t preamble = 4;  // FE bytes before each request
  Password password{0x02, 0};
  OperatorCode operator_code = 0;
  std::chrono::milliseconds command_validity{10 * 60 * 1000};
  std::chrono::minutes utc_offset{8 * 60};  // the meters' civil time zone
  RelayCommand close_command = RelayCommand::kCloseDirect;
};

struct Dlt645MeterConfig {
  std::string id;
  std::chrono::milliseconds timeout{500};
  std::optional<Address> address;    // nullopt: discover with read-address (one-meter line)
  std::optional<Password> password;  // overrides the bus password
  std::shared_ptr<const Profile> profile;
};

class Dlt645Driver final : public MeterDriver {
 public:
  Dlt645Driver(Dlt645BusConfig bus, std::vector<Dlt645MeterConfig> meters,
               std::vector<PollGroupSpec> groups, const Clock& clock);

  Status open() override;
  Result<MeterReading> read(std::size_t meter, std::size_t group) override;
  Result<MeterReading> act(std::size_t meter, const Action& action) override;
  void close() override;

  const LineStats& line_stats() const { return line_.stats(); }

 private:
  Result<MeterReading> read_points(std::size_t meter, const std::vector<std::string>& points);
  // One request to `to`, one reply frame from it (echoes of our own request and late replies
  // of other meters skipped); the line is drained after a timeout or a broken reply.
  Result<Frame> transact(std::size_t meter, const Address& to,
                         std::span<const std::uint8_t> request);
  Result<Address> address_of(std::size_t meter);
  // The whole payload of a read, follow-up frames included.
  Result<std::vector<std::uint8_t>> read_data(std::size_t meter, DataId id);
  Status write_data(std::size_t meter, DataId id, std::span<const std::uint8_t> data);
  Status relay(std::size_t meter, RelayCommand command);
  Result<MeterReading> recharge(std::size_t meter, const Action& action);
  Result<std::int64_t> read_integer(std::size_t meter, std::string_view point);
  Result<MeterReading> write_money(std::size_t meter, const Action& action);
  Error meter_error(std::size_t meter, const Error& error) const;
  const Password& password_of(std::size_t meter) const;

  Dlt645BusConfig bus_;
  std::vector<Dlt645MeterConfig> meters_;
  std::vector<PollGroupSpec> groups_;
  const Clock& clock_;
  SerialLine line_;
};

}  // namespace meterd::dlt645
