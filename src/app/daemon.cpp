// SPDX-License-Identifier: Apache-2.0
#include "app/daemon.h"

#include <spdlog/spdlog.h>
#include <sys/statvfs.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "app/backup_runner.h"
#include "app/bus_fleet.h"
#include "app/clock_state.h"
#include "app/config_fingerprint.h"
#include "app/event_log.h"
#include "app/fleet_action_port.h"
#include "app/health_report.h"
#include "app/local_reports.h"
#include "app/logging.h"
#include "app/loop_guard.h"
#include "app/meter_board.h"
#include "app/metrics_server.h"
#include "app/metrics_text.h"
#include "app/metrics_textfile.h"
#include "app/reading_router.h"
#include "app/systemd_notifier.h"
#include "bus/output_inbox.h"
#include "commands/command_service.h"
#include "core/json_text.h"
#include "local/local_control_server.h"
#include "store/report_reads.h"
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
    router_ = std::make_unique<ReadingRouter>(*store_, board_);
    config_hash_ = config_fingerprint(config_path_);
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
      start_metrics();
    } catch (const std::exception& e) {
      spdlog::critical("{}", e.what());
      return 1;
    }
    router_->set_engine(engine_.get());
    take_commands(*uplink_);
    uplink_->start();
    fleet_->start();
    started_ = clock_.steady_now();
    watch_clock();
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
        directory.add(meter.id, tags == bus.meter_tags.end() ? std::map<std::string, std::string>{}
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
        [this](const LocalRequest& request, std::function<void(std::string)> reply) {
          report(request, std::move(reply));
        },
        [this] { return commands_.get(); },
        [this](std::string destination, std::function<void(std::string)> reply) {
          backup_->start(std::move(destination), std::move(reply));
        }};
    return std::make_unique<LocalControlServer>(loop_, *path, config_.local.command_timeout,
                                                std::move(hooks));
  }

  // The technician's reports (docs/meterctl.md). `backlog` and `account` read the store on its
  // thread and wait for it: a short read, asked for by a person, not on any data path.
  void report(const LocalRequest& request, std::function<void(std::string)> reply) {
    switch (request.kind) {
      case LocalRequest::Kind::kStatus:
        return with_backlog_age(
            false, [reply = std::move(reply)](const HealthSnapshot& s) { reply(health_json(s)); });
      case LocalRequest::Kind::kMeters:
        return reply(meters_report(board_.entries(), meter_facts(), clock_.wall_now()));
      case LocalRequest::Kind::kBacklog: {
        BacklogFigures figures;
        const Status read = store_->read_state([&figures](SqliteDb& db) -> Status {
          Result<BacklogFigures> got = read_backlog_figures(db);
          if (!got) return got.error();
          figures = got.value();
          return Ok{};
        });
        if (!read.ok()) return reply(local_error_line("store_error", read.error().message));
        return reply(backlog_report(figures, store_->stats(), clock_.wall_now()));
      }
      case LocalRequest::Kind::kAccount: {
        const AccountRuntime* account = engine_ ? engine_->account(request.account_id) : nullptr;
        if (!account) {
          return reply(local_error_line("unknown_account",
                                        "no account '" + printable(request.account_id, 64) + "'"));
        }
        std::vector<MoneyMovement> recharges;
        const std::string id = account->id;
        const Status read = store_->read_state([&recharges, &id](SqliteDb& db) -> Status {
          Result<std::vector<MoneyMovement>> got = read_recent_recharges(db, id, 5);
          if (!got) return got.error();
          recharges = std::move(got.value());
          return Ok{};
        });
        if (!read.ok()) return reply(local_error_line("store_error", read.error().message));
        account = engine_->account(id);  // the engine may have moved on while the store read
        if (!account) return reply(local_error_line("unknown_account", "no account '" + id + "'"));
        std::vector<MeterBoardEntry> meters;
        for (const MeterBoardEntry& entry : board_.entries()) {
          if (std::find(account->meters.begin(), account->meters.end(), entry.meter_id) !=
              account->meters.end()) {
            meters.push_back(entry);
          }
        }
        return reply(account_report(*account, meters, meter_facts(), recharges, clock_.wall_now()));
      }
      default:
        return reply(local_error_line("bad_request", "not a report"));
    }
  }

  MeterFacts meter_facts() {
    MeterFacts facts;
    facts.relay_of = [this](const std::string& meter) -> std::optional<std::string> {
      return engine_ ? engine_->relay_json(meter) : std::nullopt;
    };
    facts.account_of = [this](const std::string& meter) -> std::string {
      const MeterRuntime* runtime = engine_ ? engine_->meter(meter) : nullptr;
      return runtime ? runtime->account_id : "";
    };
    for (BusWorker* worker : fleet_->workers())
      facts.poll_errors.merge(worker->meter_poll_errors());
    return facts;
  }

  // The clock's state now; a change of it is an event (clock_unsynchronized, ...).
  void watch_clock() {
    clock_state_ = read_clock_state(clock_override_file_);
    if (const char* type = clock_watch_.observe(clock_state_.synchronized)) {
      nlohmann::json details = {{"source", clock_state_.source}};
      store_->append_event(Event{type, "", clock_.wall_now(), json_text(details)});
    }
  }

  // The endpoint's settings take effect at start; a reload keeps the running endpoint.
  void start_metrics() {
    const std::optional<MetricsListen>& listen = config_.metrics.listen;
    if (!listen) return;
    MetricsServerSettings settings;
    settings.host = listen->host;
    settings.port = listen->port;
    settings.max_connections = config_.metrics.max_connections;
    settings.read_timeout = config_.metrics.read_timeout;
    metrics_ = std::make_unique<MetricsServer>(
        loop_, std::move(settings), [this] { return metric_set(snapshot(false, true)).text(); });
    metrics_->start();
  }

  // The health report's metrics and the ones from the configuration.
  MetricSet metric_set(const HealthSnapshot& s) const {
    MetricSet set;
    health_metrics(s, set);
    set.gauge("meterd_store_budget_bytes", "The store's size budget (store.budget).",
              static_cast<double>(config_.store.budget_bytes), {}, "bytes");
    return set;
  }

  void schedule_engine_tick() {
    engine_timer_.expires_after(std::chrono::seconds(1));
    engine_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      guard_.run("engine tick", [this] { engine_->on_tick(); });
      guard_.run("command tick", [this] { commands_->on_tick(); });
      guard_.run("clock watch", [this] { watch_clock(); });
      schedule_engine_tick();
    });
  }

  std::unique_ptr<BusFleet> make_fleet(ValidatedConfig& validated) {
    std::vector<std::pair<std::string, std::string>> meters;
    for (const BusConfig& bus : validated.config->buses) {
      for (const MeterSpec& meter : bus.spec.meters) meters.emplace_back(meter.id, bus.spec.name);
    }
    board_.set_meters(meters);
    return std::make_unique<BusFleet>(
        validated, clock_, [this](BusOutput output) { bus_outputs_.push(std::move(output)); },
        [this] { bus_outputs_.hand_over(); });
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
    if (metrics_) metrics_->stop();
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
    config_hash_ = config_fingerprint(config_path_);
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
           a.drain_batch == b.drain_batch && a.pack_min_rows == b.pack_min_rows &&
           a.pack_max_rows == b.pack_max_rows && a.pack_max_bytes == b.pack_max_bytes &&
           a.reconnect_min == b.reconnect_min && a.reconnect_max == b.reconnect_max &&
           a.health_interval == b.health_interval;
  }

  // `take_bus_stats` resets the buses' per-interval latency figures; `fresh_bus_stats` reads
  // the buses' counters now without resetting them (a scrape), else the last health's are used.
  HealthSnapshot snapshot(bool take_bus_stats, bool fresh_bus_stats = false) {
    HealthSnapshot s;
    s.gateway_id = config_.gateway_id;
    s.store_id = store_->store_id();
    s.time = clock_.wall_now();
    s.uptime = std::chrono::duration_cast<std::chrono::seconds>(clock_.steady_now() - started_);
    // Before the first health interval a status would show no buses: take their figures now.
    if (take_bus_stats || last_buses_.empty()) {
      for (BusWorker* worker : fleet_->workers()) {
        s.buses.push_back({worker->name(), worker->snapshot()});
      }
      last_buses_ = s.buses;
    } else if (fresh_bus_stats) {
      for (BusWorker* worker : fleet_->workers()) {
        s.buses.push_back({worker->name(), worker->snapshot(false)});
      }
    } else {
      s.buses = last_buses_;
    }
    s.store = store_->stats();
    s.uplink = uplink_->stats();
    s.engine = engine_->stats();
    if (commands_) s.commands = commands_->stats();
    s.loop_internal_errors = guard_.count();
    s.meters_online = board_.count(MeterLink::kOnline);
    s.meters_offline = board_.count(MeterLink::kOffline);
    s.meters_unknown = board_.count(MeterLink::kUnknown);
    for (const MeterBoardEntry& entry : board_.entries()) {
      const MeterRuntime* meter = engine_ ? engine_->meter(entry.meter_id) : nullptr;
      const AccountRuntime* account = meter ? engine_->account(meter->account_id) : nullptr;
      if (account && account->level == AlarmLevel::kCutOff) ++s.meters_cut_off;
    }
    s.clock = clock_state_;
    s.config_hash = config_hash_;
    std::error_code ec;
    const std::filesystem::path folder =
        std::filesystem::absolute(config_.store.path, ec).parent_path();
    struct statvfs fs {};
    if (!ec && ::statvfs(folder.c_str(), &fs) == 0) {
      s.disk_free_bytes =
          static_cast<std::int64_t>(fs.f_bavail) * static_cast<std::int64_t>(fs.f_frsize);
    }
    return s;
  }

  // A snapshot with the age of the oldest unsent row, which the store thread reads: `done`
  // runs on the loop once it has.
  void with_backlog_age(bool take_bus_stats, std::function<void(HealthSnapshot)> done) {
    auto s = std::make_shared<HealthSnapshot>(snapshot(take_bus_stats));
    store_->fetch_outbox(0, 1, [this, s, done = std::move(done)](std::vector<OutboxRow> rows) {
      if (!rows.empty()) s->backlog_oldest_ts_ms = rows.front().ts_ms;
      asio::post(loop_, guard_.wrap("health report", [s, done] { done(std::move(*s)); }));
    });
  }

  void schedule_health() {
    health_timer_.expires_after(config_.mqtt.health_interval);
    health_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      guard_.run("health report", [this] {
        with_backlog_age(true, [this](const HealthSnapshot& s) {
          uplink_->publish_volatile("health", health_json(s));
          notifier_.status(status_line(s, fleet_->meter_count()));
          if (!config_.metrics.textfile.empty()) {
            write_metrics_textfile(config_.metrics.textfile,
                                   metric_set(s).text(MetricSet::Format::prometheus));
          }
        });
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
  // Outputs of the bus threads, routed on the loop; before fleet_, which pushes to it.
  OutputInbox bus_outputs_{[this] {
    asio::post(loop_, [this] {
      for (BusOutput& output : bus_outputs_.take()) {
        guard_.run("reading router", [&] { router_->route(std::move(output)); });
      }
    });
  }};
  std::unique_ptr<BusFleet> fleet_;
  FleetActionPort action_port_{loop_, [this] { return fleet_.get(); }};
  std::unique_ptr<Engine> engine_;
  std::optional<HmacKey> command_key_;
  std::unique_ptr<CommandService> commands_;
  std::unique_ptr<LocalControlServer> local_;
  std::unique_ptr<MetricsServer> metrics_;
  std::unique_ptr<BackupRunner> backup_;  // after loop_: its thread posts to the loop
  std::vector<BusHealth> last_buses_;
  MeterBoard board_;
  std::string config_hash_;
  // Tests only: a file that overrides the kernel's clock state (app/clock_state.h).
  std::string clock_override_file_ = [] {
    const char* path = std::getenv("METERD_TEST_CLOCK_STATE_FILE");
    return std::string(path ? path : "");
  }();
  ClockState clock_state_;
  ClockWatch clock_watch_;
  SteadyTime started_{};
  int exit_code_ = 0;
};

Daemon::Daemon(std::string config_path, PluginDirChoice plugin_dirs, ValidatedConfig validated)
    : impl_(std::make_unique<Impl>(std::move(config_path), std::move(plugin_dirs),
                                   std::move(validated))) {}
Daemon::~Daemon() = default;
int Daemon::run() { return impl_->run(); }

}  // namespace meterd
