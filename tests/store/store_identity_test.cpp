// SPDX-License-Identifier: Apache-2.0
// The store's identity (store_id) and its one-process lock.
#include <gtest/gtest.h>
#include <unistd.h>

#include "store/store.h"
#include "store/store_lock.h"
#include "store_test_util.h"

namespace meterd::testing {
namespace {

TEST(StoreIdentity, StoreIdIs128RandomBitsInHexStableAcrossReopenAndDistinctPerDatabase) {
  TempDir dir;
  SystemClock clock;
  std::string first;
  {
    Store store(make_config(dir.file("a.db")), clock, nullptr);
    first = store.store_id();
  }
  // (No std::regex: GCC 12 warns inside <regex> under ASan, and warnings are errors.)
  EXPECT_EQ(first.size(), 32u) << first;
  EXPECT_EQ(first.find_first_not_of("0123456789abcdef"), std::string::npos) << first;
  Store reopened(make_config(dir.file("a.db")), clock, nullptr);
  EXPECT_EQ(reopened.store_id(), first);
  Store other(make_config(dir.file("b.db")), clock, nullptr);
  EXPECT_NE(other.store_id(), first);
}

TEST(StoreLock, ASecondStoreOnTheSameFileIsRefusedNamingTheHoldersPid) {
  TempDir dir;
  SystemClock clock;
  const StoreConfig config = make_config(dir.file("store.db"));
  auto holder = std::make_unique<Store>(config, clock, nullptr);
  try {
    Store second(config, clock, nullptr);
    FAIL() << "a second store opened a database in use";
  } catch (const StoreLockedError& e) {
    EXPECT_EQ(e.holder(), getpid());
    EXPECT_NE(std::string(e.what()).find("pid " + std::to_string(getpid())), std::string::npos)
        << e.what();
  }
  holder.reset();  // the lock goes with its holder
  EXPECT_NO_THROW(Store(config, clock, nullptr));
}

}  // namespace
}  // namespace meterd::testing
