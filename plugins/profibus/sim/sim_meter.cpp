// SPDX-License-Identifier: Apache-2.0
#include "profibus/sim/sim_meter.h"

#include <cmath>

namespace meterd::profibus {

namespace {

SimSlaveSpec slave_spec(const SimMeterSpec& spec) {
  SimSlaveSpec s;
  s.address = spec.address;
  s.ident = spec.profile->gsd->ident;
  s.cfg = spec.profile->cfg;
  // A mismatched slave has one more input byte module than the master expects.
  if (spec.faults.cfg_mismatch) s.cfg.push_back(0x10);
  s.user_prm_bytes = spec.profile->user_prm.size();
  return s;
}

}  // namespace

SimMeter::SimMeter(SimMeterSpec spec)
    : spec_(std::move(spec)), slave_(slave_spec(spec_)), energy_wh_(spec_.energy_wh) {
  slave_.faults().silent = spec_.faults.silent;
  slave_.faults().extended_diag = spec_.faults.ext_diag;
  slave_.on_outputs([this] { update_inputs(now_); });
}

bool SimMeter::relay_closed() const {
  const ActionMap* open = spec_.profile->find_action("relay_open");
  if (open == nullptr || open->type != ValueType::kBit) return true;
  const auto& out = slave_.outputs();
  if (open->offset >= out.size()) return true;
  const int bit = (out[open->offset] >> open->bit) & 1;
  return bit != open->value;
}

void SimMeter::update_inputs(Clock::time_point now) {
  const bool closed = relay_closed();
  const double power = closed ? spec_.power_w : 0.0;
  if (last_update_) {
    const double hours = std::chrono::duration<double>(now - *last_update_).count() / 3600.0;
    energy_wh_ += power * hours;
  }
  last_update_ = now;
  auto& in = slave_.inputs();
  const Profile& p = *spec_.profile;
  for (const auto& map : p.points) {
    double value = 0;
    if (map.point == "energy_total")
      value = std::floor(energy_wh_);
    else if (map.point == "power_total" || map.point == "power_a")
      value = power;
    else if (map.point.starts_with("voltage_"))
      value = spec_.voltage_v;
    else if (map.point.starts_with("current_"))
      value = power / spec_.voltage_v;
    else if (map.point == "frequency")
      value = 50.0;
    else if (map.point == "pf_total")
      value = closed ? 0.98 : 1.0;
    else if (map.point == "relay_closed")
      value = closed ? 1 : 0;
    encode_point(map, value, in);
  }
}

std::optional<std::vector<std::uint8_t>> SimMeter::handle(const Telegram& request,
                                                          Clock::time_point now) {
  const bool for_me = request.da == spec_.address || request.da == kBroadcast;
  if (!for_me) return std::nullopt;
  if (spec_.faults.restart_after > 0 &&
      slave_.exchanges() - exchanges_at_restart_ >= spec_.faults.restart_after) {
    exchanges_at_restart_ = slave_.exchanges();
    ++restarts_;
    slave_.restart();
  }
  // The meter measures continuously; its image is current when a request comes.
  now_ = now;
  update_inputs(now);
  auto reply = slave_.handle(request, now);
  if (!reply) return std::nullopt;
  // Outputs may have changed the relay: the next image shows it, the energy stops.
  update_inputs(now);
  auto bytes = encode(*reply);
  if (!bytes) return std::nullopt;
  std::vector<std::uint8_t> out;
  if (spec_.faults.garbage) out = {0x00, 0xFF, 0x37};
  ++replies_;
  if (spec_.faults.bad_fcs_every > 0 && replies_ % spec_.faults.bad_fcs_every == 0 &&
      bytes.value().size() > 2) {
    bytes.value()[bytes.value().size() - 2] ^= 0x5A;
  }
  out.insert(out.end(), bytes.value().begin(), bytes.value().end());
  return out;
}

}  // namespace meterd::profibus
