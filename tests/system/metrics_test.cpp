// SPDX-License-Identifier: Apache-2.0
// The Prometheus endpoint of the real daemon: the exposition parses with the reference
// OpenMetrics parser (python3-prometheus-client), counters move with readings and with broker
// reconnects, it answers while the broker is down, and hostile clients (wrong path, huge
// header, a slowloris trickle, more connections than the cap) do not stop a good scrape.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <sstream>

#include "support/broker.h"
#include "support/net.h"
#include "support/wait.h"
#include "system/daemon_harness.h"

namespace meterd::test {
namespace {

using namespace std::chrono_literals;

class Connection {
 public:
  explicit Connection(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Connection() { ::close(fd_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  bool connected() const { return connected_; }
  bool send(const std::string& bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  // Everything until the peer closes; nullopt when it has not closed within `timeout`.
  std::optional<std::string> read_all(std::chrono::milliseconds timeout) {
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[8192];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return out;  // closed (or reset: what was read is the answer)
      out.append(buf, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

std::optional<std::string> http_get(std::uint16_t port, const std::string& path) {
  Connection c(port);
  if (!c.connected()) return std::nullopt;
  if (!c.send("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n")) return std::nullopt;
  return c.read_all(10s);
}

std::string body_of(const std::string& response) {
  const std::size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

// Sample lines `name{labels} value` -> value, from the reference parser; fails the test when
// the text does not parse.
std::map<std::string, double> parse_openmetrics(const TempDir& dir, const std::string& text) {
  const std::string input = dir.file("scrape.txt");
  std::ofstream(input) << text;
  const std::string output = dir.file("parsed.txt");
  std::remove(output.c_str());
  ChildProcess parser({"/usr/bin/python3", METERD_OPENMETRICS_PARSE, input}, output);
  const auto status = parser.wait(60s);
  std::ifstream in(output);
  std::stringstream all;
  all << in.rdbuf();
  EXPECT_TRUE(status && status->exited && status->code == 0) << all.str() << "\n" << text;
  std::map<std::string, double> samples;
  std::string line;
  std::istringstream lines(all.str());
  while (std::getline(lines, line)) {
    const std::size_t space = line.rfind(' ');
    if (space == std::string::npos) continue;
    samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return samples;
}

double sample(const std::map<std::string, double>& samples, const std::string& key) {
  auto it = samples.find(key);
  return it == samples.end() ? -1 : it->second;
}

struct MetricsSite {
  TempDir dir;
  MosquittoBroker broker{dir.path() / "broker"};
  std::uint16_t port = free_tcp_port();
  std::optional<DaemonUnderTest> daemon;

  MetricsSite() {
    broker.start();
    SiteSpec spec;
    spec.servers = {broker.uri()};
    spec.meters_per_bus = 3;
    spec.fast_interval = "200ms";
    spec.health_interval = "1s";
    spec.billing_yaml = "metrics:\n  listen: \"127.0.0.1:" + std::to_string(port) +
                        "\"\n  textfile: " + dir.file("meterd.prom") +
                        "\n  read_timeout: 2s\n  max_connections: 4\n";
    daemon.emplace(dir, spec);
    daemon->start();
  }
  std::map<std::string, double> scrape() {
    const auto response = http_get(port, "/metrics");
    EXPECT_TRUE(response.has_value());
    if (!response) return {};
    EXPECT_NE(response->find("200 OK"), std::string::npos) << *response;
    EXPECT_NE(response->find("application/openmetrics-text"), std::string::npos);
    return parse_openmetrics(dir, body_of(*response));
  }
};

TEST(Metrics, ParsesAsOpenMetricsAndCountersMoveWithReadingsAndReconnects) {
  MetricsSite site;
  ASSERT_TRUE(wait_for_listener(site.port, 20s)) << site.daemon->log();
  const std::string polls = "meterd_bus_polls_total{bus=\"bus1\"}";
  auto first = site.scrape();
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(sample(first, "meterd_info{gateway=\"gw-test\",store_id=\"" +
                              query_store_text(site.daemon->db_path(),
                                               "SELECT store_id FROM store_identity") +
                              "\",version=\"" METERD_VERSION_TEXT "\"}"),
            1)
      << "info sample missing";
  ASSERT_GE(sample(first, polls), 0) << "no per-bus poll counter";
  std::map<std::string, double> later;
  EXPECT_TRUE(wait_for(
      [&] {
        later = site.scrape();
        return sample(later, polls) > sample(first, polls) &&
               sample(later, "meterd_store_committed_rows_total") >
                   sample(first, "meterd_store_committed_rows_total");
      },
      20s))
      << "polls and committed rows do not move";
  EXPECT_TRUE(wait_for([&] { return sample(site.scrape(), "meterd_uplink_connected") == 1; }, 20s));
  const double reconnects = sample(site.scrape(), "meterd_uplink_reconnects_total");
  ASSERT_GE(reconnects, 0);

  // The broker goes: the endpoint still answers, and says so.
  site.broker.stop();
  EXPECT_TRUE(wait_for([&] { return sample(site.scrape(), "meterd_uplink_connected") == 0; }, 20s));
  const auto while_down = site.scrape();
  EXPECT_GE(sample(while_down, polls), sample(later, polls));

  site.broker.start();
  EXPECT_TRUE(wait_for(
      [&] {
        const auto s = site.scrape();
        return sample(s, "meterd_uplink_connected") == 1 &&
               sample(s, "meterd_uplink_reconnects_total") > reconnects;
      },
      30s))
      << "reconnect not counted";

  // The node-exporter textfile, written at the health interval, holds the same counters.
  EXPECT_TRUE(wait_for(
      [&] {
        std::ifstream in(site.dir.file("meterd.prom"));
        std::stringstream text;
        text << in.rdbuf();
        return text.str().find("# TYPE meterd_bus_polls_total counter") != std::string::npos;
      },
      20s));
}

TEST(Metrics, HostileClientsDoNotStopAGoodScrape) {
  MetricsSite site;
  ASSERT_TRUE(wait_for_listener(site.port, 20s)) << site.daemon->log();

  const auto wrong = http_get(site.port, "/nothing");
  ASSERT_TRUE(wrong);
  EXPECT_NE(wrong->find("404"), std::string::npos) << *wrong;

  // Slowloris: a request that never ends, trickled byte by byte, beside a good scrape.
  Connection slow(site.port);
  ASSERT_TRUE(slow.connected());
  ASSERT_TRUE(slow.send("GET /metrics HTTP/1.1\r\nHost: x\r\n"));
  // A huge header: refused, not buffered without end.
  Connection huge(site.port);
  ASSERT_TRUE(huge.connected());
  huge.send("GET /metrics HTTP/1.1\r\nX-Big: " + std::string(64 * 1024, 'a') + "\r\n\r\n");
  const auto huge_answer = huge.read_all(10s);
  ASSERT_TRUE(huge_answer) << "a huge header kept its connection open";
  EXPECT_EQ(huge_answer->find("200 OK"), std::string::npos);

  slow.send("X-Slow: 1\r\n");
  EXPECT_FALSE(site.scrape().empty()) << "a slow client blocked a good scrape";
  // The slow client is cut at the read deadline (2 s here), however it trickles.
  EXPECT_TRUE(slow.read_all(15s).has_value()) << "slowloris connection never closed";

  // More idle connections than the cap: the extra ones are closed, and once the idle ones
  // reach their deadline a good scrape gets in again.
  std::vector<std::unique_ptr<Connection>> idle;
  for (int i = 0; i < 8; ++i) idle.push_back(std::make_unique<Connection>(site.port));
  EXPECT_TRUE(wait_for(
      [&] {
        const auto answer = http_get(site.port, "/metrics");
        return answer && answer->find("200 OK") != std::string::npos;
      },
      20s));
  EXPECT_TRUE(site.daemon->running());
}

}  // namespace
}  // namespace meterd::test
