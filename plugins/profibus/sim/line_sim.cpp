// SPDX-License-Identifier: Apache-2.0
#include "profibus/sim/line_sim.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

namespace meterd::profibus {

LineSim::LineSim(std::vector<std::unique_ptr<SimMeter>> meters, LineTiming timing)
    : meters_(std::move(meters)), timing_(timing) {}

std::chrono::microseconds LineSim::wire(std::size_t chars) const {
  return std::chrono::microseconds(static_cast<std::int64_t>(chars) * timing_.bits_per_char *
                                   1'000'000 / timing_.baud);
}

std::vector<LineSim::Reply> LineSim::feed(std::span<const std::uint8_t> bytes,
                                          std::chrono::steady_clock::time_point now) {
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  std::vector<Reply> out;
  for (;;) {
    const ScanResult scan = profibus::scan(buffer_);
    if (scan.status == ScanStatus::kNeedMore) break;
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(scan.consume));
    if (scan.status == ScanStatus::kGarbage) {
      counters_.garbage_bytes += scan.consume;
      continue;
    }
    if (scan.status != ScanStatus::kTelegram) {
      ++counters_.bad_fcs;
      continue;
    }
    const Telegram& request = scan.telegram;
    if (request.kind != Telegram::Kind::kData || !fc::is_request(request.fc)) continue;
    ++counters_.requests;
    for (auto& meter : meters_) {
      auto reply = meter->handle(request, now);
      if (!reply) continue;
      ++counters_.replies;
      // The request took its wire time to arrive (a pty delivers it at once); the slave
      // waits TSDR; the reply takes its own wire time before the master has all of it.
      const auto delay =
          timing_.wire_delay
              ? wire(scan.consume) +
                    std::chrono::microseconds(static_cast<std::int64_t>(timing_.tsdr_bits) *
                                              1'000'000 / timing_.baud) +
                    wire(reply->size())
              : std::chrono::microseconds(0);
      out.push_back({now + delay, std::move(*reply)});
      break;  // one station per address
    }
  }
  return out;
}

void LineSim::run(int fd, const std::atomic<bool>& stop, std::mutex* guard) {
  std::uint8_t chunk[512];
  while (!stop) {
    pollfd pfd{fd, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, 100);
    if (ready < 0 && errno != EINTR) return;
    if (ready <= 0) continue;
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n <= 0) {
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      // The master's side is closed: wait for it to come back.
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    std::vector<Reply> replies;
    {
      std::unique_lock<std::mutex> lock;
      if (guard != nullptr) lock = std::unique_lock<std::mutex>(*guard);
      replies = feed({chunk, static_cast<std::size_t>(n)}, std::chrono::steady_clock::now());
    }
    for (auto& reply : replies) {
      std::this_thread::sleep_until(reply.at);
      std::size_t done = 0;
      while (done < reply.bytes.size()) {
        const ssize_t w = ::write(fd, reply.bytes.data() + done, reply.bytes.size() - done);
        if (w > 0) {
          done += static_cast<std::size_t>(w);
        } else if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
          pollfd out{fd, POLLOUT, 0};
          ::poll(&out, 1, 100);
        } else {
          break;
        }
      }
    }
  }
}

}  // namespace meterd::profibus
