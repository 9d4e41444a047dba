// SPDX-License-Identifier: Apache-2.0
#include "dlt645/sim/sim_meter.h"

#include <chrono>

#include "dlt645/codec/control.h"
#include "dlt645/codec/reply.h"

namespace meterd::dlt645 {

namespace {

constexpr std::size_t kWriteHeader = 12;    // DI + password + operator code
constexpr std::size_t kControlLength = 16;  // password + operator + N1 + N2 + deadline

bool writable(DataId id) {
  return id == di::kAlarmLimit1 || id == di::kAlarmLimit2 ||
         (id >= di::kTariffPrice1 && id <= di::kTariffPrice1 + 3);
}

unsigned day_of_week(const CivilTime& t) {  // 0 = Sunday, as DL/T 645 counts
  using namespace std::chrono;
  const sys_days date{year{t.year} / month{static_cast<unsigned>(t.month)} /
                      day{static_cast<unsigned>(t.day)}};
  return std::chrono::weekday{date}.c_encoding();
}

}  // namespace

SimMeter::SimMeter(const Address& address, const Password& password, Version variant)
    : address_(address), password_(password), variant_(variant) {
  const std::int64_t tariffs[4] = {10000, 40000, 50000, 23456};  // sums to 1234.56 kWh
  set(di::kForwardActiveTotal, 123456);
  set(di::kCombinedActiveTotal, 123456);
  set(di::kReverseActiveTotal, 0);
  for (DataId i = 0; i < 4; ++i) {
    set(di::kForwardActiveTariff1 + (i << 8), tariffs[i]);
    set(di::kCombinedActiveTotal + ((i + 1) << 8), tariffs[i]);
  }
  const std::int64_t volts[3] = {2205, 2210, 2198};
  const std::int64_t amps[3] = {5123, 4000, 3000};
  for (DataId phase = 0; phase < 3; ++phase) {
    set(di::kVoltageA + (phase << 8), volts[phase]);
    set(di::kCurrentA + (phase << 8), amps[phase]);
    set(di::kActivePowerTotal + ((phase + 1) << 8), 11000);
    set(di::kPowerFactorTotal + ((phase + 1) << 8), 950);
  }
  set(di::kActivePowerTotal, 33000);
  set(di::kReactivePowerTotal, 5000);
  set(di::kPowerFactorTotal, 950);
  set(di::kFrequency, 5000);
  set(di::kRemainingAmount, 10000);
  set(di::kOverdraftAmount, 0);
  set(di::kPurchaseCount, 3);
  set(di::kAlarmLimit1, 2000);
  set(di::kAlarmLimit2, 1000);
  const std::int64_t prices[4] = {12000, 9000, 6000, 3000};
  for (DataId i = 0; i < 4; ++i) set(di::kTariffPrice1 + i, prices[i]);
}

bool SimMeter::set(DataId id, std::int64_t value) {
  const auto format = numeric_format(id);
  if (!format || !encode_bcd(value, *format)) return false;
  registers_[id] = value;
  return true;
}

std::optional<std::int64_t> SimMeter::get(DataId id) const {
  auto it = registers_.find(id);
  if (it == registers_.end()) return std::nullopt;
  return it->second;
}

std::optional<Frame> SimMeter::handle(const Frame& request, const CivilTime& now) {
  const ControlByte header = decode_control(request.control);
  if (header.reply) return std::nullopt;  // another meter's reply heard on the bus
  if (variant_ == Version::k1997) {
    if (header.function == fn1997::kRead) return read_1997(request.data);
    return std::nullopt;  // 2007 frames and 1997 functions the simulator lacks: silence
  }
  switch (header.function) {
    case fn2007::kRead: {
      auto id = decode_data_id(request.data);
      if (!id) return make_abnormal_reply(address_, fn2007::kRead, err::kOther);
      return read(*id, now);
    }
    case fn2007::kReadFollowUp:  // no item of this meter spans frames
      return make_abnormal_reply(address_, fn2007::kReadFollowUp, err::kNoData);
    case fn2007::kWrite:
      return write(request);
    case fn2007::kControl:
      return control(request, now);
    case fn2007::kReadAddress:
      return make_reply(address_, fn2007::kReadAddress,
                        {address_.wire.begin(), address_.wire.end()});
    default:
      return std::nullopt;  // broadcast time and functions the simulator lacks: silence
  }
}

Frame SimMeter::read(DataId id, const CivilTime& now) const {
  std::vector<std::uint8_t> payload;
  auto append_register = [&](DataId register_id) {
    const auto bytes = encode_bcd(registers_.at(register_id), *numeric_format(register_id));
    payload.insert(payload.end(), bytes->begin(), bytes->end());
  };
  if (registers_.contains(id)) {
    append_register(id);
  } else if (id == di::kForwardActiveBlock) {
    append_register(di::kForwardActiveTotal);
    for (DataId i = 0; i < 4; ++i) append_register(di::kForwardActiveTariff1 + (i << 8));
  } else if (id == di::kStatusWord3) {
    payload = {static_cast<std::uint8_t>(status3_), static_cast<std::uint8_t>(status3_ >> 8)};
  } else if (id == di::kDate) {
    payload = {int_to_bcd_byte(day_of_week(now)), int_to_bcd_byte(static_cast<unsigned>(now.day)),
               int_to_bcd_byte(static_cast<unsigned>(now.month)),
               int_to_bcd_byte(static_cast<unsigned>(now.year - 2000))};
  } else if (id == di::kTime) {
    payload = {int_to_bcd_byte(static_cast<unsigned>(now.second)),
               int_to_bcd_byte(static_cast<unsigned>(now.minute)),
               int_to_bcd_byte(static_cast<unsigned>(now.hour))};
  } else {
    return make_abnormal_reply(address_, fn2007::kRead, err::kNoData);
  }
  return make_read_reply(address_, id, payload);
}

Frame SimMeter::read_1997(std::span<const std::uint8_t> data) const {
  // 1997 DI -> the register it shows, in the 1997 format (the register's units divided by
  // `divisor`: voltage XXX V from 0.1 V, current XX.XX A from 0.001 A).
  struct Item {
    DataId1997 id;
    DataId source;
    BcdFormat format;
    std::int64_t divisor;
  };
  static const Item kItems[] = {
      {0x9010, di::kForwardActiveTotal, kFmtEnergy, 1},
      {0x9011, di::kForwardActiveTariff1, kFmtEnergy, 1},
      {0x9012, di::kForwardActiveTariff1 + 0x100, kFmtEnergy, 1},
      {0x9013, di::kForwardActiveTariff1 + 0x200, kFmtEnergy, 1},
      {0x9014, di::kForwardActiveTariff1 + 0x300, kFmtEnergy, 1},
      {0xB611, di::kVoltageA, {2, 0, false}, 10},
      {0xB612, di::kVoltageA + 0x100, {2, 0, false}, 10},
      {0xB613, di::kVoltageA + 0x200, {2, 0, false}, 10},
      {0xB621, di::kCurrentA, {2, 2, false}, 10},
      {0xB622, di::kCurrentA + 0x100, {2, 2, false}, 10},
      {0xB623, di::kCurrentA + 0x200, {2, 2, false}, 10},
      {0xB630, di::kActivePowerTotal, {3, 4, false}, 1},
      {0xB631, di::kActivePowerTotal + 0x100, {3, 4, false}, 1},
      {0xB632, di::kActivePowerTotal + 0x200, {3, 4, false}, 1},
      {0xB633, di::kActivePowerTotal + 0x300, {3, 4, false}, 1},
      {0xB650, di::kPowerFactorTotal, {2, 3, false}, 1},
  };
  auto error = [&](std::uint8_t bits) {
    return make_abnormal_reply(address_, fn1997::kRead, bits);
  };
  if (data.size() != 2) return error(err::kOther);
  const auto id = static_cast<DataId1997>(data[0] | data[1] << 8);
  for (const auto& item : kItems) {
    if (item.id != id) continue;
    const auto bytes = encode_bcd(registers_.at(item.source) / item.divisor, item.format);
    if (!bytes) return error(err::kOther);
    std::vector<std::uint8_t> reply(data.begin(), data.end());
    reply.insert(reply.end(), bytes->begin(), bytes->end());
    return make_reply(address_, fn1997::kRead, std::move(reply));
  }
  return error(err::kNoData);
}

Frame SimMeter::write(const Frame& request) {
  if (request.data.size() < kWriteHeader) {
    return make_abnormal_reply(address_, fn2007::kWrite, err::kOther);
  }
  const auto data = std::span(request.data);
  if (decode_password(data.subspan<4, 4>()) != password_) {
    return make_abnormal_reply(address_, fn2007::kWrite, err::kPassword);
  }
  const DataId id = *decode_data_id(data);
  const auto payload = data.subspan(kWriteHeader);
  if (id == di::kVendorRecharge) return recharge(payload);
  if (!writable(id)) return make_abnormal_reply(address_, fn2007::kWrite, err::kOther);
  const auto value = decode_bcd(payload, *numeric_format(id));
  if (!value || !set(id, value->value)) {
    return make_abnormal_reply(address_, fn2007::kWrite, err::kOther);
  }
  return make_reply(address_, fn2007::kWrite, {});
}

Frame SimMeter::recharge(std::span<const std::uint8_t> payload) {
  auto reject = [&] { return make_abnormal_reply(address_, fn2007::kWrite, err::kOther); };
  if (payload.size() != 6) return reject();
  const auto amount = decode_bcd(payload.first(4), kFmtMoney);
  const auto count = decode_bcd(payload.subspan(4, 2), kFmtCount);
  // The purchase count is the idempotency key: a repeated recharge carries the count the
  // meter already has and must change nothing.
  if (!amount || !count || count->value != registers_.at(di::kPurchaseCount) + 1) {
    return reject();
  }
  if (!set(di::kRemainingAmount, registers_.at(di::kRemainingAmount) + amount->value)) {
    return reject();  // the balance would overflow its 8 digits
  }
  set(di::kPurchaseCount, count->value);
  return make_reply(address_, fn2007::kWrite, {});
}

Frame SimMeter::control(const Frame& request, const CivilTime& now) {
  auto reject = [&](std::uint8_t bits) {
    return make_abnormal_reply(address_, fn2007::kControl, bits);
  };
  if (request.data.size() != kControlLength) return reject(err::kOther);
  const auto data = std::span(request.data);
  if (decode_password(data.subspan<0, 4>()) != password_) return reject(err::kPassword);
  const auto deadline = decode_deadline(data.subspan(10, 6));
  if (!deadline || *deadline < now) return reject(err::kOther);  // meters refuse stale commands
  switch (static_cast<RelayCommand>(data[8])) {
    case RelayCommand::kTrip:
      if (status3_ & status3::kKeepPower) return reject(err::kOther);
      status3_ |= status3::kRelayOpen | status3::kRelayCommand;
      break;
    case RelayCommand::kCloseAllowed:  // armed: the relay stays open until the customer closes it
      status3_ &= static_cast<std::uint16_t>(~status3::kRelayCommand);
      break;
    case RelayCommand::kCloseDirect:
      status3_ &= static_cast<std::uint16_t>(~(status3::kRelayOpen | status3::kRelayCommand));
      break;
    case RelayCommand::kAlarm:
      status3_ |= status3::kPreTripAlarm;
      break;
    case RelayCommand::kAlarmRelease:
      status3_ &= static_cast<std::uint16_t>(~status3::kPreTripAlarm);
      break;
    case RelayCommand::kKeepPower:  // keep-power also closes the relay
      status3_ |= status3::kKeepPower;
      status3_ &= static_cast<std::uint16_t>(~(status3::kRelayOpen | status3::kRelayCommand));
      break;
    case RelayCommand::kKeepPowerRelease:
      status3_ &= static_cast<std::uint16_t>(~status3::kKeepPower);
      break;
    default:
      return reject(err::kOther);
  }
  return make_reply(address_, fn2007::kControl, {});
}

}  // namespace meterd::dlt645
