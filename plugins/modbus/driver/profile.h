// SPDX-License-Identifier: Apache-2.0
// A meter model's Modbus profile, parsed and validated once at start-up from the tree of
// config/profiles/<name>.yaml (see docs/modbus.md for the format). Every problem is reported
// with file:line:col; unknown keys are errors. Immutable after parsing; shared by every meter
// of the model and read from the bus thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/point.h"
#include "core/settings.h"
#include "modbus/codec/value.h"
#include "modbus/driver/plan.h"

namespace meterd::modbus {

struct PointMap {
  std::string name;
  RegisterSpan span;  // registers read for the point; the value sits in its first ones
  ValueFormat format;
};

// One register value of a write: a literal, or an action argument (canonical integer)
// encoded with a format.
struct WriteValue {
  std::optional<std::uint16_t> literal;
  std::string arg;
  ValueFormat format;
};

struct WriteStep {
  std::uint8_t fc = 0x10;  // 0x06, 0x10 or a vendor code in 0x10 layout
  std::uint16_t address = 0;
  std::vector<WriteValue> values;
  std::uint16_t register_count() const;
};

struct ActionMap {
  std::string name;
  bool broadcast = false;  // may be sent to address 0 (no reply)
  std::vector<WriteStep> writes;
  std::vector<std::string> read_back;  // points read after the writes
};

struct Profile {
  std::string name;
  std::uint16_t max_gap = 8;
  std::vector<RegisterSpan> read_blocks;
  std::vector<PointMap> points;
  std::vector<ActionMap> actions;
  std::vector<std::uint8_t> vendor_functions;  // 0x10-layout codes other than 0x10

  const PointMap* point(const std::string& name) const;
  const ActionMap* action(const std::string& name) const;
  bool multiple_layout(std::uint8_t fc) const;
};

// nullptr when the profile has any error (all of them reported to `errors`).
std::shared_ptr<const Profile> parse_profile(const SettingsNode& root, const std::string& name,
                                             ConfigErrors& errors);

}  // namespace meterd::modbus
