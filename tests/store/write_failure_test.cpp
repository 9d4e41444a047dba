// SPDX-License-Identifier: Apache-2.0
// Disk-full behaviour, injected with a pass-through SQLite VFS whose writes fail on demand.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include "store/store.h"
#include "store_test_util.h"

namespace meterd::testing {
namespace {

using namespace std::chrono_literals;

std::atomic<bool> g_fail_writes{false};
sqlite3_vfs* g_real = nullptr;

// Our file header, followed in the same allocation by the real VFS's file.
struct FaultFile {
  sqlite3_file base;
  sqlite3_file* real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
};
FaultFile* as_fault(sqlite3_file* f) { return reinterpret_cast<FaultFile*>(f); }
sqlite3_file* real_of(sqlite3_file* f) { return as_fault(f)->real(); }

int fault_close(sqlite3_file* f) { return real_of(f)->pMethods->xClose(real_of(f)); }
int fault_read(sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
  return real_of(f)->pMethods->xRead(real_of(f), buf, n, off);
}
int fault_write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
  if (g_fail_writes) return SQLITE_FULL;
  return real_of(f)->pMethods->xWrite(real_of(f), buf, n, off);
}
int fault_truncate(sqlite3_file* f, sqlite3_int64 size) {
  return real_of(f)->pMethods->xTruncate(real_of(f), size);
}
int fault_sync(sqlite3_file* f, int flags) {
  return real_of(f)->pMethods->xSync(real_of(f), flags);
}
int fault_size(sqlite3_file* f, sqlite3_int64* size) {
  return real_of(f)->pMethods->xFileSize(real_of(f), size);
}
int fault_lock(sqlite3_file* f, int l) { return real_of(f)->pMethods->xLock(real_of(f), l); }
int fault_unlock(sqlite3_file* f, int l) { return real_of(f)->pMethods->xUnlock(real_of(f), l); }
int fault_check(sqlite3_file* f, int* out) {
  return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}
int fault_control(sqlite3_file* f, int op, void* arg) {
  return real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
}
int fault_sector(sqlite3_file* f) { return real_of(f)->pMethods->xSectorSize(real_of(f)); }
int fault_device(sqlite3_file* f) {
  return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f));
}
int fault_shm_map(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
  return real_of(f)->pMethods->xShmMap(real_of(f), page, size, extend, out);
}
int fault_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return real_of(f)->pMethods->xShmLock(real_of(f), offset, n, flags);
}
void fault_shm_barrier(sqlite3_file* f) { real_of(f)->pMethods->xShmBarrier(real_of(f)); }
int fault_shm_unmap(sqlite3_file* f, int del) {
  return real_of(f)->pMethods->xShmUnmap(real_of(f), del);
}

// Version 2: no memory-mapped I/O, so every write goes through xWrite.
const sqlite3_io_methods kFaultMethods = {2,
                                          fault_close,
                                          fault_read,
                                          fault_write,
                                          fault_truncate,
                                          fault_sync,
                                          fault_size,
                                          fault_lock,
                                          fault_unlock,
                                          fault_check,
                                          fault_control,
                                          fault_sector,
                                          fault_device,
                                          fault_shm_map,
                                          fault_shm_lock,
                                          fault_shm_barrier,
                                          fault_shm_unmap,
                                          nullptr,
                                          nullptr};

int fault_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  FaultFile* file = as_fault(f);
  file->base.pMethods = nullptr;
  const int rc = g_real->xOpen(g_real, name, file->real(), flags, out_flags);
  if (rc == SQLITE_OK) file->base.pMethods = &kFaultMethods;
  return rc;
}

sqlite3_vfs make_fault_vfs() {
  g_real = sqlite3_vfs_find(nullptr);
  sqlite3_vfs vfs = *g_real;
  vfs.iVersion = 1;  // only the version-1 entry points are forwarded (copied from the real one)
  vfs.zName = "meterd-fault";
  vfs.szOsFile = static_cast<int>(sizeof(FaultFile)) + g_real->szOsFile;
  vfs.pAppData = nullptr;
  vfs.xOpen = fault_open;
  return vfs;
}

class FaultVfs {
 public:
  FaultVfs() : vfs_(make_fault_vfs()) { sqlite3_vfs_register(&vfs_, /*makeDflt=*/1); }
  ~FaultVfs() {
    g_fail_writes = false;
    sqlite3_vfs_unregister(&vfs_);
  }

 private:
  sqlite3_vfs vfs_;
};

TEST(StoreWriteFailureTest, FailedCommitKeepsRowsQueuedAndRetriesThem) {
  FaultVfs vfs;
  TempDir dir;
  SystemClock clock;
  const std::string path = dir.file("store.db");
  Store store(make_config(path, 1000, 10ms), clock, nullptr);
  for (int i = 0; i < 5; ++i) store.append_telemetry(make_telemetry("m1", i));
  ASSERT_TRUE(store.flush());

  g_fail_writes = true;
  for (int i = 5; i < 10; ++i) store.append_telemetry(make_telemetry("m1", i));
  store.append_event(Event{"cut_off", "m1", clock.wall_now(), "{}"});
  EXPECT_FALSE(store.flush());
  // The store thread keeps retrying with backoff and keeps counting.
  EXPECT_TRUE(wait_until([&] { return store.stats().write_errors >= 2; }));
  EXPECT_EQ(store.stats().committed_rows, 5);
  EXPECT_GT(store.last_progress(), SteadyTime{});

  g_fail_writes = false;
  ASSERT_TRUE(store.flush());
  const std::vector<OutboxRow> rows = fetch_now(store, 0, 100);
  std::vector<std::int64_t> energy;
  std::vector<std::string> events;
  for (const OutboxRow& row : rows) {
    const auto body = nlohmann::json::parse(row.body_json);
    if (row.kind == OutboxKind::kTelemetry) {
      energy.push_back(body["values"]["energy_total"].get<std::int64_t>());
    } else {
      events.push_back(body["event"].get<std::string>());
    }
  }
  EXPECT_EQ(energy, (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  // The failure itself is reported (the fault is SQLITE_FULL: as disk_full), and no queued
  // event was lost. The file system had room all along, so no telemetry was evicted for it.
  EXPECT_EQ(events, (std::vector<std::string>{"disk_full", "cut_off"}));
  for (std::size_t i = 1; i < rows.size(); ++i) EXPECT_GT(rows[i].seq, rows[i - 1].seq);
}

}  // namespace
}  // namespace meterd::testing
