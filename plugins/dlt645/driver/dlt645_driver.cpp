// SPDX-License-Identifier: Apache-2.0
#include "dlt645/driver/dlt645_driver.h"

#include <algorithm>
#include <map>

#include "dlt645/codec/control.h"
#include "dlt645/codec/reply.h"

namespace meterd::dlt645 {

namespace {

constexpr int kMaxFollowUps = 16;  // a read never spans more frames than this

std::optional<std::int64_t> integer_arg(const Action& action, const std::string& key) {
  auto it = action.integers.find(key);
  if (it == action.integers.end()) return std::nullopt;
  return it->second;
}

bool answered(const Error& error) {
  return error.kind != ErrorKind::kTimeout && error.kind != ErrorKind::kBusError;
}

// Money in 1/10000 units as a BCD field with `format.decimals` decimals; exact or nothing.
Result<std::vector<std::uint8_t>> encode_money(std::int64_t money, BcdFormat format,
                                               const std::string& what) {
  constexpr std::int64_t kMaxMoney = 1'000'000'000'000'000;  // keeps the scaling exact
  if (money < -kMaxMoney || money > kMaxMoney) {
    return make_error(ErrorKind::kInvalidArgument,
                      what + " " + std::to_string(money) + " is out of range");
  }
  std::int64_t divisor = 1;
  for (int i = format.decimals; i < 4; ++i) divisor *= 10;
  std::int64_t value = money;
  if (format.decimals <= 4) {
    if (money % divisor != 0) {
      return make_error(ErrorKind::kInvalidArgument,
                        what + " " + std::to_string(money) + " has finer digits than the meter's " +
                            std::to_string(format.decimals) + " decimals");
    }
    value = money / divisor;
  } else {
    for (int i = 4; i < format.decimals && i < 6; ++i) value *= 10;
    if (format.decimals > 6) {
      return make_error(ErrorKind::kInvalidArgument, what + ": more than 6 decimals");
    }
  }
  auto bytes = encode_bcd(value, format);
  if (!bytes) {
    return make_error(ErrorKind::kInvalidArgument,
                      what + " " + std::to_string(money) + " does not fit the meter's field");
  }
  return std::move(*bytes);
}

}  // namespace

Dlt645Driver::Dlt645Driver(Dlt645BusConfig bus, std::vector<Dlt645MeterConfig> meters,
                           std::vector<PollGroupSpec> groups, const Clock& clock)
    : bus_(std::move(bus)),
      meters_(std::move(meters)),
      groups_(std::move(groups)),
      clock_(clock),
      line_(bus_.line) {}

Status Dlt645Driver::open() {
  return guard_plugin_call([&]() -> Status { return line_.open(); });
}

void Dlt645Driver::close() { line_.close(); }

Error Dlt645Driver::meter_error(std::size_t meter, const Error& error) const {
  Error out = error;
  out.message = "meter '" + meters_[meter].id + "': " + error.message;
  return out;
}

const Password& Dlt645Driver::password_of(std::size_t meter) const {
  return meters_[meter].password ? *meters_[meter].password : bus_.password;
}

Result<Frame> Dlt645Driver::transact(std::size_t meter, const Address& to,
                                     std::span<const std::uint8_t> request) {
  if (!line_.is_open()) {
    return make_error(ErrorKind::kBusError, bus_.line.device + ": the line is not open");
  }
  // Anything pending is a late reply to an earlier request: it must not answer this one.
  line_.flush_input();
  if (Status written = line_.write(request); !written) return written.error();
  const auto timeout = meters_[meter].timeout;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto frame = line_.read_frame(deadline, &to);
    if (!frame) {
      // The rest of a late or broken reply must not reach the next request.
      if (frame.error().kind != ErrorKind::kBusError) line_.drain();
      if (frame.error().kind != ErrorKind::kTimeout) return frame.error();
      return make_error(ErrorKind::kTimeout,
                        "no reply within " + std::to_string(timeout.count()) + "ms");
    }
    // RS-485 adapters may echo what we sent; a request is never the answer.
    if (!decode_control(frame.value().control).reply) continue;
    return frame;
  }
}

Result<Address> Dlt645Driver::address_of(std::size_t meter) {
  if (meters_[meter].address) return *meters_[meter].address;
  auto frame = transact(meter, kWildcardAddress, build_read_address(bus_.preamble));
  if (!frame) return frame.error();
  auto address = parse_read_address_reply(frame.value());
  if (!address) return address.error();
  meters_[meter].address = address.value();  // a one-meter line: the answer stays true
  return address;
}

Result<std::vector<std::uint8_t>> Dlt645Driver::read_data(std::size_t meter, DataId id) {
  auto address = address_of(meter);
  if (!address) return address.error();
  const Address& to = address.value();
  if (meters_[meter].profile->variant == Version::k1997) {
    const auto id1997 = static_cast<DataId1997>(id);
    auto frame = transact(meter, to, build_read_1997(to, id1997, bus_.preamble));
    if (!frame) return frame.error();
    auto reply = parse_read_reply_1997(frame.value(), to, id1997);
    if (!reply) return reply.error();
    return std::move(reply.value().payload);
  }
  auto frame = transact(meter, to, build_read(to, id, bus_.preamble));
  if (!frame) return frame.error();
  auto reply = parse_read_reply(frame.value(), to, id);
  if (!reply) return reply.error();
  std::vector<std::uint8_t> data = std::move(reply.value().payload);
  bool more = reply.value().more_follows;
  for (int seq = 1; more; ++seq) {
    if (seq > kMaxFollowUps) {
      return make_error(ErrorKind::kMalformed, "more than " + std::to_string(kMaxFollowUps) +
                                                   " follow-up frames for DI " +
                                                   format_data_id(id));
    }
    auto next = transact(
        meter, to, build_read_follow_up(to, id, static_cast<std::uint8_t>(seq), bus_.preamble));
    if (!next) return next.error();
    auto part = parse_follow_up_reply(next.value(), to, id);
    if (!part) return part.error();
    if (part.value().seq && *part.value().seq != seq) {
      return make_error(ErrorKind::kMalformed, "follow-up frame out of sequence");
    }
    data.insert(data.end(), part.value().payload.begin(), part.value().payload.end());
    more = part.value().more_follows;
  }
  return data;
}

Status Dlt645Driver::write_data(std::size_t meter, DataId id, std::span<const std::uint8_t> data) {
  if (meters_[meter].profile->variant == Version::k1997) {
    return make_error(ErrorKind::kNotSupported, "parameter writes need a DL/T 645-2007 meter");
  }
  auto address = address_of(meter);
  if (!address) return address.error();
  auto request =
      build_write(address.value(), id, password_of(meter), bus_.operator_code, data, bus_.preamble);
  if (!request) return request.error();
  auto frame = transact(meter, address.value(), request.value());
  if (!frame) return frame.error();
  return parse_write_reply(frame.value(), address.value());
}

Result<MeterReading> Dlt645Driver::read_points(std::size_t meter,
                                               const std::vector<std::string>& points) {
  const Profile& profile = *meters_[meter].profile;
  MeterReading reading;
  // Points sharing a DI (a status word, a block) cost one transaction, in first-use order.
  std::vector<std::pair<DataId, std::vector<const Dlt645PointFormat*>>> reads;
  for (const auto& point : points) {
    const Dlt645PointFormat* format = profile.find(point);
    if (format == nullptr) {
      reading.errors.push_back(
          {point, make_error(ErrorKind::kNotSupported, "the meter's profile maps no DI to it")});
      continue;
    }
    auto it = std::find_if(reads.begin(), reads.end(),
                           [&](const auto& entry) { return entry.first == format->id; });
    if (it == reads.end()) {
      reads.push_back({format->id, {format}});
    } else {
      it->second.push_back(format);
    }
  }
  bool any_answer = false;
  for (std::size_t i = 0; i < reads.size(); ++i) {
    const auto& [id, formats] = reads[i];
    auto data = read_data(meter, id);
    if (!data) {
      const Error error = meter_error(meter, data.error());
      if (!answered(error)) {
        // A meter that went silent costs one timeout, not one per DI.
        if (!any_answer || error.kind == ErrorKind::kBusError) return error;
        for (std::size_t j = i; j < reads.size(); ++j) {
          for (const auto* format : reads[j].second) {
            reading.errors.push_back({std::string(format->point), error});
          }
        }
        break;
      }
      any_answer = true;
      for (const auto* format : formats) {
        reading.errors.push_back({std::string(format->point), error});
      }
      continue;
    }
    any_answer = true;
    for (const auto* format : formats) {
      auto value = decode_point(*format, data.value());
      if (value) {
        reading.values.push_back(std::move(value.value()));
      } else {
        reading.errors.push_back({std::string(format->point), meter_error(meter, value.error())});
      }
    }
  }
  return reading;
}

Result<MeterReading> Dlt645Driver::read(std::size_t meter, std::size_t group) {
  return guard_plugin_call([&]() -> Result<MeterReading> {
    if (meter >= meters_.size() || group >= groups_.size()) {
      return make_error(ErrorKind::kInvalidArgument, "no such meter or group");
    }
    return read_points(meter, groups_[group].points);
  });
}

Result<std::int64_t> Dlt645Driver::read_integer(std::size_t meter, std::string_view point) {
  auto reading = read_points(meter, {std::string(point)});
  if (!reading) return reading.error();
  if (!reading.value().errors.empty()) return reading.value().errors.front().error;
  if (reading.value().values.empty()) {
    return make_error(ErrorKind::kInternal, std::string(point) + " not read");
  }
  const auto* value = std::get_if<std::int64_t>(&reading.value().values.front().value);
  if (value == nullptr) {
    return make_error(ErrorKind::kInternal, std::string(point) + " is not an integer");
  }
  return *value;
}

Status Dlt645Driver::relay(std::size_t meter, RelayCommand command) {
  if (meters_[meter].profile->variant == Version::k1997) {
    return make_error(ErrorKind::kNotSupported, "relay control needs a DL/T 645-2007 meter");
  }
  auto address = address_of(meter);
  if (!address) return address.error();
  // Meters refuse a command whose deadline has passed, so a command stuck in a queue cannot
  // switch a relay long after it was meant to.
  const auto validity =
      std::chrono::duration_cast<std::chrono::seconds>(bus_.command_validity).count();
  const CivilTime deadline = add_seconds(civil_time(clock_.wall_now(), bus_.utc_offset), validity);
  auto request = build_relay_control(address.value(), password_of(meter), bus_.operator_code,
                                     command, deadline, bus_.preamble);
  if (!request) return request.error();
  auto frame = transact(meter, address.value(), request.value());
  if (!frame) return frame.error();
  return parse_control_reply(frame.value(), address.value());
}

Result<MeterReading> Dlt645Driver::recharge(std::size_t meter, const Action& action) {
  const auto amount = integer_arg(action, "amount");
  const auto count = integer_arg(action, "purchase_count");
  if (!amount || !count || *amount <= 0 || *count <= 0) {
    return make_error(ErrorKind::kInvalidArgument,
                      "recharge needs positive integers 'amount' (1/10000) and 'purchase_count' "
                      "(the new count)");
  }
  const auto& recharge = meters_[meter].profile->recharge;
  if (!recharge) {
    return make_error(ErrorKind::kNotSupported, "the meter's profile defines no recharge action");
  }
  std::vector<std::uint8_t> payload;
  for (const auto& field : recharge->layout) {
    Result<std::vector<std::uint8_t>> bytes =
        make_error(ErrorKind::kInvalidArgument,
                   "purchase_count " + std::to_string(*count) + " does not fit the meter's field");
    if (field.kind == RechargeField::Kind::kAmount) {
      bytes = encode_money(*amount, field.format, "amount");
    } else if (auto encoded = encode_bcd(*count, BcdFormat{field.format.bytes, 0, false})) {
      bytes = std::move(*encoded);
    }
    if (!bytes) return bytes.error();
    payload.insert(payload.end(), bytes.value().begin(), bytes.value().end());
  }
  // The purchase count is the idempotency key: the meter already at the new count has had
  // this recharge; one behind it has not; anything else is a different purchase history.
  auto before = read_integer(meter, "purchase_count");
  if (!before) return before.error();
  if (before.value() != *count) {
    if (before.value() != *count - 1) {
      return make_error(ErrorKind::kRejected, "meter purchase count is " +
                                                  std::to_string(before.value()) +
                                                  "; recharge number " + std::to_string(*count) +
                                                  " needs " + std::to_string(*count - 1));
    }
    Status written = write_data(meter, recharge->id, payload);
    // A lost reply may hide an applied write: the read-back below decides.
    if (!written && answered(written.error())) return written.error();
  }
  auto reading = read_points(meter, {"balance", "purchase_count"});
  if (!reading) return reading.error();
  for (const auto& value : reading.value().values) {
    if (value.name != "purchase_count") continue;
    if (std::get<std::int64_t>(value.value) != *count) {
      return make_error(ErrorKind::kRejected,
                        "recharge not applied: purchase count is " +
                            std::to_string(std::get<std::int64_t>(value.value)));
    }
    return reading;
  }
  return make_error(ErrorKind::kTimeout, "recharge not verified: purchase count unreadable");
}

Result<MeterReading> Dlt645Driver::write_money(std::size_t meter, const Action& action) {
  std::vector<std::pair<DataId, std::int64_t>> writes;
  if (action.name == "set_price") {
    const auto price = integer_arg(action, "price_per_kwh");
    const auto tariff = integer_arg(action, "tariff");
    if (!price || *price <= 0 || (tariff && (*tariff < 1 || *tariff > 4))) {
      return make_error(ErrorKind::kInvalidArgument,
                        "set_price needs a positive integer 'price_per_kwh' (1/10000) and an "
                        "optional 'tariff' 1..4 (default: all four)");
    }
    for (DataId t = 1; t <= 4; ++t) {
      if (!tariff || *tariff == static_cast<std::int64_t>(t)) {
        writes.emplace_back(di::kTariffPrice1 + t - 1, *price);
      }
    }
  } else {
    const auto limit1 = integer_arg(action, "alarm_limit_1");
    const auto limit2 = integer_arg(action, "alarm_limit_2");
    if ((!limit1 && !limit2) || (limit1 && *limit1 < 0) || (limit2 && *limit2 < 0)) {
      return make_error(ErrorKind::kInvalidArgument,
                        "set_alarm_thresholds needs integers 'alarm_limit_1' and/or "
                        "'alarm_limit_2' (1/10000)");
    }
    if (limit1) writes.emplace_back(di::kAlarmLimit1, *limit1);
    if (limit2) writes.emplace_back(di::kAlarmLimit2, *limit2);
  }
  for (const auto& [id, money] : writes) {
    auto bytes = encode_money(money, *numeric_format(id), "value");
    if (!bytes) return bytes.error();
    if (Status written = write_data(meter, id, bytes.value()); !written) {
      return Error{written.error().kind, written.error().code,
                   "write DI " + format_data_id(id) + ": " + written.error().message};
    }
  }
  return MeterReading{};
}

Result<MeterReading> Dlt645Driver::act(std::size_t meter, const Action& action) {
  return guard_plugin_call([&]() -> Result<MeterReading> {
    if (meter >= meters_.size()) return make_error(ErrorKind::kInvalidArgument, "no such meter");
    Result<MeterReading> result = MeterReading{};
    if (action.name == "relay_open" || action.name == "relay_close") {
      const RelayCommand command =
          action.name == "relay_open" ? RelayCommand::kTrip : bus_.close_command;
      Status done = relay(meter, command);
      result = done ? read_points(meter, {"relay_closed", "relay_close_allowed"})
                    : Result<MeterReading>(done.error());
    } else if (action.name == "recharge") {
      result = recharge(meter, action);
    } else if (action.name == "set_price" || action.name == "set_alarm_thresholds") {
      result = write_money(meter, action);
    } else {
      return make_error(ErrorKind::kNotSupported, "dlt645 has no action '" + action.name + "'");
    }
    if (result) return result;
    Error error = result.error();
    const std::string prefix = "meter '" + meters_[meter].id + "': ";
    if (!error.message.starts_with(prefix)) error.message = prefix + error.message;
    error.message = action.name + " on " + error.message;
    if (error.kind == ErrorKind::kRejected && (error.code & err::kPassword)) {
      error.message += " (check the bus or meter 'password' and 'operator_code')";
    }
    return error;
  });
}

}  // namespace meterd::dlt645
