// SPDX-License-Identifier: Apache-2.0
#include "app/daemon.h"

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "app/backup_runner.h"
#include "app/bus_fleet.h"
#include "app/event_log.h"
#include "app/fleet_action_port.h"
#include "app/health_report.h"
#include "app/local_control_server.h"
#include "app/logging.h"
#include "app/loop_guard.h"
#include "app/reading_router.h"
#include "app/systemd_notifier.h"
#include "commands/command_service.h"
#include "core/json_text.h"
#include "store/sqlite_engine_store.h"
#include "store/store.h"
#include "uplink/uplink.h"

namespace meterd {
namespace asio = boost::asio;

namespace {

// Every event also goes to the journal: one line, a warning for those an operator must see.
void log_event(const Event& event) {
  try {
    const std::string line = event_log_line(event);
    if (event_is_warning(event.type)) {
      spdlog::warn("{}", line);
    } else {
      spdlog::info("{}", line);
    }
  } catch (...) {
    // A log line is never worth an event lost: the store takes it whatever happens here.
  }
}

}  // namespace

class Daemon::Impl {
 public:
  Impl(std::string config_path, PluginDirChoice plugin_dirs, ValidatedConfig validated)
      : config_path_(std::move(config_path)),
        plugin_dirs_(std::move(plugin_dirs)),
        config_(*validated.config) {
    store_ = std::make_unique<Store>(config_.store, clock_, [this](std::int64_t max_seq) {
      asio::post(loop_, guard_.wrap("outbox commit", [this, max_seq] {
        if (uplink_) uplink_->on_outbox_committed(max_seq);
      }));
    });
    store_->set_event_observer(log_event);
    engine_store_ = std::make_unique<SqliteEngineStore>(*store_);
    router_ = std::make_unique<ReadingRouter>(*store_);
    uplink_ = std::make_unique<Uplink>(loop_, config_, *store_);
    fleet_ = make_fleet(validated);
    engine_ = make_engine(std::move(validated.billing));
    command_key_ = validated.command_key;
    commands_ = make_commands();
    local_ = make_local_control();
  }

  int run() {
    signals_.async_wait(
        [this](const boost::system::error_code& ec, int signo) { on_signal(ec, signo); });
    try {
      engine_->start();
      commands_->start();
      if (local_) local_->start();
    } catch (const std::exception& e) {
      spdlog::critical("{}", e.what());
      return 1;
    }
    router_->set_engine(engine_.get());
    take_commands(*uplink_);
    uplink_->start();
    fleet_->start();
    started_ = clock_.steady_now();
    spdlog::info("meterd {} running: gateway '{}', {} meters on {} buses", METERD_VERSION,
                 config_.gateway_id, fleet_->meter_count(), config_.buses.size());
    notifier_.ready(status_line(snapshot(false), fleet_->meter_count()));
    schedule_health();
    schedule_watchdog();
    schedule_engine_tick();
    // Every handler has a guard of its own that names it; serve() catches what a handler
    // without one lets through (a socket or signal handler), so that nothing ends the loop.
    guard_.serve(loop_);
    return exit_code_;
  }

 private:
  // Posts `fn` to the loop behind the guard, named `handler`.
  std::function<void(std::function<void()>)> poster(const char* handler) {
    return [this, handler](std::function<void()> fn) {
      asio::post(loop_, guard_.wrap(handler, std::move(fn)));
    };
  }

  std::unique_ptr<Engine> make_engine(BillingConfig billing) {
    return std::make_unique<Engine>(*engine_store_, clock_, std::move(billing), action_port_,
                                    poster("engine"));
  }

  void take_commands(Uplink& uplink) {
    uplink.set_command_handler([this](std::string payload) {
      guard_.run("command intake", [&] {
        if (commands_) commands_->on_message(payload);
      });
    });
  }

  std::unique_ptr<CommandService> make_commands() {
    MeterDirectory directory;
    for (const BusConfig& bus : config_.buses) {
      for (const MeterSpec& meter : bus.spec.meters) {
        auto tags = bus.meter_tags.find(meter.id);
        directory.add(meter.id, tags == bus.meter_tags.end()
                                    ? std::map<std::string, std::string>{}
                                    : tags->second);
      }
    }
    CommandSettings settings;
    settings.key = command_key_;
    settings.window = config_.commands.issued_at_window;
    auto service = std::make_unique<CommandService>(*store_, clock_, *engine_, action_port_,
                                                    std::move(directory), std::move(settings),
                                                    poster("commands"));
    service->set_result_observer([this](const std::string& id, const nlohmann::json& body) {
      if (local_) local_->on_result(id, body);
    });
    return service;
  }

  // The socket's settings take effect at start; a reload keeps the running socket.
  std::unique_ptr<LocalControlServer> make_local_control() {
    const std::optional<std::string> path =
        local_socket_path(config_.local, std::getenv("RUNTIME_DIRECTORY"));
    if (!path) return nullptr;
    backup_ = std::make_unique<BackupRunner>(loop_, config_.store.path);
    LocalControlServer::Hooks hooks{
        [this] { return health_json(snapshot(false)); }, [this] { return commands_.get(); },
        [this](std::string destination, std::function<void(std::string)> reply) {
          backup_->start(std::move(destination), std::move(reply));
        }};
    return std::make_unique<LocalControlServer>(loop_, *path, config_.local.command_timeout,
                                                std::move(hooks));
  }

  void schedule_engine_tick() {
    engine_timer_.expires_after(std::chrono::seconds(1));
    engine_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      guard_.run("engine tick", [this] { engine_->on_tick(); });
      guard_.run("command tick", [this] { commands_->on_tick(); });
      schedule_engine_tick();
    });
  }

  std::unique_ptr<BusFleet> make_fleet(ValidatedConfig& validated) {
    return std::make_unique<BusFleet>(validated, clock_, [this](BusOutput output) {
      asio::post(loop_, guard_.wrap("reading router", [this, out = std::move(output)]() mutable {
        router_->route(std::move(out));
      }));
    });
  }

  void on_signal(const boost::system::error_code& ec, int signo) {
    if (ec) return;
    if (signo == SIGHUP) {
      guard_.run("reload", [this] { reload(); });
      signals_.async_wait([this](const boost::system::error_code& e, int s) { on_signal(e, s); });
      return;
    }
    spdlog::info("signal {}: finishing current work, flushing the store", signo);
    shutdown();
  }

  void shutdown() {
    notifier_.stopping();
    if (local_) local_->stop();
    health_timer_.cancel();
    watchdog_timer_.cancel();
    engine_timer_.cancel();
    const bool buses_stopped = fleet_->stop(std::chrono::milliseconds(2500));
    // Readings the bus threads posted before they stopped are still queued on the loop
    // (handlers run in order): finish after them so nothing read is lost.
    asio::post(loop_, [this, buses_stopped] { finish_shutdown(buses_stopped); });
  }

  void finish_shutdown(bool buses_stopped) {
    commands_->stop();
    engine_->stop();  // pending deductions go to the ledger
    store_->flush();
    uplink_->stop(std::chrono::milliseconds(1000));
    store_->flush();
    spdlog::info("stopped: store flushed, last seq {}", store_->stats().last_seq);
    if (!buses_stopped) {
      spdlog::default_logger()->flush();
      std::_Exit(0);  // a bus thread is stuck in a driver call; the store is safe already
    }
    loop_.stop();
  }

  void reload() {
    notifier_.reloading();
    spdlog::info("SIGHUP: reloading {}", config_path_);
    DriverEnv env{&clock_};
    ValidatedConfig validated = load_and_validate(config_path_, env, plugin_dirs_);
    std::string refusal;
    if (!validated.config) {
      for (const auto& e : validated.errors.all()) refusal += e.to_string() + "\n";
    } else if (validated.config->gateway_id != config_.gateway_id) {
      refusal = "gateway_id cannot change on reload (restart the service)";
    } else if (validated.config->store.path != config_.store.path) {
      refusal = "store.path cannot change on reload (restart the service)";
    }
    if (!refusal.empty()) {
      spdlog::error("reload rejected, keeping the running configuration:\n{}", refusal);
      nlohmann::json details = {{"file", config_path_}, {"errors", refusal}};
      store_->append_event(Event{"config_rejected", "", clock_.wall_now(), json_text(details)});
      notifier_.ready(status_line(snapshot(false), fleet_->meter_count()));
      return;
    }
    // Buses are rebuilt from the new file; the uplink is rebuilt when its settings changed.
    // Readings of the old buses still queued on the loop route to the same store.
    fleet_->stop(std::chrono::milliseconds(2500));
    // The engine is rebuilt from the store and the new billing section; readings of the old
    // buses still queued on the loop go to the new engine, which bills them the same.
    commands_->stop();
    engine_->stop();
    router_->set_engine(nullptr);
    commands_.reset();
    engine_ = make_engine(std::move(validated.billing));
    command_key_ = validated.command_key;
    commands_ = make_commands();
    try {
      engine_->start();
      commands_->start();
      router_->set_engine(engine_.get());
    } catch (const std::exception& e) {
      spdlog::error("reload: {}; billing is suspended until the next reload", e.what());
    }
    const bool mqtt_changed = !same_mqtt(validated.config->mqtt, config_.mqtt);
    config_ = *validated.config;
    set_log_level(config_.log_level);
    fleet_ = make_fleet(validated);
    if (mqtt_changed) {
      uplink_->stop(std::chrono::milliseconds(1000));
      uplink_ = std::make_unique<Uplink>(loop_, config_, *store_);
      take_commands(*uplink_);
      uplink_->start();
    }
    fleet_->start();
    nlohmann::json details = {{"file", config_path_},
                              {"meters", fleet_->meter_count()},
                              {"mqtt_reconnected", mqtt_changed}};
    store_->append_event(Event{"config_reloaded", "", clock_.wall_now(), json_text(details)});
    spdlog::info("reloaded: {} meters on {} buses", fleet_->meter_count(), config_.buses.size());
    notifier_.ready(status_line(snapshot(false), fleet_->meter_count()));
  }

  static bool same_mqtt(const MqttConfig& a, const MqttConfig& b) {
    return a.servers == b.servers && a.client_id == b.client_id &&
           a.credentials_file == b.credentials_file && a.tls.enabled == b.tls.enabled &&
           a.tls.ca_file == b.tls.ca_file && a.tls.cert_file == b.tls.cert_file &&
           a.tls.key_file == b.tls.key_file && a.tls.verify_hostname == b.tls.verify_hostname &&
           a.keepalive == b.keepalive && a.max_inflight == b.max_inflight &&
           a.drain_batch == b.drain_batch && a.reconnect_min == b.reconnect_min &&
           a.reconnect_max == b.reconnect_max && a.health_interval == b.health_interval;
  }

  // `take_bus_stats` resets the buses' per-interval latency figures.
  HealthSnapshot snapshot(bool take_bus_stats) {
    HealthSnapshot s;
    s.gateway_id = config_.gateway_id;
    s.store_id = store_->store_id();
    s.time = clock_.wall_now();
    s.uptime = std::chrono::duration_cast<std::chrono::seconds>(clock_.steady_now() - started_);
    if (take_bus_stats) {
      for (BusWorker* worker : fleet_->workers()) {
        s.buses.push_back({worker->name(), worker->snapshot()});
      }
      last_buses_ = s.buses;
    } else {
      s.buses = last_buses_;
    }
    s.store = store_->stats();
    s.uplink = uplink_->stats();
    s.engine = engine_->stats();
    if (commands_) s.commands = commands_->stats();
    s.loop_internal_errors = guard_.count();
    return s;
  }

  void schedule_health() {
    health_timer_.expires_after(config_.mqtt.health_interval);
    health_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      guard_.run("health report", [this] {
        HealthSnapshot s = snapshot(true);
        uplink_->publish_volatile("health", health_json(s));
        notifier_.status(status_line(s, fleet_->meter_count()));
      });
      schedule_health();
    });
  }

  void schedule_watchdog() {
    const auto period = notifier_.watchdog_period();
    if (!period) return;
    watchdog_timer_.expires_after(*period / 3);
    watchdog_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      const SteadyTime now = clock_.steady_now();
      const bool store_alive = now - store_->last_progress() <
                               config_.store.commit_interval * 10 + std::chrono::seconds(20);
      if (store_alive && fleet_->all_progressing(now)) {
        notifier_.watchdog();
      } else {
        spdlog::error("watchdog withheld: {} thread stalled", store_alive ? "a bus" : "the store");
      }
      schedule_watchdog();
    });
  }

  std::string config_path_;
  PluginDirChoice plugin_dirs_;
  AppConfig config_;
  SystemClock clock_;
  asio::io_context loop_;
  asio::signal_set signals_{loop_, SIGTERM, SIGINT, SIGHUP};
  asio::steady_timer health_timer_{loop_};
  asio::steady_timer watchdog_timer_{loop_};
  asio::steady_timer engine_timer_{loop_};
  SystemdNotifier notifier_;
  LoopGuard guard_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<SqliteEngineStore> engine_store_;  // the engine's view of store_
  std::unique_ptr<ReadingRouter> router_;
  std::unique_ptr<Uplink> uplink_;
  std::unique_ptr<BusFleet> fleet_;
  FleetActionPort action_port_{loop_, [this] { return fleet_.get(); }};
  std::unique_ptr<Engine> engine_;
  std::optional<HmacKey> command_key_;
  std::unique_ptr<CommandService> commands_;
  std::unique_ptr<LocalControlServer> local_;
  std::unique_ptr<BackupRunner> backup_;  // after loop_: its thread posts to the loop
  std::vector<BusHealth> last_buses_;
  SteadyTime started_{};
  int exit_code_ = 0;
};

Daemon::Daemon(std::string config_path, PluginDirChoice plugin_dirs, ValidatedConfig validated)
    : impl_(std::make_unique<Impl>(std::move(config_path), std::move(plugin_dirs),
                                   std::move(validated))) {}
Daemon::~Daemon() = default;
int Daemon::run() { return impl_->run(); }

}  // namespace meterd
