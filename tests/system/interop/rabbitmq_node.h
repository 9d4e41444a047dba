// SPDX-License-Identifier: Apache-2.0
// A real RabbitMQ 3.10 node with its MQTT plugin for tests: its own node name, ports, data and
// log directories, configuration file and Erlang port mapper, all under a directory the caller
// owns, so it never meets the system's RabbitMQ. Nodes sharing one `ErlangPortMapper` and one
// cookie (the same `cluster_dir`) can be clustered with join(). Use from one thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "support/process.h"

namespace meterd::test {

// The port mapper the nodes of one test register with, on a free port of its own and in the
// foreground, so that nothing of the test outlives it (a node would otherwise start a daemon).
class ErlangPortMapper {
 public:
  explicit ErlangPortMapper(const std::filesystem::path& dir);
  std::uint16_t port() const { return port_; }

 private:
  std::uint16_t port_;
  std::unique_ptr<ChildProcess> process_;
};

// Server certificate files for an MQTT-over-TLS listener; client certificates are required.
struct RabbitTls {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};

class RabbitNode {
 public:
  static constexpr const char* kServer = "/usr/lib/rabbitmq/bin/rabbitmq-server";
  static constexpr const char* kCtl = "/usr/lib/rabbitmq/bin/rabbitmqctl";
  // True when the server and its MQTT plugin are installed.
  static bool installed();

  // Writes the node's configuration under cluster_dir/<name>; does not start it.
  RabbitNode(std::filesystem::path cluster_dir, std::string name, const ErlangPortMapper& epmd,
             const RabbitTls& tls = {});
  ~RabbitNode();
  RabbitNode(const RabbitNode&) = delete;
  RabbitNode& operator=(const RabbitNode&) = delete;

  // Starts the node (again, on the same data) and waits until its MQTT listener accepts
  // connections; throws std::runtime_error with the node's log when it does not in `timeout`.
  void start(std::chrono::milliseconds timeout = std::chrono::seconds(120));
  // start() in two halves, for nodes that must boot together: after a cluster-wide crash each
  // node waits for its peers' tables, so starting them one after the other would not finish.
  void launch();
  void await_started(std::chrono::milliseconds timeout = std::chrono::seconds(120));
  // SIGKILL to the Erlang VM: a node crash, no goodbye to the cluster or the clients.
  void kill();
  // A clean stop (SIGTERM to the VM).
  void stop(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  bool running();

  // Runs rabbitmqctl against this node; its output, or throws with the output on failure.
  std::string ctl(const std::vector<std::string>& args,
                  std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;
  // Makes this running node a member of `seed`'s cluster (stop_app, join_cluster, start_app).
  void join(const RabbitNode& seed);

  const std::string& node() const { return node_; }  // "<name>@localhost"
  std::uint16_t mqtt_port() const { return mqtt_port_; }
  std::uint16_t mqtts_port() const { return mqtts_port_; }  // 0 without TLS
  std::string uri() const { return "tcp://127.0.0.1:" + std::to_string(mqtt_port_); }
  std::string log() const;
  pid_t vm_pid() const;  // the Erlang VM, from the pid file; -1 when not (yet) written

 private:
  std::map<std::string, std::string> environment() const;

  std::filesystem::path cluster_dir_;
  std::filesystem::path dir_;
  std::string node_;
  std::uint16_t epmd_port_;
  std::uint16_t mqtt_port_;
  std::uint16_t mqtts_port_ = 0;
  std::uint16_t amqp_port_;
  std::uint16_t dist_port_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace meterd::test
