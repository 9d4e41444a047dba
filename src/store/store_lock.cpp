// SPDX-License-Identifier: Apache-2.0
#include "store/store_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace meterd {
namespace {

pid_t read_pid(int fd) {
  char text[32] = {};
  const ssize_t n = pread(fd, text, sizeof text - 1, 0);
  if (n <= 0) return 0;
  char* end = nullptr;
  const long pid = std::strtol(text, &end, 10);
  return pid > 0 ? static_cast<pid_t>(pid) : 0;
}

}  // namespace

std::string StoreLock::lock_path_for(const std::string& database_path) {
  return database_path + ".lock";
}

StoreLock::StoreLock(const std::string& database_path) {
  const std::string path = lock_path_for(database_path);
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (fd_ < 0) {
    throw std::runtime_error("cannot open the store lock " + path + ": " + std::strerror(errno));
  }
  if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    // The holder writes its pid right after taking the lock; a start racing that write
    // reads nothing and says so.
    const pid_t holder = error == EWOULDBLOCK ? read_pid(fd_) : 0;
    ::close(fd_);
    fd_ = -1;
    if (error != EWOULDBLOCK) {
      throw std::runtime_error("cannot lock the store " + path + ": " + std::strerror(error));
    }
    throw StoreLockedError("the store " + database_path + " is in use by another meterd (pid " +
                               (holder > 0 ? std::to_string(holder) : std::string("unknown")) +
                               ", lock " + path + ")",
                           holder);
  }
  const std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(fd_, 0) != 0 ||
      pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    // The lock holds all the same; only the name in a second instance's message is lost.
  }
}

StoreLock::~StoreLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock; the file stays (unlinking it would race)
}

}  // namespace meterd
