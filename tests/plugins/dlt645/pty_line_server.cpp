// SPDX-License-Identifier: Apache-2.0
#include "pty_line_server.h"

#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace meterd::dlt645::testing {

PtyLineServer::PtyLineServer(const std::string& device, const Clock& clock) : line_(clock) {
  fd_ = ::open(device.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd_ < 0) throw std::runtime_error(device + ": " + std::strerror(errno));
  termios tio{};
  if (::tcgetattr(fd_, &tio) == 0) {
    ::cfmakeraw(&tio);
    tio.c_cc[VMIN] = 0;
    tio.c_cc[VTIME] = 0;
    ::tcsetattr(fd_, TCSANOW, &tio);
  }
  thread_ = std::thread([this] { serve(); });
}

PtyLineServer::~PtyLineServer() {
  stop_ = true;
  thread_.join();
  ::close(fd_);
}

void PtyLineServer::set_reply_filter(ReplyFilter filter, int replies) {
  std::lock_guard lock(mutex_);
  filter_ = std::move(filter);
  filter_replies_ = replies;
}

void PtyLineServer::set_wire_delay(WireDelay delay) {
  std::lock_guard lock(mutex_);
  wire_delay_ = delay;
  wire_delay_on_ = true;
}

void PtyLineServer::serve() {
  std::size_t request_bytes = 0;
  auto last_byte = std::chrono::steady_clock::now();
  while (!stop_) {
    pollfd pfd{fd_, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, 20);
    if (ready <= 0 || !(pfd.revents & POLLIN)) {
      // A master that went quiet mid-frame will not finish it; meters drop the half frame.
      if (std::chrono::steady_clock::now() - last_byte > std::chrono::milliseconds(300)) {
        std::lock_guard lock(mutex_);
        line_.clear_input();
        request_bytes = 0;
      }
      if (ready > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));  // POLLHUP
      continue;
    }
    std::uint8_t buffer[512];
    const ssize_t n = ::read(fd_, buffer, sizeof buffer);
    if (n <= 0) continue;
    last_byte = std::chrono::steady_clock::now();
    request_bytes += static_cast<std::size_t>(n);
    std::vector<std::uint8_t> reply;
    std::chrono::microseconds delay{0};
    {
      std::lock_guard lock(mutex_);
      reply = line_.receive(std::span(buffer, static_cast<std::size_t>(n)));
      if (reply.empty()) continue;
      if (filter_ && filter_replies_ != 0) {
        reply = filter_(std::move(reply));
        if (filter_replies_ > 0 && --filter_replies_ == 0) filter_ = nullptr;
      }
      if (wire_delay_on_) {
        const auto bits =
            static_cast<std::int64_t>(request_bytes + reply.size()) * wire_delay_.bits_per_char;
        delay =
            std::chrono::microseconds(bits * 1'000'000 / wire_delay_.baud) + wire_delay_.latency;
      }
    }
    request_bytes = 0;
    ++replies_;
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
    std::size_t done = 0;
    while (done < reply.size() && !stop_) {
      const ssize_t w = ::write(fd_, reply.data() + done, reply.size() - done);
      if (w > 0) {
        done += static_cast<std::size_t>(w);
      } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
        break;
      } else {
        pollfd out{fd_, POLLOUT, 0};
        ::poll(&out, 1, 20);
      }
    }
  }
}

}  // namespace meterd::dlt645::testing
