// SPDX-License-Identifier: Apache-2.0
// Fleet run: N real meterd gateways (default 100; each its own gateway_id and store, 20 sim
// meters, power polled every second) against a three-node RabbitMQ cluster, and one cloud
// collector with a persistent session on the third node, which no gateway prefers and which
// the node kill spares. Gateways list all three nodes in mqtt.servers, half of them a first,
// half b first, c last. Three phases:
// 1. A steady window (default 120 s). A third into it the node most gateways are connected to
//    is killed (SIGKILL), two thirds into it restarted. Reported: rows and MQTT messages per
//    second through the cluster, meterd's CPU (% of one core) and RSS per instance, the
//    cluster's CPU before the kill, and how long the failover took.
// 2. A reconnect storm: all three nodes killed at once and, after a pause (default 30 s, so
//    every gateway has backed off to reconnect_max = 10 s), started together. Each gateway's
//    reconnect time is the `ts` of its first `online` status after the outage began (the
//    gateway's clock at the connect), measured from the moment all three nodes listen again.
// 3. The gateways stop cleanly; once the broker has delivered the cloud session's backlog, every
//    (store_id, seq) each gateway's broker acknowledged is checked against what arrived: lost
//    (split into before and after the storm) and duplicates.
// The collector tallies messages as they arrive (per gateway seqs and content hashes) and keeps
// none. Exit status 1 when a row was lost or a gateway did not come back.
// Usage: bench_fleet [gateways] [window_s] [outage_s] [fast_interval]
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "process_cpu.h"
#include "support/net.h"
#include "support/temp_dir.h"
#include "support/wait.h"
#include "system/command_harness.h"
#include "system/daemon_harness.h"
#include "system/interop/delivery_check.h"
#include "system/interop/rabbitmq_node.h"

namespace meterd {
namespace {

using namespace std::chrono;
using test::RabbitNode;

constexpr int kMetersPerGateway = 20;
constexpr const char* kReconnectMax = "10s";
constexpr seconds kReconnectWindow{10};
constexpr milliseconds kPump{200};

double load_average() {
  std::ifstream in("/proc/loadavg");
  double one = 0;
  in >> one;
  return one;
}

struct Gateway {
  std::string id;
  std::unique_ptr<test::TempDir> dir;
  std::unique_ptr<test::DaemonUnderTest> daemon;
  test::DeliveryTally tally;
  std::int64_t online_ts_ms = -1;    // its first `online` status since the storm began
  std::int64_t storm_first_seq = 0;  // its first seq the storm phase may have assigned
  std::size_t storm_log_mark = 0;    // the size of its log when the storm began
};

// The cloud side: one persistent session on the cluster for every gateway's topics. What
// arrives is tallied per gateway (topic meterd/v1/<gateway>/...) and dropped.
class Cloud {
 public:
  Cloud(const std::string& uri, std::vector<Gateway>& fleet)
      : collector_(uri, "fleet-cloud", "meterd/v1/#", seconds(60)), fleet_(fleet) {
    for (std::size_t i = 0; i < fleet_.size(); ++i) index_[fleet_[i].id] = i;
  }

  void absorb() {
    for (const auto& m : collector_.take()) {
      static constexpr std::string_view kRoot = "meterd/v1/";
      if (!m.topic.starts_with(kRoot)) continue;
      const auto end = m.topic.find('/', kRoot.size());
      const auto it = index_.find(m.topic.substr(kRoot.size(), end - kRoot.size()));
      if (end == std::string::npos || it == index_.end()) continue;
      Gateway& gateway = fleet_[it->second];
      if (m.topic.ends_with("/status")) {
        note_status(gateway, m);
      } else if (gateway.tally.add(m)) {
        ++rows_;
        if (m.packed_in.empty() || m.pack_index == 0) ++messages_;
      }
    }
  }
  // Absorbs for `span`.
  void pump(milliseconds span) {
    test::wait_for([&] { return absorb(), false; }, span, kPump);
  }
  // Absorbs until `done()`; false after `timeout`.
  template <typename Done>
  bool pump_until(Done&& done, milliseconds timeout) {
    return test::wait_for([&] { return absorb(), done(); }, timeout, kPump);
  }
  // From now on, an `online` status with a `ts` at or after `ms` is a gateway's reconnect.
  void watch_reconnects_since(std::int64_t ms) { reconnects_since_ms_ = ms; }
  std::uint64_t rows() const { return rows_; }
  std::uint64_t messages() const { return messages_; }

 private:
  void note_status(Gateway& gateway, const test::CollectedMessage& m) const {
    if (reconnects_since_ms_ <= 0 || gateway.online_ts_ms >= 0) return;
    const nlohmann::json j = m.json();
    if (j.is_discarded() || j.value("state", "") != "online") return;
    const std::int64_t ts = j.value("ts", std::int64_t{0});
    if (ts >= reconnects_since_ms_) gateway.online_ts_ms = ts;
  }

  test::MqttCollector collector_;
  std::vector<Gateway>& fleet_;
  std::map<std::string, std::size_t> index_;
  std::int64_t reconnects_since_ms_ = 0;
  std::uint64_t rows_ = 0;
  std::uint64_t messages_ = 0;
};

struct Cluster {
  explicit Cluster(const test::TempDir& dir) : epmd(dir.path() / "epmd") {
    for (const char* name : {"fleet-a", "fleet-b", "fleet-c"}) {
      nodes.push_back(std::make_unique<RabbitNode>(dir.path() / "cluster", name, epmd));
      nodes.back()->start();
    }
    nodes[1]->join(*nodes[0]);
    nodes[2]->join(*nodes[0]);
    // The MQTT plugin keeps persistent sessions in classic queues: mirrored on every node
    // (docs/mqtt-api.md, "Brokers").
    nodes[0]->ctl({"set_policy", "--apply-to", "queues", "mqtt-sessions", "^mqtt-subscription-",
                   R"({"ha-mode":"all","ha-sync-mode":"automatic"})"});
  }
  RabbitNode& cloud_node() { return *nodes[2]; }
  double cpu_seconds() const {
    double sum = 0;
    for (const auto& n : nodes) sum += bench::process_cpu_seconds(n->vm_pid());
    return sum;
  }

  test::ErlangPortMapper epmd;
  std::vector<std::unique_ptr<RabbitNode>> nodes;  // a, b: the gateways' first choices; c
};

std::vector<Gateway> make_fleet(int n, const Cluster& cluster, const std::string& fast) {
  std::vector<Gateway> fleet(static_cast<std::size_t>(n));
  const auto& nodes = cluster.nodes;
  for (int i = 0; i < n; ++i) {
    Gateway& gateway = fleet[static_cast<std::size_t>(i)];
    char id[16];
    std::snprintf(id, sizeof id, "gw-%03d", i + 1);
    gateway.id = id;
    gateway.dir = std::make_unique<test::TempDir>("meterd-fleet-" + gateway.id);
    test::SiteSpec spec;
    spec.gateway_id = gateway.id;
    const bool a_first = i % 2 == 0;
    spec.servers = {nodes[a_first ? 0 : 1]->uri(), nodes[a_first ? 1 : 0]->uri(), nodes[2]->uri()};
    spec.meters_per_bus = kMetersPerGateway;
    spec.fast_interval = fast;
    spec.slow_interval = "10s";
    spec.reconnect_max = kReconnectMax;
    gateway.daemon = std::make_unique<test::DaemonUnderTest>(*gateway.dir, spec);
  }
  return fleet;
}

void start_fleet(std::vector<Gateway>& fleet, Cloud& cloud) {
  for (auto& gateway : fleet) {
    gateway.daemon->start();
    cloud.pump(milliseconds(30));  // spread the start-up cost a little
  }
  const bool all = cloud.pump_until(
      [&] {
        return std::all_of(fleet.begin(), fleet.end(),
                           [](const Gateway& g) { return !g.tally.result().seqs.empty(); });
      },
      seconds(300));
  if (!all) throw std::runtime_error("not every gateway delivered telemetry within 300 s");
}

// The node most gateways are connected to, from their logs, and how many are.
std::pair<RabbitNode*, std::vector<Gateway*>> busiest_node(std::vector<Gateway>& fleet,
                                                           Cluster& cluster) {
  std::map<RabbitNode*, std::vector<Gateway*>> on;
  for (auto& gateway : fleet) {
    const std::string server = test::connected_server(gateway.daemon->log());
    for (auto& node : cluster.nodes) {
      if (node->uri() == server) on[node.get()].push_back(&gateway);
    }
  }
  const auto most = std::max_element(on.begin(), on.end(), [](const auto& x, const auto& y) {
    return x.second.size() < y.second.size();
  });
  if (most == on.end()) throw std::runtime_error("no gateway is connected");
  return *most;
}

double mean(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return v.empty() ? 0 : sum / static_cast<double>(v.size());
}

double max_of(const std::vector<double>& v) {
  return v.empty() ? 0 : *std::max_element(v.begin(), v.end());
}

// Rows the cluster acknowledged to the gateways so far (assigned and no longer in an outbox).
std::int64_t acknowledged_rows(const std::vector<Gateway>& fleet) {
  std::int64_t sum = 0;
  for (const auto& gateway : fleet) {
    const test::StoreView view = test::read_store(gateway.daemon->db_path());
    sum += view.last_seq - static_cast<std::int64_t>(view.pending.size());
  }
  return sum;
}

struct WindowFigures {
  double wall_s = 0;
  std::int64_t acknowledged = 0;
  std::uint64_t rows = 0;
  std::uint64_t messages = 0;
  std::vector<double> cpu_percent;  // per gateway, of one core
  std::vector<double> rss_mib;
  std::vector<double> hwm_mib;
  double cluster_cpu_percent = 0;  // the three nodes together, before the kill
  std::string victim;
  std::size_t on_victim = 0;
  double failover_s = -1;  // until every gateway of the victim was connected elsewhere
};

void kill_busiest_node(std::vector<Gateway>& fleet, Cluster& cluster, Cloud& cloud,
                       WindowFigures& f, RabbitNode*& victim) {
  auto [node, gateways] = busiest_node(fleet, cluster);
  victim = node;
  f.victim = node->node();
  f.on_victim = gateways.size();
  std::fprintf(stderr, "killing %s (%zu gateways connected)\n", f.victim.c_str(), f.on_victim);
  const auto killed = steady_clock::now();
  node->kill();
  const bool moved = cloud.pump_until(
      [&] {
        return std::all_of(gateways.begin(), gateways.end(), [&](Gateway* g) {
          const std::string server = test::connected_server(g->daemon->log());
          return server != node->uri();
        });
      },
      seconds(120));
  if (moved) f.failover_s = duration<double>(steady_clock::now() - killed).count();
}

WindowFigures steady_window(std::vector<Gateway>& fleet, Cluster& cluster, Cloud& cloud,
                            seconds window) {
  WindowFigures f;
  std::vector<double> cpu0;
  for (const auto& gateway : fleet) {
    cpu0.push_back(bench::process_cpu_seconds(gateway.daemon->pid()));
  }
  const std::int64_t acknowledged0 = acknowledged_rows(fleet);
  const std::uint64_t rows0 = cloud.rows();
  const std::uint64_t messages0 = cloud.messages();
  const double cluster_cpu0 = cluster.cpu_seconds();
  const auto t0 = steady_clock::now();
  cloud.pump(window / 3);
  f.cluster_cpu_percent = 100.0 * (cluster.cpu_seconds() - cluster_cpu0) /
                          duration<double>(steady_clock::now() - t0).count();
  RabbitNode* victim = nullptr;
  kill_busiest_node(fleet, cluster, cloud, f, victim);
  cloud.pump(duration_cast<milliseconds>(t0 + 2 * window / 3 - steady_clock::now()));
  std::fprintf(stderr, "restarting %s\n", victim->node().c_str());
  victim->start();
  cloud.pump(duration_cast<milliseconds>(t0 + window - steady_clock::now()));

  f.wall_s = duration<double>(steady_clock::now() - t0).count();
  for (std::size_t i = 0; i < fleet.size(); ++i) {
    const pid_t pid = fleet[i].daemon->pid();
    f.cpu_percent.push_back(100.0 * (bench::process_cpu_seconds(pid) - cpu0[i]) / f.wall_s);
    f.rss_mib.push_back(static_cast<double>(bench::process_status_kib(pid, "VmRSS")) / 1024.0);
    f.hwm_mib.push_back(static_cast<double>(bench::process_status_kib(pid, "VmHWM")) / 1024.0);
  }
  f.acknowledged = acknowledged_rows(fleet) - acknowledged0;
  f.rows = cloud.rows() - rows0;
  f.messages = cloud.messages() - messages0;
  return f;
}

struct StormFigures {
  double first_up_s = 0;  // from the restart until the first node listened
  double all_up_s = 0;    // ... until all three did
  // Per gateway that came back, from the moment all three nodes listened again: RabbitMQ 3.10
  // starts the MQTT listener of a node that rejoins only once client-id tracking works (the
  // mqtt_node Raft group has a leader); until then a node that listens refuses every connect.
  std::vector<double> reconnect_s;
  std::size_t missing = 0;  // gateways that did not come back
  // Per node: the gateways whose first connect after the outage was to it, and how many of
  // those within the first second.
  std::map<std::string, std::pair<int, int>> via;
};

// The server of the first connect the daemon logged after `from` (a byte offset).
std::string first_connect_after(const std::string& log, std::size_t from) {
  const std::string needle = "uplink: connected to ";
  const auto at = log.find(needle, from);
  if (at == std::string::npos) return "";
  const auto end = log.find_first_of("\r\n", at);
  return log.substr(at + needle.size(), end - at - needle.size());
}

StormFigures reconnect_storm(std::vector<Gateway>& fleet, Cluster& cluster, Cloud& cloud,
                             seconds outage) {
  StormFigures f;
  for (auto& gateway : fleet) {
    gateway.storm_first_seq = test::read_store(gateway.daemon->db_path()).last_seq + 1;
    gateway.storm_log_mark = gateway.daemon->log().size();
  }
  cloud.watch_reconnects_since(test::unix_now_ms());
  std::fprintf(stderr, "killing every node for %lld s\n", static_cast<long long>(outage.count()));
  for (auto& node : cluster.nodes) node->kill();
  std::this_thread::sleep_for(outage);  // the cloud is down too: nothing arrives meanwhile
  const auto launched = steady_clock::now();
  for (auto& node : cluster.nodes) node->launch();
  const auto listening = [&](bool all) {
    const auto up = [](const auto& n) { return test::accepts_connections(n->mqtt_port()); };
    return all ? std::all_of(cluster.nodes.begin(), cluster.nodes.end(), up)
               : std::any_of(cluster.nodes.begin(), cluster.nodes.end(), up);
  };
  test::wait_for([&] { return listening(false); }, seconds(300), milliseconds(5));
  f.first_up_s = duration<double>(steady_clock::now() - launched).count();
  test::wait_for([&] { return listening(true); }, seconds(300), milliseconds(5));
  const std::int64_t all_up_ms = test::unix_now_ms();
  f.all_up_s = duration<double>(steady_clock::now() - launched).count();
  for (auto& node : cluster.nodes) node->await_started(seconds(60));
  std::fprintf(stderr, "cluster back after %.1f s (first node %.1f s)\n", f.all_up_s, f.first_up_s);
  cloud.pump_until(
      [&] {
        return std::all_of(fleet.begin(), fleet.end(),
                           [](const Gateway& g) { return g.online_ts_ms >= 0; });
      },
      seconds(180));
  for (const auto& gateway : fleet) {
    if (gateway.online_ts_ms < 0) {
      ++f.missing;
    } else {
      const double t = static_cast<double>(gateway.online_ts_ms - all_up_ms) / 1000.0;
      f.reconnect_s.push_back(t);
      const std::string server = first_connect_after(gateway.daemon->log(), gateway.storm_log_mark);
      for (const auto& node : cluster.nodes) {
        if (node->uri() != server) continue;
        auto& [all, first_second] = f.via[node->node()];
        ++all;
        if (t < 1.0) ++first_second;
      }
    }
  }
  std::sort(f.reconnect_s.begin(), f.reconnect_s.end());
  return f;
}

struct DeliveryFigures {
  std::size_t not_stopped = 0;
  std::int64_t assigned = 0;
  std::int64_t pending = 0;  // left in the outboxes at the stop: never acknowledged
  std::int64_t lost_before_storm = 0;
  std::int64_t lost_after_storm = 0;
  std::size_t duplicates = 0;
  std::size_t conflicting = 0;
  std::size_t store_ids = 0;  // distinct, over the fleet
  double drain_s = 0;
};

DeliveryFigures stop_and_check(std::vector<Gateway>& fleet, Cloud& cloud) {
  DeliveryFigures f;
  for (auto& gateway : fleet) gateway.daemon->send_signal(SIGTERM);
  for (auto& gateway : fleet) {
    if (!gateway.daemon->wait(seconds(60))) ++f.not_stopped;
  }
  std::vector<test::StoreView> views;
  for (const auto& gateway : fleet) views.push_back(test::read_store(gateway.daemon->db_path()));
  const auto missing = [&] {
    std::vector<std::vector<std::int64_t>> out;
    for (std::size_t i = 0; i < fleet.size(); ++i) {
      out.push_back(test::missing_from(views[i], fleet[i].tally.result()));
    }
    return out;
  };
  const auto count = [](const std::vector<std::vector<std::int64_t>>& m) {
    std::size_t n = 0;
    for (const auto& v : m) n += v.size();
    return n;
  };
  // The cloud session's backlog: wait while it still brings missing rows, 30 s at most each.
  const auto t0 = steady_clock::now();
  std::size_t left = count(missing());
  while (left > 0 && cloud.pump_until([&] { return count(missing()) < left; }, seconds(30))) {
    left = count(missing());
  }
  f.drain_s = duration<double>(steady_clock::now() - t0).count();
  const auto lost = missing();
  std::set<std::string> store_ids;
  for (std::size_t i = 0; i < fleet.size(); ++i) {
    const test::Delivered& d = fleet[i].tally.result();
    f.assigned += views[i].last_seq;
    f.pending += static_cast<std::int64_t>(views[i].pending.size());
    for (std::int64_t seq : lost[i]) {
      (seq < fleet[i].storm_first_seq ? f.lost_before_storm : f.lost_after_storm) += 1;
    }
    if (!lost[i].empty()) {
      std::fprintf(stderr, "%s lost %s\n", fleet[i].id.c_str(), test::seq_ranges(lost[i]).c_str());
    }
    f.duplicates += d.duplicates;
    f.conflicting += d.conflicting.size();
    store_ids.insert(d.store_ids.begin(), d.store_ids.end());
  }
  f.store_ids = store_ids.size();
  return f;
}

void print_window(const WindowFigures& w, std::size_t gateways) {
  std::printf("steady window %.0f s, %zu gateways x %d sim meters:\n", w.wall_s, gateways,
              kMetersPerGateway);
  std::printf(
      "  acknowledged by the cluster: %.0f rows/s; delivered to the cloud: %.0f rows/s in "
      "%.0f MQTT messages/s\n",
      static_cast<double>(w.acknowledged) / w.wall_s, static_cast<double>(w.rows) / w.wall_s,
      static_cast<double>(w.messages) / w.wall_s);
  std::printf("  meterd CPU per instance: mean %.2f %%, max %.2f %% of one core (sum %.0f %%)\n",
              mean(w.cpu_percent), max_of(w.cpu_percent),
              mean(w.cpu_percent) * static_cast<double>(w.cpu_percent.size()));
  std::printf("  meterd RSS per instance: mean %.1f MiB, max %.1f MiB (peak VmHWM max %.1f MiB)\n",
              mean(w.rss_mib), max_of(w.rss_mib), max_of(w.hwm_mib));
  std::printf("  RabbitMQ, 3 nodes together, before the kill: %.0f %% of one core\n",
              w.cluster_cpu_percent);
  std::printf("  node kill: %s had %zu gateways; all connected elsewhere after %.1f s\n",
              w.victim.c_str(), w.on_victim, w.failover_s);
}

void print_storm(const StormFigures& s, seconds outage, std::size_t gateways) {
  std::printf(
      "reconnect storm: all 3 nodes killed for %lld s, restarted together; first node "
      "listening after %.1f s, all three after %.1f s\n",
      static_cast<long long>(outage.count()), s.first_up_s, s.all_up_s);
  std::printf("  %zu of %zu gateways back online", s.reconnect_s.size(), gateways);
  if (s.reconnect_s.empty()) {
    std::printf("\n");
    return;
  }
  const auto at = [&](double q) {
    return s
        .reconnect_s[static_cast<std::size_t>(q * static_cast<double>(s.reconnect_s.size() - 1))];
  };
  std::printf(
      "; seconds after all nodes listened: min %.2f, p10 %.2f, p50 %.2f, p90 %.2f, "
      "max %.2f (reconnect_max %s)\n",
      s.reconnect_s.front(), at(0.1), at(0.5), at(0.9), s.reconnect_s.back(), kReconnectMax);
  const int bins = static_cast<int>(kReconnectWindow.count());
  std::map<int, int> histogram;  // 1 s bins; -1: before all nodes listened, `bins`: later
  for (double t : s.reconnect_s) ++histogram[t < 0 ? -1 : std::min(static_cast<int>(t), bins)];
  for (int b = -1; b <= bins; ++b) {
    const int n = histogram[b];
    const std::string bar(static_cast<std::size_t>(n), '#');
    if (b < 0) {
      std::printf("   <0 s   %4d %s\n", n, bar.c_str());
    } else if (b < bins) {
      std::printf("  %2d-%2d s %4d %s\n", b, b + 1, n, bar.c_str());
    } else {
      std::printf("  >=%2d s  %4d %s\n", b, n, bar.c_str());
    }
  }
  std::printf("  first connect after the outage, per node (of them within the first second):");
  for (const auto& [node, n] : s.via) std::printf(" %s %d (%d)", node.c_str(), n.first, n.second);
  std::printf("\n");
}

void print_delivery(const DeliveryFigures& d, std::size_t gateways) {
  std::printf("delivery, after a clean stop (%zu not stopped in 60 s) and %.1f s of backlog:\n",
              d.not_stopped, d.drain_s);
  std::printf("  %lld rows assigned in %zu stores (%zu distinct store_ids), %lld still pending\n",
              static_cast<long long>(d.assigned), gateways, d.store_ids,
              static_cast<long long>(d.pending));
  std::printf("  lost: %lld before the storm (node kill phase), %lld after it\n",
              static_cast<long long>(d.lost_before_storm),
              static_cast<long long>(d.lost_after_storm));
  std::printf("  duplicates: %zu (conflicting: %zu)\n", d.duplicates, d.conflicting);
}

}  // namespace
}  // namespace meterd

int main(int argc, char** argv) {
  using namespace meterd;
  const int gateways = argc > 1 ? std::atoi(argv[1]) : 100;
  const seconds window{argc > 2 ? std::atoi(argv[2]) : 120};
  const seconds outage{argc > 3 ? std::atoi(argv[3]) : 30};
  const std::string fast = argc > 4 ? argv[4] : "1s";
  if (gateways <= 0 || window.count() < 30 || outage.count() < 1) {
    std::fprintf(stderr,
                 "usage: bench_fleet [gateways > 0] [window_s >= 30] [outage_s > 0] "
                 "[fast_interval]\n");
    return 2;
  }
  if (!RabbitNode::installed()) {
    std::fprintf(stderr, "RabbitMQ with its MQTT plugin is not installed (rabbitmq-server)\n");
    return 2;
  }
  std::printf("cores=%ld load average at start %.2f\n", sysconf(_SC_NPROCESSORS_ONLN),
              load_average());
  test::TempDir dir("meterd-fleet");
  Cluster cluster(dir);
  std::vector<Gateway> fleet = make_fleet(gateways, cluster, fast);
  Cloud cloud(cluster.cloud_node().uri(), fleet);
  start_fleet(fleet, cloud);
  std::fprintf(stderr, "%d gateways delivering\n", gateways);
  const auto window_figures = steady_window(fleet, cluster, cloud, window);
  const double load_in_window = load_average();
  const auto storm = reconnect_storm(fleet, cluster, cloud, outage);
  cloud.pump(kReconnectWindow);  // the outage's backlog starts to drain before the stop
  const auto delivery = stop_and_check(fleet, cloud);

  std::printf("fast poll %s, slow poll 10s; load average at the end of the window %.2f\n",
              fast.c_str(), load_in_window);
  print_window(window_figures, fleet.size());
  print_storm(storm, outage, fleet.size());
  print_delivery(delivery, fleet.size());
  const bool ok = delivery.lost_before_storm == 0 && delivery.lost_after_storm == 0 &&
                  storm.missing == 0 && delivery.conflicting == 0;
  return ok ? 0 : 1;
}
