// SPDX-License-Identifier: Apache-2.0
// System-test harness: writes a site configuration, runs the real meterd binary on it, and
// inspects the daemon's SQLite file read-only (WAL lets a reader in beside the writer).
// Use from one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "support/mqtt_collector.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace meterd::test {

struct SiteSpec {
  std::string gateway_id = "gw-test";
  std::vector<std::string> servers;
  int buses = 1;
  int meters_per_bus = 5;
  std::string fast_interval = "500ms";
  std::string slow_interval = "2s";
  std::string slow_points = "energy_total, relay_closed";
  std::string budget = "64MiB";
  std::string commit_interval = "100ms";
  std::string meter_timeout = "200ms";
  int offline_after_failures = 3;
  std::string backoff_interval = "2s";
  std::string health_interval = "60s";
  std::string reconnect_max = "1s";
  std::string control_dir;     // sim faults: <dir>/<meter>.dead
  std::string meter_settings;  // extra keys of every meter entry, e.g. "base_load_w: 9000"
  std::string billing_yaml;    // a `billing:` section, appended as is
  std::string store_path;      // the database; empty: meterd.db in the daemon's directory
  // Extra keys of the mqtt section, e.g. {"pack_min_rows: 2"}.
  std::vector<std::string> mqtt_settings;
};

// Meters are named b<bus>-m<n>, e.g. b1-m7.
std::string site_yaml(const SiteSpec& spec, const std::string& db_path);

class DaemonUnderTest {
 public:
  // Writes the config into `dir` (meterd.yaml, store meterd.db); does not start.
  DaemonUnderTest(const TempDir& dir, const SiteSpec& spec);
  // Under LeakSanitizer the daemon runs with suppressions for Paho's own leak (lsan.supp in
  // `dir`, see daemon_harness.cpp) unless `env` or the environment already name suppressions.
  void start(std::map<std::string, std::string> env = {});
  bool running();
  // SIGTERM and wait; nullopt when it did not exit within `timeout`.
  std::optional<ExitStatus> terminate(std::chrono::milliseconds timeout);
  // Waits for the daemon to exit (after a signal sent with send_signal); nullopt as above.
  std::optional<ExitStatus> wait(std::chrono::milliseconds timeout);
  void kill9();
  void send_signal(int sig);
  pid_t pid() const { return process_ ? process_->pid() : -1; }
  std::string log() const;
  const std::string& db_path() const { return db_path_; }
  const std::string& config_path() const { return config_path_; }

 private:
  std::string config_path_;
  std::string db_path_;
  std::string log_path_;
  std::string lsan_suppressions_path_;
  std::unique_ptr<ChildProcess> process_;
};

// From the daemon's log: how often it connected to `uri`, and the server of its most recent
// connection (empty before the first).
std::size_t connects_to(const std::string& log, const std::string& uri);
std::string connected_server(const std::string& log);

// Read-only queries on the daemon's database.
struct StoreView {
  std::int64_t last_seq = 0;                 // highest seq ever assigned (sqlite_sequence)
  std::set<std::int64_t> pending;            // seqs still in the outbox
  std::set<std::int64_t> pending_telemetry;  // those of kind telemetry
  std::int64_t event_rows = 0;               // rows in events
  std::int64_t event_outbox_rows = 0;        // outbox rows of kind event
  std::int64_t evicted_total = 0;            // persistent eviction counter
  std::map<std::string, std::int64_t> events_by_type;
};
StoreView read_store(const std::string& db_path);
// The first column of the last row of `sql` on the daemon's database (0 when no row).
std::int64_t query_store_int(const std::string& db_path, const std::string& sql);
// The same for a text column (empty when no row).
std::string query_store_text(const std::string& db_path, const std::string& sql);

// Seqs seen on the outbox topics, with per-meter order of first arrival.
struct SeqReport {
  std::set<std::int64_t> seen;
  std::size_t duplicates = 0;
  // Seqs that arrived twice with different payloads: a duplicate must repeat, never differ.
  std::vector<std::int64_t> conflicting_duplicates;
  std::set<std::string> meters_with_telemetry;
  // Meters whose seqs did not first arrive in increasing order.
  std::vector<std::string> out_of_order_meters;
};
SeqReport analyse_seqs(const MqttCollector::Messages& messages);

// The seqs in [1, view.last_seq] that the broker acknowledged (no longer pending) but the
// subscriber never saw.
std::vector<std::int64_t> missing_seqs(const StoreView& view, const SeqReport& report);

// True once no seq at or below `seq` is left in the daemon's outbox, false after `timeout`.
bool wait_until_drained_through(const std::string& db_path, std::int64_t seq,
                                std::chrono::milliseconds timeout);
// Waits until every seq of `view` that left the outbox has reached `collector`; returns the
// ones still missing (empty on success). Gives up once a whole `timeout` passed in which none of
// them arrived: a broker may still be delivering thousands it queued for the collector's
// persistent session (an outage backlog), and a slow machine must not turn that into a "loss".
std::vector<std::int64_t> wait_for_acknowledged_seqs(MqttCollector& collector,
                                                     const StoreView& view,
                                                     std::chrono::milliseconds timeout);
// "3322-3511, 3600 (191 seqs)": sorted seqs as ranges, for failure messages.
std::string seq_ranges(const std::vector<std::int64_t>& seqs);

}  // namespace meterd::test
