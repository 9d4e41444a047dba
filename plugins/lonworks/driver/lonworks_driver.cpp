// SPDX-License-Identifier: Apache-2.0
#include "lonworks/driver/lonworks_driver.h"

#include <algorithm>

#include "lonworks/codec/apdu.h"

namespace meterd::lonworks {

namespace {

Result<PointValue> decode_point(const NvPoint& nv, const LonReply& reply) {
  auto message = decode_nv(reply.apdu);
  if (!message) return message.error();
  if (message.value().selector != nv.selector) {
    return make_error(ErrorKind::kMalformed,
                      "the response names NV selector " + std::to_string(message.value().selector));
  }
  auto value = decode_snvt(*nv.snvt, message.value().data);
  if (!value) return value.error();
  const auto info = find_point(nv.point);
  if (!info) return make_error(ErrorKind::kInternal, "unknown point");
  PointValue out{std::string(nv.point), 0.0};
  if (info->kind == PointKind::kEnergyWh && value.value().wh) {
    out.value = *value.value().wh;
  } else if (info->kind == PointKind::kFlag && value.value().on) {
    out.value = *value.value().on;
  } else {
    out.value = value.value().value;
  }
  return out;
}

}  // namespace

LonWorksDriver::LonWorksDriver(LonBusConfig bus, std::vector<LonMeterConfig> meters,
                               std::vector<PollGroupSpec> groups,
                               std::unique_ptr<MessageLayer> layer, const Clock& clock)
    : bus_(std::move(bus)),
      meters_(std::move(meters)),
      groups_(std::move(groups)),
      layer_(std::move(layer)),
      clock_(clock),
      silent_(meters_.size(), 0) {}

Status LonWorksDriver::open() {
  return guard_plugin_call([&]() -> Status { return layer_->open(); });
}

void LonWorksDriver::close() {
  layer_->close();
  prefetched_.clear();
}

Error LonWorksDriver::meter_error(std::size_t meter, const Error& error) const {
  Error out = error;
  out.message = "meter '" + meters_[meter].id + "': " + error.message;
  return out;
}

LonRequest LonWorksDriver::request_for(std::size_t meter, Service service,
                                       std::vector<std::uint8_t> apdu) const {
  const LonMeterConfig& m = meters_[meter];
  LonRequest r;
  r.link = m.link;
  r.node = m.node;
  r.service = service;
  r.apdu = std::move(apdu);
  r.retries = bus_.retries;
  r.attempt_timeout = std::max(Millis(5), m.timeout / (bus_.retries + 1));
  return r;
}

std::vector<std::size_t> LonWorksDriver::window_from(std::size_t meter, std::size_t group) const {
  std::vector<std::size_t> window{meter};
  for (std::size_t m = meter + 1; m < meters_.size() && window.size() < bus_.read_ahead; ++m) {
    if (silent_[m] || prefetched_.count({m, group})) continue;
    window.push_back(m);
  }
  return window;
}

std::vector<Result<MeterReading>> LonWorksDriver::poll(const std::vector<std::size_t>& meters,
                                                       const std::vector<std::string>& points) {
  struct Ask {
    std::size_t slot;  // index into `meters`
    const NvPoint* nv;
  };
  std::vector<MeterReading> readings(meters.size());
  std::vector<LonRequest> requests;
  std::vector<Ask> asks;
  for (std::size_t slot = 0; slot < meters.size(); ++slot) {
    const LonProfile& profile = *meters_[meters[slot]].profile;
    for (const auto& point : points) {
      const NvPoint* nv = profile.find(point);
      if (nv == nullptr) {
        readings[slot].errors.push_back(
            {point, make_error(ErrorKind::kNotSupported, "the meter's profile maps no NV to it")});
        continue;
      }
      auto apdu = encode_nv({nv->selector, false, {}});
      if (!apdu) continue;  // the profile reader checked the selector
      requests.push_back(request_for(meters[slot], Service::kRequest, std::move(apdu.value())));
      asks.push_back({slot, nv});
    }
  }
  auto replies = layer_->exchange(requests);
  std::vector<bool> answered(meters.size(), false);
  std::vector<std::optional<Error>> silent_error(meters.size());
  for (std::size_t i = 0; i < asks.size(); ++i) {
    const auto& [slot, nv] = asks[i];
    if (!replies[i]) {
      const Error error = meter_error(meters[slot], replies[i].error());
      if (error.kind == ErrorKind::kTimeout || error.kind == ErrorKind::kBusError) {
        silent_error[slot] = error;
      }
      readings[slot].errors.push_back({std::string(nv->point), error});
      continue;
    }
    answered[slot] = true;
    auto value = decode_point(*nv, replies[i].value());
    if (value) {
      readings[slot].values.push_back(std::move(value.value()));
    } else {
      readings[slot].errors.push_back(
          {std::string(nv->point), meter_error(meters[slot], value.error())});
    }
  }
  std::vector<Result<MeterReading>> out;
  for (std::size_t slot = 0; slot < meters.size(); ++slot) {
    const bool silent = !answered[slot] && silent_error[slot].has_value();
    silent_[meters[slot]] = silent;
    if (silent) {
      out.emplace_back(*silent_error[slot]);
    } else {
      out.emplace_back(std::move(readings[slot]));
    }
  }
  return out;
}

Result<MeterReading> LonWorksDriver::read(std::size_t meter, std::size_t group) {
  return guard_plugin_call([&]() -> Result<MeterReading> {
    if (meter >= meters_.size() || group >= groups_.size()) {
      return make_error(ErrorKind::kInvalidArgument, "no such meter or group");
    }
    const SteadyTime now = clock_.steady_now();
    if (auto it = prefetched_.find({meter, group}); it != prefetched_.end()) {
      const auto max_age = groups_[group].interval / 2;
      Prefetched entry = std::move(it->second);
      prefetched_.erase(it);
      if (now - entry.at <= max_age) return std::move(entry.reading);
    }
    const auto window = window_from(meter, group);
    auto results = poll(window, groups_[group].points);
    for (std::size_t slot = 1; slot < window.size(); ++slot) {
      if (results[slot])
        prefetched_[{window[slot], group}] = {now, std::move(results[slot].value())};
    }
    return std::move(results.front());
  });
}

Result<MeterReading> LonWorksDriver::act(std::size_t meter, const Action& action) {
  return guard_plugin_call([&]() -> Result<MeterReading> {
    if (meter >= meters_.size()) return make_error(ErrorKind::kInvalidArgument, "no such meter");
    if (action.name != "relay_open" && action.name != "relay_close") {
      return make_error(ErrorKind::kNotSupported, "lonworks has no action '" + action.name + "'");
    }
    const auto& relay = meters_[meter].profile->relay;
    if (!relay) {
      return make_error(ErrorKind::kNotSupported,
                        "meter '" + meters_[meter].id + "': the profile defines no relay NV");
    }
    auto apdu = encode_nv({relay->selector, false, encode_switch(action.name == "relay_close")});
    if (!apdu) return apdu.error();
    const LonRequest request = request_for(meter, Service::kAckd, std::move(apdu.value()));
    auto replies = layer_->exchange(std::span(&request, 1));
    if (!replies.front()) {
      return meter_error(meter, Error{replies.front().error().kind, 0,
                                      action.name + ": " + replies.front().error().message});
    }
    // Readings taken before the switch are stale now.
    for (auto it = prefetched_.begin(); it != prefetched_.end();) {
      it = it->first.first == meter ? prefetched_.erase(it) : std::next(it);
    }
    if (meters_[meter].profile->find("relay_closed") == nullptr) return MeterReading{};
    return std::move(poll({meter}, {"relay_closed"}).front());
  });
}

}  // namespace meterd::lonworks
