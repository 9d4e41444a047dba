// SPDX-License-Identifier: Apache-2.0
// Replays a libFuzzer target without libFuzzer, so every compiler exercises it: each file of a
// seed corpus as it is, then a fixed number of random mutations of the seeds from a fixed
// random seed (the same inputs on every run). A failing input is written to
// fuzz-replay-crash.bin before the target runs it, so a crash leaves it behind.
//   usage: <replay> <corpus dir> [mutations=5000] [seed=1]
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

using Bytes = std::vector<std::uint8_t>;

// Fragments that steer mutations towards JSON and YAML structure and the parsers' edge cases.
const std::vector<std::string> kTokens = {"{",
                                          "}",
                                          "[",
                                          "]",
                                          "\"",
                                          ":",
                                          ",",
                                          "\\",
                                          "\\u0000",
                                          "\\ud800",
                                          "-",
                                          "0",
                                          "1e400",
                                          "18446744073709551616",
                                          "-9223372036854775809",
                                          "null",
                                          "true",
                                          "\"op\"",
                                          "\"args\"",
                                          "\"batch\"",
                                          "\"recharge\"",
                                          "\"amount\"",
                                          "\"0.00001\"",
                                          "\"meters\"",
                                          "\"select\"",
                                          "\xff",
                                          "\n",
                                          "\n  ",
                                          "\t",
                                          "- ",
                                          "&a ",
                                          "*a",
                                          "<<: ",
                                          "? ",
                                          "---\n",
                                          "!!str ",
                                          "'",
                                          "#",
                                          "{n}",
                                          "{n:09}",
                                          "count: ",
                                          "10000"};

Bytes read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// One file kept open and rewritten in place: opening and truncating a file per input cost
// seconds per run on a loaded machine.
void run(const Bytes& input) {
  static const int crash_fd =
      ::open("fuzz-replay-crash.bin", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (crash_fd >= 0) {
    [[maybe_unused]] const ssize_t written = ::pwrite(crash_fd, input.data(), input.size(), 0);
    [[maybe_unused]] const int truncated = ::ftruncate(crash_fd, static_cast<off_t>(input.size()));
  }
  LLVMFuzzerTestOneInput(input.data(), input.size());
}

Bytes mutate(Bytes input, std::mt19937& random) {
  auto pick = [&random](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n)(random);
  };
  const std::size_t edits = 1 + pick(7);
  for (std::size_t e = 0; e < edits; ++e) {
    const std::size_t at = pick(input.size());
    switch (pick(5)) {
      case 0:  // flip a bit
        if (at < input.size()) input[at] ^= static_cast<std::uint8_t>(1u << pick(7));
        break;
      case 1:  // insert a random byte
        input.insert(input.begin() + at, static_cast<std::uint8_t>(pick(255)));
        break;
      case 2:  // delete a run
        input.erase(input.begin() + at, input.begin() + std::min(input.size(), at + 1 + pick(8)));
        break;
      case 3: {  // insert a token
        const std::string& token = kTokens[pick(kTokens.size() - 1)];
        input.insert(input.begin() + at, token.begin(), token.end());
        break;
      }
      case 4: {  // duplicate a chunk (grows nesting and lists)
        const std::size_t length = std::min(input.size() - at, 1 + pick(64));
        const Bytes chunk(input.begin() + at, input.begin() + at + length);
        input.insert(input.begin() + pick(input.size()), chunk.begin(), chunk.end());
        break;
      }
      default:  // truncate
        input.resize(at);
        break;
    }
  }
  return input;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: " << argv[0] << " <corpus dir> [mutations] [seed]\n";
    return 2;
  }
  const long mutations = argc > 2 ? std::stol(argv[2]) : 5000;
  std::mt19937 random(argc > 3 ? static_cast<std::uint32_t>(std::stoul(argv[3])) : 1u);

  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(argv[1])) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());  // directory order varies; the run must not
  if (files.empty()) {
    std::cerr << "no seeds in " << argv[1] << "\n";
    return 2;
  }
  std::vector<Bytes> seeds;
  for (const auto& file : files) seeds.push_back(read_file(file));

  for (const Bytes& seed : seeds) run(seed);
  for (long i = 0; i < mutations; ++i) {
    const Bytes& seed =
        seeds[std::uniform_int_distribution<std::size_t>(0, seeds.size() - 1)(random)];
    run(mutate(seed, random));
  }
  std::filesystem::remove("fuzz-replay-crash.bin");
  std::cout << "replayed " << seeds.size() << " seeds and " << mutations << " mutations\n";
  return 0;
}
