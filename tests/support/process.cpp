// SPDX-License-Identifier: Apache-2.0
#include "support/process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>

extern char** environ;

namespace meterd::test {

ChildProcess::ChildProcess(std::vector<std::string> argv, std::string log_file,
                           std::map<std::string, std::string> env)
    : argv_(std::move(argv)), log_file_(std::move(log_file)) {
  if (argv_.empty()) throw std::invalid_argument("ChildProcess: empty argv");

  std::map<std::string, std::string> merged;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    const auto eq = entry.find('=');
    if (eq != std::string::npos) merged[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (auto& [key, value] : env) merged[key] = value;
  std::vector<std::string> env_strings;
  for (auto& [key, value] : merged) env_strings.push_back(key + "=" + value);

  std::vector<char*> args;
  for (auto& a : argv_) args.push_back(a.data());
  args.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_file_.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);

  // The child starts with default dispositions and an empty mask, whatever the test runner
  // did to its own signals.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  sigset_t defaults;
  sigfillset(&defaults);
  sigdelset(&defaults, SIGKILL);
  sigdelset(&defaults, SIGSTOP);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  const int rc = posix_spawn(&pid_, args[0], &actions, &attr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    pid_ = -1;
    throw std::system_error(rc, std::generic_category(), "spawn " + argv_[0]);
  }
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !status_) {
    ::kill(pid_, SIGKILL);
    reap(true);
  }
}

std::string ChildProcess::log() const {
  std::ifstream in(log_file_);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool ChildProcess::reap(bool block) {
  if (status_) return true;
  int wstatus = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &wstatus, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r != pid_) return false;
  ExitStatus status;
  status.exited = WIFEXITED(wstatus);
  status.code = status.exited ? WEXITSTATUS(wstatus) : 0;
  status.signal = WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0;
  status_ = status;
  return true;
}

bool ChildProcess::send_signal(int sig) {
  if (pid_ <= 0 || reap(false)) return false;
  return ::kill(pid_, sig) == 0;
}

std::optional<ExitStatus> ChildProcess::wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!reap(false)) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return status_;
}

bool ChildProcess::is_running() { return pid_ > 0 && !reap(false); }

ExitStatus ChildProcess::terminate(std::chrono::milliseconds grace) {
  send_signal(SIGTERM);
  if (auto status = wait(grace)) return *status;
  send_signal(SIGKILL);
  reap(true);
  return *status_;
}

}  // namespace meterd::test
