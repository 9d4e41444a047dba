// SPDX-License-Identifier: Apache-2.0
#include "dlt645/sim/line_sim.h"

#include "dlt645/codec/control.h"

namespace meterd::dlt645 {

LineSim::LineSim(const Clock& clock, std::chrono::minutes utc_offset)
    : clock_(clock), utc_offset_(utc_offset) {}

SimMeter& LineSim::add_meter(SimMeter meter) {
  entries_.push_back(Entry{std::move(meter)});
  return entries_.back().meter;
}

SimMeter* LineSim::find(const Address& address) {
  for (auto& entry : entries_) {
    if (entry.meter.address() == address) return &entry.meter;
  }
  return nullptr;
}

void LineSim::inject_fault(const Address& meter, SimFault fault, int replies) {
  for (auto& entry : entries_) {
    if (entry.meter.address() != meter) continue;
    entry.fault = fault;
    entry.fault_replies = replies;
  }
}

std::vector<std::uint8_t> LineSim::receive(std::span<const std::uint8_t> bytes) {
  input_.insert(input_.end(), bytes.begin(), bytes.end());
  std::vector<std::uint8_t> out;
  for (;;) {
    const ScanResult scan = find_frame(input_);
    input_.erase(input_.begin(), input_.begin() + static_cast<std::ptrdiff_t>(scan.consume));
    if (scan.status == ScanStatus::kNeedMore) break;
    switch (scan.status) {
      case ScanStatus::kFrame:
        ++stats_.frames;
        dispatch(scan.frame, out);
        break;
      case ScanStatus::kBadChecksum:
        ++stats_.bad_checksum;  // a meter stays silent on a corrupted frame
        break;
      case ScanStatus::kGarbage:
        stats_.garbage_bytes += scan.consume;
        break;
      case ScanStatus::kNeedMore:
        break;
    }
  }
  return out;
}

void LineSim::dispatch(const Frame& request, std::vector<std::uint8_t>& out) {
  const ControlByte control = decode_control(request.control);
  if (control.reply || is_broadcast(request.address)) return;
  if (control.function == fn2007::kControl) ++stats_.control_frames;
  if (control.function == fn2007::kWrite) ++stats_.write_frames;
  Entry* target = nullptr;
  for (auto& entry : entries_) {
    if (!address_matches(request.address, entry.meter.address())) continue;
    if (target != nullptr) return;  // several meters would answer at once: a collision
    target = &entry;
  }
  if (target == nullptr) return;
  const CivilTime now = civil_time(clock_.wall_now(), utc_offset_);
  if (auto reply = target->meter.handle(request, now)) send(*target, *reply, out);
}

void LineSim::send(Entry& entry, const Frame& reply, std::vector<std::uint8_t>& out) {
  SimFault fault = SimFault::kNone;
  if (entry.fault != SimFault::kNone && entry.fault_replies != 0) {
    fault = entry.fault;
    if (entry.fault_replies > 0 && --entry.fault_replies == 0) entry.fault = SimFault::kNone;
  }
  if (fault == SimFault::kNoReply) return;
  const std::size_t preamble = reply_preamble_ + (fault == SimFault::kExtraPreamble ? 4 : 0);
  auto wire = encode_frame(reply, preamble).value();  // replies are far below 255 bytes
  if (fault == SimFault::kBadChecksum) ++wire[wire.size() - 2];
  if (fault == SimFault::kGarbagePrefix) {
    static constexpr std::uint8_t kNoise[] = {0x00, 0x55, 0x68, 0x12, 0xFE, 0x68, 0x99};
    out.insert(out.end(), std::begin(kNoise), std::end(kNoise));
  }
  out.insert(out.end(), wire.begin(), wire.end());
  ++stats_.replies;
}

}  // namespace meterd::dlt645
