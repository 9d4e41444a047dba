// SPDX-License-Identifier: Apache-2.0
#include "system/interop/interop_brokers.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "support/net.h"
#include "support/process.h"
#include "support/wait.h"
#include "system/interop/rabbitmq_node.h"
#include "system/test_pki.h"

namespace meterd::test {

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string tls_uri_for(std::uint16_t port) { return "ssl://localhost:" + std::to_string(port); }

// A broker that is one child process with a configuration file.
class ProcessBroker : public InteropBroker {
 public:
  void start() override {
    process_ = std::make_unique<ChildProcess>(argv_, log_file_, env_);
    const bool up = wait_for(
        [&] {
          return !process_->is_running() ||
                 (accepts_connections(port_) && (tls_port_ == 0 || accepts_connections(tls_port_)));
        },
        std::chrono::seconds(60), std::chrono::milliseconds(50));
    if (!up || !process_->is_running()) throw std::runtime_error("broker did not start:\n" + log());
  }
  std::string uri() const override { return "tcp://127.0.0.1:" + std::to_string(port_); }
  std::string tls_uri() const override { return tls_port_ ? tls_uri_for(tls_port_) : ""; }
  std::string log() const override { return read_file(log_file_); }

 protected:
  std::uint16_t port_ = free_tcp_port();
  std::uint16_t tls_port_ = free_tcp_port();
  std::vector<std::string> argv_;
  std::map<std::string, std::string> env_;
  std::string log_file_;
  std::unique_ptr<ChildProcess> process_;
};

class Mosquitto : public ProcessBroker {
 public:
  explicit Mosquitto(const TempDir& dir) {
    const std::string conf = dir.file("mosquitto.conf");
    std::ofstream out(conf);
    // As root, mosquitto would drop to the "mosquitto" user, which cannot read our files.
    if (::geteuid() == 0) out << "user root\n";
    out << "per_listener_settings true\n"
        << "listener " << port_ << " 127.0.0.1\nallow_anonymous true\n"
        << "listener " << tls_port_ << " 127.0.0.1\nallow_anonymous true\n"
        << "cafile " << dir.file(std::string(kTlsPrefix) + "ca.pem") << "\n"
        << "certfile " << dir.file(std::string(kTlsPrefix) + "server.pem") << "\n"
        << "keyfile " << dir.file(std::string(kTlsPrefix) + "server.key") << "\n"
        << "require_certificate true\n"
        << "max_queued_messages 0\n"
        << "log_dest stderr\nconnection_messages true\n";
    argv_ = {"/usr/sbin/mosquitto", "-c", conf};
    log_file_ = dir.file("mosquitto.log");
  }
};

// ejabberd's own MQTT broker (mod_mqtt), started with erl directly rather than through
// ejabberdctl, which as root switches to the ejabberd user (who cannot read the test's files).
class Ejabberd : public ProcessBroker {
 public:
  static bool installed() {
    return std::filesystem::exists("/usr/bin/erl") &&
           std::filesystem::exists("/usr/sbin/ejabberdctl");
  }
  explicit Ejabberd(const TempDir& dir) {
    const std::string spool = dir.file("ejabberd-spool");
    std::filesystem::create_directories(spool);
    const std::string conf = dir.file("ejabberd.yml");
    const auto pki = [&](const std::string& n) { return dir.file(std::string(kTlsPrefix) + n); };
    std::ofstream out(conf);
    out << "hosts: [\"localhost\"]\n"
        << "loglevel: info\n"
        << "certfiles: [\"" << pki("server.pem") << "\", \"" << pki("server.key") << "\"]\n"
        << "ca_file: \"" << pki("ca.pem")
        << "\"\n"
        // Anonymous logins: any user name and password; none at all is refused.
        << "auth_method: [anonymous]\nanonymous_protocol: login_anon\n"
        << "allow_multiple_connections: true\n"
        << "listen:\n"
        << "  - {port: " << port_ << ", ip: \"127.0.0.1\", module: mod_mqtt}\n"
        << "  - {port: " << tls_port_ << ", ip: \"127.0.0.1\", module: mod_mqtt, tls: true,"
        << " tls_verify: true}\n"
        << "modules:\n"
        << "  mod_mqtt:\n"
        << "    access_subscribe: {\"#\": all}\n"
        << "    access_publish: {\"#\": all}\n"
        // The defaults (5 minutes, 5000 messages) would drop a gateway's session, with its
        // queued commands, after a short absence.
        << "    session_expiry: 2592000\n"  // seconds: 30 days
        << "    max_queue: unlimited\n";
    argv_ = {"/usr/bin/erl", "-noinput", "-mnesia", "dir", "\"" + spool + "\"", "-s", "ejabberd"};
    env_ = {{"HOME", dir.path().string()},
            {"EJABBERD_CONFIG_PATH", conf},
            {"EJABBERD_LOG_PATH", dir.file("ejabberd.log")},
            {"ERL_LIBS", "/usr/lib/x86_64-linux-gnu"}};
    log_file_ = dir.file("ejabberd.out");
    log_path_ = dir.file("ejabberd.log");
  }
  std::optional<std::pair<std::string, std::string>> credentials() const override {
    return std::make_pair(std::string("gw-test"), std::string("any"));
  }
  std::string log() const override { return ProcessBroker::log() + read_file(log_path_); }

 private:
  std::string log_path_;
};

class Rabbit : public InteropBroker {
 public:
  explicit Rabbit(const TempDir& dir)
      : epmd_(dir.path() / "epmd"),
        node_(dir.path() / "rabbitmq", "interop", epmd_,
              RabbitTls{dir.file(std::string(kTlsPrefix) + "ca.pem"),
                        dir.file(std::string(kTlsPrefix) + "server.pem"),
                        dir.file(std::string(kTlsPrefix) + "server.key")}) {}
  void start() override { node_.start(); }
  std::string uri() const override { return node_.uri(); }
  std::string tls_uri() const override { return tls_uri_for(node_.mqtts_port()); }
  std::string log() const override { return node_.log(); }

 private:
  ErlangPortMapper epmd_;
  RabbitNode node_;
};

}  // namespace

std::vector<std::string> interop_broker_kinds() { return {"mosquitto", "rabbitmq", "ejabberd"}; }

std::unique_ptr<InteropBroker> make_interop_broker(const std::string& kind, const TempDir& dir,
                                                   std::string& absent) {
  if (kind == "mosquitto" && !std::filesystem::exists("/usr/sbin/mosquitto")) {
    absent = "mosquitto is not installed (Debian package mosquitto)";
    return nullptr;
  }
  if (kind == "rabbitmq" && !RabbitNode::installed()) {
    absent = "RabbitMQ with its MQTT plugin is not installed (Debian package rabbitmq-server)";
    return nullptr;
  }
  if (kind == "ejabberd" && !Ejabberd::installed()) {
    absent = "ejabberd is not installed (Debian package ejabberd)";
    return nullptr;
  }
  make_pki(dir, kTlsPrefix, "localhost");
  if (kind == "mosquitto") return std::make_unique<Mosquitto>(dir);
  if (kind == "rabbitmq") return std::make_unique<Rabbit>(dir);
  if (kind == "ejabberd") return std::make_unique<Ejabberd>(dir);
  absent = "unknown broker " + kind;
  return nullptr;
}

}  // namespace meterd::test
