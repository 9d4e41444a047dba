// SPDX-License-Identifier: Apache-2.0
#include "config/error_report.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <tuple>
#include <vector>

namespace meterd {
namespace {

// The message with every run of digits replaced by one '#'.
std::string without_numbers(const std::string& message) {
  std::string out;
  out.reserve(message.size());
  for (char c : message) {
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      out += c;
    } else if (out.empty() || out.back() != '#') {
      out += '#';
    }
  }
  return out;
}

}  // namespace

ConfigErrors folded_and_sorted(const ConfigErrors& errors, const std::string& main_file) {
  return folded_and_sorted(errors, std::vector<std::string>{main_file});
}

ConfigErrors folded_and_sorted(const ConfigErrors& errors, const std::vector<std::string>& files) {
  std::set<std::tuple<std::string, int, int, std::string>> seen;
  std::vector<ConfigError> kept;
  for (const auto& e : errors.all()) {
    if (seen.emplace(e.pos.file, e.pos.line, e.pos.column, without_numbers(e.message)).second) {
      kept.push_back(e);
    }
  }
  std::map<std::string, std::size_t> file_rank;
  for (const auto& file : files) file_rank.emplace(file, file_rank.size());
  for (const auto& e : kept) file_rank.emplace(e.pos.file, file_rank.size());
  std::stable_sort(kept.begin(), kept.end(), [&](const ConfigError& a, const ConfigError& b) {
    return std::tuple(file_rank.at(a.pos.file), a.pos.line, a.pos.column) <
           std::tuple(file_rank.at(b.pos.file), b.pos.line, b.pos.column);
  });
  ConfigErrors out;
  for (auto& e : kept) out.add(e.pos, std::move(e.message));
  return out;
}

}  // namespace meterd
