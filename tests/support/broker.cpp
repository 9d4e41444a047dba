// SPDX-License-Identifier: Apache-2.0
#include "support/broker.h"

#include <unistd.h>

#include <csignal>
#include <fstream>
#include <stdexcept>

#include "support/net.h"
#include "support/wait.h"

namespace meterd::test {

MosquittoBroker::MosquittoBroker(std::filesystem::path dir, std::uint16_t port)
    : dir_(std::move(dir)), port_(port != 0 ? port : free_tcp_port()) {
  std::filesystem::create_directories(dir_ / "mosquitto-data");
  std::ofstream conf(dir_ / "mosquitto.conf");
  conf << "listener " << port_ << " 127.0.0.1\n"
       << "allow_anonymous true\n"
       << "persistence true\n"
       << "persistence_location " << (dir_ / "mosquitto-data").string() << "/\n"
       << "autosave_interval 1\n"
       << "max_queued_messages 0\n"  // unlimited: tests count every message
       << "log_dest stderr\n"
       << "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n"
       << "connection_messages true\n"
       << "log_timestamp_format %H:%M:%S\n";
  // As root, mosquitto would drop to the "mosquitto" user, which cannot write our directory.
  if (::geteuid() == 0) conf << "user root\n";
  if (!conf) throw std::runtime_error("cannot write " + (dir_ / "mosquitto.conf").string());
}

MosquittoBroker::~MosquittoBroker() {
  if (running()) stop(std::chrono::seconds(5));
}

void MosquittoBroker::start(std::chrono::milliseconds timeout) {
  if (running()) return;
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{kBinary, "-c", (dir_ / "mosquitto.conf").string()},
      (dir_ / "mosquitto.log").string());
  const bool up = wait_for([&] { return !process_->is_running() || accepts_connections(port_); },
                           timeout, std::chrono::milliseconds(20));
  if (!up || !process_->is_running()) {
    const std::string log = process_->log();
    process_.reset();
    throw std::runtime_error("mosquitto did not start on port " + std::to_string(port_) + ":\n" +
                             log);
  }
}

void MosquittoBroker::stop(std::chrono::milliseconds timeout) {
  if (!process_) return;
  process_->terminate(timeout);
  process_.reset();
}

void MosquittoBroker::kill() {
  if (!process_) return;
  process_->send_signal(SIGKILL);
  process_->wait(std::chrono::seconds(5));
  process_.reset();
}

bool MosquittoBroker::running() { return process_ && process_->is_running(); }

std::string MosquittoBroker::uri() const { return "tcp://127.0.0.1:" + std::to_string(port_); }

std::string MosquittoBroker::log() const {
  std::ifstream in(dir_ / "mosquitto.log");
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace meterd::test
