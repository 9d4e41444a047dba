// SPDX-License-Identifier: Apache-2.0
// Runs `meterctl backup` (store/store_backup.h) off the loop: the copy takes as long as the
// store is big, and polling, commands and the uplink must not wait for it. One backup at a
// time; the reply line goes back to the loop thread. Loop thread: start(); the destructor
// waits for a copy in progress.
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace meterd {

class BackupRunner {
 public:
  using Done = std::function<void(std::string reply_line)>;

  BackupRunner(boost::asio::io_context& loop, std::string store_path);
  ~BackupRunner();
  BackupRunner(const BackupRunner&) = delete;
  BackupRunner& operator=(const BackupRunner&) = delete;

  // Copies the store to `destination`; `done` runs on the loop with the JSON reply: the
  // summary, or {"error": ..., "message": ...}. A second backup while one runs is refused
  // at once with error "busy".
  void start(std::string destination, Done done);

 private:
  boost::asio::io_context& loop_;
  const std::string store_path_;
  std::mutex mu_;
  bool running_ = false;
  std::thread worker_;
};

}  // namespace meterd
