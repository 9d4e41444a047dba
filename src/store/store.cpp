// SPDX-License-Identifier: Apache-2.0
#include "store/store.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <variant>

#include "store/batch_writer.h"
#include "store/budget.h"
#include "store/migrations.h"
#include "store/sqlite_db.h"
#include "store/store_lock.h"
#include "store/write_trouble.h"

namespace meterd {
namespace {

using Steady = std::chrono::steady_clock;

struct RawRow {
  OutboxKind kind;
  std::string meter_id;
  WallTime time;
  std::string body;
};
using QueuedWrite = std::variant<Telemetry, Event, RawRow, StateWrite>;

struct StateRead {
  const std::function<Status(SqliteDb&)>* read;
  std::promise<Status> done;
};

struct FetchRequest {
  std::int64_t after_seq;
  int limit;
  std::function<void(std::vector<OutboxRow>)> done;
};

// Retries of a failed commit back off from one commit interval up to this.
constexpr std::chrono::milliseconds kMaxBackoff{30'000};
// A transaction takes at most this many batches' worth of queued rows.
constexpr std::size_t kBacklogBatches = 4;
// At shutdown a failing disk gets this many more attempts before queued rows are given up.
constexpr int kShutdownAttempts = 3;

void encode(QueuedWrite write, std::vector<PendingRow>& out) {
  if (auto* t = std::get_if<Telemetry>(&write)) return out.push_back(make_pending(std::move(*t)));
  if (auto* e = std::get_if<Event>(&write)) return out.push_back(make_pending(*e));
  if (auto* state = std::get_if<StateWrite>(&write)) return append_pending(std::move(*state), out);
  auto& raw = std::get<RawRow>(write);
  out.push_back(make_pending(raw.kind, std::move(raw.meter_id), raw.time, std::move(raw.body)));
}

}  // namespace

const char* store_state(const StoreStats& stats) {
  if (stats.disk_full) return "disk_full";
  if (stats.write_failing) return "write_failing";
  if (stats.over_budget) return "over_budget";
  return "ok";
}

// The store thread owns db_, budget_, writer_, fetch_ and batch_; the mutex guards the
// queues shared with callers; stats_mu_ guards stats_.
class Store::Impl {
 public:
  Impl(const StoreConfig& config, const Clock& clock, std::function<void(std::int64_t)> on_commit)
      : config_(config), clock_(clock), on_commit_(std::move(on_commit)) {
    open();
    progress_ns_ = clock_.steady_now().time_since_epoch().count();
    thread_ = std::thread([this] { run(); });
    pthread_setname_np(thread_.native_handle(), "meterd-store");
  }

  ~Impl() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }

  void push(QueuedWrite write) {
    {
      std::lock_guard lock(mu_);
      if (queue_.empty() && acks_.empty()) oldest_pending_ = Steady::now();
      const auto* state = std::get_if<StateWrite>(&write);
      urgent_ = urgent_ || (state && state->urgent);
      queue_.push_back(std::move(write));
      if (!urgent_ && queue_.size() + acks_.size() < config_.batch_rows) return;
    }
    cv_.notify_one();
  }

  void acknowledge(std::vector<std::int64_t> seqs) {
    {
      std::lock_guard lock(mu_);
      if (queue_.empty() && acks_.empty()) oldest_pending_ = Steady::now();
      acks_.insert(acks_.end(), seqs.begin(), seqs.end());
      if (queue_.size() + acks_.size() < config_.batch_rows) return;
    }
    cv_.notify_one();
  }

  void fetch(std::int64_t after_seq, int limit, std::function<void(std::vector<OutboxRow>)> done) {
    {
      std::lock_guard lock(mu_);
      fetches_.push_back({after_seq, limit, std::move(done)});
    }
    cv_.notify_one();
  }

  Status read_state(const std::function<Status(SqliteDb&)>& read) {
    if (std::this_thread::get_id() == thread_.get_id()) {
      return make_error(ErrorKind::kInvalidArgument, "read_state from the store thread");
    }
    std::promise<Status> done;
    std::future<Status> result = done.get_future();
    {
      std::lock_guard lock(mu_);
      reads_.push_back(StateRead{&read, std::move(done)});
    }
    cv_.notify_one();
    return result.get();
  }

  bool flush() {
    if (std::this_thread::get_id() == thread_.get_id()) return false;
    std::promise<bool> done;
    std::future<bool> result = done.get_future();
    {
      std::lock_guard lock(mu_);
      flushes_.push_back(std::move(done));
    }
    cv_.notify_one();
    return result.get();
  }

  StoreStats stats() const {
    std::lock_guard lock(stats_mu_);
    return stats_;
  }

  SteadyTime last_progress() const {
    return SteadyTime{} + SteadyTime::duration(progress_ns_.load());
  }

  const std::string& store_id() const { return store_id_; }

 private:
  void open() {
    lock_ = std::make_unique<StoreLock>(config_.path);  // before anything touches the file
    db_ = std::make_unique<SqliteDb>(config_.path);
    // Another process reading the file (meterctl, sqlite3, a test) may hold a lock for a
    // moment, e.g. while recovering the WAL after a crash: wait for it instead of failing.
    Status status = db_->exec("PRAGMA busy_timeout = 5000");
    if (!status) throw std::runtime_error("cannot set up database: " + status.error().message);
    refuse_newer_schema(*db_);  // before the WAL switch writes to the file
    status = db_->exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
    if (!status) throw std::runtime_error("cannot set up database: " + status.error().message);
    migrate(*db_);
    budget_ = std::make_unique<SizeBudget>(*db_, config_.budget_bytes);
    const WalLimits wal = wal_limits_for(config_.budget_bytes, budget_->page_size());
    status = db_->exec("PRAGMA wal_autocheckpoint = " + std::to_string(wal.autocheckpoint_pages) +
                       "; PRAGMA journal_size_limit = " + std::to_string(wal.journal_limit_bytes));
    if (!status) throw std::runtime_error("cannot set up database: " + status.error().message);
    writer_ = std::make_unique<BatchWriter>(*db_, *budget_, clock_);
    fetch_ = std::make_unique<Statement>(
        *db_,
        "SELECT seq, kind, meter_id, ts_ms, body FROM outbox WHERE seq > ?1 ORDER BY seq LIMIT ?2");
    require_prepared({fetch_.get()});
    Statement identity(*db_, "SELECT store_id FROM store_identity");
    Result<Statement::Step> row = identity.step();
    if (!row || row.value() != Statement::Step::kRow) {
      throw std::runtime_error("cannot read the store's identity" +
                               (row ? std::string() : ": " + row.error().message));
    }
    store_id_ = identity.column_text(0);

    auto read = [this](const std::string& sql) {
      Result<std::int64_t> value = db_->query_int(sql);
      if (!value) throw std::runtime_error("cannot read store state: " + value.error().message);
      return value.value();
    };
    stats_.backlog_rows = read("SELECT count(*) FROM outbox");
    stats_.last_seq =
        read("SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'outbox'");
    Result<std::int64_t> evicted = budget_->evicted_total();
    Result<std::int64_t> used = budget_->used_bytes();
    if (!evicted || !used) throw std::runtime_error("cannot read store state");
    stats_.evicted_rows_total = evicted.value();
    stats_.db_bytes = used.value();
  }

  std::size_t pending_locked() const { return queue_.size() + acks_.size() + batch_.size(); }

  void run() {
    std::unique_lock lock(mu_);
    const auto interval = std::max(config_.commit_interval, std::chrono::milliseconds(1));
    while (true) {
      const Steady::time_point now = Steady::now();
      Steady::time_point deadline = now + interval;
      if (pending_locked() > 0) deadline = std::min(deadline, std::max(due_at(), retry_at_));
      cv_.wait_until(lock, deadline, [&] {
        return stop_ || !fetches_.empty() || !flushes_.empty() || !reads_.empty() ||
               ((urgent_ || pending_locked() >= config_.batch_rows) && Steady::now() >= retry_at_);
      });
      progress_ns_ = clock_.steady_now().time_since_epoch().count();

      const bool stopping = stop_;
      std::deque<FetchRequest> fetches;
      fetches.swap(fetches_);
      std::vector<std::promise<bool>> flushes;
      flushes.swap(flushes_);
      std::vector<StateRead> reads;
      reads.swap(reads_);
      const Steady::time_point woke = Steady::now();
      const bool due = pending_locked() > 0 &&
                       (urgent_ || pending_locked() >= config_.batch_rows || woke >= due_at()) &&
                       woke >= retry_at_;
      lock.unlock();

      bool flushed = true;
      guarded(
          "committing a batch",
          [&] {
            if (stopping) {
              commit_for_shutdown();
              flushed = !has_pending();
            } else if (!flushes.empty() || !reads.empty()) {
              flushed = commit_all();
            } else if (due) {
              commit_once();
            }
          },
          &flushed);
      for (FetchRequest& request : fetches) guarded("reading the outbox", [&] { serve(request); });
      for (std::promise<bool>& waiter : flushes) waiter.set_value(flushed);
      for (StateRead& request : reads) serve(request, flushed);

      lock.lock();
      if (stopping) break;
    }
    // Anyone who asked while we were stopping still gets an answer.
    for (FetchRequest& request : fetches_) serve(request);
    for (std::promise<bool>& waiter : flushes_) waiter.set_value(pending_locked() == 0);
    for (StateRead& request : reads_) serve(request, pending_locked() == 0);
  }

  Steady::time_point due_at() const { return oldest_pending_ + config_.commit_interval; }

  // The outermost guard of the store thread: nothing thrown may end it (and with it every
  // write). A throw is a bug: it is logged with what the thread was doing, counted
  // (internal_errors, in health), and a throwing commit is retried like a failed one, its
  // rows kept. `failed` (optional) is set to false when `work` threw.
  template <typename Work>
  void guarded(const char* doing, Work&& work, bool* failed = nullptr) {
    std::string what;
    try {
      work();
      return;
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
      what = "unknown exception";
    }
    if (failed != nullptr) *failed = false;
    spdlog::error("store: internal error while {}: {}; the store keeps serving", doing, what);
    {
      std::lock_guard lock(stats_mu_);
      ++stats_.internal_errors;
    }
    // A commit (the caller passed `failed`) is retried like a failed one.
    if (failed != nullptr)
      note_failure(make_error(ErrorKind::kInternal, "internal error: " + what));
  }

  // A commit failed (an error value or a throw): the rows stay in batch_ and are retried
  // after a backoff; a full disk also sets the ceiling the retry makes room under.
  void note_failure(const Error& error) {
    const Result<std::int64_t> used = budget_->used_bytes();
    const Result<std::int64_t> room = budget_->disk_room();
    const bool was_full = trouble_.disk_full();
    trouble_.on_failure(error, used ? used.value() : 0, room ? room.value() : 0);
    const int failures = trouble_.failures();
    const auto backoff = std::min<std::chrono::milliseconds>(
        config_.commit_interval * (1LL << std::min(failures - 1, 16)), kMaxBackoff);
    {
      std::lock_guard lock(mu_);
      // A full disk's retry evicts first, so it goes at once; later ones back off.
      retry_at_ =
          Steady::now() +
          (trouble_.ceiling() > 0 && failures == 1 ? std::chrono::milliseconds(0) : backoff);
    }
    {
      std::lock_guard lock(stats_mu_);
      ++stats_.write_errors;
      stats_.write_failing = true;
      stats_.disk_full = trouble_.disk_full();
    }
    if (trouble_.disk_full() && !was_full) {
      spdlog::error(
          "store: disk full at {} bytes in use ({} bytes free); {} rows kept queued, the oldest "
          "telemetry is evicted to make room: {}",
          used ? used.value() : 0, room ? room.value() : 0, batch_.size(), error.message);
    } else if (failures == 1 || failures % 10 == 0) {
      spdlog::error("store: commit failed ({} in a row, {} rows kept queued): {}", failures,
                    batch_.size(), error.message);
    }
  }

  // Takes queued rows into batch_ (which still holds a failed batch's rows, in order) and
  // commits them with all pending acks. Store thread only. A backlog that built up during
  // the previous commit goes in larger transactions (up to kBacklogBatches * batch_rows):
  // fewer fsyncs when ingest outpaces the disk, and still a bounded WAL.
  bool commit_once(bool write_latest_now = false) {
    std::vector<QueuedWrite> taken;
    {
      std::lock_guard lock(mu_);
      const std::size_t max_rows = config_.batch_rows * kBacklogBatches;
      const std::size_t room = max_rows > batch_.size() ? max_rows - batch_.size() : 0;
      const std::size_t n = std::min(room, queue_.size());
      taken.reserve(n);
      std::move(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n),
                std::back_inserter(taken));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
      batch_acks_.insert(batch_acks_.end(), acks_.begin(), acks_.end());
      acks_.clear();
      if (queue_.empty()) urgent_ = false;
      // What is left waits a fresh interval at most (or is taken at once if a batch is full).
      oldest_pending_ = Steady::now();
    }
    for (QueuedWrite& write : taken) encode(std::move(write), batch_);
    // The rows survived; the failure is still reported, in the batch that succeeds. A report
    // left first in batch_ by the previous failed attempt is ours: replaced, not repeated.
    if (reported_ && !batch_.empty()) batch_.erase(batch_.begin());
    reported_ = false;
    if (std::optional<Event> report = trouble_.report(clock_.wall_now())) {
      batch_.insert(batch_.begin(), make_pending(*report));
      reported_ = true;
    }

    Result<BatchOutcome> result =
        writer_->write(batch_, batch_acks_, write_latest_now, trouble_.ceiling());
    if (!result) {
      note_failure(result.error());
      return false;
    }
    const int failures = trouble_.failures();
    if (failures > 0) spdlog::info("store: commits succeed again after {} failures", failures);
    const BatchOutcome& outcome = result.value();
    const Result<std::int64_t> room =
        trouble_.disk_full() ? budget_->disk_room() : Result<std::int64_t>(0);
    if (trouble_.on_success(room ? room.value() : 0)) {
      spdlog::info("store: the disk has room again ({} bytes free); disk_full is over",
                   room.value());
    }
    reported_ = false;
    {
      std::lock_guard lock(stats_mu_);
      stats_.commits += 1;
      stats_.committed_rows += outcome.rows_added;
      stats_.backlog_rows += outcome.rows_added - outcome.rows_acked - outcome.evicted.rows;
      stats_.evicted_rows += outcome.evicted.rows;
      stats_.evicted_rows_total += outcome.evicted.rows;
      stats_.db_bytes = outcome.used_bytes;
      stats_.over_budget = outcome.over_budget;
      stats_.write_failing = false;
      stats_.disk_full = trouble_.disk_full();
      if (outcome.max_seq > 0) stats_.last_seq = outcome.max_seq;
    }
    if (outcome.evicted.rows > 0) {
      spdlog::warn("store: evicted {} telemetry rows (seq {}..{}) to stay within {} bytes{}",
                   outcome.evicted.rows, outcome.evicted.oldest_seq, outcome.evicted.newest_seq,
                   config_.budget_bytes, trouble_.disk_full() ? " on a full disk" : "");
    }
    for (const PendingRow& row : batch_) {
      if (!row.state || !row.state->committed) continue;
      try {
        row.state->committed();
      } catch (const std::exception& e) {
        spdlog::error("store: committed callback threw: {}", e.what());
      }
    }
    batch_.clear();
    batch_acks_.clear();
    if (outcome.rows_added > 0 && on_commit_) {
      try {
        on_commit_(outcome.max_seq);
      } catch (const std::exception& e) {
        spdlog::error("store: on_commit callback threw: {}", e.what());
      }
    }
    return true;
  }

  bool has_pending() {
    std::lock_guard lock(mu_);
    return pending_locked() > 0;
  }

  // Used by flush and at shutdown, so `latest` is written too.
  bool commit_all() {
    while (has_pending()) {
      if (!commit_once(/*write_latest_now=*/true)) return false;
    }
    return !writer_->has_unwritten_latest() || commit_once(/*write_latest_now=*/true);
  }

  void commit_for_shutdown() {
    for (int attempt = 0; attempt <= kShutdownAttempts; ++attempt) {
      if (commit_all()) return;
      std::this_thread::sleep_for(config_.commit_interval);
    }
    std::lock_guard lock(mu_);
    spdlog::error("store: stopping with {} rows not written (commits keep failing)",
                  pending_locked());
  }

  void serve(StateRead& request, bool flushed) {
    if (!flushed) {
      request.done.set_value(
          make_error(ErrorKind::kInternal, "store: pending writes could not be committed"));
      return;
    }
    try {
      request.done.set_value((*request.read)(*db_));
    } catch (const std::exception& e) {
      request.done.set_value(make_error(ErrorKind::kInternal, e.what()));
    }
  }

  void serve(FetchRequest& request) {
    std::vector<OutboxRow> rows;
    rows.reserve(static_cast<std::size_t>(std::clamp(request.limit, 0, 4096)));
    fetch_->bind(1, request.after_seq);
    fetch_->bind(2, std::int64_t{request.limit});
    while (true) {
      Result<Statement::Step> step = fetch_->step();
      if (!step) {
        spdlog::error("store: reading the outbox failed: {}", step.error().message);
        break;
      }
      if (step.value() == Statement::Step::kDone) break;
      OutboxRow row;
      row.seq = fetch_->column_int(0);
      row.kind = static_cast<OutboxKind>(fetch_->column_int(1));
      row.meter_id = fetch_->column_text(2);
      row.ts_ms = fetch_->column_int(3);
      row.body_json = fetch_->column_text(4);
      rows.push_back(std::move(row));
    }
    fetch_->reset();
    if (!request.done) return;
    try {
      request.done(std::move(rows));
    } catch (const std::exception& e) {
      spdlog::error("store: fetch callback threw: {}", e.what());
    }
  }

  const StoreConfig config_;
  const Clock& clock_;
  const std::function<void(std::int64_t)> on_commit_;

  // Store thread only (and open(), before the thread starts).
  std::unique_ptr<StoreLock> lock_;
  std::string store_id_;  // set by open(), then read-only
  std::unique_ptr<SqliteDb> db_;
  std::unique_ptr<SizeBudget> budget_;
  std::unique_ptr<BatchWriter> writer_;
  std::unique_ptr<Statement> fetch_;
  std::vector<PendingRow> batch_;  // encoded, not yet committed; survives a failed commit
  std::vector<std::int64_t> batch_acks_;
  WriteTrouble trouble_;
  bool reported_ = false;  // batch_ starts with trouble_'s report, added by this thread

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<QueuedWrite> queue_;
  std::vector<std::int64_t> acks_;
  std::deque<FetchRequest> fetches_;
  std::vector<std::promise<bool>> flushes_;
  std::vector<StateRead> reads_;
  Steady::time_point oldest_pending_{};
  Steady::time_point retry_at_{};
  bool stop_ = false;
  bool urgent_ = false;  // an urgent StateWrite is queued: commit without waiting

  mutable std::mutex stats_mu_;
  StoreStats stats_;
  std::atomic<SteadyTime::rep> progress_ns_{0};
  std::thread thread_;
};

Store::Store(const StoreConfig& config, const Clock& clock,
             std::function<void(std::int64_t max_seq)> on_commit)
    : impl_(std::make_unique<Impl>(config, clock, std::move(on_commit))) {}

Store::~Store() = default;

void Store::append_telemetry(Telemetry telemetry) { impl_->push(std::move(telemetry)); }

void Store::set_event_observer(std::function<void(const Event&)> observer) {
  event_observer_ = std::move(observer);
}

void Store::append_event(Event event) {
  if (event_observer_) event_observer_(event);
  impl_->push(std::move(event));
}

void Store::append_row(OutboxKind kind, std::string meter_id, WallTime time,
                       std::string body_json) {
  impl_->push(RawRow{kind, std::move(meter_id), time, std::move(body_json)});
}

void Store::append_state(StateWrite write) {
  if (event_observer_) {
    for (const Event& event : write.events) event_observer_(event);
  }
  impl_->push(std::move(write));
}

Status Store::read_state(const std::function<Status(SqliteDb&)>& read) {
  return impl_->read_state(read);
}

void Store::fetch_outbox(std::int64_t after_seq, int limit,
                         std::function<void(std::vector<OutboxRow>)> done) {
  impl_->fetch(after_seq, limit, std::move(done));
}

void Store::acknowledge(std::vector<std::int64_t> seqs) { impl_->acknowledge(std::move(seqs)); }

bool Store::flush() { return impl_->flush(); }

StoreStats Store::stats() const { return impl_->stats(); }

const std::string& Store::store_id() const { return impl_->store_id(); }

SteadyTime Store::last_progress() const { return impl_->last_progress(); }

}  // namespace meterd
