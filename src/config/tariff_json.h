// SPDX-License-Identifier: Apache-2.0
// A tariff written as JSON (a command's `tariff`, a stored tariff change) read the way a site
// file's tariff is read (JSON is YAML), with the same checks.
#pragma once

#include <optional>
#include <string>

#include "core/settings.h"
#include "engine/tariff.h"

namespace meterd {

// `what` names the text in the errors' positions. nullopt: `errors` says why.
std::optional<Tariff> read_tariff_json(const std::string& json, const std::string& what,
                                       ConfigErrors& errors);

// A command's tariff, read; the error is the first problem's message, without a position.
CommandTariff command_tariff(std::string json);

}  // namespace meterd
