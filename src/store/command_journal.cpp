// SPDX-License-Identifier: Apache-2.0
#include "store/command_journal.h"

namespace meterd {

Status journal_insert(SqliteDb& db, const JournalEntry& e) {
  Statement st(db,
               "INSERT OR IGNORE INTO commands(id, op, payload, operator, received_ms, run_at_ms, "
               "state) VALUES(?1,?2,?3,?4,?5,?6,?7)");
  st.bind(1, e.id);
  st.bind(2, e.op);
  st.bind(3, e.payload);
  st.bind(4, e.operator_id);
  st.bind(5, e.received_ms);
  if (e.run_at_ms) {
    st.bind(6, *e.run_at_ms);
  } else {
    st.bind_null(6);
  }
  st.bind(7, e.state);
  return st.run();
}

Status journal_finish(SqliteDb& db, const std::string& id, const std::string& state,
                      const std::string& result, std::int64_t finished_ms) {
  Statement st(db, "UPDATE commands SET state = ?2, result = ?3, finished_ms = ?4 WHERE id = ?1");
  st.bind(1, id);
  st.bind(2, state);
  st.bind(3, result);
  st.bind(4, finished_ms);
  return st.run();
}

Status journal_load(SqliteDb& db, std::vector<JournalEntry>& out) {
  Statement st(db,
               "SELECT id, op, payload, operator, received_ms, run_at_ms, state, "
               "coalesce(result, '') FROM commands ORDER BY received_ms, id");
  while (true) {
    Result<Statement::Step> step = st.step();
    if (!step) return step.error();
    if (step.value() == Statement::Step::kDone) return Ok{};
    JournalEntry e;
    e.id = st.column_text(0);
    e.op = st.column_text(1);
    e.payload = st.column_text(2);
    e.operator_id = st.column_text(3);
    e.received_ms = st.column_int(4);
    if (!st.column_is_null(5)) e.run_at_ms = st.column_int(5);
    e.state = st.column_text(6);
    e.result = st.column_text(7);
    out.push_back(std::move(e));
  }
}

}  // namespace meterd
