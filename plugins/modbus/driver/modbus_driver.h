// SPDX-License-Identifier: Apache-2.0
// The Modbus driver: one line (RTU) or connection (TCP) with its meters. Read plans are made
// once at construction per (profile, poll group); a read runs the planned transactions and
// decodes the points; an exception reply fails only the points of that transaction, a meter
// that does not answer its first transaction fails the whole read. Actions run the profile's
// writes; `recharge` is the read-check-write of docs/modbus.md. Used by the bus thread only.
#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/driver.h"
#include "modbus/driver/profile.h"
#include "modbus/transport/modbus_link.h"

namespace meterd::modbus {

struct ModbusMeter {
  std::string id;
  std::uint8_t unit = 1;
  Millis timeout{500};
  std::shared_ptr<const Profile> profile;
};

class ModbusDriver final : public MeterDriver {
 public:
  ModbusDriver(LineSettings line, std::vector<ModbusMeter> meters,
               const std::vector<PollGroupSpec>& groups);

  Status open() override;
  Result<MeterReading> read(std::size_t meter, std::size_t group) override;
  Result<MeterReading> act(std::size_t meter, const Action& action) override;
  void close() override { link_.close(); }

 private:
  struct Plan {
    std::vector<PlannedRead> reads;       // PlannedRead::points index into `points`
    std::vector<const PointMap*> points;  // the group's points the profile maps
    std::vector<std::string> unmapped;    // the group's points the profile lacks
  };
  static Plan make_plan(const Profile& profile, const std::vector<std::string>& points);
  Result<MeterReading> run(const ModbusMeter& meter, const Plan& plan);
  // The replies to `reads`, in order: pipelined when there are several (TCP only).
  std::vector<Result<std::vector<std::uint16_t>>> transact_reads(
      const ModbusMeter& meter, std::span<const PlannedRead> reads);
  static void decode_points(const Plan& plan, const PlannedRead& read,
                            const std::vector<std::uint16_t>& regs, MeterReading& reading);
  Result<MeterReading> recharge(const ModbusMeter& meter, const ActionMap& map,
                                const Action& action);
  // The registers of each write step, or kInvalidArgument (missing, too fine, out of range).
  static Result<std::vector<std::vector<std::uint16_t>>> encode_writes(
      const ActionMap& map, const std::map<std::string, std::int64_t>& args);
  Status write_all(const ModbusMeter& meter, const ActionMap& map,
                   const std::map<std::string, std::int64_t>& args, bool broadcast);

  LineSettings line_settings_;
  ModbusLink link_;
  std::vector<ModbusMeter> meters_;
  std::vector<std::vector<Plan>> plans_;  // [meter][group], shared per profile
};

}  // namespace meterd::modbus
