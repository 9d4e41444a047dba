// SPDX-License-Identifier: Apache-2.0
// A unique temporary directory for one test, removed with everything in it on destruction,
// unless the environment variable METERD_KEEP_TEST_DIRS is set (then its path is printed).
#pragma once

#include <filesystem>
#include <string>

namespace meterd::test {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "meterd-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // path() / name, as a string.
  std::string file(const std::string& name) const;

 private:
  std::filesystem::path path_;
};

}  // namespace meterd::test
