// SPDX-License-Identifier: Apache-2.0
#include "modbus/sim/line_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace meterd::modbus::sim {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Any code but the read and single-write codes is taken as 0x10 layout (vendor codes too).
bool any_multiple(std::uint8_t fc) {
  return fc != kReadHolding && fc != kReadInput && fc != kWriteSingle;
}

void write_all(int fd, std::span<const std::uint8_t> bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, 100);
      continue;
    }
    if (n <= 0) return;
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
}

}  // namespace

LineServer::LineServer(std::vector<std::unique_ptr<SimMeter>> meters, LineOptions options)
    : meters_(std::move(meters)), options_(options) {
  for (auto& m : meters_) by_unit_[m->unit()] = m.get();
}

LineServer::~LineServer() { stop(); }

void LineServer::start_rtu(const std::string& device) {
  fd_ = ::open(device.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK);
  if (fd_ < 0) throw std::runtime_error("cannot open " + device + ": " + strerror(errno));
  termios tio{};
  if (tcgetattr(fd_, &tio) == 0) {
    cfmakeraw(&tio);
    tcsetattr(fd_, TCSANOW, &tio);
  }
  if (pipe(wake_) != 0) throw std::runtime_error("pipe failed");
  thread_ = std::thread([this] { run_rtu(); });
}

std::uint16_t LineServer::start_tcp(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 16)) {
    throw std::runtime_error(std::string("cannot listen: ") + strerror(errno));
  }
  socklen_t len = sizeof addr;
  getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  if (pipe(wake_) != 0) throw std::runtime_error("pipe failed");
  thread_ = std::thread([this] { run_tcp(); });
  return ntohs(addr.sin_port);
}

void LineServer::stop() {
  if (thread_.joinable()) {
    stop_ = true;
    const char c = 0;
    [[maybe_unused]] auto n = ::write(wake_[1], &c, 1);
    thread_.join();
  }
  for (int* fd : {&fd_, &wake_[0], &wake_[1]}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

void LineServer::set_fault(std::uint8_t unit, Fault fault) {
  std::lock_guard lock(mutex_);
  faults_[unit] = fault;
}

std::vector<std::uint8_t> LineServer::answer(std::uint8_t unit, std::span<const std::uint8_t> pdu,
                                             Fault& applied) {
  applied = {};
  auto parsed = parse_request(pdu, any_multiple);
  if (unit == kBroadcast) {
    if (parsed.ok() && parsed.value().fc != kReadHolding && parsed.value().fc != kReadInput) {
      for (auto& m : meters_) m->serve(parsed.value(), SteadyClock::now());
    }
    return {};
  }
  auto it = by_unit_.find(unit);
  if (it == by_unit_.end()) return {};
  ++requests_;
  const std::uint64_t n = ++counts_[unit];
  auto fault = faults_.find(unit);
  if (fault != faults_.end() && fault->second.kind != FaultKind::kNone &&
      n % static_cast<std::uint64_t>(std::max(1, fault->second.every)) == 0) {
    applied = fault->second;
  }
  if (applied.kind == FaultKind::kDead) return {};
  if (applied.kind == FaultKind::kException) return exception_reply(pdu[0], 4);
  if (!parsed.ok()) {
    if (parsed.error().kind == ErrorKind::kException) {
      return exception_reply(pdu[0], static_cast<std::uint8_t>(parsed.error().code));
    }
    return {};
  }
  return it->second->serve(parsed.value(), SteadyClock::now());
}

void LineServer::run_rtu() {
  std::vector<std::uint8_t> buf;
  std::vector<std::uint8_t> held;  // kHeld: goes out in front of the next reply
  const LineTiming timing = line_timing(options_.baud, options_.parity, options_.stop_bits);
  while (!stop_) {
    pollfd p[2] = {{fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    // A partial frame followed by silence is noise: drop it.
    const int r = ::poll(p, 2, buf.empty() ? -1 : 50);
    if (r < 0 && errno == EINTR) continue;
    if (stop_) break;
    if (r == 0) {
      buf.clear();
      continue;
    }
    if (p[0].revents & (POLLERR | POLLHUP)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // peer not open yet
    }
    if (!(p[0].revents & POLLIN)) continue;
    std::uint8_t chunk[512];
    const ssize_t got = ::read(fd_, chunk, sizeof chunk);
    if (got <= 0) continue;
    const auto received = SteadyClock::now();
    buf.insert(buf.end(), chunk, chunk + got);
    while (buf.size() >= 2) {
      auto length = rtu_request_length(buf, any_multiple);
      if (!length) break;
      if (*length == 0 || *length > 256) {
        buf.erase(buf.begin());
        continue;
      }
      if (buf.size() < *length) break;
      std::vector<std::uint8_t> frame(buf.begin(), buf.begin() + static_cast<long>(*length));
      auto adu = parse_rtu(frame);
      if (!adu.ok()) {
        buf.erase(buf.begin());  // resynchronise on the next byte
        continue;
      }
      buf.erase(buf.begin(), buf.begin() + static_cast<long>(*length));
      Fault applied;
      std::vector<std::uint8_t> reply;
      {
        std::lock_guard lock(mutex_);
        reply = answer(adu.value().unit, adu.value().pdu, applied);
      }
      if (reply.empty()) continue;
      std::vector<std::uint8_t> out = rtu_frame(adu.value().unit, reply);
      if (applied.kind == FaultKind::kCrc) out.back() ^= 0x5A;
      if (applied.kind == FaultKind::kGarbage) out.insert(out.begin(), {0xFF, 0x00, 0x55, 0xAA});
      auto due = received;
      if (options_.wire_delay) {
        const double chars = static_cast<double>(frame.size() + out.size());
        due +=
            std::chrono::nanoseconds(static_cast<std::int64_t>(chars * timing.char_seconds * 1e9));
      }
      due += options_.latency;
      if (applied.kind == FaultKind::kLate) due = received + applied.late_by;
      if (applied.kind == FaultKind::kHeld) {
        held = std::move(out);
        continue;
      }
      std::this_thread::sleep_until(due);
      out.insert(out.begin(), held.begin(), held.end());
      held.clear();
      write_all(fd_, out);
    }
  }
}

void LineServer::run_tcp() {
  struct Client {
    int fd;
    std::vector<std::uint8_t> buf;
    std::vector<std::uint8_t> held;  // kHeld: goes out in front of the next reply
  };
  std::vector<Client> clients;
  while (!stop_) {
    std::vector<pollfd> p = {{fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    for (auto& c : clients) p.push_back({c.fd, POLLIN, 0});
    if (::poll(p.data(), p.size(), -1) < 0 && errno != EINTR) break;
    if (stop_) break;
    const std::size_t polled = clients.size();  // a client accepted below was not polled yet
    if (p[0].revents & POLLIN) {
      const int c = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK);
      if (c >= 0) {
        int one = 1;
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        clients.push_back({c, {}, {}});
      }
    }
    for (std::size_t i = 0; i < polled; ++i) {
      if (!(p[i + 2].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      Client& c = clients[i];
      std::uint8_t chunk[4096];
      const ssize_t got = ::read(c.fd, chunk, sizeof chunk);
      if (got <= 0) {
        ::close(c.fd);
        c.fd = -1;
        continue;
      }
      c.buf.insert(c.buf.end(), chunk, chunk + got);
      for (;;) {
        const auto length = tcp_frame_length(c.buf);
        if (!length || c.buf.size() < *length) break;
        if (*length == 0) {  // not Modbus TCP: nothing on this connection can be framed
          c.buf.clear();
          break;
        }
        const TcpAdu adu = parse_tcp(std::span(c.buf).first(*length)).value();
        Fault applied;
        std::vector<std::uint8_t> reply;
        {
          std::lock_guard lock(mutex_);
          reply = answer(adu.unit, adu.pdu, applied);
        }
        if (!reply.empty()) {
          std::vector<std::uint8_t> out = tcp_frame(adu.transaction, adu.unit, reply);
          if (applied.kind == FaultKind::kHeld) {
            c.held = std::move(out);
          } else {
            out.insert(out.begin(), c.held.begin(), c.held.end());
            c.held.clear();
            write_all(c.fd, out);
          }
        }
        c.buf.erase(c.buf.begin(), c.buf.begin() + static_cast<long>(*length));
      }
    }
    std::erase_if(clients, [](const Client& c) { return c.fd < 0; });
  }
  for (auto& c : clients) ::close(c.fd);
}

}  // namespace meterd::modbus::sim
