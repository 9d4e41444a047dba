// SPDX-License-Identifier: Apache-2.0
#include "bus/bus_worker.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "bus/plugin_loader.h"
#include "bus/test_support.h"

namespace meterd {
namespace {

using namespace std::chrono_literals;
using testing::map_node;
using testing::RecordingSink;
using testing::scalar;

// What the worker did to the driver, seen from outside.
struct DriverCalls {
  std::mutex mu;
  std::vector<int> reads;
  std::vector<int> acts;
  int opens = 0;
  int closes = 0;

  int reads_of(std::size_t meter) {
    std::lock_guard lock(mu);
    return reads[meter];
  }
  int acts_of(std::size_t meter) {
    std::lock_guard lock(mu);
    return acts[meter];
  }
  int opened() {
    std::lock_guard lock(mu);
    return opens;
  }
  int closed() {
    std::lock_guard lock(mu);
    return closes;
  }
};

class CountingDriver final : public MeterDriver {
 public:
  CountingDriver(std::unique_ptr<MeterDriver> inner, std::shared_ptr<DriverCalls> calls)
      : inner_(std::move(inner)), calls_(std::move(calls)) {}
  Status open() override {
    count([&] { ++calls_->opens; });
    return inner_->open();
  }
  Result<MeterReading> read(std::size_t meter, std::size_t group) override {
    count([&] { ++calls_->reads[meter]; });
    return inner_->read(meter, group);
  }
  Result<MeterReading> act(std::size_t meter, const Action& action) override {
    count([&] { ++calls_->acts[meter]; });
    return inner_->act(meter, action);
  }
  void close() override {
    count([&] { ++calls_->closes; });
    inner_->close();
  }

 private:
  template <typename Fn>
  void count(Fn&& fn) {
    std::lock_guard lock(calls_->mu);
    fn();
  }
  std::unique_ptr<MeterDriver> inner_;
  std::shared_ptr<DriverCalls> calls_;
};

// Waits (polling, with a deadline) for a condition that no callback announces.
template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 15s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

class BusWorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    control_dir_ = std::filesystem::temp_directory_path() /
                   ("meterd-bus-test-" + std::to_string(::getpid()) + "-" +
                    ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(control_dir_);
  }
  void TearDown() override {
    if (worker_) worker_->stop();
    worker_.reset();
    std::filesystem::remove_all(control_dir_);
  }

  // `meters` sim meters m1..mN with poll groups fast (power) and slow (energy).
  BusConfig config(int meters, std::chrono::milliseconds fast, std::chrono::milliseconds slow,
                   const std::string& latency = "0ms") {
    BusConfig c;
    c.spec.name = "line1";
    c.spec.protocol = "sim";
    c.spec.settings = map_node({{"seed", scalar("7", 2)},
                                {"control_dir", scalar(control_dir_.string(), 3)},
                                {"latency", scalar(latency, 4)}});
    for (int i = 1; i <= meters; ++i) {
      c.spec.meters.push_back(testing::sim_meter("m" + std::to_string(i)));
    }
    c.spec.groups = {{"fast", {"power_total", "relay_closed"}, fast},
                     {"slow", {"energy_total"}, slow}};
    c.offline_after_failures = 2;
    c.backoff_interval = 1000ms;
    return c;
  }

  BusWorker& make_worker(const BusConfig& c, BusWorker::BurstEnd burst_end = {}) {
    ConfigErrors errors;
    auto driver = registry_.plugin_for("sim").create(c.spec, env_, errors);
    EXPECT_TRUE(errors.empty()) << errors.all().front().to_string();
    calls_ = std::make_shared<DriverCalls>();
    calls_->reads.assign(c.spec.meters.size(), 0);
    calls_->acts.assign(c.spec.meters.size(), 0);
    worker_ =
        std::make_unique<BusWorker>(c, std::make_unique<CountingDriver>(std::move(driver), calls_),
                                    clock_, sink_.sink(), std::move(burst_end));
    return *worker_;
  }

  void touch(const std::string& file) { std::ofstream(control_dir_ / file) << "x"; }
  void remove(const std::string& file) { std::filesystem::remove(control_dir_ / file); }

  std::filesystem::path control_dir_;
  PluginRegistry registry_{METERD_PLUGIN_DIR};  // outlives the driver code it loaded
  SystemClock clock_;
  DriverEnv env_{&clock_};
  RecordingSink sink_;
  std::shared_ptr<DriverCalls> calls_;
  std::unique_ptr<BusWorker> worker_;
};

TEST_F(BusWorkerTest, PollsEveryMeterAtRoughlyItsGroupInterval) {
  BusWorker& worker = make_worker(config(3, 100ms, 400ms));
  worker.start();
  ASSERT_TRUE(sink_.wait_for(
      [](const auto& out) { return RecordingSink::polls_of(out, "m3", "fast") >= 2; }));

  const auto before = sink_.outputs();
  const auto t0 = std::chrono::steady_clock::now();
  const std::size_t m1_before = RecordingSink::polls_of(before, "m1", "fast");
  ASSERT_TRUE(sink_.wait_for([&](const auto& out) {
    return RecordingSink::polls_of(out, "m1", "fast") >= m1_before + 20;
  }));
  const auto after = sink_.outputs();
  const double elapsed_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();

  for (const std::string meter : {"m1", "m2", "m3"}) {
    const double fast = RecordingSink::polls_of(after, meter, "fast") -
                        RecordingSink::polls_of(before, meter, "fast");
    const double slow = RecordingSink::polls_of(after, meter, "slow") -
                        RecordingSink::polls_of(before, meter, "slow");
    // Never faster than the schedule; not starved either (generous for a loaded machine).
    EXPECT_LE(fast, elapsed_ms / 100 + 2) << meter;
    EXPECT_GE(fast, elapsed_ms / 100 * 0.5 - 2) << meter;
    EXPECT_LE(slow, elapsed_ms / 400 + 2) << meter;
    EXPECT_GE(slow, 1) << meter;
  }
  const auto& last = std::get<MeterPolled>(after.back());
  EXPECT_LT(std::chrono::abs(last.time - clock_.wall_now()), 10s);
  const BusStats stats = worker.snapshot();
  EXPECT_GE(stats.polls, 60);
  EXPECT_EQ(stats.poll_errors, 0);
  EXPECT_GT(stats.latency_max_ms, 0);
}

TEST_F(BusWorkerTest, DeadMeterGoesOfflineOnceIsBackedOffAndComesBackOnline) {
  touch("m2.dead");
  BusWorker& worker = make_worker(config(3, 100ms, 300ms));
  worker.start();
  ASSERT_TRUE(
      sink_.wait_for([](const auto& out) { return !RecordingSink::states_of(out, "m2").empty(); }));
  EXPECT_GE(calls_->reads_of(1), 2);  // offline_after_failures, maybe one probe since
  EXPECT_LE(calls_->reads_of(1), 3);

  // Over ~2.5 s the offline meter gets one probe per second; the others keep their schedule.
  const int dead_reads = calls_->reads_of(1);
  const std::size_t m1_polls = RecordingSink::polls_of(sink_.outputs(), "m1");
  const std::size_t m3_polls = RecordingSink::polls_of(sink_.outputs(), "m3");
  ASSERT_TRUE(sink_.wait_for(
      [&](const auto& out) { return RecordingSink::polls_of(out, "m1") >= m1_polls + 30; }));
  EXPECT_LE(calls_->reads_of(1) - dead_reads, 4);
  EXPECT_GE(RecordingSink::polls_of(sink_.outputs(), "m3"), m3_polls + 15);
  BusStats stats = worker.snapshot();
  EXPECT_EQ(stats.offline_meters, 1);
  EXPECT_GE(stats.timeouts, 2);
  EXPECT_EQ(stats.timeouts, stats.poll_errors);

  remove("m2.dead");
  ASSERT_TRUE(sink_.wait_for(
      [](const auto& out) { return RecordingSink::states_of(out, "m2").size() >= 2; }));
  ASSERT_TRUE(sink_.wait_for(
      [](const auto& out) { return RecordingSink::polls_of(out, "m2", "fast") >= 5; }));
  EXPECT_EQ(RecordingSink::states_of(sink_.outputs(), "m2"), (std::vector<bool>{false, true}));
  EXPECT_TRUE(RecordingSink::states_of(sink_.outputs(), "m1").empty());
  EXPECT_EQ(worker.snapshot().offline_meters, 0);
}

TEST_F(BusWorkerTest, QueuedActionsRunBeforeAnyFurtherPoll) {
  // Saturated: 4 meters x 30 ms per read against a 50 ms interval.
  BusWorker& worker = make_worker(config(4, 50ms, 200ms, "30ms"));
  std::mutex mu;
  std::vector<std::size_t> outputs_when_done;
  std::vector<Result<MeterReading>> results;
  std::size_t outputs_at_submit = 0;
  std::atomic<int> polls_seen{0};
  sink_.on_output = [&](const BusOutput& out) {
    // On the bus thread, so all three are queued before the worker picks its next job.
    if (!std::holds_alternative<MeterPolled>(out) || ++polls_seen != 5) return;
    outputs_at_submit = sink_.size() + 1;  // this output is recorded right after
    auto done = [&](Result<MeterReading> r) {
      std::lock_guard lock(mu);
      outputs_when_done.push_back(sink_.size());
      results.push_back(std::move(r));
    };
    worker.submit_action("m1", Action{"relay_open", {}, {}}, done);
    worker.submit_action("m2", Action{"relay_open", {}, {}}, done);
    worker.submit_action("m1", Action{"relay_close", {}, {}}, done);
  };
  worker.start();
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mu);
    return results.size() == 3;
  }));
  EXPECT_EQ(outputs_when_done, (std::vector<std::size_t>(3, outputs_at_submit)));
  ASSERT_TRUE(results[0].ok());
  EXPECT_EQ(std::get<bool>(testing::find_value(results[0].value(), "relay_closed")->value), false);
  EXPECT_EQ(std::get<bool>(testing::find_value(results[2].value(), "relay_closed")->value), true);
  ASSERT_TRUE(sink_.wait_for([](const auto& out) { return out.size() >= 40; }));
  const BusStats stats = worker.snapshot();
  EXPECT_EQ(stats.actions, 3);
  EXPECT_EQ(stats.action_errors, 0);
  EXPECT_GT(stats.overruns, 0);
}

// A sink that holds outputs hands them over at each burst end: every output the worker made
// before an action's done is handed over before that done runs (a saturated bus never waits,
// so only the end of burst before the done hands them over), and the last ones at stop.
TEST_F(BusWorkerTest, BurstEndHandsOverEveryOutputBeforeADoneAndAtStop) {
  std::atomic<std::size_t> handed_over{0};
  BusWorker& worker =
      make_worker(config(4, 50ms, 200ms, "30ms"), [&] { handed_over = sink_.size(); });
  std::mutex mu;
  std::vector<std::pair<std::size_t, std::size_t>> at_done;  // (outputs made, handed over)
  std::atomic<int> polls_seen{0};
  sink_.on_output = [&](const BusOutput& out) {
    if (!std::holds_alternative<MeterPolled>(out) || ++polls_seen % 5 != 0) return;
    worker.submit_action("m2", Action{"relay_open", {}, {}}, [&](Result<MeterReading>) {
      std::lock_guard lock(mu);
      at_done.emplace_back(sink_.size(), handed_over.load());
    });
  };
  worker.start();
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mu);
    return at_done.size() >= 4;
  }));
  worker.stop();
  std::lock_guard lock(mu);
  for (const auto& [made, handed] : at_done) EXPECT_EQ(made, handed);
  EXPECT_EQ(handed_over.load(), sink_.size());
}

TEST_F(BusWorkerTest, ActionForAnUnknownMeterFailsAtOnce) {
  BusWorker& worker = make_worker(config(1, 100ms, 100ms));
  std::optional<Result<MeterReading>> result;
  worker.submit_action("nope", Action{"relay_open", {}, {}},
                       [&](Result<MeterReading> r) { result = std::move(r); });
  ASSERT_TRUE(result.has_value());
  ASSERT_FALSE(result->ok());
  EXPECT_EQ(result->error().kind, ErrorKind::kInvalidArgument);
}

TEST_F(BusWorkerTest, ActionOnAnOfflineMeterIsStillAttempted) {
  touch("m1.dead");
  BusWorker& worker = make_worker(config(2, 100ms, 300ms));
  worker.start();
  ASSERT_TRUE(
      sink_.wait_for([](const auto& out) { return !RecordingSink::states_of(out, "m1").empty(); }));
  std::promise<Result<MeterReading>> done;
  worker.submit_action("m1", Action{"relay_open", {}, {}},
                       [&](Result<MeterReading> r) { done.set_value(std::move(r)); });
  auto future = done.get_future();
  ASSERT_EQ(future.wait_for(15s), std::future_status::ready);
  const auto result = future.get();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::kTimeout);
  EXPECT_EQ(calls_->acts_of(0), 1);
  EXPECT_EQ(worker.snapshot().action_errors, 1);
}

TEST_F(BusWorkerTest, StopReturnsPromptlyWhetherIdleOrBusy) {
  {
    BusWorker& idle = make_worker(config(2, 60s, 60s));
    idle.start();
    ASSERT_TRUE(sink_.wait_for([](const auto& out) { return out.size() >= 1; }));
    const auto t0 = std::chrono::steady_clock::now();
    idle.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  }
  BusWorker& busy = make_worker(config(2, 100ms, 100ms, "200ms"));
  busy.start();
  ASSERT_TRUE(eventually([&] { return calls_->reads_of(0) + calls_->reads_of(1) >= 2; }));
  const auto t0 = std::chrono::steady_clock::now();
  busy.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  EXPECT_EQ(calls_->closed(), 1);

  std::optional<Result<MeterReading>> late;
  busy.submit_action("m1", Action{"relay_open", {}, {}},
                     [&](Result<MeterReading> r) { late = std::move(r); });
  ASSERT_TRUE(late.has_value());
  EXPECT_EQ(late->error().kind, ErrorKind::kRejected);
}

TEST_F(BusWorkerTest, LastProgressAdvancesWhileIdle) {
  BusWorker& worker = make_worker(config(1, 60s, 60s));
  worker.start();
  const SteadyTime first = worker.last_progress();
  EXPECT_TRUE(eventually([&] { return worker.last_progress() - first >= 1200ms; }));
  EXPECT_LT(clock_.steady_now() - worker.last_progress(), 5s);
}

TEST_F(BusWorkerTest, ReopensAFailedBusWithBackoffAndResumesPolling) {
  BusWorker& worker = make_worker(config(2, 100ms, 300ms));
  worker.start();
  ASSERT_TRUE(sink_.wait_for([](const auto& out) { return out.size() >= 4; }));
  EXPECT_EQ(calls_->opened(), 1);

  touch("line1.down");
  ASSERT_TRUE(eventually([&] { return calls_->closed() >= 1; }));
  const auto down_at = std::chrono::steady_clock::now();
  // Reopen attempts back off (0.5 s, 1 s, ...) instead of spinning.
  ASSERT_TRUE(eventually([&] { return calls_->opened() >= 3; }));
  EXPECT_GE(std::chrono::steady_clock::now() - down_at, 1400ms);
  EXPECT_EQ(calls_->closed(), 1);

  const std::size_t outputs = sink_.size();
  remove("line1.down");
  ASSERT_TRUE(sink_.wait_for([&](const auto& out) { return out.size() >= outputs + 4; }));
  const BusStats stats = worker.snapshot();
  EXPECT_GE(stats.poll_errors, 1);
  EXPECT_EQ(stats.offline_meters, 0);  // a bus failure is not the meters' fault
}

// Waits for a live read's answer (done runs on the bus thread).
Result<MeterReading> read_now(BusWorker& worker, const std::string& meter,
                              std::vector<std::string> points) {
  auto done = std::make_shared<std::promise<Result<MeterReading>>>();
  auto future = done->get_future();
  worker.submit_read(meter, std::move(points),
                     [done](Result<MeterReading> r) { done->set_value(std::move(r)); });
  if (future.wait_for(15s) != std::future_status::ready) {
    return make_error(ErrorKind::kInternal, "test: no answer within 15 s");
  }
  return future.get();
}

std::vector<std::string> value_names(const MeterReading& reading) {
  std::vector<std::string> names;
  for (const auto& v : reading.values) names.push_back(v.name);
  return names;
}

TEST_F(BusWorkerTest, LiveReadReadsEachNeededGroupOnceAndReturnsOnlyTheRequestedPoints) {
  // One meter, hour-long intervals: after its first scheduled poll (fast, at phase 0) the bus
  // is quiet for half an hour, so every further read is the live read's.
  BusWorker& worker = make_worker(config(1, 3600s, 3600s));
  worker.start();
  ASSERT_TRUE(sink_.wait_for([](const auto& out) { return out.size() == 1; }));
  ASSERT_EQ(calls_->reads_of(0), 1);

  const auto result = read_now(worker, "m1", {"energy_total", "power_total", "energy_total"});
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(value_names(result.value()), (std::vector<std::string>{"energy_total", "power_total"}));
  EXPECT_TRUE(result.value().errors.empty());
  EXPECT_GE(testing::int_value(result.value(), "energy_total"), 0);
  EXPECT_TRUE(
      std::holds_alternative<double>(testing::find_value(result.value(), "power_total")->value));
  EXPECT_EQ(calls_->reads_of(0), 3);  // fast and slow, each once

  // Forwarded like polls, and counted as polls.
  const auto out = sink_.outputs();
  EXPECT_EQ(RecordingSink::polls_of(out, "m1", "fast"), 2u);
  EXPECT_EQ(RecordingSink::polls_of(out, "m1", "slow"), 1u);
  const BusStats stats = worker.snapshot();
  EXPECT_EQ(stats.polls, 3);
  EXPECT_EQ(stats.poll_errors, 0);
}

TEST_F(BusWorkerTest, LiveReadReportsAnUnpolledPointAndStillReadsTheOthers) {
  BusWorker& worker = make_worker(config(2, 3600s, 3600s));
  worker.start();
  const auto result = read_now(worker, "m2", {"voltage_a", "relay_closed"});
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(value_names(result.value()), (std::vector<std::string>{"relay_closed"}));
  EXPECT_EQ(std::get<bool>(testing::find_value(result.value(), "relay_closed")->value), true);
  ASSERT_EQ(result.value().errors.size(), 1u);
  EXPECT_EQ(result.value().errors[0].name, "voltage_a");
  EXPECT_EQ(result.value().errors[0].error.kind, ErrorKind::kNotSupported);
  EXPECT_EQ(result.value().errors[0].error.message, "not polled on this meter");
  ASSERT_TRUE(sink_.wait_for(
      [](const auto& out) { return RecordingSink::polls_of(out, "m2", "fast") >= 1; }));
  EXPECT_EQ(RecordingSink::polls_of(sink_.outputs(), "m2", "slow"), 0u);  // not needed
}

TEST_F(BusWorkerTest, LiveReadOfAnUnknownMeterOrOfNoPolledPointAnswersAtOnce) {
  BusWorker& worker = make_worker(config(1, 3600s, 3600s));  // never started
  std::optional<Result<MeterReading>> unknown_meter;
  worker.submit_read("nope", {"power_total"},
                     [&](Result<MeterReading> r) { unknown_meter = std::move(r); });
  ASSERT_TRUE(unknown_meter.has_value());
  ASSERT_FALSE(unknown_meter->ok());
  EXPECT_EQ(unknown_meter->error().kind, ErrorKind::kInvalidArgument);

  std::optional<Result<MeterReading>> no_points;
  worker.submit_read("m1", {}, [&](Result<MeterReading> r) { no_points = std::move(r); });
  ASSERT_TRUE(no_points.has_value());
  ASSERT_FALSE(no_points->ok());
  EXPECT_EQ(no_points->error().kind, ErrorKind::kInvalidArgument);

  std::optional<Result<MeterReading>> unpolled;
  worker.submit_read("m1", {"frequency"}, [&](Result<MeterReading> r) { unpolled = std::move(r); });
  ASSERT_TRUE(unpolled.has_value());
  ASSERT_TRUE(unpolled->ok());
  EXPECT_TRUE(unpolled->value().values.empty());
  ASSERT_EQ(unpolled->value().errors.size(), 1u);
  EXPECT_EQ(unpolled->value().errors[0].error.kind, ErrorKind::kNotSupported);
  EXPECT_EQ(calls_->reads_of(0), 0);
}

TEST_F(BusWorkerTest, LiveReadOfADeadMeterFailsWithTheReadErrorAndLeavesItsStateAlone) {
  touch("m1.dead");
  BusWorker& worker = make_worker(config(1, 3600s, 3600s));
  worker.start();
  ASSERT_TRUE(eventually([&] { return worker.snapshot().poll_errors == 1; }));  // scheduled

  const auto result = read_now(worker, "m1", {"power_total", "energy_total"});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::kTimeout);
  EXPECT_EQ(calls_->reads_of(0), 2);  // the first failed group read ends the live read
  const BusStats stats = worker.snapshot();
  EXPECT_EQ(stats.polls, 2);
  EXPECT_EQ(stats.timeouts, 2);
  // Two failures in a row, but a live read does not count toward going offline.
  EXPECT_EQ(stats.offline_meters, 0);
  EXPECT_TRUE(RecordingSink::states_of(sink_.outputs(), "m1").empty());
}

TEST_F(BusWorkerTest, QueuedLiveReadRunsBeforeAnyFurtherPoll) {
  // Saturated: 4 meters x 30 ms per read against a 50 ms interval.
  BusWorker& worker = make_worker(config(4, 50ms, 200ms, "30ms"));
  std::promise<std::pair<std::size_t, Result<MeterReading>>> answered;
  std::size_t outputs_at_submit = 0;
  std::atomic<int> polls_seen{0};
  sink_.on_output = [&](const BusOutput& out) {
    // On the bus thread, so the read is queued before the worker picks its next job.
    if (!std::holds_alternative<MeterPolled>(out) || ++polls_seen != 5) return;
    outputs_at_submit = sink_.size() + 1;  // this output is recorded right after
    worker.submit_read("m3", {"energy_total"}, [&](Result<MeterReading> r) {
      answered.set_value({sink_.size(), std::move(r)});
    });
  };
  worker.start();
  auto future = answered.get_future();
  ASSERT_EQ(future.wait_for(15s), std::future_status::ready);
  auto [outputs_when_done, result] = future.get();
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(value_names(result.value()), (std::vector<std::string>{"energy_total"}));
  // The only output in between is the live read's own MeterPolled.
  ASSERT_EQ(outputs_when_done, outputs_at_submit + 1);
  const MeterPolled polled = std::get<MeterPolled>(sink_.outputs()[outputs_at_submit]);
  EXPECT_EQ(polled.meter_id, "m3");
  EXPECT_EQ(polled.group, "slow");
}

TEST_F(BusWorkerTest, LiveReadQueuedOnAStoppedWorkerIsRejected) {
  BusWorker& worker = make_worker(config(1, 3600s, 3600s));
  std::optional<Result<MeterReading>> queued;
  worker.submit_read("m1", {"power_total"}, [&](Result<MeterReading> r) { queued = std::move(r); });
  EXPECT_FALSE(queued.has_value());  // never started: waits in the queue
  worker.stop();
  ASSERT_TRUE(queued.has_value());
  ASSERT_FALSE(queued->ok());
  EXPECT_EQ(queued->error().kind, ErrorKind::kRejected);

  std::optional<Result<MeterReading>> late;
  worker.submit_read("m1", {"power_total"}, [&](Result<MeterReading> r) { late = std::move(r); });
  ASSERT_TRUE(late.has_value());
  EXPECT_EQ(late->error().kind, ErrorKind::kRejected);
}

}  // namespace
}  // namespace meterd
