// SPDX-License-Identifier: Apache-2.0
// CPU time a process has used so far (user + system, from /proc/<pid>/stat), for benchmarks that
// report a daemon's and a broker's CPU side by side, and its memory (/proc/<pid>/status); and
// the CPU time of this process's thread of a given name (the store thread), which other load on
// the machine disturbs far less than wall time. Linux only; 0 when the process or the thread is
// gone.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace meterd::bench {

inline double process_cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (pid <= 0 || !std::getline(in, line)) return 0.0;
  // The command name (field 2) may hold spaces; the fields after it follow its closing ')'.
  const auto close = line.rfind(')');
  if (close == std::string::npos) return 0.0;
  std::istringstream fields(line.substr(close + 2));
  std::string skip;
  for (int field = 3; field < 14; ++field) fields >> skip;  // state .. cmajflt
  long long utime = 0;
  long long stime = 0;
  fields >> utime >> stime;
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// A size field of /proc/<pid>/status in KiB ("VmRSS", "VmHWM"); -1 when absent.
inline long process_status_kib(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(field + ":")) return std::atol(line.c_str() + field.size() + 1);
  }
  return -1;
}

// The first thread of this process named `name` (pthread_setname_np): the time it has run on
// a CPU, in ns precision (/proc/self/task/<tid>/schedstat).
inline double thread_cpu_seconds(const std::string& name) {
  std::error_code error;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", error)) {
    std::ifstream comm(task.path() / "comm");
    std::string line;
    if (!std::getline(comm, line) || line != name) continue;
    std::ifstream schedstat(task.path() / "schedstat");
    long long run_ns = 0;
    schedstat >> run_ns;
    return static_cast<double>(run_ns) / 1e9;
  }
  return 0.0;
}

}  // namespace meterd::bench
