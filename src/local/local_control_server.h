// SPDX-License-Identifier: Apache-2.0
// The technician's control socket (meterctl, docs/meterctl.md): a Unix stream socket, mode
// 0660, where each line is one JSON request and gets one JSON reply line. The reports (`status`:
// the health JSON; `meters`, `account`, `backlog`) are answered by the daemon's hook; `backup`
// copies the store to a path and answers with the copy's summary; `command` hands an unsigned
// command envelope to the same CommandService as the cloud's, with operator "local:<user>" (the
// peer's uid from SO_PEERCRED), and answers with the command's final result (done/failed/cancelled)
// or a timeout. A malformed line gets an error reply; a line over 64 KiB closes the connection.
// Loop thread: every method and handler.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "config/app_config.h"
#include "local/local_request.h"

namespace meterd {

class CommandService;

// Where the socket goes: `local.socket` when set; else <first dir of runtime_directory>/
// meterd.sock when systemd set $RUNTIME_DIRECTORY; else none. None too when disabled. Pure.
std::optional<std::string> local_socket_path(const LocalConfig& local,
                                             const char* runtime_directory);

class LocalControlServer {
 public:
  struct Hooks {
    // Answers a report request (is_report(): status, meters, account, backlog) with its
    // reply line, on the loop, at once or later.
    std::function<void(const LocalRequest& request, std::function<void(std::string)> reply)> report;
    std::function<CommandService*()> commands;  // null while none runs (a failed reload)
    // Copies the store to an absolute path; calls back on the loop with the reply line.
    std::function<void(std::string path, std::function<void(std::string)> reply)> backup;
  };

  LocalControlServer(boost::asio::io_context& loop, std::string socket_path,
                     std::chrono::milliseconds command_timeout, Hooks hooks);
  ~LocalControlServer();
  LocalControlServer(const LocalControlServer&) = delete;
  LocalControlServer& operator=(const LocalControlServer&) = delete;

  // Replaces a stale socket file and listens. Throws std::runtime_error (start-up) when the
  // path is in use by a live listener or cannot be bound.
  void start();
  // Closes every connection and removes the socket file.
  void stop();
  // Every result the command service publishes; final ones answer the clients waiting for them.
  void on_result(const std::string& id, const nlohmann::json& body);

  class Session;

 private:
  void accept_next();
  void await_result(const std::string& id, const std::shared_ptr<Session>& session);
  void forget(const std::string& id, const Session* session);
  void closed(const Session* session);

  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace meterd
