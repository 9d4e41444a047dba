// SPDX-License-Identifier: Apache-2.0
// A socat pty pair for serial-line tests: two linked pseudo-terminals, <dir>/a and <dir>/b;
// bytes written to one come out of the other. No baud rate or parity is emulated (use 8N1).
// Use from one thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "support/process.h"

namespace meterd::test {

class PtyPair {
 public:
  // Starts socat and waits until both links exist; throws std::runtime_error otherwise.
  explicit PtyPair(const std::filesystem::path& dir,
                   std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~PtyPair();
  PtyPair(const PtyPair&) = delete;
  PtyPair& operator=(const PtyPair&) = delete;

  const std::string& a() const { return a_; }  // e.g. the daemon's side
  const std::string& b() const { return b_; }  // e.g. the simulator's side

 private:
  std::string a_;
  std::string b_;
  std::unique_ptr<ChildProcess> socat_;
};

}  // namespace meterd::test
