// SPDX-License-Identifier: Apache-2.0
// One daemon per store: an exclusive flock(2) on "<database>.lock", beside the database, held
// for the lifetime of the StoreLock (the process's, in the daemon). The holder writes its pid
// into the file so a second instance can name it. The kernel drops the lock when the holder
// exits, however it ends (kill -9 included), so a stale file never blocks a start.
// Start-up only; any thread, but one StoreLock per database per process.
#pragma once

#include <sys/types.h>

#include <stdexcept>
#include <string>

namespace meterd {

// Thrown at start-up when another process holds the store.
class StoreLockedError : public std::runtime_error {
 public:
  StoreLockedError(const std::string& what, pid_t holder)
      : std::runtime_error(what), holder_(holder) {}
  pid_t holder() const { return holder_; }  // 0 when it could not be read

 private:
  pid_t holder_;
};

class StoreLock {
 public:
  // Takes the lock without waiting. Throws StoreLockedError when another open file holds it,
  // std::runtime_error when the lock file cannot be opened.
  explicit StoreLock(const std::string& database_path);
  ~StoreLock();
  StoreLock(const StoreLock&) = delete;
  StoreLock& operator=(const StoreLock&) = delete;

  static std::string lock_path_for(const std::string& database_path);

 private:
  int fd_ = -1;
};

}  // namespace meterd
