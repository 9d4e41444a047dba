// SPDX-License-Identifier: Apache-2.0
#include "modbus/driver/modbus_driver.h"

#include <algorithm>

#include "modbus/codec/frame.h"

namespace meterd::modbus {
namespace {

std::optional<std::int64_t> integer_of(const MeterReading& r, const std::string& name) {
  for (const auto& v : r.values) {
    if (v.name == name) {
      if (const auto* i = std::get_if<std::int64_t>(&v.value)) return *i;
    }
  }
  return std::nullopt;
}

bool meter_silent(const Error& e) {
  return e.kind == ErrorKind::kTimeout || e.kind == ErrorKind::kChecksum ||
         e.kind == ErrorKind::kMalformed || e.kind == ErrorKind::kBusError;
}

bool uses_arg(const ActionMap& map, const std::string& arg) {
  for (const WriteStep& step : map.writes) {
    for (const WriteValue& v : step.values) {
      if (!v.literal && v.arg == arg) return true;
    }
  }
  return false;
}

}  // namespace

ModbusDriver::ModbusDriver(LineSettings line, std::vector<ModbusMeter> meters,
                           const std::vector<PollGroupSpec>& groups)
    : line_settings_(line), link_(std::move(line)), meters_(std::move(meters)) {
  std::map<std::pair<const Profile*, std::size_t>, Plan> made;
  for (const auto& meter : meters_) {
    std::vector<Plan> per_group;
    for (std::size_t g = 0; g < groups.size(); ++g) {
      auto key = std::make_pair(meter.profile.get(), g);
      auto it = made.find(key);
      if (it == made.end())
        it = made.emplace(key, make_plan(*meter.profile, groups[g].points)).first;
      per_group.push_back(it->second);
    }
    plans_.push_back(std::move(per_group));
  }
}

ModbusDriver::Plan ModbusDriver::make_plan(const Profile& profile,
                                           const std::vector<std::string>& points) {
  Plan plan;
  std::vector<RegisterSpan> spans;
  for (const auto& name : points) {
    if (const PointMap* p = profile.point(name)) {
      plan.points.push_back(p);
      spans.push_back(p->span);
    } else {
      plan.unmapped.push_back(name);
    }
  }
  plan.reads = plan_reads(spans, profile.read_blocks, profile.max_gap);
  return plan;
}

Status ModbusDriver::open() {
  return guard_plugin_call([&]() -> Status { return link_.open(); });
}

std::vector<Result<std::vector<std::uint16_t>>> ModbusDriver::transact_reads(
    const ModbusMeter& meter, std::span<const PlannedRead> reads) {
  std::vector<BlockRead> blocks;
  for (const PlannedRead& read : reads) {
    blocks.push_back({read.span.fc, read.span.address, read.span.count});
  }
  if (blocks.size() > 1) return link_.read_pipelined(meter.unit, blocks, meter.timeout);
  std::vector<Result<std::vector<std::uint16_t>>> one;
  one.push_back(
      link_.read(meter.unit, blocks[0].fc, blocks[0].address, blocks[0].count, meter.timeout));
  return one;
}

Result<MeterReading> ModbusDriver::run(const ModbusMeter& meter, const Plan& plan) {
  MeterReading reading;
  bool answered = false;
  // TCP with `pipeline` > 1: that many reads in flight at once; otherwise one at a time.
  const std::size_t in_flight =
      line_settings_.tcp ? static_cast<std::size_t>(std::max(1, line_settings_.pipeline)) : 1;
  const std::span<const PlannedRead> all(plan.reads);
  for (std::size_t start = 0; start < all.size(); start += in_flight) {
    const auto reads = all.subspan(start, std::min(in_flight, all.size() - start));
    auto replies = transact_reads(meter, reads);
    for (std::size_t k = 0; k < reads.size(); ++k) {
      const PlannedRead& read = reads[k];
      auto& regs = replies[k];
      if (!regs.ok()) {
        const Error& e = regs.error();
        if (e.kind == ErrorKind::kBusError || (!answered && meter_silent(e))) {
          return make_error(e.kind, "meter '" + meter.id + "': " + e.message, e.code);
        }
        for (std::size_t i : read.points) reading.errors.push_back({plan.points[i]->name, e});
        answered = answered || e.kind == ErrorKind::kException;
        continue;
      }
      answered = true;
      decode_points(plan, read, regs.value(), reading);
    }
  }
  for (const auto& name : plan.unmapped) {
    reading.errors.push_back(
        {name, make_error(ErrorKind::kNotSupported,
                          "profile '" + meter.profile->name + "' has no point '" + name + "'")});
  }
  return reading;
}

void ModbusDriver::decode_points(const Plan& plan, const PlannedRead& read,
                                 const std::vector<std::uint16_t>& regs, MeterReading& reading) {
  for (std::size_t i : read.points) {
    const PointMap& p = *plan.points[i];
    const std::size_t offset = p.span.address - read.span.address;
    const auto width = static_cast<std::size_t>(register_width(p.format.type));
    auto value =
        decode_value(std::span<const std::uint16_t>(regs).subspan(offset, width), p.format);
    if (value.ok()) {
      reading.values.push_back({p.name, value.value()});
    } else {
      reading.errors.push_back({p.name, value.error()});
    }
  }
}

Result<MeterReading> ModbusDriver::read(std::size_t meter, std::size_t group) {
  return guard_plugin_call([&]() -> Result<MeterReading> {
    if (meter >= meters_.size() || group >= plans_[meter].size()) {
      return make_error(ErrorKind::kInvalidArgument, "no such meter or group");
    }
    if (!link_.is_open()) return make_error(ErrorKind::kBusError, "line not open");
    return run(meters_[meter], plans_[meter][group]);
  });
}

Result<std::vector<std::vector<std::uint16_t>>> ModbusDriver::encode_writes(
    const ActionMap& map, const std::map<std::string, std::int64_t>& args) {
  std::vector<std::vector<std::uint16_t>> steps;
  for (const WriteStep& step : map.writes) {
    std::vector<std::uint16_t> regs;
    for (const WriteValue& v : step.values) {
      if (v.literal) {
        regs.push_back(*v.literal);
        continue;
      }
      auto it = args.find(v.arg);
      if (it == args.end()) {
        return make_error(ErrorKind::kInvalidArgument,
                          "action '" + map.name + "' needs integer '" + v.arg + "'");
      }
      auto encoded = encode_exact(it->second, v.format);
      if (!encoded.ok()) {
        return make_error(ErrorKind::kInvalidArgument, "action '" + map.name + "' argument '" +
                                                           v.arg + "': " + encoded.error().message);
      }
      regs.insert(regs.end(), encoded.value().begin(), encoded.value().end());
    }
    steps.push_back(std::move(regs));
  }
  return steps;
}

Status ModbusDriver::write_all(const ModbusMeter& meter, const ActionMap& map,
                               const std::map<std::string, std::int64_t>& args, bool broadcast) {
  // Every value is encoded before the first frame goes out: a bad argument writes nothing.
  auto steps = encode_writes(map, args);
  if (!steps.ok()) return steps.error();
  for (std::size_t i = 0; i < map.writes.size(); ++i) {
    const WriteStep& step = map.writes[i];
    Status s = link_.write(broadcast ? kBroadcast : meter.unit, step.fc, step.address,
                           steps.value()[i], meter.timeout);
    if (!s.ok()) return s;
  }
  return Ok{};
}

Result<MeterReading> ModbusDriver::recharge(const ModbusMeter& meter, const ActionMap& map,
                                            const Action& action) {
  auto amount = action.integers.find("amount");
  auto count = action.integers.find("purchase_count");
  if (amount == action.integers.end() || count == action.integers.end() || amount->second <= 0) {
    return make_error(ErrorKind::kInvalidArgument,
                      "recharge needs a positive integer 'amount' and 'purchase_count'");
  }
  // The new balance is the meter's (on the register's grid) plus the amount: an amount off
  // that grid could only be written rounded, so it is refused before the line is used.
  if (auto fits = encode_writes(map, {{"balance", amount->second},
                                      {"purchase_count", count->second},
                                      {"amount", amount->second}});
      !fits.ok()) {
    return fits.error();
  }
  const Plan state = make_plan(*meter.profile, {"balance", "purchase_count"});
  auto before = run(meter, state);
  if (!before.ok()) return before;
  auto balance = integer_of(before.value(), "balance");
  auto purchases = integer_of(before.value(), "purchase_count");
  if (!balance || !purchases) {
    return make_error(ErrorKind::kRejected, "recharge: cannot read balance and purchase count");
  }
  if (*purchases == count->second) return before;  // applied before (e.g. ahead of a crash)
  if (*purchases != count->second - 1) {
    return make_error(ErrorKind::kRejected, "recharge: meter purchase count is " +
                                                std::to_string(*purchases) + ", expected " +
                                                std::to_string(count->second - 1));
  }
  const std::int64_t target = *balance + amount->second;
  const std::map<std::string, std::int64_t> args = {
      {"balance", target}, {"purchase_count", count->second}, {"amount", amount->second}};
  if (Status s = write_all(meter, map, args, false); !s.ok()) return s.error();
  auto after = run(meter, state);
  if (!after.ok()) return after;
  if (integer_of(after.value(), "balance") != target ||
      integer_of(after.value(), "purchase_count") != count->second) {
    return make_error(ErrorKind::kRejected, "recharge: read-back does not match the write");
  }
  return after;
}

Result<MeterReading> ModbusDriver::act(std::size_t meter, const Action& action) {
  return guard_plugin_call([&]() -> Result<MeterReading> {
    if (meter >= meters_.size()) return make_error(ErrorKind::kInvalidArgument, "no such meter");
    if (!link_.is_open()) return make_error(ErrorKind::kBusError, "line not open");
    const ModbusMeter& m = meters_[meter];
    const ActionMap* map = m.profile->action(action.name);
    if (map == nullptr) {
      return make_error(ErrorKind::kNotSupported,
                        "profile '" + m.profile->name + "' has no action '" + action.name + "'");
    }
    if (action.name == "recharge") return recharge(m, *map, action);
    if (action.integers.count("tariff") && !uses_arg(*map, "tariff")) {
      // One of several rates (set_price of a TOU table) for a profile that writes one value:
      // writing it would overwrite that value with each rate in turn.
      return make_error(ErrorKind::kNotSupported, "profile '" + m.profile->name + "' action '" +
                                                      action.name + "' takes no 'tariff'");
    }
    auto b = action.integers.find("broadcast");
    const bool broadcast = b != action.integers.end() && b->second != 0;
    if (broadcast && !map->broadcast) {
      return make_error(ErrorKind::kInvalidArgument,
                        "action '" + action.name + "' may not be broadcast");
    }
    if (Status s = write_all(m, *map, action.integers, broadcast); !s.ok()) return s.error();
    if (broadcast || map->read_back.empty()) return MeterReading{};
    return run(m, make_plan(*m.profile, map->read_back));
  });
}

}  // namespace meterd::modbus
