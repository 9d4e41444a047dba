// SPDX-License-Identifier: Apache-2.0
// systemd integration and clean shutdown: READY=1 and WATCHDOG=1 on the notify socket;
// SIGTERM exits 0 within 5 s with everything committed either delivered or still stored.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "support/broker.h"
#include "support/wait.h"
#include "system/daemon_harness.h"

namespace meterd::test {
namespace {

// A datagram socket standing in for systemd's notify socket.
class NotifySocket {
 public:
  explicit NotifySocket(std::string path) : path_(std::move(path)) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path_.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    timeval tv{0, 100'000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    reader_ = std::thread([this] {
      char buf[4096];
      while (!stop_) {
        ssize_t n = recv(fd_, buf, sizeof(buf), 0);
        if (n <= 0) continue;
        std::lock_guard lock(mutex_);
        received_.emplace_back(buf, static_cast<std::size_t>(n));
      }
    });
  }
  ~NotifySocket() {
    stop_ = true;
    reader_.join();
    close(fd_);
    unlink(path_.c_str());
  }
  bool saw(const std::string& needle) {
    std::lock_guard lock(mutex_);
    for (const auto& m : received_) {
      if (m.find(needle) != std::string::npos) return true;
    }
    return false;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread reader_;
  std::mutex mutex_;
  std::vector<std::string> received_;
};

TEST(Lifecycle, NotifiesReadyAndWatchdogThenStopsCleanlyOnSigterm) {
  TempDir dir;
  MosquittoBroker broker(dir.path() / "broker");
  broker.start();
  MqttCollector collector(broker.uri(), "lifecycle-collector", "meterd/v1/gw-test/#");
  SiteSpec spec;
  spec.servers = {broker.uri()};
  spec.meters_per_bus = 10;
  spec.fast_interval = "200ms";
  spec.health_interval = "1s";
  DaemonUnderTest daemon(dir, spec);
  NotifySocket notify(dir.file("notify.sock"));
  daemon.start({{"NOTIFY_SOCKET", notify.path()}, {"WATCHDOG_USEC", "600000"}});

  EXPECT_TRUE(wait_for([&] { return notify.saw("READY=1"); }, std::chrono::seconds(20)))
      << daemon.log();
  EXPECT_TRUE(wait_for([&] { return notify.saw("WATCHDOG=1"); }, std::chrono::seconds(10)))
      << daemon.log();
  ASSERT_TRUE(collector.wait_until(
      [](const MqttCollector::Messages& m) {
        return analyse_seqs(m).meters_with_telemetry.size() == 10;
      },
      std::chrono::seconds(20)));

  // Health reports the bus's polls and the store.
  ASSERT_TRUE(collector.wait_until(
      [](const MqttCollector::Messages& m) {
        for (const auto& msg : m) {
          if (msg.topic != "meterd/v1/gw-test/health") continue;
          const auto j = msg.json();
          if (j.contains("buses") && j["buses"].size() == 1 && j["buses"][0]["polls"] > 0 &&
              j["buses"][0]["name"] == "bus1" && j.contains("backlog_rows") &&
              j["store_bytes"] > 0 && j["connected"] == true) {
            return true;
          }
        }
        return false;
      },
      std::chrono::seconds(10)))
      << "no health message with bus polls";

  const auto stop_started = std::chrono::steady_clock::now();
  auto status = daemon.terminate(std::chrono::seconds(5));
  ASSERT_TRUE(status.has_value()) << "meterd did not exit within 5 s\n" << daemon.log();
  EXPECT_TRUE(status->exited);
  EXPECT_EQ(status->code, 0) << daemon.log();
  EXPECT_LT(std::chrono::steady_clock::now() - stop_started, std::chrono::seconds(5));
  EXPECT_TRUE(notify.saw("STOPPING=1"));

  // Everything committed is either acknowledged (and so received) or still in the outbox.
  const StoreView view = read_store(daemon.db_path());
  ASSERT_GT(view.last_seq, 0);
  const auto missing = wait_for_acknowledged_seqs(collector, view, std::chrono::seconds(20));
  EXPECT_TRUE(missing.empty()) << missing.size() << " acknowledged seqs never arrived, first "
                               << missing.front();
  // The retained status says offline after a clean stop.
  EXPECT_TRUE(collector.wait_until(
      [](const MqttCollector::Messages& m) {
        for (auto it = m.rbegin(); it != m.rend(); ++it) {
          if (it->topic == "meterd/v1/gw-test/status") {
            return it->json().value("state", "") == "offline";
          }
        }
        return false;
      },
      std::chrono::seconds(10)));
}

}  // namespace
}  // namespace meterd::test
