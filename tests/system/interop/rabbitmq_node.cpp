// SPDX-License-Identifier: Apache-2.0
#include "system/interop/rabbitmq_node.h"

#include <signal.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "support/net.h"
#include "support/wait.h"

namespace meterd::test {

namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

ErlangPortMapper::ErlangPortMapper(const std::filesystem::path& dir) : port_(free_tcp_port()) {
  std::filesystem::create_directories(dir);
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{"/usr/bin/epmd", "-port", std::to_string(port_), "-address",
                               "127.0.0.1"},
      (dir / "epmd.log").string());
  if (!wait_for_listener(port_, std::chrono::seconds(10))) {
    throw std::runtime_error("epmd did not start: " + process_->log());
  }
}

bool RabbitNode::installed() {
  if (!std::filesystem::exists(kServer) || !std::filesystem::exists("/usr/bin/epmd")) return false;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/rabbitmq/lib")) {
    const auto plugins = entry.path() / "plugins";
    if (!std::filesystem::is_directory(plugins)) continue;
    for (const auto& plugin : std::filesystem::directory_iterator(plugins)) {
      if (plugin.path().filename().string().starts_with("rabbitmq_mqtt-")) return true;
    }
  }
  return false;
}

RabbitNode::RabbitNode(std::filesystem::path cluster_dir, std::string name,
                       const ErlangPortMapper& epmd, const RabbitTls& tls)
    : cluster_dir_(std::move(cluster_dir)),
      dir_(cluster_dir_ / name),
      node_(name + "@localhost"),
      epmd_port_(epmd.port()),
      mqtt_port_(free_tcp_port()),
      amqp_port_(free_tcp_port()),
      dist_port_(free_tcp_port()) {
  std::filesystem::create_directories(dir_);
  // One HOME, so one Erlang cookie, for every node of the cluster and for rabbitmqctl.
  const auto home = cluster_dir_ / "home";
  std::filesystem::create_directories(home);
  const auto cookie = home / ".erlang.cookie";
  if (!std::filesystem::exists(cookie)) {
    std::ofstream(cookie) << "meterd-interop-test-cookie";
    ::chmod(cookie.c_str(), 0400);
  }
  // The plugin is enabled the way `rabbitmq-plugins --offline enable rabbitmq_mqtt` does it:
  // the enabled-plugins file, read at boot.
  std::ofstream(dir_ / "enabled_plugins") << "[rabbitmq_mqtt].\n";
  std::ofstream conf(dir_ / "rabbitmq.conf");
  conf << "listeners.tcp.default = 127.0.0.1:" << amqp_port_ << "\n"
       << "mqtt.listeners.tcp.default = 127.0.0.1:" << mqtt_port_ << "\n"
       << "mqtt.allow_anonymous = true\n"
       << "mqtt.tcp_listen_options.nodelay = true\n"
       // A test machine's disk may be small: do not block publishers at the default 50 MB.
       << "disk_free_limit.absolute = 1MB\n"
       << "log.console = true\nlog.console.level = info\nlog.file = false\n";
  if (!tls.cert_file.empty()) {
    mqtts_port_ = free_tcp_port();
    conf << "mqtt.listeners.ssl.default = 127.0.0.1:" << mqtts_port_ << "\n"
         << "ssl_options.cacertfile = " << tls.ca_file << "\n"
         << "ssl_options.certfile = " << tls.cert_file << "\n"
         << "ssl_options.keyfile = " << tls.key_file << "\n"
         << "ssl_options.verify = verify_peer\n"
         << "ssl_options.fail_if_no_peer_cert = true\n";
  }
  if (!conf) throw std::runtime_error("cannot write " + (dir_ / "rabbitmq.conf").string());
}

RabbitNode::~RabbitNode() {
  if (running()) kill();
}

std::map<std::string, std::string> RabbitNode::environment() const {
  const std::string d = dir_.string();
  return {
      {"HOME", (cluster_dir_ / "home").string()},
      {"ERL_EPMD_PORT", std::to_string(epmd_port_)},
      {"RABBITMQ_NODENAME", node_},
      {"RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1"},
      {"RABBITMQ_NODE_PORT", std::to_string(amqp_port_)},
      {"RABBITMQ_DIST_PORT", std::to_string(dist_port_)},
      {"RABBITMQ_MNESIA_BASE", d + "/mnesia"},
      {"RABBITMQ_LOG_BASE", d + "/log"},
      {"RABBITMQ_LOGS", "-"},
      {"RABBITMQ_CONFIG_FILE", d + "/rabbitmq.conf"},
      {"RABBITMQ_ADVANCED_CONFIG_FILE", d + "/advanced.config"},
      {"RABBITMQ_CONF_ENV_FILE", d + "/rabbitmq-env.conf"},
      {"RABBITMQ_ENABLED_PLUGINS_FILE", d + "/enabled_plugins"},
      {"RABBITMQ_PLUGINS_EXPAND_DIR", d + "/plugins-expand"},
      {"RABBITMQ_PID_FILE", d + "/rabbitmq.pid"},
      // The distribution listener on loopback only.
      {"RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "-kernel inet_dist_use_interface {127,0,0,1}"},
  };
}

pid_t RabbitNode::vm_pid() const {
  const std::string text = read_file(dir_ / "rabbitmq.pid");
  try {
    return text.empty() ? -1 : static_cast<pid_t>(std::stol(text));
  } catch (const std::exception&) {
    return -1;
  }
}

void RabbitNode::start(std::chrono::milliseconds timeout) {
  if (running()) return;
  launch();
  await_started(timeout);
}

void RabbitNode::launch() {
  if (running()) return;
  std::filesystem::remove(dir_ / "rabbitmq.pid");
  process_ = std::make_unique<ChildProcess>(std::vector<std::string>{kServer},
                                            (dir_ / "rabbitmq.log").string(), environment());
}

void RabbitNode::await_started(std::chrono::milliseconds timeout) {
  if (!process_) throw std::logic_error("RabbitNode " + node_ + ": await_started before launch");
  const bool up =
      wait_for([&] { return !process_->is_running() || accepts_connections(mqtt_port_); }, timeout,
               std::chrono::milliseconds(100));
  if (!up || !process_->is_running()) {
    throw std::runtime_error("RabbitMQ node " + node_ + " did not start:\n" + log());
  }
  // The pid file is written early in the boot; it is there by the time MQTT listens.
  if (!wait_for([&] { return vm_pid() > 0; }, std::chrono::seconds(10))) {
    throw std::runtime_error("RabbitMQ node " + node_ + " wrote no pid file");
  }
}

void RabbitNode::kill() {
  if (!process_) return;
  const pid_t vm = vm_pid();
  if (vm > 0) ::kill(vm, SIGKILL);
  process_->send_signal(SIGKILL);  // the start script that waits for the VM
  process_->wait(std::chrono::seconds(10));
  process_.reset();
  // The VM is not our child; it is gone once its listener is.
  wait_for([&] { return !accepts_connections(mqtt_port_); }, std::chrono::seconds(10));
}

void RabbitNode::stop(std::chrono::milliseconds timeout) {
  if (!process_) return;
  const pid_t vm = vm_pid();
  if (vm > 0) ::kill(vm, SIGTERM);
  if (!process_->wait(timeout)) kill();
  process_.reset();
}

bool RabbitNode::running() { return process_ && process_->is_running(); }

std::string RabbitNode::ctl(const std::vector<std::string>& args,
                            std::chrono::milliseconds timeout) const {
  std::vector<std::string> argv{kCtl, "-n", node_};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto log_file = dir_ / "rabbitmqctl.log";
  std::filesystem::remove(log_file);
  ChildProcess ctl(argv, log_file.string(), environment());
  const auto status = ctl.wait(timeout);
  const std::string out = ctl.log();
  if (!status || !status->exited || status->code != 0) {
    std::string joined;
    for (const auto& a : args) joined += " " + a;
    throw std::runtime_error("rabbitmqctl" + joined + " on " + node_ + " failed:\n" + out);
  }
  return out;
}

void RabbitNode::join(const RabbitNode& seed) {
  ctl({"stop_app"});
  ctl({"join_cluster", seed.node()});
  ctl({"start_app"});
  if (!wait_for_listener(mqtt_port_, std::chrono::seconds(60))) {
    throw std::runtime_error(node_ + " did not listen again after joining:\n" + log());
  }
}

std::string RabbitNode::log() const { return read_file(dir_ / "rabbitmq.log"); }

}  // namespace meterd::test
