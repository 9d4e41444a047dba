// SPDX-License-Identifier: Apache-2.0
#include "dlt645/transport/serial_line.h"

#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/line_drain.h"
#include "common/line_write.h"
#include "common/serial_port.h"

namespace meterd::dlt645 {

namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

Error io_error(const std::string& device, const std::string& what) {
  return make_error(ErrorKind::kBusError, device + ": " + what + ": " + std::strerror(errno));
}

}  // namespace

bool is_supported_baud(int baud) {
  return baud == 1200 || baud == 2400 || baud == 4800 || baud == 9600 || baud == 19200;
}

int bits_per_char(const LineSettings& settings) {
  return 1 + settings.data_bits + (settings.parity == Parity::kNone ? 0 : 1) + settings.stop_bits;
}

SerialLine::SerialLine(LineSettings settings) : settings_(std::move(settings)) {}

SerialLine::~SerialLine() { close(); }

Status SerialLine::open() {
  close();
  const int fd = ::open(settings_.device.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return io_error(settings_.device, "open");
  const line::SerialFraming framing{settings_.baud, settings_.data_bits, settings_.parity,
                                    settings_.stop_bits};
  const line::RawModeResult mode = line::set_raw_mode(fd, framing);
  if (mode != line::RawModeResult::kSet) {
    Error error =
        io_error(settings_.device,
                 mode == line::RawModeResult::kNotATty ? "not a tty" : "cannot set line settings");
    ::close(fd);
    return error;
  }
  fd_ = fd;
  buffer_.clear();
  return Ok{};
}

void SerialLine::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffer_.clear();
}

void SerialLine::flush_input() {
  stats_.drained_bytes += buffer_.size();
  buffer_.clear();
  if (fd_ < 0) return;
  ::tcflush(fd_, TCIFLUSH);
  // A pty may still hold bytes tcflush did not reach.
  stats_.drained_bytes += line::drop_pending(fd_);
}

void SerialLine::drain() {
  stats_.drained_bytes += buffer_.size();
  buffer_.clear();
  if (fd_ < 0) return;
  const auto quiet = line::three_and_a_half_chars(settings_.baud, bits_per_char(settings_));
  const line::DrainResult drained =
      line::drain_line(fd_, {std::chrono::microseconds(0), quiet, settings_.max_drain});
  stats_.drained_bytes += drained.bytes;
  if (!drained.quiet) ++stats_.noisy_drains;
}

Status SerialLine::write(std::span<const std::uint8_t> bytes) {
  if (fd_ < 0) return make_error(ErrorKind::kBusError, settings_.device + ": not open");
  return line::write_all(fd_, bytes, settings_.device);
}

Result<Frame> SerialLine::read_frame(steady_clock::time_point deadline, const Address* from) {
  if (fd_ < 0) return make_error(ErrorKind::kBusError, settings_.device + ": not open");
  for (;;) {
    // Scan what is buffered first: one read may carry noise, a frame and more.
    for (;;) {
      const ScanResult scan = find_frame(buffer_);
      if (scan.status == ScanStatus::kNeedMore) {
        // Leading FE bytes can go; a partial frame stays for the next read.
        buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(scan.consume));
        break;
      }
      buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(scan.consume));
      if (scan.status == ScanStatus::kFrame) {
        if (from == nullptr || address_matches(*from, scan.frame.address)) return scan.frame;
        ++stats_.stray_frames;  // the late answer to an earlier request
        continue;
      }
      if (scan.status == ScanStatus::kBadChecksum) {
        ++stats_.bad_checksum;
        return make_error(ErrorKind::kChecksum, "DL/T 645 frame with a wrong checksum");
      }
      stats_.garbage_bytes += scan.consume;
    }
    const auto now = steady_clock::now();
    if (now >= deadline) {
      if (!buffer_.empty()) ++stats_.truncated;
      buffer_.clear();
      return make_error(ErrorKind::kTimeout, "no complete DL/T 645 frame before the deadline");
    }
    auto wait = std::chrono::ceil<milliseconds>(deadline - now);
    // Inside a frame, silence longer than the inter-byte timeout means the rest is lost.
    const bool in_frame = !buffer_.empty();
    if (in_frame) wait = std::min(wait, settings_.inter_byte_timeout);
    pollfd pfd{fd_, POLLIN, 0};
    const int ready =
        ::poll(&pfd, 1, static_cast<int>(std::max<milliseconds::rep>(wait.count(), 0)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return io_error(settings_.device, "poll");
    if (ready == 0) {
      if (in_frame) {
        ++stats_.truncated;
        buffer_.clear();
        return make_error(ErrorKind::kMalformed, "DL/T 645 frame truncated (line went silent)");
      }
      continue;
    }
    std::uint8_t chunk[256];
    const ssize_t n = ::read(fd_, chunk, sizeof chunk);
    if (n > 0) {
      buffer_.insert(buffer_.end(), chunk, chunk + n);
      continue;
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0 && errno != EIO) return io_error(settings_.device, "read");
    // 0 or EIO: a pty whose other side is closed reports hang-up; wait out the deadline
    // without spinning, as a dead line would.
    const auto rest = std::chrono::ceil<milliseconds>(deadline - steady_clock::now());
    ::poll(nullptr, 0, static_cast<int>(std::clamp<milliseconds::rep>(rest.count(), 0, 20)));
  }
}

}  // namespace meterd::dlt645
