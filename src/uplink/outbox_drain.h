// SPDX-License-Identifier: Apache-2.0
// The store-and-forward cursor and in-flight window of the uplink. Pure logic, no I/O: the
// uplink asks it which outbox rows to fetch and which message to publish next (one row, or a
// pack of consecutive rows while a backlog is ready), and tells it about fetched rows, PUBACKs
// and (re)connects. Rows are published in seq order; at most `max_inflight` messages await
// their PUBACK; one PUBACK acknowledges every row of its message. Runs on the loop.
//
// Invariant (no loss): every outbox row with seq <= cursor() is acknowledged, buffered or in
// flight. reset() rewinds the cursor below the lowest row not acknowledged, so a new connection
// publishes again whatever the old one left unacknowledged (duplicates are allowed, loss not).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "store/store.h"

namespace meterd {

// When rows are packed into one message (docs/mqtt-api.md#batch). The defaults never pack.
struct PackLimits {
  std::size_t min_rows = 2;          // pack only while at least this many rows are ready
  std::size_t max_rows = 1;          // rows per pack; 1: never pack
  std::size_t max_bytes = SIZE_MAX;  // payload per pack, by row_bytes plus 2 for the brackets
  // An upper bound of a row's share of a pack's payload (its object and a separator); when
  // empty, the body's size.
  std::function<std::size_t(const OutboxRow&)> row_bytes;
};

class OutboxDrain {
 public:
  OutboxDrain(int max_inflight, int batch, PackLimits pack = {});

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
  // The rows of the next message when the window has room, in seq order: one row, or a pack
  // within the PackLimits while at least min_rows are ready. Empty when there is nothing to
  // send or no room. The message is in flight from now on, known by its first seq.
  std::vector<OutboxRow> take_message();
  // The broker acknowledged the message whose first row is `first_seq`: the seqs of all its
  // rows, or none when it was not in flight (stale or duplicate).
  std::vector<std::int64_t> on_acked(std::int64_t first_seq);

  std::size_t inflight() const { return inflight_.size(); }  // messages
  std::size_t inflight_rows() const { return inflight_rows_; }
  std::size_t buffered() const { return buffer_.size(); }
  std::int64_t cursor() const { return cursor_; }
  // Nothing buffered, nothing in flight, nothing known to be waiting in the store.
  bool idle() const;

 private:
  std::size_t row_bytes(const OutboxRow& row) const;

  std::size_t max_inflight_;
  int batch_;
  PackLimits pack_;
  std::int64_t cursor_ = 0;         // highest seq fetched (or known to be absent)
  std::int64_t committed_max_ = 0;  // highest seq the store reported committed
  bool maybe_more_ = true;          // rows may exist above the cursor
  bool fetching_ = false;
  std::int64_t fetch_committed_max_ = 0;  // committed_max_ when the outstanding fetch was issued
  std::uint64_t epoch_ = 0;
  std::deque<OutboxRow> buffer_;
  std::map<std::int64_t, std::vector<std::int64_t>> inflight_;  // first seq -> its rows' seqs
  std::size_t inflight_rows_ = 0;
};

}  // namespace meterd
