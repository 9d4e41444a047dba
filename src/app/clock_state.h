// SPDX-License-Identifier: Apache-2.0
// Whether the system clock is synchronized (the kernel's NTP state, ntp_adjtime), and the
// watch that turns a change of it into one event per transition. An unsynchronized clock
// bills time-of-use periods at the wrong price, so the health report flags it.
// Reading: any thread. ClockWatch: the loop thread.
#pragma once

#include <optional>
#include <string>

namespace meterd {

struct ClockState {
  bool synchronized = true;
  std::string source;  // "kernel", or "test_override" (see below)
};

// The kernel's answer: unsynchronized when ntp_adjtime() reports TIME_ERROR or STA_UNSYNC.
// Tests only: when `override_file` is not empty, its content ("synchronized" or
// "unsynchronized", surrounding blanks ignored) replaces the kernel's answer; the daemon takes
// the file's path from $METERD_TEST_CLOCK_STATE_FILE (docs/mqtt-api.md, "health"). A file that
// cannot be read or says anything else leaves the kernel's answer.
ClockState read_clock_state(const std::string& override_file);

class ClockWatch {
 public:
  // The event a new observation raises: "clock_unsynchronized" when the clock is first seen
  // unsynchronized or loses synchronization, "clock_synchronized" when it gets it back;
  // nullptr otherwise (a first observation of a synchronized clock raises nothing).
  const char* observe(bool synchronized);

 private:
  std::optional<bool> last_;
};

}  // namespace meterd
