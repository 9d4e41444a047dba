// SPDX-License-Identifier: Apache-2.0
#include "common/line_write.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace meterd::line {

namespace {

Error io_error(const std::string& device, const std::string& what) {
  return make_error(ErrorKind::kBusError, device + ": " + what + ": " + std::strerror(errno));
}

}  // namespace

Status write_all(int fd, std::span<const std::uint8_t> bytes, const std::string& device) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      pollfd pfd{fd, POLLOUT, 0};
      if (::poll(&pfd, 1, 1000) <= 0) return io_error(device, "write stalled");
      continue;
    }
    return io_error(device, "write");
  }
  return Ok{};
}

}  // namespace meterd::line
