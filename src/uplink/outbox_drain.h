// SPDX-License-Identifier: Apache-2.0
// The store-and-forward cursor and in-flight window of the uplink. Pure logic, no I/O: the
// uplink asks it which outbox rows to fetch and which row to publish next, and tells it about
// fetched rows, PUBACKs and (re)connects. Rows are published in seq order; at most
// `max_inflight` await their PUBACK. Runs on the loop.
//
// Invariant (no loss): every outbox row with seq <= cursor() is acknowledged, buffered or in
// flight. reset() rewinds the cursor below the lowest row not acknowledged, so a new connection
// publishes again whatever the old one left unacknowledged (duplicates are allowed, loss not).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <vector>

#include "store/store.h"

namespace meterd {

class OutboxDrain {
 public:
  OutboxDrain(int max_inflight, int batch);

  struct Fetch {
    std::uint64_t epoch = 0;  // hand back to on_fetched(); stale epochs are ignored
    std::int64_t after_seq = 0;
    int limit = 0;
  };

  // A new connection: forget the window and buffered rows, rewind to the lowest unacked seq.
  void reset();
  // The store committed outbox rows up to `max_seq`.
  void on_committed(std::int64_t max_seq);
  // A fetch to issue now, if one is due (none outstanding, buffer low, rows may exist).
  std::optional<Fetch> take_fetch();
  void on_fetched(std::uint64_t epoch, std::vector<OutboxRow> rows);
  // The next row in seq order when the window has room; it is in flight from now on.
  std::optional<OutboxRow> take_publishable();
  // The broker acknowledged `seq`; false when it was not in flight (stale or duplicate).
  bool on_acked(std::int64_t seq);

  std::size_t inflight() const { return inflight_.size(); }
  std::size_t buffered() const { return buffer_.size(); }
  std::int64_t cursor() const { return cursor_; }
  // Nothing buffered, nothing in flight, nothing known to be waiting in the store.
  bool idle() const;

 private:
  std::size_t max_inflight_;
  int batch_;
  std::int64_t cursor_ = 0;         // highest seq fetched (or known to be absent)
  std::int64_t committed_max_ = 0;  // highest seq the store reported committed
  bool maybe_more_ = true;          // rows may exist above the cursor
  bool fetching_ = false;
  std::int64_t fetch_committed_max_ = 0;  // committed_max_ when the outstanding fetch was issued
  std::uint64_t epoch_ = 0;
  std::deque<OutboxRow> buffer_;
  std::set<std::int64_t> inflight_;
};

}  // namespace meterd
