// SPDX-License-Identifier: Apache-2.0
// A PROFIBUS meter model as data: its GSD, the modules plugged in (so the Chk_Cfg bytes,
// the I/O image sizes and the Set_Prm user data follow), the points at input-image offsets
// (type u8/u16/s16/u32/s32/float32 big-endian, or one bit; canonical = raw x scale), and
// actions as writes into the output image (a bit set to 0/1, or an integer argument scaled
// into bytes). Validated once at start-up (every error file:line:col); immutable after,
// shared by the meters of a model.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/point.h"
#include "core/settings.h"
#include "profibus/gsd/gsd_file.h"

namespace meterd::profibus {

enum class ValueType { kU8, kU16, kS16, kU32, kS32, kFloat32, kBit };
std::optional<ValueType> parse_value_type(std::string_view text);
std::size_t value_size(ValueType type);

struct PointMap {
  std::string point;
  PointKind kind = PointKind::kAnalog;
  std::size_t offset = 0;
  ValueType type = ValueType::kU16;
  int bit = 0;         // kBit
  double scale = 1.0;  // canonical = raw x scale
};

struct ActionMap {
  std::string name;
  std::size_t offset = 0;  // output byte
  ValueType type = ValueType::kBit;
  int bit = 0;
  int value = 0;         // kBit: the bit's new value
  std::string argument;  // other types: the integer argument written, raw = arg / scale
  double scale = 1.0;
};

struct Profile {
  std::shared_ptr<const GsdFile> gsd;
  std::vector<std::string> modules;
  std::vector<std::uint8_t> cfg;
  std::vector<std::uint8_t> user_prm;  // slave user data, then each module's parameters
  std::size_t input_bytes = 0;
  std::size_t output_bytes = 0;
  std::vector<std::uint8_t> initial_outputs;  // before any command (zeros unless given)
  std::vector<PointMap> points;
  std::vector<ActionMap> actions;

  const PointMap* find_point(std::string_view name) const;
  const ActionMap* find_action(std::string_view name) const;
};

// Reads a profile tree (see config/profiles/profibus-generic.yaml). The GSD path is relative
// to the profile file's folder. nullopt, with every problem in `errors`, when invalid.
std::optional<Profile> read_profile(const SettingsNode& node, const std::string& what,
                                    ConfigErrors& errors);

// One point from an input image.
Result<PointValue> decode_point(const PointMap& map, std::span<const std::uint8_t> inputs);
// The inverse, for the simulator: a canonical value into an input image.
void encode_point(const PointMap& map, double value, std::span<std::uint8_t> inputs);
// Applies an action to an output image; kInvalidArgument when its argument is missing or
// does not fit.
Status apply_action(const ActionMap& map, const std::map<std::string, std::int64_t>& integers,
                    std::span<std::uint8_t> outputs);

}  // namespace meterd::profibus
