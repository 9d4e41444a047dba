// SPDX-License-Identifier: Apache-2.0
// The output images of a bus's slaves, kept in a small text file in the driver's state
// folder (`<address> <hex bytes>` per line), so a relay command survives a daemon restart
// and the first Data_Exchange after it sends the commanded image, never zeros. Written by
// replacing the file (write, fsync, rename) on every change. Bus thread only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace meterd::profibus {

class OutputStore {
 public:
  // `path` empty: nothing is kept (a configuration check, or no state folder).
  explicit OutputStore(std::string path);
  // The saved image of `address`, if it has `size` bytes.
  std::optional<std::vector<std::uint8_t>> load(std::uint8_t address, std::size_t size) const;
  // Records the image and rewrites the file; false when the write failed.
  bool save(std::uint8_t address, const std::vector<std::uint8_t>& image);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::map<std::uint8_t, std::vector<std::uint8_t>> images_;
};

}  // namespace meterd::profibus
