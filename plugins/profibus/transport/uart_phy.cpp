// SPDX-License-Identifier: Apache-2.0
// termios2 (asm/termbits.h) cannot share a file with <termios.h>: this file uses only the
// former, so every rate, standard or not, takes the same BOTHER path.
#include "profibus/transport/uart_phy.h"

#include <asm/termbits.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/line_write.h"

namespace meterd::profibus {

namespace {

Error io_error(const std::string& device, const std::string& what) {
  return make_error(ErrorKind::kBusError, device + ": " + what + ": " + std::strerror(errno));
}

}  // namespace

bool is_uart_baud(int baud) {
  return baud == 9600 || baud == 19200 || baud == 45450 || baud == 93750;
}

UartPhy::UartPhy(UartSettings settings) : settings_(std::move(settings)) {}

UartPhy::~UartPhy() { close(); }

Status UartPhy::open() {
  close();
  const int fd = ::open(settings_.device.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return io_error(settings_.device, "open");
  struct termios2 tio {};
  if (::ioctl(fd, TCGETS2, &tio) != 0) {
    Error error = io_error(settings_.device, "not a tty");
    ::close(fd);
    return error;
  }
  // Raw: no input or output processing, no echo, no signals.
  tio.c_iflag &= ~static_cast<tcflag_t>(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL |
                                        IXON | IXOFF | INPCK);
  tio.c_oflag &= ~static_cast<tcflag_t>(OPOST);
  tio.c_lflag &= ~static_cast<tcflag_t>(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
  tio.c_cflag &= ~static_cast<tcflag_t>(CSIZE | CSTOPB | PARENB | PARODD | CRTSCTS | CBAUD |
                                        (CBAUD << IBSHIFT));
  tio.c_cflag |= CS8 | CLOCAL | CREAD | BOTHER | (BOTHER << IBSHIFT);
  if (settings_.even_parity) {
    tio.c_cflag |= PARENB;
    tio.c_iflag |= INPCK;  // a character with a parity error is dropped as noise
    tio.c_iflag |= IGNPAR;
  }
  tio.c_ispeed = static_cast<speed_t>(settings_.baud);
  tio.c_ospeed = static_cast<speed_t>(settings_.baud);
  tio.c_cc[VMIN] = 0;
  tio.c_cc[VTIME] = 0;
  if (::ioctl(fd, TCSETS2, &tio) != 0) {
    Error error =
        io_error(settings_.device, "cannot set " + std::to_string(settings_.baud) + " bit/s " +
                                       (settings_.even_parity ? "8E1" : "8N1"));
    ::close(fd);
    return error;
  }
  fd_ = fd;
  return Ok{};
}

void UartPhy::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Status UartPhy::write(std::span<const std::uint8_t> bytes) {
  if (fd_ < 0) return make_error(ErrorKind::kBusError, settings_.device + ": not open");
  return line::write_all(fd_, bytes, settings_.device);
}

Result<std::size_t> UartPhy::read(std::span<std::uint8_t> into, std::chrono::microseconds wait) {
  if (fd_ < 0) return make_error(ErrorKind::kBusError, settings_.device + ": not open");
  for (;;) {
    const ssize_t n = ::read(fd_, into.data(), into.size());
    if (n > 0) return static_cast<std::size_t>(n);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EIO) return io_error(settings_.device, "read");
    if (wait.count() <= 0) return std::size_t{0};
    pollfd pfd{fd_, POLLIN, 0};
    // poll has millisecond resolution: round up so a short wait is not a busy loop.
    const int ms = static_cast<int>((wait.count() + 999) / 1000);
    const int ready = ::poll(&pfd, 1, ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return io_error(settings_.device, "poll");
    if (ready == 0) return std::size_t{0};
    if (pfd.revents & (POLLHUP | POLLERR)) {
      // A pty whose other side is closed: no bytes will come; wait as a dead line would.
      ::poll(nullptr, 0, ms);
      return std::size_t{0};
    }
    wait = std::chrono::microseconds(0);
  }
}

void UartPhy::flush_input() {
  if (fd_ < 0) return;
  ::ioctl(fd_, TCFLSH, TCIFLUSH);
  std::uint8_t sink[256];
  while (::read(fd_, sink, sizeof sink) > 0) {
  }
}

}  // namespace meterd::profibus
