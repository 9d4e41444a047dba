// SPDX-License-Identifier: Apache-2.0
#include "common/serial_port.h"

#include <termios.h>

#include <optional>

namespace meterd::line {

namespace {

tcflag_t to_char_size(int data_bits) {
  switch (data_bits) {
    case 5:
      return CS5;
    case 6:
      return CS6;
    case 7:
      return CS7;
    default:
      return CS8;
  }
}

std::optional<speed_t> termios_speed(int baud) {
  switch (baud) {
    case 1200:
      return B1200;
    case 2400:
      return B2400;
    case 4800:
      return B4800;
    case 9600:
      return B9600;
    case 19200:
      return B19200;
    case 38400:
      return B38400;
    case 57600:
      return B57600;
    case 115200:
      return B115200;
    default:
      return std::nullopt;
  }
}

}  // namespace

bool is_standard_baud(int baud) { return termios_speed(baud).has_value(); }

RawModeResult set_raw_mode(int fd, const SerialFraming& framing) {
  termios tio{};
  if (::tcgetattr(fd, &tio) != 0) return RawModeResult::kNotATty;
  const auto speed = termios_speed(framing.baud);
  if (!speed) return RawModeResult::kNotApplied;
  ::cfmakeraw(&tio);
  tio.c_cflag &= ~static_cast<tcflag_t>(CSIZE | CSTOPB | PARENB | PARODD | CRTSCTS);
  tio.c_cflag |= CLOCAL | CREAD | to_char_size(framing.data_bits);
  if (framing.stop_bits == 2) tio.c_cflag |= CSTOPB;
  if (framing.parity != Parity::kNone) tio.c_cflag |= PARENB;
  if (framing.parity == Parity::kOdd) tio.c_cflag |= PARODD;
  tio.c_cc[VMIN] = 0;
  tio.c_cc[VTIME] = 0;
  ::cfsetispeed(&tio, *speed);
  ::cfsetospeed(&tio, *speed);
  if (::tcsetattr(fd, TCSANOW, &tio) != 0) return RawModeResult::kNotApplied;
  return RawModeResult::kSet;
}

}  // namespace meterd::line
