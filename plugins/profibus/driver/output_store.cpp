// SPDX-License-Identifier: Apache-2.0
#include "profibus/driver/output_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace meterd::profibus {

OutputStore::OutputStore(std::string path) : path_(std::move(path)) {
  if (path_.empty()) return;
  std::ifstream in(path_);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    int address = -1;
    std::string hex;
    if (!(fields >> address >> hex) || address < 0 || address > 126 || hex.size() % 2) continue;
    std::vector<std::uint8_t> image;
    bool ok = true;
    for (std::size_t i = 0; i < hex.size() && ok; i += 2) {
      unsigned value = 0;
      ok = std::sscanf(hex.c_str() + i, "%2x", &value) == 1;
      image.push_back(static_cast<std::uint8_t>(value));
    }
    if (ok) images_[static_cast<std::uint8_t>(address)] = std::move(image);
  }
}

std::optional<std::vector<std::uint8_t>> OutputStore::load(std::uint8_t address,
                                                           std::size_t size) const {
  auto it = images_.find(address);
  if (it == images_.end() || it->second.size() != size) return std::nullopt;
  return it->second;
}

bool OutputStore::save(std::uint8_t address, const std::vector<std::uint8_t>& image) {
  images_[address] = image;
  if (path_.empty()) return true;
  std::string text;
  char buf[4];
  for (const auto& [a, bytes] : images_) {
    text += std::to_string(a) + " ";
    for (auto b : bytes) {
      std::snprintf(buf, sizeof buf, "%02x", b);
      text += buf;
    }
    if (bytes.empty()) text += "-";
    text += "\n";
  }
  const std::string tmp = path_ + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                       ::fsync(fd) == 0;
  ::close(fd);
  return written && std::rename(tmp.c_str(), path_.c_str()) == 0;
}

}  // namespace meterd::profibus
