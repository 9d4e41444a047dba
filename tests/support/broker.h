// SPDX-License-Identifier: Apache-2.0
// A real mosquitto broker for tests, on 127.0.0.1 and a port of its own, configured and logged
// in a directory the caller owns. Persistence is on (autosave every second, saved on SIGTERM),
// so a subscriber with clean_session=false keeps its queued QoS 1 messages across restart().
// Use from one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "support/process.h"

namespace meterd::test {

class MosquittoBroker {
 public:
  // Writes <dir>/mosquitto.conf; `port` 0 picks a free one. Does not start the broker.
  explicit MosquittoBroker(std::filesystem::path dir, std::uint16_t port = 0);
  ~MosquittoBroker();
  MosquittoBroker(const MosquittoBroker&) = delete;
  MosquittoBroker& operator=(const MosquittoBroker&) = delete;

  // Starts mosquitto and waits until it accepts connections; throws std::runtime_error (with
  // the broker's log) when it does not within `timeout`.
  void start(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // SIGTERM (mosquitto saves its persistence file) and wait for it to exit.
  void stop(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // SIGKILL: no chance to save or to say goodbye.
  void kill();
  void restart() {
    stop();
    start();
  }
  bool running();

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return process_ ? process_->pid() : -1; }  // -1 before start()
  std::string uri() const;                                       // "tcp://127.0.0.1:<port>"
  std::string log() const;
  static constexpr const char* kBinary = "/usr/sbin/mosquitto";

 private:
  std::filesystem::path dir_;
  std::uint16_t port_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace meterd::test
