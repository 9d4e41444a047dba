// SPDX-License-Identifier: Apache-2.0
#include "lonworks/sim/sim_node.h"

#include <cmath>

namespace meterd::lonworks::sim {

namespace {

const SnvtInfo& snvt_of(std::uint16_t index) {
  switch (index) {
    case nv::kEnergy:
      return *find_snvt("SNVT_elec_kwh_l");
    case nv::kPower:
      return *find_snvt("SNVT_power");
    case nv::kVoltage:
      return *find_snvt("SNVT_volt");
    case nv::kCurrent:
      return *find_snvt("SNVT_amp");
    case nv::kPowerFactor:
      return *find_snvt("SNVT_pwr_fact");
    case nv::kFrequency:
      return *find_snvt("SNVT_freq_hz");
    case nv::kEnergyKwh:
      return *find_snvt("SNVT_elec_kwh");
    default:
      return *find_snvt("SNVT_switch");
  }
}

std::optional<std::uint16_t> index_of_selector(std::uint16_t selector) {
  const std::uint16_t index = static_cast<std::uint16_t>(kMaxSelector - selector);
  if (selector > kMaxSelector || index >= nv::kCount) return std::nullopt;
  return index;
}

}  // namespace

SimNode::SimNode(SimNodeConfig config, SteadyTime start)
    : config_(config),
      start_(start),
      integrated_until_(start),
      energy_wh_exact_(static_cast<double>(config_.energy_wh)) {}

double SimNode::power_w(SteadyTime now) const {
  if (!relay_closed_) return 0;
  if (!config_.vary) return config_.load_w;
  const double t = std::chrono::duration<double>(now - start_).count();
  return config_.load_w * (1.0 + 0.2 * std::sin(t / 30.0 + config_.address.node));
}

std::int64_t SimNode::energy_wh(SteadyTime now) {
  if (now > integrated_until_) {
    const double hours = std::chrono::duration<double>(now - integrated_until_).count() / 3600.0;
    energy_wh_exact_ += power_w(now) * hours;
    integrated_until_ = now;
  }
  return static_cast<std::int64_t>(energy_wh_exact_);
}

bool SimNode::addressed(const Destination& d) const {
  switch (d.kind) {
    case Destination::Kind::kSubnetNode:
      return d.node == config_.address;
    case Destination::Kind::kBroadcast:
      return d.subnet == 0 || d.subnet == config_.address.subnet;
    case Destination::Kind::kNeuronId:
      return d.neuron_id == config_.neuron_id;
    default:
      return false;
  }
}

std::optional<std::vector<std::uint8_t>> SimNode::nv_value(std::uint16_t index, SteadyTime now) {
  const double power = power_w(now);
  const double voltage = 230.0 + config_.address.node / 10.0;
  double value = 0;
  switch (index) {
    case nv::kEnergy:
    case nv::kEnergyKwh: {
      // The registers step by their resolution (0.1 kWh, 1 kWh): floor, never ahead.
      const std::int64_t step_wh = index == nv::kEnergy ? 100 : 1000;
      const std::int64_t shown_wh = energy_wh(now) / step_wh * step_wh;
      value = static_cast<double>(shown_wh);
      break;
    }
    case nv::kPower:
      value = power;
      break;
    case nv::kVoltage:
      value = voltage;
      break;
    case nv::kCurrent:
      value = power / voltage / 0.95;
      break;
    case nv::kPowerFactor:
      value = 0.95;
      break;
    case nv::kFrequency:
      value = 50.0;
      break;
    case nv::kRelayState:
    case nv::kRelayCommand:
      return encode_switch(relay_closed_);
    default:
      return std::nullopt;
  }
  auto bytes = encode_snvt(snvt_of(index), value);
  if (!bytes) return std::nullopt;
  return std::move(bytes.value());
}

LonMessage SimNode::reply_to(const LonMessage& request, Service service,
                             std::vector<std::uint8_t> apdu) const {
  LonMessage reply;
  reply.domain = request.domain;
  reply.source = config_.address;
  reply.dest = to_node(request.source);
  reply.service = service;
  reply.transaction_id = request.transaction_id;
  reply.apdu = std::move(apdu);
  return reply;
}

// The APDU answering `m` (empty for a plain ACK), or nullopt for no answer.
std::optional<std::vector<std::uint8_t>> SimNode::answer(const LonMessage& m, SteadyTime now) {
  if (is_nv_message(m.apdu)) {
    auto message = decode_nv(m.apdu);
    if (!message) return std::nullopt;
    const auto index = index_of_selector(message.value().selector);
    if (!index) return std::nullopt;
    if (message.value().data.empty()) {  // a poll
      ++stats_.polls;
      auto value = nv_value(*index, now);
      if (!value) return std::nullopt;
      auto apdu = encode_nv({message.value().selector, true, std::move(*value)});
      if (!apdu) return std::nullopt;
      return std::move(apdu.value());
    }
    if (*index != nv::kRelayCommand) return std::nullopt;  // outputs take no updates
    auto state = decode_snvt(*find_snvt("SNVT_switch"), message.value().data);
    if (!state) return std::nullopt;
    ++stats_.updates;
    energy_wh(now);  // close the interval at the old load
    relay_closed_ = *state.value().on;
    return std::vector<std::uint8_t>{};
  }
  if (m.apdu.empty()) return std::nullopt;
  ++stats_.management;
  switch (m.apdu[0]) {
    case nm::kQueryId:
      return build_query_id_response({config_.neuron_id, config_.program_id});
    case nm::kQueryAddress:
      return build_query_address_response({config_.address, config_.domain});
    case nm::kWink:
      return std::vector<std::uint8_t>{nm::success_code(nm::kWink)};
    case nm::kFetchNv: {
      std::uint16_t index = m.apdu.size() > 1 ? m.apdu[1] : 0xFFFF;
      if (index == 0xFF && m.apdu.size() > 3) {
        index = static_cast<std::uint16_t>(m.apdu[2] << 8 | m.apdu[3]);
      }
      auto value = nv_value(index, now);
      if (!value) return std::vector<std::uint8_t>{nm::failure_code(nm::kFetchNv)};
      return build_fetch_nv_response(index, *value);
    }
    default:
      return std::nullopt;
  }
}

std::vector<LonMessage> SimNode::handle(const LonMessage& m, SteadyTime now) {
  if (!addressed(m.dest)) return {};
  if (m.service == Service::kAck || m.service == Service::kResponse) {
    ++stats_.ignored;
    return {};
  }
  const bool transaction = m.service == Service::kAckd || m.service == Service::kRequest;
  const auto key = std::make_pair(static_cast<std::uint16_t>(m.source.subnet << 8 | m.source.node),
                                  m.service == Service::kRequest ? 1 : 0);
  if (transaction) {
    auto it = last_.find(key);
    if (it != last_.end() && it->second.tid == m.transaction_id) {
      ++stats_.duplicates_answered;
      if (!it->second.reply) return {};
      return {*it->second.reply};
    }
  }
  auto apdu = answer(m, now);
  std::optional<LonMessage> reply;
  if (m.service == Service::kAckd && apdu) {
    reply = reply_to(m, Service::kAck, {});
  } else if (m.service == Service::kRequest && apdu && !apdu->empty()) {
    reply = reply_to(m, Service::kResponse, std::move(*apdu));
  } else if (!apdu) {
    ++stats_.ignored;
  }
  // A broadcast request is not remembered: every node answers each one once anyway.
  if (transaction && m.dest.kind != Destination::Kind::kBroadcast) {
    last_[key] = Remembered{m.transaction_id, reply};
  }
  if (!reply) return {};
  return {*reply};
}

}  // namespace meterd::lonworks::sim
