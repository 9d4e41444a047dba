// SPDX-License-Identifier: Apache-2.0
#include "bus/bus_worker.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "bus/live_read.h"
#include "bus/poll_schedule.h"

namespace meterd {
namespace {

// The longest the bus thread sleeps without updating last_progress().
constexpr Millis kMaxIdleWait{500};
// Reopening a failed bus backs off from kReopenMin, doubling up to kReopenMax.
constexpr Millis kReopenMin{500};
constexpr Millis kReopenMax{30'000};

std::int64_t steady_ns(SteadyTime t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

std::vector<Millis> intervals_of(const BusSpec& spec) {
  std::vector<Millis> out;
  for (const auto& group : spec.groups) out.push_back(group.interval);
  return out;
}

// Polls due within this window after the one due now run with it, a little ahead of their
// time, so one wake-up of the bus thread serves several meters (their phases are kept: the next
// poll is due one interval after the planned time). A quarter of the shortest interval, at
// most kEarlyPollMax.
constexpr Millis kEarlyPollMax{25};

Millis early_window(const std::vector<Millis>& intervals) {
  Millis window = kEarlyPollMax;
  for (const Millis interval : intervals) window = std::min(window, interval / 4);
  return window;
}

}  // namespace

class BusWorker::Impl {
 public:
  Impl(const BusConfig& config, std::unique_ptr<MeterDriver> driver, const Clock& clock, Sink sink,
       BurstEnd burst_end)
      : config_(config),
        driver_(std::move(driver)),
        clock_(clock),
        sink_(std::move(sink)),
        burst_end_(std::move(burst_end)),
        schedule_(config.spec.meters.size(), intervals_of(config.spec),
                  config.offline_after_failures, config.backoff_interval),
        early_(early_window(intervals_of(config.spec))),
        progress_ns_(steady_ns(clock.steady_now())) {
    for (std::size_t i = 0; i < config_.spec.meters.size(); ++i) {
      index_.emplace(config_.spec.meters[i].id, i);
    }
  }

  ~Impl() { stop(); }

  void start() {
    std::lock_guard lock(mu_);
    if (started_ || stop_) return;
    started_ = true;
    thread_ = std::thread([this] { run(); });
    const std::string thread_name = ("bus-" + config_.spec.name).substr(0, 15);
    pthread_setname_np(thread_.native_handle(), thread_name.c_str());
  }

  void stop() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    fail_queued_actions(ErrorKind::kRejected,
                        "bus '" + config_.spec.name + "' is stopped");  // if never started
  }

  void submit_action(const std::string& meter_id, Action action, ActionDone done) {
    auto it = index_.find(meter_id);
    if (it == index_.end()) {
      done(unknown_meter(meter_id));
      return;
    }
    enqueue({it->second, std::move(action), std::move(done)});
  }

  void submit_read(const std::string& meter_id, const std::vector<std::string>& points,
                   ReadDone done) {
    auto it = index_.find(meter_id);
    if (it == index_.end()) {
      done(unknown_meter(meter_id));
      return;
    }
    if (points.empty()) {
      done(make_error(ErrorKind::kInvalidArgument, "no points to read"));
      return;
    }
    LiveReadPlan plan = plan_live_read(config_.spec.groups, points);
    if (plan.groups.empty()) {  // nothing to ask the meter
      done(assemble_live_read(plan, {}));
      return;
    }
    enqueue({it->second, std::move(plan), std::move(done)});
  }

  const std::string& name() const { return config_.spec.name; }

  BusStats snapshot(bool reset_rates) {
    std::lock_guard lock(stats_mu_);
    BusStats out = stats_;
    out.latency_avg_ms = latency_count_ ? latency_sum_ms_ / latency_count_ : 0.0;
    out.latency_max_ms = latency_max_ms_;
    if (!reset_rates) return out;
    latency_sum_ms_ = 0;
    latency_max_ms_ = 0;
    latency_count_ = 0;
    return out;
  }

  SteadyTime last_progress() const {
    return SteadyTime{} + std::chrono::nanoseconds(progress_ns_.load());
  }

  std::map<std::string, std::int64_t> meter_poll_errors() {
    std::lock_guard lock(stats_mu_);
    std::map<std::string, std::int64_t> out;
    for (std::size_t m = 0; m < config_.spec.meters.size(); ++m) {
      out[config_.spec.meters[m].id] = m < meter_errors_.size() ? meter_errors_[m] : 0;
    }
    return out;
  }

 private:
  // An action or a live read; both wait in one queue and run ahead of polls, in order.
  struct PendingRequest {
    std::size_t meter;
    std::variant<Action, LiveReadPlan> request;
    ActionDone done;
  };

  Error unknown_meter(const std::string& meter_id) const {
    return make_error(ErrorKind::kInvalidArgument,
                      "unknown meter '" + meter_id + "' on bus '" + config_.spec.name + "'");
  }

  void enqueue(PendingRequest pending) {
    {
      std::unique_lock lock(mu_);
      if (!stop_) {
        actions_.push_back(std::move(pending));
        lock.unlock();
        cv_.notify_one();
        return;
      }
    }
    pending.done(make_error(ErrorKind::kRejected, "bus '" + config_.spec.name + "' is stopped"));
  }

  void run() {
    schedule_.start(clock_.steady_now());
    reopen_at_ = clock_.steady_now();
    for (;;) {
      touch_progress();
      if (stopping()) break;
      // The outermost guard of the bus thread: nothing thrown below may end the process.
      try {
        step();
      } catch (const std::exception& e) {
        internal_error(e.what());
      } catch (...) {
        internal_error("unknown exception");
      }
    }
    fail_queued_actions(ErrorKind::kRejected, "bus '" + config_.spec.name + "' is stopped");
    if (bus_open_) close_driver();
    end_burst();  // the outputs of the last turns and of the close
  }

  // One turn of the bus thread: (re)open, then one action, live read or poll, or a wait.
  void step() {
    const SteadyTime now = clock_.steady_now();
    if (!bus_open_) {
      if (now >= reopen_at_) try_open(now);
      if (!bus_open_) {
        // Commands should hear at once that the bus is down rather than wait for it.
        if (open_failed_)
          fail_queued_actions(ErrorKind::kBusError, "bus '" + config_.spec.name + "' is not open");
        wait_until(reopen_at_, false);
        return;
      }
    }
    if (auto pending = take_action()) {
      if (std::holds_alternative<Action>(pending->request)) {
        run_action(*pending);
      } else {
        run_live_read(*pending);
      }
      forward_driver_events();
      return;
    }
    if (auto job = schedule_.take_due(now + early_)) {
      run_poll(*job);
      forward_driver_events();
      return;
    }
    wait_until(schedule_.next_due().value_or(now + kMaxIdleWait), true);
  }

  // Logged and counted; the thread pauses a second so a fault that repeats cannot spin it.
  void internal_error(const char* what) {
    spdlog::error("internal error in bus '{}' thread: {}", config_.spec.name, what);
    {
      std::lock_guard lock(stats_mu_);
      ++stats_.internal_errors;
    }
    wait_until(clock_.steady_now() + std::chrono::seconds(1), false);
  }

  bool stopping() {
    std::lock_guard lock(mu_);
    return stop_;
  }

  void touch_progress() { progress_ns_.store(steady_ns(clock_.steady_now())); }

  // Waits until `until` (by the injected clock), at most kMaxIdleWait, or until stop (or an
  // action arrives, when `wake_on_action`).
  void wait_until(SteadyTime until, bool wake_on_action) {
    end_burst();
    auto wait = std::chrono::duration_cast<std::chrono::nanoseconds>(until - clock_.steady_now());
    wait = std::clamp<std::chrono::nanoseconds>(wait, std::chrono::nanoseconds(0), kMaxIdleWait);
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, wait, [&] { return stop_ || (wake_on_action && !actions_.empty()); });
  }

  std::optional<PendingRequest> take_action() {
    std::lock_guard lock(mu_);
    if (actions_.empty()) return std::nullopt;
    PendingRequest action = std::move(actions_.front());
    actions_.pop_front();
    return action;
  }

  void fail_queued_actions(ErrorKind kind, const std::string& why) {
    std::deque<PendingRequest> failed;
    {
      std::lock_guard lock(mu_);
      failed.swap(actions_);
    }
    for (auto& action : failed) {
      deliver(action.done, make_error(kind, why));
    }
  }

  void try_open(SteadyTime now) {
    Status status = guarded([&] { return driver_->open(); });
    if (status.ok()) {
      bus_open_ = true;
      if (open_failed_) spdlog::info("bus '{}': open", config_.spec.name);
      open_failed_ = false;
      return;
    }
    if (!open_failed_) {
      spdlog::error("bus '{}': open failed: {}; retrying with backoff", config_.spec.name,
                    status.error().message);
    }
    open_failed_ = true;
    back_off_reopen(now);
  }

  void back_off_reopen(SteadyTime now) {
    reopen_at_ = now + reopen_delay_;
    reopen_delay_ = std::min(reopen_delay_ * 2, kReopenMax);
  }

  void on_bus_error(const Error& error) {
    spdlog::warn("bus '{}': bus error: {}; reopening", config_.spec.name, error.message);
    close_driver();
    bus_open_ = false;
    back_off_reopen(clock_.steady_now());
  }

  void close_driver() {
    try {
      driver_->close();
    } catch (...) {
      spdlog::error("bus '{}': close() threw", config_.spec.name);
    }
  }

  void run_poll(const PollJob& job) {
    const SteadyTime started = clock_.steady_now();
    Result<MeterReading> result = guarded([&] { return driver_->read(job.meter, job.group); });
    const SteadyTime finished = clock_.steady_now();
    touch_progress();

    PollOutcome outcome = PollOutcome::kOk;
    if (!result.ok()) {
      outcome = result.error().kind == ErrorKind::kBusError ? PollOutcome::kBusError
                                                            : PollOutcome::kFailed;
    }
    const std::int64_t overruns_before = schedule_.overruns();
    const MeterTransition transition = schedule_.complete(job, outcome, finished);
    record_poll(result, finished - started, schedule_.overruns() - overruns_before);
    if (!result.ok()) {
      std::lock_guard lock(stats_mu_);
      if (meter_errors_.size() <= job.meter) meter_errors_.resize(job.meter + 1, 0);
      ++meter_errors_[job.meter];
    }

    const MeterSpec& meter = config_.spec.meters[job.meter];
    if (outcome == PollOutcome::kBusError) {
      on_bus_error(result.error());
      return;
    }
    reopen_delay_ = kReopenMin;
    const WallTime wall = clock_.wall_now();
    if (result.ok()) {
      if (transition == MeterTransition::kCameOnline) {
        spdlog::info("bus '{}': meter '{}' is back online", config_.spec.name, meter.id);
        emit(MeterStateChanged{meter.id, true, wall, {}});
      }
      emit(MeterPolled{meter.id, config_.spec.groups[job.group].name, wall,
                       std::move(result.value())});
    } else if (transition == MeterTransition::kWentOffline) {
      spdlog::warn("bus '{}': meter '{}' is offline after {} failed polls: {}", config_.spec.name,
                   meter.id, config_.offline_after_failures, result.error().message);
      emit(MeterStateChanged{meter.id, false, wall, result.error().message});
    }
  }

  void run_action(PendingRequest& action) {
    Result<MeterReading> result =
        guarded([&] { return driver_->act(action.meter, std::get<Action>(action.request)); });
    touch_progress();
    {
      std::lock_guard lock(stats_mu_);
      ++stats_.actions;
      if (!result.ok()) ++stats_.action_errors;
    }
    const bool bus_error = !result.ok() && result.error().kind == ErrorKind::kBusError;
    if (bus_error) {
      on_bus_error(result.error());
    } else {
      reopen_delay_ = kReopenMin;
    }
    deliver(action.done, std::move(result));
  }

  // Reads the planned groups one after the other, outside the schedule: the jobs it holds
  // keep their due times and the meter's failure count is untouched.
  void run_live_read(PendingRequest& pending) {
    const LiveReadPlan& plan = std::get<LiveReadPlan>(pending.request);
    const MeterSpec& meter = config_.spec.meters[pending.meter];
    std::vector<MeterReading> readings;
    for (const std::size_t group : plan.groups) {
      const SteadyTime started = clock_.steady_now();
      Result<MeterReading> result = guarded([&] { return driver_->read(pending.meter, group); });
      const SteadyTime finished = clock_.steady_now();
      touch_progress();
      record_poll(result, finished - started, 0);
      if (!result.ok()) {
        if (result.error().kind == ErrorKind::kBusError) on_bus_error(result.error());
        deliver(pending.done, std::move(result));
        return;
      }
      reopen_delay_ = kReopenMin;
      readings.push_back(result.value());
      emit(MeterPolled{meter.id, config_.spec.groups[group].name, clock_.wall_now(),
                       std::move(result.value())});
    }
    deliver(pending.done, assemble_live_read(plan, readings));
  }

  void record_poll(const Result<MeterReading>& result, SteadyTime::duration latency,
                   std::int64_t overruns) {
    const double ms = std::chrono::duration<double, std::milli>(latency).count();
    std::lock_guard lock(stats_mu_);
    ++stats_.polls;
    if (!result.ok()) {
      ++stats_.poll_errors;
      if (result.error().kind == ErrorKind::kTimeout) ++stats_.timeouts;
    }
    stats_.overruns += overruns;
    stats_.offline_meters = static_cast<std::int64_t>(schedule_.offline_count());
    latency_sum_ms_ += ms;
    latency_max_ms_ = std::max(latency_max_ms_, ms);
    ++latency_count_;
  }

  // The driver must not throw (guard_plugin_call in the plugin); this is the second fence.
  template <typename Fn>
  auto guarded(Fn&& body) -> decltype(body()) {
    try {
      return body();
    } catch (const std::exception& e) {
      return make_error(ErrorKind::kInternal, std::string("driver exception: ") + e.what());
    } catch (...) {
      return make_error(ErrorKind::kInternal, "driver exception");
    }
  }

  // A driver's events go on as they are, with the meter's id and the bus's name in place of
  // the index; an index out of range is a bus-level event.
  void forward_driver_events() {
    std::vector<DriverEvent> events;
    try {
      events = driver_->take_events();
    } catch (const std::exception& e) {
      spdlog::error("bus '{}': driver threw from take_events: {}", config_.spec.name, e.what());
      return;
    } catch (...) {
      spdlog::error("bus '{}': driver threw from take_events", config_.spec.name);
      return;
    }
    const WallTime wall = clock_.wall_now();
    for (DriverEvent& event : events) {
      std::string meter_id;
      if (event.meter < config_.spec.meters.size()) meter_id = config_.spec.meters[event.meter].id;
      emit(DriverEventSeen{std::move(meter_id), wall, std::move(event)});
    }
  }

  void emit(BusOutput output) {
    try {
      sink_(std::move(output));
    } catch (const std::exception& e) {
      spdlog::error("bus '{}': sink threw: {}", config_.spec.name, e.what());
    }
  }

  void end_burst() {
    if (!burst_end_) return;
    try {
      burst_end_();
    } catch (const std::exception& e) {
      spdlog::error("bus '{}': burst end threw: {}", config_.spec.name, e.what());
    }
  }

  void deliver(const ActionDone& done, Result<MeterReading> result) {
    end_burst();
    try {
      done(std::move(result));
    } catch (const std::exception& e) {
      spdlog::error("bus '{}': action callback threw: {}", config_.spec.name, e.what());
    }
  }

  const BusConfig config_;
  std::unique_ptr<MeterDriver> driver_;
  const Clock& clock_;
  Sink sink_;
  BurstEnd burst_end_;
  std::unordered_map<std::string, std::size_t> index_;  // immutable after construction

  // Bus thread only.
  PollSchedule schedule_;
  const Millis early_;  // polls due this soon after now run now
  bool bus_open_ = false;
  bool open_failed_ = false;
  SteadyTime reopen_at_;
  Millis reopen_delay_ = kReopenMin;

  std::mutex mu_;  // guards stop_, started_, actions_
  std::condition_variable cv_;
  bool stop_ = false;
  bool started_ = false;
  std::deque<PendingRequest> actions_;
  std::thread thread_;

  std::mutex stats_mu_;  // guards the stats below
  BusStats stats_;
  std::vector<std::int64_t> meter_errors_;  // failed scheduled polls, by meter index
  double latency_sum_ms_ = 0;
  double latency_max_ms_ = 0;
  std::int64_t latency_count_ = 0;

  std::atomic<std::int64_t> progress_ns_;
};

BusWorker::BusWorker(const BusConfig& config, std::unique_ptr<MeterDriver> driver,
                     const Clock& clock, Sink sink, BurstEnd burst_end)
    : impl_(std::make_unique<Impl>(config, std::move(driver), clock, std::move(sink),
                                   std::move(burst_end))) {}

BusWorker::~BusWorker() = default;

void BusWorker::start() { impl_->start(); }
void BusWorker::stop() { impl_->stop(); }
void BusWorker::submit_action(const std::string& meter_id, Action action, ActionDone done) {
  impl_->submit_action(meter_id, std::move(action), std::move(done));
}
void BusWorker::submit_read(const std::string& meter_id, const std::vector<std::string>& points,
                            ReadDone done) {
  impl_->submit_read(meter_id, points, std::move(done));
}
const std::string& BusWorker::name() const { return impl_->name(); }
BusStats BusWorker::snapshot(bool reset_rates) { return impl_->snapshot(reset_rates); }
SteadyTime BusWorker::last_progress() const { return impl_->last_progress(); }
std::map<std::string, std::int64_t> BusWorker::meter_poll_errors() {
  return impl_->meter_poll_errors();
}

}  // namespace meterd
