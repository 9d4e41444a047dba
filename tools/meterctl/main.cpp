// SPDX-License-Identifier: Apache-2.0
// meterctl: the technician's CLI for meterd's local control socket (docs/meterctl.md).
// Sends one request line, waits for one reply line (at most --timeout), prints it for a person
// (or as JSON with --json), exits by its outcome: 0 done, 1 failed/refused, 2 usage/connection.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <sstream>

#include "human_output.h"
#include "reply_outcome.h"
#include "request_builder.h"

namespace {

using json = nlohmann::json;

using meterctl::kExitDone;
using meterctl::kExitFailed;
using meterctl::kExitUsage;

int fail(const std::string& message) {
  std::cerr << "meterctl: " << message << "\n";
  return kExitUsage;
}

// A connected socket, or -1 with `why`.
int connect_to(const std::string& path, std::string& why) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) {
    why = "socket path too long: " + path;
    return -1;
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    why = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    const int error = errno;
    ::close(fd);
    why = "cannot connect to " + path + ": " + std::strerror(error);
    if (error == ENOENT || error == ECONNREFUSED) {
      why += " (is meterd running with a local control socket? see `local:` in meterd.yaml)";
    } else if (error == EACCES) {
      why += " (run as root or as a member of the meterd group)";
    }
    return -1;
  }
  return fd;
}

bool send_all(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

// One line from `fd`; nullopt on EOF, error or after `wait_ms` (then `timed_out`).
std::optional<std::string> read_line(int fd, int wait_ms, bool& timed_out) {
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  char buffer[4096];
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      return std::nullopt;
    }
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    line.append(buffer, static_cast<std::size_t>(n));
    if (auto newline = line.find('\n'); newline != std::string::npos) {
      line.resize(newline);
      return line;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const auto nonce = static_cast<std::uint32_t>(std::random_device{}());
  meterctl::BuildResult built =
      meterctl::build_invocation(std::vector<std::string>(argv + 1, argv + argc),
                                 std::getenv("METERCTL_SOCKET"), now_ms, nonce);
  if (!built.invocation) return built.exit_code;
  meterctl::Invocation& invocation = *built.invocation;
  if (!invocation.send_file.empty()) {
    std::string text;
    if (invocation.send_file == "-") {
      text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else {
      std::ifstream in(invocation.send_file, std::ios::binary);
      if (!in) return fail("cannot read " + invocation.send_file + ": " + std::strerror(errno));
      text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    std::string why;
    auto request = meterctl::complete_envelope(text, now_ms, nonce, why);
    if (!request) return fail(invocation.send_file + ": " + why);
    invocation.request = std::move(*request);
  }

  std::string why;
  const int fd = connect_to(invocation.socket_path, why);
  if (fd < 0) return fail(why);
  if (!send_all(fd,
                invocation.request.dump(-1, ' ', false, json::error_handler_t::replace) + "\n")) {
    ::close(fd);
    return fail("cannot send to " + invocation.socket_path + ": " + std::strerror(errno));
  }
  bool timed_out = false;
  const auto wait_ms = static_cast<int>(invocation.timeout.count());
  std::optional<std::string> line = read_line(fd, wait_ms, timed_out);
  ::close(fd);
  if (!line) {
    if (timed_out) {
      char seconds[32];
      std::snprintf(seconds, sizeof seconds, "%.1f", wait_ms / 1000.0);
      return fail("no reply from meterd at " + invocation.socket_path + " within " + seconds +
                  " s (is it stuck? see its log; --timeout sets the wait)");
    }
    return fail("meterd closed the connection without a reply");
  }
  const json reply = json::parse(*line, nullptr, false);
  if (reply.is_discarded()) {
    std::cerr << "meterctl: meterd sent a reply that is not JSON\n";
    return kExitFailed;
  }
  const meterctl::ReplyOutcome outcome =
      meterctl::judge_reply(reply, invocation.request.value("op", "") != "command");
  if (invocation.json) {
    std::cout << reply.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
  } else if (!(reply.is_object() && reply.contains("error") && reply["error"].is_string())) {
    // The socket's own refusals have nothing to show but the reason below.
    std::cout << meterctl::human_text(invocation.kind, reply, now_ms);
  }
  std::cout.flush();
  if (!outcome.message.empty()) std::cerr << "meterctl: " << outcome.message << "\n";
  return outcome.exit_code;
}
