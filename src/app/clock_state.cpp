// SPDX-License-Identifier: Apache-2.0
#include "app/clock_state.h"

#include <sys/timex.h>

#include <fstream>
#include <sstream>

namespace meterd {
namespace {

std::optional<bool> read_override(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::string word;
  in >> word;
  if (word == "synchronized") return true;
  if (word == "unsynchronized") return false;
  return std::nullopt;
}

}  // namespace

ClockState read_clock_state(const std::string& override_file) {
  if (!override_file.empty()) {
    if (const std::optional<bool> forced = read_override(override_file)) {
      return ClockState{*forced, "test_override"};
    }
  }
  timex tx{};  // modes 0: read only
  const int state = ::ntp_adjtime(&tx);
  const bool synchronized = state != -1 && state != TIME_ERROR && !(tx.status & STA_UNSYNC);
  return ClockState{synchronized, "kernel"};
}

const char* ClockWatch::observe(bool synchronized) {
  const std::optional<bool> before = last_;
  last_ = synchronized;
  if (before == synchronized) return nullptr;
  if (!synchronized) return "clock_unsynchronized";
  return before ? "clock_synchronized" : nullptr;
}

}  // namespace meterd
