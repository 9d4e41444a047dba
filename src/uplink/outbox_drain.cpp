// SPDX-License-Identifier: Apache-2.0
#include "uplink/outbox_drain.h"

#include <algorithm>
#include <utility>

namespace meterd {

OutboxDrain::OutboxDrain(int max_inflight, int batch, PackLimits pack)
    : max_inflight_(static_cast<std::size_t>(std::max(max_inflight, 1))),
      batch_(std::max(batch, 1)),
      pack_(std::move(pack)) {}

void OutboxDrain::reset() {
  std::int64_t lowest = cursor_ + 1;
  if (!inflight_.empty()) lowest = std::min(lowest, inflight_.begin()->first);
  if (!buffer_.empty()) lowest = std::min(lowest, buffer_.front().seq);
  cursor_ = lowest - 1;
  inflight_.clear();
  inflight_rows_ = 0;
  buffer_.clear();
  ++epoch_;  // whatever fetch is still on its way belongs to the old connection
  fetching_ = false;
  maybe_more_ = true;
}

void OutboxDrain::on_committed(std::int64_t max_seq) {
  committed_max_ = std::max(committed_max_, max_seq);
  if (committed_max_ > cursor_) maybe_more_ = true;
}

std::optional<OutboxDrain::Fetch> OutboxDrain::take_fetch() {
  // Refill when the buffer falls under half a batch, so publishing never waits for a read.
  if (fetching_ || !maybe_more_ || buffer_.size() >= static_cast<std::size_t>(batch_) / 2) {
    return std::nullopt;
  }
  fetching_ = true;
  fetch_committed_max_ = committed_max_;
  return Fetch{epoch_, cursor_, batch_};
}

void OutboxDrain::on_fetched(std::uint64_t epoch, std::vector<OutboxRow> rows) {
  if (epoch != epoch_) return;
  fetching_ = false;
  const bool full = rows.size() >= static_cast<std::size_t>(batch_);
  for (auto& row : rows) {
    if (row.seq <= cursor_) continue;  // defensive: the store returns seq > after_seq
    cursor_ = row.seq;
    committed_max_ = std::max(committed_max_, row.seq);
    buffer_.push_back(std::move(row));
  }
  if (full) {
    maybe_more_ = true;
    return;
  }
  // A short read saw every row committed before it was issued: rows up to that point that
  // did not come back are gone (acknowledged or evicted), so the cursor may pass them.
  cursor_ = std::max(cursor_, fetch_committed_max_);
  maybe_more_ = committed_max_ > cursor_;
}

std::size_t OutboxDrain::row_bytes(const OutboxRow& row) const {
  return pack_.row_bytes ? pack_.row_bytes(row) : row.body_json.size();
}

std::vector<OutboxRow> OutboxDrain::take_message() {
  std::vector<OutboxRow> rows;
  if (buffer_.empty() || inflight_.size() >= max_inflight_) return rows;
  const bool pack = pack_.max_rows > 1 && buffer_.size() >= pack_.min_rows;
  // The first row goes even when it alone is over max_bytes: it is then sent on its own.
  std::size_t bytes = pack ? 2 + row_bytes(buffer_.front()) : 0;  // 2: the pack's brackets
  rows.push_back(std::move(buffer_.front()));
  buffer_.pop_front();
  while (pack && rows.size() < pack_.max_rows && !buffer_.empty()) {
    const std::size_t next = row_bytes(buffer_.front());
    if (bytes + next > pack_.max_bytes) break;
    bytes += next;
    rows.push_back(std::move(buffer_.front()));
    buffer_.pop_front();
  }
  std::vector<std::int64_t>& seqs = inflight_[rows.front().seq];
  seqs.reserve(rows.size());
  for (const OutboxRow& row : rows) seqs.push_back(row.seq);
  inflight_rows_ += rows.size();
  return rows;
}

std::vector<std::int64_t> OutboxDrain::on_acked(std::int64_t first_seq) {
  auto it = inflight_.find(first_seq);
  if (it == inflight_.end()) return {};
  std::vector<std::int64_t> seqs = std::move(it->second);
  inflight_.erase(it);
  inflight_rows_ -= seqs.size();
  return seqs;
}

bool OutboxDrain::idle() const {
  return buffer_.empty() && inflight_.empty() && !fetching_ && !maybe_more_;
}

}  // namespace meterd
