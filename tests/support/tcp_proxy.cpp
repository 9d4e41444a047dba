// SPDX-License-Identifier: Apache-2.0
#include "support/tcp_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>
#include <vector>

namespace meterd::test {

namespace {

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

struct Pair {
  int a;  // client side
  int b;  // server side
};

void close_pair(const Pair& p) {
  // SO_LINGER 0: a reset, not a polite FIN after pending data.
  linger hard{1, 0};
  ::setsockopt(p.a, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  ::setsockopt(p.b, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  ::close(p.a);
  ::close(p.b);
}

// Moves what is readable on `from` to `to`; false when the connection is over.
bool relay(int from, int to) {
  char buffer[16384];
  const ssize_t n = ::read(from, buffer, sizeof buffer);
  if (n <= 0) return false;
  ssize_t off = 0;
  while (off < n) {
    const ssize_t w = ::write(to, buffer + off, static_cast<std::size_t>(n - off));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    off += w;
  }
  return true;
}

}  // namespace

TcpProxy::TcpProxy(std::uint16_t upstream_port) : upstream_port_(upstream_port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr = loopback(0);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 16) != 0 || ::pipe2(wake_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    throw std::system_error(errno, std::generic_category(), "TcpProxy");
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { run(); });
}

TcpProxy::~TcpProxy() {
  stopping_ = true;
  wake();
  thread_.join();
  ::close(listen_fd_);
  ::close(wake_pipe_[0]);
  ::close(wake_pipe_[1]);
}

std::string TcpProxy::uri() const { return "tcp://127.0.0.1:" + std::to_string(port_); }

void TcpProxy::wake() {
  const char byte = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_pipe_[1], &byte, 1);
}

void TcpProxy::cut() {
  cut_requested_ = true;
  wake();
}

void TcpProxy::run() {
  std::vector<Pair> pairs;
  while (!stopping_) {
    if (cut_requested_.exchange(false)) {
      for (const auto& p : pairs) close_pair(p);
      pairs.clear();
    }
    std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    for (const auto& p : pairs) {
      fds.push_back({p.a, POLLIN, 0});
      fds.push_back({p.b, POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), 1000) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents != 0) {
      char drain[64];
      while (::read(wake_pipe_[0], drain, sizeof drain) > 0) {
      }
    }
    std::vector<Pair> alive;
    for (std::size_t i = 0; i < pairs.size(); ++i) {
      const auto& ra = fds[2 + 2 * i];
      const auto& rb = fds[3 + 2 * i];
      bool ok = true;
      if (ra.revents != 0) ok = relay(pairs[i].a, pairs[i].b);
      if (ok && rb.revents != 0) ok = relay(pairs[i].b, pairs[i].a);
      if (ok) {
        alive.push_back(pairs[i]);
      } else {
        ::close(pairs[i].a);
        ::close(pairs[i].b);
      }
    }
    pairs = std::move(alive);
    if (fds[0].revents & POLLIN) {
      const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      if (refusing_) {
        close_pair({client, ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)});
        continue;
      }
      const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in addr = loopback(upstream_port_);
      if (::connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        close_pair({client, server});
        continue;
      }
      ++connections_;
      pairs.push_back({client, server});
    }
  }
  for (const auto& p : pairs) close_pair(p);
}

}  // namespace meterd::test
