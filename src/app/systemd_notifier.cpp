// SPDX-License-Identifier: Apache-2.0
#include "app/systemd_notifier.h"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

namespace meterd {

SystemdNotifier::SystemdNotifier() {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    watchdog_period_ = std::chrono::microseconds(usec);
  }
}

void SystemdNotifier::send(const std::string& state) {
  const int rc = sd_notify(0, state.c_str());
  if (rc < 0) spdlog::warn("sd_notify({}) failed: {}", state, rc);
}

void SystemdNotifier::ready(const std::string& status) { send("READY=1\nSTATUS=" + status); }
void SystemdNotifier::status(const std::string& status) { send("STATUS=" + status); }
void SystemdNotifier::watchdog() { send("WATCHDOG=1"); }
void SystemdNotifier::stopping() { send("STOPPING=1"); }
void SystemdNotifier::reloading() { send("RELOADING=1"); }

}  // namespace meterd
