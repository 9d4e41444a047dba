// SPDX-License-Identifier: Apache-2.0
#include "modbus/sim/sim_meter.h"

#include <cmath>

namespace meterd::modbus::sim {

SimMeter::SimMeter(std::shared_ptr<const Profile> profile, SimMeterParams params)
    : profile_(std::move(profile)), params_(params), holding_(65536, 0), input_(65536, 0) {
  state_.energy_wh = static_cast<double>(params_.initial_energy_wh);
  state_.balance = params_.balance;
  state_.purchase_count = params_.purchase_count;
  state_.price_per_kwh = params_.price_per_kwh;
  state_.power_w = params_.base_load_w;
  state_.voltage = 220.0 + params_.unit * 0.1;
  if (params_.relay_stuck_closed) state_.relay_closed = *params_.relay_stuck_closed;
  if (!state_.relay_closed) state_.power_w = 0;
  encode();
}

void SimMeter::advance(std::chrono::steady_clock::time_point now) {
  if (last_ == std::chrono::steady_clock::time_point{}) last_ = now;
  if (params_.frozen) return;
  const double dt = std::chrono::duration<double>(now - last_).count();
  last_ = now;
  // Load curve: a slow daily-like swing around the base load, per meter phase.
  const double t = std::chrono::duration<double>(now.time_since_epoch()).count();
  const double curve = 1.0 + 0.3 * std::sin(t / 60.0 + params_.unit);
  state_.power_w = state_.relay_closed ? params_.base_load_w * curve : 0.0;
  const double before = state_.energy_wh;
  state_.energy_wh += state_.power_w * dt / 3600.0;
  const auto used_wh =
      static_cast<std::int64_t>(state_.energy_wh) - static_cast<std::int64_t>(before);
  state_.balance -= used_wh * state_.price_per_kwh / 1000;
}

PointScalar SimMeter::canonical(const PointMap& p) const {
  const SimState& s = state_;
  const std::string& n = p.name;
  const double current = s.power_w / s.voltage;
  if (n.starts_with("energy_")) {
    const auto wh = static_cast<std::int64_t>(s.energy_wh);
    if (n == "energy_total" || n == "energy_flat") return wh;
    return std::int64_t{0};
  }
  if (n == "balance") return s.balance;
  if (n == "purchase_count") return s.purchase_count;
  if (n == "relay_closed") return s.relay_closed;
  if (p.format.kind == PointKind::kFlag) return false;
  if (n == "power_total" || n == "power_a") return s.power_w;
  if (n.starts_with("power_")) return 0.0;
  if (n.starts_with("voltage_") && n.size() == 9) return s.voltage;
  if (n == "current_a") return current;
  if (n.starts_with("current_") && n.size() == 9) return 0.0;
  if (n == "pf_total") return 0.95;
  if (n == "frequency") return 50.0;
  if (n.starts_with("harmonic_")) return static_cast<double>(params_.unit) + 0.5;
  return 0.0;
}

PointScalar SimMeter::expected(const std::string& point) const {
  const PointMap* p = profile_->point(point);
  if (p == nullptr) return false;
  const auto& regs = p->span.fc == kReadInput ? input_ : holding_;
  auto width = static_cast<std::size_t>(register_width(p->format.type));
  auto v =
      decode_value(std::span<const std::uint16_t>(regs).subspan(p->span.address, width), p->format);
  return v.ok() ? v.value() : PointScalar{false};
}

void SimMeter::encode() {
  // Bits of one register are OR-ed together: clear every mapped flag register first.
  for (const PointMap& p : profile_->points) {
    if (p.format.type == RegisterType::kBit) {
      (p.span.fc == kReadInput ? input_ : holding_)[p.span.address] = 0;
    }
  }
  for (const PointMap& p : profile_->points) {
    auto& regs = p.span.fc == kReadInput ? input_ : holding_;
    const auto words = encode_value(canonical(p), p.format);
    for (std::size_t i = 0; i < words.size(); ++i) {
      if (p.format.type == RegisterType::kBit) {
        regs[p.span.address] |= words[0];
      } else {
        regs[p.span.address + i] = words[i];
      }
    }
  }
}

void SimMeter::apply_write(const Request& request, std::chrono::steady_clock::time_point now) {
  for (std::size_t i = 0; i < request.values.size(); ++i) {
    holding_[(request.address + i) & 0xFFFF] = request.values[i];
  }
  for (const ActionMap& action : profile_->actions) {
    for (const WriteStep& step : action.writes) {
      if (step.fc != request.fc || step.address != request.address ||
          step.register_count() != request.count) {
        continue;
      }
      bool literals_match = true;
      std::size_t at = 0;
      for (const WriteValue& v : step.values) {
        const auto width = static_cast<std::size_t>(v.literal ? 1 : register_width(v.format.type));
        if (v.literal) {
          literals_match = literals_match && request.values[at] == *v.literal;
        } else {
          auto value = decode_value(
              std::span<const std::uint16_t>(request.values).subspan(at, width), v.format);
          if (value.ok()) {
            const auto* i = std::get_if<std::int64_t>(&value.value());
            if (i && v.arg == "balance") state_.balance = *i;
            if (i && v.arg == "purchase_count") state_.purchase_count = *i;
            if (i && v.arg == "price_per_kwh") state_.price_per_kwh = *i;
          }
        }
        at += width;
      }
      if (!literals_match) continue;
      const bool relay_action = action.name == "relay_open" || action.name == "relay_close";
      if (relay_action) relay_writes_.push_back(now);
      if (relay_action && !params_.relay_stuck_closed) {
        state_.relay_closed = action.name == "relay_close";
      }
    }
  }
  if (!state_.relay_closed) state_.power_w = 0;
}

std::vector<std::uint8_t> SimMeter::serve(const Request& request,
                                          std::chrono::steady_clock::time_point now) {
  advance(now);
  if (request.fc == kReadHolding || request.fc == kReadInput) {
    if (request.address + request.count > 0x10000) return exception_reply(request.fc, 2);
    encode();
    const auto& regs = request.fc == kReadInput ? input_ : holding_;
    return read_reply(request.fc,
                      std::span<const std::uint16_t>(regs).subspan(request.address, request.count));
  }
  if (request.fc != kWriteSingle && !profile_->multiple_layout(request.fc)) {
    return exception_reply(request.fc, 1);
  }
  apply_write(request, now);
  encode();
  return write_reply(request);
}

}  // namespace meterd::modbus::sim
