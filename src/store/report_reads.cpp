// SPDX-License-Identifier: Apache-2.0
#include "store/report_reads.h"

namespace meterd {

Result<BacklogFigures> read_backlog_figures(SqliteDb& db) {
  Statement st(db,
               "SELECT COUNT(*), COALESCE(SUM(LENGTH(CAST(body AS BLOB))), 0), MIN(seq), "
               "(SELECT ts_ms FROM outbox ORDER BY seq LIMIT 1) FROM outbox");
  Result<Statement::Step> step = st.step();
  if (!step) return step.error();
  BacklogFigures figures;
  if (step.value() != Statement::Step::kRow) return figures;
  figures.rows = st.column_int(0);
  figures.body_bytes = st.column_int(1);
  if (!st.column_is_null(2)) figures.oldest_seq = st.column_int(2);
  if (!st.column_is_null(3)) figures.oldest_ts_ms = st.column_int(3);
  return figures;
}

Result<std::vector<MoneyMovement>> read_recent_recharges(SqliteDb& db,
                                                         const std::string& account_id, int limit) {
  Statement st(db,
               "SELECT ts_ms, kind, amount, balance_after, COALESCE(order_id, '') FROM ledger "
               "WHERE account_id = ?1 AND kind IN ('recharge', 'refund') ORDER BY id DESC "
               "LIMIT ?2");
  st.bind_all(std::string_view(account_id), static_cast<std::int64_t>(limit));
  std::vector<MoneyMovement> out;
  while (true) {
    Result<Statement::Step> step = st.step();
    if (!step) return step.error();
    if (step.value() == Statement::Step::kDone) return out;
    out.push_back(MoneyMovement{st.column_int(0), st.column_text(1), st.column_int(2),
                                st.column_int(3), st.column_text(4)});
  }
}

}  // namespace meterd
