// SPDX-License-Identifier: Apache-2.0
// A child process for tests (the daemon, mosquitto, simulators): spawned with an argv and extra
// environment, its stdout and stderr appended to a log file. Killed (SIGKILL) and reaped on
// destruction if still running. Use from one thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace meterd::test {

struct ExitStatus {
  bool exited = false;  // exited normally with `code`
  int code = 0;
  int signal = 0;  // killed by this signal when !exited
};

class ChildProcess {
 public:
  // Spawns argv[0] (a path) with the inherited environment plus `env` (overriding). Throws
  // std::system_error when it cannot be spawned.
  ChildProcess(std::vector<std::string> argv, std::string log_file,
               std::map<std::string, std::string> env = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& log_file() const { return log_file_; }
  // The log so far.
  std::string log() const;

  // Sends `sig`; false when the process has already been reaped.
  bool send_signal(int sig);
  // Waits for the process to end; nullopt when it is still running after `timeout`.
  std::optional<ExitStatus> wait(std::chrono::milliseconds timeout);
  bool is_running();
  // SIGTERM, wait up to `grace`, then SIGKILL. Returns how it ended.
  ExitStatus terminate(std::chrono::milliseconds grace = std::chrono::seconds(5));

 private:
  bool reap(bool block);

  std::vector<std::string> argv_;
  std::string log_file_;
  pid_t pid_ = -1;
  std::optional<ExitStatus> status_;
};

}  // namespace meterd::test
