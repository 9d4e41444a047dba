// SPDX-License-Identifier: Apache-2.0
// The engine store port (engine/engine_store.h) on the SQLite store: each EngineWrite becomes
// one StateWrite, applied in a batch transaction with its events, its rollup deltas merged
// with the rest of the batch's (store/usage_coalescer.h); loading reads the engine's tables on
// the store thread and the stored tariffs' JSON into tariffs.
#pragma once

#include <memory>

#include "engine/engine_store.h"
#include "store/store.h"
#include "store/usage_coalescer.h"

namespace meterd {

class SqliteEngineStore final : public EngineStore {
 public:
  explicit SqliteEngineStore(Store& store) : store_(store) {}

  Status load(StoredEngineState& state, StoredControls& controls) override;
  void write(EngineWrite write) override;
  void append_event(Event event) override;
  Result<std::vector<UsageRollup>> read_usage(const UsageQuery& query) override;
  Result<std::vector<UsageRollup>> read_usage_sum(const UsageSumQuery& query) override;
  Result<UsageCloseMarks> read_close_marks() override;
  Result<std::vector<DueSummary>> read_due_summaries(int limit) override;

 private:
  Store& store_;
  // Shared with the state writes in the store's queue, which may outlive this port.
  std::shared_ptr<UsageCoalescer> usage_ = std::make_shared<UsageCoalescer>();
};

}  // namespace meterd
