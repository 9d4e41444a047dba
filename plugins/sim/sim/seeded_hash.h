// SPDX-License-Identifier: Apache-2.0
// Deterministic pseudo-randomness for the simulated meters: every "random" value is a hash of
// the seed and of what it is about (a meter, an appliance, a minute, a period), so a run is
// the same for the same seed whatever the order or timing of the reads. Pure functions.
#pragma once

#include <cstdint>

namespace meterd::sim {

inline std::uint64_t mix(std::uint64_t x) {  // splitmix64 finalizer
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

inline std::uint64_t mix(std::uint64_t a, std::uint64_t b) { return mix(a ^ mix(b)); }

// A deterministic number in [0, 1).
inline double unit(std::uint64_t h) { return static_cast<double>(h >> 11) * 0x1.0p-53; }

inline std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

// A stable 64-bit hash of a name (FNV-1a), so an appliance's randomness follows its name.
inline std::uint64_t name_hash(const char* s, std::uint64_t h = 0xcbf29ce484222325ULL) {
  for (; *s != '\0'; ++s) h = (h ^ static_cast<unsigned char>(*s)) * 0x100000001b3ULL;
  return h;
}

}  // namespace meterd::sim
