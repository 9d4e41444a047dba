// SPDX-License-Identifier: Apache-2.0
// Talks to systemd's notify socket (READY=1, STATUS=, WATCHDOG=1, STOPPING=1, RELOADING=1).
// A no-op when NOTIFY_SOCKET is unset. Called on the loop thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace meterd {

class SystemdNotifier {
 public:
  SystemdNotifier();
  void ready(const std::string& status);
  void status(const std::string& status);
  void watchdog();
  void stopping();
  void reloading();
  // The watchdog period systemd expects pings within, when enabled for this process.
  std::optional<std::chrono::microseconds> watchdog_period() const { return watchdog_period_; }

 private:
  void send(const std::string& state);
  std::optional<std::chrono::microseconds> watchdog_period_;
};

}  // namespace meterd
