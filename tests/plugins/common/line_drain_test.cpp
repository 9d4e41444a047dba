// SPDX-License-Identifier: Apache-2.0
// drain_line() on a socat pty pair: what is pending is dropped and counted, and the gap that
// ends a drain is 3.5 characters of the line.
#include "common/line_drain.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <thread>
#include <vector>

#include "support/pty_pair.h"
#include "support/temp_dir.h"

namespace meterd::line {
namespace {

using namespace std::chrono_literals;

int open_raw(const std::string& device) {
  const int fd = ::open(device.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  termios tio{};
  if (fd >= 0 && ::tcgetattr(fd, &tio) == 0) {
    ::cfmakeraw(&tio);
    ::tcsetattr(fd, TCSANOW, &tio);
  }
  return fd;
}

TEST(LineDrain, BytesStillOnTheLineAreDroppedAndCounted) {
  test::TempDir dir("line-drain");
  test::PtyPair pty(dir.path());
  const int master = open_raw(pty.a());
  const int meter = open_raw(pty.b());
  ASSERT_GE(master, 0);
  ASSERT_GE(meter, 0);
  const std::vector<std::uint8_t> late_reply(101, 0x5A);  // a 48-register reply's worth
  ASSERT_EQ(::write(meter, late_reply.data(), late_reply.size()),
            static_cast<ssize_t>(late_reply.size()));
  // socat relays them in its own time: wait until all are readable (with a deadline).
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  int readable = 0;
  while (::ioctl(master, FIONREAD, &readable) == 0 &&
         readable < static_cast<int>(late_reply.size()) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  ASSERT_EQ(readable, static_cast<int>(late_reply.size()));
  const DrainResult drained = drain_line(master, {0ms, 4ms, 10s});
  EXPECT_EQ(drained.bytes, late_reply.size());
  EXPECT_TRUE(drained.quiet);
  EXPECT_EQ(drop_pending(master), 0u);  // nothing left for the next transaction
  ::close(master);
  ::close(meter);
}

TEST(LineDrain, QuietGapIsThreeAndAHalfCharacters) {
  EXPECT_EQ(three_and_a_half_chars(9600, 10), 3646us);   // Modbus 9600 8N1: 3.65 ms
  EXPECT_EQ(three_and_a_half_chars(2400, 11), 16042us);  // DL/T 645 2400 8E1
}

}  // namespace
}  // namespace meterd::line
