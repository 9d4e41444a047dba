// SPDX-License-Identifier: Apache-2.0
#include "profibus/transport/fdl_master.h"

#include <algorithm>
#include <thread>

namespace meterd::profibus {

namespace {

using Steady = std::chrono::steady_clock;
using std::chrono::microseconds;

}  // namespace

FdlMaster::FdlMaster(std::unique_ptr<Phy> phy, FdlTiming timing)
    : phy_(std::move(phy)), timing_(timing) {}

Status FdlMaster::write_after_idle(const std::vector<std::uint8_t>& bytes) {
  // TSYN: the line must have been idle this long before a request.
  const auto ready_at = line_idle_since_ + bit_time(*phy_, timing_.tsyn_bits);
  const auto now = Steady::now();
  if (now < ready_at) std::this_thread::sleep_for(ready_at - now);
  // Anything pending now is a late reply to an earlier request; it answers nothing here.
  phy_->flush_input();
  buffer_.clear();
  Status written = phy_->write(bytes);
  // The request occupies the line until its last character has left.
  line_idle_since_ = Steady::now() + char_time(*phy_, bytes.size());
  ++stats_.requests;
  return written;
}

Status FdlMaster::send(const Telegram& request) {
  auto bytes = encode(request);
  if (!bytes) return bytes.error();
  return write_after_idle(bytes.value());
}

Result<std::optional<Telegram>> FdlMaster::receive(const Telegram& request,
                                                   const std::vector<std::uint8_t>& sent) {
  const microseconds slot =
      std::max(bit_time(*phy_, timing_.slot_time_bits), timing_.min_slot_time);
  // The reply must start within the slot time after the request's last character.
  auto deadline = line_idle_since_ + slot;
  bool started = false;
  std::uint8_t chunk[256];
  for (;;) {
    // Scan what is buffered: garbage, echoes and strays go; a reply returns.
    for (;;) {
      const ScanResult scan = profibus::scan(buffer_);
      if (scan.status == ScanStatus::kNeedMore) break;
      buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(scan.consume));
      if (scan.status == ScanStatus::kGarbage) {
        stats_.garbage_bytes += scan.consume;
        continue;
      }
      if (scan.status == ScanStatus::kBadFcs || scan.status == ScanStatus::kMalformed) {
        ++stats_.bad_fcs;
        continue;
      }
      const Telegram& t = scan.telegram;
      const bool is_short_ack = t.kind == Telegram::Kind::kShortAck;
      const bool from_slave = t.kind == Telegram::Kind::kData && !fc::is_request(t.fc) &&
                              t.sa == request.da && t.da == request.sa;
      if (is_short_ack || from_slave) {
        line_idle_since_ = Steady::now();
        return std::optional<Telegram>(scan.telegram);
      }
      ++stats_.stray;  // our own echo, or another station's telegram
      (void)sent;
    }
    const auto now = Steady::now();
    if (now >= deadline) {
      line_idle_since_ = now;
      return std::optional<Telegram>{};
    }
    auto got = phy_->read(chunk, std::chrono::duration_cast<microseconds>(deadline - now));
    if (!got) return got.error();
    if (got.value() == 0) continue;
    buffer_.insert(buffer_.end(), chunk, chunk + got.value());
    if (!started) {
      // A reply has begun: give it the time its longest form takes on the wire, plus the
      // same scheduling allowance the slot time has.
      started = true;
      deadline = Steady::now() + char_time(*phy_, kMaxLe + 6) + timing_.min_slot_time;
    }
  }
}

Result<Telegram> FdlMaster::transact(const Telegram& request) {
  auto bytes = encode(request);
  if (!bytes) return bytes.error();
  for (int attempt = 0; attempt <= timing_.retry_limit; ++attempt) {
    if (attempt > 0) ++stats_.retries;
    if (Status written = write_after_idle(bytes.value()); !written) return written.error();
    auto reply = receive(request, bytes.value());
    if (!reply) return reply.error();
    if (reply.value()) return std::move(*reply.value());
  }
  ++stats_.no_reply;
  return make_error(ErrorKind::kTimeout, "station " + std::to_string(request.da) +
                                             " did not answer within the slot time (" +
                                             std::to_string(timing_.retry_limit) + " retries)");
}

}  // namespace meterd::profibus
